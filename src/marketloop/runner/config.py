"""Settings of the runner (`[runner]` in marketloop.toml, `MARKETLOOP_RUNNER_*` in the env)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from marketloop.section import Section


class RunnerSettings(Section):
    queue: str | None = Field(
        None,
        pattern=r"^(redis|rediss|sqlite)://",
        description="the Huey queue: redis://host:6379/0 to scale out on Redis; default: "
        "SQLite in WORKSPACE/queue.db (sqlite:///PATH names another file)",
    )
    loops: list[Path] = Field(
        default_factory=list, description="loop files `marketloop worker` schedules"
    )
    threads: int = Field(2, ge=1, le=64, description="steps one worker runs at a time")
    heartbeat: float = Field(2.0, gt=0, description="seconds between a running step's heartbeats")
    lease: float = Field(
        10.0,
        gt=0,
        description="seconds without a heartbeat after which a running step's worker is taken "
        "for dead and the step runs again",
    )
    tick: float = Field(1.0, gt=0, description="seconds between scheduler passes of a worker")
    backoff: float = Field(5.0, ge=0, description="seconds before the first retry; doubles")
    backoff_cap: float = Field(300.0, ge=0, description="longest wait between retries")

    @field_validator("queue")
    @classmethod
    def _queue_url(cls, url: str | None) -> str | None:
        """A URL Redis or SQLite cannot take is a settings error, not a traceback later."""
        if url is None:
            return None
        if url.startswith("sqlite://"):
            if not url.removeprefix("sqlite:///").strip() or not url.startswith("sqlite:///"):
                raise ValueError("a SQLite queue is sqlite:///PATH (a file)")
            return url
        from redis.connection import parse_url

        try:
            parse_url(url)  # type: ignore[no-untyped-call]
        except ValueError as exc:  # the URL may hold a password: not repeated here
            raise ValueError(f"not a Redis URL redis://[:password@]host:port/db ({exc})") from None
        return url

    log_retention_days: float = Field(
        30,
        ge=0,
        description="days a run's step logs (WORKSPACE/logs/RUN/) are kept after they were "
        "last written; the worker prunes older ones hourly (active runs keep theirs); 0 keeps "
        "them forever",
    )
