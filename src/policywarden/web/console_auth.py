"""Log-in, log-out and changing one's own password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..review.staff import LoginRefused, StaffError
from .access import action, client_address, cookies, form_tokens, page, review
from .pages import read_form, render
from .security import same_origin

router = APIRouter()


def _safe_next(value: str | None) -> str:
    """Only a path on this site under /console: never an open redirect."""
    if value and value.startswith("/console/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console/queue"


def _login_page(request: Request, status: int = 200, error: str | None = None, username: str = "",
                next_path: str = "/console/queue") -> Response:
    tokens = form_tokens(request)
    seed = tokens.seed(request)
    response = render(request, "login.html", status, form_token=tokens.token(seed), error=error, username=username,
                      next_path=_safe_next(next_path))
    tokens.bind(response, seed)
    return response


@router.get("/console")
@router.get("/console/")
async def home() -> Response:
    return RedirectResponse("/console/queue", status_code=303)


@router.get("/console/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, next_path=next or "/console/queue")


@router.post("/console/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    if not same_origin(request) or not form_tokens(request).check(request, form.get("form_token")):
        return _login_page(request, 403, "The log-in form expired. Try again.", next_path=form.get("next", ""))
    rv = review(request)
    username = form.get("username", "")[:64]
    try:
        staff = await run_in_threadpool(rv.staff.authenticate, username, form.get("password", ""), client_address(request))
    except LoginRefused as exc:
        response = _login_page(request, 429 if exc.retry_after else 401, exc.message, username, form.get("next", ""))
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    token = await run_in_threadpool(rv.sessions.start, staff.id)
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    c = cookies(request)
    c.set(response, c.session, token)  # a session cookie: it ends with the browser, or with the session
    return response


@router.post("/console/logout")
async def logout(request: Request) -> Response:
    caller, _, _ = await action(request, None)
    await run_in_threadpool(review(request).sessions.end, caller.token)
    response = RedirectResponse("/console/login", status_code=303)
    cookies(request).clear(response, cookies(request).session)
    return response


@router.get("/console/password")
async def password_form(request: Request) -> Response:
    caller = await page(request, None)
    return render(request, "password.html", caller=caller)


@router.post("/console/password")
async def change_password(request: Request) -> Response:
    caller, form, _ = await action(request, None)
    if form.get("new_password", "") != form.get("confirm_password", ""):
        return render(request, "password.html", 400, caller=caller, error="The two new passwords are not the same.")
    try:
        await run_in_threadpool(review(request).staff.change_own_password, caller.staff.id, form.get("current_password", ""),
                                form.get("new_password", ""), caller.principal.session_id)
    except StaffError as exc:
        return render(request, "password.html", 400, caller=caller, error=str(exc))
    return render(request, "password.html", caller=caller, done=True)


