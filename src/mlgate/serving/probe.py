"""The serving check: run the app, send it held-out rows, and judge what comes back.

``check_serving`` starts the app (gunicorn on a free port of 127.0.0.1), or runs a
Docker image, or talks to a given URL; waits for ``/health``; sends the held-out rows in
batches; and reports, as findings:

- online predictions equal offline ones (labels exactly, probabilities within a
  tolerance): the model as served behaves as the artifact does in the training
  environment, the training/serving skew check;
- held-out rows the server refused (400) or failed on (5xx);
- deliberately malformed requests, derived from the schema, get a 4xx, never a 5xx;
- latency (p50/p95/p99 of sequential single-record requests) and throughput (from a few
  concurrent clients) against budgets.

Whatever it started it stops, also on failure, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import http.client
import json
import math
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.data.schema import Schema, dump_schema, load_schema
from mlgate.errors import InputError, MlgateError
from mlgate.findings import Finding, Report, Status, apply_severity, with_stage
from mlgate.runinfo import Input, RunClock, data_input, file_input
from mlgate.serving import defaults
from mlgate.serving._http import Client, Response
from mlgate.serving.payloads import (
    _bad_payloads,
    _errors_of,
    _json_default,
    _plain,
    _snippet,
    _synthetic_record,
)
from mlgate.serving.probe_findings import (
    SHOW,
    _compare,
    _Row,
    _row_findings,
)
from mlgate.serving.records import DEFAULT_MAX_RECORDS, InputSpec
from mlgate.serving.runner import (
    DockerContainer,
    ExternalServer,
    GunicornServer,
    Server,
    ServeSettings,
    free_port,
    running,
    wait_ready,
)

#: The stage every serving finding carries.
STAGE = "serving"


@dataclass(frozen=True)
class ServingBudget:
    """Budgets the served model must meet: latency percentiles of one single-record
    request (p50 and p99 only when given), and requests per second from
    ``ProbeSettings.clients`` concurrent clients."""

    latency_p95_ms: float = defaults.LATENCY_P95_MS
    min_throughput: float = defaults.MIN_THROUGHPUT
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None

    def __post_init__(self) -> None:
        latencies = (self.latency_p50_ms, self.latency_p95_ms, self.latency_p99_ms)
        if not all(v is None or v > 0 for v in latencies) or not self.min_throughput >= 0:
            raise InputError(
                "serving budgets: each latency budget must be above 0 and min_throughput at least 0"
            )

    def latency_limits(self) -> list[tuple[str, float]]:
        """The latency budgets that are set, as (percentile, milliseconds)."""
        limits = (
            ("p50", self.latency_p50_ms),
            ("p95", self.latency_p95_ms),
            ("p99", self.latency_p99_ms),
        )
        return [(name, limit) for name, limit in limits if limit is not None]


@dataclass(frozen=True)
class ProbeSettings:
    """How hard the probe pushes; every loop is bounded by these counts."""

    timeout: float = defaults.TIMEOUT_S
    batch_size: int = 64
    max_rows: int = defaults.MAX_ROWS
    warmup_requests: int = 5
    latency_requests: int = defaults.TIMING_REQUESTS
    throughput_requests: int = defaults.TIMING_REQUESTS
    clients: int = 4
    probability_tolerance: float = 1e-6
    #: The server's routes: a user's own app may name them otherwise. When the health
    #: route answers 404, the server is ready once the prediction route answers.
    health_path: str = "/health"
    predict_path: str = "/predict"

    def __post_init__(self) -> None:
        counts = (self.batch_size, self.max_rows, self.latency_requests, self.throughput_requests)
        if not self.timeout > 0 or min(counts) < 1 or self.clients < 1:
            raise InputError("probe settings: timeout must be above 0 and every count at least 1")
        for option, path in (
            ("--health-path", self.health_path),
            ("--predict-path", self.predict_path),
        ):
            if not path.startswith("/") or any(c.isspace() for c in path):
                raise InputError(
                    f"{option} {path!r}: give the route's path from the server's root, "
                    "starting with / (e.g. /health)"
                )


def check_serving(
    data: Any,
    *,
    model: str | Path | None = None,
    schema: Schema | str | Path | None = None,
    url: str | None = None,
    image: str | None = None,
    target: str | None = None,
    trust_pickle: bool = False,
    workers: int = defaults.WORKERS,
    budget: ServingBudget | None = None,
    settings: ProbeSettings | None = None,
    severity: Mapping[str, str] | None = None,
) -> Report:
    """Check a served model; see the module docstring.

    Give ``model`` and ``schema`` to have mlgate start the app itself with gunicorn, or
    ``url`` (a running server) or ``image`` (a serving image, run with Docker). With
    ``url`` or ``image``, ``model`` is the artifact to compare predictions with and
    ``schema`` defaults to the one the server publishes at ``/metadata``.

    The report's ``run`` names the model, held-out data and schema files with their
    digests (the data's rows only when the check read all of them).
    """
    clock = RunClock.start()
    budget = budget or ServingBudget()
    settings = settings or ProbeSettings()
    if url is not None and image is not None:
        raise InputError("give either --url or --image, not both")
    if url is None and image is None and (model is None or schema is None):
        raise InputError(
            "say what to check: --model and --schema (mlgate starts the app), --url URL "
            "(a running server) or --image IMAGE (a serving image)"
        )
    if workers < 1:
        raise InputError(f"workers must be at least 1, not {workers}")

    from mlgate.serving.artifacts import load_model

    offline = load_model(model, trust_pickle=trust_pickle) if model is not None else None
    given_schema = _as_schema(schema)
    if offline is not None and given_schema is not None:
        InputSpec.for_model(offline, given_schema, target=target)  # refuse a mismatch now
    rows = _read_rows(data, settings.max_rows)
    inputs = _inputs(model, data, rows, schema, settings.max_rows)

    with tempfile.TemporaryDirectory(prefix="mlgate-serving-") as tmp:
        server: Server
        if url is not None:
            server = ExternalServer(url)
        elif image is not None:
            server = DockerContainer(image)
        else:
            assert model is not None and given_schema is not None
            schema_path = schema if isinstance(schema, (str, Path)) else Path(tmp) / "schema.yaml"
            if not isinstance(schema, (str, Path)):
                Path(schema_path).write_text(dump_schema(given_schema), encoding="utf-8")
            server = GunicornServer(
                ServeSettings(
                    model=Path(model),
                    schema=Path(schema_path),
                    target=target,
                    port=free_port(),
                    workers=workers,
                    trust_pickle=trust_pickle,
                )
            )
        with running(server):
            client = Client(server.url, timeout=settings.timeout)
            startup, route = wait_ready(
                server,
                client,
                settings.timeout,
                health_path=settings.health_path,
                predict_path=settings.predict_path,
            )
            probe = _Probe(server, client, settings, budget)
            findings = probe.run(rows, offline, given_schema, target, startup, route)
    findings = with_stage(apply_severity(findings, severity or {}), STAGE)
    return Report(tuple(findings), title="mlgate serving check", run=clock.run_info(inputs))


def _inputs(
    model: str | Path | None,
    data: Any,
    frame: Any,
    schema: Schema | str | Path | None,
    max_rows: int,
) -> list[Input]:
    """The files the check judged. The held-out data's rows are known only when fewer
    than ``max_rows`` were read (all of them)."""
    out = []
    if model is not None:
        out.append(file_input("model", model))
    held_out = data_input("data", data)
    held_out["rows"] = frame.height if frame.height < max_rows else None
    held_out["columns"] = frame.width
    out.append(held_out)
    if isinstance(schema, (str, Path)):
        out.append(file_input("schema", schema, fmt="yaml"))
    return out


def _as_schema(schema: Schema | str | Path | None) -> Schema | None:
    if schema is None or isinstance(schema, Schema):
        return schema
    return load_schema(schema)


def _read_rows(data: Any, max_rows: int) -> Any:
    """The first ``max_rows`` rows of the held-out data as a Polars DataFrame."""
    import polars as pl

    from mlgate.data.io import iter_batches, resolve

    source = resolve(data)
    if source.kind == "profile":
        raise InputError(
            f"{source.label}: is a profile; the serving check needs the held-out rows themselves"
        )
    batches: list[pl.DataFrame] = []
    got = 0
    for batch in iter_batches(source, max_rows):
        batches.append(batch.head(max_rows - got))
        got += batches[-1].height
        if got >= max_rows:
            break
    frame = pl.concat(batches, how="vertical") if batches else pl.DataFrame()
    if frame.height == 0:
        raise InputError(f"{source.label}: has no rows to send to the server")
    return frame


class _Probe:
    def __init__(
        self, server: Server, client: Client, settings: ProbeSettings, budget: ServingBudget
    ) -> None:
        self.server = server
        self.client = client
        self.settings = settings
        self.budget = budget

    def run(
        self,
        frame: Any,
        offline: Any,
        schema: Schema | None,
        target: str | None,
        startup: float,
        route: str = "GET /health",
    ) -> list[Finding]:
        meta, health = self._metadata(startup, route)
        if schema is None:
            published = meta.get("schema")
            if not isinstance(published, dict):
                raise InputError(
                    f"the server at {self.server.url} publishes no schema at /metadata; "
                    "pass --schema"
                )
            schema = Schema.model_validate(published)
        target = target if target is not None else meta.get("target")
        spec = _server_spec(meta, schema, target)
        fields = [c for c in frame.columns if c in spec.columns]
        missing = [f for f in spec.features if f not in frame.columns and spec.columns[f].required]
        if missing:
            raise InputError(
                f"the held-out data lacks column(s) the model needs: {', '.join(missing)}"
            )
        records = [_plain(r) for r in frame.select(fields).to_dicts()]
        results = self._predict(records, spec.max_records)
        findings = [health]
        findings += _row_findings(results)
        findings += _compare(frame, results, offline, spec, schema, target, self.settings)
        ok = [records[i] for i, r in enumerate(results) if r.outcome == "ok"]
        base = ok[0] if ok else _synthetic_record(spec)
        findings.append(self._bad_requests(spec, base))
        findings += self._performance(ok)
        code = self.server.exit_code()
        if code is not None:
            findings.append(
                Finding(
                    "serving.health",
                    Status.FAIL,
                    f"the server exited with code {code} during the check; see its output",
                    details={"exit_code": code, "output": self.server.output_tail()},
                )
            )
        return findings

    # -- health and metadata ------------------------------------------------------------

    def _metadata(self, startup: float, route: str) -> tuple[dict[str, Any], Finding]:
        details: dict[str, Any] = {
            "url": self.server.url,
            "startup_seconds": round(startup, 3),
            "ready_route": route,
        }
        healthy = f"healthy after {startup:.1f} s at {self.server.url}"
        if not route.startswith("GET "):
            healthy = f"ready after {startup:.1f} s at {self.server.url} ({route})"
        try:
            resp = self.client.get("/metadata")
        except (OSError, http.client.HTTPException) as exc:
            raise self._lost("reading /metadata", exc) from None
        meta = resp.json() if resp.status == 200 else None
        if not isinstance(meta, dict):
            message = (
                f"{healthy}, but GET /metadata answered {resp.status} without a JSON "
                "object; serve the model with mlgate"
            )
            return {}, Finding("serving.health", Status.WARN, message, details=details)
        for key in ("name", "version", "mlgate", "model"):
            details[key] = meta.get(key)
        message = f"{healthy}, serving {meta.get('name')} version {meta.get('version')}"
        return meta, Finding("serving.health", Status.PASS, message, details=details)

    def _lost(self, doing: str, exc: BaseException) -> MlgateError:
        tail = self.server.output_tail()
        more = f"; its last lines of output:\n{tail}" if tail else ""
        return MlgateError(
            f"lost the server at {self.server.url} while {doing} ({type(exc).__name__}: "
            f"{exc}){more}"
        )

    # -- the held-out rows ----------------------------------------------------------------

    def _predict(self, records: list[dict[str, Any]], max_records: int) -> list[_Row]:
        results = [_Row() for _ in records]
        size = max(1, min(self.settings.batch_size, max_records))
        for start in range(0, len(records), size):
            self._send(records, results, list(range(start, min(len(records), start + size))))
        return results

    def _send(
        self, records: list[dict[str, Any]], results: list[_Row], idx: list[int], retry: bool = True
    ) -> None:
        resp = self._post([records[i] for i in idx])
        if resp.status == 200:
            self._accept(resp, results, idx)
            return
        if resp.status == 400:
            errors = _errors_of(resp)
            by_record: dict[int, list[dict[str, Any]]] = {}
            for e in errors:
                rec = e.get("record")
                if isinstance(rec, int) and 0 <= rec < len(idx):
                    by_record.setdefault(rec, []).append(e)
            if not by_record or not retry:
                for i in idx:
                    results[i] = _Row("rejected", errors=errors[:SHOW], status=400)
                return
            for pos, errs in by_record.items():
                results[idx[pos]] = _Row("rejected", errors=errs, status=400)
            rest = [i for pos, i in enumerate(idx) if pos not in by_record]
            if rest:
                self._send(records, results, rest, retry=False)
            return
        if resp.status >= 500 and len(idx) > 1:
            for i in idx:  # find the rows at fault
                self._send(records, results, [i], retry=False)
            return
        for i in idx:
            results[i] = _Row("error", status=resp.status, body=_snippet(resp.body))

    def _accept(self, resp: Response, results: list[_Row], idx: list[int]) -> None:
        body = resp.json()
        preds = body.get("predictions") if isinstance(body, dict) else None
        probas = body.get("probabilities") if isinstance(body, dict) else None
        if not isinstance(preds, list) or len(preds) != len(idx):
            for i in idx:
                results[i] = _Row(
                    "error", status=200, body="no 'predictions' list of one entry per record"
                )
            return
        if probas is not None and (not isinstance(probas, list) or len(probas) != len(idx)):
            probas = None
        marked: dict[int, list[dict[str, Any]]] = {}
        warnings = body.get("warnings") if isinstance(body, dict) else None
        for w in warnings if isinstance(warnings, list) else ():
            if isinstance(w, dict) and isinstance(w.get("record"), int):
                marked.setdefault(w["record"], []).append(w)
        for pos, i in enumerate(idx):
            results[i] = _Row(
                "ok",
                prediction=preds[pos],
                probabilities=probas[pos] if probas is not None else None,
                status=200,
                warnings=marked.get(pos, []),
            )

    def _post(self, payload: Any) -> Response:
        body = json.dumps(payload, default=_json_default).encode()
        try:
            return self.client.post(self.settings.predict_path, body)
        except (OSError, http.client.HTTPException) as exc:
            return Response(0, f"{type(exc).__name__}: {exc}".encode())

    # -- malformed requests ---------------------------------------------------------------

    def _bad_requests(self, spec: InputSpec, base: dict[str, Any]) -> Finding:
        probes: list[dict[str, Any]] = []
        for name, body in _bad_payloads(spec, base):
            try:
                resp = self.client.post(self.settings.predict_path, body)
                status, snippet = resp.status, _snippet(resp.body)
            except (OSError, http.client.HTTPException) as exc:
                status, snippet = 0, f"{type(exc).__name__}: {exc}"
            probes.append({"probe": name, "status": status, "body": snippet})
        wrong = [p for p in probes if not 400 <= p["status"] < 500]
        details = {"probes": [{"probe": p["probe"], "status": p["status"]} for p in probes]}
        if wrong:
            shown = ", ".join(f"{p['probe']} got {p['status'] or 'no answer'}" for p in wrong)
            return Finding(
                "serving.bad_request_handling",
                Status.FAIL,
                f"{len(wrong)} of {len(probes)} malformed requests did not get a 4xx ({shown}); "
                "check each request against the schema and answer bad input with a 400 "
                "naming the field",
                details={**details, "wrong": wrong},
            )
        return Finding(
            "serving.bad_request_handling",
            Status.PASS,
            f"all {len(probes)} malformed requests got a 4xx "
            f"({', '.join(p['probe'] for p in probes)})",
            details=details,
        )

    # -- latency and throughput -----------------------------------------------------------

    def _performance(self, ok: list[dict[str, Any]]) -> list[Finding]:
        if not ok:
            why = "no held-out row got a prediction, so there is nothing to time"
            return [
                Finding("serving.latency", Status.ERROR, f"not measured: {why}"),
                Finding("serving.throughput", Status.ERROR, f"not measured: {why}"),
            ]
        bodies = [json.dumps([r], default=_json_default).encode() for r in ok]
        s = self.settings
        for i in range(s.warmup_requests):
            self._timed(bodies[i % len(bodies)])
        timed = [self._timed(bodies[i % len(bodies)]) for i in range(s.latency_requests)]
        latency = self._latency_finding(timed)

        def worker(k: int) -> list[tuple[float, int]]:
            return [
                self._timed(bodies[i % len(bodies)])
                for i in range(k, s.throughput_requests, s.clients)
            ]

        pool = ThreadPoolExecutor(max_workers=s.clients, thread_name_prefix="mlgate-probe")
        try:
            started = time.perf_counter()
            futures = [pool.submit(worker, k) for k in range(s.clients)]
            done = [t for f in futures for t in f.result()]
            elapsed = time.perf_counter() - started
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return [latency, self._throughput_finding(done, elapsed)]

    def _timed(self, body: bytes) -> tuple[float, int]:
        started = time.perf_counter()
        try:
            status = self.client.post(self.settings.predict_path, body).status
        except (OSError, http.client.HTTPException):
            status = 0
        return time.perf_counter() - started, status

    def _latency_finding(self, timed: list[tuple[float, int]]) -> Finding:
        import numpy as np

        ms = np.array([t * 1000.0 for t, _ in timed])
        failed = sum(1 for _, status in timed if status != 200)
        p50, p95, p99 = (float(round(v, 3)) for v in np.percentile(ms, [50, 95, 99]))
        observed = {"p50": p50, "p95": p95, "p99": p99}
        limits = self.budget.latency_limits()
        details = {
            "requests": len(timed),
            "failed": failed,
            "p50_ms": p50,
            "p95_ms": p95,
            "p99_ms": p99,
            "max_ms": float(round(ms.max(), 3)),
            **{f"budget_{name}_ms": limit for name, limit in limits},
        }
        numbers = (
            f"p95 {p95:.1f} ms (p50 {p50:.1f}, p99 {p99:.1f}) over {len(timed)} sequential "
            "single-record requests"
        )
        if failed:
            return Finding(
                "serving.latency",
                Status.FAIL,
                f"{failed} of {len(timed)} timed requests failed; {numbers}",
                details=details,
            )
        over = [(name, limit) for name, limit in limits if observed[name] > limit]
        if over:
            budgets = ", ".join(f"{name} {limit:g} ms" for name, limit in over)
            options = " or ".join(f"--latency-{name}-ms" for name, _ in over)
            return Finding(
                "serving.latency",
                Status.FAIL,
                f"{numbers}, above the budget of {budgets}; make prediction cheaper, add "
                f"workers, or raise {options}",
                details=details,
            )
        within = ", ".join(f"{name} {limit:g} ms" for name, limit in limits)
        return Finding(
            "serving.latency", Status.PASS, f"{numbers}, within {within}", details=details
        )

    def _throughput_finding(self, done: list[tuple[float, int]], elapsed: float) -> Finding:
        good = sum(1 for _, status in done if status == 200)
        rate = good / elapsed if elapsed > 0 else math.inf
        floor = self.budget.min_throughput
        clients = self.settings.clients
        details = {
            "requests": len(done),
            "succeeded": good,
            "seconds": round(elapsed, 3),
            "requests_per_second": round(rate, 2),
            "clients": clients,
            "min_throughput": floor,
        }
        numbers = (
            f"{rate:.1f} requests/s from {clients} concurrent clients "
            f"({good} of {len(done)} succeeded)"
        )
        if good < len(done):
            return Finding(
                "serving.throughput",
                Status.FAIL,
                f"{len(done) - good} of {len(done)} requests failed under load; {numbers}",
                details=details,
            )
        if rate < floor:
            return Finding(
                "serving.throughput",
                Status.FAIL,
                f"{numbers}, below the minimum of {floor:g}; add workers or make prediction "
                "cheaper, or lower --min-throughput",
                details=details,
            )
        return Finding(
            "serving.throughput",
            Status.PASS,
            f"{numbers}, at least {floor:g}",
            details=details,
        )


def _server_spec(meta: Mapping[str, Any], schema: Schema, target: str | None) -> InputSpec:
    """What the server takes, from its metadata (or the schema alone)."""
    columns = {k: v for k, v in schema.columns.items() if k != target}
    published = meta.get("features")
    features = (
        tuple(str(f) for f in published if str(f) in columns)
        if isinstance(published, list)
        else tuple(columns)
    )
    max_records = meta.get("max_records")
    if not isinstance(max_records, int) or max_records < 1:
        max_records = DEFAULT_MAX_RECORDS
    # An mlgate server says whether it refuses values outside the schema's range and
    # domain; a server that does not say (an older mlgate, a user's own) is held to that.
    strict = meta.get("strict", True) is not False
    closed = meta.get("closed_fields")
    closed_set = frozenset(str(c) for c in closed) if isinstance(closed, list) else frozenset()
    return InputSpec(columns, features, target, max_records, True, bool(strict), closed_set)
