"""`marketloop smoke URL`: the staging smoke script. Each check is one small function over HTTP;
the result is a list of `Check` rows, printed as a table and written as JUnit XML that TestRail
and CI import. A check that cannot apply to this server (no dashboard, no runs route yet) is
skipped with the reason, never passed.
"""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from marketloop.api.scopes import PREFIX

Outcome = Literal["pass", "fail", "skip"]
REQUIRED_METRICS = ("marketloop_http_requests_total", "marketloop_loop_runs_total")


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str
    seconds: float = 0.0


@dataclass
class Smoke:
    http: httpx.Client
    key: str | None
    loop: str
    run_timeout: float = 60.0

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def healthz(self) -> tuple[Outcome, str]:
        r = self.http.get("/healthz")
        return _expect(r, 200)

    def readyz(self) -> tuple[Outcome, str]:
        r = self.http.get("/readyz")
        return _expect(r, 200, r.text[:200])

    def refuses_anonymous(self) -> tuple[Outcome, str]:
        r = self.http.get(f"{PREFIX}/scopes")
        return ("pass", "401 without a key") if r.status_code == 401 else _unexpected(r, 401)

    def serves_with_key(self) -> tuple[Outcome, str]:
        if not self.key:
            return "skip", "no --key given"
        r = self.http.get(f"{PREFIX}/scopes", headers=self.bearer())
        return _expect(r, 200)

    def tiny_run(self) -> tuple[Outcome, str]:
        if not self.key:
            return "skip", "no --key given"
        listed = self.http.get(f"{PREFIX}/runs", headers=self.bearer())
        if listed.status_code == 404:
            return "skip", "this server has no runs route"
        headers = {**self.bearer(), "Idempotency-Key": f"smoke-{uuid.uuid4()}"}
        started = self.http.post(f"{PREFIX}/runs", headers=headers, json={"loop": self.loop})
        if started.status_code != 202:
            return _unexpected(started, 202)
        where = started.headers.get("Location") or f"{PREFIX}/runs/{started.json().get('id')}"
        deadline = time.monotonic() + self.run_timeout
        status = "queued"
        while time.monotonic() < deadline:
            status = str(self.http.get(where, headers=self.bearer()).json().get("status"))
            if status in {"succeeded", "failed", "cancelled"}:
                break
            time.sleep(0.5)
        ok = status == "succeeded"
        return ("pass" if ok else "fail"), f"run of {self.loop}: {status}"

    def metrics(self) -> tuple[Outcome, str]:
        r = self.http.get("/metrics", headers=self.bearer())
        if r.status_code in {401, 403}:
            return "fail", f"/metrics answered {r.status_code}: --key needs the metrics scope"
        if r.status_code != 200:
            return _unexpected(r, 200)
        missing = [name for name in REQUIRED_METRICS if f"# TYPE {name}" not in r.text]
        return ("fail", f"missing: {', '.join(missing)}") if missing else ("pass", "served")

    def login_page(self) -> tuple[Outcome, str]:
        r = self.http.get("/", follow_redirects=True)
        if r.status_code == 404:
            return "skip", "no dashboard on this server (/ answers 404)"
        if r.status_code == 200 and "<form" in r.text.lower():
            return "pass", f"login page at {r.url.path}"
        return "fail", f"/ answered {r.status_code} without a login form"

    def checks(self) -> list[tuple[str, Callable[[], tuple[Outcome, str]]]]:
        return [
            ("healthz", self.healthz),
            ("readyz", self.readyz),
            ("unauthenticated call refused", self.refuses_anonymous),
            ("authenticated call served", self.serves_with_key),
            ("tiny run", self.tiny_run),
            ("metrics present", self.metrics),
            ("login page served", self.login_page),
        ]

    def run(self) -> list[Check]:
        results = []
        for name, check in self.checks():
            began = time.monotonic()
            try:
                outcome, detail = check()
            except (httpx.HTTPError, ValueError) as exc:
                outcome, detail = "fail", f"{type(exc).__name__}: {exc}"
            results.append(Check(name, outcome, detail, time.monotonic() - began))
        return results


def _expect(r: httpx.Response, status: int, detail: str = "") -> tuple[Outcome, str]:
    return ("pass", detail or str(status)) if r.status_code == status else _unexpected(r, status)


def _unexpected(r: httpx.Response, wanted: int) -> tuple[Outcome, str]:
    return "fail", f"{r.request.method} {r.request.url.path} answered {r.status_code}, not {wanted}"


def junit(results: list[Check], url: str) -> bytes:
    """The smoke run as JUnit XML."""
    return junit_suite(results, f"marketloop smoke {url}", "marketloop.smoke")


def junit_suite(results: list[Check], name: str, classname: str) -> bytes:
    """JUnit XML: one testsuite, one testcase per check (failure / skipped elements); also
    what the browser tests write (tests/browser_junit.py)."""
    failures = sum(r.outcome == "fail" for r in results)
    skipped = sum(r.outcome == "skip" for r in results)
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(results)),
        failures=str(failures),
        skipped=str(skipped),
        errors="0",
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname=classname, name=r.name, time=f"{r.seconds:.3f}"
        )
        if r.outcome == "fail":
            ET.SubElement(case, "failure", message=r.detail).text = r.detail
        elif r.outcome == "skip":
            ET.SubElement(case, "skipped", message=r.detail)
    text: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return text


def write_junit(results: list[Check], url: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(junit(results, url))
