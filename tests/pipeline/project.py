"""A small loan-default pipeline (raw CSV -> clean -> features -> train) to break.

``write_project`` writes the data, ``pipeline.py`` and ``mlgate.yaml`` into a folder.
The steps are the healthy ones; a test swaps one function's source for a broken
variant (``replace_step``) after the contracts were inferred, as a pull request would.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = ["north", "south", "east", "west", "islands"]
EMPLOYMENT = ["employed", "self_employed", "unemployed", "student"]

PIPELINE = '''\
"""Loan default: clean the raw applications, build features, train."""

import pandas as pd

EMPLOYMENT = ["employed", "self_employed", "unemployed", "student"]
REGIONS = ["north", "south", "east", "west", "islands"]


def clean(raw):
    df = raw.dropna(subset=["income"]).copy()
    df["income"] = df["income"].str.replace("$", "", regex=False).str.replace(",", "", regex=False)
    df["income"] = df["income"].astype(float)
    df["age"] = df["age"].fillna(df["age"].median())
    return df


def features(clean, regions):
    latest = regions[regions["year"] == regions["year"].max()][["region", "cost_index"]]
    df = clean.merge(latest, on="region", how="left")
    df["debt_ratio"] = df["loan_amount"] / df["income"]
    employment = pd.get_dummies(
        pd.Categorical(df["employment"], categories=EMPLOYMENT), prefix="emp", dtype=int
    )
    region = pd.get_dummies(
        pd.Categorical(df["region"], categories=REGIONS), prefix="region", dtype=int
    )
    keep = ["applicant_id", "age", "income", "loan_amount", "debt_ratio", "cost_index", "defaulted"]
    return pd.concat([df[keep], employment, region], axis=1)


def train(features):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = features.drop(columns=["applicant_id", "defaulted"])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    return model.fit(X, features["defaulted"])
'''

CONFIG = """\
pipeline:
  sources:
    raw: data/raw.csv
    regions: data/regions.csv
  sample: 600
  target: defaulted
  steps:
    - name: clean
      run: pipeline.py:clean
    - name: features
      run: pipeline.py:features
    - name: train
      run: pipeline.py:train
      returns: object
"""


def raw_table(n: int = 1500, seed: int = 7) -> pd.DataFrame:
    """Loan applications as an export writes them: income as text with "$" and
    thousands separators, some ages and incomes missing, one rare region."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10.8, 0.4, n).round(0)
    loan = rng.lognormal(9.3, 0.6, n).round(0)
    age = rng.integers(19, 75, n).astype(float)
    age[rng.random(n) < 0.05] = np.nan
    region = rng.choice(REGIONS, n, p=[0.3, 0.3, 0.2, 0.18, 0.02])
    employment = rng.choice(EMPLOYMENT, n, p=[0.6, 0.2, 0.1, 0.1])
    risk = 2.5 * loan / income + (employment == "unemployed") * 0.8 - 1.6
    defaulted = np.where(rng.random(n) < 1 / (1 + np.exp(-risk)), "yes", "no")
    text = [f"${v:,.0f}" for v in income]
    income_text = pd.Series(text, dtype=object)
    income_text[rng.random(n) < 0.03] = None
    return pd.DataFrame(
        {
            "applicant_id": np.arange(100_000, 100_000 + n),
            "age": age,
            "income": income_text,
            "loan_amount": loan,
            "region": region,
            "employment": employment,
            "defaulted": defaulted,
        }
    )


def regions_table() -> pd.DataFrame:
    """Cost of living per region and year: the join must take the latest year."""
    rows = []
    for year, scale in ((2024, 1.0), (2025, 1.04)):
        for i, region in enumerate(REGIONS):
            cost = round((0.9 + 0.05 * i) * scale, 3)
            rows.append({"region": region, "year": year, "cost_index": cost})
    return pd.DataFrame(rows)


def write_project(folder: Path, *, pipeline: str = PIPELINE, config: str = CONFIG) -> Path:
    """The project in ``folder``; returns its mlgate.yaml."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    raw_table().to_csv(folder / "data" / "raw.csv", index=False)
    regions_table().to_csv(folder / "data" / "regions.csv", index=False)
    (folder / "pipeline.py").write_text(pipeline, encoding="utf-8")
    path = folder / "mlgate.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def replace_step(folder: Path, name: str, source: str) -> None:
    """Replace the function ``name`` in pipeline.py with ``source`` (a pull request)."""
    path = folder / "pipeline.py"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"def {name}(")
    end = text.find("\ndef ", start + 1)
    end = len(text) if end == -1 else end + 1
    path.write_text(text[:start] + source.strip() + "\n\n" + text[end:], encoding="utf-8")
