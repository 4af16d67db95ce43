"""The Flask app, request validation, the request log and model artifacts, in-process."""

from __future__ import annotations

import json
import math
import pickle
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("flask")
pytest.importorskip("skops")
pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import mlgate  # noqa: E402
from mlgate.data.schema import Schema, load_schema  # noqa: E402
from mlgate.errors import InputError  # noqa: E402
from mlgate.serving.app import RequestLog, create_app  # noqa: E402
from mlgate.serving.artifacts import load_model, save_model  # noqa: E402
from mlgate.serving.defaults import LOG_NOTES_KEY  # noqa: E402
from mlgate.serving.runner import ServeSettings  # noqa: E402
from tests.serving import (  # noqa: E402
    HELD_OUT,
    REFERENCE,
    SCHEMA,
    TARGET,
    penguin_record,
    train_penguins,
)

FEATURES = [
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
    "island",
    "sex",
]


@pytest.fixture(scope="module")
def model():
    return train_penguins()


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema(SCHEMA)


@pytest.fixture
def client(model, schema):
    app = create_app(model, schema, name="penguins", version="1.0", target=TARGET, max_records=10)
    return app.test_client()


def frame(*records):
    return pd.DataFrame([{k: r.get(k) for k in FEATURES} for r in records])


def errors_of(resp):
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    return resp.get_json()["errors"]


# -- the endpoints ----------------------------------------------------------------------


def test_health_answers_ok(client):
    resp = client.get("/health")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_metadata_names_the_model_its_version_and_the_schema(client, schema):
    meta = client.get("/metadata").get_json()
    assert meta["name"] == "penguins" and meta["version"] == "1.0"
    assert meta["mlgate"] == mlgate.__version__
    assert meta["model"] == "sklearn.pipeline.Pipeline"
    assert meta["target"] == TARGET and meta["features"] == FEATURES
    assert meta["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert meta["max_records"] == 10
    assert Schema.model_validate(meta["schema"]) == schema


def test_predict_answers_labels_and_probabilities_as_the_model_does(client, model):
    records = [penguin_record(), penguin_record(island="Dream", bill_length_mm=49.0, sex="male")]
    for payload in (records, {"records": records}):
        resp = client.post("/predict", json=payload)
        assert resp.status_code == 200
        body = resp.get_json()
        assert body["predictions"] == model.predict(frame(*records)).tolist()
        assert body["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
        expected = model.predict_proba(frame(*records))
        for got, want in zip(body["probabilities"], expected, strict=True):
            assert got == pytest.approx(want.tolist(), abs=1e-12)
            assert sum(got) == pytest.approx(1.0)


def test_predict_ignores_the_target_field_so_full_rows_can_be_sent(client):
    plain = client.post("/predict", json=[penguin_record()]).get_json()
    with_label = client.post("/predict", json=[penguin_record(species="Adelie")]).get_json()
    assert with_label == plain


def test_a_null_the_schema_allows_is_predicted_as_pandas_reads_a_blank(client, model):
    # sex may be null (max_null_fraction > 0): the model sees NaN, as in training, and
    # its imputer fills it; None would be an unseen category (a training/serving skew)
    resp = client.post("/predict", json=[penguin_record(sex=None)])
    assert resp.status_code == 200
    blank = frame(penguin_record(sex=math.nan))
    assert resp.get_json()["probabilities"][0] == pytest.approx(
        model.predict_proba(blank)[0].tolist(), abs=1e-12
    )


# -- validation: 400 with one error per field, never a 500 ------------------------------

#: Values outside the schema's range or domain, which the model can take.
OUTSIDE = [
    ({"flipper_length_mm": 300}, "flipper_length_mm", "300 is above the schema's maximum 230"),
    ({"bill_length_mm": 10}, "bill_length_mm", "10.0 is below the schema's minimum 32.1"),
    (
        {"island": "Anvers"},
        "island",
        "'Anvers' is not in the schema's domain: Biscoe, Dream, Torgersen",
    ),
    ({"year": 2031}, "year", "2031 is not in the schema's domain: 2007, 2008, 2009"),
    ({"body_mass_g": 99000}, "body_mass_g", "99000 is above the schema's maximum 6050"),
]


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"bill_depth_mm": "15.0"}, "bill_depth_mm", "expected a number (float), got a string"),
        (
            {"flipper_length_mm": True},
            "flipper_length_mm",
            "expected a number (integer), got a boolean",
        ),
        ({"body_mass_g": 5200.5}, "body_mass_g", "expected an integer, got 5200.5"),
        ({"sex": 1}, "sex", "expected a string, got a number"),
        ({"bill_length_mm": [45.0]}, "bill_length_mm", "expected a number (float), got a list"),
        ({"colour": "blue"}, "colour", "unknown field: the schema does not describe it"),
    ],
)
def test_a_value_the_model_cannot_take_is_a_400_naming_record_field_and_reason(
    client, changes, field, error
):
    resp = client.post("/predict", json=[penguin_record(), penguin_record(**changes)])
    assert errors_of(resp) == [{"record": 1, "field": field, "error": error}]


