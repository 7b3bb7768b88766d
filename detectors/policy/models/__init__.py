"""Shipped model files (numpy .npz), a package only so that wheels include them."""
