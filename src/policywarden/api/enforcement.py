"""The enforcement API: events from integrators that moderate elsewhere, standing checks,
and the operator's routes over subjects, actions, the audit log and retention."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..enforce.config import parse_duration
from ..enforce.standing import worst
from ..store import audit
from ..store.ledger import Hit, LedgerError, SubjectKey, ViolationReport
from .access import check_access, idempotency, parse_subject, project_for, require_admin
from .auth import authenticate
from .errors import ApiError

router = APIRouter(tags=["enforcement"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventIn(_Body):
    """A verdict reached elsewhere, to be recorded against an end user or a project."""

    user: str | None = Field(None, min_length=1, max_length=512, description="the integrator's end-user id (pseudonymised on arrival)")
    project: int | None = Field(None, description="the project; defaults to the key's own. Without `user`, the project itself is the subject")
    categories: list[str] = Field(..., min_length=1, max_length=64, description="policy category ids that were violated")
    scores: dict[str, float] = Field(default_factory=dict, description="optional score per category, 0-1")
    action: Literal["flag", "warn", "block", "escalate"] = "flag"
    surface: Literal["input", "output"] = "input"
    source: Literal["event", "report", "review"] = "event"
    content: str | None = Field(None, max_length=100_000, description="the content; only a masked, encrypted excerpt is kept")
    model: str | None = Field(None, max_length=100, description="the classifier that reached the verdict")


class Decision(_Body):
    actor: str = Field(..., min_length=8, max_length=120, description="the person deciding, as 'person:NAME'")
    reason: str = Field("", max_length=2000)


class ActIn(Decision):
    kind: Literal["warn", "restrict", "suspend", "terminate"]
    duration: str | None = Field(None, description="'24h', '7d'; none for no expiry")
    rate_limit_per_minute: int | None = Field(None, ge=0)
    blocked_features: list[str] = Field(default_factory=list)


class HoldIn(_Body):
    actor: str = Field(..., min_length=1, max_length=120)
    reason: str | None = Field(None, max_length=500, description="the hold's reason; null releases it")


def _ledger_error(exc: LedgerError) -> ApiError:
    return ApiError(exc.status, str(exc), code=exc.code)


async def _call(fn, *args, **kwargs):
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except LedgerError as exc:
        raise _ledger_error(exc) from None


@router.post("/v1/events", status_code=201, summary="Record a verdict reached elsewhere")
async def record_event(request: Request, body: EventIn) -> JSONResponse:
    key = await run_in_threadpool(authenticate, request)
    state = request.app.state
    policy = state.warden.policy
    known = {c.id: c for c in policy.categories}
    for i, cid in enumerate(body.categories):
        if cid not in known:
            raise ApiError(400, f"Unknown policy category {cid!r}; see GET /v1/policy.", param=f"categories[{i}]", code="unknown_category")
    for cid, score in body.scores.items():
        if cid not in body.categories:
            raise ApiError(400, f"scores names {cid!r}, which is not in categories.", param="scores", code="invalid_value")
        if not 0.0 <= score <= 1.0:
            raise ApiError(400, "scores must be between 0 and 1.", param=f"scores.{cid}", code="invalid_value")
    project = project_for(key, body.project)
    enforcement = state.enforcement
    if body.user is not None:
        subject = enforcement.end_user(project, body.user)
    elif body.project is not None:
        subject = SubjectKey("project", project, str(project))
    else:
        raise ApiError(400, "Name the subject: 'user' (an end user in the key's project) or 'project'.", param="user", code="missing_subject")
    hits = [Hit(cid, known[cid].severity.value, body.scores.get(cid, 1.0)) for cid in dict.fromkeys(body.categories)]
    report = ViolationReport(
        subject=subject, hits=hits, policy_id=policy.id, policy_revision=policy.revision, source=body.source,
        verdict_action=body.action, surface=body.surface, model_version=body.model,
        reporting=sorted({r for cid in body.categories for r in known[cid].reporting}), content=body.content,
        actor=f"key:{key.id}" if key else "api", external_id=body.user,
    )
    result = await _call(enforcement.ledger.record, report, idempotency(request, key))
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(result.to_dict(), status_code=200 if result.replayed else 201, headers=headers)


@router.get("/v1/standing", summary="May this key, its project and an end user be served now?")
async def standing_for_user(request: Request, user: str | None = None) -> dict:
    key = await run_in_threadpool(authenticate, request)
    enforcement = request.app.state.enforcement
    subjects = enforcement.key_subjects(key)
    if user is not None:
        if not user.strip() or len(user) > 512:
            raise ApiError(400, "user must be 1 to 512 characters.", param="user", code="invalid_value")
        subjects.append(enforcement.end_user(key.project_id if key else None, user))
    if not subjects:
        raise ApiError(400, "Name an end user with ?user=, or call with an API key.", param="user", code="missing_subject")
    each = await _call(enforcement.ledger.standings, subjects)
    return {**worst(each).to_dict(), "subjects": [s.to_dict() for s in each]}


@router.get("/v1/standing/{subject}", summary="Standing of one subject: key:ID, project:ID or user:PROJECT:PSEUDONYM")
async def standing(request: Request, subject: str) -> dict:
    key = await run_in_threadpool(authenticate, request)
    target = parse_subject(subject)
    check_access(key, target)
    return (await _call(request.app.state.enforcement.standing, [target])).to_dict()


@router.get("/v1/subjects/{subject}", summary="A subject's violations, strikes and actions (no evidence)")
async def subject_record(request: Request, subject: str) -> dict:
    key = await run_in_threadpool(authenticate, request)
    target = parse_subject(subject)
    check_access(key, target)
    return await _call(request.app.state.enforcement.ledger.subject_record, target)


@router.post("/v1/subjects/{subject}/export", summary="Everything held about a subject, evidence included (admin)")
async def export_subject(request: Request, subject: str, body: HoldIn) -> dict:
    key = await run_in_threadpool(authenticate, request)
    require_admin(key)
    return await _call(request.app.state.enforcement.ledger.export, parse_subject(subject), body.actor)


@router.delete("/v1/subjects/{subject}", summary="Erase a subject and everything recorded about it (admin)")
async def erase_subject(request: Request, subject: str, actor: str, reason: str = "erasure request") -> dict:
    key = await run_in_threadpool(authenticate, request)
    require_admin(key)
    return await _call(request.app.state.enforcement.ledger.erase, parse_subject(subject), actor, reason[:500])


@router.put("/v1/subjects/{subject}/legal-hold", summary="Set or release a legal hold (admin)")
async def legal_hold(request: Request, subject: str, body: HoldIn) -> dict:
    key = await run_in_threadpool(authenticate, request)
    require_admin(key)
    return await _call(request.app.state.enforcement.ledger.set_legal_hold, parse_subject(subject), body.reason, body.actor)


@router.post("/v1/subjects/{subject}/actions", status_code=201, summary="A person's direct action on a subject (admin)")
async def act(request: Request, subject: str, body: ActIn) -> dict:
    key = await run_in_threadpool(authenticate, request)
    require_admin(key)
    try:
        duration = parse_duration(body.duration)
    except ValueError as exc:
        raise ApiError(400, str(exc), param="duration", code="invalid_value") from None
    restrictions = {k: v for k, v in {"rate_limit_per_minute": body.rate_limit_per_minute,
                                       "blocked_features": body.blocked_features}.items() if v}
    return await _call(request.app.state.enforcement.ledger.act, parse_subject(subject), body.kind, body.actor,
                       body.reason, duration, restrictions)


@router.post("/v1/subjects/{subject}/reinstate", summary="Lift everything in force on a subject (admin)")
async def reinstate(request: Request, subject: str, body: Decision) -> dict:
    key = await run_in_threadpool(authenticate, request)
    require_admin(key)
    return await _call(request.app.state.enforcement.ledger.reinstate, parse_subject(subject), body.actor, body.reason)


@router.get("/v1/actions", summary="Actions by status, e.g. those awaiting a person's approval (admin)")
async def list_actions(request: Request, status: Literal["pending", "active", "lifted", "rejected"] | None = "pending",
                       limit: int = 100) -> dict:
    key = await run_in_threadpool(authenticate, request)
    require_admin(key)
    if not 1 <= limit <= 1000:
        raise ApiError(400, "limit must be between 1 and 1000.", param="limit", code="invalid_value")
    return {"data": await _call(request.app.state.enforcement.ledger.actions, status, limit)}


@router.post("/v1/actions/{action_id}/{verb}", summary="approve, reject, confirm (an interim action) or lift an action (admin)")
async def decide_action(request: Request, action_id: int, verb: Literal["approve", "reject", "confirm", "lift"], body: Decision) -> dict:
    key = await run_in_threadpool(authenticate, request)
    require_admin(key)
    ledger = request.app.state.enforcement.ledger
    return await _call(getattr(ledger, verb), action_id, body.actor, body.reason)


@router.post("/v1/violations/{violation_id}/overturn", summary="Void a mistaken violation's strike and lift its actions (admin)")
async def overturn(request: Request, violation_id: int, body: Decision) -> dict:
    key = await run_in_threadpool(authenticate, request)
    require_admin(key)
    return await _call(request.app.state.enforcement.ledger.overturn, violation_id, body.actor, body.reason)


@router.get("/v1/audit", summary="The audit log, newest first (admin)")
async def audit_log(request: Request, subject: str | None = None, limit: int = 100, before: int | None = None) -> dict:
    key = await run_in_threadpool(authenticate, request)
    require_admin(key)
    if not 1 <= limit <= 1000:
        raise ApiError(400, "limit must be between 1 and 1000.", param="limit", code="invalid_value")
    ledger = request.app.state.enforcement.ledger

    def read():
        with ledger.read() as s:
            return audit.entries(s, subject, limit, before)

    return {"data": await run_in_threadpool(read)}


@router.get("/v1/audit/verify", summary="Check the audit log's hash chain (admin)")
async def audit_verify(request: Request) -> dict:
    key = await run_in_threadpool(authenticate, request)
    require_admin(key)
    ledger = request.app.state.enforcement.ledger

    def run():
        with ledger.read() as s:
            return audit.verify(s)

    r = await run_in_threadpool(run)
    return {"ok": r.ok, "entries": r.entries, "head": r.head, "first_bad_id": r.first_bad_id, "problem": r.problem}
