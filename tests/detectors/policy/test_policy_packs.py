"""Pack files: the shipped ones load, a trust's folder extends or replaces them, mistakes are
reported with the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.sections import Section
from detectors.policy import policy_detectors
from detectors.policy.packs import (
    BUILTIN_PACKS_DIR,
    PackError,
    RulePack,
    SupplierPack,
    load_packs,
)

POLICY_TEXT = Path(__file__).resolve().parents[4] / "shared" / "policy" / "social-media-policy.txt"

EXPECTED = {
    "confidential": ("8.9", "CONFIDENTIAL"),
    "exam_content": ("8.9", "CONFIDENTIAL"),
    "tenders": ("8.9", "CONFIDENTIAL"),
    "pupils_derided": ("8.5", "PUPIL_DISCUSSED"),
    "derogatory": ("8.10", "DEROGATORY"),
    "political": ("8.11", "POLITICAL"),
    "suppliers": ("8.13", "SUPPLIER"),
    "supplier_services": ("8.13", "SUPPLIER"),
    "conflict_of_interest": ("8.13", "SUPPLIER"),
    "pornographic": ("8.14", "PORNOGRAPHIC_LINK"),
    "adult_content": ("8.14", "PORNOGRAPHIC_LINK"),
    "offensive": ("8.15", "DISCRIMINATORY"),
    "obscene": ("8.15", "OFFENSIVE"),
    "impersonation": ("8.16", "IMPERSONATION"),
    "impersonation_plans": ("8.16", "IMPERSONATION"),
    "porn_mockery": ("8.10", "DEROGATORY"),
    "parody_mockery": ("8.10", "DEROGATORY"),
    "pupil_photos": ("8.4", "PUPIL_PHOTO"),
    "safeguarding_disclosures": ("8.9", "CONFIDENTIAL"),
    "id_documents": ("10", "PERSONAL_DETAILS"),
    "staff_details": ("10", "PERSONAL_DETAILS"),
    "home_addresses": ("10", "PERSONAL_DETAILS"),
    "pupil_records": ("8.9", "CONFIDENTIAL"),
    "staff_records": ("8.9", "CONFIDENTIAL"),
    "leaks": ("8.9", "CONFIDENTIAL"),
    "borrowed_devices": ("8.16", "IMPERSONATION"),
    "hostile_phrases": ("8.15", "DISCRIMINATORY"),
    "public_rebuke": ("8.10", "DEROGATORY"),
    "dates_of_birth": ("10", "PERSONAL_DETAILS"),
    "supplier_defamed": ("8.10", "DEROGATORY"),
    "leadership_derided": ("8.10", "DEROGATORY"),
}


def test_every_shipped_pack_loads_with_its_section_and_type() -> None:
    packs = load_packs()
    assert {n: (p.section, p.type) for n, p in packs.packs.items()} == EXPECTED


def test_sections_exist_in_the_policy_text() -> None:
    text = POLICY_TEXT.read_text(encoding="utf-8")
    for section, _ in EXPECTED.values():
        marker = f"- {section}. " if "." in section else f"\n{section}. "
        assert marker in text, section
    assert {s for s, _ in EXPECTED.values()} <= set(Section)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_trust_folder_extends_the_supplier_list(tmp_path: Path) -> None:
    _write(tmp_path, "suppliers.yaml", "suppliers:\n  - {name: Acme Catering, aliases: [Acme]}\n")
    pack = load_packs(tmp_path).get("suppliers")
    assert isinstance(pack, SupplierPack)
    names = [s.name for s in pack.suppliers]
    assert "Acme Catering" in names and "Chartwells" in names


def test_trust_folder_can_replace_a_pack(tmp_path: Path) -> None:
    builtin = (BUILTIN_PACKS_DIR / "suppliers.yaml").read_text(encoding="utf-8")
    body = builtin.split("suppliers:\n")[0] + "suppliers:\n  - {name: Acme Catering}\n"
    _write(tmp_path, "suppliers.yaml", "replace: true\n" + body)
    pack = load_packs(tmp_path).get("suppliers")
    assert isinstance(pack, SupplierPack)
    assert [s.name for s in pack.suppliers] == ["Acme Catering"]


def test_rule_with_the_same_name_replaces_the_shipped_rule(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "confidential.yaml",
        "rules:\n  - {name: budget, terms: [war chest], severity: high}\n",
    )
    pack = load_packs(tmp_path).get("confidential")
    assert isinstance(pack, RulePack)
    budget = [r for r in pack.rules if r.name == "budget"]
    assert len(budget) == 1 and budget[0].terms == ["war chest"]
    assert len(pack.rules) == len(load_packs().get("confidential").rules)  # type: ignore[union-attr]


def test_new_rules_pack_in_trust_folder_becomes_a_detector(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "local_campaigns.yaml",
        "kind: rules\nsection: '8.11'\ntype: POLITICAL\nseverity: medium\n"
        "explanation: Section 8.11 of the Social Media Policy keeps local campaigns personal.\n"
        "rules:\n  - {name: bypass, terms: [stop the bypass]}\n",
    )
    detectors = policy_detectors(tmp_path)
    text = "Stop the bypass! Join us on Saturday"
    # The pack's own finding (the section classifier may read the post as political too).
    found = [
        f
        for d in detectors
        for f in d.detect(text, None)
        if f.type == "POLITICAL" and "local_campaigns" in f.detector
    ]
    assert [(f.start, f.end, f.section) for f in found] == [(0, 15, "8.11")]


@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        ("suppliers.yaml", "section: '8.99'\n", ["suppliers.yaml", "field 'section'", "8.99"]),
        ("suppliers.yaml", "type: supplier\n", ["field 'type'", "UPPER_SNAKE_CASE"]),
        ("suppliers.yaml", "window: 0\n", ["field 'window'", "greater than or equal to 1"]),
        ("suppliers.yaml", "surprise: 1\n", ["field 'surprise'", "Extra inputs"]),
        ("suppliers.yaml", "suppliers:\n  - {aliases: [x]}\n", ["field 'suppliers.", "name"]),
        (
            "confidential.yaml",
            "rules:\n  - {name: bad, patterns: ['(unclosed']}\n",
            ["confidential.yaml", "field 'rules.", "invalid regular expression"],
        ),
        (
            "confidential.yaml",
            "explanation: This post looks confidential, please check it with someone.\n",
            ["explanation must cite", "section 8.9"],
        ),
        ("offensive.yaml", "hate_threshold: 0.9\n", ["hate_threshold must not exceed"]),
        ("newpack.yaml", "kind: magic\n", ["newpack.yaml", "field 'kind'"]),
        ("pornographic.yaml", "domains: ['not a domain']\n", ["field 'domains'", "not a domain"]),
        ("suppliers.yaml", "suppliers: [\n", ["suppliers.yaml", "not valid YAML", "line"]),
        ("suppliers.yaml", "- just a list\n", ["must be a YAML mapping"]),
        ("suppliers.yaml", "replace: maybe\nkind: suppliers\n", ["field 'replace'"]),
    ],
)
def test_mistakes_name_the_file_and_field(
    tmp_path: Path, name: str, text: str, fragments: list[str]
) -> None:
    _write(tmp_path, name, text)
    with pytest.raises(PackError) as err:
        load_packs(tmp_path)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_missing_packs_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="is not a folder"):
        load_packs(tmp_path / "nowhere")


def test_unknown_pack_name_lists_the_known_ones() -> None:
    with pytest.raises(PackError, match="have: .*confidential"):
        load_packs().get("nope")
