"""`postwarden eval`: the scoring arithmetic on hand-made cases, clear errors on bad files, and
the real stack on the seed-policy corpus (eval/seed/seed_policy.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.findings import Finding, Severity
from detectors.config import StackConfig
from detectors.evaluation import (
    FLAGGED,
    EvalFormat,
    LabelledDataError,
    evaluate_classification,
    evaluate_file,
    evaluate_ner,
    evaluate_policy,
    guess_format,
    read_labelled,
)
from detectors.stack import DetectorStack
from postwarden.cli.main import app

SEED = Path(__file__).resolve().parents[2] / "eval" / "seed" / "seed_policy.jsonl"
runner = CliRunner()


@pytest.fixture(scope="module")
def stack() -> DetectorStack:
    """The production stack on the default settings, ignoring any local .env."""
    return DetectorStack.build(StackConfig())


def f(kind: str, start: int, end: int, section: str = "8.4", sev: Severity = Severity.MEDIUM):
    return Finding(kind, start, end, 0.9, section, sev, "why", "test")


def write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_ner_token_overlap_leaves_handles_out() -> None:
    text = "@ann_b met John Smith in Leeds"
    record = {
        "_line": 1,
        "text": text,
        "tokens": text.split(" "),
        "spans": [
            {"start": 0, "end": 6, "label": "PERSON", "mention": True},
            {"start": 11, "end": 21, "label": "PERSON", "mention": False},
            {"start": 25, "end": 30, "label": "LOCATION", "mention": False},
        ],
    }
    # Handle predicted (ignored), "John" right, "met" wrong, "Smith" missed; Leeds missed.
    predicted = [f("PERSON", 0, 6), f("PERSON", 7, 15)]
    report = evaluate_ner([record], [predicted])
    person = report.tables["token overlap"]["PERSON"]
    assert (person.tp, person.fp, person.fn) == (1, 1, 1)
    location = report.tables["token overlap"]["LOCATION"]
    assert (location.tp, location.fp, location.fn) == (0, 0, 1)
    assert report.tables["post level"]["PERSON"].tp == 1


def test_classification_reports_macro_f1() -> None:
    records = [{"_line": i, "text": "x", "label": label} for i, label in enumerate([1, 1, 0, 0])]
    hit = [f("OFFENSIVE", 0, 1, "8.15")]
    report = evaluate_classification(records, [hit, [], hit, []])
    positive = report.tables["class 1 (positive)"]["OFFENSIVE"]
    assert (positive.tp, positive.fp, positive.fn) == (1, 1, 1)
    assert report.extra["macro_f1"] == 0.5


def test_policy_scores_post_and_span_level_per_type_and_section() -> None:
    records = [
        {
            "_line": 1,
            "text": "aaaa bbbb",
            "findings": [{"type": "SUPPLIER", "section": "8.13", "start": 0, "end": 4}],
        },
        {"_line": 2, "text": "cccc dddd", "findings": [{"type": "OFFENSIVE", "section": "8.15"}]},
        {"_line": 3, "text": "clean post", "findings": []},
    ]
    predicted = [
        [f("SUPPLIER", 5, 9, "8.13")],  # right post, wrong span
        [f("OFFENSIVE", 0, 4, "8.15"), f("PERSON", 0, 4)],  # no expected span: post level only
        [f("OFFENSIVE", 0, 5, "8.15")],  # a clean post flagged
    ]
    report = evaluate_policy(records, predicted)
    post = report.tables["post level by type"]
    assert (post["SUPPLIER"].tp, post["SUPPLIER"].fp, post["SUPPLIER"].fn) == (1, 0, 0)
    assert (post["OFFENSIVE"].tp, post["OFFENSIVE"].fp) == (1, 1)
    assert (post[FLAGGED].tp, post[FLAGGED].fp, post[FLAGGED].fn) == (2, 1, 0)
    span = report.tables["span level by type"]
    assert (span["SUPPLIER"].tp, span["SUPPLIER"].fp, span["SUPPLIER"].fn) == (0, 1, 1)
    assert (span["OFFENSIVE"].tp, span["OFFENSIVE"].fp) == (0, 1)  # only the clean post counts
    assert report.tables["post level by section"]["8.15"].tp == 1
    assert report.extra["unscored_predicted_types"] == {"PERSON": 1}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('{"id": 1, "text": "a", "label": 1}\nnot json\n', "line 2: not valid JSON"),
        ('{"id": 1, "label": 1}\n', 'line 1: needs an object with a "text"'),
        ("\n\n", "no labelled posts"),
    ],
)
def test_bad_files_name_the_line(tmp_path: Path, lines: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(lines, encoding="utf-8")
    with pytest.raises(LabelledDataError, match=message):
        read_labelled(path)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"text": "abc", "label": 2}, '"label" must be 0 or 1'),
        ({"text": "abc", "findings": [{"type": "X"}]}, 'needs a "section"'),
        (
            {"text": "abc", "findings": [{"type": "X", "section": "8.9", "start": 1, "end": 9}]},
            "outside the text",
        ),
        (
            {"text": "abc", "findings": [{"type": "X", "section": "8.9", "start": 1}]},
            "must both be integers",
        ),
    ],
)
def test_bad_labels_name_the_line_and_field(tmp_path: Path, row: dict, message: str) -> None:
    path = write(tmp_path, [row])
    with pytest.raises(LabelledDataError, match=message):
        evaluate_file(path, lambda texts: [[] for _ in texts])


def test_format_is_guessed_from_the_first_line() -> None:
    assert guess_format({"text": "", "tokens": [], "spans": []}) is EvalFormat.NER
    assert guess_format({"text": "", "label": 0}) is EvalFormat.CLASSIFICATION
    assert guess_format({"text": "", "findings": []}) is EvalFormat.POLICY
    with pytest.raises(LabelledDataError, match="--format"):
        guess_format({"text": ""})


def test_min_severity_drops_low_findings(tmp_path: Path) -> None:
    path = write(tmp_path, [{"text": "abc", "label": 1}])
    low = [[f("OFFENSIVE", 0, 1, "8.15", Severity.LOW)]]
    report = evaluate_file(path, lambda _: low, min_severity=Severity.MEDIUM)
    assert report.tables["class 1 (positive)"]["OFFENSIVE"].fn == 1


def test_cli_prints_tables_and_writes_json(tmp_path: Path, stack: DetectorStack) -> None:
    path = write(
        tmp_path,
        [
            {
                "id": "1",
                "text": "Avoid Chartwells, dinners are inedible",
                "findings": [{"type": "SUPPLIER", "section": "8.13", "start": 6, "end": 16}],
            },
            {"id": "2", "text": "Lovely sports day today", "findings": []},
        ],
    )
    out = tmp_path / "figures.json"
    result = runner.invoke(app, ["eval", "--input", str(path), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "span level by section" in result.output and "8.13" in result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["tables"]["span level by type"]["SUPPLIER"]["f1"] == 1.0


def test_cli_reports_a_bad_file_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("nope\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "--input", str(path)])
    assert result.exit_code == 2
    assert "line 1: not valid JSON" in result.output


def test_seed_corpus_through_the_real_stack(stack: DetectorStack) -> None:
    """Regression floors for the policy sections on the seed corpus (figures in docs), scored as
    the acceptance check does: recall per section, and clean posts left alone (FLAGGED
    precision). The seed corpus labels one section per post, so the section classifier's second,
    related section (8.15 beside an 8.10 insult) is not a false alarm on a clean post."""
    report = evaluate_file(SEED, stack.detect_many, min_severity=Severity.MEDIUM)
    sections = report.tables["post level by section"]
    for section in ("8.4", "8.5", "8.9", "8.10", "8.11", "8.13", "8.14", "8.15", "8.16", "10"):
        assert sections[section].recall >= 0.8, (section, sections[section].as_dict())
    flagged = report.tables["post level by type"][FLAGGED]
    assert flagged.precision >= 0.95 and flagged.recall >= 0.9, flagged.as_dict()


def _sev(kind: str, section: str, severity: Severity) -> Finding:
    return Finding(kind, 0, 1, 0.9, section, severity, "why", "t")


def test_sections_schema_scores_as_the_acceptance_check(tmp_path: Path) -> None:
    """A section counts only at medium+; 8.7 also satisfies 10; clean posts flagged at medium+."""
    rows = [
        {"text": "a", "sections": ["8.4", "10"]},
        {"text": "b", "sections": ["8.13"]},
        {"text": "c", "sections": []},
        {"text": "d", "sections": []},
        {"text": "e", "sections": ["8.4"]},
    ]
    found = {
        "a": [_sev("PUPIL", "8.4", Severity.HIGH), _sev("PHONE_NUMBER", "8.7", Severity.MEDIUM)],
        "b": [_sev("SUPPLIER", "8.13", Severity.LOW)],  # below the review threshold: missed
        "c": [_sev("PERSON", "8.4", Severity.LOW)],  # low: not flagged
        "d": [_sev("OFFENSIVE", "8.15", Severity.MEDIUM)],  # a clean post flagged
        "e": [_sev("PUPIL", "8.5", Severity.HIGH)],  # wrong section: 8.4 missed
    }
    path = write(tmp_path, rows)
    report = evaluate_file(path, lambda texts: [found[t] for t in texts])
    assert report.extra["min_severity"] == "medium"
    assert report.extra["recall_by_section"] == {"8.4": 0.5, "8.13": 0.0, "10": 1.0}
    assert report.extra["macro_recall"] == 0.5
    assert (report.extra["clean_posts"], report.extra["clean_flagged"]) == (2, 0.5)
    low = evaluate_file(path, lambda texts: [found[t] for t in texts], min_severity=Severity.LOW)
    assert low.extra["recall_by_section"]["8.13"] == 1.0
    assert low.extra["clean_flagged"] == 1.0


def test_sections_must_be_a_list_of_strings(tmp_path: Path) -> None:
    path = write(tmp_path, [{"text": "a", "sections": "8.4"}])
    with pytest.raises(LabelledDataError, match='"sections" must be a list'):
        evaluate_file(path, lambda texts: [[] for _ in texts])
