"""A pull request to `joined`: "no need for a merge, the tables are in the same order".

They are not: clean dropped the birds with missing measurements, so the rows no longer
line up, and concatenating side by side pairs birds with other birds' species.
"""

import pandas as pd


def joined(clean: pd.DataFrame, birds: pd.DataFrame) -> pd.DataFrame:
    birds = birds.drop(columns=["bird_id"])
    return pd.concat([clean.reset_index(drop=True), birds], axis=1)
