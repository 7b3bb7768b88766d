"""Section 8.9: a password, login, Wi-Fi key or entry code posted with its value.

A school's passwords and door codes are confidential to it, and staff chats share them to save a
trip to IT ("staff wifi pw is Lark!2024", "gate code's 5190#", a UCAS centre's buzzword, which
links a student's application to the school). A finding needs a credential word
(`PATTERNS["credential"]`), then, in the same line and within a few words, a word that assigns a
value (`CONTEXT`: is, are, now, ":", "=", "changed to") and a value that reads as a
secret (`validate_result`): letters mixed with digits or symbols, or a 4-8 digit code; with no
assigning word, only a value of letters and digits written right after the credential word
("password Oak!2024"), or a bare number right after an entry-code word ("gate code 1945"); a
dial lock's numbers count after its word only ("combo is 19-84-07": elsewhere a date). A code
read out digit by digit ("4 7 2 1 then #") is one value, and digits closed by the keypad's "#"
or "*" ("it's 2580# people", "main door: 2 9 0 3 *") are an entry code with no credential word,
in a post about getting in somewhere. Talking about passwords names no value ("change your
password", "the wifi code is on the noticeboard", "log in to Office365") and is not flagged. The
explanation never repeats the value. A school's password or login cites section 8.9
(confidential to the school) and section 10 (social media security: a posted login lets anyone
reading in), two findings on the same span; a school's door or gate code section 8.9 only; one's
own ("my PIN is...", "door code at mine") section 10 only. Independent writers label a school's
posted login 10 more often than 8.9 (49 and 21 of the 70 such posts in our labelled batches and
probe sets), a door code 8.9 (28 of 35).
"""

from __future__ import annotations

import re
from typing import Final

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding, Severity
from core.sections import Section

DETECTOR_NAME: Final = "policy:credentials"
TYPE: Final = "CONFIDENTIAL"
SECTION: Final = Section.CONFIDENTIAL
# "my password is...", "door code at mine": one's own secret is private information (section 10).
PERSONAL_SECTION: Final = Section.SECURITY
_OWN: Final = re.compile(r"\b(?:my|mine|me own)\b", re.IGNORECASE)  # in the span
_MY: Final = re.compile(r"\b(?:my|me)\s+(?:[\w-]+\s+)?$", re.IGNORECASE)  # "my (banking) PIN"

