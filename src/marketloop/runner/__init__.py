"""The runner: loop files run on a schedule, step by step, with gates, retries and history.

    loopfile.py   a loop file (YAML) → typed `Loop`, errors naming the line
    dag.py        the order of steps (needs), cycles refused
    schedule.py   cron schedules with time zones; which slot is due
    slots.py      the slot each schedule last fired, claimed by one worker
    states.py     run and step statuses and the only transitions between them
    tables.py     runs and steps as rows in the app database (Alembic branch `runner`)
    store.py      reading rows, and changing a status by an explicit transition
    settle.py     one transaction per turn of a run: a step's end and the run's next moves
    engine.py     what happens next in a run (advance), and running one step (execute)
    heartbeat.py  running steps' heartbeats (a dead worker's steps run again), cancellation
    queue.py      Huey: the one task `execute_step(run_id, step)`; SQLite or Redis storage
    worker.py     `marketloop worker`: the Huey consumer plus the scheduler and the sweeper
    service.py    start_run, get_run, list_runs, cancel_run, approve_step (CLI, API, dashboard)
    cli.py        `marketloop loop ...` (cli_output.py prints runs; cli_worker.py: `worker`)
    demo.py       `marketloop loop demo`: the demo loop on the sample site and fakes
    noop.py       the `noop` actions (tests, benchmarks, trying a loop file)

Actions (what a step runs) come from the registry in `marketloop/actions.py`; stages never
import Huey, and the runner holds no stage logic.
"""
