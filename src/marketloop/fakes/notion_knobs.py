"""The fake Notion's knobs: misbehaviour a test switches on (rate, injected failures, blocks
that fail validation, a delay before every answer)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from marketloop.fakes import notion_rules as rules


@dataclass
class Failure:
    """One injected failure: answer `status` to the next request matching `method` and `path`."""

    status: int
    path: str = ""  # a prefix of the request path; "" matches every request
    method: str | None = None
    after_write: bool = False  # apply the request first, then answer with the error
    skip: int = 0  # let this many matching requests through first
    retry_after: int = 1  # the Retry-After of a 429 or 529


@dataclass
class Knobs:
    rate: float | None = 3.0  # average requests per second before 429; None: unlimited
    burst: int = 10  # requests allowed back to back
    retry_after: int | None = None  # fixed Retry-After; default: seconds until a slot frees
    reject_text: str | None = None  # a block containing this text fails validation
    reject_index: int | None = None  # the block at this index of any `children` fails
    delay: float = 0.0  # seconds before every answer (to provoke client timeouts)
    failures: list[Failure] = field(default_factory=list)


def take_failure(knobs: Knobs, method: str, path: str) -> Failure | None:
    """The injected failure this request gets (and uses up), if any."""
    for failure in knobs.failures:
        if path.startswith(failure.path) and failure.method in (None, method):
            if failure.skip:
                failure.skip -= 1
                return None
            knobs.failures.remove(failure)
            return failure
    return None


def check_knobs(knobs: Knobs, children: list[Any]) -> None:
    """A 400 `validation_error` for a block the knobs say to reject."""
    for index, block in enumerate(children):
        text = json.dumps(block, ensure_ascii=False)
        hit = knobs.reject_text and knobs.reject_text in text
        if hit or index == knobs.reject_index:
            kind = block.get("type", "block") if isinstance(block, dict) else "block"
            where = f"body.children[{index}].{kind}.rich_text"
            raise rules.invalid(rules.failed(where, "valid", "rejected"))
