"""Rendering pages, reading forms, and the HTML error pages of the console and public forms."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..review.casefile import age
from ..review.decision_rules import OUTCOME_LABELS, PUBLIC_OUTCOMES
from ..review.priority import Priority
from ..review.roles import ROLE_LABELS, Can
from .security import HTML_PREFIXES

FORM_LIMIT = 64 * 1024  # the largest form: a report is at most about 12,000 characters
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _priority(value: int) -> str:
    return Priority(value).label


def _outcome(kind: str, outcome: str | None) -> str:
    if outcome == "resolved_elsewhere":
        return "Decided outside the console"
    return OUTCOME_LABELS.get((kind, outcome), outcome or "")


templates.env.filters.update(when=_when, priority=_priority, role=lambda r: ROLE_LABELS.get(r, r))
templates.env.globals.update(outcome_label=_outcome, public_outcomes=PUBLIC_OUTCOMES, age=age, Can=Can)


class PageError(Exception):
    """Shown to the person as an error page with this status and message."""

    def __init__(self, status: int, title: str, message: str = "", headers: dict | None = None):
        super().__init__(message)
        self.status, self.title, self.message, self.headers = status, title, message, headers


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status)


class FormTooLarge(PageError):
    def __init__(self):
        super().__init__(413, "Too much text", "The form is larger than we accept. Shorten the longest field and try again.")


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body of at most FORM_LIMIT bytes, as a dict
    (the last value of a repeated field wins; `roles` is read with `read_list`)."""
    pairs = await read_pairs(request)
    return dict(pairs)


async def read_pairs(request: Request) -> list[tuple[str, str]]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise PageError(415, "Unsupported form", "Send the form from its page.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > FORM_LIMIT:
        raise FormTooLarge()
    body, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > FORM_LIMIT:
            raise FormTooLarge()
        body.append(chunk)
    try:
        text = b"".join(body).decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, max_num_fields=60, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise PageError(400, "Unreadable form", "The form could not be read. Send it again from its page.") from None


def is_html_path(path: str) -> bool:
    return path.startswith(HTML_PREFIXES)


def install_errors(app: FastAPI) -> None:
    """HTML error pages for the console and the forms; the JSON API keeps its own errors."""
    previous = app.exception_handlers.get(StarletteHTTPException)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        response = render(request, "error.html", exc.status, title=exc.title, message=exc.message)
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_html_path(request.url.path) and not request.url.path.startswith("/static"):
            titles = {404: "Not found", 405: "Not allowed"}
            return render(request, "error.html", exc.status_code, title=titles.get(exc.status_code, "Error"),
                          message="There is no such page." if exc.status_code == 404 else "")
        return await previous(request, exc)
