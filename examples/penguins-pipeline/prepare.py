"""Build this example's two tables from the Palmer penguins of ../penguins/data.

    python examples/penguins-pipeline/prepare.py

The 344 penguins of ../penguins (data/reference.csv then data/current_clean.csv, in
that order) as a field study records them: data/birds.csv, one row per bird (its id,
species, island, sex and year), and data/measurements.csv, one row per bird measured
(its id and four measurements; the birds with no measurement have no row). The
pipeline joins them back on bird_id.
"""

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
PENGUINS = HERE.parent / "penguins" / "data"
MEASUREMENTS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]

if __name__ == "__main__":
    rows = pd.concat(
        [pd.read_csv(PENGUINS / "reference.csv"), pd.read_csv(PENGUINS / "current_clean.csv")],
        ignore_index=True,
    )
    rows.insert(0, "bird_id", range(1, len(rows) + 1))
    (HERE / "data").mkdir(exist_ok=True)
    rows[["bird_id", "species", "island", "sex", "year"]].to_csv(
        HERE / "data" / "birds.csv", index=False
    )
    measured = rows.dropna(subset=MEASUREMENTS, how="all")
    measured[["bird_id", *MEASUREMENTS]].to_csv(HERE / "data" / "measurements.csv", index=False)
