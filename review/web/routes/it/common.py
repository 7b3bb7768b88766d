"""What the IT pages share: a redirect with a message, and objects by id or 404."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import SQLModel

from review.web.deps import Db, flash
from review.web.security import MAX_ID, valid_id
from storage.models import Account, Person

Text = Annotated[str, Form(max_length=320)]
T = TypeVar("T", bound=SQLModel)


def back(request: Request, path: str, message: str, kind: str = "ok") -> Response:
    flash(request, message, kind)
    return RedirectResponse(path, status_code=303)


def person_or_404(db: Db, person_id: int) -> Person:
    person = db.get(Person, valid_id(person_id))
    if person is None:
        raise HTTPException(404, "No such person.")
    return person


def account_or_404(db: Db, account_id: int) -> Account:
    account = db.get(Account, valid_id(account_id))
    if account is None:
        raise HTTPException(404, "No such account.")
    return account


def known(db: Db, model: type[T], object_id: int | None) -> T | None:
    """The object a form names by id, or None (an id out of range names nothing)."""
    if object_id is None or not 1 <= object_id <= MAX_ID:
        return None
    return db.get(model, object_id)
