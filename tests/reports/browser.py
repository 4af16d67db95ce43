"""Open HTML reports in Debian's headless Chromium, driven by Playwright (which uses the
installed /usr/bin/chromium: it downloads no browser), and record what a person would
see: console messages, page errors, requests, a screenshot.

``python -m tests.reports.browser docs/report-html.png`` remakes the documentation's
screenshot: the penguins demo (the pull request batch) with a model compared with its
baseline on the same rows.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Chromium as Debian installs it; MLGATE_CHROMIUM overrides.
CHROMIUM = os.environ.get("MLGATE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: As the machine's notes say: without the background-networking flags Chromium keeps
#: trying to reach Google's hosts on a closed network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


def unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does on CI)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


@dataclass
class Visit:
    """A page opened on a report, and what happened while it was open."""

    page: Any
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, and requests that left
        the file (a self-contained report makes none)."""
        out = [
            f"console.{kind}: {text}" for kind, text in self.console if kind in ("error", "warning")
        ]
        out += [f"uncaught: {e}" for e in self.errors]
        out += [
            f"request: {url}"
            for url in self.requests
            if not url.startswith(("file:", "data:", "blob:"))
        ]
        return out

    def charts_ms(self) -> float:
        """Milliseconds from navigation start until the charts in view were drawn."""
        self.page.wait_for_selector("html[data-charts-ms]", timeout=15_000)
        return float(self.page.evaluate("document.documentElement.dataset.chartsMs"))

    def draw_everything(self) -> None:
        """Open the folded passes and scroll through, so every chart is drawn."""
        self.page.evaluate("document.querySelector('#passed details').open = true")
        height = self.page.evaluate("document.body.scrollHeight")
        for y in range(0, height + VIEWPORT["height"], VIEWPORT["height"] // 2):
            self.page.evaluate(f"window.scrollTo(0, {y})")
            self.page.wait_for_timeout(30)
        self.page.wait_for_function(
            "document.querySelectorAll('[data-chart]').length === 0", timeout=15_000
        )
        self.page.wait_for_timeout(300)
        self.page.evaluate("window.scrollTo(0, 0)")


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def visit(chromium: Any, html: Path) -> Iterator[Visit]:
    """Open ``html`` in a new page of ``chromium``; close the page on exit."""
    page = chromium.new_page(viewport=VIEWPORT)
    seen = Visit(page)
    page.on("console", lambda m: seen.console.append((m.type, m.text)))
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("request", lambda r: seen.requests.append(r.url))
    try:
        page.goto(html.resolve().as_uri())
        yield seen
    finally:
        page.close()


def docs_report() -> Any:
    """The penguins demo's pull request batch, with a scikit-learn model that lost two
    features compared with the one on main (the model gate on the same rows)."""
    import dataclasses
    import tempfile

    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from mlgate.demo import run_demo, splits
    from mlgate.evaluation.check import check_model
    from mlgate.evaluation.gate import ModelGateSettings
    from mlgate.serving import save_model

    def model(numeric: list[str], c: float) -> Any:
        columns = make_column_transformer(
            (StandardScaler(), numeric),
            (OneHotEncoder(handle_unknown="ignore"), ["island", "sex"]),
        )
        return make_pipeline(columns, LogisticRegression(C=c, max_iter=1000))

    data = splits()
    train, evaluation = data["reference"].drop_nulls(), data["current_clean"].drop_nulls()
    X, y = train.drop("species").to_pandas(), train["species"].to_pandas()
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        evaluation.write_csv(folder / "eval.csv")
        save_model(model(numeric, 1.0).fit(X, y), folder / "main.skops")
        save_model(model(numeric[1:3], 0.05).fit(X, y), folder / "candidate.skops")
        models = check_model(
            str(folder / "eval.csv"),
            "species",
            model=str(folder / "candidate.skops"),
            baseline=str(folder / "main.skops"),
            settings=ModelGateSettings(slices=("island", "sex")),
            cache_dir=None,
        )
    gate = run_demo()
    # The demo's own model stage has no baseline; show the comparison in its place.
    kept = tuple(f for f in gate.findings if f.stage != "model")
    return dataclasses.replace(gate, findings=kept + models.findings)


def main(out: str) -> None:
    """Write the documentation's screenshot to ``out`` (a PNG)."""
    import tempfile

    from mlgate.reports import render

    html = Path(tempfile.mkdtemp()) / "report.html"
    html.write_text(render(docs_report(), "html"), encoding="utf-8")
    with browser() as chromium, visit(chromium, html) as seen:
        seen.charts_ms()
        seen.draw_everything()
        seen.page.evaluate("document.querySelector('#passed details').open = false")
        seen.page.screenshot(path=out, full_page=True)
        if seen.problems:
            raise SystemExit("\n".join(seen.problems))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/report-html.png")
