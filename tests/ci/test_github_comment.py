"""`mlgate comment` against a local server playing GitHub's REST API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from mlgate._cli.comment import comment_cmd
from mlgate._cli.main import cli, main
from mlgate.ci.github import (
    COMMENT_LIMIT,
    GitHubEnv,
    comment_marker,
    fit_comment,
    load_report,
    publish_comment,
    report_from_dict,
)
from mlgate.ci.github_api import GitHubApiError, GitHubClient, RetryPolicy, next_link
from mlgate.errors import InputError
from mlgate.findings import Finding, Report, Status
from mlgate.reports.json_report import render_json
from mlgate.reports.markdown import render_markdown
from tests.ci.fake_github import FakeGitHub

# Shaped like a real installation token, so the generic redaction is exercised too.
TOKEN = "ghs_" + "T0kEnS3cr3t" * 4
PR = 7
MARKER = "<!-- mlgate-report:mlgate -->"
RUN_URL = "https://github.com/octo-org/penguins/actions/runs/4242"

REPORT = Report(
    (
        Finding(
            "drift.numeric",
            Status.FAIL,
            "'body_mass_g' moved by 1.2 reference std; check the scale",
            column="body_mass_g",
            details={"statistic": 1.2, "threshold": 0.1},
        ),
        Finding("schema.new_column", Status.WARN, "column 'x' is new; add it", column="x"),
        Finding("quality.null_fraction", Status.PASS, "0.0% null", column="island"),
    )
)


@dataclass
class Actions:
    """A step's view of GitHub Actions: its files and what it printed."""

    tmp: Path
    event: Path
    summary: Path
    report: Path
    outputs: list[str]


