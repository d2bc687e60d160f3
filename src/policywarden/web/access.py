"""Who is asking: the console session behind a request, role checks, and CSRF checks.

Every console route calls `page(request, Can.X)` for a read, or `action(request, Can.X)` for
a state change, before doing anything else."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from ..review.eligibility import Reviewer
from ..review.roles import Can, can
from ..review.service import Review
from ..review.sessions import Principal
from .pages import PageError, read_pairs
from .security import CookiePolicy, FormTokens, same_origin


def review(request: Request) -> Review:
    return request.app.state.review


def cookies(request: Request) -> CookiePolicy:
    return CookiePolicy(review(request).settings.console_secure_cookies)


def form_tokens(request: Request) -> FormTokens:
    return FormTokens(review(request).form_key, cookies(request))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class LoginRequired(PageError):
    def __init__(self, next_path: str):
        super().__init__(303, "Log in", "", {"Location": f"/console/login?next={quote(next_path, safe='/')}"})


@dataclass(frozen=True)
class Caller:
    principal: Principal
    token: str  # the session token, to check CSRF tokens against

    @property
    def staff(self):
        return self.principal.staff

    @property
    def roles(self) -> tuple[str, ...]:
        return self.principal.staff.roles

    @property
    def reviewer(self) -> Reviewer:
        return Reviewer(self.staff.actor, self.roles)

    def can(self, what: Can) -> bool:
        return can(self.roles, what)


async def _caller(request: Request) -> Caller | None:
    token = request.cookies.get(cookies(request).session)
    principal = await run_in_threadpool(review(request).sessions.resolve, token)
    return Caller(principal, token) if principal else None


def _forbidden() -> PageError:
    return PageError(403, "Not allowed", "Your role does not allow this. Ask an administrator if you need it.")


async def page(request: Request, what: Can | None = Can.READ) -> Caller:
    """The logged-in person for a page view; redirects to the log-in page, or 403."""
    caller = await _caller(request)
    if caller is None:
        raise LoginRequired(request.url.path)
    if what is not None and not caller.can(what):
        raise _forbidden()
    return caller


async def action(request: Request, what: Can | None) -> tuple[Caller, dict[str, str], list[tuple[str, str]]]:
    """The logged-in person and the form of a state change, once the session, the role, the
    origin and the CSRF token are checked. Returns the form as a dict and as pairs."""
    caller = await _caller(request)
    if caller is None:
        raise LoginRequired("/console/queue")
    if what is not None and not caller.can(what):
        raise _forbidden()
    pairs = await read_pairs(request)
    form = dict(pairs)
    if not same_origin(request) or not review(request).sessions.check_csrf(caller.token, form.get("csrf_token")):
        raise PageError(403, "Form expired", "This form is out of date or did not come from this site. "
                                             "Go back, reload the page and try again.")
    return caller, form, pairs
