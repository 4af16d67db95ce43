"""Each kind of integration bug the issue names, as a pull request to the healthy
loan pipeline after its contracts were committed: each must fail naming its step; the
harmless refactors must pass."""

from __future__ import annotations

from pathlib import Path

from mlgate.findings import Report, Status
from mlgate.pipeline.gate import check_pipeline
from tests.pipeline.project import replace_step


def failed(report: Report) -> list[tuple[str, str | None, str]]:
    """(code, column, step) of every failure, in report order."""
    return [
        (f.name, f.column, f.details["step"])
        for f in report.findings
        if f.status in (Status.FAIL, Status.ERROR)
    ]


def first_broken(report: Report) -> dict:
    lead = report.findings[0]
    assert lead.name == "pipeline.first_broken", lead
    return dict(lead.details)


def check(project: Path) -> Report:
    return check_pipeline(project / "mlgate.yaml")


def test_healthy_pipeline_passes_every_check(project: Path) -> None:
    report = check(project)
    assert report.passed, failed(report)
    names = {f.name for f in report.findings}
    assert {
        "pipeline.rows_lost",
        "pipeline.key_not_unique",
        "pipeline.not_deterministic",
        "pipeline.target_leakage",
        "pipeline.sample_dependent_columns",
        "pipeline.class_dropped",
        "quality.null_fraction",
    } <= names
    for f in report.findings:
        assert f.stage == f"pipeline:{f.details['step']}"


def test_join_on_a_key_that_is_not_unique_multiplies_rows_in_features(project: Path) -> None:
    # The regions table has one row per region and year: joining without taking the
    # latest year matches every application twice.
    replace_step(
        project,
        "features",
        """
def features(clean, regions):
    df = clean.merge(regions[["region", "cost_index"]], on="region", how="left")
    df["debt_ratio"] = df["loan_amount"] / df["income"]
    employment = pd.get_dummies(
        pd.Categorical(df["employment"], categories=EMPLOYMENT), prefix="emp", dtype=int
    )
    region = pd.get_dummies(
        pd.Categorical(df["region"], categories=REGIONS), prefix="region", dtype=int
    )
    keep = ["applicant_id", "age", "income", "loan_amount", "debt_ratio", "cost_index", "defaulted"]
    return pd.concat([df[keep], employment, region], axis=1)
""",
    )
    report = check(project)
    fails = failed(report)
    assert ("pipeline.rows_multiplied", None, "features") in fails
    assert ("pipeline.key_not_unique", "applicant_id", "features") in fails
    multiplied = next(f for f in report.findings if f.name == "pipeline.rows_multiplied")
    assert multiplied.details["rows_out"] == 2 * multiplied.details["rows_in"]
    # The lead names what the step did (its rows), not a column's range that follows.
    assert (first_broken(report)["step"], first_broken(report)["check"]) == (
        "features",
        "pipeline.rows_multiplied",
    )
    assert all(step != "clean" for _, _, step in fails)


def test_inner_join_that_drops_rows_fails_in_features(project: Path) -> None:
    replace_step(
        project,
        "features",
        """
def features(clean, regions):
    latest = regions[(regions["year"] == regions["year"].max()) & (regions["region"] != "islands")]
    df = clean.merge(latest[["region", "cost_index"]], on="region", how="inner")
    df["debt_ratio"] = df["loan_amount"] / df["income"]
    employment = pd.get_dummies(
        pd.Categorical(df["employment"], categories=EMPLOYMENT), prefix="emp", dtype=int
    )
    region = pd.get_dummies(
        pd.Categorical(df["region"], categories=REGIONS), prefix="region", dtype=int
    )
    keep = ["applicant_id", "age", "income", "loan_amount", "debt_ratio", "cost_index", "defaulted"]
    return pd.concat([df[keep], employment, region], axis=1)
""",
    )
    report = check(project)
    lost = [
        f for f in report.findings if f.name == "pipeline.rows_lost" and f.status is Status.FAIL
    ]
    assert [f.details["step"] for f in lost] == ["features"]
    assert lost[0].details["rows_out"] < lost[0].details["rows_in"]
    assert first_broken(report)["step"] == "features"


def test_income_silently_all_nan_after_a_parse_fails_in_clean_and_downstream_inherits(
    project: Path,
) -> None:
    # to_numeric with errors="coerce" turns every "$52,000" into NaN without a word.
    replace_step(
        project,
        "clean",
        """
def clean(raw):
    df = raw.dropna(subset=["income"]).copy()
    df["income"] = pd.to_numeric(df["income"], errors="coerce")
    df["age"] = df["age"].fillna(df["age"].median())
    return df
""",
    )
    report = check(project)
    fails = failed(report)
    assert ("quality.null_fraction", "income", "clean") in fails
    lead = first_broken(report)
    assert lead["step"] == "clean"
    assert "features" in lead["inherited"] or "train" in lead["inherited"]
    downstream = [
        f for f in report.findings if f.details["step"] != "clean" and f.status is Status.FAIL
    ]
    assert downstream and all(f.details["inherited_from"] == "clean" for f in downstream)


