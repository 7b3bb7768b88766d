"""A local stand-in for the social platforms Postwarden reads (X API v2 today), for tests and demos.

`SandboxServer` serves a JSON dataset (the demo trust by default) with realistic payloads and
switchable faults, so every connector path, including the failures, runs for real over HTTP.
"""

from devkit.sandbox.dataset import DEMO_DATASET, DatasetError
from devkit.sandbox.server import Fault, SandboxServer, serve

__all__ = ["DEMO_DATASET", "DatasetError", "Fault", "SandboxServer", "serve"]
