"""plan: append-only event log (plan_events), guarded by UPDATE/DELETE triggers

Revision ID: plan_0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "plan_0001"
down_revision = None
branch_labels = ("plan",)
depends_on = None

KINDS = ("slip", "block", "unblock", "done", "notified", "rebaseline")
MESSAGE = "plan_events is append-only: record a new event instead"


def upgrade() -> None:
    op.create_table(
        "plan_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("task", sa.String(64), nullable=True),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("baseline_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_plan_events"),
        sa.UniqueConstraint(
            "plan_id", "baseline_version", name="uq_plan_events_plan_id_baseline_version"
        ),
        sa.CheckConstraint(
            f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="ck_plan_events_kind"
        ),
    )
    op.create_index("ix_plan_events_plan_id", "plan_events", ["plan_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION plan_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER plan_events_append_only BEFORE UPDATE OR DELETE ON plan_events "
            "FOR EACH ROW EXECUTE FUNCTION plan_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER plan_events_no_truncate BEFORE TRUNCATE ON plan_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION plan_events_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER plan_events_no_{action.lower()} BEFORE {action} ON plan_events "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE plan_events")
        op.execute("DROP FUNCTION plan_events_append_only()")
    else:
        op.execute("DROP TRIGGER plan_events_no_update")
        op.execute("DROP TRIGGER plan_events_no_delete")
        op.drop_index("ix_plan_events_plan_id", "plan_events")
        op.drop_table("plan_events")
