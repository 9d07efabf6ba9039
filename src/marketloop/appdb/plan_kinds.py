"""Widening (or narrowing) the CHECK constraint on `plan_events.kind`, for the migrations that
add an event kind (plan_0002 `retract`, plan_0003 `acknowledge`). SQLite cannot alter a
constraint: the table is copied into a new one (batch mode) and its append-only triggers are
created again."""

from __future__ import annotations

from alembic import op

MESSAGE = "plan_events is append-only: record a new event instead"


def set_kinds(kinds: tuple[str, ...]) -> None:
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
