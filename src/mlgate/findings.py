"""The one result type every stage returns: findings gathered in a report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    SKIP = "skip"  # the check does not apply here; the reason is in the message
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Higher is worse; reports sort on it so failures come first."""
        return _RANK[self]


_RANK = {Status.PASS: 0, Status.SKIP: 1, Status.WARN: 2, Status.FAIL: 3, Status.ERROR: 4}

#: What a severity override in mlgate.yaml may set a finding code to.
SEVERITY_LEVELS = ("ignore", "warn", "fail")


@dataclass(frozen=True)
class Finding:
    """One check's result.

    ``name`` is a stable dotted code (``schema.missing_column``); ``message`` is one
    line saying what is wrong and what to do; ``details`` holds the numbers behind it;
    ``stage`` is the part of the gate that produced it (``data``,
    ``training:<entrypoint>``, ``model``, ``serving``, ``pipeline:<step>``).
    """

    name: str
    status: Status
    message: str
    column: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    stage: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": str(self.status),
            "column": self.column,
            "stage": self.stage,
            "message": self.message,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Report:
    """Findings of one run, in a stable order, with the verdict derived from them.

    ``run`` says what was judged (mlgate version, start, duration, git commit and
    branch, the inputs with their digests): the JSON report's ``run`` object.
    ``evidence`` holds, per stage, what the HTML report draws but no finding carries
    (the data stage's two profiles, training loss curves); it is not serialised.
    """

    findings: tuple[Finding, ...]
    title: str = "mlgate"
    run: Mapping[str, Any] | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not any(f.status in (Status.FAIL, Status.ERROR) for f in self.findings)

    def counts(self) -> dict[Status, int]:
        out = dict.fromkeys(Status, 0)
        for f in self.findings:
            out[f.status] += 1
        return out

    def worst_first(self) -> list[Finding]:
        """Findings with failures first; ties keep the order the checks produced."""
        return sorted(self.findings, key=lambda f: -f.status.rank)

    def problems(self) -> list[Finding]:
        """Failures, errors and warnings, worst first (passes and skips left out)."""
        return [f for f in self.worst_first() if f.status not in (Status.PASS, Status.SKIP)]

    def to_dict(self, version: str) -> dict[str, Any]:
        """The JSON contract: ``{"mlgate", "passed", "run", "checks"}`` (``run`` null
        when the report does not say what it judged)."""
        return {
            "mlgate": version,
            "passed": self.passed,
            "run": dict(self.run) if self.run is not None else None,
            "checks": [f.to_dict() for f in self.findings],
        }


def with_stage(findings: Iterable[Finding], stage: str) -> list[Finding]:
    """The findings with ``stage`` set where the check left it unset."""
    return [f if f.stage else replace(f, stage=stage) for f in findings]


def apply_severity(findings: Iterable[Finding], overrides: Mapping[str, str]) -> list[Finding]:
    """Apply per-code severity overrides (``ignore``, ``warn``, ``fail``).

    An override changes only findings that did not pass: a passing check stays a pass,
    ``ignore`` drops the finding, and an ``error`` (the check could not run) is kept.
    Codes match exactly or by prefix (``drift`` covers ``drift.numeric``).
    """
    out: list[Finding] = []
    for f in findings:
        level = _override_for(f.name, overrides)
        if level is None or f.status in (Status.PASS, Status.SKIP, Status.ERROR):
            out.append(f)
        elif level == "ignore":
            continue
        else:
            out.append(replace(f, status=Status(level)))
    return out


def _override_for(name: str, overrides: Mapping[str, str]) -> str | None:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        level = overrides.get(".".join(parts[:i]))
        if level is not None:
            return level
    return None
