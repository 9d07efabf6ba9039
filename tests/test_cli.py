import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from marketloop import __version__
from marketloop.cli import app


def test_help_lists_the_commands(cli: CliRunner) -> None:
    result = cli.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "demo" in result.output


def test_version(cli: CliRunner) -> None:
    result = cli.invoke(app, ["--version"])
    assert result.output.strip() == f"marketloop {__version__}"


SRC = Path(__file__).resolve().parents[1] / "src"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess, importing this checkout's code (not whatever is installed)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "marketloop", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_configuration_errors_exit_2_with_one_line_and_a_hint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[crawl]\nmax_urls = -1\n")
    result = run_cli("--config", str(bad), "demo", "--workspace", str(tmp_path / "ws"))
    assert result.returncode == 2
    assert "crawl.max_urls" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_command_is_a_usage_error() -> None:
    assert run_cli("no-such-command").returncode == 2


def test_every_demo_step_resolves() -> None:
    from marketloop.demo import STEPS, load_step

    for _, reference in STEPS:
        assert callable(load_step(reference))


def test_help_does_not_import_the_heavy_stages() -> None:
    probe = (
        "import sys, marketloop.cli; "
        "print(sorted(m for m in ('sklearn', 'dbt', 'dlt', 'openai') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert result.stdout.strip() == "[]"