_PLACES: Final = (
    r"(?:gate|door|doors|entrance|keypad|alarm|safe|lock|cupboard|room|office|building|"
    r"car ?park|staffroom|store|shed|block|site|reception)"
)
# "the front door alarm is 1963 then SET": an alarm named by its door is an entry word too (round
# 39); "the fire alarm is at 10" names none.
_ALARMS: Final = (
    r"(?:(?:front|back|main|side|staffroom|office)\s+)?door\s+alarm|(?:intruder|burglar)\s+alarm"
)
PATTERNS: Final = {
    "credential": re.compile(
        r"\b(?:"
        r"pass(?:word|code|phrase)s?|pw|pwd|p/w|wi-?fi(?:\s+(?:key|code|password|pw))?|"
        r"network\s+key|log-?ins?|logged\s+in|user\s?names?|(?:sign|log)\s+in\s+details|"
        r"(?:centre\s+|UCAS\s+)?buzzwords?|"
        r"(?:key|access|entry|alarm|door|gate|keypad|lock|safe)\s?codes?|keypads?|key\s?safes?|"
        rf"{_ALARMS}|"
        r"padlock(?:\s+code)?|(?:safe\s+|lock\s+)?(?:combo|combination)(?:\s+lock)?|"
        rf"codes?\s+(?:for|to|on|of)\s+(?:the\s+)?(?:[\w'-]+\s+){{0,2}}{_PLACES}|"
        r"(?-i:PIN)(?:\s+(?:code|number))?|pin\s+(?:code|number)"
        r")\b",
        re.IGNORECASE,
    ),
}
# A building's entry code (door, gate, alarm, key safe): confidential to the school (8.9) only.
# Logins, passwords, Wi-Fi keys and PINs open the school's systems: section 10 as well. Our
# labelled posts agree: entry codes 8.9 (28 of 35), logins and passwords 10 (49 of 70).
_ENTRY: Final = re.compile(
    r"(?:key|access|entry|alarm|door|gate|keypad|lock|safe)\s?codes?|keypads?|key\s?safes?|codes?\s|"
    rf"{_ALARMS}|"
    r"padlock|(?:safe\s+|lock\s+)?(?:combo|combination)",
    re.IGNORECASE,
)
# Words that give the credential its value: "... is X", "...: X", "changes to X".
CONTEXT: Final = re.compile(
    r"(?:\b(?:is|are|now|chang(?:e|es|ed|ing)\s+to|set\s+to|reset\s+to)\b|'s\b|[:=]|->|→)",
    re.IGNORECASE,
)
WINDOW_CHARS: Final = 60  # the value sits within a few words of the credential word
_TOKEN: Final = re.compile(r"\S+")
_STRIP: Final = "\"'`‘’“”()[]{}<>,;.…"
# "C2584": a digital lock's code may start with its clear key's letter.
_CODE: Final = re.compile(r"(?-i:[A-Z])?\d{4,8}[#*]?")
# "combo is 19-84-07": a dial lock's numbers, read after an entry word only (elsewhere a date).
_DIAL: Final = re.compile(r"\d{1,2}(?:-\d{1,2}){2,3}")
# "New code from Monday is 4 7 2 1 then #": a keypad code read out digit by digit.
_SPACED: Final = re.compile(
    r"\d(?:[ -]\d){3,7}(?:\s*(?:then\s+)?[#*]|-[#*])?(?![\w-])"
)  # "4-7-1-9-#"
# "It's 2580# people": digits closed by the keypad's hash key are an entry code even with no
# credential word, in a post about getting in somewhere.
_HASH_CODE: Final = re.compile(
    r"(?<![\w#£.,/:-])(?:\d{4,8}#|\d(?: \d){3,7} ?[#*])(?![\w#*])"  # "2580#", "4 8 1 7 #"
)
_GETTING_IN: Final = re.compile(
    rf"\b(?:locked\s+out|lock(?:ed)?|get(?:ting)?\s+in|let\s+(?:me|us|you|them)\s+in|{_PLACES})\b",
    re.IGNORECASE,
)
# "... key safe on the wall behind the oil tank, code 0312", "alarm panel ... put in 8826": a code
# with no assigning word, read only after an entry word a few words before and in a post about
# getting in ("use code 2024 at checkout" is a discount).
_BARE_CODE: Final = re.compile(
    r"\b(?:codes?\s+|(?:put|punch|tap|key|type)\s+in\s+|enter\s+)\d{4,8}[#*]?(?![\w/.:-])",
    re.IGNORECASE,
)
_ENTRY_BEFORE: Final = re.compile(
    r"\b(?:key\s?safe|keypad|alarm(?:\s+panel)?|panel|padlock|(?:side|front|back|main)\s+"
    r"(?:gate|door|entrance)|gate|door)\b",
    re.IGNORECASE,
)
_BARE_REACH: Final = 80  # characters before the code where its entry word must stand
_PAIR: Final = re.compile(r"\s*/\s*(\S+)")
# "it's ellerbyj / Humber2024!": a username (lower case, no digits needed) before the slash counts
# when the password after it reads as a secret; the pair may run past the window by this much.
_USER: Final = re.compile(r"(?-i:[a-z][a-z0-9._-]{2,30})")
_PAIR_REACH: Final = 30
# "Staff wifi down AGAIN. IT are on it. Back to 1998": a bare number a few words past the
# assigning word is a year or a count, not a login's value (a login's value may well sit in the
# next sentence, "left it logged in as me. If it kicks you out it's holroydg / Beck2025!").
_FAR: Final = 3
_SYMBOL: Final = re.compile(r"[!@#$%^&*_+=?~-]")
_NOT_SECRET: Final = re.compile(
    r"(?:https?://|www\.)|^\S+@\S+\.\w+$|"  # a link or an email address
    r"^(?:\d+(?:st|nd|rd|th|am|pm|k|m|s)|[yY](?:ear)?\d{1,2}[a-zA-Z]?|\d{1,2}[-/.]\d{1,2}"
    r"(?:[-/.]\d{2,4})?|\d{4}-\d{2,4}|£\S*|#\w+)$",  # 3rd, 9am, Y10, dates, 2024-25, money, tags
    re.IGNORECASE,
)


def _mixed(value: str) -> bool:
    """Letters (two or more) and digits together: "Oak2024", not "2024" or "photocopier?"."""
    return any(c.isdigit() for c in value) and sum(c.isalpha() for c in value) >= 2


