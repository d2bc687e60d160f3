"""The web side: the reviewers' console (/console) and the public forms for misuse reports
(/report) and appeals (/appeal). Server-rendered Jinja2 pages that need no JavaScript."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the console, the public forms, their static files, security headers and HTML
    error pages to the application."""
    from . import console_admin, console_auth, console_cases, public
    from .pages import install_errors
    from .security import SecurityHeaders

    app.add_middleware(SecurityHeaders)
    install_errors(app)
    for module in (console_auth, console_cases, console_admin, public):
        app.include_router(module.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
