"""Misuse reports and appeals over the API, open to anyone: `POST /v1/reports` (a reference
comes back), `GET /v1/reports/{reference}`, `POST /v1/appeals` with the token from an action's
notice, and `GET /v1/appeals/{token}`. Rate-limited per address like the public forms."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..review.appeals import AppealRefused, AppealTarget
from ..review.report_rules import MAX_CONTACT, MAX_CONTENT, MAX_DESCRIPTION, MAX_STATEMENT, MAX_TARGET, UNSURE, ReportIn
from ..review.reports import PublicStatus, RateLimited, ReportInvalid
from .errors import ApiError

router = APIRouter(tags=["reports and appeals"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportBody(_Body):
    target_kind: Literal["content", "conversation", "account"] = Field(..., description="what is reported")
    target: str = Field(..., min_length=1, max_length=MAX_TARGET, description="a link or an identifier")
    category: str = Field(UNSURE, max_length=100, description=f"a policy category id (GET /v1/policy), or '{UNSURE}'")
    description: str = Field("", max_length=MAX_DESCRIPTION)
    content: str = Field("", max_length=MAX_CONTENT, description="the content itself; personal data is masked before storage")
    contact: str = Field("", max_length=MAX_CONTACT, description="optional; stored encrypted")


class AppealBody(_Body):
    token: str = Field(..., min_length=1, max_length=80, description="the appeal token from the action's notice")
    statement: str = Field(..., min_length=1, max_length=MAX_STATEMENT, description="why the decision is wrong")
    contact: str = Field("", max_length=MAX_CONTACT)


def _status(status: PublicStatus) -> dict:
    return {"state": status.state, "message": status.message, "filed_at": status.filed_at.isoformat(),
            "decided_at": status.decided_at.isoformat() if status.decided_at else None}


def _appeal(target: AppealTarget) -> dict:
    return {"object": "appeal", "action": {"id": target.action_id, "kind": target.kind, "status": target.status,
                                           "in_force": target.in_force, "reason": target.reason},
            "appeal": _status(target.appeal) if target.appeal else None}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _rate_limited(exc: RateLimited) -> ApiError:
    err = ApiError(429, str(exc), code="rate_limited")
    err.headers = {"Retry-After": str(exc.retry_after)}
    return err


@router.post("/v1/reports", status_code=201, summary="Report misuse (no API key needed)")
async def file_report(request: Request, body: ReportBody) -> JSONResponse:
    report = ReportIn(body.target_kind, body.target, body.category, body.description, body.content, body.contact)
    try:
        filed = await run_in_threadpool(request.app.state.review.reports.file, report, _address(request))
    except ReportInvalid as exc:
        field, message = next(iter(exc.errors.items()))
        raise ApiError(400, message, param=field, code="invalid_value") from None
    except RateLimited as exc:
        raise _rate_limited(exc) from None
    return JSONResponse({"object": "report", "reference": filed.reference, "status": "received"}, status_code=201)


@router.get("/v1/reports/{reference}", summary="The status of a report, by its reference")
async def report_status(request: Request, reference: str) -> dict:
    found = await run_in_threadpool(request.app.state.review.reports.status, reference)
    if found is None:
        raise ApiError(404, "No report has this reference.", param="reference", code="not_found")
    return {"object": "report", "reference": reference, **_status(found[1])}


@router.post("/v1/appeals", status_code=201, summary="Appeal an action with the token from its notice")
async def file_appeal(request: Request, body: AppealBody) -> JSONResponse:
    appeals = request.app.state.review.appeals
    try:
        target = await run_in_threadpool(appeals.file, body.token, body.statement, body.contact, _address(request))
    except AppealRefused as exc:
        if exc.field == "token":
            raise ApiError(404, str(exc), param="token", code="not_found") from None
        raise ApiError(409 if exc.field is None else 400, str(exc), param=exc.field,
                       code="conflict" if exc.field is None else "invalid_value") from None
    except RateLimited as exc:
        raise _rate_limited(exc) from None
    return JSONResponse(_appeal(target), status_code=201)


@router.get("/v1/appeals/{token}", summary="An appealable action and the status of its appeal")
async def appeal_status(request: Request, token: str) -> dict:
    target = await run_in_threadpool(request.app.state.review.appeals.lookup, token)
    if target is None:
        raise ApiError(404, "This appeal token is not valid.", param="token", code="not_found")
    return _appeal(target)
