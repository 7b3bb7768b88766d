"""The Graph API in the sandbox, by job: `fields` (field expansion), `model`, `rendering`,
`errors` (error bodies, usage headers) and `api` (routes, state, paging)."""

from devkit.sandbox.graph.api import GraphApi
from devkit.sandbox.graph.fields import FieldSpec, parse_fields
from devkit.sandbox.graph.model import DEMO_GRAPH_TOKEN, graph_time

__all__ = ["DEMO_GRAPH_TOKEN", "FieldSpec", "GraphApi", "graph_time", "parse_fields"]
