"""Webhook subscriptions over HTTP. An admin key (or an open server) manages every
subscription; a project's client key manages its own project's, and cannot see others'."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ..store.keys import KeyInfo
from ..webhooks.outbox import EVENT_TYPES
from ..webhooks.subscriptions import (
    DEFAULT_OVERLAP, MAX_DESCRIPTION, MAX_ID, MAX_OVERLAP, MAX_URL, Subscription, SubscriptionError, SubscriptionNotFound,
    SubscriptionStore,
)
from .auth import authenticate
from .errors import ApiError

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
WebhookId = Annotated[int, Path(ge=1, le=MAX_ID)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookIn(_Body):
    url: str = Field(..., min_length=1, max_length=MAX_URL, description="the receiver: http(s), no credentials")
    events: list[str] = Field(["*"], min_length=1, max_length=len(EVENT_TYPES) + 1,
                              description=f"event types, or ['*'] for all: {', '.join(EVENT_TYPES)}")
    project: int | None = Field(None, ge=1, le=MAX_ID,
                                description="only this project's events; by default a client key's own project, "
                                            "and every project for an admin")
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)


class RotateIn(_Body):
    overlap_seconds: int = Field(int(DEFAULT_OVERLAP.total_seconds()), ge=0, le=int(MAX_OVERLAP.total_seconds()),
                                 description="how long the previous secret keeps signing beside the new one")


def _store(request: Request) -> SubscriptionStore:
    return SubscriptionStore.from_services(request.app.state.services)


def _caller(request: Request) -> KeyInfo | None:
    key = authenticate(request)
    if key is not None and not key.is_admin and key.project_id is None:
        raise ApiError(403, "Only an admin key or a project's key can manage webhooks.", code="permission_denied")
    return key


def _visible(key: KeyInfo | None, sub: Subscription) -> bool:
    return key is None or key.is_admin or sub.project_id == key.project_id


def _actor(key: KeyInfo | None) -> str:
    return f"key:{key.id}" if key else "api"


def _error(exc: SubscriptionError) -> ApiError:
    return ApiError(exc.status, str(exc), param=exc.param, code=exc.code)


def _get(request: Request, key: KeyInfo | None, webhook_id: int) -> Subscription:
    try:
        sub = _store(request).get(webhook_id)
    except SubscriptionNotFound:
        sub = None
    if sub is None or not _visible(key, sub):
        # 404 either way: a client must not learn whether another project's webhook exists.
        raise ApiError(404, f"No webhook {webhook_id}.", param="webhook_id", code="not_found")
    return sub


@router.post("", status_code=201, summary="Subscribe a URL to events; the signing secret is returned once")
def create(request: Request, body: WebhookIn) -> dict:
    key = _caller(request)
    project = body.project
    if key is not None and not key.is_admin:
        if project not in (None, key.project_id):
            raise ApiError(403, f"This key cannot act for project {project}.", param="project", code="project_forbidden")
        project = key.project_id
    try:
        secret, sub = _store(request).create(body.url, body.events, project, body.description, _actor(key))
    except SubscriptionError as exc:
        raise _error(exc) from None
    return {**sub.to_dict(), "secret": secret}


@router.get("", summary="The webhooks this key may manage")
def list_(request: Request) -> dict:
    key = _caller(request)
    store = _store(request)
    subs = store.list() if key is None or key.is_admin else store.list(key.project_id)
    return {"object": "list", "data": [s.to_dict() for s in subs]}


@router.get("/{webhook_id}", summary="One webhook")
def get(request: Request, webhook_id: WebhookId) -> dict:
    return _get(request, _caller(request), webhook_id).to_dict()


@router.delete("/{webhook_id}", summary="Delete a webhook with its deliveries")
def delete(request: Request, webhook_id: WebhookId) -> dict:
    key = _caller(request)
    _get(request, key, webhook_id)
    try:
        _store(request).delete(webhook_id, _actor(key))
    except SubscriptionError as exc:
        raise _error(exc) from None
    return {"id": webhook_id, "object": "webhook", "deleted": True}


@router.post("/{webhook_id}/rotate-secret", summary="A new signing secret, returned once; the old one signs too for the overlap")
def rotate_secret(request: Request, webhook_id: WebhookId, body: RotateIn | None = None) -> dict:
    key = _caller(request)
    _get(request, key, webhook_id)
    overlap = timedelta(seconds=(body or RotateIn()).overlap_seconds)
    try:
        secret, sub = _store(request).rotate(webhook_id, overlap, _actor(key))
    except SubscriptionError as exc:
        raise _error(exc) from None
    return {**sub.to_dict(), "secret": secret}


@router.post("/{webhook_id}/enable", summary="Resume a disabled webhook (e.g. after a 410 Gone)")
def enable(request: Request, webhook_id: WebhookId) -> dict:
    key = _caller(request)
    _get(request, key, webhook_id)
    try:
        return _store(request).enable(webhook_id, _actor(key)).to_dict()
    except SubscriptionError as exc:
        raise _error(exc) from None


@router.post("/{webhook_id}/test", status_code=202, summary="Queue a webhook.test event for this webhook")
def send_test(request: Request, webhook_id: WebhookId) -> dict:
    _get(request, _caller(request), webhook_id)
    try:
        return {"object": "event", "id": _store(request).send_test(webhook_id), "type": "webhook.test"}
    except SubscriptionError as exc:
        raise _error(exc) from None


@router.get("/{webhook_id}/deliveries", summary="Recent deliveries, newest first, without payloads")
def deliveries(
    request: Request,
    webhook_id: WebhookId,
    limit: int = Query(50, ge=1, le=500),
    status: Literal["pending", "delivered", "failed"] | None = Query(None),
) -> dict:
    _get(request, _caller(request), webhook_id)
    try:
        rows = _store(request).deliveries(webhook_id, limit, status)
    except SubscriptionError as exc:
        raise _error(exc) from None
    return {"object": "list", "data": [d.to_dict() for d in rows]}

