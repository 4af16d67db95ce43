"""Rebuild this example's data from the Palmer penguins CSV shipped by `palmerpenguins`.

    python examples/penguins/prepare.py

Writes data/reference.csv (60% of the penguins), data/current_clean.csv (the rest) and
data/current.csv (the same batch with a pull request's problems). schema.yaml was
written by `mlgate schema infer data/reference.csv` and then reviewed by hand.
"""

from pathlib import Path

from mlgate.demo import write_example

if __name__ == "__main__":
    write_example(Path(__file__).resolve().parent)
