"""plan: a `retract` event kind (corrects a mistake without changing the log)

Widens the CHECK constraint on plan_events.kind (appdb.plan_kinds: on SQLite the table is
copied into a new one and its append-only triggers are created again).

Revision ID: plan_0002
Revises: plan_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from marketloop.appdb.plan_kinds import set_kinds

revision = "plan_0002"
down_revision = "plan_0001"
branch_labels = None
depends_on = None

OLD = ("slip", "block", "unblock", "done", "notified", "rebaseline")
NEW = (*OLD, "retract")


def upgrade() -> None:
    set_kinds(NEW)


def downgrade() -> None:
    set_kinds(OLD)
