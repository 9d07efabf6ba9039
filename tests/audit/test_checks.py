"""Every check against its case table (cases/checks.yaml): the defect is found, with the right
URL and detail, and the clean twin stays clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.audit.registry import all_checks

from .builder import url
from .conftest import MakeDataset

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "cases" / "checks.yaml").read_text(encoding="utf-8")
)


def case_id(case: dict[str, Any]) -> str:
    same = [c for c in CASES if c["check"] == case["check"]]
    return case["check"] if len(same) == 1 else f"{case['check']}-{same.index(case) + 1}"


def found(folder: Path, check: str) -> dict[str, str]:
    result = audit(folder, AuditSettings(), select=[check], save=False)
    return {issue.url: issue.detail for issue in result.issues}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_defect_is_found_and_twin_is_clean(case: dict[str, Any], make_dataset: MakeDataset) -> None:
    issues = found(make_dataset(case["defect"]), case["check"])
    assert sorted(issues) == sorted(url(u) for u in case["urls"])
    for detail in issues.values():
        assert case.get("detail", "") in detail
    assert found(make_dataset(case["twin"]), case["check"]) == {}


def test_every_registered_check_has_cases() -> None:
    assert {c.id for c in all_checks()} == {case["check"] for case in CASES}


def test_the_clean_site_raises_nothing(make_dataset: MakeDataset) -> None:
    result = audit(make_dataset(), AuditSettings(), save=False)
    assert [(i.check, i.url, i.detail) for i in result.issues] == []


def test_near_duplicate_names_the_closest_member_first(make_dataset: MakeDataset) -> None:
    # /blog/first-post is 10 bits from /pricing; /blog is 50 from /pricing, 40 from first-post
    base = 0x0F0F0F0F0F0F0F0F
    folder = make_dataset(
        [
            {"page": {"url": "/pricing", "minhash": [base] * 4}},
            {"page": {"url": "/blog", "minhash": [base ^ 0x3FF, base ^ (2**40 - 1), base, base]}},
            {"page": {"url": "/blog/first-post", "minhash": [base ^ 0x3FF, base, base, base]}},
        ]
    )
    assert found(folder, "near_duplicate") == {
        url("/pricing"): f"98.6% similar to {url('/blog/first-post')} (threshold 90%); "
        "group of 3 pages",
        url("/blog"): f"93.4% similar to {url('/blog/first-post')} (threshold 90%); "
        "group of 3 pages",
        url("/blog/first-post"): f"98.6% similar to {url('/pricing')} (threshold 90%); "
        "group of 3 pages",
    }
