"""The policy-section registry: complete, in numeric order, quoted from the policy, documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.sections import SAFEGUARDING, SECTIONS, Section, sort_key

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO.parent / "shared" / "policy" / "social-media-policy.txt"


def test_every_section_has_a_title_and_text() -> None:
    assert set(SECTIONS) == set(Section)
    assert all(s.heading and s.text for s in Section)


def test_numeric_order() -> None:
    numbers = [s.value for s in Section]
    assert numbers == sorted(numbers, key=sort_key)
    assert sort_key("8.4") < sort_key("8.10") < sort_key("10")
    assert sort_key("not a section") > sort_key("12")


@pytest.mark.parametrize("section", list(Section), ids=lambda s: s.value)
def test_each_section_is_numbered_in_the_trusts_policy(section: Section) -> None:
    text = POLICY.read_text(encoding="utf-8")
    marker = f"- {section.value}. " if "." in section.value else f"\n{section.value}. "
    assert marker in text


def test_explanations_cite_sections_in_the_same_words() -> None:
    assert Section.SUPPLIERS.cite() == "section 8.13 of the Social Media Policy"
    assert SAFEGUARDING == {Section.PUPIL_IDENTITY, Section.PUPILS_DISCUSSED}


def test_the_docs_table_matches_the_registry() -> None:
    doc = (REPO / "docs" / "detectors.md").read_text(encoding="utf-8")
    table = doc.split("## Policy sections", 1)[1].split("\n\n## ", 1)[0]
    rows = re.findall(r"^\| ([0-9.]+) \| ([^|]+) \| `Section\.([A-Z_]+)` \|", table, re.M)
    assert rows == [(s.value, s.heading, s.name) for s in Section]
