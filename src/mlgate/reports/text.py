"""Terminal output: a rich table, failures first, the verdict last where the eye lands."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlgate.findings import Report, Status
from mlgate.reports.summary import spans_stages, verdict_line
from mlgate.runinfo import describe_run

_STYLE = {
    Status.PASS: "green",
    Status.SKIP: "dim",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
}


def render_text(report: Report, color: bool = False, *, show_passed: bool = False) -> str:
    """The report for a terminal: failures and warnings in a table (every finding with
    ``show_passed``), a count of the passed and skipped checks, what the run judged
    (inputs, commit; when the report says), then the verdict.

    A report spanning several stages gets a ``stage`` column; one stage keeps the table
    as narrow as before. ``color`` adds ANSI styles.
    """
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
        with_stage = spans_stages(report)
        table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
        table.add_column("status", no_wrap=True)
        if with_stage:
            table.add_column("stage", overflow="fold", max_width=28)
        table.add_column("check", no_wrap=True)
        table.add_column("column", overflow="fold", max_width=24)
        table.add_column("what is wrong and what to do", overflow="fold")
        for f in rows:
            cells = [f"[{_STYLE[f.status]}]{f.status.value.upper()}[/]"]
            if with_stage:
                cells.append(escape(f.stage or ""))
            cells += [escape(f.name), escape(f.column or ""), escape(f.message)]
            table.add_row(*cells)
        console.print(table)
    counts = report.counts()
    passed, skipped = counts[Status.PASS], counts[Status.SKIP]
    if not show_passed and (passed or skipped):
        tail = f", {skipped} skipped" if skipped else ""
        console.print(f"{passed} check{'s' if passed != 1 else ''} passed{tail}.")
    if report.run:
        for line in describe_run(report.run):
            # One logical line each (the terminal wraps it), so logs keep it whole.
            console.print(escape(line), style="dim", soft_wrap=True)
    style = "bold green" if report.passed else "bold red"
    console.print(f"[{style}]{verdict_line(report)}[/]")
    return buf.getvalue()