@pytest.fixture
def github():
    fake = FakeGitHub(token=TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def actions(tmp_path, monkeypatch, github):
    """The environment GitHub Actions gives a step of a pull_request run, pointed at the
    fake; nothing from the machine's own environment leaks in (these tests may well run
    inside GitHub Actions)."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "RUNNER_")) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": PR}}))
    summary = tmp_path / "summary.md"
    summary.touch()
    report = tmp_path / "report.json"
    report.write_text(render_json(REPORT))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": github.repository,
        "GITHUB_API_URL": github.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(cli.commands, "comment", comment_cmd)
    seen = Actions(tmp_path, event, summary, report, [])
    yield seen
    # Whatever happened, the token never showed: not in output, summary or any file.
    written = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    for text in seen.outputs + written:
        assert TOKEN not in text


def run(capsys, actions: Actions, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["comment", "--report", str(actions.report), *args])
    out = capsys.readouterr()
    actions.outputs += [out.out, out.err]
    code = exit_info.value.code
    return (0 if code is None else int(code)), out.out, out.err


def test_first_run_creates_one_comment_with_the_marker_and_githubs_headers(capsys, actions, github):
    code, out, err = run(capsys, actions)
    assert code == 0 and err == ""
    assert [(r.method, r.route) for r in github.requests] == [
        ("GET", "/repos/octo-org/penguins/issues/7/comments"),
        ("POST", "/repos/octo-org/penguins/issues/7/comments"),
    ]
    get, post = github.requests
    assert get.query["per_page"] == "100"
    for r in github.requests:
        assert r.headers["authorization"] == f"Bearer {TOKEN}"
        assert r.headers["accept"] == "application/vnd.github+json"
        assert r.headers["x-github-api-version"] == "2022-11-28"
        assert r.headers["user-agent"].startswith("mlgate/")
    assert post.headers["content-type"].startswith("application/json")
    assert post.body["body"].startswith(MARKER + "\n### ❌ mlgate: FAILED")
    assert "`drift.numeric`" in post.body["body"]
    (comment,) = github.comments[PR]
    assert f"created the PR comment: {comment['html_url']}" in out
    assert actions.summary.read_text() == ""  # posted, so no fallback


def test_a_later_push_updates_the_same_comment_instead_of_posting_again(capsys, actions, github):
    github.add_comment(PR, "LGTM")
    assert run(capsys, actions)[0] == 0
    created = github.comments[PR][1]
    github.requests.clear()
    actions.report.write_text(render_json(Report((REPORT.findings[2],))))  # fixed on push

    code, out, _ = run(capsys, actions)
    assert code == 0 and "updated the PR comment" in out
    assert [(r.method, r.route) for r in github.writes()] == [
        ("PATCH", f"/repos/octo-org/penguins/issues/comments/{created['id']}")
    ]
    assert len(github.comments[PR]) == 2
    assert created["body"].startswith(MARKER + "\n### ✅ mlgate: passed")


def test_the_earlier_comment_on_page_3_of_the_listing_is_found(capsys, actions, github):
    for i in range(230):
        github.add_comment(PR, f"comment {i}; mentions {MARKER} but does not start with it")
    ours = github.add_comment(PR, f"{MARKER}\nold report", login="github-actions[bot]")
    for i in range(20):
        github.add_comment(PR, f"later comment {i}")

    assert run(capsys, actions)[0] == 0
    gets = [r for r in github.requests if r.method == "GET"]
    assert [(r.query.get("page", "1"), r.query["per_page"]) for r in gets] == [
        ("1", "100"),
        ("2", "100"),
        ("3", "100"),
    ]
    (patch,) = github.writes()
    assert patch.method == "PATCH" and patch.route.endswith(f"/comments/{ours['id']}")
    assert ours["body"].startswith(MARKER + "\n### ❌")


def test_each_marker_name_keeps_its_own_comment(capsys, actions, github):
    assert run(capsys, actions, "--marker", "data")[0] == 0
    assert run(capsys, actions, "--marker", "training", "--title", "training")[0] == 0
    assert run(capsys, actions, "--marker", "data")[0] == 0
    bodies = [c["body"] for c in github.comments[PR]]
    assert len(bodies) == 2
    assert bodies[0].startswith("<!-- mlgate-report:data -->\n### ❌ mlgate:")
    assert bodies[1].startswith("<!-- mlgate-report:training -->\n### ❌ training:")
    assert [r.method for r in github.writes()] == ["POST", "POST", "PATCH"]


def test_a_forks_read_only_token_falls_back_to_the_job_summary_and_exits_0(capsys, actions, github):
    github.read_only = True
    code, out, err = run(capsys, actions, "--strict")  # not an error, so 0 even --strict
    assert code == 0 and out == ""
    assert len(err.splitlines()) == 1
    assert "Resource not accessible by integration" in err and "fork" in err
    assert "added to the job summary instead" in err
    assert actions.summary.read_text().startswith("### ❌ mlgate: FAILED")
    assert MARKER not in actions.summary.read_text()


def test_no_token_falls_back_to_the_job_summary_without_calling_github(
    capsys, actions, github, monkeypatch
):
    monkeypatch.setenv("GITHUB_TOKEN", "")  # how a missing secret reaches a step
    code, out, err = run(capsys, actions)
    assert code == 0 and out == ""
    assert "GITHUB_TOKEN is not set" in err and "pull-requests: write" in err
    assert "added to the job summary instead" in err
    assert "`drift.numeric`" in actions.summary.read_text()
    assert github.requests == []


def test_a_push_event_writes_only_the_job_summary(capsys, actions, github, monkeypatch):
    actions.event.write_text(json.dumps({"ref": "refs/heads/main", "after": "abc123"}))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    code, _, err = run(capsys, actions)
    assert code == 0
    assert "event 'push' is not for a pull request" in err
    assert actions.summary.read_text().startswith("### ❌")
    assert github.requests == []


def test_a_comment_on_a_pull_request_is_found_through_issue_number(
    capsys, actions, github, monkeypatch
):
    issue = {"number": 12, "pull_request": {"url": "https://api.github.com/x"}}
    actions.event.write_text(json.dumps({"issue": issue, "comment": {"id": 1}}))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "issue_comment")
    assert run(capsys, actions)[0] == 0
    assert [c["body"][: len(MARKER)] for c in github.comments[12]] == [MARKER]


def test_two_bad_gateways_then_the_comment_is_created_after_backing_off(actions, github):
    github.fail_next(502, times=2)
    waits: list[float] = []
    outcome = publish_comment(
        render_markdown(REPORT), env=GitHubEnv.from_environ(os.environ), sleep=waits.append
    )
    assert outcome.action == "created" and outcome.message is None and not outcome.failed
    assert waits == [1.0, 2.0]
    assert [r.method for r in github.requests] == ["GET", "GET", "GET", "POST"]
    assert len(github.comments[PR]) == 1


def test_a_429_with_retry_after_waits_as_asked(actions, github):
    github.fail_next(429, headers={"Retry-After": "7"}, method="POST")
    waits: list[float] = []
    outcome = publish_comment(
        render_markdown(REPORT), env=GitHubEnv.from_environ(os.environ), sleep=waits.append
    )
    assert outcome.action == "created"
    assert waits == [7.0]
    assert [r.method for r in github.requests] == ["GET", "POST", "POST"]


def test_an_exhausted_rate_limit_waits_until_it_resets(actions, github):
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000030"}
    github.fail_next(403, headers=headers, body={"message": "API rate limit exceeded"})
    waits: list[float] = []
    outcome = publish_comment(
        render_markdown(REPORT),
        env=GitHubEnv.from_environ(os.environ),
        sleep=waits.append,
        clock=lambda: 1_000_000.0,
    )
    assert outcome.action == "created"
    assert waits == [31.0]  # until the reset, plus a second


def test_a_wait_past_the_cap_gives_up_at_once_and_falls_back(actions, github):
    github.fail_next(429, headers={"Retry-After": "3600"})
    waits: list[float] = []
    outcome = publish_comment(
        render_markdown(REPORT), env=GitHubEnv.from_environ(os.environ), sleep=waits.append
    )
    assert waits == [] and outcome.failed and outcome.action is None
    assert outcome.message is not None and "asks to wait 3600 s" in outcome.message
    assert outcome.summary == "written"


def test_retries_are_bounded_then_one_line_and_exit_0(capsys, actions, github):
    github.fail_next(503, times=10, headers={"Retry-After": "0"})
    code, out, err = run(capsys, actions)
    assert code == 0 and out == ""
    assert len(github.requests) == 4  # the first attempt and 3 retries
    assert err.count("\n") == 1
    assert "GitHub answered 503" in err and "gave up after 4 attempts" in err
    assert "added to the job summary instead" in err
    assert actions.summary.read_text().startswith("### ❌")


def test_strict_makes_a_failed_post_exit_2(capsys, actions, github):
    github.fail_next(503, times=10, headers={"Retry-After": "0"})
    code, _, err = run(capsys, actions, "--strict")
    assert code == 2
    assert err.startswith("mlgate: error: ") and "gave up after 4 attempts" in err
    assert actions.summary.read_text() != ""


def test_rejected_credentials_are_not_retried(capsys, actions, github, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_" + "W" * 36)
    code, _, err = run(capsys, actions)
    assert code == 0 and len(github.requests) == 1
    assert "401 (Bad credentials): the token was rejected" in err
    assert "ghs_" not in err


def test_the_token_is_redacted_even_when_github_echoes_it(capsys, actions, github):
    github.fail_next(422, body={"message": f"invalid request from {TOKEN}"})
    code, _, err = run(capsys, actions)
    assert code == 0
    assert "invalid request from ***" in err
    # the fixture then checks every output and file for the token


def test_a_70000_character_report_is_cut_at_a_line_boundary_with_the_artifact_link(
    capsys, actions, github
):
    passed = tuple(
        Finding(
            "quality.null_fraction", Status.PASS, f"0.0% null in column_{i:04d}", column=f"c{i}"
        )
        for i in range(1400)
    )
    big = Report(REPORT.findings + passed)
    markdown = render_markdown(big)
    assert len(markdown) >= 70_000
    actions.report.write_text(render_json(big))
    artifact = "https://github.com/octo-org/penguins/actions/runs/4242/artifacts/99"

    assert run(capsys, actions, "--artifact-url", artifact)[0] == 0
    (post,) = github.writes()
    body = post.body["body"]
    assert len(body) <= COMMENT_LIMIT
    assert body.startswith(MARKER + "\n### ❌ mlgate: FAILED")
    assert body.rstrip().endswith(f"the full report: {artifact}")
    kept = body[len(MARKER) + 1 : body.index("\n---\n✂️")].rstrip("\n").splitlines()
    assert kept[-2:] == ["", "</details>"]  # the open <details> is closed again
    assert kept[:-2] == markdown.splitlines()[: len(kept) - 2]  # whole lines, in order
    assert len(body) > COMMENT_LIMIT - 500  # and nothing much wasted


def test_fit_comment_points_at_the_run_when_no_artifact_url(actions):
    markdown = "### heading\n" + "".join(f"line {i}\n" for i in range(100))
    body = fit_comment(markdown, MARKER, GitHubEnv.from_environ(os.environ).run_url, limit=300)
    assert len(body) <= 300 and body.endswith(f"the full report: {RUN_URL}\n")
    short = fit_comment("### fine\n", MARKER, RUN_URL)
    assert short == MARKER + "\n### fine\n"


def test_without_a_job_summary_the_report_is_printed(capsys, actions, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    monkeypatch.delenv("GITHUB_TOKEN")
    code, out, err = run(capsys, actions)
    assert code == 0 and out.startswith("### ❌ mlgate: FAILED")
    assert "GITHUB_STEP_SUMMARY is not set" in err


def test_job_summary_always_also_writes_the_summary_when_the_comment_is_posted(
    capsys, actions, github
):
    code, out, err = run(capsys, actions, "--job-summary", "always")
    assert code == 0 and err == "" and "created the PR comment" in out
    assert actions.summary.read_text().startswith("### ❌ mlgate: FAILED")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such report file"),
        ("{not json", "report.json:1: the report is not valid JSON"),
        ('{"mlgate": "0.1.0"}', 'no "checks" list'),
        (
            '{"passed": true, "checks": [{"name": "a", "status": "bad", "message": ""}]}',
            "checks[0].status: 'bad' is not one of pass, skip, warn, fail, error",
        ),
        (
            '{"passed": true, "checks": [{"name": "a", "status": "fail", "message": "m"}]}',
            'says "passed": true but its checks say otherwise',
        ),
    ],
)
def test_an_unusable_report_is_exit_2_with_one_line(capsys, actions, github, content, expected):
    if content is None:
        actions.report.unlink()
    else:
        actions.report.write_text(content)
    code, _, err = run(capsys, actions)
    assert code == 2 and expected in err and err.count("\n") == 1
    assert github.requests == []


def test_a_bad_marker_name_is_a_usage_error(capsys, actions, github):
    code, _, err = run(capsys, actions, "--marker", "x --> <script>")
    assert code == 2 and "--marker" in err
    assert github.requests == []


def test_the_json_report_round_trips_into_the_same_report(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(render_json(REPORT))
    assert load_report(path) == REPORT
    # Stages and what the run judged come back too, so the comment shows them.
    staged = Report(
        tuple(
            replace(f, stage=s)
            for f, s in zip(REPORT.findings, ("data", "data", "serving"), strict=True)
        ),
        run={"mlgate": "0.1.0", "started": "2026-01-01T00:00:00Z", "inputs": []},
    )
    path.write_text(render_json(staged))
    assert load_report(path) == staged
    path.write_text('{"passed": true, "run": 3, "checks": []}')
    with pytest.raises(InputError, match='"run" is not an object'):
        load_report(path)
    assert report_from_dict(json.loads(render_json(REPORT)), title="t").title == "t"


def test_the_client_never_sends_the_token_to_another_host():
    client = GitHubClient("https://api.github.com", TOKEN, user_agent="t")
    with pytest.raises(GitHubApiError, match="not the API host") as info:
        client.request("GET", "https://evil.example/steal")
    assert TOKEN not in str(info.value)
    with pytest.raises(GitHubApiError, match="not an http"):
        GitHubClient("file:///etc", TOKEN, user_agent="t")


def test_next_link_reads_githubs_link_header():
    header = (
        "<https://api.github.com/repositories/1/issues/7/comments?per_page=100&page=3>; "
        'rel="next", <https://api.github.com/repositories/1/issues/7/comments?page=9>; '
        'rel="last"'
    )
    assert next_link(header) == (
        "https://api.github.com/repositories/1/issues/7/comments?per_page=100&page=3"
    )
    assert next_link(None) is None
    assert next_link('<https://x/?page=1>; rel="first"') is None


def test_the_env_hides_the_token_and_treats_empty_values_as_unset():
    env = GitHubEnv.from_environ({"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": " "})
    assert TOKEN not in repr(env)
    assert env.api_url == "https://api.github.com"
    assert comment_marker("data-v2") == "<!-- mlgate-report:data-v2 -->"


def test_retry_policy_is_small_by_default():
    policy = RetryPolicy()
    assert policy.retries == 3 and policy.max_wait <= 60 and policy.timeout <= 30


def test_the_comment_command_imports_no_heavy_library():
    code = (
        "import sys; import mlgate._cli.comment, mlgate.ci.github, mlgate.reports.github; "
        "heavy = [m for m in ('polars', 'pandas', 'pyarrow', 'scipy', 'numpy', 'rich', 'yaml') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
