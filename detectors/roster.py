"""Reading a school's pupil roster (a CSV export from SIMS, Arbor, Bromcom...) into keyed digests.

The names exist only in memory while the file is read: each pupil becomes the HMACs of their
name forms — full name (legal and preferred forenames, with and without middle names), first
name + surname initial, common nicknames — plus their UPN and any social handle. Nothing else is
kept, and digests of one pupil are not linked together.

Headers are read liberally ("Forename", "Legal Forename", "First Name", "Preferred Forename",
"Known As", "Surname", "Legal Surname", "UPN"...). A bad row is reported by number and reason,
never by its content, and the good rows are kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from detectors.checksums import is_valid_upn
from detectors.cues import cues
from detectors.hashing import digest, normalise

# Normalised header (letters and digits only, lower case) -> field.
HEADERS: Final[dict[str, str]] = {
    **dict.fromkeys(
        [
            "forename",
            "forenames",
            "legalforename",
            "legalforenames",
            "firstname",
            "legalfirstname",
            "givenname",
            "givennames",
            "first",
            "childforename",
            "pupilforename",
            "studentforename",
        ],
        "forename",
    ),
    **dict.fromkeys(
        [
            "preferredforename",
            "preferredfirstname",
            "preferredname",
            "knownas",
            "chosenname",
            "nickname",
            "preferredforenames",
        ],
        "preferred",
    ),
    **dict.fromkeys(["middlename", "middlenames", "othernames"], "middle"),
    **dict.fromkeys(
        [
            "surname",
            "legalsurname",
            "lastname",
            "familyname",
            "childsurname",
            "pupilsurname",
            "studentsurname",
        ],
        "surname",
    ),
    **dict.fromkeys(["preferredsurname", "preferredlastname"], "preferred_surname"),
    **dict.fromkeys(
        ["name", "fullname", "pupilname", "studentname", "legalname", "childname", "pupil"],
        "full_name",
    ),
    **dict.fromkeys(["upn", "uniquepupilnumber", "pupilupn", "formerupn"], "upn"),
    **dict.fromkeys(
        [
            "handle",
            "xhandle",
            "twitterhandle",
            "twitter",
            "instagram",
            "instagramhandle",
            "tiktok",
            "tiktokhandle",
            "socialhandle",
            "socialmediahandle",
        ],
        "handle",
    ),
}
_NAME_OK: Final = re.compile(r"^[^\W\d_]+(?:[ '’.-][^\W\d_]+)*\.?$")
_HANDLE_OK: Final = re.compile(r"^@?[A-Za-z0-9_.]{1,30}$")


class RosterFileError(ValueError):
    """The file as a whole cannot be read as a roster (no name columns, not text...)."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int  # 1-based line number in the file (header is line 1)
    reason: str  # never quotes the row's content

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


@dataclass(slots=True)
class RosterDigests:
    """What an import stores: digests by kind, plus counts for the report."""

    digests: dict[str, set[str]] = field(default_factory=dict)
    rows_read: int = 0
    pupils_kept: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def add(self, kind: str, value: str) -> None:
        self.digests.setdefault(kind, set()).add(value)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.digests.values())


@dataclass(frozen=True, slots=True)
class Pupil:
    """One row's names, only ever held in memory."""

    forenames: tuple[str, ...]  # legal and preferred, as written
    middles: tuple[str, ...]
    surnames: tuple[str, ...]
    upn: str | None = None
    handle: str | None = None


def name_forms(pupil: Pupil) -> Iterator[tuple[str, str]]:
    """(kind, normalised form) for every way a post might name this pupil."""
    nick = cues().nicknames
    firsts: set[str] = set()
    for forename in pupil.forenames:
        full = normalise(forename)
        if not full:
            continue
        firsts.add(full)
        first_word = full.split()[0]
        firsts.add(first_word)
        firsts.update(nick.get(first_word, ()))
    surnames = {normalise(s) for s in pupil.surnames if normalise(s)}
    middles = [normalise(m) for m in pupil.middles if normalise(m)]
    for first in firsts:
        for surname in surnames:
            yield "name", f"{first} {surname}"
            for middle in middles:
                yield "name", f"{first} {middle} {surname}"
            yield "name_initial", f"{first} {surname[0]}"
            # Double-barrelled surnames are often shortened to either half.
            for part in surname.split():
                if part != surname:
                    yield "name", f"{first} {part}"


