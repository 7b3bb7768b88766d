"""What the detectors may know about an account, read from the database for each scan."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.engine import Engine

from detectors.hashing import normalise
from detectors.knowledge import AccountKnowledge, DetectionContext, KnowledgeLoader
from storage.db import session_scope
from storage.detector_crud import knowledge_rows

log = logging.getLogger(__name__)


def database_loader(engine: Engine, key: bytes | None) -> KnowledgeLoader:
    """A loader of rosters, staff and allowlists; without a key they cannot be matched."""

    def load(contexts: Iterable[DetectionContext]) -> dict[DetectionContext, AccountKnowledge]:
        wanted = set(contexts)
        if not wanted:
            return {}
        with session_scope(engine) as session:
            known = {}
            for ctx in wanted:
                rows = knowledge_rows(session, account_id=ctx.account_id, school_id=ctx.school_id)
                known[ctx] = AccountKnowledge(
                    key=key,
                    roster=rows.roster,
                    staff_names=frozenset(filter(None, map(normalise, rows.staff_names))),
                    allowlist=rows.allowlist,
                )
        if key is None and any(k.roster or k.allowlist for k in known.values()):
            log.warning("POSTWARDEN_ROSTER_KEY is not set: stored rosters and allowlists unused")
        return known

    return load
