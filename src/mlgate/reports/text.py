"""Terminal output: a rich table, failures first, the verdict last where the eye lands."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from mlgate.findings import Report, Status
from mlgate.reports.summary import verdict_line

_STYLE = {
    Status.PASS: "green",
    Status.SKIP: "dim",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
}


def render_text(report: Report, color: bool = False, *, show_passed: bool = False) -> str:
    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=color,
        no_color=not color,
        width=120,
        highlight=False,
        soft_wrap=False,
    )
    rows = report.worst_first() if show_passed else report.problems()
    if rows:
        table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
        table.add_column("status", no_wrap=True)
        table.add_column("check", no_wrap=True)
        table.add_column("column", overflow="fold", max_width=24)
        table.add_column("what is wrong and what to do", overflow="fold")
        for f in rows:
            table.add_row(
                f"[{_STYLE[f.status]}]{f.status.value.upper()}[/]",
                f.name,
                f.column or "",
                f.message,
            )
        console.print(table)
    passed = report.counts()[Status.PASS]
    if not show_passed and passed:
        console.print(f"{passed} checks passed.")
    style = "bold green" if report.passed else "bold red"
    console.print(f"[{style}]{verdict_line(report)}[/]")
    return buf.getvalue()
