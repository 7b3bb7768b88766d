"""Precision, recall and F1 of the detector stack on labelled posts.

Three labelled formats, one JSON object per line (the format is guessed from the first line
unless `--format` says):

- ner (WNUT-17, BTC; see shared/eval/README.md): `{"id", "text", "tokens", "spans": [{"start",
  "end", "label", "mention"}]}`. Scored per entity type (PERSON, LOCATION) by token overlap: a
  gold token is found when a predicted span of that type overlaps it, a predicted token is right
  when it is inside a gold span of that type. Tokens of @handle spans (`mention: true`) are left
  out of both sides, as in the reference figures ("names, not handles"). Micro-averaged over the
  corpus, plus post level (does the post contain the type at all).
- classification (TweetEval): `{"id", "text", "label": 0|1}`. A post is predicted 1 when the
  stack returns any finding of `--types` (default OFFENSIVE; use DISCRIMINATORY for HatEval).
  Reports the positive class and macro-F1, the figure TweetEval publishes.
- policy, sections schema (../shared/eval/dev/policy_dev.jsonl, the acceptance check):
  `{"id", "text", "sections": ["8.4", ...]}`, `[]` for a clean post. A section is caught only
  when a finding at `medium` or above cites it (a finding citing 8.7, data protection, also
  satisfies 10, security). Reports recall per section, macro recall over the sections the file
  labels, and the share of clean posts flagged (any finding at `medium`+).
- policy, findings schema (Postwarden's seed corpus, eval/seed/): `{"id", "text", "findings":
  [{"type", "section", "start"?, "end"?}]}`, an empty list for a clean post. Scored per type and per
  section at post level (is the type/section flagged) and at span level (a predicted span of
  the right type overlapping an expected one; posts whose expectation of a type has no span are
  left out of that type's span score). Scored types are those the corpus expects somewhere,
  unless `--types` names others; a FLAGGED row says whether posts were flagged at all.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from core.findings import Finding, Severity
from core.sections import Section, sort_key

DetectMany = Callable[[Sequence[str]], list[list[Finding]]]
FLAGGED = "FLAGGED"
DEFAULT_CLASSIFICATION_TYPES = ("OFFENSIVE",)
NER_TYPES = ("PERSON", "LOCATION")
_BATCH = 256


class EvalFormat(StrEnum):
    NER = "ner"
    CLASSIFICATION = "classification"
    POLICY = "policy"


class LabelledDataError(ValueError):
    """A labelled file that cannot be scored; the message names the line and the field."""


@dataclass
class Counts:
    """True positives, false positives and false negatives, with the usual ratios."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: bool, expected: bool) -> None:
        if predicted and expected:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif expected:
            self.fn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class Report:
    """Named tables of Counts (e.g. "post level by type" -> {"PERSON": Counts}) and extras."""

    format: EvalFormat
    posts: int
    tables: dict[str, dict[str, Counts]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> dict[str, Counts]:
        return self.tables.setdefault(name, defaultdict(Counts))

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": str(self.format),
            "posts": self.posts,
            "tables": {
                name: {key: c.as_dict() for key, c in sorted(rows.items(), key=_row_key)}
                for name, rows in self.tables.items()
            },
            **self.extra,
        }


# ---------------------------------------------------------------- reading labelled files


