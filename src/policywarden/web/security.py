"""HTTP hardening of the HTML pages: security headers, cookies and form tokens.

Console sessions live in a `__Host-` cookie (Secure, HttpOnly, SameSite=Strict, Path=/, no
Domain), which browsers accept over https, or over http on loopback. Every state-changing
form carries a CSRF token: a console form the session's token, a public form (and the log-in
form) a token bound by HMAC to a random cookie of its own. A request whose Origin header names
another site is refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTML_PREFIXES = ("/console", "/report", "/appeal", "/static")

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")

HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # Page URLs carry report references and appeal tokens: they must not leave the site. Not
    # "no-referrer": with it, browsers send `Origin: null` on our own forms.
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Adds the headers above to every response under the HTML prefixes; pages (not static
    files) are also marked no-store, so that content does not linger in caches."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(HTML_PREFIXES):
            await self.app(scope, receive, send)
            return
        extra = HEADERS + ([] if path.startswith("/static") else [NO_STORE])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [(k, v) for k, v in extra if k not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CookiePolicy:
    def __init__(self, secure: bool):
        self.secure = secure
        prefix = "__Host-" if secure else ""
        self.session = f"{prefix}pw_session"
        self.form = f"{prefix}pw_form"

    def set(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", secure=self.secure, httponly=True, samesite="strict")

    def clear(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", secure=self.secure, httponly=True, samesite="strict")


class FormTokens:
    """CSRF tokens for forms used without a session (log-in, reports, appeals)."""

    def __init__(self, key: bytes, cookies: CookiePolicy):
        self._key, self.cookies = key, cookies

    def _mac(self, seed: str) -> str:
        return hmac.new(self._key, seed.encode(), hashlib.sha256).hexdigest()

    def seed(self, request: Request) -> str:
        """The browser's form seed, or a new one (set it with `bind`)."""
        seed = request.cookies.get(self.cookies.form)
        return seed if seed and len(seed) <= 64 else secrets.token_urlsafe(16)

    def token(self, seed: str) -> str:
        return self._mac(seed)

    def bind(self, response: Response, seed: str) -> None:
        # Always set: after a cross-site navigation a Strict cookie is not sent, and the
        # browser must end up holding the seed that this page's token was made from.
        self.cookies.set(response, self.cookies.form, seed)

    def check(self, request: Request, token: str | None) -> bool:
        seed = request.cookies.get(self.cookies.form)
        return bool(seed and token) and hmac.compare_digest(self._mac(seed), token)


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site. Browsers send Origin
    on every cross-site POST; a request without it (curl, old browsers) relies on the token."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()
