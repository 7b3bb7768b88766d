"""Reproducible training and measurement of Postwarden's own models (run by hand, not in CI)."""
