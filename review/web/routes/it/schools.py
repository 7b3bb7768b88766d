"""IT: the trust's schools."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import col, select

from review.web.deps import Db, ItUser, commit_audited
from review.web.deps import render as page
from review.web.routes.it.common import back
from storage import crud
from storage.models import School

router = APIRouter()


@router.get("/schools")
def schools(request: Request, db: Db, user: ItUser) -> Response:
    rows = db.exec(select(School).order_by(col(School.name))).all()
    return page(request, "it_schools.html", {"schools": rows})


@router.post("/schools")
def add_school(
    request: Request,
    db: Db,
    user: ItUser,
    name: Annotated[str, Form(min_length=2, max_length=200)],
    urn: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    school = crud.get_or_create_school(db, name=name.strip(), urn=urn.strip() or None)
    commit_audited(db, actor=user, action="school_added", object_type="school", object_id=school.id)
    return back(request, "/it/schools", f"School saved: {school.name}.")
