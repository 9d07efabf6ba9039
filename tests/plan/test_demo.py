from marketloop.config import load_settings
from marketloop.demo import STEPS, DemoRun, load_step
from marketloop.plan.demo import run as plan_step
from marketloop.workspace import Workspace


def test_demo_step_writes_the_memo_and_is_repeatable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert ("delivery plan", "marketloop.plan.demo:run") in STEPS
    assert load_step("marketloop.plan.demo:run") is plan_step
    settings = load_settings(overrides={"workspace": tmp_path / "ws"})
    for _ in range(2):
        run = DemoRun(settings, Workspace(settings.workspace).ensure())
        plan_step(run)
        memo = run.outputs["plan status memo"].read_text()
        assert "Executive Sponsor" in memo and "day14" in memo and "<svg" in memo
        assert "slipped 2 business days" in memo and "slipped 4" not in memo  # recorded once
