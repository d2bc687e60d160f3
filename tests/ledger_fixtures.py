"""Builders shared by the ledger tests: a ledger on a fresh database with a controllable clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from policywarden.enforce.config import EnforcementConfig
from policywarden.settings import Settings
from policywarden.services import Services
from policywarden.store.ledger import Hit, SubjectKey, ViolationReport

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
SECRET = "x" * 43


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


def make_services(url: str, tmp_path, config: EnforcementConfig | None = None, **settings) -> Services:
    sv = Services(Settings(database_url=url, secret_key=SECRET, secret_file=str(tmp_path / "k"), **settings))
    sv.migrate()
    if config is not None:
        sv.__dict__["enforcement_config"] = config
    return sv


def user(ref: str = "u_alice", scope: int = 0) -> SubjectKey:
    return SubjectKey("user", scope, ref)


def report(subject: SubjectKey, category: str = "protect.harassment", severity: str = "medium", content: str | None = None,
           **kw) -> ViolationReport:
    return ViolationReport(subject=subject, hits=[Hit(category, severity, 0.9)], policy_id="openai-usage",
                           policy_revision="2025-10-29", content=content, **kw)
