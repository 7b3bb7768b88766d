"""Log-in throttling: per account and per client address, separately, counted in the database.

- **An account** with `login_attempts_free` failures in the window is slowed down: one attempt
  per delay, the delay starting at `FIRST_DELAY` and doubling with each failure up to
  `login_delay_max_seconds`. An attempt
  before its time is answered 429 with Retry-After, without checking the password; the slot is
  taken atomically, so processes and threads racing for it get one attempt, not many.
- **An address** with `address_failures_free` failures is slowed, never refused: each sign-in
  from it waits a little longer, up to `address_delay_max_seconds`. People behind one proxy or
  school network share an address, so a wrong password for one account never blocks another.
- Single sign-on callbacks that fail count against their address; past the free count they are
  refused (429): they cost the provider a request each, and no one types them.

Keys are hashes (`u:`, `a:`, `s:` + SHA-256), so the table holds no usernames or addresses. The
counts are rows of `login_counter`, so every server process (and every restart) sees the same.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from postwarden.settings import WebConfig
from storage import review_crud as crud
from storage.types import utcnow

WINDOW = timedelta(minutes=15)
FIRST_DELAY = 15.0  # seconds: a person who mistyped five times waits a moment, a script waits long


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether an attempt on an account may go ahead now, and if not, in how many seconds."""

    allowed: bool
    retry_after: int = 0


def _key(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:64]}"


class LoginThrottle:
    def __init__(self, engine: Engine, config: WebConfig) -> None:
        self.engine = engine
        self.account_free = config.login_attempts_free
        self.account_max = config.login_delay_max_seconds
        self.address_free = config.address_failures_free
        self.address_max = config.address_delay_max_seconds

    def _account_delay(self, failures: int) -> float:
        return min(FIRST_DELAY * 2 ** min(failures - self.account_free, 30), self.account_max)

    def _failures(self, db: Session, key: str, now: datetime) -> tuple[int, datetime | None]:
        row = crud.login_counter(db, key=key)
        if row is None or row.first_at < now - WINDOW:
            return 0, None
        return row.failures, row.next_at

    # --- accounts ------------------------------------------------------------------------------

    def check_account(self, username: str) -> Verdict:
        """Before checking a password: may this account be tried now? Takes the slot if so."""
        key, now = _key("u", username), utcnow()
        with Session(self.engine) as db:
            failures, next_at = self._failures(db, key, now)
            if failures < self.account_free:
                return Verdict(True)
            until = now + timedelta(seconds=self._account_delay(failures))
            if crud.claim_attempt(db, key=key, now=now, until=until):
                db.commit()
                return Verdict(True)
            wait = (next_at - now).total_seconds() if next_at else 1.0
            return Verdict(False, max(1, math.ceil(wait)))

    def failed(self, *, username: str, address: str) -> None:
        now = utcnow()
        with Session(self.engine) as db:
            key = _key("u", username)
            failures = crud.count_failure(db, key=key, now=now, window_start=now - WINDOW)
            if failures >= self.account_free:
                until = now + timedelta(seconds=self._account_delay(failures))
                crud.hold_counter(db, key=key, until=until)
            crud.count_failure(db, key=_key("a", address), now=now, window_start=now - WINDOW)
            crud.purge_counters(db, window_start=now - WINDOW, now=now)
            db.commit()

    def failed_address(self, address: str) -> None:
        """A failure that belongs to no account (a mistyped or guessed sign-in code)."""
        now = utcnow()
        with Session(self.engine) as db:
            crud.count_failure(db, key=_key("a", address), now=now, window_start=now - WINDOW)
            db.commit()

    def succeeded(self, *, username: str) -> None:
        """A right password clears its account; the address keeps its count (an attacker with
        one log-in of their own must not wipe the slate for the rest)."""
        with Session(self.engine) as db:
            crud.clear_counter(db, key=_key("u", username))
            db.commit()

    # --- addresses -----------------------------------------------------------------------------

    def address_delay(self, address: str) -> float:
        """Seconds to hold a sign-in from this address before checking it (0 if not slowed)."""
        with Session(self.engine) as db:
            failures, _ = self._failures(db, _key("a", address), utcnow())
        if failures < self.address_free:
            return 0.0
        step = self.address_max / 10
        return min(step * (failures - self.address_free + 1), self.address_max)

    # --- single sign-on callbacks --------------------------------------------------------------

    def sso_refused(self, address: str) -> bool:
        with Session(self.engine) as db:
            failures, _ = self._failures(db, _key("s", address), utcnow())
        return failures >= self.address_free

    def sso_failed(self, address: str) -> None:
        now = utcnow()
        with Session(self.engine) as db:
            crud.count_failure(db, key=_key("s", address), now=now, window_start=now - WINDOW)
            db.commit()
