"""IT pages (Director of IT only), one module per job: schools, people (roles and log-ins),
connected accounts and their health, the pupil roster, and the audit log (read-only: no route
edits or deletes it). Every change goes through `deps.commit_audited`: made and on record, or
neither."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from review.web.deps import require_it
from review.web.routes.it import accounts, audit, people, roster, schools

# Every route under /it requires the Director of IT, whatever each handler asks for itself.
router = APIRouter(prefix="/it", dependencies=[Depends(require_it)])


@router.get("")
def it_home() -> Response:
    return RedirectResponse("/it/accounts", status_code=303)


for _module in (schools, people, accounts, roster, audit):
    router.include_router(_module.router)
