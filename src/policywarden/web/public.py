"""The public forms: reporting misuse and appealing an action, with their status pages.
Open to anyone, without an account or JavaScript."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..review.appeals import ACTION_WORDS, AppealRefused
from ..review.report_rules import (MAX_CONTACT, MAX_CONTENT, MAX_DESCRIPTION, MAX_STATEMENT, MAX_TARGET, TARGET_KINDS,
                                   UNSURE, ReportIn)
from ..review.reports import RateLimited, ReportInvalid
from .access import client_address, form_tokens, review
from .pages import PageError, read_form, render
from .security import same_origin

router = APIRouter()
BAD_LINK = "This appeal link is not valid. Copy it exactly from the notice you received."

LIMITS = {"target": MAX_TARGET, "content": MAX_CONTENT, "description": MAX_DESCRIPTION, "contact": MAX_CONTACT,
          "statement": MAX_STATEMENT}


def _form_page(request: Request, template: str, status: int = 200, **context) -> Response:
    tokens = form_tokens(request)
    seed = tokens.seed(request)
    response = render(request, template, status, form_token=tokens.token(seed), limits=LIMITS, **context)
    tokens.bind(response, seed)
    return response


async def _checked_form(request: Request) -> tuple[dict[str, str], bool]:
    """The form, and whether it came from our page (origin and token)."""
    form = await read_form(request)
    return form, same_origin(request) and form_tokens(request).check(request, form.get("form_token"))


def _report_page(request: Request, status: int = 200, errors: dict | None = None, form: dict | None = None) -> Response:
    sections = [(s.title, [(c.id, c.title) for c in s.categories]) for s in review(request).policy.sections]
    return _form_page(request, "report_form.html", status, errors=errors or {}, form=form or {}, kinds=TARGET_KINDS,
                      sections=sections, unsure=UNSURE)


@router.get("/report")
async def report_form(request: Request) -> Response:
    return _report_page(request)


@router.post("/report")
async def file_report(request: Request) -> Response:
    form, genuine = await _checked_form(request)
    if not genuine:
        return _report_page(request, 403, {"form": "The form expired. Check your report and send it again."}, form)
    report = ReportIn(form.get("target_kind", ""), form.get("target", ""), form.get("category", ""),
                      form.get("description", ""), form.get("content", ""), form.get("contact", ""))
    try:
        filed = await run_in_threadpool(review(request).reports.file, report, client_address(request))
    except ReportInvalid as exc:
        return _report_page(request, 400, exc.errors, form)
    except RateLimited as exc:
        raise PageError(429, "Too many reports", str(exc), {"Retry-After": str(exc.retry_after)}) from None
    return render(request, "report_filed.html", 201, reference=filed.reference)


@router.get("/report/status")
async def report_status_lookup(request: Request, reference: str = "") -> Response:
    if reference.strip():
        return RedirectResponse(f"/report/status/{reference.strip()[:40]}", status_code=303)
    return render(request, "report_status.html", found=None, reference="")


@router.get("/report/status/{reference}")
async def report_status(request: Request, reference: str) -> Response:
    found = await run_in_threadpool(review(request).reports.status, reference)
    if found is None:
        return render(request, "report_status.html", 404, found=None, reference="", missing=True)
    report, status = found
    return render(request, "report_status.html", found=status, report=report, reference=reference)


def _appeal_page(request: Request, token: str, target, status: int = 200, error: str | None = None,
                 field: str | None = None, form: dict | None = None, filed: bool = False) -> Response:
    return _form_page(request, "appeal.html", status, token=token, target=target, error=error, field=field,
                      form=form or {}, words=ACTION_WORDS, filed=filed)


@router.get("/appeal")
async def appeal_start(request: Request, token: str = "") -> Response:
    if token.strip():
        return RedirectResponse(f"/appeal/{token.strip()[:80]}", status_code=303)
    return render(request, "appeal_start.html")


@router.get("/appeal/{token}")
async def appeal_form(request: Request, token: str) -> Response:
    target = await run_in_threadpool(review(request).appeals.lookup, token)
    if target is None:
        return render(request, "appeal_start.html", 404, error=BAD_LINK)
    return _appeal_page(request, token, target)


@router.post("/appeal/{token}")
async def file_appeal(request: Request, token: str) -> Response:
    rv = review(request)
    target = await run_in_threadpool(rv.appeals.lookup, token)
    if target is None:
        return render(request, "appeal_start.html", 404, error=BAD_LINK)
    form, genuine = await _checked_form(request)
    if not genuine:
        return _appeal_page(request, token, target, 403, "The form expired. Check your appeal and send it again.", form=form)
    try:
        target = await run_in_threadpool(rv.appeals.file, token, form.get("statement", ""), form.get("contact", ""),
                                         client_address(request))
    except AppealRefused as exc:
        target = await run_in_threadpool(rv.appeals.lookup, token)
        return _appeal_page(request, token, target, 400, str(exc), exc.field, form)
    except RateLimited as exc:
        raise PageError(429, "Too many requests", str(exc), {"Retry-After": str(exc.retry_after)}) from None
    return _appeal_page(request, token, target, 201, filed=True)
