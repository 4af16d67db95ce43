"""`mlgate check model` and `mlgate baseline save` from the command line: exit codes, the
baseline cache (reused, never trusted when corrupt), baseline folders, predictions
files, and bad input as one line with exit 2."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest
from sklearn.ensemble import RandomForestClassifier

import mlgate.evaluation.check as check_module
from mlgate.evaluation.baseline import META, PREDICTIONS
from tests.conftest import run_main
from tests.evaluation.conftest import noisy_labels


def run(capsys, *args):
    return run_main(capsys, args)


def _forest(seed=0):
    return RandomForestClassifier(n_estimators=60, random_state=seed, n_jobs=1)


@pytest.fixture
def models(digits, fitted):
    return {
        "main": fitted("cli-rf0", digits, _forest(0)),
        "reseeded": fitted("cli-rf1", digits, _forest(1)),
        "noisy": fitted("cli-noisy", digits, _forest(1), y=noisy_labels(digits.y_train, 0.3, 10)),
    }


def _args(digits, model, *more):
    return (
        "check",
        "model",
        "--model",
        model,
        "--data",
        digits.eval_path,
        "--target",
        "target",
        *more,
    )


@pytest.fixture
def calls(monkeypatch):
    """How many times a model file was loaded to predict."""
    seen = []
    real = check_module.predict_with_model_file

    def counting(path, data, **kw):
        seen.append(Path(path).name)
        return real(path, data, **kw)

    monkeypatch.setattr(check_module, "predict_with_model_file", counting)
    return seen


def test_exit_1_for_a_worse_model_and_0_for_a_reseeded_one(capsys, digits, models, tmp_path):
    cache = tmp_path / "cache"
    code, out, _ = run(
        capsys,
        *_args(
            digits,
            models["noisy"],
            "--baseline",
            models["main"],
            "--cache-dir",
            cache,
            "--format",
            "json",
        ),
    )
    assert code == 1
    report = json.loads(out)
    worse = [c for c in report["checks"] if c["status"] == "fail"]
    assert worse[0]["name"] == "model.worse_than_baseline" and worse[0]["stage"] == "model"
    code, out, _ = run(
        capsys,
        *_args(digits, models["reseeded"], "--baseline", models["main"], "--cache-dir", cache),
    )
    assert code == 0 and "mlgate model check: passed" in out


def test_the_baseline_is_cached_and_reused_without_predicting_again(
    capsys, digits, models, tmp_path, calls
):
    cache = tmp_path / "cache"
    args = _args(
        digits,
        models["reseeded"],
        "--baseline",
        models["main"],
        "--cache-dir",
        cache,
        "--format",
        "json",
    )
    code, out, _ = run(capsys, *args)
    assert code == 0 and calls == ["cli-rf1.skops", "cli-rf0.skops"]
    [entry] = list(cache.iterdir())
    assert (entry / PREDICTIONS).is_file() and (entry / META).is_file()
    first = json.loads(out)
    code, out, _ = run(capsys, *args)
    assert code == 0 and calls == ["cli-rf1.skops", "cli-rf0.skops", "cli-rf1.skops"]
    second = json.loads(out)
    note = next(c for c in second["checks"] if c["name"] == "model.worse_than_baseline")
    assert note["details"]["baseline_source"].startswith("cached in")
    # The same verdict and numbers, from the cache as from the model.
    assert _numbers(first) == _numbers(second)


def _numbers(report):
    return [
        {k: v for k, v in c["details"].items() if k != "baseline_source"} for c in report["checks"]
    ]


def test_a_corrupt_cache_entry_is_recomputed_never_trusted(capsys, digits, models, tmp_path, calls):
    cache = tmp_path / "cache"
    args = _args(
        digits,
        models["reseeded"],
        "--baseline",
        models["main"],
        "--cache-dir",
        cache,
        "--format",
        "json",
    )
    run(capsys, *args)
    [entry] = list(cache.iterdir())
    # Another model's predictions slipped into the entry: same shape, other content.
    tampered = pl.read_parquet(entry / PREDICTIONS).with_columns(pl.lit(0).alias("prediction"))
    tampered.write_parquet(entry / PREDICTIONS)
    calls.clear()
    code, out, _ = run(capsys, *args)
    assert calls == ["cli-rf1.skops", "cli-rf0.skops"]  # main's model predicted again
    note = next(c for c in json.loads(out)["checks"] if c["name"] == "model.worse_than_baseline")
    assert "recomputed" in note["details"]["baseline_source"]
    assert code == 0  # a tampered entry of all-zero predictions would have "improved" on main
    (entry / META).write_text("{not json")
    calls.clear()
    run(capsys, *args)
    assert calls == ["cli-rf1.skops", "cli-rf0.skops"]


def test_baseline_folder_saved_on_main_is_used_and_rescored_on_new_rows(
    capsys, digits, models, tmp_path
):
    folder = tmp_path / "baseline"
    code, _, err = run(
        capsys,
        "baseline",
        "save",
        folder,
        "--model",
        models["main"],
        "--data",
        digits.eval_path,
        "--target",
        "target",
    )
    assert code == 0 and "saved the baseline" in err
    meta = json.loads((folder / META).read_text())
    assert meta["rows"] == 899 and meta["model_file"] == "model.skops"
    code, out, _ = run(capsys, *_args(digits, models["noisy"], "--baseline", folder))
    assert code == 1
    # The pull request changed the evaluation rows: main's saved model re-scores them.
    fewer = tmp_path / "eval-changed.parquet"
    pl.read_parquet(digits.eval_path).head(600).write_parquet(fewer)
    code, out, _ = run(
        capsys,
        "check",
        "model",
        "--model",
        models["reseeded"],
        "--data",
        fewer,
        "--target",
        "target",
        "--baseline",
        folder,
        "--format",
        "json",
    )
    note = next(c for c in json.loads(out)["checks"] if c["name"] == "model.worse_than_baseline")
    assert code == 0 and note["details"]["rows"] == 600
    assert note["details"]["baseline_source"].startswith("re-scored")


def test_predictions_files_for_both_sides(capsys, digits, models, tmp_path):
    from mlgate.serving import load_model

    frame = pl.read_parquet(digits.eval_path)
    X = frame.drop("target").to_pandas()
    for name in ("main", "noisy"):
        model = load_model(models[name])
        proba = model.predict_proba(X)
        columns = {"row_id": list(range(frame.height)), "prediction": model.predict(X)}
        columns |= {f"proba_{c}": proba[:, j] for j, c in enumerate(model.classes_)}
        pl.DataFrame(columns).sample(fraction=1.0, shuffle=True, seed=1).write_csv(
            tmp_path / f"{name}.csv"
        )
    code, out, _ = run(
        capsys,
        "check",
        "model",
        "--predictions",
        tmp_path / "noisy.csv",
        "--data",
        digits.eval_path,
        "--target",
        "target",
        "--baseline",
        tmp_path / "main.csv",
    )
    assert code == 1 and "model.worse_than_baseline" in out


@pytest.mark.parametrize(
    "extra,expected",
    [
        (("--target", "nope"), "has no target column 'nope'"),
        (("--baseline", "missing.skops"), "missing.skops does not exist"),
        (("--margin", "rmse"), "expected METRIC=NUMBER"),
        (("--margin", "accurcy=0.1"), "unknown metric 'accurcy'"),
        (("--primary", "rmse"), "rmse is a regression metric"),
        (("--slice", "nope"), "slice column 'nope' is not in the evaluation data"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, digits, models, extra, expected):
    code, _out, err = run(capsys, *_args(digits, models["main"]), *extra)
    assert code == 2, err
    assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_model_files_are_refused_with_exit_2(capsys, digits, models, tmp_path):
    pickle = tmp_path / "model.pkl"
    pickle.write_bytes(b"\x80\x04N.")
    code, _, err = run(capsys, *_args(digits, pickle))
    assert code == 2 and "refusing to load a pickle" in err
    broken = tmp_path / "broken.skops"
    broken.write_bytes(Path(models["main"]).read_bytes()[:500])
    code, _, err = run(capsys, *_args(digits, broken))
    assert code == 2 and "not a readable skops file" in err
    partial = tmp_path / "partial.csv"
    pl.DataFrame({"row_id": [0, 1], "prediction": [1, 2]}).write_csv(partial)
    code, _, err = run(
        capsys,
        "check",
        "model",
        "--predictions",
        partial,
        "--data",
        digits.eval_path,
        "--target",
        "target",
    )
    assert code == 2 and "no prediction for 897 of the 899 evaluation rows" in err
    code, _, err = run(capsys, "check", "model", "--data", digits.eval_path, "--target", "target")
    assert code == 2 and "exactly one of --model" in err


def test_a_tampered_baseline_folder_is_refused(capsys, digits, models, tmp_path):
    folder = tmp_path / "baseline"
    run(
        capsys,
        "baseline",
        "save",
        folder,
        "--model",
        models["main"],
        "--data",
        digits.eval_path,
        "--target",
        "target",
    )
    pl.read_parquet(folder / PREDICTIONS).head(10).write_parquet(folder / PREDICTIONS)
    code, _, err = run(capsys, *_args(digits, models["reseeded"], "--baseline", folder))
    assert code == 2 and "digest differs" in err


def test_a_baseline_saved_with_sha256_digests_is_used_as_saved(capsys, digits, models, tmp_path):
    # Folders saved before 2026-12-01 name SHA-256 digests; file digests are BLAKE3 now.
    # Such a folder is checked with SHA-256 and its saved predictions are used (no model
    # to re-score with: a digest compared across algorithms would refuse it), and a
    # tampered one is still refused.
    from mlgate._digest import file_digest

    folder = tmp_path / "baseline"
    args = ("--data", digits.eval_path, "--target", "target", "--predictions")
    code, _, err = run(
        capsys, "baseline", "save", folder, *args, _predictions(digits, models["main"], tmp_path)
    )
    assert code == 0, err
    meta = json.loads((folder / META).read_text())
    assert meta["predictions_digest"].startswith("blake3:") and meta["model_file"] is None
    meta["predictions_digest"] = file_digest([folder / PREDICTIONS], algorithm="sha256")
    meta["data_digest"] = file_digest([digits.eval_path], algorithm="sha256")
    (folder / META).write_text(json.dumps(meta))
    code, out, _ = run(
        capsys, *_args(digits, models["reseeded"], "--baseline", folder, "--format", "json")
    )
    note = next(c for c in json.loads(out)["checks"] if c["name"] == "model.worse_than_baseline")
    assert code == 0 and "saved predictions" in note["details"]["baseline_source"]
    pl.read_parquet(folder / PREDICTIONS).head(10).write_parquet(folder / PREDICTIONS)
    code, _, err = run(capsys, *_args(digits, models["reseeded"], "--baseline", folder))
    assert code == 2 and "digest differs" in err


@pytest.mark.parametrize("field", ["predictions_digest", "data_digest"])
@pytest.mark.parametrize("damaged", [None, 123, ["blake3:00"]])
def test_a_baseline_whose_digest_is_no_text_is_refused_or_rescored(
    capsys, digits, models, tmp_path, field, damaged
):
    # A hand-edited baseline.json with a digest that is not a string: its predictions
    # cannot be vouched for (exit 2, one line), or its rows are re-scored by its model;
    # never an internal error.
    folder = tmp_path / "baseline"
    args = ("--model", models["main"], "--data", digits.eval_path, "--target", "target")
    assert run(capsys, "baseline", "save", folder, *args)[0] == 0
    meta = json.loads((folder / META).read_text())
    meta[field] = damaged
    (folder / META).write_text(json.dumps(meta))
    code, out, err = run(
        capsys, *_args(digits, models["reseeded"], "--baseline", folder, "--format", "json")
    )
    if field == "predictions_digest":
        assert code == 2 and "digest differs" in err and len(err.strip().splitlines()) == 1
    else:
        note = next(
            c for c in json.loads(out)["checks"] if c["name"] == "model.worse_than_baseline"
        )
        assert code == 0 and note["details"]["baseline_source"].startswith("re-scored")


def _predictions(digits, model_path, folder: Path) -> Path:
    """A predictions file (row id, prediction, per-class probabilities) of the model on
    the evaluation rows."""
    from mlgate.serving import load_model

    frame = pl.read_parquet(digits.eval_path)
    model = load_model(model_path)
    X = frame.drop("target").to_pandas()
    proba = model.predict_proba(X)
    columns = {"row_id": list(range(frame.height)), "prediction": model.predict(X)}
    columns |= {f"proba_{c}": proba[:, j] for j, c in enumerate(model.classes_)}
    path = folder / "main-predictions.csv"
    pl.DataFrame(columns).write_csv(path)
    return path


def test_the_report_says_what_it_judged(capsys, digits, models, tmp_path):
    from mlgate._digest import file_digest

    code, out, _ = run(
        capsys,
        *_args(
            digits,
            models["reseeded"],
            "--baseline",
            models["main"],
            "--no-cache",
            "--format",
            "json",
        ),
    )
    assert code == 0
    inputs = {i["role"]: i for i in json.loads(out)["run"]["inputs"]}
    assert inputs["evaluation data"]["rows"] == 899
    assert inputs["evaluation data"]["digest"] == file_digest([digits.eval_path])
    assert inputs["model"]["digest"] == file_digest([models["reseeded"]])
    assert inputs["baseline"]["format"] == "skops"
    _, out, _ = run(
        capsys,
        *_args(
            digits,
            models["reseeded"],
            "--baseline",
            models["main"],
            "--no-cache",
            "--format",
            "junit",
        ),
    )
    names = [c.get("name") for c in ET.fromstring(out).iter("testcase")]
    assert "model.worse_than_baseline[balanced_accuracy]" in names
    assert len(names) == len(set(names))


TORCH_SPEC = """
import numpy as np, polars as pl, torch

