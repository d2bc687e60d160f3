"""The FastAPI application: `create_app()` wires settings, the Warden, storage and routes."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .. import __version__
from ..settings import Settings, get_settings
from ..proxy import lifecycle as proxy_lifecycle
from ..proxy.routes import router as proxy_router
from ..services import Services
from ..review.service import Review
from ..warden import Warden
from ..web import install as install_web
from ..webhooks import delivery as webhook_delivery
from . import background, errors
from .enforcement import router as enforcement_router
from .limits import RateLimiter
from .moderations import router as moderations_router
from .reports import router as reports_router
from .routes import router as info_router
from .webhooks import router as webhooks_router
from .schemas import ModerationRequest

log = logging.getLogger("policywarden")


def create_app(settings: Settings | None = None, warden: Warden | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        services = Services(settings)
        services.migrate()
        app.state.services = services
        app.state.keys = services.keys
        app.state.enforcement = services.enforcement
        if settings.auth == "auto" and not app.state.keys.any_created():
            log.warning("no API keys exist: the API is open to any client (create one with `policywarden keys create`)")
        app.state.warden = warden or Warden(
            settings.policy,
            settings.overlays,
            settings.model_dir,
            window_words=settings.window_words,
            window_overlap=settings.window_overlap,
            fine_margin="model" if settings.fine_windows else None,
            encoder=settings.encoder,
            encoder_threads=settings.encoder_threads,
            encoder_cache=settings.encoder_cache,
            encoder_gate=settings.encoder_gate,
        )
        log.info("serving policy %s with model %s", app.state.warden.policy.ref, app.state.warden.model_version)
        webhook_delivery.start(app)  # does nothing when settings.webhook_worker is false
        background.start(app)
        await proxy_lifecycle.start(app)  # after the Warden and enforcement exist
        app.state.review = Review(services, app.state.warden.policy)  # the console, the public forms, reports and appeals
        yield
        await proxy_lifecycle.stop(app)
        await background.stop(app)
        await webhook_delivery.stop(app)  # waits up to 10 s for requests in flight

    app = FastAPI(
        title="PolicyWarden",
        version=__version__,
        summary="Enforce an AI usage policy: OpenAI-compatible moderation and the policy as data.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter()
    errors.install(app)
    app.include_router(moderations_router, tags=["moderation"])
    app.include_router(proxy_router)
    app.include_router(enforcement_router)
    app.include_router(webhooks_router)
    app.include_router(info_router)
    app.include_router(reports_router)
    install_web(app)  # /console, /report, /appeal, /static

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            defs = ModerationRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(defs.pop("$defs", {}))
            components["ModerationRequest"] = defs
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
    return app
