"""Predictions mlgate must not score as if they were fine: probabilities that are not
probabilities, labels of another type, metrics that cannot be computed, too few rows,
and columns that make odd slices. Each is one clear line and exit 2, or an honest
verdict."""

import json

import numpy as np
import polars as pl
import pytest

from tests.conftest import run_main


def run(capsys, *args):
    return run_main(capsys, args)


@pytest.fixture
def case(tmp_path):
    """Binary evaluation rows and a writer of predictions files for them."""
    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n)
    score = np.clip(y * 0.6 + rng.normal(0.2, 0.25, n), 0.01, 0.99)
    pl.DataFrame(
        {
            "x": rng.normal(size=n),
            "day": pl.date_range(
                pl.date(2026, 1, 1), pl.date(2026, 1, 1) + pl.duration(days=n - 1), eager=True
            ),
            "user": [f"u{i}" for i in range(n)],
            "y": y,
        }
    ).write_parquet(tmp_path / "eval.parquet")

    def predictions(name, labels=None, **proba):
        labels = (score > 0.5).astype(int) if labels is None else labels
        cols = {"row_id": np.arange(n), "prediction": labels}
        cols |= {f"proba_{k}": v for k, v in proba.items()}
        path = tmp_path / f"{name}.csv"
        pl.DataFrame(cols).write_csv(path)
        return path

    good = predictions("good", **{"0": 1 - score, "1": score})
    return tmp_path / "eval.parquet", predictions, good, score


def _check(capsys, data, cand, base=None, *extra):
    args = ["check", "model", "--predictions", cand, "--data", data, "--target", "y"]
    return run(capsys, *args, *(["--baseline", base] if base else []), *extra)


@pytest.mark.parametrize(
    "proba,expected",
    [
        (lambda s: {"0": 1 - s, "1": s * 1.5}, "has a probability outside [0, 1]"),
        (lambda s: {"0": (1 - s) / 2, "1": s / 2}, "sum to 0.5, not 1"),
        (lambda s: {"0": 1 - s}, "sum to"),
        (lambda s: {"0": 1 - s, "One": s}, "no probability column for it"),
    ],
)
def test_probabilities_that_are_not_probabilities_are_refused(capsys, case, proba, expected):
    data, predictions, good, score = case
    bad = predictions("bad", **proba(score))
    code, _, err = _check(capsys, data, bad, good)
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1


def test_labels_of_another_type_are_a_mismatch_and_some_unseen_labels_a_warning(capsys, case):
    data, predictions, good, score = case
    text = predictions("text", labels=np.where(score > 0.5, "one", "zero"))
    code, _, err = _check(capsys, data, text, good)
    assert code == 2 and "of which none is a value of 'y'" in err
    some = predictions("some", labels=np.where(np.arange(400) < 6, 7, (score > 0.5).astype(int)))
    code, out, _ = _check(capsys, data, some, good, "--format", "json")
    warn = next(c for c in json.loads(out)["checks"] if c["name"] == "model.invalid_predictions")
    assert warn["status"] == "warn" and "6 of 400 rows" in warn["message"]


def test_a_metric_asked_to_decide_must_be_computable_and_of_the_task(capsys, case):
    data, predictions, _, score = case
    labels_only = predictions("labels", labels=(score > 0.5).astype(int))
    code, _, err = _check(capsys, data, labels_only, labels_only, "--primary", "roc_auc")
    assert code == 2 and "model primary: roc_auc needs class probabilities" in err
    code, _, err = _check(capsys, data, labels_only, labels_only, "--floor", "rmse=3")
    assert code == 2 and "model floors: rmse is a regression metric" in err


def test_two_rows_are_inconclusive_not_a_confident_failure(capsys, case, tmp_path):
    data, predictions, good, score = case
    pl.read_parquet(data).head(2).write_parquet(tmp_path / "two.parquet")
    flipped = predictions("flipped", labels=1 - (score > 0.5).astype(int))
    code, out, _ = _check(capsys, tmp_path / "two.parquet", flipped, good, "--format", "json")
    report = json.loads(out)
    statuses = {
        c["details"].get("metric"): c["details"].get("verdict")
        for c in report["checks"]
        if c["name"] == "model.worse_than_baseline"
    }
    assert statuses["balanced_accuracy"] == "inconclusive"
    assert code == 0  # a warning: two rows cannot fail a pull request


def test_dates_and_identifiers_as_slices(capsys, case):
    data, _, good, _ = case
    code, out, _ = _check(
        capsys, data, good, good, "--slice", "day", "--slice", "user", "--format", "json"
    )
    assert code == 0
    checks = json.loads(out)["checks"]
    days = [c for c in checks if c["column"] == "day" and c["details"].get("slice")]
    assert days and days[0]["details"]["slice"]["low"].startswith("2026-01-01")
    many = next(c for c in checks if c["column"] == "user" and "left_out" in c["details"])
    assert many["status"] == "skip" and many["details"]["left_out"] == 350


def test_an_interval_never_reaches_past_what_the_metric_can_be(capsys, case):
    data, predictions, good, score = case
    worse = predictions("worse", **{"0": 1 - score**0.2, "1": score**0.2})
    _code, out, _ = _check(capsys, data, good, worse, "--format", "json")
    for c in json.loads(out)["checks"]:
        d = c["details"]
        if c["name"] == "model.worse_than_baseline" and d.get("metric") == "log_loss":
            assert d["ci_low"] >= -d["baseline"]  # log loss cannot fall below 0
