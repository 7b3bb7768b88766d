"""The word lists and patterns of detectors/data/cues.yaml, validated and compiled once."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Final, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CUES_FILE: Final = Path(__file__).resolve().parent / "data" / "cues.yaml"


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    return pattern


Regex = Annotated[str, AfterValidator(_compiles)]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


class ChildCue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(min_length=1)
    pattern: Regex
    link: int = Field(ge=0, le=20, description="words allowed between the name and the cue")
    side: Literal["before", "after", "either"] = Field(
        default="either", description="where the name stands relative to the cue"
    )


class Cues(BaseModel):
    """The validated content of cues.yaml (unknown keys are an error, not ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    adult_titles: list[str] = Field(min_length=1)
    adult_roles: list[str] = Field(min_length=1)
    child_cues: list[ChildCue] = Field(min_length=1)
    street_pattern: Regex
    staff_working_day: Regex
    former_pupil: Regex
    adult_celebration: Regex
    child_age_birthday: Regex
    specific_child: Regex
    described_child: Regex
    topics: dict[str, Regex] = Field(min_length=1)
    office_words: Regex
    personal_number: Regex
    contact_details: Regex
    school_contact_words: Regex
    personal_contact_words: Regex
    pupil_democracy: Regex
    campaign_words: Regex
    team_thanks: Regex
    impersonation_warning: Regex
    adult_news_with_consent: Regex
    adult_news_told: Regex
    child_or_family_words: Regex
    business_named: Regex
    verdict_words: Regex
    role_mailboxes: list[str]
    nicknames: dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class CompiledCue:
    kind: str
    pattern: re.Pattern[str]
    link: int
    side: str


class CompiledCues:
    """Cues with their patterns compiled, for the detectors' hot path."""

    def __init__(self, cues: Cues) -> None:
        self.cues = cues
        self.adult_titles = frozenset(t.lower().rstrip(".") for t in cues.adult_titles)
        self.adult_roles = frozenset(r.lower() for r in cues.adult_roles)
        self.child_cues = [
            CompiledCue(c.kind, _compile(c.pattern), c.link, c.side) for c in cues.child_cues
        ]
        self.street = _compile(cues.street_pattern)
        self.staff_working_day = _compile(cues.staff_working_day)
        self.former_pupil = _compile(cues.former_pupil)
        self.adult_celebration = _compile(cues.adult_celebration)
        self.child_age_birthday = _compile(cues.child_age_birthday)
        self.specific_child = _compile(cues.specific_child)
        self.described_child = _compile(cues.described_child)
        self.topics = {name: _compile(p) for name, p in cues.topics.items()}
        self.office_words = _compile(cues.office_words)
        self.personal_number = _compile(cues.personal_number)
        self.contact_details = _compile(cues.contact_details)
        self.school_contact_words = _compile(cues.school_contact_words)
        self.personal_contact_words = _compile(cues.personal_contact_words)
        self.pupil_democracy = _compile(cues.pupil_democracy)
        self.campaign_words = _compile(cues.campaign_words)
        self.team_thanks = _compile(cues.team_thanks)
        self.impersonation_warning = _compile(cues.impersonation_warning)
        self.adult_news_with_consent = _compile(cues.adult_news_with_consent)
        self.adult_news_told = _compile(cues.adult_news_told)
        self.child_or_family_words = _compile(cues.child_or_family_words)
        self.business_named = _compile(cues.business_named)
        self.verdict_words = _compile(cues.verdict_words)
        self.role_mailboxes = frozenset(m.lower() for m in cues.role_mailboxes)
        variants: dict[str, set[str]] = {}
        for name, shorts in cues.nicknames.items():
            group = {name.lower(), *(s.lower() for s in shorts)}
            for member in group:
                variants.setdefault(member, set()).update(group - {member})
        self.nicknames = {k: frozenset(v) for k, v in variants.items()}

    def birthday_between_adults(self, kinds: Collection[str], text: str) -> bool:
        """Whether a birthday is the only child cue (`kinds`: the kinds found in `text`) and the
        greeting reads as between adults ("have a lovely day hun x", "cake in the kitchen"), unless
        the age told is a child's ("Happy 15th birthday to our Jayden-Lee Fisher")."""
        return (
            set(kinds) == {"birthday"}
            and self.adult_celebration.search(text) is not None
            and self.child_age_birthday.search(text) is None
        )


def load_cues(path: Path = CUES_FILE) -> Cues:
    """Parse and validate a cues file; a bad file is a clear `ValueError` naming it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Cues.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


@lru_cache(maxsize=1)
def cues() -> CompiledCues:
    """The shipped cues, compiled once per process."""
    return CompiledCues(load_cues())
