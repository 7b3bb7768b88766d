"""IT: a school's pupil roster from an MIS export (names hashed in memory, never stored)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import col, select

from detectors.roster import RosterFileError, read_roster
from review.domain import knowledge
from review.web.deps import Cfg, Db, ItUser, commit_audited, roster_key
from review.web.deps import render as page
from review.web.routes.it.common import back, known
from storage import detector_crud
from storage.detector_models import RosterImport
from storage.models import School

router = APIRouter()

ROSTER_MAX_BYTES = 10 * 1024 * 1024


def _roster_status(db: Db, key: bytes | None) -> list[tuple[School, RosterImport | None, bool]]:
    out = []
    for school in db.exec(select(School).order_by(col(School.name))).all():
        record = detector_crud.roster_import_for(db, school_id=school.id)  # type: ignore[arg-type]
        out.append((school, record, knowledge.roster_is_stale(record, key)))
    return out


@router.get("/roster")
def roster(request: Request, db: Db, user: ItUser, settings: Cfg) -> Response:
    key, problem = roster_key(settings)
    return page(
        request,
        "it_roster.html",
        {"status": _roster_status(db, key), "key_problem": problem, "result": None},
    )


@router.post("/roster")
async def roster_import(
    request: Request,
    db: Db,
    user: ItUser,
    settings: Cfg,
    school_id: Annotated[int, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Replace a school's roster from an MIS export. Names are hashed in memory and never stored,
    logged or shown; problems are reported by row number only."""
    key, problem = roster_key(settings)
    school = known(db, School, school_id)
    if school is None:
        raise HTTPException(422, "Unknown school.")
    if key is None:
        return back(request, "/it/roster", problem or "No roster key.", "error")
    data = await file.read(ROSTER_MAX_BYTES + 1)
    if len(data) > ROSTER_MAX_BYTES:
        return back(request, "/it/roster", "That file is larger than 10 MB.", "error")
    try:
        parsed = read_roster(data, key)
    except RosterFileError as exc:
        return back(request, "/it/roster", f"The file could not be read: {exc}.", "error")
    try:
        outcome = knowledge.import_roster(db, school_id=school_id, parsed=parsed, key=key)
    except ValueError:
        return back(
            request,
            "/it/roster",
            "No usable pupil rows: the existing roster is unchanged.",
            "error",
        )
    record, rejected = outcome.record, outcome.rejected
    commit_audited(
        db,
        actor=user,
        action="roster_imported",
        object_type="school",
        object_id=school_id,
        detail=f"{record.pupils_kept} pupils, {rejected} rows skipped",
    )
    return page(
        request,
        "it_roster.html",
        {
            "status": _roster_status(db, key),
            "key_problem": None,
            "result": {
                "school": school.name,
                "kept": record.pupils_kept,
                "skipped": rejected,
                "digests": record.digests,
                "problems": [str(p) for p in parsed.problems[:50]],
                "more": max(0, len(parsed.problems) - 50),
            },
        },
    )