def test_one_hot_columns_that_depend_on_the_sample_fail_in_features(project: Path) -> None:
    replace_step(
        project,
        "features",
        """
def features(clean, regions):
    latest = regions[regions["year"] == regions["year"].max()][["region", "cost_index"]]
    df = clean.merge(latest, on="region", how="left")
    df["debt_ratio"] = df["loan_amount"] / df["income"]
    employment = pd.get_dummies(
        pd.Categorical(df["employment"], categories=EMPLOYMENT), prefix="emp", dtype=int
    )
    region = pd.get_dummies(df["region"], prefix="region", dtype=int)
    keep = ["applicant_id", "age", "income", "loan_amount", "debt_ratio", "cost_index", "defaulted"]
    return pd.concat([df[keep], employment, region], axis=1)
""",
    )
    report = check(project)
    dependent = [
        f
        for f in report.findings
        if f.name == "pipeline.sample_dependent_columns" and f.status is Status.FAIL
    ]
    assert [f.details["step"] for f in dependent] == ["features"]
    assert "region_islands" in dependent[0].details["vanished"]
    assert dependent[0].details["dropped"]["raw.region"] == "islands"


def test_a_column_that_reproduces_the_target_is_leakage_in_features(project: Path) -> None:
    replace_step(
        project,
        "features",
        """
def features(clean, regions):
    latest = regions[regions["year"] == regions["year"].max()][["region", "cost_index"]]
    df = clean.merge(latest, on="region", how="left")
    df["debt_ratio"] = df["loan_amount"] / df["income"]
    df["written_off"] = (df["defaulted"] == "yes").astype(int)
    employment = pd.get_dummies(
        pd.Categorical(df["employment"], categories=EMPLOYMENT), prefix="emp", dtype=int
    )
    region = pd.get_dummies(
        pd.Categorical(df["region"], categories=REGIONS), prefix="region", dtype=int
    )
    keep = ["applicant_id", "age", "income", "loan_amount", "debt_ratio", "cost_index",
            "written_off", "defaulted"]
    return pd.concat([df[keep], employment, region], axis=1)
""",
    )
    report = check(project)
    leaks = [
        f
        for f in report.findings
        if f.name == "pipeline.target_leakage" and f.status is Status.FAIL
    ]
    assert [(f.column, f.details["step"]) for f in leaks] == [("written_off", "features")]


def test_a_column_computed_from_the_target_is_leakage_even_when_it_does_not_reproduce_it(
    project: Path,
) -> None:
    # Target encoding on the whole data: each region's default rate, target included.
    replace_step(
        project,
        "features",
        """
def features(clean, regions):
    latest = regions[regions["year"] == regions["year"].max()][["region", "cost_index"]]
    df = clean.merge(latest, on="region", how="left")
    df["debt_ratio"] = df["loan_amount"] / df["income"]
    rate = (df["defaulted"] == "yes").groupby(df["employment"]).transform("mean")
    df["employment_risk"] = rate
    employment = pd.get_dummies(
        pd.Categorical(df["employment"], categories=EMPLOYMENT), prefix="emp", dtype=int
    )
    region = pd.get_dummies(
        pd.Categorical(df["region"], categories=REGIONS), prefix="region", dtype=int
    )
    keep = ["applicant_id", "age", "income", "loan_amount", "debt_ratio", "cost_index",
            "employment_risk", "defaulted"]
    return pd.concat([df[keep], employment, region], axis=1)
""",
    )
    report = check(project)
    leaks = [
        f
        for f in report.findings
        if f.name == "pipeline.target_leakage" and f.status is Status.FAIL
    ]
    assert [(f.column, f.details["how"]) for f in leaks] == [("employment_risk", "computed_from")]


def test_a_type_change_fails_against_the_contract_in_clean(project: Path) -> None:
    replace_step(
        project,
        "clean",
        """
def clean(raw):
    df = raw.dropna(subset=["income"]).copy()
    df["income"] = df["income"].str.replace("$", "", regex=False).str.replace(",", "", regex=False)
    df["income"] = df["income"].astype(float)
    df["age"] = df["age"].fillna(df["age"].median())
    df["applicant_id"] = "A" + df["applicant_id"].astype(str)
    return df
""",
    )
    report = check(project)
    assert ("schema.type_mismatch", "applicant_id", "clean") in failed(report)
    assert first_broken(report)["step"] == "clean"


def test_a_filter_that_drops_a_whole_class_fails_in_clean(project: Path) -> None:
    # Meant to keep closed loans; the flag it reads is the target.
    replace_step(
        project,
        "clean",
        """
def clean(raw):
    df = raw.dropna(subset=["income"]).copy()
    df = df[df["defaulted"] != "yes"]
    df["income"] = df["income"].str.replace("$", "", regex=False).str.replace(",", "", regex=False)
    df["income"] = df["income"].astype(float)
    df["age"] = df["age"].fillna(df["age"].median())
    return df
""",
    )
    report = check(project)
    fails = failed(report)
    assert ("pipeline.class_dropped", "defaulted", "clean") in fails
    dropped = next(f for f in report.findings if f.name == "pipeline.class_dropped")
    assert dropped.details["dropped"] == ["yes"]
    assert first_broken(report)["step"] == "clean"


