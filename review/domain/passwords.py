"""Passwords of local log-ins: argon2 hashes only, checked in constant work, and a policy for the
passwords people choose themselves (length, guessability, not their own name).

Guessability is zxcvbn's estimate (MIT, ships its own lists of common passwords, words and names:
no network, no breach service): a password must need about 10^8 guesses or more (score 3 of 4),
which the log-in throttle makes out of reach online. zxcvbn reads at most 72 characters, so a
longer password is judged on its first 72.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

PASSWORD_MIN = 12
PASSWORD_MAX = 256
MIN_SCORE = 3
_ZXCVBN_MAX = 72
_OWN_WORD_MIN = 3  # shorter name parts ("Al", "Ng") would refuse too much
SITE_WORDS = ("postwarden", "review", "trust", "school")

_hasher = PasswordHasher()
# Verifying against this when the user is unknown keeps the timing of a miss like a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """A chosen password the policy refuses; the message says why, in words for the person."""


def hash_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise ValueError(f"a password needs at least {PASSWORD_MIN} characters")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant-work check: a missing hash still costs one argon2 verification."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def _own_words(user_inputs: Iterable[str]) -> set[str]:
    """Name parts and the e-mail's local part: 'Grace Whitfield', 'g.whitfield@trust.example'
    (the trust's domain is everyone's, so it is no one's own word)."""
    words: set[str] = set()
    for value in user_inputs:
        for word in re.split(r"[\s._+-]+", value.lower().partition("@")[0]):
            if len(word) >= _OWN_WORD_MIN:
                words.add(word)
    return words


def check_new_password(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """Refuse a password a person chooses if it is short, too long, or easy to guess: common or
    repetitive (zxcvbn), or built on their own name or e-mail address."""
    if len(password) < PASSWORD_MIN:
        raise WeakPassword(f"A password needs at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise WeakPassword(f"A password may have at most {PASSWORD_MAX} characters.")
    inputs = list(user_inputs)
    lowered = password.lower()
    if any(word in lowered for word in _own_words(inputs)):
        raise WeakPassword(
            "This password is too easy to guess: it contains your name or e-mail address."
        )
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=[*inputs, *SITE_WORDS])
    if not password.strip() or result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        hints = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
        why = " ".join(h.strip() for h in hints if h and h.strip())
        raise WeakPassword(
            "This password is too easy to guess."
            + (f" {why}" if why else "")
            + " A few unrelated words make a strong one."
        )
