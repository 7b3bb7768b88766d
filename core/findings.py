"""The finding contract every detector returns; shared by storage, the CLI and the review UI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How urgently a finding needs a person; ordered low < medium < high."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def highest(cls, severities: Iterable[Severity | str]) -> Severity:
        """The most severe of several (LOW for none)."""
        return max((cls(s) for s in severities), key=lambda s: s.rank, default=cls.LOW)

    @classmethod
    def most_severe_first(cls) -> tuple[Severity, ...]:
        """High, medium, low: the order queues, digests and filters list them in."""
        return tuple(sorted(cls, key=lambda s: -s.rank))


_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One span of one post that may breach the policy, and why, in words a Headteacher reads."""

    type: str
    start: int
    end: int
    score: float
    section: str
    severity: Severity
    explanation: str
    detector: str = ""

    def to_contract(self) -> dict[str, Any]:
        """The stable JSON shape of `postwarden detect` (no internal detector name)."""
        d = asdict(self)
        d.pop("detector")
        d["severity"] = str(self.severity)
        d["score"] = round(float(self.score), 4)
        return d
