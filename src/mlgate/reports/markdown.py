"""GitHub-flavoured Markdown, short enough for a PR comment and a job summary."""

from __future__ import annotations

import json

from mlgate.findings import Finding, Report, Status
from mlgate.reports.summary import ICONS, verdict_line

MAX_ROWS = 50


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    icon = ICONS[Status.PASS] if report.passed else ICONS[Status.FAIL]
    lines = [f"### {icon} {verdict_line(report)}", ""]
    problems = report.problems()
    if problems:
        lines += ["| | Check | Column | What to do |", "|---|---|---|---|"]
        for f in problems[:MAX_ROWS]:
            lines.append(
                f"| {ICONS[f.status]} | `{f.name}` | {_cell(f.column or '')} | {_cell(f.message)} |"
            )
        if len(problems) > MAX_ROWS:
            lines.append(f"\n…and {len(problems) - MAX_ROWS} more; see the full report.")
        lines.append("")
    passed = [f for f in report.findings if f.status is Status.PASS]
    if problems:
        lines += _details(
            "Numbers behind the failures and warnings", problems[:MAX_ROWS], with_details=True
        )
    if passed:
        lines += _details(f"{len(passed)} passed checks", passed, with_details=False)
    return "\n".join(lines).rstrip() + "\n"


def _details(summary: str, findings: list[Finding], *, with_details: bool) -> list[str]:
    out = ["<details>", f"<summary>{summary}</summary>", ""]
    if with_details:
        for f in findings:
            col = f" `{f.column}`" if f.column else ""
            out.append(f"- `{f.name}`{col}: `{_cell(json.dumps(dict(f.details), default=str))}`")
    else:
        out += ["| Check | Column | Result |", "|---|---|---|"]
        out += [f"| `{f.name}` | {_cell(f.column or '')} | {_cell(f.message)} |" for f in findings]
    out += ["", "</details>", ""]
    return out
