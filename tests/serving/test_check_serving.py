"""mlgate check serving and mlgate serve against real gunicorn servers on 127.0.0.1.

Every server here listens on a free port of the loopback interface only, and every
request loop is bounded. Docker is not exercised (no engine on these machines): only
the refusal when it is missing.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("flask")
pytest.importorskip("gunicorn")
pytest.importorskip("skops")
pytest.importorskip("pandas")
pytest.importorskip("sklearn")

from mlgate._digest import file_digest
from mlgate.data.schema import load_schema
from mlgate.errors import MlgateError
from mlgate.findings import Status
from mlgate.serving._http import Client
from mlgate.serving.app import create_app
from mlgate.serving.artifacts import save_model
from mlgate.serving.probe import ProbeSettings, ServingBudget, check_serving
from mlgate.serving.runner import (
    GunicornServer,
    ServeSettings,
    free_port,
    running,
    wait_healthy,
)
from tests.serving import HELD_OUT, SCHEMA, TARGET, penguin_record, train_penguins

#: Seconds a server may take to start here: loading skops imports all of scikit-learn,
#: and CI machines are busy.
STARTUP = 120.0
FAST = ProbeSettings(
    timeout=STARTUP, warmup_requests=2, latency_requests=20, throughput_requests=20
)
LENIENT = ServingBudget(latency_p95_ms=10_000, min_throughput=0.1)
PROBES = [
    "not_json",
    "empty_list",
    "not_a_record",
    "unknown_field",
    "missing_field",
    "wrong_type",
    "unknown_category",
    "out_of_range",
]
#: The probes a server that serves values outside the schema's range and domain (the
#: default) gets: those two are no malformed requests to it.
LENIENT_PROBES = [p for p in PROBES if p not in ("unknown_category", "out_of_range")]
REGISTER = (
    "from mlgate._cli import main as m\n"
    "from mlgate._cli.serving import check_serving_cmd, serve_cmd\n"
    "m.check_group.commands.setdefault('serving', check_serving_cmd)\n"
    "m.cli.commands.setdefault('serve', serve_cmd)\n"
)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serving")
    model = train_penguins()
    pickled = folder / "penguins.pkl"
    pickled.write_bytes(pickle.dumps(model))
    return SimpleNamespace(
        folder=folder,
        model=save_model(model, folder / "penguins.skops"),
        other=save_model(train_penguins(C=0.001), folder / "other.skops"),
        pickled=pickled,
        log=folder / "serving-log.jsonl",
    )


@pytest.fixture(scope="module")
def server(files):
    """gunicorn with two workers, logging its requests. It serves the pickled model
    (quicker to load than skops, which imports all of scikit-learn); the checks compare
    it with the skops artifact of the same pipeline."""
    settings = ServeSettings(
        model=files.pickled,
        schema=SCHEMA,
        target=TARGET,
        port=free_port(),
        workers=2,
        log_requests=files.log,
        trust_pickle=True,
    )
    gunicorn = GunicornServer(settings)
    with running(gunicorn):
        wait_healthy(gunicorn, Client(gunicorn.url, timeout=10), STARTUP)
        yield gunicorn


@pytest.fixture
def cli(monkeypatch):
    """The serving commands, registered as main.py registers them."""
    from mlgate._cli import main as m
    from mlgate._cli.serving import check_serving_cmd, serve_cmd

    if "serving" not in m.check_group.commands:
        monkeypatch.setitem(m.check_group.commands, "serving", check_serving_cmd)
    if "serve" not in m.cli.commands:
        monkeypatch.setitem(m.cli.commands, "serve", serve_cmd)


def run(capsys, *args: str) -> tuple[int, str, str]:
    from mlgate._cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out = capsys.readouterr()
    code = exit_info.value.code
    return (0 if code is None else int(code)), out.out, out.err


def by_name(report) -> dict:
    findings = {}
    for f in report.findings:
        assert f.name not in findings, f"{f.name} reported twice"
        findings[f.name] = f
    return findings


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


# -- the check against a running server (--url) -----------------------------------------


@pytest.mark.slow
def test_a_healthy_server_passes_with_every_finding_reported(server, files):
    report = check_serving(
        HELD_OUT, model=files.model, url=server.url, budget=LENIENT, settings=FAST
    )
    found = by_name(report)
    assert report.passed, [f.message for f in report.problems()]
    assert list(found) == [
        "serving.health",
        "serving.rejected_rows",
        "serving.server_error",
        "serving.prediction_mismatch",
        "serving.probability_mismatch",
        "serving.bad_request_handling",
        "serving.latency",
        "serving.throughput",
    ]
    health = found["serving.health"]
    assert health.status is Status.PASS and health.details["name"] == "penguins"
    # schema and target came from /metadata; two held-out rows are beyond the schema's
    # inferred range (a flipper longer, a penguin heavier than any in training): served,
    # not refused, since the model takes them
    rejected = found["serving.rejected_rows"]
    assert rejected.status is Status.PASS
    assert rejected.details["rows"] == 138 and rejected.details["rejected"] == 0
    assert rejected.details["served_outside_schema"] == 2
    assert [e["row"] for e in rejected.details["outside_examples"]] == [3, 19]
    assert found["serving.server_error"].status is Status.PASS
    labels = found["serving.prediction_mismatch"]
    assert labels.status is Status.PASS and labels.details["rows"] == 138
    assert labels.details["mismatches"] == 0
    proba = found["serving.probability_mismatch"]
    assert proba.status is Status.PASS and proba.details["max_abs_difference"] <= 1e-6
    bad = found["serving.bad_request_handling"]
    assert bad.status is Status.PASS
    assert bad.details["probes"] == [{"probe": p, "status": 400} for p in LENIENT_PROBES]
    latency = found["serving.latency"].details
    assert latency["requests"] == 20 and latency["failed"] == 0
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    throughput = found["serving.throughput"].details
    assert throughput["requests"] == throughput["succeeded"] == 20
    assert throughput["clients"] == 4 and throughput["requests_per_second"] > 0
    assert {f.stage for f in report.findings} == {"serving"}
    # What was judged: the model file and all 138 held-out rows (fewer than max_rows).
    assert report.run is not None
    assert [(i["role"], i["format"], i["rows"]) for i in report.run["inputs"]] == [
        ("model", "skops", None),
        ("data", "csv", 138),
    ]
    assert report.run["inputs"][0]["digest"] == file_digest([files.model])


def test_a_strict_server_refuses_held_out_rows_outside_the_schema(files):
    # --strict: the two held-out rows beyond the schema's inferred range are refused, and
    # the out-of-range and unknown-category probes are malformed requests to it
    model = train_penguins()
    app = create_app(
        model, load_schema(SCHEMA), name="penguins", version="1", target=TARGET, strict=True
    )
    with werkzeug_server(app) as url:
        report = check_serving(HELD_OUT, url=url, budget=LENIENT, settings=FAST)
    found = by_name(report)
    rejected = found["serving.rejected_rows"]
    assert rejected.status is Status.WARN
    assert rejected.details["rows"] == 138 and rejected.details["rejected"] == 2
    assert rejected.details["examples"] == [
        {
            "row": 3,
            "field": "flipper_length_mm",
            "error": "231 is above the schema's maximum 230",
        },
        {"row": 19, "field": "body_mass_g", "error": "6300 is above the schema's maximum 6050"},
    ]
    bad = found["serving.bad_request_handling"]
    assert bad.details["probes"] == [{"probe": p, "status": 400} for p in PROBES]


@pytest.mark.slow
def test_a_row_the_schema_allows_but_the_model_cannot_take_is_a_server_error(files):
    # row 45 of the held-out file lacks every measurement: the schema allows nulls there,
    # and this pipeline, broken on purpose, has no imputer for them, so the server
    # answers a clean 500 for that row alone and goes on serving the others
    broken = train_penguins(numeric_imputer=False)
    app = create_app(broken, load_schema(SCHEMA), name="broken", version="1", target=TARGET)
    with werkzeug_server(app) as url:
        report = check_serving(
            HELD_OUT,
            model=save_model(broken, files.folder / "broken.skops"),
            url=url,
            budget=LENIENT,
            settings=FAST,
        )
    error = by_name(report)["serving.server_error"]
    assert error.status is Status.FAIL
    assert error.details["failed"] == 1
    assert error.details["examples"] == [
        {
            "row": 45,
            "status": 500,
            "body": '{"error": "the model raised ValueError while predicting; the server log '
            'has the traceback"}',
        }
    ]
    assert error.message.startswith("1 of 138 held-out rows the schema accepts got 500")
    labels = by_name(report)["serving.prediction_mismatch"]
    assert labels.status is Status.PASS and labels.details["rows"] == 137
    assert not report.passed


@pytest.mark.slow
def test_another_model_than_the_served_one_is_a_prediction_mismatch(server, files):
    report = check_serving(
        HELD_OUT, model=files.other, url=server.url, budget=LENIENT, settings=FAST
    )
    found = by_name(report)
    labels, proba = found["serving.prediction_mismatch"], found["serving.probability_mismatch"]
    assert labels.status is Status.FAIL and labels.details["mismatches"] > 0
    example = labels.details["examples"][0]
    assert example["online"] != example["offline"]
    assert proba.status is Status.FAIL and proba.details["max_abs_difference"] > 0.01
    assert not report.passed


@pytest.mark.slow
def test_budgets_that_cannot_be_met_fail_latency_and_throughput(server, files):
    budget = ServingBudget(latency_p95_ms=0.001, min_throughput=1e9)
    report = check_serving(HELD_OUT, url=server.url, budget=budget, settings=FAST)
    found = by_name(report)
    latency, throughput = found["serving.latency"], found["serving.throughput"]
    assert latency.status is Status.FAIL and latency.details["budget_p95_ms"] == 0.001
    assert "above the budget of p95 0.001 ms" in latency.message
    assert throughput.status is Status.FAIL and throughput.details["min_throughput"] == 1e9
    assert "below the minimum of 1e+09" in throughput.message
    # no --model: nothing to compare with offline, said as a warning
    skew = found["serving.prediction_mismatch"]
    assert skew.status is Status.WARN and skew.message.startswith("not checked: pass --model")
    assert "serving.probability_mismatch" not in found


@pytest.mark.slow
def test_two_workers_append_to_one_request_log_without_mixing_lines(server):
    before = len(server.settings.log_requests.read_text().splitlines())
    client = Client(server.url, timeout=30)
    batch = json.dumps([penguin_record(), penguin_record(island="Dream", sex="male")]).encode()

    def send(_: int) -> int:
        return client.post("/predict", batch).status

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(send, range(60)))
    assert statuses == [200] * 60
    lines = server.settings.log_requests.read_text().splitlines()
    new = [json.loads(line) for line in lines[before:]]
    assert len(new) == 120
    assert {line["island"] for line in new} == {"Biscoe", "Dream"}
    assert all(line[TARGET] in ("Adelie", "Chinstrap", "Gentoo") for line in new)


@contextmanager
def werkzeug_server(app) -> Iterator[str]:
    """``app`` served by werkzeug in a thread of this process; yields its URL."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def five_hundred_for_bad_input(app):
    """A server that validates nothing: what the schema refuses crashes it instead."""

    def wrapped(environ, start_response):
        def respond(status, headers, exc_info=None):
            if status.startswith("400"):
                status = "500 INTERNAL SERVER ERROR"
            return start_response(status, headers, exc_info)

        return app(environ, respond)

    return wrapped


