"""`marketloop tune review` and `tune dataset` end to end: approvals in the app database,
drafts published to (fake) Notion and edited there, the JSONL files and the manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import notion_client
from notion_client.helpers import collect_paginated_api
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.config import load_settings
from marketloop.errors import ContentError, UsageError
from marketloop.integrations.notion import NotionClient

from .conftest import HOSTILE, NotionEnv, Spec, draft, write_folder

CLUSTERS = ("crm software", "email automation", "lead scoring", "seo audit")


def specs() -> list[Spec]:
    found = [
        Spec(f"{c.replace(' ', '-')}-{i}", c, draft(f"{c} {i}", f"Call +1 415 555 0134. {HOSTILE}"))
        for c in CLUSTERS
        for i in range(3)
    ]
    found.append(Spec("failing", "seo audit", draft("Weak"), checks=(True, False)))
    found.append(Spec("unreviewed", "seo audit", draft("Nobody looked")))
    return found


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_dataset_from_approved_briefs(cli: CliRunner, workspace: Path, tmp_path: Path) -> None:
    briefs = write_folder(tmp_path / "briefs", specs())
    slugs = [s.slug for s in specs() if s.slug != "unreviewed"]
    result = cli.invoke(app, ["tune", "review", *slugs, "--approve", "--by", "ada"])
    assert result.exit_code == 0, result.output
    cli.invoke(app, ["tune", "review", "lead-scoring-2", "--reject", "--note", HOSTILE])
    out = tmp_path / "data"
    result = cli.invoke(
        app, ["tune", "dataset", "--briefs", str(briefs), "--out", str(out), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    costs = json.loads(result.stdout)
    assert {r["model"]: r["usd"] for r in costs}["gpt-4o-mini"] > 0
    manifest = json.loads((out / "manifest.json").read_text())
    left_out = {d["slug"]: d["reason"] for d in manifest["left_out"]}
    assert left_out == {
        "unreviewed": "not approved",
        "lead-scoring-2": "rejected",
        "failing": "eval score 0.50",
    }
    train, valid = lines(out / "train.jsonl"), lines(out / "validation.jsonl")
    assert len(train) + len(valid) == 11 and train and valid
    assert manifest["counts"] == {
        "train": len(train),
        "validation": len(valid),
        "edited": 0,
        "left_out": 3,
    }
    sides = {}
    for example in manifest["examples"]:
        sides.setdefault(example["cluster"], set()).add(example["split"])
    assert all(len(s) == 1 for s in sides.values())
    text = (out / "train.jsonl").read_text() + (out / "validation.jsonl").read_text()
    assert "415 555 0134" not in text and "ada@example.com" not in text
    assert "[phone]" in text
    system, user, answer = train[0]["messages"]  # type: ignore[misc]
    assert system["role"] == "system" and user["role"] == "user"  # the draft prompt's messages
    assert answer["role"] == "assistant" and answer["content"].startswith("# ")


def test_since_and_unknown_folder(cli: CliRunner, workspace: Path, tmp_path: Path) -> None:
    briefs = write_folder(tmp_path / "briefs", specs()[:2])
    cli.invoke(app, ["tune", "review", specs()[0].slug, specs()[1].slug])
    out = tmp_path / "data"
    result = cli.invoke(
        app,
        ["tune", "dataset", "--briefs", str(briefs), "--out", str(out), "--since", "2999-01-01"],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        manifest["counts"]["train"] == 0 and "approved before" in manifest["left_out"][0]["reason"]
    )
    bad = cli.invoke(app, ["tune", "dataset", "--out", str(out), "--since", "yesterday"])
    assert isinstance(bad.exception, UsageError) and bad.exception.exit_code == 2
    assert "--since 'yesterday' is not a date" in str(bad.exception)
    missing = cli.invoke(
        app, ["tune", "dataset", "--briefs", str(tmp_path / "nope"), "--out", str(out)]
    )
    assert isinstance(missing.exception, ContentError) and missing.exception.exit_code == 3
    assert "does not exist" in str(missing.exception)


def test_edited_notion_page_is_the_target(
    cli: CliRunner, workspace: Path, tmp_path: Path, notion_env: NotionEnv
) -> None:
    briefs = write_folder(tmp_path / "briefs", specs()[:3])
    published = cli.invoke(app, ["briefs", "publish", str(briefs), "--to", "notion"])
    assert published.exit_code == 0, published.output
    cli.invoke(app, ["tune", "review", *(s.slug for s in specs()[:3])])
    settings = load_settings()
    assert settings.notion.token is not None
    page = next(
        p for p in notion_env.fake.pages_in(notion_env.source_id)
        if "crm-software-0" in json.dumps(p["properties"])
    )  # fmt: skip
    with NotionClient(settings.notion, settings.notion.token.get_secret_value()) as client:
        blocks = list(client.children(page["id"]))
        intro = next(b for b in blocks if "An intro paragraph about crm software 0" in str(b))
        client.delete_block(intro["id"])
        client.append(
            page["id"],
            [
                {
                    "type": "paragraph",
                    "paragraph": {
                        "rich_text": [
                            {"type": "text", "text": {"content": "An editor's better intro."}}
                        ]
                    },
                }
            ],
            after=blocks[blocks.index(intro) - 1]["id"],
        )
    out = tmp_path / "data"
    result = cli.invoke(app, ["tune", "dataset", "--briefs", str(briefs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    examples = {e["slug"]: e for e in manifest["examples"]}
    assert examples["crm-software-0"]["edited"] and examples["crm-software-0"]["diff_lines"] == 2
    assert not examples["crm-software-1"]["edited"] and manifest["notion_read_back"]
    text = (out / "train.jsonl").read_text() + (out / "validation.jsonl").read_text()
    assert (
        "An editor's better intro." in text
        and "An intro paragraph about crm software 0" not in text
    )


def _block(kind: str, value: str, *children: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"rich_text": [{"type": "text", "text": {"content": value}}]}
    return {"type": kind, kind: body | ({"children": list(children)} if children else {})}


def test_nested_edits_are_read_back_whole(
    cli: CliRunner, workspace: Path, tmp_path: Path, notion_env: NotionEnv
) -> None:
    """An editor adds a nested list and a toggle of 130 blocks (two pages of
    `blocks.children.list`) through the official SDK: all of it is the target."""
    briefs = write_folder(tmp_path / "briefs", specs()[:2])
    published = cli.invoke(app, ["briefs", "publish", str(briefs), "--to", "notion"])
    assert published.exit_code == 0, published.output
    cli.invoke(app, ["tune", "review", specs()[0].slug, specs()[1].slug])
    page = next(
        p for p in notion_env.fake.pages_in(notion_env.source_id)
        if "crm-software-0" in json.dumps(p["properties"])
    )  # fmt: skip
    sdk = notion_client.Client(
        auth=notion_env.fake.token, base_url=notion_env.env["MARKETLOOP_NOTION_BASE_URL"]
    )
    with sdk:
        blocks = collect_paginated_api(sdk.blocks.children.list, block_id=page["id"])
        intro = next(b for b in blocks if "An intro paragraph about crm software 0" in str(b))
        steps = _block(
            "bulleted_list_item",
            "Steps",
            _block("bulleted_list_item", "Step one", _block("paragraph", f"Why: {HOSTILE}")),
        )
        after = {"type": "after_block", "after_block": {"id": intro["id"]}}
        added = sdk.blocks.children.append(
            block_id=page["id"], children=[steps, _block("toggle", "More")], position=after
        )["results"]
        toggle = added[-1]["id"]
        items = [_block("paragraph", f"Item {i}") for i in range(130)]
        for start in (0, 100):  # at most 100 children a request
            sdk.blocks.children.append(block_id=toggle, children=items[start : start + 100])
    out = tmp_path / "data"
    result = cli.invoke(app, ["tune", "dataset", "--briefs", str(briefs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    examples = {e["slug"]: e for e in json.loads((out / "manifest.json").read_text())["examples"]}
    assert examples["crm-software-0"]["edited"] and not examples["crm-software-1"]["edited"]
    assert examples["crm-software-0"]["diff_lines"] > 2 * 130  # every item and its blank line
    answers = [
        m["content"]
        for line in lines(out / "train.jsonl") + lines(out / "validation.jsonl")
        for m in line["messages"]  # type: ignore[attr-defined]
        if m["role"] == "assistant"
    ]
    answer = next(a for a in answers if "Steps" in a)
    assert f"- Steps\n\n  - Step one\n\n    Why: {HOSTILE.strip()}\n\nMore\n\n  Item 0" in answer
    assert "  Item 99\n\n  Item 100" in answer and answer.count("  Item ") == 130