def test_an_unseeded_shuffle_is_not_deterministic_in_features(project: Path) -> None:
    path = project / "pipeline.py"
    text = path.read_text()
    text = text.replace(
        "    return pd.concat([df[keep], employment, region], axis=1)",
        "    out = pd.concat([df[keep], employment, region], axis=1)\n"
        "    return out.sample(frac=1).reset_index(drop=True)",
    )
    path.write_text(text)
    report = check(project)
    bad = [
        f
        for f in report.findings
        if f.name == "pipeline.not_deterministic" and f.status is Status.FAIL
    ]
    assert [f.details["step"] for f in bad] == ["features"]
    assert bad[0].details["same_rows_other_order"] is True


def test_a_seeded_shuffle_is_deterministic(project: Path) -> None:
    path = project / "pipeline.py"
    text = path.read_text()
    text = text.replace(
        "    return pd.concat([df[keep], employment, region], axis=1)",
        "    out = pd.concat([df[keep], employment, region], axis=1)\n"
        "    return out.sample(frac=1, random_state=0).reset_index(drop=True)",
    )
    path.write_text(text)
    report = check(project)
    bad = [
        f
        for f in report.findings
        if f.name == "pipeline.not_deterministic" and f.status is Status.FAIL
    ]
    assert bad == []


def test_a_step_that_raises_is_located_at_the_users_line(project: Path) -> None:
    replace_step(
        project,
        "features",
        """
def features(clean, regions):
    latest = regions[regions["year"] == regions["year"].max()][["region", "cost_index"]]
    df = clean.merge(latest, on="region", how="left")
    df["debt_ratio"] = df["loan_amount"] / df["annual_income"]
    return df
""",
    )
    report = check(project)
    raised = next(
        f for f in report.findings if f.name == "pipeline.step_failed" and f.status is Status.FAIL
    )
    line = next(
        i
        for i, text in enumerate((project / "pipeline.py").read_text().splitlines(), 1)
        if "annual_income" in text
    )
    assert raised.details["step"] == "features"
    assert raised.details["line"] == line
    assert raised.details["file"].endswith("pipeline.py")
    assert "KeyError" in raised.message and f"pipeline.py:{line}" in raised.message
    blocked = next(
        f
        for f in report.findings
        if f.details["step"] == "train" and f.name == "pipeline.step_failed"
    )
    assert blocked.status is Status.SKIP and blocked.details["blocked_by"] == "features"


def test_a_harmless_refactor_of_clean_passes(project: Path) -> None:
    replace_step(
        project,
        "clean",
        """
def clean(raw):
    income = raw["income"].str.replace(r"[$,]", "", regex=True).astype(float)
    df = raw.assign(income=income, age=raw["age"].fillna(raw["age"].median()))
    return df[df["income"].notna()].reset_index(drop=True)
""",
    )
    report = check(project)
    assert report.passed, failed(report)


def test_a_harmless_refactor_of_features_with_scikit_learns_encoder_passes(project: Path) -> None:
    # The encoder fitted on the fixed lists of categories gives the same columns on any
    # batch; the join is written differently; the output is the same.
    replace_step(
        project,
        "features",
        """
def features(clean, regions):
    from sklearn.preprocessing import OneHotEncoder

    year = regions["year"].max()
    costs = regions.loc[regions["year"] == year].set_index("region")["cost_index"]
    df = clean.assign(cost_index=clean["region"].map(costs)).reset_index(drop=True)
    df["debt_ratio"] = df["loan_amount"] / df["income"]
    encoder = OneHotEncoder(categories=[EMPLOYMENT, REGIONS], sparse_output=False, dtype=int)
    encoded = encoder.fit(df[["employment", "region"]]).transform(df[["employment", "region"]])
    names = [f"emp_{c}" for c in EMPLOYMENT] + [f"region_{c}" for c in REGIONS]
    keep = ["applicant_id", "age", "income", "loan_amount", "debt_ratio", "cost_index", "defaulted"]
    return pd.concat([df[keep], pd.DataFrame(encoded, columns=names)], axis=1)
""",
    )
    report = check(project)
    assert report.passed, failed(report)


def test_an_error_raised_inside_pandas_compiled_code_is_located_at_the_users_line(
    project: Path,
) -> None:
    # pandas raises this from a Cython frame whose file name is relative to pandas' own
    # build; the line to fix is the user's.
    replace_step(
        project,
        "features",
        """
def features(clean, regions):
    clean["ratio"] = clean["loan_amount"] / clean["region"]
    return clean
""",
    )
    report = check(project)
    raised = next(
        f for f in report.findings if f.name == "pipeline.step_failed" and f.status is Status.FAIL
    )
    line = next(
        i
        for i, t in enumerate((project / "pipeline.py").read_text().splitlines(), 1)
        if "ratio" in t
    )
    assert (Path(raised.details["file"]).name, raised.details["line"]) == ("pipeline.py", line)
