"""Staging access: headers, cookies and basic auth from the settings reach the crawl's own
host (and only it), masked in the manifest; user-agent presets; robots.txt overridden only
for the start host."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from marketloop.crawl.config import USER_AGENTS, CrawlSettings
from marketloop.crawl.dataset import CrawlDataset
from marketloop.crawl.run import run_crawl
from marketloop.errors import ConfigError

pytestmark = pytest.mark.timeout(60)
SECRET = "s3cret\"'&<script>"
AUTH = "Basic " + base64.b64encode(f"preview:{SECRET}".encode()).decode()


class Staging(BaseHTTPRequestHandler):
    """A staging site: 401 without the password, header and cookie; robots.txt disallows all."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        if self.path == "/robots.txt":
            return self._send(200, b"User-agent: *\nDisallow: /\n", "text/plain")
        granted = (
            self.headers.get("Authorization") == AUTH
            and self.headers.get("X-Preview") == "yes"
            and "session=abc" in (self.headers.get("Cookie") or "")
        )
        if not granted:
            return self._send(401, b"<html><body>locked</body></html>", "text/html")
        body = b'<html><head><title>Staging</title></head><body><a href="/b">b</a>' \
               b'<a href="http://localhost:9/elsewhere">out</a></body></html>'  # fmt: skip
        return self._send(200, body, "text/html")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def staging() -> Iterator[str]:
    Staging.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Staging)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def settings(**extra: Any) -> CrawlSettings:
    return CrawlSettings(
        retries=0, timeout=3, parse_workers=1, fetch_images=False,
        basic_auth_user="preview", basic_auth_password=SECRET,
        headers={"X-Preview": "yes"}, cookies={"session": "abc"}, **extra,
    )  # fmt: skip


def test_credentials_open_the_staging_site_and_stay_masked(staging: str, tmp_path: Path) -> None:
    host = staging.split("/")[2].split(":", maxsplit=1)[0]
    run_crawl(staging, tmp_path / "c", settings(ignore_robots_hosts=[host]))
    dataset = CrawlDataset.open(tmp_path / "c")
    status = {r["url"]: r["status"] for r in dataset.query("SELECT url, status FROM pages")}
    assert status == {staging: 200, staging + "b": 200}
    manifest = (tmp_path / "c" / "manifest.json").read_text()
    assert SECRET not in manifest and "abc" not in manifest and "**********" in manifest
    assert all(seen.get("authorization") == AUTH for seen in Staging.seen)


def test_without_the_override_robots_txt_is_obeyed(staging: str, tmp_path: Path) -> None:
    run_crawl(staging, tmp_path / "c", settings())
    blocked = CrawlDataset.open(tmp_path / "c").query("SELECT blocked_by_robots FROM pages")
    assert [r["blocked_by_robots"] for r in blocked] == [True]


def test_robots_override_is_for_the_start_host_only(staging: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not the start URL's host"):
        run_crawl(staging, tmp_path / "c", settings(ignore_robots_hosts=["example.com"]))


def test_user_agent_presets_and_header_injection() -> None:
    assert (
        CrawlSettings(user_agent="googlebot-smartphone").user_agent
        == USER_AGENTS["googlebot-smartphone"]
    )
    assert CrawlSettings(user_agent="my bot/1.0").user_agent == "my bot/1.0"
    with pytest.raises(ValueError, match="no line breaks"):
        CrawlSettings(headers={"X-A": "1\r\nSet-Cookie: x=1"})
