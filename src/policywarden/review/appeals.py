"""Appeals against actions, by whoever holds the action's appeal token (from its notice).

One appeal per action. The case goes to a reviewer who took no part in the decision under
appeal: the person who created or decided the action, and the reviewers of the cases that
decided it, are excluded from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..privacy import EvidenceCipher, mask
from ..store import audit
from ..store.ledger import SubjectKey
from ..store.models import EnforcementAction, Subject, Violation
from ..store.review_models import Appeal, Case
from ..store.types import utcnow
from .cases import open_case
from .report_rules import MAX_CONTACT, MAX_STATEMENT
from .reports import PublicStatus, address_limited, public_status
from .settings import ReviewSettings
from .throttle import Throttles
from .tokens import AppealTokens

ACTION_WORDS = {"warn": "a warning", "restrict": "a restriction", "suspend": "a suspension", "terminate": "a termination"}


class AppealRefused(ValueError):
    """The appeal cannot be filed; the message is for the appellant."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class AppealTarget:
    """What the appellant is shown about the action: never the content, never other accounts."""

    action_id: int
    kind: str
    status: str
    reason: str
    categories: list[str]
    created_at: datetime
    expires_at: datetime | None
    in_force: bool
    appeal: PublicStatus | None  # filed already


class Appeals:
    def __init__(self, read: sessionmaker[Session], write: sessionmaker[Session], cipher: EvidenceCipher,
                 tokens: AppealTokens, throttles: Throttles, settings: ReviewSettings, clock=utcnow):
        self.read, self.write, self.cipher, self.tokens = read, write, cipher, tokens
        self.throttles, self.settings, self.clock = throttles, settings, clock

    def lookup(self, token: str) -> AppealTarget | None:
        action_id = self.tokens.action_id(token)
        if action_id is None:
            return None
        now = self.clock()
        with self.read() as s:
            a = s.get(EnforcementAction, action_id)
            if a is None:
                return None
            v = s.get(Violation, a.violation_id) if a.violation_id else None
            row = s.execute(select(Appeal, Case).join(Case, Case.id == Appeal.case_id).where(Appeal.action_id == a.id)).first()
            status = public_status(row[1], row[0].created_at, now) if row else None
            return AppealTarget(a.id, a.kind, a.status, a.reason, list(v.categories) if v else [], a.created_at,
                                a.expires_at, _in_force(a, now), status)

    def file(self, token: str, statement: str, contact: str, address: str) -> AppealTarget:
        action_id = self.tokens.action_id(token)
        if action_id is None:
            raise AppealRefused("This appeal link is not valid. Copy it exactly from the notice you received.", "token")
        statement, contact = statement.strip(), contact.strip()
        if not statement:
            raise AppealRefused("Tell us why you think the decision is wrong.", "statement")
        if len(statement) > MAX_STATEMENT:
            raise AppealRefused(f"Keep the statement under {MAX_STATEMENT} characters.", "statement")
        if len(contact) > MAX_CONTACT:
            raise AppealRefused(f"Keep contact details under {MAX_CONTACT} characters.", "contact")
        if "\x00" in statement or "\x00" in contact:
            raise AppealRefused("The appeal contains characters that cannot be stored.", "statement")
        sealed_statement = self.cipher.encrypt(mask(statement)[0])
        sealed_contact = self.cipher.encrypt(contact) if contact else None
        now = self.clock()
        try:
            with self.write.begin() as s:
                key, rule = address_limited(s, self.throttles, address, self.settings.reports_per_hour, now)
                a = s.get(EnforcementAction, action_id)
                if a is None:
                    raise AppealRefused("This action no longer exists.", "token")
                if s.scalar(select(Appeal.id).where(Appeal.action_id == a.id)) is not None:
                    raise AppealRefused("This action has already been appealed: see the status below.")
                if not _in_force(a, now):
                    raise AppealRefused("This action is no longer in force, so there is nothing to appeal.")
                row = s.get(Subject, a.subject_id)
                subject = str(SubjectKey(row.kind, row.scope, row.ref))
                v = s.get(Violation, a.violation_id) if a.violation_id else None
                case = open_case(
                    s, now, "appeal", v.categories if v else [], v.reporting if v else [], subject=subject,
                    violation_id=v.id if v else None, action_ids=[a.id],
                    policy=(v.policy_id, v.policy_revision) if v else (None, a.policy_revision),
                    excluded=self._deciders(s, a, subject), actor="public", details={"action_id": a.id, "kind": a.kind},
                )
                s.add(Appeal(case_id=case.id, action_id=a.id, statement=sealed_statement, contact=sealed_contact, created_at=now))
                s.flush()
                audit.append(s, "public", "appeal.filed", case.subject, case.policy_revision,
                             {"case_id": case.id, "action_id": a.id, "kind": a.kind})
                self.throttles.hit(s, key, rule, now)
        except IntegrityError:  # the same action appealed at the same moment from elsewhere
            raise AppealRefused("This action has already been appealed: see the status below.") from None
        return self.lookup(token)

    @staticmethod
    def _deciders(s: Session, a: EnforcementAction, subject: str) -> set[str]:
        """Everyone who took part in deciding the action or the violation behind it."""
        people = {x for x in (a.created_by, a.decided_by) if x and x.startswith("person:")}
        for c in s.scalars(select(Case).where(Case.subject == subject, Case.status == "closed", Case.kind != "appeal")):
            if a.id in (c.action_ids or ()) or (a.violation_id is not None and c.violation_id == a.violation_id):
                people.update(x for x in (c.decided_by, c.second_reviewer) if x)
        return people


def _in_force(a: EnforcementAction, now: datetime) -> bool:
    return a.status == "active" and (a.expires_at is None or a.expires_at > now)
