"""The stages attach what the HTML report draws, and `mlgate run` merges it."""

import textwrap

import numpy as np
import polars as pl
import pytest

from mlgate.data.gate import check_data
from mlgate.reports.evidence import DataEvidence, LossSeries, TrainingEvidence


def frames():
    rng = np.random.default_rng(0)
    ref = pl.DataFrame({"x": rng.normal(0, 1, 300), "y": rng.integers(0, 2, 300)})
    cur = pl.DataFrame({"x": rng.normal(1, 1, 200), "y": rng.integers(0, 2, 200)})
    return ref, cur


def test_the_data_gate_attaches_both_profiles():
    ref, cur = frames()
    report = check_data(ref, cur, mode="skew")
    evidence = report.evidence["data"]
    assert isinstance(evidence, DataEvidence) and evidence.mode == "skew"
    assert evidence.reference.rows == 300 and evidence.current.rows == 200
    assert evidence.current.column("x").quantiles.n == 200


def test_a_loss_series_knows_where_it_stopped_being_finite():
    assert LossSeries.of("run", "loss", "step", [3, 2, np.inf, np.nan]).first_non_finite == 3
    assert LossSeries.of("run", "loss", "step", np.arange(3.0)).first_non_finite is None


def test_pytorch_training_attaches_the_main_and_one_batch_losses():
    torch = pytest.importorskip("torch")
    from mlgate.training.gate import check_training

    torch.manual_seed(0)
    X = torch.randn(64, 3)
    y = (X[:, 0] > 0).long()
    model = torch.nn.Linear(3, 2)
    spec = {
        "model": model,
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.5),
        "loss_fn": torch.nn.CrossEntropyLoss(),
        "batches": [(X[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)],
    }
    from mlgate.training.spec import Budget

    report = check_training(spec, budget=Budget(steps=20, overfit_steps=30))
    # Keyed by the stage its findings carry (a spec object: its model's class).
    assert list(report.evidence) == ["training:Linear"]
    evidence = report.evidence["training:Linear"]
    assert isinstance(evidence, TrainingEvidence) and evidence.framework == "PyTorch"
    main, overfit = evidence.curves
    assert (main.label, main.unit, len(main.values)) == ("training run", "step", 20)
    assert overfit.label == "one-batch run" and 0 < len(overfit.values) <= 30
    assert main.values[-1] < main.values[0]


def test_scikit_learn_training_attaches_the_curve_it_judged():
    pytest.importorskip("sklearn")
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from mlgate.training.gate import check_training

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + rng.normal(0, 0.5, 200) > 0).astype(int)
    spec = {"estimator": GradientBoostingClassifier(n_estimators=20), "X": X, "y": y}
    (evidence,) = check_training(spec).evidence.values()
    (curve,) = evidence.curves
    assert evidence.framework == "scikit-learn" and len(curve.values) == 20
    assert (curve.label, curve.metric, curve.unit) == (
        "staged_predict_proba",
        "log loss",
        "boosting stage",
    )
    # An estimator without iterations has no curve, and says so with an empty tuple.
    spec = {"estimator": LogisticRegression(), "X": X, "y": y}
    assert check_training(spec).evidence["training:LogisticRegression"].curves == ()


def test_run_merges_every_stage_evidence(tmp_path):
    pytest.importorskip("sklearn")
    from mlgate.gate import run_gate

    ref, cur = frames()
    ref.write_csv(tmp_path / "ref.csv")
    cur.write_csv(tmp_path / "cur.csv")
    (tmp_path / "train_gb.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            from sklearn.ensemble import GradientBoostingClassifier

            def training_spec():
                rng = np.random.default_rng(0)
                X = rng.normal(size=(120, 2))
                return {"estimator": GradientBoostingClassifier(n_estimators=10),
                        "X": X, "y": (X[:, 0] > 0).astype(int)}
            """
        )
    )
    (tmp_path / "mlgate.yaml").write_text(
        "data:\n  reference: ref.csv\n  current: cur.csv\n"
        "training:\n  - entrypoint: train_gb.py:training_spec\n"
    )
    report = run_gate(tmp_path / "mlgate.yaml")
    assert set(report.evidence) == {"data", "training:train_gb.py:training_spec"}
    assert isinstance(report.evidence["data"], DataEvidence)
    assert len(report.evidence["training:train_gb.py:training_spec"].curves[0].values) == 10
