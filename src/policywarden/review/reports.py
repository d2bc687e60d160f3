"""Misuse reports from anyone: filing (rate-limited per address, duplicates about the same
thing grouped into one open case) and the reporter's status page.

What a reporter writes is masked for personal data and encrypted; their contact details are
encrypted as given, and only a reviewer's audited reveal shows them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from ..policy.schema import Policy
from ..privacy import EvidenceCipher, mask
from ..store import audit
from ..store.review_models import Case, MisuseReport
from ..store.types import utcnow
from .cases import OPEN, add_event, open_case, widen
from .decision_rules import PUBLIC_OUTCOMES
from .report_rules import UNSURE, ReportIn, problems, same_thing
from .settings import ReviewSettings
from .throttle import Rule, Throttles
from .tokens import new_reference, reference_digest

HOUR = timedelta(hours=1)


class ReportInvalid(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"Too many reports from this address; try again in {max(1, retry_after // 60)} minutes.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Filed:
    reference: str
    case_id: int
    grouped: bool  # joined an open case about the same thing


@dataclass(frozen=True)
class PublicStatus:
    state: str  # received, in_review, closed
    message: str
    filed_at: datetime
    decided_at: datetime | None = None


def public_status(case: Case, filed_at: datetime, now: datetime) -> PublicStatus:
    if case.status == "closed":
        message = PUBLIC_OUTCOMES.get((case.kind, case.outcome), "The review is complete.")
        return PublicStatus("closed", message, filed_at, case.decided_at)
    claimed = case.claimed_by is not None and case.claim_expires_at is not None and case.claim_expires_at > now
    if case.status == "second_review" or claimed:
        return PublicStatus("in_review", "A reviewer is looking at it.", filed_at)
    return PublicStatus("received", "Received: it is waiting for a reviewer.", filed_at)


def address_limited(s: Session, throttles: Throttles, address: str, per_hour: int, now: datetime) -> tuple[str, Rule]:
    """The throttle key and rule for reports and appeals from one address; raises RateLimited."""
    key, rule = throttles.key("public-address", address), Rule(per_hour, HOUR, HOUR)
    until = throttles.blocked_until(s, key, now)
    if until:
        raise RateLimited(int((until - now).total_seconds()) + 1)
    return key, rule


class Reports:
    def __init__(self, read: sessionmaker[Session], write: sessionmaker[Session], cipher: EvidenceCipher, group_key: bytes,
                 throttles: Throttles, policy: Policy, settings: ReviewSettings, clock=utcnow):
        self.read, self.write, self.cipher, self._group_key = read, write, cipher, group_key
        self.throttles, self.policy, self.settings, self.clock = throttles, policy, settings, clock

    def _dedupe_key(self, report: ReportIn) -> str:
        canonical = same_thing(report.target_kind, report.target).encode("utf-8", "surrogatepass")
        return hmac.new(self._group_key, canonical, hashlib.sha256).hexdigest()

    def _seal(self, value: str, masked: bool = True) -> str | None:
        value = value.strip()
        if not value:
            return None
        return self.cipher.encrypt(mask(value)[0] if masked else value)

    def file(self, report: ReportIn, address: str) -> Filed:
        known = {c.id for c in self.policy.categories}
        if errors := problems(report, known):
            raise ReportInvalid(errors)
        categories = [report.category] if report.category != UNSURE else []
        reporting = [r for c in categories for r in self.policy.category(c).reporting]
        dedupe = self._dedupe_key(report)
        reference = new_reference()
        sealed = {"target": self._seal(report.target, masked=False), "content": self._seal(report.content),
                  "description": self._seal(report.description), "contact": self._seal(report.contact, masked=False)}
        now = self.clock()
        with self.write.begin() as s:
            key, rule = address_limited(s, self.throttles, address, self.settings.reports_per_hour, now)
            if s.get_bind().dialect.name == "postgresql":
                # Two reports about the same thing at once must land in one case.
                s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": dedupe})
            case = s.scalars(select(Case).where(Case.dedupe_key == dedupe, Case.status.in_(OPEN))
                             .order_by(Case.id).limit(1).with_for_update()).first()
            grouped = case is not None
            if case is None:
                case = open_case(s, now, "report", categories, reporting, dedupe_key=dedupe, actor="public",
                                 policy=(self.policy.id, self.policy.revision),
                                 details={"target_kind": report.target_kind, "category": report.category})
            else:
                widen(case, categories, reporting)
                case.report_count += 1
                case.updated_at = now
                add_event(s, case.id, now, "public", "report_added", {"category": report.category})
            s.add(MisuseReport(case_id=case.id, reference_sha256=reference_digest(reference), target_kind=report.target_kind,
                               category=report.category, created_at=now, **sealed))
            audit.append(s, "public", "report.filed", None, self.policy.revision,
                         {"case_id": case.id, "category": report.category, "grouped": grouped})
            self.throttles.hit(s, key, rule, now)
            return Filed(reference, case.id, grouped)

    def status(self, reference: str) -> tuple[MisuseReport, PublicStatus] | None:
        digest = reference_digest(reference)
        if digest is None:
            return None
        with self.read() as s:
            row = s.execute(select(MisuseReport, Case).join(Case, Case.id == MisuseReport.case_id)
                            .where(MisuseReport.reference_sha256 == digest)).first()
            if row is None:
                return None
            report, case = row
            return report, public_status(case, report.created_at, self.clock())
