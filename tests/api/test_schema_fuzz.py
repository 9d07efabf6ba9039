"""schemathesis over the OpenAPI schema on a seeded workspace, with a key holding every scope:
no 5xx, and every response (status, content type, body) matches what the schema documents.
Bounded (a few examples per operation) so CI pays seconds, not minutes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.api.conftest import PLAN, new_key, seed, seed_evals

from marketloop.api.app import create_app
from marketloop.api.scopes import Scope

LIMITS = dict.fromkeys(("read", "write", "run", "admin", "anonymous"), "100000/minute")
EXAMPLES = 8  # per operation: bounded, so CI pays seconds
HOOK = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    from marketloop.config import load_settings
    from marketloop.workspace import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("fuzz") / "ws").ensure()
    seed(workspace)
    loop = workspace.root.parent / "weekly.yaml"  # what the runs routes' examples start
    loop.write_text("name: weekly\nsteps:\n  crawl: {action: noop}\n  audit: {action: noop}\n")
    settings = load_settings(
        overrides={
            "workspace": workspace.root,
            "plan": {"file": PLAN},
            "runner": {"loops": [loop]},
            "api": {"limits": LIMITS, "hooks": {"zapier": {"secret": HOOK, "target": "weekly"}}},
        }
    )
    seed_evals(settings)
    app = create_app(settings)
    app.state.fuzz_key = new_key(app, *Scope, name="fuzz")
    yield app


def test_api_matches_its_schema(fuzzed_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzzed_app)
    headers = {"Authorization": f"Bearer {fuzzed_app.state.fuzz_key}"}
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) == ("DELETE", "/api/v1/keys/{key_id}"):
            continue  # it would revoke the key the fuzzing uses (tests/api/test_keys.py has it)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],  # report, do not spend minutes shrinking
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
        tested += 1
    assert tested >= 25
    from marketloop.runner.service import list_runs

    # the documented examples started runs: the 202 responses were checked against RunView too
    assert list_runs(fuzzed_app.state.api.settings).data
