"""Queue events for delivery in the caller's transaction, so an event exists if and only if
the change it reports was committed."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..store.models import WebhookDelivery, WebhookSubscription
from ..store.types import utcnow

EVENT_TYPES = (
    "violation.recorded",
    "action.created",
    "action.approved",
    "action.rejected",
    "action.lifted",
    "action.confirmed",
    "subject.reinstated",
    "subject.erased",
    "webhook.test",  # sent only to the subscription it tests, whatever its filter
)


def _event(event_type: str, data: dict, now) -> tuple[str, str]:
    """A new stable event id and the exact JSON body that is signed and sent."""
    event_id = f"evt_{uuid.uuid4().hex}"
    body = json.dumps(
        {"id": event_id, "type": event_type, "created_at": now.isoformat(), "data": data},
        separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return event_id, body


def enqueue(session: Session, event_type: str, project_id: int | None, data: dict) -> int:
    """One delivery per active subscription that wants this event for this project.
    Returns how many were queued."""
    subs = session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.active.is_(True),
            or_(WebhookSubscription.project_id.is_(None), WebhookSubscription.project_id == project_id),
        )
    ).all()
    wanted = [s for s in subs if "*" in s.events or event_type in s.events]
    if not wanted:
        return 0
    now = utcnow()
    event_id, body = _event(event_type, data, now)
    for sub in wanted:
        session.add(WebhookDelivery(subscription_id=sub.id, event_id=event_id, event_type=event_type, payload=body,
                                    status="pending", attempts=0, next_attempt_at=now, created_at=now))
    return len(wanted)


def enqueue_for(session: Session, subscription: WebhookSubscription, event_type: str, data: dict) -> str:
    """One delivery to one subscription, whatever its filter (a test event). Returns the event id."""
    now = utcnow()
    event_id, body = _event(event_type, data, now)
    session.add(WebhookDelivery(subscription_id=subscription.id, event_id=event_id, event_type=event_type, payload=body,
                                status="pending", attempts=0, next_attempt_at=now, created_at=now))
    return event_id
