"""Reading across cases: an account's page, the decision log and search. Child-safety cases
are left out for people who may not see them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..store import audit
from ..store.ledger import Ledger, LedgerError, NotFound, SubjectKey
from ..store.review_models import Case, MisuseReport
from .priority import is_child_safety
from .roles import Can, can
from .tokens import reference_digest

PAGE = 100


@dataclass
class Account:
    subject: str
    record: dict | None  # the ledger's record: violations, strikes, actions (no evidence)
    cases: list[Case]


class Lookup:
    def __init__(self, read: sessionmaker[Session], ledger: Ledger):
        self.read, self.ledger = read, ledger

    @staticmethod
    def _visible(q, roles: tuple[str, ...]):
        return q if can(roles, Can.CHILD_SAFETY) else q.where(Case.child_safety.is_(False))

    def account(self, subject: str, roles: tuple[str, ...]) -> Account:
        key = SubjectKey.parse(subject)  # LedgerError for a malformed subject
        try:
            record = self.ledger.subject_record(key)
        except NotFound:
            record = None
        with self.read() as s:
            cases = list(s.scalars(self._visible(select(Case).where(Case.subject == str(key)), roles).order_by(Case.id.desc())))
        if not can(roles, Can.CHILD_SAFETY) and record is not None:
            # The record holds no content, but what a child-safety violation was about is for
            # child-safety reviewers: others see that there is one, not its categories.
            record = {**record, "violations": [
                {**v, "categories": ["(child safety)"], "scores": {}} if is_child_safety(v["categories"], v["reporting"]) else v
                for v in record["violations"]]}
        return Account(str(key), record, cases)

    def decisions(self, roles: tuple[str, ...], before: int | None = None) -> list[Case]:
        q = select(Case).where(Case.status == "closed").order_by(Case.id.desc()).limit(PAGE)
        if before:
            q = q.where(Case.id < before)
        with self.read() as s:
            return list(s.scalars(self._visible(q, roles)))

    def search(self, query: str, roles: tuple[str, ...]) -> tuple[list[Case], str | None]:
        """Cases matching a case number (#12 or 12), a report reference, a subject
        (key:…, project:…, user:…), or a category id. Returns the cases and, for a subject,
        the account to link to."""
        q = query.strip()
        if not q:
            return [], None
        account = None
        stmt = select(Case).order_by(Case.id.desc()).limit(PAGE)
        if q.lstrip("#").isdigit():
            stmt = stmt.where(Case.id == int(q.lstrip("#")))
        elif digest := reference_digest(q):
            stmt = stmt.where(Case.id.in_(select(MisuseReport.case_id).where(MisuseReport.reference_sha256 == digest)))
        else:
            try:
                account = str(SubjectKey.parse(q))
                stmt = stmt.where(Case.subject == account)
            except LedgerError:
                with self.read() as s:  # a category: JSON lists are searched in Python, over recent cases
                    rows = s.scalars(self._visible(select(Case).order_by(Case.id.desc()).limit(2000), roles)).all()
                    return [c for c in rows if any(cat == q or cat.startswith(q + ".") for cat in c.categories)][:PAGE], None
        with self.read() as s:
            return list(s.scalars(self._visible(stmt, roles))), account

    def audit_entries(self, subject: str | None = None, before: int | None = None) -> list[dict]:
        with self.read() as s:
            return audit.entries(s, subject or None, PAGE, before)
