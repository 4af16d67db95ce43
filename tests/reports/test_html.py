"""The HTML report as a file: self-contained, small, ordered, and drawn from evidence.
What it looks like in a browser is in test_html_browser.py."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mlgate.data.gate import check_data
from mlgate.data.profile import profile_frame
from mlgate.findings import Finding, Report, Status
from mlgate.reports import charts, render
from mlgate.reports.evidence import LossSeries, TrainingEvidence
from mlgate.reports.html import render_html, stage_label, stage_of
from tests.reports.html_fixtures import RUN, comparison, model_findings, wide_frames

MAX_BYTES = 2_000_000


def payload(html: str) -> dict:
    """The charts' data the page carries."""
    m = re.search(r'<script type="application/json" id="mlgate-charts">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def passed_markup(html: str) -> str:
    m = re.search(r'<script type="text/html" id="mlgate-passed">(.*?)</script>', html, re.S)
    assert m is not None
    return m.group(1)


@pytest.fixture(scope="module")
def penguins_report() -> Report:
    """The penguins demo's pull request batch through the data gate, with hand-made model
    findings and a loss curve, and the run header."""
    from mlgate.demo import splits

    data = splits()
    report = check_data(data["reference"], data["current"], target="species")
    losses = TrainingEvidence(
        "PyTorch",
        (LossSeries.of("training run", "loss", "step", np.exp(-np.arange(60) / 20)),),
    )
    return Report(
        report.findings + tuple(model_findings()),
        title="mlgate demo (pull request batch)",
        run=RUN,
        evidence={**report.evidence, "training:train_torch.py:training_spec": losses},
    )


def test_the_page_needs_nothing_from_the_network(penguins_report):
    html = render_html(penguins_report)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<link\b|@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    assert html.count("<script") == 4  # vega, chart data, passed checks, the page's own
    assert "vega.min.js" not in html and 'src="' not in html


def test_the_page_carries_the_runtime_and_its_licenses(penguins_report):
    html = render_html(penguins_report)
    assert 'version="6.4.0"' in html  # vega.min.js, as VERSIONS says
    assert "University of Washington Interactive Data Lab" in html  # Vega's BSD license
    assert "Mike Bostock" in html  # d3's ISC license, bundled in Vega


def test_the_compiled_chart_specs_are_those_of_the_templates():
    compiled = json.loads(
        (Path(charts.__file__).parent / "assets" / "vega-specs.json").read_text(encoding="utf-8")
    )
    assert compiled["digest"] == charts.templates_digest(), (
        "a chart template changed: run `make vega-assets` to compile it to Vega"
    )
    assert set(compiled["specs"]) == set(charts.TEMPLATES)
    assert "vega 6.4.0" in (Path(charts.__file__).parent / "assets" / "VERSIONS").read_text()


def test_verdict_and_inputs_come_first(penguins_report):
    html = render_html(penguins_report)
    verdict = html.index("✗ Failed")
    inputs = html.index('<table class="inputs">')
    attention = html.index('<section id="attention">')
    assert verdict < inputs < attention
    assert "data/reference.csv" in html and "fix-scale @ 474ae3d0c1e2" in html
    assert "9f2c4e1b7a03" in html  # the digest, shortened, with the whole in its title


def test_a_report_without_run_or_evidence_still_renders():
    report = Report(
        (
            Finding("drift.numeric", Status.FAIL, "moved", column="a", details={"statistic": 0.9}),
            Finding("quality.null_fraction", Status.PASS, "0.0% null", column="a"),
        ),
        title="bare",
    )
    html = render_html(report)
    assert '<table class="inputs">' not in html and "✗ Failed" in html
    assert payload(html)["charts"] == {}  # nothing to draw, and no error


def test_failures_come_before_passes_grouped_by_stage_and_column(penguins_report):
    html = render_html(penguins_report)
    attention = html[html.index('<section id="attention">') : html.index('<section id="passed">')]
    # Failures and warnings only, data before model (the gate's order), by column.
    assert "<li class=pass>" not in attention and "<li class=fail>" in attention
    data, model = attention.index('id="attention--data"'), attention.index('id="attention--model"')
    assert data < model
    for column in ("island", "body_mass_g", "sex"):
        assert f'id="attention--data--{column}"' in attention
    # The passes are folded below, carried as markup that the page inserts when opened.
    passed = passed_markup(html)
    assert "<li class=pass>" in passed and "<li class=fail>" not in passed
    assert html.index('<section id="passed">') < html.index('id="mlgate-passed"')


def test_stages_of_one_kind_keep_the_gates_order_not_their_names():
    # A pipeline's steps as the gate reports them: the step that broke first leads
    # ('joined'), then the others in pipeline order; sorted by name, 'features' came first.
    def fail(stage: str, name: str) -> Finding:
        return Finding(name, Status.FAIL, "broken", stage=stage)

    report = Report(
        (
            fail("pipeline:joined", "pipeline.first_broken"),
            fail("pipeline:joined", "pipeline.rows_multiplied"),
            fail("pipeline:features", "pipeline.key_not_unique"),
            fail("pipeline:train", "pipeline.step_failed"),
            Finding("drift.numeric", Status.FAIL, "moved", column="a", stage="data"),
        ),
        title="steps",
    )
    html = render_html(report)
    attention = html[html.index('<section id="attention">') : html.index('<section id="passed">')]
    order = [
        attention.index(f'id="attention--{stage}"')
        for stage in ("data", "pipeline-joined", "pipeline-features", "pipeline-train")
    ]
    assert order == sorted(order)


def test_a_column_is_drawn_once_with_its_drift_statistic(penguins_report):
    html = render_html(penguins_report)
    charts_by_id = payload(html)["charts"]
    drawn = re.findall(r'data-chart="(c\d+)"', html)  # the passed markup included
    assert len(drawn) == len(set(drawn)) == len(charts_by_id)
    card = html[html.index('id="attention--data--island"') :]
    card = card[: card.index("</article>")]
    assert "Jensen-Shannon distance 0.287 (threshold 0.1) · largest gap 0.145" in card
    chart = charts_by_id[re.search(r'data-chart="(c\d+)"', card).group(1)]
    assert chart["template"] == "bars"
    values = {row["value"]: row for row in chart["data"]["bars"]}
    assert values["Anvers"]["reference"] == 0 and values["Anvers"]["current"] == pytest.approx(
        0.145, abs=0.001
    )
    # sex fails on nulls only: its chart still carries its (passing) drift statistic.
    card = html[html.index('id="attention--data--sex"') :]
    assert "Jensen-Shannon distance 0.006" in card[: card.index("</article>")]
    # body_mass_g: a histogram with the schema's range drawn as two rules.
    card = html[html.index('id="attention--data--body_mass_g"') :]
    chart = charts_by_id[re.search(r'data-chart="(c\d+)"', card).group(1)]
    assert chart["template"] == "histogram"
    assert [r["x"] for r in chart["data"]["rules"]] == [2700, 6050]
    # Its passes link back to the chart instead of drawing it again.
    passed = passed_markup(html)
    card = passed[passed.index('id="passed--data--body_mass_g"') :]
    assert 'href="#attention--data--body_mass_g"' in card[: card.index("</article>")]


def test_model_comparisons_become_a_forest_plot_and_a_slice_table(penguins_report):
    html = render_html(penguins_report)
    forest = next(c for c in payload(html)["charts"].values() if c["template"] == "forest")
    rows = {r["label"]: r for r in forest["data"]["rows"]}
    assert list(rows) == [
        "balanced_accuracy (higher is better)",
        "log_loss (lower is better)",
        "roc_auc (higher is better)",
    ]
    # The margin is drawn on the worse side: below zero when higher is better.
    assert rows["balanced_accuracy (higher is better)"]["margin_x"] == -0.01
    assert rows["log_loss (lower is better)"]["margin_x"] == 0.02
    assert rows["balanced_accuracy (higher is better)"]["verdict"] == "worse"
    table = html[html.index('id="slice-table"') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr class=") == 5
    assert "bill_length_mm in [40.5, 59.6]" in table and "bill_length_mm in [32.1, 40.5)" in table
    # Worst first: the failing slices lead.
    statuses = re.findall(r'<tr class="row-(\w+)"', table)
    assert statuses == sorted(statuses, key=lambda s: -Status(s).rank)
    assert 'data-v="-0.06"' in table  # numbers sort as numbers


def test_the_slice_table_sorts_and_filters_in_the_page_script(penguins_report):
    html = render_html(penguins_report)
    assert 'class="cmp sortable" id="slice-table"' in html
    assert 'data-filter="slice-table"' in html and 'id="slice-table-count"' in html
    assert "aria-sort" in html and "row.hidden" in html


def test_loss_curves_are_drawn_per_training_stage(penguins_report):
    html = render_html(penguins_report)
    assert "Training · train_torch.py:training_spec" in html and "loss per step" in html
    loss = next(c for c in payload(html)["charts"].values() if c["template"] == "loss")
    points = loss["data"]["points"]
    assert len(points) == 60
    assert points[0] == {"series": "training run", "order": 0, "step": 1.0, "loss": 1.0}


def test_a_non_finite_loss_is_marked_where_it_happened():
    series = LossSeries.of("training run", "loss", "step", [1.0, 0.5, float("nan"), 0.1])
    chart = charts.loss_chart([series])
    assert chart is not None
    assert [p["step"] for p in chart["data"]["points"]] == [1.0, 2.0]
    assert chart["data"]["marks"] == [{"step": 3, "label": "training run: loss = nan"}]


def test_long_runs_are_drawn_as_means_of_consecutive_steps():
    series = LossSeries.of("run", "loss", "step", np.linspace(10, 1, 100_000))
    chart = charts.loss_chart([series])
    assert len(chart["data"]["points"]) == charts.MAX_CURVE_POINTS
    assert chart["template"] == "loss" and chart["caption"] == "loss per step"
    steep = LossSeries.of("run", "log loss", "epoch", np.geomspace(10, 0.001, 50))
    assert charts.loss_chart([steep])["template"] == "loss_log"


def test_histogram_shares_come_from_the_quantile_sketch():
    rng = np.random.default_rng(1)
    ref = profile_frame(pl.DataFrame({"x": rng.normal(0, 1, 50_000)})).column("x")
    cur = profile_frame(pl.DataFrame({"x": rng.normal(2, 1, 50_000)})).column("x")
    data = charts.numeric_histogram(ref, cur, bins=40)
    row = data["bins"][0]
    assert len(row["reference"]) == len(row["current"]) == 41  # 40 bins and the closing edge
    assert sum(row["reference"][:-1]) == pytest.approx(10_000, abs=40)  # basis points
    centres = row["low"] + (np.arange(40) + 0.5) * row["width"]
    mean = {s: float(np.dot(centres, row[s][:-1]) / 10_000) for s in ("reference", "current")}
    assert mean["reference"] == pytest.approx(0, abs=0.1)
    assert mean["current"] == pytest.approx(2, abs=0.1)


def test_histogram_bins_follow_the_sample_size():
    small = profile_frame(pl.DataFrame({"x": np.arange(100.0)})).column("x")
    assert charts.numeric_histogram(small, small)["bins"][0]["bins"] == charts.MIN_BINS
    assert charts.numeric_histogram(None, None) is None


def test_category_bars_show_nulls_and_pool_the_rest():
    values = [f"v{i % 30}" for i in range(3000)] + [None] * 300
    col = profile_frame(pl.DataFrame({"c": values})).column("c")
    bars = charts.category_bars(col, col)["bars"]
    labels = [b["value"] for b in bars]
    assert len(labels) == charts.TOP_VALUES + 2 and labels[-2:] == ["(other)", "(null)"]
    assert sum(b["reference"] for b in bars) == pytest.approx(1.0, abs=1e-3)


def test_margin_lies_on_the_worse_side():
    assert charts.margin_line({"margin": 0.01, "higher_is_better": True}) == -0.01
    assert charts.margin_line({"margin": 0.01, "higher_is_better": False}) == 0.01
    assert charts.margin_line({"margin": None}) is None
    assert charts.is_comparison(comparison("f1", 0.9, 0.91, (-0.02, 0.0)))
    assert not charts.is_comparison({"metric": "f1", "candidate": 0.9, "floor": 0.8})


def test_stages_are_named_and_inferred_for_findings_without_one():
    assert stage_label("training:train.py:spec") == "Training · train.py:spec"
    assert stage_label("pipeline:clean") == "Pipeline · clean"
    assert stage_of(Finding("drift.numeric", Status.PASS, "")) == "data"
    assert stage_of(Finding("drift.numeric", Status.PASS, "", stage="data")) == "data"
    assert stage_of(Finding("custom.thing", Status.PASS, "")) == "other"


def test_user_text_is_escaped_everywhere():
    hostile = "<script>alert(1)</script><!--"
    report = Report(
        (
            Finding("schema.new_column", Status.WARN, hostile, column=hostile),
            Finding("quality.constant", Status.PASS, hostile, column=hostile),
        ),
        title=hostile,
        run={"inputs": [{"role": "current", "path": hostile}]},
    )
    html = render_html(report)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_500_columns_make_a_small_page_quickly():
    import time

    ref, cur = wide_frames(500)
    report = check_data(ref, cur)
    started = time.perf_counter()
    html = render(report, "html")
    took = time.perf_counter() - started
    size = len(html.encode())
    assert size < MAX_BYTES, f"{size:,} bytes"
    assert took < 5, f"rendering took {took:.1f} s"
    assert len(payload(html)["charts"]) == 500  # every column, drawn when scrolled to


def test_other_formats_and_the_cli_do_not_load_the_html_renderer():
    code = (
        "import sys\n"
        "from mlgate.findings import Finding, Report, Status\n"
        "from mlgate.reports import render\n"
        "r = Report((Finding('a.b', Status.PASS, 'ok'),))\n"
        "for fmt in ('text', 'json', 'markdown', 'junit'): render(r, fmt)\n"
        "import mlgate._cli.main\n"
        "names = ('mlgate.reports.html', 'mlgate.reports.charts')\n"
        "print([m for m in names if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "mlgate.reports.html" not in out.stdout and "mlgate.reports.charts" not in out.stdout


def test_a_passing_model_report_shows_no_failure_red_and_no_data_key():
    report = Report(
        (Finding("model.metric_floor", Status.PASS, "balanced accuracy 0.9", stage="model"),),
        title="mlgate model check",
    )
    html = render_html(report)
    assert '<span class="chip none">0 failed</span>' in html
    assert 'class="chip fail"' not in html
    assert ">reference <i" not in html  # the reference/current key explains data charts


def test_a_data_report_keeps_its_reference_and_current_key(penguins_report):
    assert ">reference <i" in render_html(penguins_report)
