"""Postwarden: policy monitoring of a school trust's social media accounts and staff groups."""

__version__ = "0.1.0"
