"""plan: a `retract` event kind (corrects a mistake without changing the log)

Widens the CHECK constraint on plan_events.kind. SQLite cannot alter a constraint: the table is
copied into a new one (batch mode) and its append-only triggers are created again.

Revision ID: plan_0002
Revises: plan_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "plan_0002"
down_revision = "plan_0001"
branch_labels = None
depends_on = None

OLD = ("slip", "block", "unblock", "done", "notified", "rebaseline")
NEW = (*OLD, "retract")
MESSAGE = "plan_events is append-only: record a new event instead"


def upgrade() -> None:
    _set_kinds(NEW)


def downgrade() -> None:
    _set_kinds(OLD)


def _set_kinds(kinds: tuple[str, ...]) -> None:
    check = f"kind IN ({', '.join(repr(k) for k in kinds)})"
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_plan_events_kind", "plan_events", type_="check")
        op.create_check_constraint("ck_plan_events_kind", "plan_events", check)
        return
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER plan_events_no_{action}")
    with op.batch_alter_table("plan_events", recreate="always") as batch:
        batch.drop_constraint("ck_plan_events_kind", type_="check")
        batch.create_check_constraint("ck_plan_events_kind", check)
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER plan_events_no_{action.lower()} BEFORE {action} ON plan_events "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