@pytest.mark.parametrize(("changes", "field", "warning"), OUTSIDE)
def test_a_value_outside_the_schema_is_served_and_marked(client, model, changes, field, warning):
    resp = client.post("/predict", json=[penguin_record(), penguin_record(**changes)])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    kind = "out_of_range" if "imum" in warning else "unseen_value"
    assert body["warnings"] == [{"record": 1, "field": field, "warning": warning, "kind": kind}]
    expected = model.predict(frame(penguin_record(), penguin_record(**changes))).tolist()
    assert body["predictions"] == expected


@pytest.mark.parametrize(("changes", "field", "error"), OUTSIDE)
def test_strict_refuses_a_value_outside_the_schema(model, schema, changes, field, error):
    strict = create_app(
        model, schema, name="p", version="1", target=TARGET, strict=True
    ).test_client()
    resp = strict.post("/predict", json=[penguin_record(), penguin_record(**changes)])
    assert errors_of(resp) == [{"record": 1, "field": field, "error": error}]
    assert strict.get("/metadata").get_json()["strict"] is True


def test_an_unseen_category_is_refused_where_the_models_encoder_refuses_it(schema):
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier

    closed = make_pipeline(
        ColumnTransformer(
            [
                ("islands", OneHotEncoder(), ["island"]),  # handle_unknown="error"
                ("sexes", OneHotEncoder(handle_unknown="ignore"), ["sex"]),
            ],
            remainder="passthrough",
        ),
        DecisionTreeClassifier(random_state=0),
    )
    reference = pd.read_csv(REFERENCE).dropna()
    closed.fit(reference[FEATURES], reference[TARGET])
    client = create_app(closed, schema, name="p", version="1", target=TARGET).test_client()
    assert client.get("/metadata").get_json()["closed_fields"] == ["island"]
    resp = client.post("/predict", json=[penguin_record(island="Anvers")])
    assert errors_of(resp) == [
        {
            "record": 0,
            "field": "island",
            "error": "'Anvers' is not in the schema's domain: Biscoe, Dream, Torgersen; "
            "the model's encoder refuses values it has not seen",
        }
    ]
    served = client.post("/predict", json=[penguin_record(sex="unknown", year=2031)])
    assert served.status_code == 200
    assert [w["field"] for w in served.get_json()["warnings"]] == ["sex", "year"]


def test_a_missing_field_the_model_needs_is_a_400(client):
    record = penguin_record()
    del record["bill_length_mm"]
    resp = client.post("/predict", json=[record])
    assert errors_of(resp) == [
        {"record": 0, "field": "bill_length_mm", "error": "missing: the model needs this field"}
    ]


def test_a_field_the_model_does_not_use_may_be_left_out(client):
    record = penguin_record()
    del record["year"]
    assert client.post("/predict", json=[record]).status_code == 200


def test_nan_is_refused_where_the_schema_allows_none(client):
    body = json.dumps([penguin_record(bill_length_mm=math.nan)])
    assert "NaN" in body
    resp = client.post("/predict", data=body, content_type="application/json")
    assert errors_of(resp) == [
        {"record": 0, "field": "bill_length_mm", "error": "NaN, but the schema allows no NaN here"}
    ]


def test_null_is_refused_where_max_null_fraction_is_0(model, schema):
    columns = dict(schema.columns)
    columns["bill_length_mm"] = columns["bill_length_mm"].model_copy(
        update={"max_null_fraction": 0.0}
    )
    strict = schema.model_copy(update={"columns": columns})
    client = create_app(model, strict, name="p", version="1", target=TARGET).test_client()
    resp = client.post("/predict", json=[penguin_record(bill_length_mm=None)])
    assert errors_of(resp) == [
        {
            "record": 0,
            "field": "bill_length_mm",
            "error": "null, but the schema allows no nulls here (max_null_fraction is 0)",
        }
    ]


