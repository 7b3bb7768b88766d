"""Roster import: liberal MIS headers, bad rows reported and skipped, only keyed hashes stored."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from typer.testing import CliRunner

from detectors.hashing import digest, normalise
from detectors.knowledge import DetectionContext
from detectors.roster import Pupil, RosterFileError, name_forms, read_roster
from pipeline.knowledge import database_loader
from postwarden.cli.main import app
from postwarden.settings import Settings, get_settings
from review.domain import knowledge
from storage import crud
from storage.detector_models import RosterDigest, RosterImport

KEY = b"0123456789abcdef-roster-test-key"

SIMS = """UPN,Legal Surname,Legal Forename,Preferred Forename,Middle Name(s),Year,Reg Group
W301001234567,Thompson,Lily-Mae,,Grace,Year 4,4T
Z80912345678B,Bennett,Oliver,Olly,,Year 2,2B
,,Nobody,,,Year 1,1A
B301001234567,Khan,Ayesha,,,Year 3,3K
,Walsh,Ethan 3rd,,,Year 6,6W
"""
ARBOR = """\ufeffFirst Name;Last Name;Year Group;Class
Zoë;O'Neill-Smith;Reception;RA
"""
FULL_NAME = 'Name,Year\n"Carter, Amelia Rose",Year 6\nHarry Finch,Year 5\nMadonna,Year 4\n'


def _has(parsed_digests: dict[str, set[str]], kind: str, form: str) -> bool:
    return digest(KEY, kind, form) in parsed_digests.get(kind, set())


def test_sims_export_keeps_good_rows_and_reports_bad_ones() -> None:
    parsed = read_roster(SIMS.encode(), KEY)
    assert (parsed.rows_read, parsed.pupils_kept) == (5, 3)
    assert [str(p) for p in parsed.problems] == [
        "row 4: no surname: row skipped",
        "row 5: UPN fails its check letter: UPN not stored",
        "row 6: a name holds digits or symbols: row skipped",
    ]
    d = parsed.digests
    assert _has(d, "name", "lily mae thompson")
    assert _has(d, "name", "lily mae grace thompson")
    assert _has(d, "name", "lily thompson")  # first part of a hyphenated forename
    assert _has(d, "name", "olly bennett") and _has(d, "name", "oliver bennett")
    assert _has(d, "name", "ollie bennett")  # nickname table: oliver <-> ollie
    assert _has(d, "name_initial", "ayesha k")
    assert _has(d, "upn", "W301001234567") and _has(d, "upn", "Z80912345678B")
    assert not _has(d, "upn", "B301001234567")


def test_arbor_style_semicolons_bom_and_accents() -> None:
    parsed = read_roster(ARBOR.encode("utf-8"), KEY)
    assert parsed.pupils_kept == 1 and parsed.problems == []
    assert _has(parsed.digests, "name", "zoe oneill smith")
    assert _has(parsed.digests, "name", "zoe smith")  # either half of a double-barrelled name


def test_windows_1252_export() -> None:
    parsed = read_roster("Forename,Surname\nZoë,Brontë\n".encode("cp1252"), KEY)
    assert _has(parsed.digests, "name", "zoe bronte")


def test_single_name_column_in_either_order() -> None:
    parsed = read_roster(FULL_NAME.encode(), KEY)
    assert parsed.pupils_kept == 2
    assert [str(p) for p in parsed.problems] == ["row 4: no forename: row skipped"]
    assert _has(parsed.digests, "name", "amelia rose carter")
    assert _has(parsed.digests, "name", "harry finch")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Year,Reg Group\n4,4T\n", "no name columns"),
        (b"PK\x03\x04\x00\x00binary", "binary"),
    ],
)
def test_unusable_files_are_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(RosterFileError, match=message):
        read_roster(data, KEY)


def test_name_forms_cover_full_initial_and_nicknames() -> None:
    forms = set(name_forms(Pupil(("William",), (), ("Jones",))))
    assert ("name", "william jones") in forms
    assert ("name", "will jones") in forms and ("name", "billy jones") in forms
    assert ("name_initial", "william j") in forms


def test_normalise_is_what_posts_and_rosters_share() -> None:
    assert normalise("Zoë O'Neill-Smith") == normalise("zoe ONEILL smith") == "zoe oneill smith"


def test_a_different_key_gives_unrelated_digests() -> None:
    a = read_roster(SIMS.encode(), KEY).digests["name"]
    b = read_roster(SIMS.encode(), b"another-key-of-some-length-here").digests["name"]
    assert a.isdisjoint(b)


# --- the CLI and the database ------------------------------------------------------------------


@pytest.fixture
def keyed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("POSTWARDEN_ROSTER_KEY", KEY.decode())
    get_settings.cache_clear()
    with Session(settings.engine) as s, s.begin():
        crud.get_or_create_school(s, name="Oakfield Primary School")
        crud.get_or_create_school(s, name="Riverside Academy")
    return get_settings()


def _digests(cfg: Settings, school: str) -> list[RosterDigest]:
    with Session(cfg.engine) as s:
        school_id = crud.get_or_create_school(s, name=school).id
        return list(s.exec(select(RosterDigest).where(RosterDigest.school_id == school_id)).all())


def test_cli_import_stores_only_digests_and_replaces_on_reimport(
    keyed: Settings, tmp_path: Path
) -> None:
    roster = tmp_path / "sims.csv"
    roster.write_text(SIMS, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["roster", "import", str(roster), "--school", "Oakfield Primary School"]
    )
    assert result.exit_code == 0, result.output
    assert "3 pupil(s) kept, 2 row(s) skipped" in result.output
    assert "row 4: no surname" in result.output
    first = _digests(keyed, "Oakfield Primary School")
    assert len(first) > 10
    # Nothing reversible in any table: no name, UPN or key appears anywhere in the database.
    engine = keyed.engine
    with engine.connect() as conn:
        dump = " ".join(
            str(row)
            for table in ("roster_digest", "roster_import")
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")).all()
        ).lower()
    for secret in ("thompson", "lily", "bennett", "w301001234567", KEY.decode().lower()):
        assert secret not in dump
    assert "thompson" not in result.output.lower()

    roster.write_text("Forename,Surname\nHarry,Finch\n", encoding="utf-8")
    again = CliRunner().invoke(
        app, ["roster", "import", str(roster), "--school", "Oakfield Primary School"]
    )
    assert again.exit_code == 0, again.output
    second = _digests(keyed, "Oakfield Primary School")
    assert {d.digest for d in second}.isdisjoint({d.digest for d in first})
    assert _digests(keyed, "Riverside Academy") == []
    with Session(engine) as s:
        (record,) = s.exec(select(RosterImport)).all()
        assert (record.pupils_kept, record.rows_rejected) == (1, 0)


def test_cli_import_needs_the_key_and_a_known_school(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(SIMS, encoding="utf-8")
    monkeypatch.delenv("POSTWARDEN_ROSTER_KEY", raising=False)
    get_settings.cache_clear()
    no_key = CliRunner().invoke(app, ["roster", "import", str(roster), "--school", "X"])
    assert no_key.exit_code == 2 and "POSTWARDEN_ROSTER_KEY" in no_key.output
    monkeypatch.setenv("POSTWARDEN_ROSTER_KEY", "short")
    get_settings.cache_clear()
    short = CliRunner().invoke(app, ["roster", "import", str(roster), "--school", "X"])
    assert short.exit_code == 2 and "at least 16" in short.output and "short" not in short.output
    monkeypatch.setenv("POSTWARDEN_ROSTER_KEY", KEY.decode())
    get_settings.cache_clear()
    unknown = CliRunner().invoke(app, ["roster", "import", str(roster), "--school", "Nowhere"])
    assert unknown.exit_code == 2 and "no school named" in unknown.output


def test_a_file_with_no_usable_rows_leaves_the_roster_alone(
    keyed: Settings, tmp_path: Path
) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(SIMS, encoding="utf-8")
    runner = CliRunner()
    runner.invoke(app, ["roster", "import", str(roster), "--school", "Oakfield Primary School"])
    before = _digests(keyed, "Oakfield Primary School")
    roster.write_text("Forename,Surname\n,\nR2D2,\n", encoding="utf-8")
    bad = runner.invoke(
        app, ["roster", "import", str(roster), "--school", "Oakfield Primary School"]
    )
    assert bad.exit_code == 2 and "unchanged" in bad.output
    assert _digests(keyed, "Oakfield Primary School") == before


def test_knowledge_loads_the_schools_roster_staff_and_allowlist(
    keyed: Settings, session: Session
) -> None:
    school = crud.get_or_create_school(session, name="Oakfield Primary School")
    other = crud.get_or_create_school(session, name="Riverside Academy")
    parsed = read_roster(SIMS.encode(), KEY)
    knowledge.import_roster(
        session,
        school_id=school.id,  # type: ignore[arg-type]
        parsed=parsed,
        key=KEY,
    )
    from storage.models import AccountKind, Platform, Role

    crud.create_person(session, name="Helen Marsh", role=Role.HEADTEACHER, school_id=school.id)
    crud.create_person(session, name="Dana Okafor", role=Role.IT_DIRECTOR)
    crud.create_person(session, name="James Ward", role=Role.HEADTEACHER, school_id=other.id)
    account = crud.create_account(
        session,
        platform=Platform.X,
        external_id="1",
        handle="OakfieldPrimary",
        kind=AccountKind.OFFICIAL,
        conn_id="c",
        school_id=school.id,
    )
    knowledge.allowlist_phrase(
        session,
        account_id=account.id,  # type: ignore[arg-type]
        finding_type="PERSON",
        phrase="Mrs Patel",
        key=KEY,
    )
    session.commit()
    load = database_loader(session.get_bind(), KEY)  # type: ignore[arg-type]
    here, there = DetectionContext(account_id=account.id), DetectionContext(school_id=other.id)
    known = load([here])[here]
    assert known.on_roster("name", "lily mae thompson")
    assert not known.on_roster("name", "james ward")
    assert known.staff_names == {"helen marsh", "dana okafor"}  # not the other school's head
    assert known.allows("PERSON", "mrs  PATEL") and not known.allows("PHONE_NUMBER", "Mrs Patel")
    elsewhere = load([there])[there]
    assert elsewhere.roster == {} and elsewhere.allowlist == frozenset()
