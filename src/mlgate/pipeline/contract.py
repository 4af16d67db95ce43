"""Step contracts: ``contracts/<step>.yaml``, written by ``mlgate pipeline infer``.

A contract is mlgate's schema (``mlgate.data.schema``: kinds, types, null fractions,
ranges, domains) of a step's output, plus what the step promises about its rows
relative to one of its inputs (``rows``):

- ``kept``: exactly as many rows as the input;
- ``filtered``: at most as many, losing at most ``max_loss`` (a share) of them;
- ``one_per_key``: one row per distinct value of ``key`` in the input (an aggregation);
- ``any``: no promise (a step that adds rows: an explode, a cross join).

``key`` (optional, any promise) lists the columns that identify an output row: no two
rows may share them. Contracts are committed and reviewed like schemas; people edit the
promise to what the step really guarantees.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlgate.data.schema import Schema

if TYPE_CHECKING:
    import polars as pl

Promise = Literal["kept", "filtered", "one_per_key", "any"]
CONTRACT_VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rows(_Frozen):
    """What a step promises about its output's rows, relative to the input
    ``relative_to`` (a source or an earlier step's output, by name)."""

    relative_to: str | None = None
    promise: Promise = "any"
    max_loss: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    key: list[str] = []

    @model_validator(mode="after")
    def _complete(self) -> Rows:
        if self.promise != "any" and self.relative_to is None:
            raise ValueError(f"promise {self.promise} needs relative_to: the input it is about")
        if self.promise == "one_per_key" and not self.key:
            raise ValueError("promise one_per_key needs key: the columns there is one row per")
        return self


class Contract(Schema):
    """A step output's schema plus its row promise (``rows``)."""

    contract: Literal[1] = CONTRACT_VERSION
    step: str
    rows: Rows = Rows()


def contract_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.yaml"


def load_contract(path: Path) -> Contract:
    """Read a contract; ``ConfigError`` (exit 2) naming file, line and key when it is
    malformed."""
    from mlgate._yaml import load_model

    return load_model(path, Contract, what="contract")


def infer_rows(
    output: pl.DataFrame, inputs: dict[str, pl.DataFrame], relative_to: str | None
) -> Rows:
    """The row promise the step kept on this run, with room for a larger sample.

    ``relative_to``: the input the promise is about (the step's first frame input);
    None for a step with no frame input (no promise). The key is the first column of
    the output that is unique and never null, holds whole numbers or text, and is named
    like a key (``id``, ``*_id``, ``key``) or was a column of the input too.
    """
    key = _key(output, inputs.get(relative_to) if relative_to else None)
    if relative_to is None or relative_to not in inputs:
        return Rows(key=key)
    source = inputs[relative_to]
    n_in, n_out = source.height, output.height
    if key and key[0] in source.columns and n_out < n_in:
        distinct = source.get_column(key[0]).n_unique()
        if n_out == distinct and distinct < n_in:
            return Rows(relative_to=relative_to, promise="one_per_key", key=key)
    if n_out == n_in:
        return Rows(relative_to=relative_to, promise="kept", key=key)
    if n_out < n_in:
        loss = 1.0 - n_out / n_in
        return Rows(
            relative_to=relative_to, promise="filtered", max_loss=_loss_limit(loss, n_in), key=key
        )
    return Rows(relative_to=relative_to, promise="any", key=key)


def _loss_limit(loss: float, n: int) -> float:
    """The share lost on this sample plus what another sample of ``n`` rows may lose by
    chance (four standard errors of a binomial share), at least one point more."""
    slack = 4.0 * math.sqrt(max(loss, 1.0 / n) * (1.0 - loss) / n) + 1.0 / n
    return min(1.0, math.ceil((loss + max(slack, 0.01)) * 1e4) / 1e4)


def _key(output: pl.DataFrame, source: pl.DataFrame | None) -> list[str]:
    import polars as pl

    if output.height < 2:
        return []
    for name in output.columns:
        s = output.get_column(name)
        if not (s.dtype.is_integer() or s.dtype == pl.String):
            continue
        keyish = name.lower() in ("id", "key") or name.lower().endswith(("_id", "_key"))
        if not keyish and (source is None or name not in source.columns):
            continue
        if s.null_count() == 0 and s.n_unique() == output.height:
            return [name]
    return []


_HEADER = """\
# mlgate contract of the pipeline step {step!r}: what its output holds (the schema
# below, as `mlgate schema infer` writes it) and what it promises about its rows.
# Written by `mlgate pipeline infer` from a run on the sample; commit it and review
# changes to it in pull requests. `mlgate check pipeline` holds the step to it.
#   rows.relative_to   the input the promise is about (a source or an earlier step)
#   rows.promise       kept: as many rows as the input | filtered: at most max_loss of
#                      them lost | one_per_key: one row per distinct key in the input |
#                      any: no promise
#   rows.key           columns no two output rows may share
"""


def dump_contract(contract: Contract, reasons: dict[str, str] | None = None) -> str:
    """The contract as commented YAML: the header, ``contract``, ``step`` and ``rows``,
    then the schema exactly as ``dump_schema`` writes it."""
    import yaml

    from mlgate.data.schema import dump_schema

    schema = Schema(version=contract.version, dataset=contract.dataset, columns=contract.columns)
    head = {
        "contract": contract.contract,
        "step": contract.step,
        "rows": contract.rows.model_dump(mode="json"),
    }
    top = yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=100)
    return _HEADER.format(step=contract.step) + top + dump_schema(schema, reasons)


def save_contract(contract: Contract, path: Path, reasons: dict[str, str] | None = None) -> None:
    """Write the contract atomically (a reader sees the old file or the whole new one)."""
    from mlgate._atomic import write_text_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, dump_contract(contract, reasons))
