"""The ``pipeline:`` section of mlgate.yaml, validated into frozen typed objects.

A step is a Python callable (``run: file.py:func`` or ``run: package.module:func``)
whose parameters are named after sources or earlier steps, or a shell command
(``cmd:``) that reads declared ``inputs`` files and writes declared ``outputs``. Errors
name the file, the line and the key, as the rest of mlgate.yaml's do (``mlgate._yaml``).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Step and source names become file names (contracts/<step>.yaml) and parameter names.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FrameKind = Literal["pandas", "polars"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _identifier(value: str, what: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a Python identifier (letters, digits and _, not "
            "starting with a digit); steps receive it as a parameter name"
        )
    return value


class Source(_Frozen):
    """A named input: a file mlgate reads, and the key it joins on (optional).

    Sources that declare a ``key`` are sampled by key, not by row, so that rows which
    join in the full data also join in the sample.
    """

    path: str
    key: str | None = None


class Step(_Frozen):
    """One step: ``run`` (a callable) or ``cmd`` (a shell command), not both.

    A ``run`` step's parameters receive the source or output of their own name;
    ``inputs: {parameter: name}`` gives one another (``def features(df)`` with
    ``inputs: {df: clean}``). A ``cmd`` step's ``inputs`` map names to the files they
    are written to.

    ``returns: frame`` (the default) means the step returns a DataFrame and gets a
    contract; ``returns: object`` allows anything else (a fitted model), with no
    contract. A ``cmd`` step's ``outputs`` map names to the files it writes; each is
    read back as a frame named ``<step>.<name>`` (or ``<step>`` when there is one).
    """

    name: str
    run: str | None = None
    cmd: str | None = None
    inputs: dict[str, str] = {}
    outputs: dict[str, str] = {}
    returns: Literal["frame", "object"] = "frame"
    timeout: Annotated[float, Field(gt=0)] = 600.0

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _identifier(value, "step name")

    @field_validator("run")
    @classmethod
    def _run(cls, value: str | None) -> str | None:
        if value is None:
            return value
        target, sep, func = value.rpartition(":")
        if not sep or not target or not func:
            raise ValueError(
                f"{value!r} is not FILE.py:FUNC or package.module:FUNC, e.g. pipeline.py:clean"
            )
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        if (self.run is None) == (self.cmd is None):
            raise ValueError("give exactly one of run: (a Python callable) or cmd: (a command)")
        if self.cmd is not None and not self.outputs:
            raise ValueError("a cmd: step needs outputs: {name: file} to read back and check")
        if self.run is not None and self.outputs:
            raise ValueError(
                "outputs: is for cmd: steps; a run: step's output is what it returns, "
                "named after the step"
            )
        return self


class PipelineStage(_Frozen):
    """The pipeline the check runs: sources, the sample, the steps in order."""

    sources: dict[str, str | Source]
    steps: list[Step]
    sample: Annotated[int, Field(ge=1)] = 2000
    target: str | None = None
    frame: FrameKind = "pandas"
    seed: int = 0
    contracts: str = "contracts"

    @field_validator("sources")
    @classmethod
    def _source_names(cls, value: dict[str, str | Source]) -> dict[str, str | Source]:
        if not value:
            raise ValueError("name at least one source, e.g. raw: data/raw.csv")
        for name in value:
            _identifier(name, "source name")
        return value

    @model_validator(mode="after")
    def _names_unique(self) -> PipelineStage:
        if not self.steps:
            raise ValueError("list at least one step, e.g. - {name: clean, run: pipeline.py:clean}")
        seen = set(self.sources)
        for step in self.steps:
            if step.name in seen:
                raise ValueError(
                    f"step name {step.name!r} is used twice (or is also a source); names "
                    "must be unique, as parameters are bound by name"
                )
            seen.add(step.name)
        return self

    def source(self, name: str) -> Source:
        """The source ``name`` as a ``Source`` (a bare path is one without a key)."""
        value = self.sources[name]
        return value if isinstance(value, Source) else Source(path=value)
