"""Passages of a long post (detectors/features.py): whole sentences, every word in one, bounded."""

from __future__ import annotations

import pytest

from detectors.features import LONG_POST_CHARS, PASSAGE_CHARS, PostFeatures, passages

SENTENCES = (
    "Year 3 finished their topic with a cave-painting afternoon! The hall still smells of "
    "charcoal.\n\nFlu sprays are on Tuesday? Yes, for every class. Parents' evening bookings open "
    "on Monday through the usual app, and the museum trip is on Thursday (packed lunch).\n"
)


@pytest.mark.parametrize("text", [SENTENCES * 6, "word " * 400, "x" * 1500, SENTENCES])
@pytest.mark.parametrize("size", [60, PASSAGE_CHARS, 480])
def test_every_character_is_read_in_a_bounded_window(text: str, size: int) -> None:
    windows = passages(text, size)
    covered = {i for start, end in windows for i in range(start, end)}
    assert all(i in covered for i, c in enumerate(text) if not c.isspace())
    assert all(0 < end - start <= size for start, end in windows)
    assert [s for s, _ in windows] == sorted({s for s, _ in windows})  # forward, no repeats


def test_windows_hold_whole_sentences_and_overlap() -> None:
    text = SENTENCES * 4
    windows = passages(text, 200)
    assert len(windows) > 4
    for start, end in windows:
        assert start == 0 or text[start - 1] in ".!?\n )" or text[start - 1].isspace()
        assert text[end - 1] in ".!?\n)"
    assert any(b[0] < a[1] for a, b in zip(windows, windows[1:], strict=False))


def test_a_post_of_ordinary_length_has_no_passages() -> None:
    short = PostFeatures("Year 6 loved the museum trip today.", None)
    assert short.passages(None) == []
    text = SENTENCES * 6
    assert len(text) > LONG_POST_CHARS
    long = PostFeatures(text, None)
    parts = long.passages(None)
    assert parts and parts is long.passages(None)  # computed once, shared by every head
    for offset, part in parts:
        assert text[offset : offset + len(part.text)] == part.text
