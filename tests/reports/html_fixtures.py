"""Hand-made inputs for the HTML report's tests: model comparisons shaped as the model
gate writes them, a run header, and data profiles of real frames."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from mlgate.findings import Finding, Status


def comparison(
    metric: str,
    candidate: float,
    baseline: float,
    ci: tuple[float, float],
    *,
    higher_is_better: bool = True,
    margin: float = 0.01,
    verdict: str = "not_worse",
    slice_: dict[str, Any] | None = None,
    rows: int = 1000,
    p_adjusted: float = 0.5,
) -> dict[str, Any]:
    """The details of one model comparison, exactly as the model gate shapes them."""
    return {
        "metric": metric,
        "higher_is_better": higher_is_better,
        "candidate": candidate,
        "baseline": baseline,
        "difference": round(candidate - baseline, 6),
        "ci_low": ci[0],
        "ci_high": ci[1],
        "confidence": 0.95,
        "margin": margin,
        "method": "paired bootstrap",
        "p_value": p_adjusted / 5,
        "p_adjusted": p_adjusted,
        "verdict": verdict,
        "rows": rows,
        "gate": True,
        "slice": slice_,
    }


_STATUS_OF = {"worse": Status.FAIL, "inconclusive": Status.WARN, "not_worse": Status.PASS}


def model_findings(n_slices: int = 0) -> list[Finding]:
    """Three overall comparisons (one worse, one inconclusive, one fine), slices of
    island (categorical) and bill_length_mm (ranges), a floor and a simpler model."""
    overall = [
        comparison(
            "balanced_accuracy", 0.912, 0.934, (-0.035, -0.009), verdict="worse", p_adjusted=0.002
        ),
        comparison("log_loss", 0.231, 0.229, (-0.006, 0.011), higher_is_better=False, margin=0.02),
        comparison(
            "roc_auc", 0.951, 0.957, (-0.019, 0.004), verdict="inconclusive", p_adjusted=0.21
        ),
    ]
    out = []
    for d in overall:
        word = {
            "worse": "worse than",
            "inconclusive": "maybe worse than",
            "not_worse": "not worse than",
        }[d["verdict"]]
        out.append(
            Finding(
                "model.worse_than_baseline",
                _STATUS_OF[d["verdict"]],
                f"{d['metric']} {d['candidate']:.3f} is {word} the baseline's {d['baseline']:.3f} "
                f"(difference {d['difference']:+.3f}, 95% CI {d['ci_low']:+.3f} to "
                f"{d['ci_high']:+.3f}, margin {d['margin']})",
                details=d,
                stage="model",
            )
        )
    slices = [
        ({"column": "island", "value": "Biscoe"}, 0.87, 0.93, (-0.09, -0.03), "worse", 160),
        ({"column": "island", "value": "Dream"}, 0.95, 0.94, (-0.01, 0.03), "not_worse", 120),
        ({"column": "island", "value": "Torgersen"}, 0.96, 0.96, (-0.03, 0.03), "inconclusive", 50),
        (
            {"column": "bill_length_mm", "low": 32.1, "high": 40.5},
            0.97,
            0.965,
            (-0.01, 0.02),
            "not_worse",
            110,
        ),
        (
            {"column": "bill_length_mm", "low": 40.5, "high": 59.6},
            0.90,
            0.93,
            (-0.05, -0.012),
            "worse",
            220,
        ),
    ]
    rng = np.random.default_rng(0)
    for i in range(n_slices):
        diff = float(rng.normal(0, 0.01))
        slices.append(
            (
                {"column": f"feature_{i % 40}", "value": f"v{i}"},
                0.9 + diff,
                0.9,
                (diff - 0.02, diff + 0.02),
                "not_worse",
                100 + i,
            )
        )
    for s, cand, base, ci, verdict, rows in slices:
        d = comparison("balanced_accuracy", cand, base, ci, verdict=verdict, slice_=s, rows=rows)
        out.append(
            Finding(
                "model.slice_worse_than_baseline",
                _STATUS_OF[verdict],
                f"balanced_accuracy on the slice {s}: {cand:.3f} against {base:.3f} ({verdict})",
                column=s["column"],
                details=d,
                stage="model",
            )
        )
    out.append(
        Finding(
            "model.metric_floor",
            Status.PASS,
            "balanced_accuracy 0.912 is above its floor 0.85",
            details={"metric": "balanced_accuracy", "candidate": 0.912, "floor": 0.85},
            stage="model",
        )
    )
    return out


RUN = {
    "mlgate": "0.1.0",
    "started": "2026-11-30T18:00:00+00:00",
    "duration_s": 12.4,
    "git": {"commit": "474ae3d0c1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6", "branch": "fix-scale"},
    "inputs": [
        {
            "role": "reference",
            "path": "data/reference.csv",
            "format": "csv",
            "rows": 206,
            "columns": 8,
            "digest": "sha256:9f2c4e1b7a03d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0",
        },
        {
            "role": "current",
            "path": "data/current.csv",
            "format": "csv",
            "rows": 138,
            "columns": 8,
            "digest": "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
        },
    ],
}


def wide_frames(
    n_columns: int = 500, rows: int = 5000, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A reference and a current frame of ``n_columns`` columns: 70% continuous, 20%
    strings, 10% integer codes; two columns in 50 drift."""
    rng = np.random.default_rng(seed)
    ref: dict[str, Any] = {}
    cur: dict[str, Any] = {}
    words = np.array(["alpha", "beta", "gamma", "delta", "epsilon"])
    for i in range(n_columns):
        name = f"col_{i:03d}"
        kind = i % 10
        drifts = i % 50 in (3, 27)  # one continuous and one string column in 50
        if kind < 7:
            ref[name] = rng.normal(0.0, 1.0, rows)
            cur[name] = rng.normal(1.0 if drifts else 0.0, 1.0, rows)
        elif kind < 9:
            ref[name] = words[rng.integers(0, 5, rows)]
            p = [0.6, 0.1, 0.1, 0.1, 0.1] if drifts else None
            cur[name] = words[rng.choice(5, rows, p=p)]
        else:
            ref[name] = rng.integers(0, 8, rows)
            cur[name] = rng.integers(0, 8, rows)
    return pl.DataFrame(ref), pl.DataFrame(cur)
