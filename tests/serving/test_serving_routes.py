"""check serving --url against a server whose routes are not mlgate's: the health path
is configurable, and a server with no health route is ready once its prediction route
answers (a user's own Flask app)."""

from __future__ import annotations

import pytest

pytest.importorskip("flask")
pytest.importorskip("skops")
pytest.importorskip("pandas")
pytest.importorskip("sklearn")

from mlgate.data.schema import load_schema
from mlgate.errors import InputError, MlgateError
from mlgate.findings import Status
from mlgate.serving._http import Client
from mlgate.serving.app import create_app
from mlgate.serving.probe import ProbeSettings, ServingBudget, check_serving
from mlgate.serving.runner import ExternalServer, free_port, wait_ready
from tests.serving import HELD_OUT, SCHEMA, TARGET, train_penguins
from tests.serving.test_check_serving import werkzeug_server

LENIENT = ServingBudget(latency_p95_ms=10_000, min_throughput=0.1)


def routed(app, routes: dict[str, str | None]):
    """``app`` behind other route names: ``routes`` maps an outside path to mlgate's
    (a path mapped to None answers 404, as a user's app without it would)."""

    def wrapped(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in routes:
            if routes[path] is None:
                start_response("404 NOT FOUND", [("Content-Type", "text/plain")])
                return [b"not found"]
            environ = {**environ, "PATH_INFO": routes[path]}
        return app(environ, start_response)

    return wrapped


@pytest.fixture(scope="module")
def app():
    model = train_penguins()
    return create_app(model, load_schema(SCHEMA), name="penguins", version="1", target=TARGET)


def settings(**routes: str) -> ProbeSettings:
    return ProbeSettings(
        timeout=60,
        max_rows=30,
        warmup_requests=1,
        latency_requests=5,
        throughput_requests=5,
        **routes,
    )


def test_a_server_without_a_health_route_is_ready_when_it_predicts(app):
    own_app = routed(app, {"/api/predict": "/predict", "/predict": None, "/health": None})
    with werkzeug_server(own_app) as url:
        report = check_serving(
            HELD_OUT,
            url=url,
            schema=SCHEMA,
            target=TARGET,
            budget=LENIENT,
            settings=settings(predict_path="/api/predict"),
        )
    health = next(f for f in report.findings if f.name == "serving.health")
    assert "(POST /api/predict (GET /health answered 404))" in health.message
    assert health.details["ready_route"].startswith("POST /api/predict")
    rows = next(f for f in report.findings if f.name == "serving.rejected_rows")
    # The rows went to /api/predict and were answered; two are beyond the schema's
    # inferred range: served, and counted as the server marked them.
    assert rows.status is Status.PASS, rows.message
    assert rows.details["served_outside_schema"] == 2
    assert rows.details["outside_examples"][0] == {
        "row": 3,
        "field": "flipper_length_mm",
        "warning": "231 is above the schema's maximum 230",
    }
    assert rows.message.endswith(
        "2 served outside the schema's range or domain, marked by the server"
    )


def test_the_health_path_is_configurable(app):
    with werkzeug_server(routed(app, {"/healthz": "/health", "/health": None})) as url:
        report = check_serving(
            HELD_OUT, url=url, budget=LENIENT, settings=settings(health_path="/healthz")
        )
    health = next(f for f in report.findings if f.name == "serving.health")
    assert health.status is Status.PASS and health.details["ready_route"] == "GET /healthz"


def test_no_health_and_no_prediction_route_names_the_options(app):
    with werkzeug_server(routed(app, {"/health": None, "/predict": None})) as url:
        client = Client(url, timeout=1)
        with pytest.raises(MlgateError) as info:
            wait_ready(ExternalServer(url), client, 0.5, predict_path="/predict")
    message = str(info.value)
    assert "GET /health answered 404, POST /predict answered 404" in message
    assert "--health-path and --predict-path" in message


@pytest.mark.parametrize("path", ["health", "/two words"])
def test_a_route_must_be_a_path(path):
    with pytest.raises(InputError, match="starting with /"):
        ProbeSettings(health_path=path)


def test_unused_port_is_still_a_connection_error():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(MlgateError, match="ConnectionRefusedError"):
        wait_ready(ExternalServer(url), Client(url, timeout=0.2), 0.3, predict_path="/predict")