class SharedCredentialsDetector:
    """A password, login or entry code written out with its value."""

    name = DETECTOR_NAME

    def validate_result(self, token: str) -> bool:
        """Whether `token` reads as a secret rather than a word, time, date, link or tag."""
        value = token.strip(_STRIP)
        if _CODE.fullmatch(value):
            return True
        if not 6 <= len(value) <= 64 or _NOT_SECRET.search(value):
            return False
        letters = sum(c.isalpha() for c in value)
        if any(c.isdigit() for c in value):
            return letters >= 2
        # "please!", "really?!": a word closed by its sentence's punctuation is no symbol
        return letters >= 2 and bool(_SYMBOL.search(value.rstrip("!?")))

    def detect(self, text: str, artifacts: NlpArtifacts | None) -> list[Finding]:
        """One finding per credential word followed by an assigned value; the span runs from
        the word to the value."""
        findings: list[Finding] = []
        taken = -1
        for match in PATTERNS["credential"].finditer(text):
            if match.start() < taken:
                continue
            reach = text[match.end() : match.end() + WINDOW_CHARS + _PAIR_REACH].split("\n", 1)[0]
            window = reach[:WINDOW_CHARS]
            assign = CONTEXT.search(window)
            first = _TOKEN.match(window, 1) if window[:1] == " " else None
            value = first.group().strip(_STRIP) if first else ""
            entry = _ENTRY.match(match.group()) is not None
            if first is not None and entry and (_CODE.fullmatch(value) or _DIAL.fullmatch(value)):
                tokens = [first]  # "gate code 1945": an entry code is digits, right after its word
            elif assign is None:
                # "password BFA_Office2024!": no assigning word, so only a value written right
                # after the credential word counts, and only one that mixes letters with digits
                # (a bare number there is more often a year, a word with a "?" a question).
                if first is None or not _mixed(value):
                    continue
                tokens = [first]
            else:
                tokens = list(_TOKEN.finditer(window, assign.end()))
            for i, token in enumerate(tokens):
                spaced = _SPACED.match(window, token.start())
                if not entry and not spaced and i >= _FAR and token.group().strip(_STRIP).isdigit():
                    continue
                dial = entry and _DIAL.fullmatch(token.group().strip(_STRIP)) is not None
                pair = _PAIR.match(reach, token.end())  # "network / key", "user / password"
                user = (
                    pair is not None
                    and _USER.fullmatch(token.group().strip(_STRIP)) is not None
                    and self.validate_result(pair.group(1))
                )
                if spaced or dial or user or self.validate_result(token.group()):
                    last = pair.group(1) if pair else token.group()
                    stop = pair.end() if pair else token.end()
                    end = match.end() + stop - (len(last) - len(last.rstrip(_STRIP)))
                    if spaced:
                        end = match.end() + spaced.end()
                    before = text[max(0, match.start() - 30) : match.start()]
                    own = _OWN.search(text, match.start(), end) or _MY.search(before)
                    findings += self._findings(match.start(), end, own=own is not None, entry=entry)
                    taken = end
                    break
        if not _GETTING_IN.search(text):  # the codes below are read only in such a post
            return findings
        found = findings + self._hash_codes(text, findings)
        return found + self._bare_codes(text, found)

    def _bare_codes(self, text: str, found: list[Finding]) -> list[Finding]:
        """Digits after a bare "code" ("the key safe on the wall behind the oil tank, code 0312")
        or typed into a panel ("the alarm panel is just inside the door, put in 8826"), with an
        entry word shortly before, in a post about getting in."""
        out: list[Finding] = []
        for m in _BARE_CODE.finditer(text):
            if any(f.start < m.end() and m.start() < f.end for f in found + out):
                continue
            if not _ENTRY_BEFORE.search(text, max(0, m.start() - _BARE_REACH), m.start()):
                continue
            before = text[max(0, m.start() - 30) : m.start()]
            own = _OWN.search(before) is not None
            out += self._findings(m.start(), m.end(), own=own, entry=True)
        return out

    def _hash_codes(self, text: str, found: list[Finding]) -> list[Finding]:
        """Keypad codes closed by "#" with no credential word, in a post about getting in."""
        out: list[Finding] = []
        for m in _HASH_CODE.finditer(text):
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            before = text[max(0, m.start() - 30) : m.start()]
            own = _OWN.search(before) is not None
            out += self._findings(m.start(), m.end(), own=own, entry=True)
        return out

    def _findings(self, start: int, end: int, *, own: bool, entry: bool) -> list[Finding]:
        """One's own secret: section 10. The school's: section 8.9, and section 10 beside it
        unless it is an entry code."""
        if own:
            return [
                self._finding(
                    start,
                    end,
                    PERSONAL_SECTION,
                    f"A password of one's own is private information, and "
                    f"{PERSONAL_SECTION.cite()} says not to reveal it",
                )
            ]
        confidential = self._finding(
            start,
            end,
            SECTION,
            f"They are confidential to the school, and {SECTION.cite()} says staff must not "
            "divulge confidential information",
        )
        if entry:
            return [confidential]
        return [
            confidential,
            self._finding(
                start,
                end,
                PERSONAL_SECTION,
                "Anyone who reads it can get into the school's systems, which "
                f"{PERSONAL_SECTION.cite()} (social media security) asks staff to guard against",
            ),
        ]

    def _finding(self, start: int, end: int, section: Section, why: str) -> Finding:
        return Finding(
            type=TYPE,
            start=start,
            end=end,
            score=0.9,
            section=section.value,
            severity=Severity.HIGH,
            explanation=(
                "This post seems to give out a password, login or entry code with its value. "
                f"{why}: delete the post and have the password or code changed."
            ),
            detector=DETECTOR_NAME,
        )