@pytest.mark.slow
def test_a_server_that_fails_on_malformed_requests_fails_the_check(files):
    app = create_app(
        train_penguins(), load_schema(SCHEMA), name="penguins", version="1", target=TARGET
    )
    with werkzeug_server(five_hundred_for_bad_input(app)) as url:
        report = check_serving(HELD_OUT, url=url, budget=LENIENT, settings=FAST)
    bad = by_name(report)["serving.bad_request_handling"]
    assert bad.status is Status.FAIL
    assert bad.details["probes"] == [{"probe": p, "status": 500} for p in LENIENT_PROBES]
    assert bad.message.startswith(
        "6 of 6 malformed requests did not get a 4xx (not_json got 500, empty_list got 500"
    )
    # the two held-out rows beyond the schema's range are served (the model takes them)
    assert by_name(report)["serving.server_error"].details["failed"] == 0


@pytest.mark.slow
def test_mlgate_run_runs_the_serving_stage_with_the_budgets_of_mlgate_yaml(
    cli, capsys, files, tmp_path
):
    config = tmp_path / "mlgate.yaml"
    config.write_text(
        "serving:\n"
        f"  model: {files.model}\n"
        f"  schema: {SCHEMA}\n"
        f"  data: {HELD_OUT}\n"
        f"  target: {TARGET}\n"
        f"  timeout: {STARTUP}\n"
        "  timing_requests: 20\n"
        "  budgets: {latency_p50_ms: 9000, latency_p95_ms: 10000, latency_p99_ms: 10000,"
        " min_throughput: 0.1}\n"
        "reports:\n"
        "  - {format: json, path: report.json}\n"
    )
    code, _, err = run(capsys, "run", "--config", str(config))
    assert (code, err) == (0, "")
    report = json.loads((tmp_path / "report.json").read_text())
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["serving.prediction_mismatch"] == "pass"
    assert statuses["serving.server_error"] == "pass"
    latency = next(c for c in report["checks"] if c["name"] == "serving.latency")
    assert latency["status"] == "pass"
    budgets = {k: v for k, v in latency["details"].items() if k.startswith("budget_")}
    assert budgets == {"budget_p50_ms": 9000, "budget_p95_ms": 10000, "budget_p99_ms": 10000}
    assert latency["message"].endswith("within p50 9000 ms, p95 10000 ms, p99 10000 ms")
    assert [(i["role"], i["digest"]) for i in report["run"]["inputs"]] == [
        ("model", file_digest([files.model])),
        ("data", file_digest([HELD_OUT])),
        ("schema", file_digest([SCHEMA])),
    ]


