"""The registry of checks, and the plan of one audit (which checks run, with which thresholds).

Checks register themselves when `marketloop.audit.checks` is imported; there are two ways to
declare one:

    sql_check("server_error", Severity.critical, scope=..., description=..., fix=...,
              sql="SELECT url, 'HTTP ' || status AS detail, status AS value FROM ...")

    @python_check("near_duplicate", Severity.warning, scope=..., description=..., fix=...,
                  thresholds=(Threshold("near_duplicate", 90, "%", "..."),))
    def near_duplicate(ctx: CheckContext) -> Iterable[Finding]: ...

SQL checks return the columns `url`, `detail` and optionally `value` and `threshold`; they see
the dataset views (`pages`, `links`, ...), the audit's helper tables (see `views.py`) and each of
their thresholds as a named parameter `$<key>`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from marketloop.audit.config import AuditSettings
from marketloop.audit.custom import as_check
from marketloop.audit.model import Check, CheckContext, Finder, Finding, Severity, Threshold
from marketloop.errors import ConfigError

REGISTRY: dict[str, Check] = {}
PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def register(check: Check) -> Check:
    if check.id in REGISTRY:
        raise ValueError(f"audit check {check.id!r} is registered twice")
    REGISTRY[check.id] = check
    return check


def sql_check(
    check_id: str,
    severity: Severity,
    *,
    scope: str,
    description: str,
    fix: str,
    sql: str,
    thresholds: tuple[Threshold, ...] = (),
) -> Check:
    find = sql_finder(sql)
    return register(Check(check_id, severity, scope, description, fix, find, thresholds, sql))


def python_check(
    check_id: str,
    severity: Severity,
    *,
    scope: str,
    description: str,
    fix: str,
    thresholds: tuple[Threshold, ...] = (),
) -> Callable[[Finder], Finder]:
    def decorate(find: Finder) -> Finder:
        register(Check(check_id, severity, scope, description, fix, find, thresholds))
        return find

    return decorate


def sql_finder(sql: str) -> Finder:
    used = set(PARAM.findall(sql))

    def find(ctx: CheckContext) -> Iterable[Finding]:
        params = {key: value for key, value in ctx.limits.items() if key in used}
        for row in ctx.rows(sql, params):
            yield Finding(
                url=row["url"],
                detail=row["detail"],
                value=_number(row.get("value")),
                threshold=_number(row.get("threshold")),
            )

    return find


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def all_checks(settings: AuditSettings | None = None) -> list[Check]:
    """Every registered check and the settings' own (`[[audit.custom]]`), critical first,
    then by id."""
    import marketloop.audit.checks  # noqa: F401  (registers the checks)

    custom = _custom_checks(settings) if settings is not None else []
    return sorted([*REGISTRY.values(), *custom], key=lambda c: (-c.severity.rank, c.id))


def _custom_checks(settings: AuditSettings) -> list[Check]:
    seen: set[str] = set()
    for custom in settings.custom:
        if custom.id in REGISTRY or custom.id in seen:
            where = "a built-in check" if custom.id in REGISTRY else "another audit.custom check"
            raise ConfigError(
                f"audit.custom check {custom.id}: the id is taken by {where}",
                hint="give your check another id (see `marketloop audit checks`)",
            )
        seen.add(custom.id)
    return [as_check(custom) for custom in settings.custom]


def all_thresholds() -> dict[str, Threshold]:
    return {t.key: t for check in all_checks() for t in check.thresholds}


@dataclass(frozen=True)
class Plan:
    """The checks one audit runs and the threshold values in force."""

    checks: list[Check]
    limits: dict[str, float] = field(default_factory=dict)
    disabled: list[str] = field(default_factory=list)
    custom: list[Check] = field(default_factory=list)  # the settings' own checks

    @property
    def catalog(self) -> dict[str, Check]:
        """Every check this audit knows by id: the built-in ones and the custom ones."""
        return {**REGISTRY, **{c.id: c for c in self.custom}}

    def limits_for(self, check: Check) -> dict[str, float]:
        return {t.key: self.limits[t.key] for t in check.thresholds}


def plan(settings: AuditSettings, select: Collection[str] | None = None) -> Plan:
    """Resolve `[audit]` settings against the registry; unknown ids are configuration errors."""
    checks = all_checks(settings)
    known = {c.id for c in checks}
    thresholds = all_thresholds()
    _reject_unknown("audit.disabled", settings.disabled, known)
    _reject_unknown("audit.thresholds", settings.thresholds, set(thresholds))
    if select is not None:
        _reject_unknown("checks", select, known)
    limits = {}
    for key, threshold in thresholds.items():
        value = settings.thresholds.get(key, threshold.default)
        _check_range(threshold, value)
        limits[key] = float(value)
    _check_order(thresholds, limits)
    chosen = [
        c for c in checks if c.id not in settings.disabled and (select is None or c.id in select)
    ]
    custom = [c for c in checks if c.id not in REGISTRY]
    return Plan(chosen, limits, sorted(settings.disabled), custom)


def _reject_unknown(where: str, given: Iterable[str], known: set[str]) -> None:
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown check or threshold {', '.join(unknown)}",
            hint=f"known: {', '.join(sorted(known))} (see docs/checks.md)",
        )


def _check_range(threshold: Threshold, value: float) -> None:
    if not math.isfinite(value):
        raise ConfigError(
            f"audit.thresholds.{threshold.key} = {value} is not a finite number",
            hint=f"use a number of {threshold.unit}, e.g. the default {threshold.default:g}",
        )
    too_high = threshold.maximum is not None and value > threshold.maximum
    if value < threshold.minimum or too_high:
        upper = "" if threshold.maximum is None else f" and at most {threshold.maximum:g}"
        raise ConfigError(
            f"audit.thresholds.{threshold.key} = {value:g} is out of range",
            hint=f"use a value of at least {threshold.minimum:g}{upper} {threshold.unit}",
        )


def _check_order(thresholds: dict[str, Threshold], limits: dict[str, float]) -> None:
    """A lower bound above its upper bound would flag every page: reject it."""
    for key, threshold in thresholds.items():
        upper = threshold.not_above
        if upper is not None and limits[key] > limits[upper]:
            raise ConfigError(
                f"audit.thresholds.{key} = {limits[key]:g} is above "
                f"audit.thresholds.{upper} = {limits[upper]:g}",
                hint=f"{key} is a minimum and {upper} its maximum: lower the first or raise "
                "the second",
            )
