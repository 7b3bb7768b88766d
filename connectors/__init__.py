"""Connectors: one per platform, each pure but for one I/O method (see `connectors.base`)."""
