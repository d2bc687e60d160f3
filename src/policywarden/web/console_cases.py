"""The reviewer's pages: queues, a case with its decision form, accounts, the decision log
and search."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..review.decision_rules import Decision
from ..review.deciding import DecisionRefused
from ..review.eligibility import may_see, refusal
from ..review.queue import CaseNotFound
from ..review.roles import Can
from ..store.ledger import LedgerError
from .access import Caller, action, page, review
from .pages import PageError, render

router = APIRouter()

KIND_LABELS = {"escalation": "Classifier escalation", "approval": "Action awaiting approval", "report": "Misuse report",
               "appeal": "Appeal"}


def _case_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        raise PageError(404, "Not found", "There is no such case.")
    return int(raw)


async def _visible_case(request: Request, caller: Caller, case_id: int):
    """The case, once it is known that this person may see it."""
    try:
        case = await run_in_threadpool(review(request).cases.summary, case_id)
    except CaseNotFound:
        raise PageError(404, "Not found", "There is no such case.") from None
    if not may_see(caller.roles, case.child_safety):
        raise PageError(403, "Not allowed", "Child-safety cases are open to child-safety reviewers only.")
    return case


def _back_to_case(case_id: int, note: str | None = None) -> Response:
    url = f"/console/cases/{case_id}" + (f"?note={note}" if note else "")
    return RedirectResponse(url, status_code=303)


NOTES = {
    "claimed": "You have claimed this case.",
    "released": "The claim is released.",
    "proposed": "Decision recorded. It now waits for a second reviewer.",
    "decided": "Decision recorded and carried out.",
    "reopened": "You disagreed: the case is open again for a fresh decision.",
}


@router.get("/console/queue")
async def queue(request: Request, kind: str | None = None, mine: str | None = None) -> Response:
    caller = await page(request, Can.READ)
    kind = kind if kind in KIND_LABELS else None
    rows = await run_in_threadpool(review(request).queue.list, caller.roles, caller.staff.id if mine else None, kind)
    return render(request, "queue.html", caller=caller, rows=rows, kind=kind, mine=bool(mine), kinds=KIND_LABELS,
                  now=review(request).clock(), message=request.query_params.get("message"))


@router.post("/console/queue/next")
async def claim_next(request: Request) -> Response:
    caller, _, _ = await action(request, Can.DECIDE)
    result = await run_in_threadpool(review(request).queue.claim_next, caller.reviewer, caller.staff.id)
    if result.case_id is None:
        return RedirectResponse("/console/queue?message=empty", status_code=303)
    return _back_to_case(result.case_id, "claimed")


def _case_page(request: Request, caller: Caller, file, status: int = 200, error: str | None = None, form: dict | None = None):
    rv = review(request)
    now = rv.clock()
    case = file.case
    why_not = refusal(caller.reviewer, file.facts, now)
    return render(
        request, "case.html", status, caller=caller, file=file, case=case, kinds=KIND_LABELS, now=now,
        outcomes=file.outcomes, categories=rv.policy.categories, why_not=why_not,
        mine=file.facts.claimed_by == caller.staff.actor, note=NOTES.get(request.query_params.get("note", "")),
        error=error, form=form or {}, can_decide=caller.can(Can.DECIDE),
    )


@router.get("/console/cases/{case_id}")
async def case_view(request: Request, case_id: str) -> Response:
    caller = await page(request, Can.READ)
    await _visible_case(request, caller, _case_id(case_id))
    file = await run_in_threadpool(review(request).cases.load, int(case_id))
    return _case_page(request, caller, file)


@router.post("/console/cases/{case_id}/claim")
async def claim(request: Request, case_id: str) -> Response:
    caller, _, _ = await action(request, Can.DECIDE)
    cid = _case_id(case_id)
    await _visible_case(request, caller, cid)
    result = await run_in_threadpool(review(request).queue.claim, cid, caller.reviewer, caller.staff.id)
    if result.refused:
        file = await run_in_threadpool(review(request).cases.load, cid)
        return _case_page(request, caller, file, 409, result.refused)
    return _back_to_case(cid, "claimed")


@router.post("/console/cases/{case_id}/release")
async def release(request: Request, case_id: str) -> Response:
    caller, _, _ = await action(request, Can.DECIDE)
    cid = _case_id(case_id)
    await _visible_case(request, caller, cid)
    refused = await run_in_threadpool(review(request).queue.release, cid, caller.reviewer, caller.staff.id)
    if refused:
        file = await run_in_threadpool(review(request).cases.load, cid)
        return _case_page(request, caller, file, 403, refused)
    return _back_to_case(cid, "released")


@router.post("/console/cases/{case_id}/reveal")
async def reveal(request: Request, case_id: str) -> Response:
    caller, form, _ = await action(request, Can.READ)
    cid = _case_id(case_id)
    await _visible_case(request, caller, cid)
    file = await run_in_threadpool(review(request).cases.reveal, cid, caller.staff.actor, form.get("what") == "contacts")
    return _case_page(request, caller, file)


@router.post("/console/cases/{case_id}/decide")
async def decide(request: Request, case_id: str) -> Response:
    caller, form, _ = await action(request, Can.DECIDE)
    cid = _case_id(case_id)
    await _visible_case(request, caller, cid)
    decision = Decision(form.get("outcome", ""), form.get("category", ""), form.get("reason", ""),
                        form.get("subject", "").strip() or None)
    try:
        result = await run_in_threadpool(review(request).decisions.decide, cid, caller.reviewer, decision)
    except DecisionRefused as exc:
        file = await run_in_threadpool(review(request).cases.load, cid)
        return _case_page(request, caller, file, 409, str(exc), form)
    return _back_to_case(cid, "proposed" if result.status == "second_review" else "decided")


@router.post("/console/cases/{case_id}/second-review")
async def second_review(request: Request, case_id: str) -> Response:
    caller, form, _ = await action(request, Can.DECIDE)
    cid = _case_id(case_id)
    await _visible_case(request, caller, cid)
    verdict = form.get("verdict")
    try:
        if verdict not in ("agree", "disagree"):
            raise DecisionRefused("Choose whether you agree with the decision.")
        result = await run_in_threadpool(review(request).decisions.second_review, cid, caller.reviewer,
                                         verdict == "agree", form.get("reason", ""))
    except DecisionRefused as exc:
        file = await run_in_threadpool(review(request).cases.load, cid)
        return _case_page(request, caller, file, 409, str(exc), form)
    return _back_to_case(cid, "decided" if result.status == "closed" else "reopened")


@router.get("/console/accounts/{subject}")
async def account(request: Request, subject: str) -> Response:
    caller = await page(request, Can.READ)
    try:
        acct = await run_in_threadpool(review(request).lookup.account, subject, caller.roles)
    except LedgerError:
        raise PageError(404, "Not found", "That is not an account: accounts look like key:7, project:3 or user:3:u_….") from None
    return render(request, "account.html", caller=caller, account=acct, kinds=KIND_LABELS)


@router.get("/console/decisions")
async def decisions(request: Request, before: str | None = None) -> Response:
    caller = await page(request, Can.READ)
    rows = await run_in_threadpool(review(request).lookup.decisions, caller.roles,
                                   int(before) if before and before.isdigit() else None)
    return render(request, "decisions.html", caller=caller, rows=rows, kinds=KIND_LABELS)


@router.get("/console/search")
async def search(request: Request, q: str = "") -> Response:
    caller = await page(request, Can.READ)
    q = q[:200]
    rows, acct = await run_in_threadpool(review(request).lookup.search, q, caller.roles)
    return render(request, "search.html", caller=caller, q=q, rows=rows, account=acct, kinds=KIND_LABELS,
                  now=review(request).clock())
