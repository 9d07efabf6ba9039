"""The spinner of `quality run` (CLI and demo): the phase, and while dbt runs how many nodes
are done and which one is running."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from marketloop.clikit import progress
from marketloop.quality.dbt import NodeCallback
from marketloop.quality.run import PhaseCallback

PHASES = {
    "inventory": "Reading the warehouse inventory",
    "freshness": "dbt source freshness",
    "published briefs": "Loading published briefs from the app database",
    "build": "dbt build (models and tests)",
    "record": "Recording row counts, schemas and results",
}


@contextmanager
def dbt_progress() -> Iterator[tuple[PhaseCallback, NodeCallback]]:
    """A spinner naming the phase and, while dbt runs, how many nodes are done."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with progress(*columns) as bar:
        spinner = _Spinner(bar)
        yield spinner.phase, spinner.node


class _Spinner:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("starting", total=None)
        self.label = ""
        self.done = 0

    def phase(self, phase: str) -> None:
        self.label, self.done = PHASES.get(phase, phase), 0
        self.progress.update(self.task, description=self.label)

    def node(self, unique_id: str, status: str) -> None:
        if status != "started":
            self.done += 1
        name = unique_id.split(".")[2]  # model.<project>.<name>, test.<project>.<name>.<hash>
        self.progress.update(self.task, description=f"{self.label}: {self.done} done · {name}")
