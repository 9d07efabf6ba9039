"""runner: when each schedule was first seen (`registered_at`), so a loop that has never
succeeded can still be stale (observe/facts.py exports it; LoopStale alerts on it)

Existing rows take their `last_slot`: the best known moment the schedule was already there.

Revision ID: runner_0002
Revises: runner_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "runner_0002"
down_revision = "runner_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runner_schedules") as batch:
        batch.add_column(sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE runner_schedules SET registered_at = last_slot")


def downgrade() -> None:
    with op.batch_alter_table("runner_schedules") as batch:
        batch.drop_column("registered_at")
