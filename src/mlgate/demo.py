"""The bundled example: Palmer penguins, a reference split and a pull request batch.

``write_example`` builds the example's data from the CSV that the ``palmerpenguins``
package ships (the real data, read with Polars), and ``run_demo`` runs the gate on it.
The batch carries three realistic problems: body mass from a scale recalibrated to
kilograms, a new island spelled as a new value, and sex left blank by a new field form.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import polars as pl

from mlgate.errors import MissingExtraError
from mlgate.findings import Report

SEED = 20231
REFERENCE_SHARE = 0.6


def penguins() -> pl.DataFrame:
    try:
        data = resources.files("palmerpenguins").joinpath("data/penguins.csv")
    except ModuleNotFoundError:
        raise MissingExtraError("palmerpenguins", "example") from None
    with resources.as_file(data) as path:
        return pl.read_csv(path, null_values=["NA"])


def splits() -> dict[str, pl.DataFrame]:
    """reference, current_clean and current (the clean batch with the PR's problems)."""
    df = penguins().sample(fraction=1.0, shuffle=True, seed=SEED)
    cut = int(df.height * REFERENCE_SHARE)
    reference, clean = df.head(cut), df.slice(cut)
    row = pl.int_range(pl.len())
    broken = clean.with_columns(
        # A scale recalibrated to kilograms for the second half of the batch.
        pl.when(row >= pl.len() // 2)
        .then(pl.col("body_mass_g") / 1000.0)
        .otherwise(pl.col("body_mass_g"))
        .alias("body_mass_g"),
        # A new colony added to the study, entered as a new island value.
        pl.when(row % 7 == 0).then(pl.lit("Anvers")).otherwise(pl.col("island")).alias("island"),
        # A new field form that leaves sex blank more often than not.
        pl.when(row % 3 != 0).then(None).otherwise(pl.col("sex")).alias("sex"),
    )
    return {"reference": reference, "current_clean": clean, "current": broken}


def write_example(folder: Path) -> None:
    """Write the example's data files (used by examples/penguins/prepare.py)."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, frame in splits().items():
        frame.write_csv(data / f"{name}.csv")


def example_folder() -> Path:
    """The example project in a source checkout (``make demo`` installs in editable mode)."""
    root = Path(__file__).resolve().parents[2] / "examples" / "penguins"
    if (root / "mlgate.yaml").is_file():
        return root
    from mlgate.errors import MlgateError

    raise MlgateError(
        "the penguins example is not next to this installation; run the demo from a source "
        "checkout with `make demo`, or point `mlgate run -c` at your own mlgate.yaml"
    )


def run_demo(*, clean: bool = False) -> Report:
    """Run the example's mlgate.yaml: data stage on the PR batch (or the clean one),
    then its training stages."""
    from mlgate.gate import run_gate

    folder = example_folder()
    current = folder / "data" / ("current_clean.csv" if clean else "current.csv")
    title = "mlgate demo (clean batch)" if clean else "mlgate demo (pull request batch)"
    return run_gate(folder / "mlgate.yaml", current=current, title=title)
