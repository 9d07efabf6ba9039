"""runner: runs, their steps, and schedule slots

Revision ID: runner_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "runner_0001"
down_revision = None
branch_labels = ("runner",)
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runner_runs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("loop", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runner_runs")),
    )
    op.create_index(op.f("ix_runner_runs_loop"), "runner_runs", ["loop"])
    op.create_index(op.f("ix_runner_runs_status"), "runner_runs", ["status"])
    op.create_index(op.f("ix_runner_runs_created_at"), "runner_runs", ["created_at"])
    op.create_table(
        "runner_steps",
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("heartbeat_at", WHEN, nullable=True),
        sa.Column("not_before", WHEN, nullable=True),
        sa.Column("enqueued_at", WHEN, nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("gate", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runner_runs.id"],
            name=op.f("fk_runner_steps_run_id_runner_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "name", name=op.f("pk_runner_steps")),
    )
    op.create_index(op.f("ix_runner_steps_status"), "runner_steps", ["status"])
    op.create_table(
        "runner_schedules",
        sa.Column("loop", sa.String(100), nullable=False),
        sa.Column("step", sa.String(100), nullable=False),
        sa.Column("cron", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("last_slot", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("loop", "step", name=op.f("pk_runner_schedules")),
    )


def downgrade() -> None:
    op.drop_table("runner_schedules")
    op.drop_table("runner_steps")
    op.drop_table("runner_runs")