@pytest.mark.slow
def test_a_latency_percentile_over_its_budget_fails_naming_it_and_its_option(server, files):
    budget = ServingBudget(latency_p50_ms=0.001, latency_p95_ms=10_000, latency_p99_ms=10_000)
    report = check_serving(HELD_OUT, url=server.url, budget=budget, settings=FAST)
    latency = by_name(report)["serving.latency"]
    assert latency.status is Status.FAIL
    assert "above the budget of p50 0.001 ms;" in latency.message
    assert latency.message.endswith("or raise --latency-p50-ms")


# -- starting and stopping --------------------------------------------------------------


def test_a_url_that_never_becomes_healthy_is_exit_2_naming_it(cli, capsys, files):
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(
        capsys, "check", "serving", "--url", url, "--data", str(HELD_OUT), "--timeout", "0.5"
    )
    assert code == 2 and out == ""
    assert err.startswith(
        f"mlgate: error: the server at {url} did not become healthy within 0.5 s "
        "(last: ConnectionRefusedError"
    )
    assert err.rstrip().endswith("check the URL and that the server is running")


def test_gunicorn_that_cannot_start_is_one_error_with_its_last_lines(tmp_path):
    settings = ServeSettings(model=tmp_path / "gone.skops", schema=SCHEMA, port=free_port())
    gunicorn = GunicornServer(settings)
    with pytest.raises(MlgateError) as err, running(gunicorn):
        wait_healthy(gunicorn, Client(gunicorn.url, timeout=5), STARTUP)
    message = str(err.value)
    first, *tail = message.splitlines()
    assert first.startswith(f"the server at {gunicorn.url} exited with code ")
    assert first.endswith("its last lines of output:")
    assert (
        f"    mlgate: error: model file {tmp_path / 'gone.skops'} does not exist; give the "
        "path of a saved .skops model" in tail
    )
    assert gunicorn.process is None and not port_open(settings.port)


