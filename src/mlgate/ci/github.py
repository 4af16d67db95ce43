"""The report as one pull request comment, updated in place on every push.

``publish_comment`` finds the pull request from what GitHub Actions provides
(``GITHUB_EVENT_PATH``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL``, ``GITHUB_TOKEN``),
looks for its earlier comment by a hidden marker (``<!-- mlgate-report:NAME -->``, the
comment's first line) and updates it, or creates it. When it cannot comment (no token,
not a pull request, a fork's read-only token, GitHub unreachable or refusing) it appends
the report to the job summary (``GITHUB_STEP_SUMMARY``) instead and says why; it never
raises for GitHub's sake, so a comment that cannot be posted does not fail the gate.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlgate import __version__
from mlgate.ci.github_api import GitHubApiError, GitHubClient, RetryPolicy, redact
from mlgate.errors import InputError, MlgateError
from mlgate.findings import Finding, Report, Status

#: GitHub refuses issue comments longer than this many characters.
COMMENT_LIMIT = 65_536
#: GitHub's limit for one step's job summary, in bytes.
SUMMARY_LIMIT = 1024 * 1024
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
DEFAULT_MARKER = "mlgate"

_MARKER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+\Z")
_FIX_PERMISSIONS = (
    "give the job 'permissions: pull-requests: write' and pass "
    "'GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}' in the step's env"
)

SummaryMode = Literal["fallback", "always", "never"]


@dataclass(frozen=True)
class GitHubEnv:
    """What GitHub Actions tells a step, read once from the environment. Empty values
    count as unset (a missing secret reaches a step as an empty string)."""

    token: str | None = field(default=None, repr=False)
    repository: str | None = None
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    run_id: str | None = None
    event_name: str | None = None
    event_path: str | None = None
    step_summary: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> GitHubEnv:
        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        return cls(
            token=get("GITHUB_TOKEN"),
            repository=get("GITHUB_REPOSITORY"),
            api_url=(get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            server_url=(get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/"),
            run_id=get("GITHUB_RUN_ID"),
            event_name=get("GITHUB_EVENT_NAME"),
            event_path=get("GITHUB_EVENT_PATH"),
            step_summary=get("GITHUB_STEP_SUMMARY"),
        )

    @property
    def run_url(self) -> str | None:
        """This workflow run's page, where its artifacts are listed."""
        if not (self.repository and self.run_id):
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def pull_request(self) -> tuple[int | None, str]:
        """The pull request number from the event data, or None and why there is none."""
        event = f"event {self.event_name!r}" if self.event_name else "this event"
        if not self.event_path:
            return None, "GITHUB_EVENT_PATH is not set (not running in GitHub Actions?)"
        try:
            data = json.loads(Path(self.event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return None, f"cannot read the event data in {self.event_path} ({exc})"
        if not isinstance(data, dict):
            return None, f"the event data in {self.event_path} is not a JSON object"
        number = _number(data.get("pull_request"))
        issue = data.get("issue")
        if number is None and isinstance(issue, dict) and issue.get("pull_request"):
            number = _number(issue)  # a comment on a pull request
        if number is None:
            return None, f"{event} is not for a pull request"
        return number, ""


def _number(obj: Any) -> int | None:
    value = obj.get("number") if isinstance(obj, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass(frozen=True)
class CommentOutcome:
    """What ``publish_comment`` did. ``message`` is one line for stderr (None when all
    went as asked); ``failed`` is set when posting was possible but did not succeed
    (GitHub unreachable, refusing, or rate limiting past the retries)."""

    action: Literal["created", "updated"] | None
    url: str | None
    summary: Literal["written", "unset", "failed"] | None
    message: str | None
    failed: bool = False


def comment_marker(name: str = DEFAULT_MARKER) -> str:
    """The hidden first line that identifies a report's comment; one comment per name."""
    if not _MARKER_NAME.match(name):
        raise MlgateError(
            f"--marker {name!r}: use letters, digits, '.', '_' or '-' (at most 64), "
            "starting with a letter or digit"
        )
    return f"<!-- mlgate-report:{name} -->"


def fit_comment(
    markdown: str, marker: str, pointer_url: str | None, *, limit: int = COMMENT_LIMIT
) -> str:
    """The comment body: the marker, then the Markdown, cut at a line boundary with a
    pointer to the full report when the whole would exceed ``limit`` characters."""
    return _fit(marker + "\n", markdown, _cut_note(pointer_url, "comment"), limit, len)


def fit_summary(markdown: str, pointer_url: str | None, *, limit: int = SUMMARY_LIMIT) -> str:
    """The Markdown cut to a job summary's size limit (bytes), the same way."""
    return _fit("", markdown, _cut_note(pointer_url, "job summary"), limit, _utf8_len)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut_note(pointer_url: str | None, what: str) -> str:
    where = (
        f"the full report: {pointer_url}"
        if pointer_url
        else "the full report is in this workflow run's artifacts"
    )
    return f"---\n✂️ Cut to fit GitHub's {what} size limit; {where}\n"


def _fit(head: str, markdown: str, note: str, limit: int, size: Callable[[str], int]) -> str:
    whole = head + markdown
    if size(whole) <= limit:
        return whole
    # Keep whole lines while they, a blank line, the closing tags of any <details>
    # left open, and the note still fit.
    close = "</details>\n\n"
    budget = limit - size(head) - size("\n\n") - size(note)
    kept: list[str] = []
    used, depth = 0, 0
    for line in markdown.splitlines(keepends=True):
        after = depth + line.count("<details>") - line.count("</details>")
        cost = size(line) + size(close) * max(after, 0)
        if used + cost > budget:
            break
        kept.append(line)
        used += size(line)
        depth = after
    body = "".join(kept).rstrip("\n")
    return head + body + "\n\n" + close * max(depth, 0) + note


def load_report(path: str | Path, *, title: str = "mlgate") -> Report:
    """The Report in a JSON report file (the ``--format json`` contract of DESIGN.md)."""
    hint = "pass the file that --format json wrote"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file; {hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the report ({exc}); {hint}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        where = f"{path}:{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else str(path)
        raise InputError(f"{where}: the report is not valid JSON; {hint}") from None
    return report_from_dict(data, label=str(path), title=title)


def report_from_dict(data: Any, *, label: str = "report", title: str = "mlgate") -> Report:
    """Rebuild a Report from the JSON contract; a broken file is an InputError naming
    the check and key at fault."""
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
        raise InputError(
            f'{label}: not an mlgate JSON report (no "checks" list); '
            "pass the file that --format json wrote"
        )
    findings = [_finding(c, f"{label}: checks[{i}]") for i, c in enumerate(data["checks"])]
    run = data.get("run")
    if run is not None and not isinstance(run, dict):
        raise InputError(f'{label}: "run" is not an object; pass the file that --format json wrote')
    report = Report(tuple(findings), title=title, run=run)
    passed = data.get("passed")
    if isinstance(passed, bool) and passed != report.passed:
        raise InputError(
            f'{label}: says "passed": {json.dumps(passed)} but its checks say otherwise; '
            "the file was edited or is not mlgate's"
        )
    return report


def _finding(item: Any, where: str) -> Finding:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object with name, status and message")
    name, message = item.get("name"), item.get("message")
    column, details, stage = item.get("column"), item.get("details"), item.get("stage")
    if not isinstance(name, str) or not name:
        raise InputError(f"{where}.name: expected the finding's code, a non-empty string")
    try:
        status = Status(item.get("status"))
    except ValueError:
        choices = ", ".join(s.value for s in Status)
        raise InputError(
            f"{where}.status: {item.get('status')!r} is not one of {choices}"
        ) from None
    if not isinstance(message, str):
        raise InputError(f"{where}.message: expected a string")
    if column is not None and not isinstance(column, str):
        raise InputError(f"{where}.column: expected a string or null")
    if details is not None and not isinstance(details, dict):
        raise InputError(f"{where}.details: expected an object or null")
    if stage is not None and not isinstance(stage, str):
        raise InputError(f"{where}.stage: expected a string or null")
    return Finding(name, status, message, column=column, details=details or {}, stage=stage)


def publish_comment(
    markdown: str,
    *,
    env: GitHubEnv,
    marker: str = DEFAULT_MARKER,
    artifact_url: str | None = None,
    summary: SummaryMode = "fallback",
    user_agent: str = f"mlgate/{__version__}",
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> CommentOutcome:
    """Post ``markdown`` as the pull request's mlgate comment named ``marker``, or
    update the one posted before. See the module docstring for the fallbacks; with
    ``summary="always"`` the job summary gets the report as well, with ``"never"`` not
    even as a fallback. Never raises for GitHub's sake; a bad ``marker`` is a
    MlgateError."""
    tag = comment_marker(marker)
    pointer = artifact_url or env.run_url
    secrets = (env.token or "",)
    action: Literal["created", "updated"] | None = None
    url: str | None = None
    reason: str | None = None
    failed = False
    number, why_not = env.pull_request()
    if number is None:
        reason = f"{why_not}, so no PR comment was posted"
    elif env.token is None:
        reason = f"GITHUB_TOKEN is not set, so no PR comment was posted; {_FIX_PERMISSIONS}"
    elif env.repository is None or not _REPOSITORY.match(env.repository):
        reason = f"GITHUB_REPOSITORY {env.repository!r} is not OWNER/REPO, so no PR comment"
    else:
        try:
            client = GitHubClient(
                env.api_url,
                env.token,
                user_agent=user_agent,
                policy=policy,
                sleep=sleep,
                clock=clock,
            )
            body = fit_comment(markdown, tag, pointer)
            action, url = upsert_comment(client, env.repository, number, tag, body)
        except GitHubApiError as exc:
            if exc.read_only:
                reason = (
                    f"the token may not comment on pull request #{number} ({exc}); a pull "
                    "request from a fork gets a read-only token, otherwise "
                    f"{_FIX_PERMISSIONS}"
                )
            else:
                reason = f"could not post the PR comment: {exc}"
                failed = True
    written: Literal["written", "unset", "failed"] | None = None
    if summary == "always" or (summary == "fallback" and action is None):
        written, trouble = _append_summary(env.step_summary, markdown, pointer)
        if written == "unset":
            trouble = (
                "GITHUB_STEP_SUMMARY is not set, so the report is printed on standard output"
                if action is None
                else "GITHUB_STEP_SUMMARY is not set, so no job summary was written"
            )
        if reason is not None:
            reason += (
                "; the report was added to the job summary instead"
                if written == "written"
                else f"; {trouble}"
            )
        elif trouble:
            reason = trouble
    message = redact(reason, secrets) if reason else None
    return CommentOutcome(action, url, written, message, failed)


def upsert_comment(
    client: GitHubClient, repository: str, number: int, marker: str, body: str
) -> tuple[Literal["created", "updated"], str | None]:
    """Update the comment on ``number`` whose first line is ``marker``, else create it.
    Returns what was done and the comment's address."""
    owner_repo = urllib.parse.quote(repository, safe="/")
    listing = f"/repos/{owner_repo}/issues/{number}/comments"
    for comment in client.paginate(listing):
        if not isinstance(comment, dict):
            continue
        text = comment.get("body")
        comment_id = comment.get("id")
        if isinstance(text, str) and text.lstrip().startswith(marker):
            if not isinstance(comment_id, int):
                raise GitHubApiError(f"GET {listing}: a comment without a numeric id")
            response = client.request(
                "PATCH", f"/repos/{owner_repo}/issues/comments/{comment_id}", {"body": body}
            )
            return "updated", _html_url(response.data)
    response = client.request("POST", listing, {"body": body})
    return "created", _html_url(response.data)


def _html_url(data: Any) -> str | None:
    url = data.get("html_url") if isinstance(data, dict) else None
    return url if isinstance(url, str) else None


def _append_summary(
    path: str | None, markdown: str, pointer: str | None
) -> tuple[Literal["written", "unset", "failed"], str | None]:
    if path is None:
        return "unset", None
    try:
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write(fit_summary(markdown, pointer).rstrip("\n") + "\n\n")
    except OSError as exc:
        return "failed", f"cannot append to the job summary {path} ({exc.strerror or exc})"
    return "written", None
