"""The HTML report in headless Chromium: it opens offline without a console error or a
request, draws its charts, opens in under a second with 500 columns, keeps failures
above passes, and its slice table sorts and filters. Screenshots are saved next to the
page (the test's tmp folder) for a person to look at."""

import os
import re
from pathlib import Path

import numpy as np
import pytest

from mlgate.data.gate import check_data
from mlgate.findings import Report
from mlgate.reports import render
from mlgate.reports.evidence import LossSeries, TrainingEvidence
from tests.reports import browser
from tests.reports.html_fixtures import RUN, model_findings, wide_frames

#: CI must run these: there a missing browser fails them (.ci/run installs Chromium).
ON_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
MISSING = browser.unavailable()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(MISSING is not None and not ON_CI, reason=str(MISSING)),
]

#: The page must show the charts in view within this, from navigation start.
RENDER_BUDGET_MS = 1000


@pytest.fixture(scope="module")
def chromium():
    if MISSING is not None:
        pytest.fail(f"CI must run the browser tests: {MISSING}")
    with browser.browser() as b:
        yield b


def write(report: Report, folder: Path, name: str) -> Path:
    path = folder / f"{name}.html"
    path.write_text(render(report, "html"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def penguins_page(tmp_path_factory) -> Path:
    """The penguins pull request batch through the data gate, hand-made model
    comparisons with 40 extra slices, and a loss curve."""
    from mlgate.demo import splits

    data = splits()
    gate = check_data(data["reference"], data["current"], target="species")
    losses = TrainingEvidence(
        "PyTorch",
        (
            LossSeries.of("training run", "loss", "step", 1.1 * np.exp(-np.arange(80) / 25)),
            LossSeries.of("one-batch run", "loss", "step", np.exp(-np.arange(45) / 10)),
        ),
    )
    report = Report(
        gate.findings + tuple(model_findings(n_slices=40)),
        title="mlgate demo (pull request batch)",
        run=RUN,
        evidence={**gate.evidence, "training:train_torch.py:training_spec": losses},
    )
    return write(report, tmp_path_factory.mktemp("html"), "penguins")


def test_the_report_opens_offline_draws_every_chart_and_logs_nothing(chromium, penguins_page):
    with browser.visit(chromium, penguins_page) as seen:
        seen.charts_ms()
        seen.page.screenshot(path=str(penguins_page.with_suffix(".png")))
        seen.draw_everything()
        svgs = seen.page.evaluate("document.querySelectorAll('.chart svg.marks').length")
        charts = seen.page.evaluate("document.querySelectorAll('.chart').length")
        seen.page.screenshot(path=str(penguins_page.with_name("penguins-full.png")), full_page=True)
        assert seen.problems == []
    assert svgs == charts == 10  # 8 columns, the forest plot, the loss curves
    assert penguins_page.with_suffix(".png").stat().st_size > 20_000


def test_failures_come_before_passes_in_the_page(chromium, penguins_page):
    with browser.visit(chromium, penguins_page) as seen:
        seen.charts_ms()
        seen.page.click("#passed summary")
        # The passed checks are inserted by the section's toggle event, after the click.
        seen.page.wait_for_selector("#passed .card li", state="attached")
        order = seen.page.evaluate(
            """() => Array.from(document.querySelectorAll('.card li'))
                  .map(li => li.className)"""
        )
        assert seen.problems == []
    first_pass = order.index("pass")
    assert "fail" in order[:first_pass]
    assert not {"fail", "warn", "error"} & set(order[first_pass:])


def test_the_slice_table_sorts_and_filters(chromium, penguins_page):
    with browser.visit(chromium, penguins_page) as seen:
        page = seen.page
        seen.charts_ms()

        def column(name: str) -> list[str]:
            index = page.evaluate(
                f"""() => Array.from(document.querySelectorAll('#slice-table th'))
                      .findIndex(th => th.textContent.trim().startsWith({name!r}))"""
            )
            return page.evaluate(
                f"""() => Array.from(document.querySelectorAll('#slice-table tbody tr'))
                      .filter(tr => !tr.hidden).map(tr => tr.cells[{index}].textContent.trim())"""
            )

        def numbers(texts: list[str]) -> list[float]:
            return [float(t.replace("\N{MINUS SIGN}", "-")) for t in texts]

        assert len(column("slice")) == 45
        page.click("#slice-table th:has-text('difference') button")
        ascending = numbers(column("difference"))
        assert ascending == sorted(ascending) and ascending[0] < 0
        page.click("#slice-table th:has-text('difference') button")
        assert numbers(column("difference")) == sorted(ascending, reverse=True)
        page.click("#slice-table th:has-text('rows') button")
        assert numbers(column("rows")) == sorted(numbers(column("rows")))
        page.click("#slice-table th:has-text('slice') button")
        labels = column("slice")
        assert labels == sorted(labels, key=str.lower)

        page.fill("#slice-filter", "island")
        assert sorted(column("slice")) == [
            "island = Biscoe",
            "island = Dream",
            "island = Torgersen",
        ]
        assert page.text_content("#slice-table-count") == "3 of 45"
        page.fill("#slice-filter", "island fail")
        assert column("slice") == ["island = Biscoe"]
        page.fill("#slice-filter", "")
        assert len(column("slice")) == 45
        page.screenshot(path=str(penguins_page.with_name("slices.png")))
        assert seen.problems == []


def test_500_columns_open_in_under_a_second(chromium, tmp_path):
    ref, cur = wide_frames(500)
    page = write(check_data(ref, cur), tmp_path, "wide")
    size = page.stat().st_size
    assert size < 2_000_000, f"{size:,} bytes"
    # The best of three loads: the machine's other work only ever adds to the time.
    times = []
    for _ in range(3):
        with browser.visit(chromium, page) as seen:
            times.append(seen.charts_ms())
            drawn = int(seen.page.evaluate("document.documentElement.dataset.chartsDrawn"))
            assert seen.problems == []
    seen_ms = min(times)
    print(f"500 columns: {size / 1e6:.2f} MB, charts in view drawn after {seen_ms:.0f} ms")
    assert seen_ms < RENDER_BUDGET_MS, f"{times} ms"
    assert drawn >= 2  # the charts in view are part of what was timed
    with browser.visit(chromium, page) as seen:
        seen.charts_ms()
        seen.page.screenshot(path=str(tmp_path / "wide.png"))


@pytest.mark.slow
def test_the_demo_from_the_command_line_opens_cleanly(chromium, tmp_path):
    """`mlgate demo --format html`: the real gate, PyTorch and scikit-learn training."""
    from click.testing import CliRunner

    from mlgate._cli.main import cli

    out = tmp_path / "demo.html"
    result = CliRunner().invoke(cli, ["demo", "--format", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output  # the pull request batch fails
    html = out.read_text(encoding="utf-8")
    assert re.search(r"Training · [^<]*train_torch\.py", html)
    with browser.visit(chromium, out) as seen:
        seen.charts_ms()
        seen.draw_everything()
        seen.page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
        assert seen.problems == []


def test_odd_columns_draw_or_are_left_out_without_an_error(chromium, tmp_path):
    """Dates, booleans, an all-null column, NaN and inf, a constant, a column gone and
    a new one, and names that need escaping."""
    import datetime as dt

    import polars as pl

    rng = np.random.default_rng(3)
    n = 400
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 300, n)]
    ref = pl.DataFrame(
        {
            "when": days,
            "flag": rng.random(n) > 0.3,
            "empty": pl.Series([None] * n, dtype=pl.Float64),
            "odd <name> & 'quotes'": np.where(rng.random(n) > 0.9, np.nan, rng.normal(0, 1, n)),
            "constant": np.ones(n),
            "gone": rng.normal(0, 1, n),
        }
    )
    cur = ref.drop("gone").with_columns(
        pl.Series("flag", rng.random(n) > 0.7),
        pl.Series(
            "odd <name> & 'quotes'", np.where(rng.random(n) > 0.95, np.inf, rng.normal(3, 1, n))
        ),
        pl.Series("new", rng.integers(0, 3, n)),
    )
    page = write(check_data(ref, cur), tmp_path, "odd")
    html = page.read_text(encoding="utf-8")
    card = html[html.index('id="attention--data--new"') :]
    assert 'data-chart="' in card[: card.index("</article>")]
    assert '"template":"bars","data":{"bars":[{"value":"0"' in html  # codes as categories
    with browser.visit(chromium, page) as seen:
        seen.charts_ms()
        seen.draw_everything()
        seen.page.screenshot(path=str(tmp_path / "odd.png"), full_page=True)
        assert seen.problems == []
        drawn = seen.page.evaluate("document.querySelectorAll('.chart svg.marks').length")
        assert seen.page.locator("text=odd <name> & 'quotes'").count() >= 1
    assert drawn >= 4  # flag, the odd name, constant, gone or new
