"""Schedule slots: the slot each loop (or scheduled step) last fired, claimed by one worker.

A claim is a compare-and-set on `runner_schedules`, so with several workers exactly one fires a
slot; the first sight of a schedule is an insert that only one worker wins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from marketloop.runner.store import Store, aware, now
from marketloop.runner.tables import ScheduleRow


class Slots:
    def __init__(self, store: Store) -> None:
        self.store = store

    def last(self, loop: str, step: str, cron: str, timezone: str) -> datetime | None:
        """The slot this schedule last fired (None: never seen, or its cron changed)."""
        with self.store.session() as s:
            row = s.get(ScheduleRow, (loop, step))
            if row is None or (row.cron, row.timezone) != (cron, timezone):
                return None
            return aware(row.last_slot)

    def claim(
        self, loop: str, step: str, cron: str, timezone: str, old: datetime | None, new: datetime
    ) -> bool:
        """Record `new` as the last slot fired, if nobody moved it from `old` first."""
        with self.store.session() as s:
            row = s.get(ScheduleRow, (loop, step))
            if row is None:
                try:
                    with s.begin_nested():
                        s.add(
                            ScheduleRow(
                                loop=loop,
                                step=step,
                                cron=cron,
                                timezone=timezone,
                                last_slot=new,
                                registered_at=now(),
                            )
                        )
                except IntegrityError:  # another worker inserted it first
                    return False
                return True
            same = (row.cron, row.timezone) == (cron, timezone)
            if same and aware(row.last_slot) != old:
                return False
            changed = Store._update(
                s,
                update(ScheduleRow)
                .where(
                    ScheduleRow.loop == loop,
                    ScheduleRow.step == step,
                    ScheduleRow.last_slot == row.last_slot,
                )
                .values(
                    last_slot=new,
                    cron=cron,
                    timezone=timezone,
                    **({} if same else {"registered_at": now()}),
                ),
            )
            return bool(changed)
