"""Builders shared by the review tests: the review services on a fresh database with one
controllable clock, and a few people."""

from __future__ import annotations

import json

from sqlalchemy import select

from ledger_fixtures import Clock, make_services
from policywarden.policy import load_policy
from policywarden.review.eligibility import Reviewer
from policywarden.review.intake import CaseIntake
from policywarden.review.service import Review
from policywarden.review.settings import ReviewSettings
from policywarden.store.models import WebhookDelivery, WebhookSubscription

PASSWORD = "correct horse battery staple"


class Desk:
    """A review desk: services, the review facade, a clock, and named reviewers."""

    def __init__(self, url: str, tmp_path, config=None, **settings):
        self.sv = make_services(url, tmp_path, config)
        self.clock = Clock()
        self.sv.ledger.clock = self.clock
        for hook in self.sv.ledger.hooks:
            if isinstance(hook, CaseIntake):
                hook.clock = self.clock
        self.rv = Review(self.sv, load_policy(), ReviewSettings(**settings), clock=self.clock)
        self.people: dict[str, tuple[int, Reviewer]] = {}

    @property
    def ledger(self):
        return self.sv.ledger

    def person(self, name: str, *roles: str) -> Reviewer:
        info = self.rv.staff.create(name, name.title(), PASSWORD, list(roles), "test")
        self.people[name] = (info.id, Reviewer(info.actor, info.roles))
        return self.people[name][1]

    def claim(self, name: str, case_id: int):
        staff_id, reviewer = self.people[name]
        return self.rv.queue.claim(case_id, reviewer, staff_id)

    def decide(self, name: str, case_id: int, decision):
        return self.rv.decisions.decide(case_id, self.people[name][1], decision)

    def subscribe(self) -> None:
        with self.ledger.write.begin() as s:
            s.add(WebhookSubscription(url="http://127.0.0.1:9/hook", secret="x", events=["*"], active=True))

    def events(self, event_type: str) -> list[dict]:
        with self.ledger.read() as s:
            rows = s.scalars(select(WebhookDelivery.payload).where(WebhookDelivery.event_type == event_type)
                             .order_by(WebhookDelivery.id)).all()
        return [json.loads(p)["data"] for p in rows]