def test_every_bad_field_of_every_record_is_listed(client):
    record = penguin_record(island=7, sex=3)
    del record["body_mass_g"]
    resp = client.post("/predict", json=[penguin_record(), record, 7])
    assert errors_of(resp) == [
        {"record": 1, "field": "island", "error": "expected a string, got a number"},
        {"record": 1, "field": "sex", "error": "expected a string, got a number"},
        {"record": 1, "field": "body_mass_g", "error": "missing: the model needs this field"},
        {"record": 2, "field": None, "error": "expected an object, got a number"},
    ]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", 'the body is empty; send JSON: [{...}, ...] or {"records": [...]}'),
        (
            b"{oops",
            "the body is not valid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        (b"[]", "no records: send at least one"),
        (b'{"records": []}', "no records: send at least one"),
        (
            b'{"island": "Biscoe"}',
            'expected a list of records or {"records": [...]}, got an object',
        ),
        (b'"Biscoe"', 'expected a list of records or {"records": [...]}, got a string'),
        (b'{"records": [], "limit": 3}', 'unknown key(s) limit; send {"records": [...]}'),
        (b"[" * 100_000 + b"]" * 100_000, "the body is nested too deeply to be records"),
        (
            json.dumps([penguin_record()] * 11).encode(),
            "too many records: 11; this server takes at most 10 per request, send smaller batches",
        ),
    ],
)
def test_a_bad_body_is_a_400_with_one_body_level_error(client, body, error):
    resp = client.post("/predict", data=body, content_type="application/json")
    assert errors_of(resp) == [{"record": None, "field": None, "error": error}]


class CountingModel:
    """The real pipeline, counting how often it is asked to predict."""

    def __init__(self, model):
        self.model = model
        self.calls = 0
        self.feature_names_in_ = model.feature_names_in_
        self.classes_ = model.classes_

    def predict(self, x):
        self.calls += 1
        return self.model.predict(x)

    def predict_proba(self, x):
        self.calls += 1
        return self.model.predict_proba(x)


def test_malformed_input_never_reaches_the_model(model, schema):
    counting = CountingModel(model)
    client = create_app(counting, schema, name="p", version="1", target=TARGET).test_client()
    missing = penguin_record()
    del missing["sex"]
    bad = [
        b"not json",
        b"",
        b"[]",
        b"{}",
        b"[null]",
        json.dumps([missing]).encode(),
        json.dumps([penguin_record(island=None, sex=[])]).encode(),
        json.dumps([penguin_record(body_mass_g="heavy")]).encode(),
        json.dumps([penguin_record(flipper_length_mm=10.5)]).encode(),
        json.dumps([penguin_record(bill_depth_mm=math.inf)]).encode(),
        json.dumps([penguin_record(), penguin_record(sex=1)]).encode(),
        json.dumps({"records": [penguin_record(extra=1)]}).encode(),
    ]
    for body in bad:
        resp = client.post("/predict", data=body, content_type="application/json")
        assert resp.status_code == 400, body
    assert counting.calls == 0
    assert client.post("/predict", json=[penguin_record()]).status_code == 200
    assert counting.calls == 2  # predict and predict_proba


class BrokenModel:
    feature_names_in_ = pd.Index(FEATURES)

    def predict(self, x):
        raise RuntimeError("weights went missing")


