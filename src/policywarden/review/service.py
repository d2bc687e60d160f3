"""Wiring of the review services from the application's `Services`: each store gets the
database, the keys derived from the master secret for its own purpose, and the policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..privacy.secrets import derive
from ..store.db import sessions
from ..store.types import utcnow
from .appeals import Appeals
from .casefile import CaseFiles
from .deciding import Decisions
from .intake import CaseIntake
from .lookup import Lookup
from .queue import Queue
from .reports import Reports
from .retention import purge_public_text
from .sessions import SessionStore
from .settings import ReviewSettings
from .staff import StaffStore
from .throttle import Throttles
from .tokens import AppealTokens

if TYPE_CHECKING:
    from ..policy.schema import Policy
    from ..services import Services


def appeal_tokens(secret: bytes) -> AppealTokens:
    return AppealTokens(derive(secret, "appeal-token"))


def case_intake(services: Services) -> CaseIntake:
    """The ledger hook that opens cases (registered in `Services.ledger`)."""
    return CaseIntake(appeal_tokens(services.secret), services.settings.public_url)


def staff_store(services: Services, settings: ReviewSettings | None = None, clock=utcnow) -> StaffStore:
    settings = settings or services.settings
    url = services.url
    return StaffStore(sessions(url), sessions(url, write=True), Throttles(derive(services.secret, "review-throttle")),
                      settings, clock)


class Review:
    """Everything the console and the public forms use."""

    def __init__(self, services: Services, policy: Policy, settings: ReviewSettings | None = None, clock=utcnow):
        self.settings = settings = settings or services.settings
        self.policy = policy
        url, secret, cipher = services.url, services.secret, services.cipher
        read, write = sessions(url), sessions(url, write=True)
        throttles = Throttles(derive(secret, "review-throttle"))
        self.tokens = appeal_tokens(secret)
        self.form_key = derive(secret, "public-form-csrf")
        self.staff = StaffStore(read, write, throttles, settings, clock)
        self.sessions = SessionStore(read, write, derive(secret, "console-csrf"), settings, clock)
        self.queue = Queue(read, write, settings, clock)
        self.decisions = Decisions(read, write, services.ledger, policy, clock)
        self.cases = CaseFiles(read, write, cipher, clock)
        self.reports = Reports(read, write, cipher, derive(secret, "report-grouping"), throttles, policy, settings, clock)
        self.appeals = Appeals(read, write, cipher, self.tokens, throttles, settings, clock)
        self.lookup = Lookup(read, services.ledger)
        self.clock = clock
        self._write, self._retention = write, services.enforcement_config.retention_period

    def purge(self) -> dict:
        """Delete reporters' and appellants' text past the evidence retention period (run it
        beside `Ledger.purge`)."""
        return purge_public_text(self._write, self.clock(), self._retention)
