"""GitHub-flavoured Markdown, short enough for a PR comment and a job summary."""

from __future__ import annotations

import json
import re

from mlgate._format import shortened
from mlgate.findings import Finding, Report, Status
from mlgate.reports.summary import ICONS, spans_stages, verdict_line
from mlgate.runinfo import describe_run

MAX_ROWS = 50


#: Characters that Markdown would read as formatting, escaped with a backslash.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]~|"})


def _cell(text: object) -> str:
    """Text (a column name, a message with values in it) shown as it is in a table cell:
    HTML as entities (GitHub drops tags such as ``<img>``), Markdown's marks escaped (a
    column ``*bold*`` is not set in bold), ``|`` not ending the cell, on one line."""
    html = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(html.translate(_MARKDOWN).split("\n"))


def render_markdown(report: Report) -> str:
    """The verdict as a heading, what the run judged (when the report says), failures
    and warnings in a table, and folded below it the numbers behind them, the passed
    checks and the skipped ones (with the reason).

    A report spanning several stages gets a Stage column in every table.
    """
    icon = ICONS[Status.PASS] if report.passed else ICONS[Status.FAIL]
    lines = [f"### {icon} {verdict_line(report)}", ""]
    if report.run:
        judged, when = describe_run(report.run, code=_code)
        lines += [f"<sub>{_inline(judged[0].upper() + judged[1:])}<br>{_inline(when)}</sub>", ""]
    with_stage = spans_stages(report)
    problems = report.problems()
    if problems:
        lines += _header(["", "Check", "Column", "What to do"], with_stage)
        for f in problems[:MAX_ROWS]:
            lines.append(
                _row(
                    [ICONS[f.status], f"`{f.name}`", _cell(f.column or ""), _cell(f.message)],
                    f,
                    with_stage,
                )
            )
        if len(problems) > MAX_ROWS:
            lines.append(f"\n…and {len(problems) - MAX_ROWS} more; see the full report.")
        lines.append("")
    passed = [f for f in report.findings if f.status is Status.PASS]
    skipped = [f for f in report.findings if f.status is Status.SKIP]
    if problems:
        lines += _numbers(
            "Numbers behind the failures and warnings", problems[:MAX_ROWS], with_stage
        )
    if passed:
        lines += _folded(f"{len(passed)} passed checks", passed, "Result", with_stage)
    if skipped:
        lines += _folded(f"{len(skipped)} skipped checks", skipped, "Why skipped", with_stage)
    return "\n".join(lines).rstrip() + "\n"


def _code(text: str) -> str:
    """A Markdown code span of ``text`` as it is: delimited by one backtick more than
    its longest run of them, and padded where it starts or ends with one (CommonMark's
    rule), so that no backtick in a path or a value ends it early or is changed."""
    runs = re.findall(r"`+", text)
    fence = "`" * (max((len(r) for r in runs), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _brief(value: object) -> object:
    """``value`` (details, as JSON holds them) with each long text cut as messages cut
    it (``shortened``): one 1,500-character category made a 2,000-character line."""
    if isinstance(value, str):
        return shortened(value)
    if isinstance(value, dict):
        return {k: _brief(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_brief(v) for v in value]
    return value


def _inline(text: str) -> str:
    """Text for one line: no line break in a path can end the paragraph."""
    return " ".join(text.split())


def _header(titles: list[str], with_stage: bool) -> list[str]:
    if with_stage:
        titles = [*titles[:-3], "Stage", *titles[-3:]]
    head = "|" + "|".join(f" {t} " if t else " " for t in titles) + "|"
    return [head, "|" + "---|" * len(titles)]


def _row(cells: list[str], f: Finding, with_stage: bool) -> str:
    if with_stage:
        cells = [*cells[:-3], _cell(f.stage or ""), *cells[-3:]]
    return "| " + " | ".join(cells) + " |"


def _numbers(summary: str, findings: list[Finding], with_stage: bool) -> list[str]:
    out = ["<details>", f"<summary>{summary}</summary>", ""]
    for f in findings:
        col = f" {_code(f.column)}" if f.column else ""
        stage = f"{_cell(f.stage or '')}: " if with_stage else ""
        text = json.dumps(_brief(dict(f.details)), default=str)
        details = _code(" ".join(text.split("\n")))
        out.append(f"- {stage}`{f.name}`{col}: {details}")
    out += ["", "</details>", ""]
    return out


def _folded(summary: str, findings: list[Finding], what: str, with_stage: bool) -> list[str]:
    out = ["<details>", f"<summary>{summary}</summary>", ""]
    out += _header(["Check", "Column", what], with_stage)
    out += [
        _row([f"`{f.name}`", _cell(f.column or ""), _cell(f.message)], f, with_stage)
        for f in findings
    ]
    out += ["", "</details>", ""]
    return out