def test_a_model_exception_is_a_logged_500_with_a_json_body(schema, caplog):
    client = create_app(BrokenModel(), schema, name="p", version="1", target=TARGET).test_client()
    resp = client.post("/predict", json=[penguin_record()])
    assert resp.status_code == 500
    assert resp.get_json() == {
        "error": "the model raised RuntimeError while predicting; the server log has the traceback"
    }
    failures = [r for r in caplog.records if "the model failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert "weights went missing" in caplog.text


def test_unknown_routes_methods_and_huge_bodies_get_json_errors(model, schema):
    app = create_app(model, schema, name="p", version="1", target=TARGET)
    app.config["MAX_CONTENT_LENGTH"] = 100
    client = app.test_client()
    assert client.get("/nope").status_code == 404
    assert client.get("/nope").get_json()["error"]
    assert client.get("/predict").status_code == 405
    resp = client.post("/predict", json=[penguin_record()] * 5)
    assert resp.status_code == 413 and resp.get_json()["error"]


def test_the_app_refuses_a_target_or_a_model_the_schema_does_not_describe(model, schema):
    with pytest.raises(InputError, match="target column 'label' is not in the schema"):
        create_app(model, schema, name="p", version="1", target="label")
    columns = {k: v for k, v in schema.columns.items() if k != "sex"}
    narrow = schema.model_copy(update={"columns": columns})
    with pytest.raises(
        InputError, match=r"the model needs column\(s\) the schema does not describe: sex"
    ):
        create_app(model, narrow, name="p", version="1", target=TARGET)


# -- the request log and training/serving skew ------------------------------------------


def test_each_predicted_record_is_logged_as_one_json_line(model, schema, tmp_path):
    log = tmp_path / "serving-log.jsonl"
    client = create_app(
        model, schema, name="p", version="1", target=TARGET, log_path=log
    ).test_client()
    first = client.post("/predict", json=[penguin_record(), penguin_record(sex=None)]).get_json()
    client.post("/predict", json=[penguin_record(island=7)])  # refused: not logged
    outside = client.post("/predict", json=[penguin_record(body_mass_g=9000)]).get_json()
    second = client.post("/predict", json={"records": [penguin_record(year=2007)]}).get_json()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines == [
        {**penguin_record(), TARGET: first["predictions"][0]},
        {**penguin_record(sex=None), TARGET: first["predictions"][1]},
        # served outside the schema's range: logged with its value, for the skew check,
        # and marked with what was outside
        {
            **penguin_record(body_mass_g=9000),
            TARGET: outside["predictions"][0],
            LOG_NOTES_KEY: [f"body_mass_g: {outside['warnings'][0]['warning']}"],
        },
        {**penguin_record(year=2007), TARGET: second["predictions"][0]},
    ]


def test_the_log_takes_lines_from_many_processes_without_mixing_them(tmp_path):
    log = tmp_path / "log.jsonl"
    script = (
        "import sys; from pathlib import Path; from mlgate.serving.app import RequestLog\n"
        "log = RequestLog(Path(sys.argv[1])); k = sys.argv[2]\n"
        "for i in range(200):\n"
        "    log.write([{'writer': k, 'i': i, 'pad': 'x' * 5000}] * 3, [i] * 3, 'prediction')\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(log), str(k)]) for k in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 4 * 200 * 3
    for k in range(4):
        mine = [line["i"] for line in lines if line["writer"] == str(k)]
        assert mine == [i for i in range(200) for _ in range(3)]


def test_the_log_after_a_fork_opens_the_file_anew(tmp_path):
    log = RequestLog(tmp_path / "log.jsonl")
    log.write([{"a": 1}], [0], "prediction")
    fd = log._fd
    log._pid = -1  # as in a forked worker
    log.write([{"a": 2}], [1], "prediction")
    assert log._fd != fd
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 2


def test_serving_logs_feed_the_skew_check_end_to_end(model, schema, tmp_path):
    log = tmp_path / "serving-log.jsonl"
    client = create_app(
        model, schema, name="p", version="1", target=TARGET, log_path=log
    ).test_client()
    held_out = pd.read_csv(HELD_OUT).drop(columns=[TARGET])
    rows = [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in held_out.to_dict(orient="records")
    ]
    served = 0
    for row in rows:  # one by one, as traffic comes; some are refused, one fails
        served += client.post("/predict", json=[row]).status_code == 200
    assert served == len(log.read_text().splitlines()) > 100

    report = mlgate.check_data(REFERENCE, log, schema=SCHEMA, target=TARGET, mode="skew")
    names = {f.name for f in report.findings}
    assert report.title == "mlgate training/serving skew check"
    assert {"skew.numeric", "skew.categorical", "skew.target"} <= names
    assert not any(n.startswith("drift.") for n in names)
    assert "schema.missing_column" not in names  # the prediction is logged as the target
    # Rows served outside the schema are marked in the log, and the mark is no feature.
    assert any(LOG_NOTES_KEY in json.loads(line) for line in log.read_text().splitlines())
    assert all(f.column != LOG_NOTES_KEY for f in report.findings)
    validated = mlgate.validate(log, SCHEMA)
    assert all(f.column != LOG_NOTES_KEY for f in validated.findings)


# -- the app factory gunicorn calls -----------------------------------------------------


def test_settings_travel_to_the_workers_through_the_environment(tmp_path):
    settings = ServeSettings(
        model=tmp_path / "m.skops",
        schema=tmp_path / "s.yaml",
        target=TARGET,
        log_requests=tmp_path / "log.jsonl",
        trust_pickle=True,
        name="penguins",
        version="7",
        max_records=50,
    )
    back = ServeSettings.from_env(settings.to_env())
    assert back == settings


def test_the_wsgi_factory_builds_the_app_from_the_environment(model, tmp_path, monkeypatch):
    from mlgate.serving import wsgi

    path = save_model(model, tmp_path / "penguins.skops")
    for key, value in ServeSettings(model=path, schema=SCHEMA, target=TARGET).to_env().items():
        monkeypatch.setenv(key, value)
    meta = wsgi.app().test_client().get("/metadata").get_json()
    assert meta["name"] == "penguins" and len(meta["version"]) == 12


def test_the_wsgi_factory_stops_with_one_line_when_settings_are_missing(monkeypatch, capsys):
    from mlgate.serving import wsgi

    monkeypatch.delenv("MLGATE_SERVE_MODEL", raising=False)
    monkeypatch.setenv("MLGATE_SERVE_SCHEMA", str(SCHEMA))
    with pytest.raises(SystemExit) as exit_info:
        wsgi.app()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        "mlgate: error: MLGATE_SERVE_MODEL not set: the serving app needs the model file and "
        "the schema; start it with 'mlgate serve --model ... --schema ...'\n"
    )


# -- artifacts --------------------------------------------------------------------------


def test_a_saved_pipeline_loads_back_and_predicts_the_same(model, tmp_path):
    path = save_model(model, tmp_path / "penguins.skops")
    loaded = load_model(path)
    x = frame(penguin_record(), penguin_record(sex=math.nan, island="Torgersen"))
    assert loaded.predict(x).tolist() == model.predict(x).tolist()
    assert loaded.predict_proba(x).tolist() == model.predict_proba(x).tolist()


class Doubler(TransformerMixin, BaseEstimator):
    def fit(self, x, y=None):
        return self

    def transform(self, x):
        return x * 2


def test_a_skops_file_with_types_from_elsewhere_is_refused_naming_them(tmp_path):
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    custom = make_pipeline(Doubler(), LogisticRegression()).fit(x, [0, 0, 1, 1])
    with pytest.raises(InputError, match=f"types that are not from .*{__name__}.Doubler"):
        save_model(custom, tmp_path / "custom.skops")  # refused before it is shipped
    import skops.io

    path = tmp_path / "custom.skops"  # written some other way: refused at load too
    path.write_bytes(skops.io.dumps(custom))
    with pytest.raises(InputError) as err:
        load_model(path)
    assert str(err.value) == (
        f"{path}: refusing to load types that are not from scikit-learn, NumPy or SciPy: "
        f"{__name__}.Doubler; build the model from those libraries only, or save it as a "
        "pickle and load it with --trust-pickle if you trust the file"
    )


def test_a_pickle_is_refused_unless_trusted(model, tmp_path):
    path = tmp_path / "penguins.pkl"
    path.write_bytes(pickle.dumps(model))
    with pytest.raises(InputError, match="refusing to load a pickle, because loading one runs"):
        load_model(path)
    loaded = load_model(path, trust_pickle=True)
    x = frame(penguin_record())
    assert loaded.predict(x).tolist() == model.predict(x).tolist()


def test_a_joblib_file_is_a_pickle_too(model, tmp_path):
    import joblib

    path = tmp_path / "penguins.joblib"
    joblib.dump(model, path)
    with pytest.raises(InputError, match="--trust-pickle if you trust where this file came from"):
        load_model(path)
    assert load_model(path, trust_pickle=True).classes_.tolist() == [
        "Adelie",
        "Chinstrap",
        "Gentoo",
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("model.onnx", b"x", "unknown model format '.onnx'; expected a .skops file"),
        ("model.skops", b"not a zip file", "not a readable skops file"),
        ("absent.skops", None, "does not exist; give the path of a saved .skops model"),
    ],
)
def test_a_model_file_that_cannot_be_used_is_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_model(path)


def test_save_model_writes_skops_files_only(model, tmp_path):
    with pytest.raises(InputError, match=r"name it with the \.skops extension"):
        save_model(model, tmp_path / "penguins.pkl")
    assert not list(tmp_path.iterdir())


def test_importing_the_serving_package_is_cheap():
    code = (
        "import sys, mlgate.serving, mlgate._cli.serving; "
        "print([m for m in ('flask', 'sklearn', 'skops', 'pandas', 'polars') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
