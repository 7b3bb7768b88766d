"""The `postwarden` command line."""

from postwarden.cli.main import app

__all__ = ["app"]
