"""Renderers of a Report: text, json, markdown, junit, html. Each returns a string."""

from __future__ import annotations

from collections.abc import Callable

from mlgate.findings import Report

FORMATS = ("text", "json", "markdown", "junit", "html", "github")


def render(report: Report, fmt: str, *, color: bool = False, schema_path: str | None = None) -> str:
    """Render a report; ``schema_path`` lets GitHub annotations point at schema lines."""
    if fmt == "github":
        from mlgate.reports.github import render_github

        return render_github(report, schema_path)
    return _renderer(fmt)(report, color)


def _renderer(fmt: str) -> Callable[[Report, bool], str]:
    if fmt == "json":
        from mlgate.reports.json_report import render_json

        return lambda r, _c: render_json(r)
    if fmt == "markdown":
        from mlgate.reports.markdown import render_markdown

        return lambda r, _c: render_markdown(r)
    if fmt == "junit":
        from mlgate.reports.junit import render_junit

        return lambda r, _c: render_junit(r)
    if fmt == "html":
        from mlgate.reports.html import render_html

        return lambda r, _c: render_html(r)
    if fmt == "text":
        from mlgate.reports.text import render_text

        return render_text
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
