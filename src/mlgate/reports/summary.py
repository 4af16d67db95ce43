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
    counts = report.counts()
    parts = []
    if counts[Status.ERROR]:
        parts.append(f"{counts[Status.ERROR]} errored")
    parts.append(f"{counts[Status.FAIL]} failed")
    parts.append(f"{counts[Status.WARN]} warning{'s' if counts[Status.WARN] != 1 else ''}")
    parts.append(f"{counts[Status.PASS]} passed")
    word = "passed" if report.passed else "FAILED"
    return f"{report.title}: {word} ({', '.join(parts)})"
