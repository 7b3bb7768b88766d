"""Keyed hashes of names, pupil numbers, handles and allowlisted phrases (HMAC-SHA256).

Postwarden never stores a pupil's name: a roster import keeps only HMACs of normalised name forms
under a secret key (POSTWARDEN_ROSTER_KEY) that lives in the environment, never in the database
or logs. Without the key a digest cannot be tested against a guessed name, so a copy of the
database alone reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Final

_APOSTROPHES: Final = re.compile(r"['’ʼ`´]")
_NOT_ALNUM: Final = re.compile(r"[^0-9a-z]+")
KEY_CHECK: Final = b"postwarden key check v1"


class MissingRosterKeyError(RuntimeError):
    """POSTWARDEN_ROSTER_KEY is not set, so no keyed hash can be made or checked."""

    def __init__(self, doing: str) -> None:
        super().__init__(
            f"{doing} needs a secret key: set POSTWARDEN_ROSTER_KEY (at least 16 characters) in "
            "the environment of every Postwarden process (CLI, Airflow workers, review UI). "
            "Keep it out of the database and version control; changing it means re-importing "
            "rosters and re-adding allowlist entries."
        )


def normalise(text: str) -> str:
    """No accents, case, apostrophes or punctuation: "Zoë O'Neill-Smith" -> "zoe oneill smith"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _APOSTROPHES.sub("", plain.casefold())
    return _NOT_ALNUM.sub(" ", plain).strip()


def digest(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 (hex) of an already-normalised value, separated by kind."""
    return hmac.new(key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def key_fingerprint(key: bytes) -> str:
    """A short value that tells whether two imports used the same key (it reveals no key)."""
    return hmac.new(key, KEY_CHECK, hashlib.sha256).hexdigest()[:16]
