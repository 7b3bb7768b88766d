"""detectors/data/cues.yaml: validated on load, and the patterns match what their comments say."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.cues import CUES_FILE, cues, load_cues


def test_a_bad_cues_file_is_an_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "cues.yaml"
    bad.write_text(CUES_FILE.read_text(encoding="utf-8") + "\nunknown_key: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="cues.yaml"):
        load_cues(bad)


def _class_cue_matches(text: str) -> bool:
    return any(c.pattern.search(text) for c in cues().child_cues if c.kind == "class")


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("Congratulations to Amy in class 4B", True),
        ("Harvey, Form 10R, ran the quiz", True),
        ("Harvey, form 10r, ran the quiz", True),
        ("Jayden (3M) read aloud", True),
        # short lower-case words after "class"/"form" are not class names
        ("Amy Lee, class of 2019", False),
        ("Sam said the class was lovely", False),
        ("Sam filled in the form and sent it", False),
        ("Form Tutor Sam Ward", False),
    ],
)
def test_class_cue(text: str, matches: bool) -> None:
    assert _class_cue_matches(text) is matches


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("Former student Tariq Hussain came back", True),
        ("ex-pupil Jo Bell", True),
        ("our alumna Dr Obi", True),
        ("Tariq (class of 2012)", True),
        ("she left us in 2016 for Leeds", True),
        ("our new student council", False),
        ("Year 6 pupils visited", False),
    ],
)
def test_former_pupil(text: str, matches: bool) -> None:
    assert (cues().former_pupil.search(text) is not None) is matches


@pytest.mark.parametrize(
    ("text", "office", "personal"),
    [
        ("ring us on", True, False),
        ("get hold of us", True, False),
        ("Thornbeck CE Primary School", True, False),
        ("the primary school down the road", False, False),  # not the name of one
        ("call 01922 555010 for an informal chat", True, False),  # a job advert's number
        ("Closing date 5pm Friday", True, False),
        ("my number is", False, True),
        ("her home number", False, True),
        ("your mobile", False, False),
        ("staff never ring from a personal number", False, False),  # nobody's in particular
    ],
)
def test_office_and_personal_number_words(text: str, office: bool, personal: bool) -> None:
    assert (cues().office_words.search(text) is not None) is office
    assert (cues().personal_number.search(text) is not None) is personal


@pytest.mark.parametrize(
    ("text", "personal"),
    [
        ("Thornbeck CE Primary School, Church Bank, DL8 9ZZ", False),  # a street called Bank
        ("her bank details are", True),
        ("sort code 20-45-77", True),
        ("she lives at 4 Mill Lane", True),
    ],
)
def test_personal_contact_words(text: str, personal: bool) -> None:
    assert (cues().personal_contact_words.search(text) is not None) is personal
