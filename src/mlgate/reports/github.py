"""GitHub Actions workflow commands: failures and warnings as annotations on the PR.

One ``::error`` per failed or errored finding and one ``::warning`` per warning, worst
first, then the verdict as a ``::notice``. A schema, quality, drift or skew finding about
a column points at that column's entry in the schema file when one is given, so it shows
on the schema's line in the pull request's files view; a finding that names its own file
and line (a pipeline step that raised) points there. Values are escaped as GitHub's
runner expects, so no message can start a workflow command of its own.

GitHub shows at most 10 error and 10 warning annotations per step (50 per job); the
rest still appear in the log.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from mlgate.findings import Finding, Report, Status
from mlgate.reports.summary import spans_stages, verdict_line

#: Codes whose findings can point into the schema file.
SCHEMA_PREFIXES = ("schema.", "quality.", "drift.", "skew.")
#: Dataset-level codes and the schema key that sets their limit.
_DATASET_KEYS = {
    "quality.empty_dataset": "min_rows",
    "quality.duplicate_rows": "max_duplicate_fraction",
}

Location = tuple[str, int | None]


def render_github(
    report: Report, schema_path: str | None = None, *, workspace: str | None = None
) -> str:
    """The report as workflow commands, one per line.

    An annotation's title is ``mlgate CODE (COLUMN) [STAGE]``, the stage named only
    when the report spans more than one.

    ``schema_path`` is the schema file the report was checked against; annotations name
    it relative to ``workspace`` (default ``$GITHUB_WORKSPACE``, else the current
    folder), as GitHub needs a path from the repository root.
    """
    locate = _locator(schema_path, workspace)
    with_stage = spans_stages(report)
    lines = []
    for f in report.problems():
        props: dict[str, str] = {}
        where = locate(f) or _own_place(f, workspace)
        if where is not None:
            path, line = where
            props["file"] = path
            if line is not None:
                props["line"] = str(line)
        props["title"] = (
            f"mlgate {f.name}"
            + (f" ({f.column})" if f.column else "")
            + (f" [{f.stage}]" if with_stage and f.stage else "")
        )
        lines.append(workflow_command(_command_for(f.status), props, f.message))
    lines.append(workflow_command("notice", {"title": report.title}, verdict_line(report)))
    return "\n".join(lines) + "\n"


#: ``FILE:LINE: ...`` or ``FILE: line LINE ...`` or ``FILE: ...`` at the start of an
#: error's line: where the error is, when the error does not say it otherwise.
_WHERE = re.compile(r"^(?P<file>[^\s:][^:]*?)(?::(?P<line>\d+))?: (?:line (?P<line2>\d+))?")


def error_annotations(
    problems: Iterable[tuple[str, str | None, int | None]],
    *,
    title: str = "mlgate could not run (exit 2)",
    workspace: str | None = None,
) -> str:
    """An error that stopped a command (exit 2), as ``::error`` lines, one per problem
    (``(message, file, line)``), so that it shows on the pull request, not only in the
    log. The file and line are the problem's own, else read from the start of its
    message (``mlgate.yaml:7: ...``, ``data.csv: line 3 ...``) when that names a file
    that exists; paths are made relative to ``workspace`` (as for findings)."""
    lines = []
    for message, file, line in problems:
        if file is None:
            file, line = _where_in(message)
        props: dict[str, str] = {}
        if file is not None:
            props["file"] = _repo_path(file, workspace)
            if line is not None:
                props["line"] = str(line)
        props["title"] = title
        lines.append(workflow_command("error", props, message))
    return "".join(f"{line}\n" for line in lines)


def _where_in(message: str) -> tuple[str | None, int | None]:
    match = _WHERE.match(message)
    if match is None or not Path(match["file"]).is_file():
        return None, None
    line = match["line"] or match["line2"]
    return match["file"], int(line) if line else None


def workflow_command(command: str, properties: dict[str, str], message: str) -> str:
    """``::command key=value,...::message`` with both parts escaped."""
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items())
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command_for(status: Status) -> str:
    return "warning" if status is Status.WARN else "error"


def _own_place(f: Finding, workspace: str | None) -> Location | None:
    """Where a finding says it arose (``details.file`` and ``details.line``: a pipeline
    step that raised, at the user's own line), for findings the schema cannot place."""
    file, line = f.details.get("file"), f.details.get("line")
    if not isinstance(file, str) or not file:
        return None
    return _repo_path(file, workspace), line if isinstance(line, int) else None


def _locator(
    schema_path: str | None, workspace: str | None
) -> Callable[[Finding], Location | None]:
    if schema_path is None:
        return lambda _f: None
    try:
        text = Path(schema_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return lambda _f: None  # annotations without a place are still annotations
    lines = _key_lines(text)
    shown = _repo_path(schema_path, workspace)

    def locate(f: Finding) -> Location | None:
        if not f.name.startswith(SCHEMA_PREFIXES):
            return None
        if f.column is not None:
            # A column the schema lacks (schema.new_column) points at "columns:".
            line = lines.get(("columns", f.column)) or lines.get(("columns",))
        elif f.name in _DATASET_KEYS:
            line = lines.get(("dataset", _DATASET_KEYS[f.name])) or lines.get(("dataset",))
        else:
            line = None
        return shown, line

    return locate


def _key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Line of every key path in the YAML (``mlgate._yaml.line_of``, parsed once)."""
    import yaml

    from mlgate._yaml import _line_index

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    return _line_index(node)


def _repo_path(schema_path: str, workspace: str | None) -> str:
    path = Path(schema_path)
    root = workspace or os.environ.get("GITHUB_WORKSPACE") or Path.cwd()
    try:
        absolute = path if path.is_absolute() else Path.cwd() / path
        return absolute.resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()
