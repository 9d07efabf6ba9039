"""`marketloop stack up|down`: the one-machine staging stack (observe/stack.py)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from marketloop.clikit import console, state

app = typer.Typer(
    help="A staging stack on this machine: app, worker, Prometheus, Alertmanager.\n\n"
    "Example: marketloop stack up"
)

DirOption = Annotated[Path, typer.Option("--dir", help="Where configs, logs and pids go.")]
DEFAULT_DIR = Path(".marketloop/stack")


@app.command("up")
def up_command(
    ctx: typer.Context,
    folder: DirOption = DEFAULT_DIR,
    loop: Annotated[
        list[Path] | None, typer.Option("--loop", help="Loop file the worker schedules.")
    ] = None,
    api_port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    worker_port: Annotated[int, typer.Option(min=1, max=65535)] = 9464,
    prometheus_port: Annotated[int, typer.Option(min=1, max=65535)] = 9090,
    alertmanager_port: Annotated[int, typer.Option(min=1, max=65535)] = 9093,
    interval: Annotated[str, typer.Option(help="Scrape and rule evaluation interval.")] = "15s",
    rules: Annotated[Path | None, typer.Option(help="Rules file (default deploy/'s).")] = None,
    pagerduty_url: Annotated[
        str, typer.Option(help="PagerDuty Events v2 endpoint critical alerts go to.")
    ] = "https://events.pagerduty.com/v2/enqueue",
    slack_url: Annotated[str, typer.Option(help="Slack webhook warnings go to.")] = (
        "http://127.0.0.1:9/slack"
    ),
) -> None:
    """Start the app, a worker, Prometheus and Alertmanager on 127.0.0.1 (no Docker).

    The app and worker use the settings in force (MARKETLOOP_APP_DB_URL, MARKETLOOP_RUNNER_QUEUE).
    Example: marketloop stack up --loop examples/loops/demo.yaml; marketloop stack down
    """
    from marketloop.observe import stack

    ports = stack.Ports(api_port, worker_port, prometheus_port, alertmanager_port)
    settings = state(ctx).settings()
    key_file = None if settings.observe.metrics_public else stack.metrics_key(folder, settings)
    stack.configs(folder, ports, interval, rules or stack.DEPLOY / "prometheus" / "rules.yml",
                  pagerduty_url, slack_url, key_file)  # fmt: skip
    argvs = stack.commands(folder, ports, loop or [])
    ready = {
        "app": f"http://127.0.0.1:{ports.api}/healthz",
        "worker": f"http://127.0.0.1:{ports.worker}/metrics",  # answers 401 without the key
        "prometheus": f"http://127.0.0.1:{ports.prometheus}/-/ready",
        "alertmanager": f"http://127.0.0.1:{ports.alertmanager}/-/ready",
    }
    for name, argv in argvs.items():
        stack.start(folder, name, argv, ports)
    for name, url in ready.items():
        if not wait_for(url, 60, answered=name == "worker"):
            stack.stop(folder)
            tail = (folder / f"{name}.log").read_text(errors="replace")[-800:]
            raise stack.StackError(f"{name} did not answer {url} within 60 s: {tail}")
        console.print(f"{name}: {escape(url)}")
    console.print(f"stack up; logs in {escape(str(folder))}; stop: marketloop stack down")


@app.command("down")
def down_command(folder: DirOption = DEFAULT_DIR) -> None:
    """Stop the processes `stack up` started (by their recorded pids).

    Example: marketloop stack down
    """
    from marketloop.observe import stack

    stopped = stack.stop(folder)
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


def wait_for(url: str, seconds: float, answered: bool = False) -> bool:
    """True once `url` answers 200 (`answered`: once it answers at all, a 401 included)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return True
        except urllib.error.HTTPError:
            if answered:
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False
