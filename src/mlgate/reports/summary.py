"""Words shared by the human-readable renderers."""

from __future__ import annotations

from mlgate.findings import Report, Status

ICONS = {
    Status.PASS: "✅",
    Status.SKIP: "⏭️",
    Status.WARN: "⚠️",
    Status.FAIL: "❌",
    Status.ERROR: "💥",
}


def verdict_line(report: Report) -> str:
    """``TITLE: passed|FAILED (N failed, N warnings, N passed[, N skipped])``; errors
    lead when there are any, skips are named only when there are any."""
    counts = report.counts()
    parts = []
    if counts[Status.ERROR]:
        parts.append(f"{counts[Status.ERROR]} errored")
    parts.append(f"{counts[Status.FAIL]} failed")
    parts.append(f"{counts[Status.WARN]} warning{'s' if counts[Status.WARN] != 1 else ''}")
    parts.append(f"{counts[Status.PASS]} passed")
    if counts[Status.SKIP]:
        parts.append(f"{counts[Status.SKIP]} skipped")
    word = "passed" if report.passed else "FAILED"
    return f"{report.title}: {word} ({', '.join(parts)})"


def stages(report: Report) -> list[str | None]:
    """The distinct stages of the report's findings, in the order they first appear
    (None for findings that name no stage)."""
    return list(dict.fromkeys(f.stage for f in report.findings))


def spans_stages(report: Report) -> bool:
    """Whether the findings come from more than one stage, so renderers label them."""
    return len(stages(report)) > 1