def read_labelled(path: Path) -> list[dict[str, Any]]:
    """Every non-blank line as a JSON object; a bad line is an error naming its number."""
    records = []
    with path.open("r", encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelledDataError(
                    f"{path}: line {lineno}: not valid JSON ({exc.msg})"
                ) from None
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise LabelledDataError(
                    f'{path}: line {lineno}: needs an object with a "text" string'
                )
            obj["_line"] = lineno
            records.append(obj)
    if not records:
        raise LabelledDataError(f"{path}: no labelled posts")
    return records


def guess_format(record: dict[str, Any]) -> EvalFormat:
    if "tokens" in record and "spans" in record:
        return EvalFormat.NER
    if "label" in record:
        return EvalFormat.CLASSIFICATION
    if "findings" in record or "sections" in record:
        return EvalFormat.POLICY
    raise LabelledDataError(
        'cannot tell the format: expected "tokens"+"spans" (ner), "label" (classification) or '
        '"findings" (policy); pass --format'
    )


def _predict(detect_many: DetectMany, texts: Sequence[str]) -> list[list[Finding]]:
    out: list[list[Finding]] = []
    for i in range(0, len(texts), _BATCH):
        out.extend(detect_many(texts[i : i + _BATCH]))
    return out


# ---------------------------------------------------------------- NER


def token_offsets(text: str, tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Character span of each token in `text` (tokens appear in order, separated by spaces)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for token in tokens:
        at = text.find(token, pos)
        if at < 0:
            raise LabelledDataError(f"token {len(spans) + 1} is not in the text")
        spans.append((at, at + len(token)))
        pos = at + len(token)
    return spans


def _covered(tokens: list[tuple[int, int]], spans: Iterable[tuple[int, int]]) -> set[int]:
    return {i for i, (a, b) in enumerate(tokens) for s, e in spans if a < e and s < b}


def _gold(record: dict[str, Any]) -> tuple[list[tuple[int, int]], list[tuple[int, int, str, bool]]]:
    try:
        tokens = token_offsets(record["text"], record["tokens"])
        gold = [(s["start"], s["end"], s["label"], bool(s.get("mention"))) for s in record["spans"]]
    except (KeyError, TypeError) as exc:
        raise LabelledDataError(f"line {record.get('_line')}: bad NER record ({exc})") from None
    except LabelledDataError as exc:
        raise LabelledDataError(f"line {record.get('_line')}: {exc}") from None
    return tokens, gold


def _token_counts(
    tokens: list[tuple[int, int]],
    gold: list[tuple[int, int, str, bool]],
    predicted: Iterable[tuple[int, int]],
    kind: str,
    counts: Counts,
) -> tuple[set[int], set[int]]:
    """Add one post's token-overlap counts for `kind`; (predicted tokens, gold name tokens)."""
    names = _covered(tokens, [(s, e) for s, e, lab, m in gold if lab == kind and not m])
    handles = _covered(tokens, [(s, e) for s, e, lab, m in gold if lab == kind and m])
    pred = _covered(tokens, predicted) - handles
    counts.tp += len(pred & names)
    counts.fp += len(pred - names)
    counts.fn += len(names - pred)
    return pred, names


def person_token_counts(
    record: dict[str, Any], predicted: Iterable[tuple[int, int]], counts: Counts
) -> Counts:
    """Add one labelled post's PERSON token-overlap counts (the training scripts' measure)."""
    tokens, gold = _gold(record)
    _token_counts(tokens, gold, predicted, "PERSON", counts)
    return counts


def evaluate_ner(
    records: Sequence[dict[str, Any]], predictions: Sequence[Sequence[Finding]]
) -> Report:
    report = Report(EvalFormat.NER, len(records))
    tokens_table, posts_table = report.table("token overlap"), report.table("post level")
    for record, found in zip(records, predictions, strict=True):
        tokens, gold = _gold(record)
        for kind in NER_TYPES:
            spans = [(f.start, f.end) for f in found if f.type == kind]
            pred, names = _token_counts(tokens, gold, spans, kind, tokens_table[kind])
            posts_table[kind].add(bool(pred), bool(names))
    return report


# ---------------------------------------------------------------- classification


def evaluate_classification(
    records: Sequence[dict[str, Any]],
    predictions: Sequence[Sequence[Finding]],
    types: Sequence[str] = DEFAULT_CLASSIFICATION_TYPES,
) -> Report:
    report = Report(EvalFormat.CLASSIFICATION, len(records))
    wanted = set(types)
    positive, negative = report.table("class 1 (positive)"), report.table("class 0 (negative)")
    by_type = report.table("post level by type")
    key = "+".join(types)
    for record, found in zip(records, predictions, strict=True):
        label = record.get("label")
        if label not in (0, 1) or isinstance(label, bool):
            raise LabelledDataError(f'line {record["_line"]}: "label" must be 0 or 1')
        hit = any(f.type in wanted for f in found)
        positive[key].add(hit, label == 1)
        negative[key].add(not hit, label == 0)
        for kind in types:
            by_type[kind].add(any(f.type == kind for f in found), label == 1)
    macro = (positive[key].f1 + negative[key].f1) / 2
    report.extra["types"] = list(types)
    report.extra["macro_f1"] = round(macro, 4)
    return report


# ---------------------------------------------------------------- policy seed corpus


@dataclass(frozen=True, slots=True)
class Expected:
    type: str
    section: str
    span: tuple[int, int] | None


def _expected(record: dict[str, Any]) -> list[Expected]:
    items = record.get("findings")
    if not isinstance(items, list):
        raise LabelledDataError(f'line {record["_line"]}: "findings" must be a list')
    out = []
    for n, item in enumerate(items, start=1):
        where = f"line {record['_line']}: findings[{n}]"
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise LabelledDataError(f'{where}: needs a "type" string')
        if not isinstance(item.get("section"), str):
            raise LabelledDataError(f'{where}: needs a "section" string')
        span = None
        if "start" in item or "end" in item:
            start, end = item.get("start"), item.get("end")
            if not (isinstance(start, int) and isinstance(end, int)):
                raise LabelledDataError(f'{where}: "start" and "end" must both be integers')
            if not 0 <= start < end <= len(record["text"]):
                raise LabelledDataError(f"{where}: span {start}-{end} is outside the text")
            span = (start, end)
        out.append(Expected(item["type"], item["section"], span))
    return out


def evaluate_policy(
    records: Sequence[dict[str, Any]],
    predictions: Sequence[Sequence[Finding]],
    types: Sequence[str] | None = None,
) -> Report:
    report = Report(EvalFormat.POLICY, len(records))
    expectations = [_expected(r) for r in records]
    scored = set(types) if types else {e.type for exp in expectations for e in exp}
    sections = {e.section for exp in expectations for e in exp if e.type in scored}
    post_type, post_section = (
        report.table("post level by type"),
        report.table("post level by section"),
    )
    span_type, span_section = (
        report.table("span level by type"),
        report.table("span level by section"),
    )
    unscored: Counter[str] = Counter()
    for exp, found in zip(expectations, predictions, strict=True):
        exp = [e for e in exp if e.type in scored]
        pred = [f for f in found if f.type in scored]
        unscored.update(f.type for f in found if f.type not in scored)
        post_type[FLAGGED].add(bool(pred), bool(exp))
        for kind in scored:
            post_type[kind].add(any(f.type == kind for f in pred), any(e.type == kind for e in exp))
        for section in sections:
            post_section[section].add(
                any(f.section == section for f in pred), any(e.section == section for e in exp)
            )
        for kind in scored:
            mine = [e for e in exp if e.type == kind]
            if any(e.span is None for e in mine):
                continue
            theirs = [f for f in pred if f.type == kind]
            section = mine[0].section if mine else (theirs[0].section if theirs else "")
            for table, row in ((span_type, kind), (span_section, section)):
                if not row:
                    continue
                _match_spans(table[row], [e.span for e in mine if e.span], theirs)
    report.extra["unscored_predicted_types"] = dict(sorted(unscored.items()))
    return report


# A finding citing the first also satisfies the second (data protection covers security).
ALSO_SATISFIES: dict[str, str] = {Section.DATA_PROTECTION.value: Section.SECURITY.value}
SECTIONS_FLOOR = Severity.MEDIUM


def _labelled_sections(record: dict[str, Any]) -> set[str]:
    sections = record.get("sections")
    if not isinstance(sections, list) or not all(isinstance(x, str) for x in sections):
        raise LabelledDataError(f'line {record["_line"]}: "sections" must be a list of strings')
    return set(sections)


def evaluate_sections(
    records: Sequence[dict[str, Any]], predictions: Sequence[Sequence[Finding]]
) -> Report:
    """The acceptance check: per-section recall at `medium`+ and the clean posts flagged.

    `predictions` must already be cut at the review threshold (evaluate_file does it).
    """
    report = Report(EvalFormat.POLICY, len(records))
    by_section = report.table("post level by section")
    expected = [_labelled_sections(r) for r in records]
    labelled = sorted({s for exp in expected for s in exp}, key=sort_key)
    clean = flagged_clean = 0
    for exp, found in zip(expected, predictions, strict=True):
        cited = {f.section for f in found}
        cited |= {ALSO_SATISFIES[c] for c in cited if c in ALSO_SATISFIES}
        for section in labelled:
            by_section[section].add(section in cited, section in exp)
        if not exp:
            clean += 1
            flagged_clean += bool(found)
    recalls = {s: by_section[s].recall for s in labelled}
    report.extra["recall_by_section"] = {s: round(r, 4) for s, r in recalls.items()}
    report.extra["macro_recall"] = (
        round(sum(recalls.values()) / len(recalls), 4) if recalls else 0.0
    )
    report.extra["clean_posts"] = clean
    report.extra["clean_flagged"] = round(flagged_clean / clean, 4) if clean else 0.0
    return report


def _match_spans(counts: Counts, expected: list[tuple[int, int]], found: list[Finding]) -> None:
    """Greedy one-to-one matching of overlapping spans."""
    free = list(expected)
    for f in sorted(found, key=lambda f: (f.start, f.end)):
        hit = next((e for e in free if f.start < e[1] and e[0] < f.end), None)
        if hit is None:
            counts.fp += 1
        else:
            counts.tp += 1
            free.remove(hit)
    counts.fn += len(free)


# ---------------------------------------------------------------- running and printing


def evaluate_file(
    path: Path,
    detect_many: DetectMany,
    *,
    fmt: EvalFormat | None = None,
    types: Sequence[str] | None = None,
    min_severity: Severity | None = None,
) -> Report:
    """Score the stack (`detect_many`) on the labelled posts in `path`.

    Findings below `min_severity` are dropped first (MEDIUM = what opens review items by default;
    the default is MEDIUM for the policy sections schema, as the acceptance check, else LOW).
    """
    records = read_labelled(path)
    fmt = fmt or guess_format(records[0])
    by_sections = fmt is EvalFormat.POLICY and "sections" in records[0]
    if min_severity is None:
        min_severity = SECTIONS_FLOOR if by_sections else Severity.LOW
    predictions = [
        [f for f in found if f.severity.rank >= min_severity.rank]
        for found in _predict(detect_many, [r["text"] for r in records])
    ]
    if fmt is EvalFormat.NER:
        report = evaluate_ner(records, predictions)
    elif fmt is EvalFormat.CLASSIFICATION:
        report = evaluate_classification(
            records, predictions, types or DEFAULT_CLASSIFICATION_TYPES
        )
    elif by_sections:
        report = evaluate_sections(records, predictions)
    else:
        report = evaluate_policy(records, predictions, types)
    report.extra["min_severity"] = str(min_severity)
    return report


def print_report(report: Report, out: TextIO | None = None) -> None:
    """The report's tables as text (stdout by default, looked up at call time)."""
    out = out or sys.stdout
    floor = report.extra.get("min_severity", "low")
    out.write(f"{report.posts} posts, format {report.format}, findings at or above {floor}\n")
    for name, rows in report.tables.items():
        out.write(f"\n{name}\n")
        out.write(f"  {'':24} {'P':>6} {'R':>6} {'F1':>6} {'TP':>6} {'FP':>6} {'FN':>6}\n")
        for key, c in sorted(rows.items(), key=_row_key):
            out.write(
                f"  {key:24} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} "
                f"{c.tp:6d} {c.fp:6d} {c.fn:6d}\n"
            )
    if "macro_f1" in report.extra:
        out.write(
            f"\nmacro-F1 ({'+'.join(report.extra['types'])}): {report.extra['macro_f1']:.3f}\n"
        )
    if "macro_recall" in report.extra:
        out.write(
            f"\nmacro recall over {len(report.extra['recall_by_section'])} sections: "
            f"{report.extra['macro_recall']:.3f}; clean posts flagged: "
            f"{report.extra['clean_flagged']:.3f} of {report.extra['clean_posts']}\n"
        )
    if report.extra.get("unscored_predicted_types"):
        listed = ", ".join(f"{k} {v}" for k, v in report.extra["unscored_predicted_types"].items())
        out.write(f"\nother findings (not scored): {listed}\n")


def _row_key(item: tuple[str, Counts]) -> tuple[int, tuple[int, ...], str]:
    key = item[0]
    if key == FLAGGED:
        return (0, (), key)
    parts = key.split(".")
    if all(p.isdigit() for p in parts):
        return (1, tuple(int(p) for p in parts), key)
    return (2, (), key)