@pytest.mark.slow
def test_check_serving_starts_gunicorn_reports_and_stops_it(cli, capsys, files, tmp_path):
    report_path = tmp_path / "report.json"
    code, out, err = run(
        capsys,
        "check",
        "serving",
        "--model",
        str(files.model),
        "--schema",
        str(SCHEMA),
        "--data",
        str(HELD_OUT),
        "--target",
        TARGET,
        "--timeout",
        str(STARTUP),
        "--latency-p95-ms",
        "10000",
        "--min-throughput",
        "0.1",
        "--timing-requests",
        "20",
        "--format",
        "json",
        "--output",
        str(report_path),
    )
    # The report is in the file; stderr has only the verdict and where the report is.
    assert (code, out) == (0, "")
    assert err == (
        "mlgate serving check: passed (0 failed, 0 warnings, 8 passed); "
        f"report written to {report_path}\n"
    )
    report = json.loads(report_path.read_text())
    assert report["passed"] is True
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses == {
        "serving.health": "pass",
        "serving.rejected_rows": "pass",
        "serving.server_error": "pass",
        "serving.prediction_mismatch": "pass",
        "serving.probability_mismatch": "pass",
        "serving.bad_request_handling": "pass",
        "serving.latency": "pass",
        "serving.throughput": "pass",
    }
    url = report["checks"][0]["details"]["url"]
    port = int(url.rsplit(":", 1)[1])
    assert not port_open(port)
    assert not [p for p in descendants(os.getpid()) if f"127.0.0.1:{port}" in cmdline(p)]


