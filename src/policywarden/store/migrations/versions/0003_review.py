"""Human review: staff, their sessions, throttles, cases with their history, misuse reports
and appeals.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _at("created_at"),
        _at("password_changed_at"),
        _at("last_login_at", True),
        _at("disabled_at", True),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
        _at("created_at"),
        _at("last_seen_at"),
        _at("expires_at"),
        _at("revoked_at", True),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "throttles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("count", sa.Integer(), nullable=False),
        _at("window_start"),
        _at("blocked_until", True),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("child_safety", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.String(120), nullable=True),
        sa.Column("violation_id", sa.Integer(), sa.ForeignKey("violations.id", ondelete="SET NULL"), nullable=True),
        sa.Column("action_ids", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("policy_id", sa.String(100), nullable=True),
        sa.Column("policy_revision", sa.String(40), nullable=True),
        sa.Column("dedupe_key", sa.String(64), nullable=True),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("excluded", sa.JSON(), nullable=False),
        sa.Column("claimed_by", sa.Integer(), sa.ForeignKey("staff.id", ondelete="SET NULL"), nullable=True),
        _at("claim_expires_at", True),
        sa.Column("proposal", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(24), nullable=True),
        sa.Column("decision_category", sa.String(100), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("second_reviewer", sa.String(120), nullable=True),
        _at("decided_at", True),
        sa.Column("time_to_decision_s", sa.Integer(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
    )
    op.create_index("ix_cases_queue", "cases", ["status", "priority", "created_at"])
    op.create_index("ix_cases_subject", "cases", ["subject"])
    op.create_index("ix_cases_dedupe", "cases", ["dedupe_key", "status"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        _at("at"),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_case_events_case_id", "case_events", ["case_id"])
    op.create_table(
        "misuse_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reference_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        _at("created_at"),
    )
    op.create_index("ix_misuse_reports_case_id", "misuse_reports", ["case_id"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("actions.id", ondelete="SET NULL"), nullable=True, unique=True),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        _at("created_at"),
    )
    op.create_index("ix_appeals_case_id", "appeals", ["case_id"])


def downgrade() -> None:
    for table in ("appeals", "misuse_reports", "case_events", "cases", "throttles", "staff_sessions", "staff"):
        op.drop_table(table)  # their indexes go with them
