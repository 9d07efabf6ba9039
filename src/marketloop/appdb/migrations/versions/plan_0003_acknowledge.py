"""plan: an `acknowledge` event kind (a person has seen an escalation)

Widens the CHECK constraint on plan_events.kind (appdb.plan_kinds, as plan_0002 did).

Revision ID: plan_0003
Revises: plan_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from marketloop.appdb.plan_kinds import set_kinds

revision = "plan_0003"
down_revision = "plan_0002"
branch_labels = None
depends_on = None

OLD = ("slip", "block", "unblock", "done", "notified", "rebaseline", "retract")
NEW = (*OLD, "acknowledge")


def upgrade() -> None:
    set_kinds(NEW)


def downgrade() -> None:
    set_kinds(OLD)
