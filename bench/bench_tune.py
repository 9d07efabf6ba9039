"""Tuning: the dataset builder on 10,000 approved briefs, and a LoRA run on a tiny model on
this machine's CPU.

Goals (issue 15): `tune dataset` over 10,000 briefs in under 30 s (ratio = seconds / 30, under
1 passes); the LoRA run reports steps per second and its peak memory (ratio = peak / 2 GiB).
Run: `python -m bench tune` (or `make bench BENCH=tune`). The LoRA run is a child process, so
its peak resident memory is its own, not the builder's.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from marketloop.appdb import open_app_db
from marketloop.config import app_db_url, load_settings
from marketloop.content.folder import BriefFolder
from marketloop.content.guardrails import Check
from marketloop.content.tune import reviews
from marketloop.content.tune.build import DatasetOptions, make_dataset

BRIEFS = 10_000
DATASET_GOAL = 30.0  # seconds
MEMORY_GOAL = 2 * 1024**3  # bytes
LORA_STEPS = 60
TOPICS = ["crm", "email", "seo", "analytics", "webinar", "landing page", "lead", "ads", "social"]


def write_briefs(root: Path, count: int) -> list[str]:
    from marketloop.content.brief import Brief

    folder = BriefFolder(root)
    slugs = []
    checks = [Check("terms", True, "ok"), Check("links", True, "ok"), Check("claims", True, "ok")]
    for i in range(count):
        cluster = f"{TOPICS[i % len(TOPICS)]} software {i // 3}"  # three briefs per cluster
        slug = f"brief-{i:05d}"
        brief = Brief(
            slug=slug, cluster=cluster, title_options=[f"{cluster} guide {i}"],
            meta_description=f"All about {cluster}, written for marketing teams ({i}).",
            h1=f"{cluster} {i}", outline=[{"level": 2, "heading": f"Why {cluster}", "notes": "x"}],
            primary_terms=[{"term": cluster}], intent="informational", audience="marketers",
            word_count_min=800, word_count_max=1200, call_to_action="Book a demo",
            owner=f"editor{i % 7}@example.com",
        )  # fmt: skip
        folder.write_brief(brief)
        body = (
            f"# {cluster} {i}\n\n"
            + f"Paragraph {i} about {cluster}. Call +1 415 555 0134.\n\n" * 12
        )
        folder.write_draft(slug, body, checks)
        slugs.append(slug)
    return slugs


def dataset_run(tmp: Path) -> dict[str, Any]:
    settings = load_settings(overrides={"workspace": tmp / "ws"})
    slugs = write_briefs(tmp / "briefs", BRIEFS)
    reviews.record(open_app_db(app_db_url(settings)), slugs, "approved", reviewer="bench")
    started = time.perf_counter()
    manifest = make_dataset(settings, DatasetOptions(tmp / "briefs", tmp / "data", notion=False))
    return {"seconds": time.perf_counter() - started, "manifest": manifest}


def lora_run(tmp: str) -> None:
    from marketloop.content.tune.local import LocalConfig, train_lora
    from marketloop.content.tune.tiny import make_tiny_model

    model = make_tiny_model(Path(tmp) / "model", hidden=64, layers=2)
    data = Path(tmp) / "lora-data"
    data.mkdir()
    lines = Path(tmp, "data", "train.jsonl").read_text().splitlines()[:LORA_STEPS]
    (data / "train.jsonl").write_text("\n".join(lines) + "\n")
    config = LocalConfig(str(model), str(data), str(Path(tmp) / "run"), max_length=512)
    result = train_lora(config)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    found = {"steps": result.steps, "steps_per_second": result.steps_per_second, "peak": peak}
    Path(tmp, "lora.json").write_text(json.dumps(found))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        built = dataset_run(tmp)
        seconds, counts = built["seconds"], built["manifest"]["counts"]
        print(f"tune: dataset builder on {BRIEFS:,} approved briefs")
        print(
            f"  {seconds:6.2f} s (goal < {DATASET_GOAL:.0f} s, "
            f"ratio {seconds / DATASET_GOAL:.3f}); "
            f"{counts['train']:,} train + {counts['validation']:,} validation examples, "
            f"{built['manifest']['tokens']['train']:,} train tokens"
        )
        child = multiprocessing.get_context("spawn").Process(target=lora_run, args=(folder,))
        child.start()
        child.join(timeout=900)
        if child.exitcode != 0:
            raise SystemExit(f"the LoRA run failed (exit code {child.exitcode})")
        lora = json.loads((tmp / "lora.json").read_text())
        print(f"tune: LoRA on a tiny Llama (64 wide, 2 layers), CPU, {lora['steps']} steps")
        print(
            f"  {lora['steps_per_second']:.1f} steps/s; "
            f"peak memory {lora['peak'] / 1024**2:,.0f} MiB "
            f"(goal < {MEMORY_GOAL / 1024**3:.0f} GiB, ratio {lora['peak'] / MEMORY_GOAL:.3f})"
        )
        print(json.dumps({"dataset_s": round(seconds, 2), **lora}))


if __name__ == "__main__":
    main()
