"""Eval suites: a YAML or JSON file of cases, each a cluster plus what its output must meet.

    name: briefs
    clusters: ../clusters.json        # optional: cases may name clusters from this file
    crawl: null                       # optional crawl dataset; default the workspace's latest
    defaults:
      assert:
        - type: valid_schema
        - type: readability
          min: 40
          max: 80
      judge:                          # optional LLM-judge rubric
        criteria:
          - name: helpfulness
            description: answers the searcher's questions concretely
    cases:
      - id: crm-software
        cluster: crm software         # by name, from `clusters`
      - id: email-automation
        cluster:                      # or inline
          cluster: email marketing automation
          keywords: [email marketing automation, email automation tools]
          intent: informational
        terms: [drip campaign]        # extra terms the output must use
        assert:                       # replaces the defaults for this case
          - type: word_count
            max: 1500

Paths in a suite are relative to the suite file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from marketloop import yamlguard
from marketloop.content.errors import EvalError
from marketloop.content.inputs import read_clusters
from marketloop.keywords.model import Cluster


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AssertionSpec(_Spec):
    type: str
    min: float | None = None
    max: float | None = None
    min_ratio: float | None = Field(None, ge=0, le=1)


class Criterion(_Spec):
    name: str
    description: str


class JudgeSpec(_Spec):
    criteria: list[Criterion] = Field(min_length=1)
    model: str | None = None  # default: the model under test
    prompt: str | None = None  # default: [content] judge_prompt
    min_score: float | None = Field(None, ge=1, le=5, description="mean score a case needs")


class Defaults(_Spec):
    assertions: list[AssertionSpec] = Field(default_factory=list, alias="assert")
    judge: JudgeSpec | None = None


class Case(_Spec):
    id: str
    cluster: str | Cluster
    terms: list[str] = Field(default_factory=list)
    assertions: list[AssertionSpec] | None = Field(None, alias="assert")
    judge: JudgeSpec | None = None


class Suite(_Spec):
    name: str
    description: str = ""
    clusters: Path | None = None
    crawl: Path | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    cases: list[Case] = Field(min_length=1)


@dataclass(frozen=True)
class ResolvedCase:
    id: str
    cluster: Cluster
    terms: list[str]
    assertions: list[AssertionSpec]
    judge: JudgeSpec | None


@dataclass(frozen=True)
class LoadedSuite:
    path: Path
    suite: Suite
    cases: list[ResolvedCase]
    crawl: Path | None


def load_suite(path: Path) -> LoadedSuite:
    suite = _parse(path)
    base = path.parent
    known: dict[str, Cluster] = {}
    if suite.clusters is not None:
        known = {c.cluster.lower(): c for c in read_clusters(base / suite.clusters)}
    cases = []
    for case in suite.cases:
        if isinstance(case.cluster, Cluster):
            cluster = case.cluster
        elif case.cluster.lower() in known:
            cluster = known[case.cluster.lower()]
        else:
            where = f"in {base / suite.clusters}" if suite.clusters else "(the suite names no file)"
            raise EvalError(
                f"{path}: case {case.id}: no cluster named {case.cluster!r} {where}",
                hint="set `clusters:` to a clusters JSON file, or give the cluster inline",
            )
        assertions = case.assertions if case.assertions is not None else suite.defaults.assertions
        judge = case.judge or suite.defaults.judge
        cases.append(ResolvedCase(case.id, cluster, case.terms, assertions, judge))
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise EvalError(f"{path}: case ids must be unique")
    crawl = base / suite.crawl if suite.crawl is not None else None
    return LoadedSuite(path, suite, cases, crawl)


def _yaml(text: str, path: Path) -> Any:
    """YAML without anchors, aliases or deep nesting (yamlguard.py): the suites need none."""
    try:
        yamlguard.check(text)
    except yamlguard.YamlRefused as exc:
        raise EvalError(f"{path}:{exc.line}: {exc.reason}", hint="write it out in full") from None
    return yaml.safe_load(text)


def _one_line(exc: Exception) -> str:
    """A parser's complaint on one line: YAML's spans several, with a drawing of the spot."""
    mark = getattr(exc, "problem_mark", None)
    if isinstance(exc, yaml.MarkedYAMLError) and mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return " ".join(str(exc).split())[:200]


def _parse(path: Path) -> Suite:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise EvalError(f"cannot read eval suite {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise EvalError(
            f"{path} is not UTF-8 text (a binary file?)", hint="save the suite as UTF-8 YAML"
        ) from None
    try:
        data: Any = json.loads(text) if path.suffix == ".json" else _yaml(text, path)
    except RecursionError:
        raise EvalError(f"{path} is nested too deeply to read") from None
    except (ValueError, yaml.YAMLError) as exc:
        kind = path.suffix.lstrip(".") or "YAML"
        raise EvalError(f"{path} is not valid {kind}: {_one_line(exc)}") from None
    try:
        return Suite.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "suite"
        raise EvalError(
            f"{path}: {where}: {first['msg']}", hint="see docs/content.md for the suite format"
        ) from None