def pupil_digests(key: bytes, pupil: Pupil) -> Iterator[tuple[str, str]]:
    """(kind, HMAC) for one pupil's name forms, UPN and handle."""
    for kind, form in name_forms(pupil):
        yield kind, digest(key, kind, form)
    if pupil.upn:
        yield "upn", digest(key, "upn", pupil.upn.upper())
    if pupil.handle:
        yield "handle", digest(key, "handle", pupil.handle.lstrip("@").lower())


def read_roster(source: Path | str | bytes, key: bytes) -> RosterDigests:
    """Parse a roster export and digest every good row; problems are collected, not raised.

    Raises `RosterFileError` only when the file as a whole is unusable.
    """
    text = _decode(source.read_bytes() if isinstance(source, Path) else source)
    rows = _rows(text)
    header = next(rows, None)
    if header is None:
        raise RosterFileError("the file is empty")
    columns = _columns(header)
    if "surname" not in columns.values() and "full_name" not in columns.values():
        raise RosterFileError(
            "no name columns found: expected headers such as Forename and Surname (or Legal "
            "Forename, Preferred Forename, Legal Surname), or one Name column"
        )
    out = RosterDigests()
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        out.rows_read += 1
        pupil, problems = _pupil(row, columns, number)
        out.problems.extend(problems)
        if pupil is None:
            continue
        out.pupils_kept += 1
        for kind, value in pupil_digests(key, pupil):
            out.add(kind, value)
    return out


def _decode(data: str | bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252: what MIS exports are written in."""
    if isinstance(data, str):
        return data
    if b"\x00" in data[:4096]:
        raise RosterFileError("this looks like a binary file (an .xlsx?): export it as CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _rows(text: str) -> Iterator[list[str]]:
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text), dialect)


def _columns(header: Iterable[str]) -> dict[int, str]:
    columns: dict[int, str] = {}
    for i, name in enumerate(header):
        key = re.sub(r"[^a-z0-9]", "", name.lower())
        if key in HEADERS and HEADERS[key] not in columns.values():
            columns[i] = HEADERS[key]
    return columns


def _pupil(
    row: list[str], columns: dict[int, str], number: int
) -> tuple[Pupil | None, list[RowProblem]]:
    values: dict[str, str] = {}
    for i, fld in columns.items():
        if i < len(row) and row[i].strip():
            values[fld] = " ".join(row[i].split())
    problems: list[RowProblem] = []
    forename, surname = values.get("forename"), values.get("surname")
    if (not forename or not surname) and values.get("full_name"):
        forename, surname = _split_full_name(values["full_name"])
    if not forename or not surname:
        missing = "forename" if not forename else "surname"
        return None, [RowProblem(number, f"no {missing}: row skipped")]
    names = [forename, surname, values.get("preferred", ""), values.get("middle", "")]
    if not all(_NAME_OK.match(n) for n in names if n):
        return None, [RowProblem(number, "a name holds digits or symbols: row skipped")]
    upn = values.get("upn")
    if upn and not is_valid_upn(upn):
        problems.append(RowProblem(number, "UPN fails its check letter: UPN not stored"))
        upn = None
    handle = values.get("handle")
    if handle and not _HANDLE_OK.match(handle):
        problems.append(RowProblem(number, "handle is not a valid @handle: not stored"))
        handle = None
    forenames = tuple(n for n in (forename, values.get("preferred")) if n)
    surnames = tuple(n for n in (surname, values.get("preferred_surname")) if n)
    middles = tuple(values["middle"].split()) if values.get("middle") else ()
    return Pupil(forenames, middles, surnames, upn, handle), problems


def _split_full_name(full: str) -> tuple[str | None, str | None]:
    """ "Thompson, Lily-Mae" (MIS order) or "Lily-Mae Thompson"."""
    if "," in full:
        surname, _, forename = full.partition(",")
        return forename.strip() or None, surname.strip() or None
    parts = full.split()
    if len(parts) < 2:
        return None, None
    return " ".join(parts[:-1]), parts[-1]