print("hello from the user's spec")  # must not reach stdout


def spec():
    torch.manual_seed(0)
    train = pl.read_parquet({train!r})
    X = torch.tensor(train.drop("target").to_numpy(), dtype=torch.float32) / 16
    y = torch.tensor(train["target"].to_numpy())
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(150):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(X), y).backward()
        opt.step()
    model.eval()

    def proba(frame):
        with torch.no_grad():
            x = torch.tensor(frame.to_numpy(), dtype=torch.float32) / 16
            return torch.softmax(model({scale}x), dim=1).numpy()

    return {{"model": model, "predict_proba": proba, "classes": list(range(10)),
             "predict": lambda frame: proba(frame).argmax(axis=1)}}
"""


def test_a_pytorch_model_through_an_entrypoint(capsys, digits, models, tmp_path):
    pytest.importorskip("torch")
    train = tmp_path / "train.parquet"
    pl.from_pandas(digits.X_train.assign(target=digits.y_train)).write_parquet(train)
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(TORCH_SPEC.format(train=str(train), scale=""))
    bad.write_text(TORCH_SPEC.format(train=str(train), scale="0.2 * "))  # a scaling bug
    code, out, err = run(
        capsys,
        "check",
        "model",
        "--entrypoint",
        f"{good}:spec",
        "--data",
        digits.eval_path,
        "--target",
        "target",
        "--baseline",
        models["main"],
        "--format",
        "json",
    )
    report = json.loads(out)  # the spec's print() went to stderr, not into the JSON
    assert "hello from the user's spec" in err
    auc = next(
        c
        for c in report["checks"]
        if c["name"] == "model.worse_than_baseline" and c["details"]["metric"] == "roc_auc"
    )
    assert auc["details"]["method"] == "DeLong"
    code, _, _ = run(
        capsys,
        "check",
        "model",
        "--entrypoint",
        f"{good}:spec",
        "--data",
        digits.eval_path,
        "--target",
        "target",
        "--baseline",
        f"{bad}:spec",
    )
    assert code == 0  # against a worse baseline
    code, out, _ = run(
        capsys,
        "check",
        "model",
        "--entrypoint",
        f"{bad}:spec",
        "--data",
        digits.eval_path,
        "--target",
        "target",
        "--baseline",
        f"{good}:spec",
        "--format",
        "json",
    )
    assert code == 1


def test_a_saved_baseline_folder_is_readable_like_any_new_folder(capsys, digits, models, tmp_path):
    import os

    folder = tmp_path / "baseline"
    run(
        capsys,
        "baseline",
        "save",
        folder,
        "--model",
        models["main"],
        "--data",
        digits.eval_path,
        "--target",
        "target",
    )
    mask = os.umask(0)
    os.umask(mask)
    assert folder.stat().st_mode & 0o777 == 0o777 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["baseline"]  # no temporary left behind


def test_baseline_save_never_deletes_files_that_are_not_a_baseline(
    capsys, digits, models, tmp_path
):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "NOTES.md").write_text("mine")
    code, _, err = run(
        capsys,
        "baseline",
        "save",
        folder,
        "--model",
        models["main"],
        "--data",
        digits.eval_path,
        "--target",
        "target",
    )
    assert code == 2 and "holds files and no baseline.json" in err
    assert (folder / "NOTES.md").read_text() == "mine"


def test_user_code_that_exits_is_an_error_not_a_pass(capsys, digits, tmp_path):
    spec = tmp_path / "ep.py"
    spec.write_text("import sys\n\ndef spec():\n    sys.exit(0)\n")
    out_file = tmp_path / "r.json"
    code, _out, err = run(
        capsys,
        "check",
        "model",
        "--entrypoint",
        f"{spec}:spec",
        "--data",
        digits.eval_path,
        "--target",
        "target",
        "--format",
        "json",
        "-o",
        out_file,
    )
    assert code == 2 and "called sys.exit(0)" in err and not out_file.exists()


def test_save_model_refuses_what_load_model_would_refuse(tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from mlgate.errors import InputError
    from mlgate.serving import save_model

    model = make_pipeline(FunctionTransformer(lambda x: x / 16), _forest())
    with pytest.raises(InputError, match="not from scikit-learn, NumPy or SciPy"):
        save_model(model, tmp_path / "m.skops")
    assert not (tmp_path / "m.skops").exists()
