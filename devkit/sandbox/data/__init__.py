"""Data files shipped with the sandbox (a package so setuptools ships its *.json)."""
