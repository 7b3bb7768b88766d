"""Graph field expansion: `a,b{c,d},comments.limit(5).filter(stream){id}` and back."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# --- field expansion ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    modifiers: Mapping[str, str] = field(default_factory=dict)
    children: tuple[FieldSpec, ...] | None = None

    def child(self, name: str) -> FieldSpec | None:
        return next((c for c in self.children or () if c.name == name), None)


def parse_fields(text: str) -> tuple[FieldSpec, ...]:
    """`a,b{c,d},comments.limit(5).filter(stream){id}` -> specs; ValueError on bad syntax."""
    specs, rest = _parse_list(text, 0)
    if rest != len(text):
        raise ValueError(f"unexpected {text[rest]!r} at {rest} in fields")
    return tuple(specs)


def _parse_list(text: str, i: int) -> tuple[list[FieldSpec], int]:
    specs = []
    while i < len(text):
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, i)
        if m is None:
            raise ValueError(f"expected a field name at {i} in fields")
        name, i = m.group(0), m.end()
        modifiers: dict[str, str] = {}
        while text.startswith(".", i):
            mm = re.compile(r"\.([a-z_]+)\(([^()]*)\)").match(text, i)
            if mm is None:
                raise ValueError(f"bad modifier at {i} in fields")
            modifiers[mm.group(1)], i = mm.group(2), mm.end()
        children = None
        if text.startswith("{", i):
            inner, i = _parse_list(text, i + 1)
            if not text.startswith("}", i):
                raise ValueError("unclosed '{' in fields")
            children, i = tuple(inner), i + 1
        specs.append(FieldSpec(name, modifiers, children))
        if text.startswith(",", i):
            i += 1
            continue
        break
    return specs, i


def _unparse(specs: Sequence[FieldSpec]) -> str:
    parts = []
    for s in specs:
        text = s.name + "".join(f".{k}({v})" for k, v in s.modifiers.items())
        if s.children:
            text += "{" + _unparse(s.children) + "}"
        parts.append(text)
    return ",".join(parts)
