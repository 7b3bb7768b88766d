"""What the detectors know about one account: its school's roster, staff, allowlist.

Detectors stay pure (no database): `DetectionContext` names the account and school a post came
from, and a loader turns each distinct context into an `AccountKnowledge` once per `detect_many`
call, so a reviewer's allowlist entry counts from the next cycle on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from detectors.hashing import digest, normalise

if TYPE_CHECKING:
    from postwarden.settings import Settings

log = logging.getLogger(__name__)

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


def database_loader(settings: Settings) -> KnowledgeLoader:
    """A loader reading rosters, staff and allowlists from the configured database."""

    def load(contexts: Iterable[DetectionContext]) -> dict[DetectionContext, AccountKnowledge]:
        from storage.db import get_engine, session_scope
        from storage.detector_crud import load_knowledge

        wanted = set(contexts)
        if not wanted:
            return {}
        try:
            key = settings.roster_key_bytes
        except ValueError as exc:  # too short: scan on without rosters/allowlists, say why
            log.error("%s: rosters and allowlists are not used until it is fixed", exc)
            key = None
        with session_scope(get_engine(settings.resolved_database_url)) as session:
            known = {ctx: load_knowledge(session, context=ctx, key=key) for ctx in wanted}
        if key is None and any(k.roster or k.allowlist for k in known.values()):
            log.warning("POSTWARDEN_ROSTER_KEY is not set: stored rosters and allowlists unused")
        return known

    return load
