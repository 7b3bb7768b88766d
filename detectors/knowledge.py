"""What the detectors know about one account: its school's roster, staff, allowlist.

Detectors stay pure (no database): `DetectionContext` names the account and school a post came
from, and a loader turns each distinct context into an `AccountKnowledge` once per `detect_many`
call, so a reviewer's allowlist entry counts from the next cycle on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from detectors.hashing import digest, normalise

ANY_TYPE = "*"


@dataclass(frozen=True, slots=True)
class DetectionContext:
    """Where a post came from. `school_id` is looked up from the account when left out."""

    account_id: int | None = None
    school_id: int | None = None


@dataclass(frozen=True, slots=True)
class AccountKnowledge:
    """Keyed digests and adults' names for one account; empty when nothing is known."""

    key: bytes | None = field(default=None, repr=False)
    roster: Mapping[str, frozenset[str]] = field(default_factory=dict)  # kind -> digests
    staff_names: frozenset[str] = frozenset()  # normalised full names of known adults
    allowlist: frozenset[tuple[str, str]] = frozenset()  # (finding type or "*", digest)

    def on_roster(self, kind: str, value: str) -> bool:
        """True if the normalised `value` is on the roster as `kind` (name, first, upn...)."""
        digests = self.roster.get(kind)
        if not digests or self.key is None:
            return False
        return digest(self.key, kind, value) in digests

    def is_staff(self, name: str) -> bool:
        return normalise(name) in self.staff_names

    def allows(self, finding_type: str, phrase: str) -> bool:
        """True if reviewers allowlisted this phrase (for this type, or any) on this account."""
        if not self.allowlist or self.key is None:
            return False
        d = digest(self.key, "allow", normalise(phrase))
        return (finding_type, d) in self.allowlist or (ANY_TYPE, d) in self.allowlist


NO_KNOWLEDGE = AccountKnowledge()

KnowledgeLoader = Callable[[Iterable[DetectionContext]], dict[DetectionContext, AccountKnowledge]]


def no_knowledge(contexts: Iterable[DetectionContext]) -> dict[DetectionContext, AccountKnowledge]:
    """The loader of a stack without a database (`postwarden detect`, tests)."""
    return dict.fromkeys(contexts, NO_KNOWLEDGE)
