"""Tables of human review: staff and their sessions, cases with their history, misuse reports,
appeals, and the counters behind log-in throttling and report rate limits.

Imported at the end of `models.py`, so that `Base.metadata` (and Alembic) sees them; migration
0003 creates them. Reporter-supplied text is stored masked and encrypted, contact details
encrypted; tokens and references only as SHA-256 digests.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base
from .types import UTCDateTime, utcnow


class Staff(Base):
    """A person who works in the console."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # lower case
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))  # Argon2id, PHC string
    roles: Mapped[list] = mapped_column(JSON)  # admin, reviewer, child_safety, auditor
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StaffSession(Base):
    """A signed-in browser. Only the token's SHA-256 is stored."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the absolute limit
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Throttle(Base):
    """A fixed-window counter shared by every worker: failed log-ins per account and per
    address, reports per address. `key` names what is counted by a keyed hash, never in clear."""

    __tablename__ = "throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Case(Base):
    """One thing for a person to decide: a classifier escalation, an action awaiting approval,
    a misuse report (duplicates grouped in one case) or an appeal."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_queue", "status", "priority", "created_at"),
        Index("ix_cases_subject", "subject"),
        Index("ix_cases_dedupe", "dedupe_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # escalation, approval, report, appeal
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, second_review, closed
    priority: Mapped[int] = mapped_column(Integer)  # 0 first: see review/priority.py
    child_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str | None] = mapped_column(String(120), nullable=True)  # SubjectKey as text
    violation_id: Mapped[int | None] = mapped_column(ForeignKey("violations.id", ondelete="SET NULL"), nullable=True)
    action_ids: Mapped[list] = mapped_column(JSON, default=list)  # actions awaiting a person, or appealed
    categories: Mapped[list] = mapped_column(JSON, default=list)
    policy_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    policy_revision: Mapped[str | None] = mapped_column(String(40), nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(64), nullable=True)  # reports about the same thing
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    excluded: Mapped[list] = mapped_column(JSON, default=list)  # actors who may not take it, e.g. the original decider
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    proposal: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # a first decision awaiting its second review
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    decision_category: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    second_reviewer: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    time_to_decision_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEvent(Base):
    """A case's history: opened, claimed, released, content viewed, decided. No content."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    event: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class MisuseReport(Base):
    """One report from the public. The reporter holds the reference; we keep its SHA-256."""

    __tablename__ = "misuse_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reference_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    target_kind: Mapped[str] = mapped_column(String(16))  # content, conversation, account
    target: Mapped[str] = mapped_column(Text)  # encrypted
    content: Mapped[str | None] = mapped_column(Text, nullable=True)  # masked, encrypted
    description: Mapped[str | None] = mapped_column(Text, nullable=True)  # masked, encrypted
    category: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str | None] = mapped_column(Text, nullable=True)  # encrypted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Appeal(Base):
    """An appeal against an action: at most one per action."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="SET NULL"), unique=True, nullable=True)
    statement: Mapped[str] = mapped_column(Text)  # masked, encrypted
    contact: Mapped[str | None] = mapped_column(Text, nullable=True)  # encrypted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