@needs_proc
@pytest.mark.slow
def test_ctrl_c_mid_check_stops_the_gunicorn_it_started(files):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            REGISTER + "import sys\nm.main(sys.argv[1:])\n",
            "check",
            "serving",
            "--model",
            str(files.pickled),
            "--trust-pickle",
            "--schema",
            str(SCHEMA),
            "--data",
            str(HELD_OUT),
            "--target",
            TARGET,
            "--timeout",
            str(STARTUP),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + STARTUP
        port = None
        while port is None and time.monotonic() < deadline and proc.poll() is None:
            for pid in descendants(proc.pid):
                args = cmdline(pid).split()
                if "gunicorn" in args and "--bind" in args:
                    port = int(args[args.index("--bind") + 1].rsplit(":", 1)[1])
            time.sleep(0.05)
        assert port is not None, "gunicorn never started"
        client = Client(f"http://127.0.0.1:{port}", timeout=5)
        while time.monotonic() < deadline:  # healthy: the check is sending its rows now
            try:
                if client.get("/health").status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        started = descendants(proc.pid)
        assert len(started) >= 3, "a gunicorn master and two workers"
        assert proc.poll() is None, "the check ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # click turns Ctrl-C into an abort, which mlgate reports as such
    assert proc.returncode != 0
    assert err.decode().strip().splitlines()[-1] in ("mlgate: aborted", "mlgate: interrupted")
    assert out == b""
    assert not [pid for pid in started if alive(pid)]
    assert not port_open(port)


@pytest.mark.slow
def test_mlgate_serve_answers_logs_and_stops_on_sigterm(files, tmp_path):
    port = free_port()
    log = tmp_path / "requests.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            REGISTER + "import sys\nm.main(sys.argv[1:])\n",
            "serve",
            "--model",
            str(files.pickled),
            "--trust-pickle",
            "--schema",
            str(SCHEMA),
            "--target",
            TARGET,
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-requests",
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        class Process:
            url = f"http://127.0.0.1:{port}"

            def exit_code(self):
                return proc.poll()

            def output_tail(self, lines=20):
                return ""

            def hint(self):
                return "see mlgate serve's output"

        client = Client(Process.url, timeout=10)
        wait_healthy(Process(), client, STARTUP)
        resp = client.post("/predict", json.dumps([penguin_record()]).encode())
        assert resp.status == 200 and resp.json()["predictions"] == ["Gentoo"]
        assert client.post("/predict", b"[{}]").status == 400
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
    assert b'"POST /predict HTTP/1.1" 200' in out  # the access log
    assert [json.loads(line)[TARGET] for line in log.read_text().splitlines()] == ["Gentoo"]
    assert not port_open(port)


# -- usage ------------------------------------------------------------------------------


def test_mlgate_serve_refuses_a_pickle_without_trust_pickle(cli, capsys, files):
    code, out, err = run(capsys, "serve", "--model", str(files.pickled), "--schema", str(SCHEMA))
    assert code == 2 and out == ""
    assert err == (
        f"mlgate: error: {files.pickled}: refusing to load a pickle, because loading one runs "
        "whatever code it holds; save the model with mlgate.serving.save_model (skops), or "
        "pass --trust-pickle if you trust where this file came from\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "http://127.0.0.1:1", "--image", "x"], "give either --url or --image, not both"),
        (["--model", "m.skops"], "give --model and --schema (mlgate starts the app), or --url"),
        ([], "give --model and --schema (mlgate starts the app), or --url"),
    ],
)
def test_check_serving_says_what_to_check(cli, capsys, args, message):
    code, _, err = run(capsys, "check", "serving", *args, "--data", str(HELD_OUT))
    assert code == 2 and message in err


def test_image_without_docker_is_exit_2_saying_so(cli, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = run(
        capsys, "check", "serving", "--image", "penguins:latest", "--data", str(HELD_OUT)
    )
    assert code == 2 and out == ""
    assert err == (
        "mlgate: error: --image needs Docker, but the docker command is not on PATH; install "
        "Docker, or start the server yourself and pass --url\n"
    )


def test_a_target_the_schema_lacks_is_refused_before_anything_starts(cli, capsys, files):
    code, out, err = run(
        capsys,
        "check",
        "serving",
        "--model",
        str(files.model),
        "--schema",
        str(SCHEMA),
        "--data",
        str(HELD_OUT),
        "--target",
        "specie",
    )
    assert code == 2 and out == ""
    assert err.startswith(
        "mlgate: error: target column 'specie' is not in the schema; check --target: did you "
        "mean 'species'? the columns are: 'species', "
    )
