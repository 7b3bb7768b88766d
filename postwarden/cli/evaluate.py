"""`postwarden eval`: the detector stack's figures on a labelled file (`detectors.evaluation`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from core.findings import Severity
from detectors.evaluation import EvalFormat, LabelledDataError, evaluate_file, print_report
from postwarden.settings import get_settings


def eval_command(
    input: Annotated[Path, typer.Option("--input", help="labelled JSONL file")],
    format: Annotated[
        EvalFormat | None, typer.Option("--format", help="default: guessed from the first line")
    ] = None,
    types: Annotated[
        str | None,
        typer.Option(help="comma-separated finding types to score (classification: positives)"),
    ] = None,
    json_output: Annotated[
        Path | None, typer.Option("--json", help="also write the figures as JSON here")
    ] = None,
    min_severity: Annotated[
        Severity | None,
        typer.Option(
            help="ignore findings below this severity (default: medium for the policy "
            "sections schema, as the acceptance check; low otherwise)"
        ),
    ] = None,
) -> None:
    """Precision/recall/F1 of every detector on a labelled file, per type and per section."""
    from detectors.stack import DetectorStack

    type_list = [t.strip() for t in types.split(",") if t.strip()] if types else None
    try:
        stack = DetectorStack.build(get_settings().detection)
        report = evaluate_file(
            input, stack.detect_many, fmt=format, types=type_list, min_severity=min_severity
        )
    except (LabelledDataError, OSError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from None
    print_report(report)
    if json_output is not None:
        json_output.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
