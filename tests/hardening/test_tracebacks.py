"""Defect 7 of issue 14: the other tracebacks. A start URL with a 64-character DNS label
(UnicodeError from the IDNA codec), `eval run` on a binary or bomb YAML file, and a corrupt
warehouse.duckdb, which got the wrong hint ("another job is writing it")."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.hostile import run

from marketloop.crawl.netpolicy import PolicyResolver
from marketloop.crawl.urls import InvalidUrl, normalize

LONG_LABEL = "a" * 64


@pytest.mark.parametrize(
    "url",
    [f"https://{LONG_LABEL}.example.com/", "https://a..b.example/", f"https://{'ab.' * 90}com/"],
)
def test_hosts_beyond_dns_limits_are_invalid_urls(url: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidUrl, match="invalid host"):
        normalize(url)
    outcome = run("crawl", url, "-w", str(tmp_path / "ws"))
    assert outcome.code == 2 and len(outcome.error_lines) == 1, outcome.stderr
    assert not (tmp_path / "ws" / "crawls").exists() or not any(
        (tmp_path / "ws" / "crawls").iterdir()
    )


async def test_the_resolver_fails_on_a_long_label_like_on_an_unknown_name() -> None:
    resolver = PolicyResolver(allow_private=False)
    try:
        with pytest.raises(OSError, match="not a valid DNS name"):
            await resolver.addresses(f"{LONG_LABEL}.example")
        with pytest.raises(OSError, match="not a valid DNS name"):
            await resolver.resolve(f"{LONG_LABEL}.example")
    finally:
        await resolver.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 4, "is not UTF-8 text"),
        (
            b"a: &a [x, x, x, x, x, x, x, x, x]\n"
            b"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            b"d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
            "anchors and aliases",
        ),
        (b"cases: " + b"[" * 50_000, "nested more than 32 levels deep"),
        (b"cases: [" + b"x" * 10, "not valid yaml: line 1"),
    ],
)
def test_eval_run_refuses_binary_and_bomb_suites(
    tmp_path: Path, content: bytes, message: str
) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_bytes(content)
    outcome = run("eval", "run", str(suite), "-w", str(tmp_path / "ws"))
    assert outcome.code in (2, 3) and message in outcome.stderr, outcome.stderr
    assert len(outcome.error_lines) == 1


@pytest.mark.parametrize(
    "args",
    [["quality", "run"], ["keywords", "gaps"], ["ingest", "file", "KW", "--table", "kw"]],
)
def test_a_corrupt_warehouse_gets_the_right_hint_and_is_left_alone(
    tmp_path: Path, args: list[str]
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    garbage = b"DUCK" + bytes(range(256)) * 64
    (ws / "warehouse.duckdb").write_bytes(garbage)
    keywords = tmp_path / "kw.csv"
    keywords.write_text("keyword,volume\ncrm,1\n")
    outcome = run(*[str(keywords) if a == "KW" else a for a in args], "-w", str(ws))
    assert outcome.code == 3, outcome.stderr
    assert "damaged or is not a DuckDB database" in outcome.stderr
    assert "another" not in outcome.stderr
    assert (ws / "warehouse.duckdb").read_bytes() == garbage
