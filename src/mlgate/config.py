"""mlgate.yaml: the gate's configuration, validated into frozen typed objects.

Paths in the file are relative to the file's own folder. Errors name the file, the
line and the key (see ``mlgate._yaml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from mlgate._yaml import load_model
from mlgate.codes import is_known_code_or_prefix, unknown_code_message
from mlgate.pipeline.config import PipelineStage
from mlgate.serving import defaults

CONFIG_NAME = "mlgate.yaml"
Severity = Literal["ignore", "warn", "fail"]
Format = Literal["text", "json", "markdown", "junit", "html"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataStage(_Frozen):
    reference: str
    current: str
    schema_file: str | None = Field(default=None, alias="schema")
    target: str | None = None
    mode: Literal["drift", "skew"] = "drift"
    #: What profiles the data: polars, or spark (docs/scale.md), on ``spark_master``.
    engine: Literal["polars", "spark"] = "polars"
    spark_master: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("spark_master")
    @classmethod
    def _master_needs_spark(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("engine") != "spark":
            raise ValueError("applies to engine: spark only; add engine: spark")
        return value


class TrainingStage(_Frozen):
    entrypoint: str
    steps: Annotated[int, Field(ge=1)] = 100
    epochs: Annotated[int, Field(ge=1)] | None = None
    time_limit: Annotated[float, Field(gt=0)] = 120.0
    seed: int = 0


class ServingBudgets(_Frozen):
    """What the served model must meet; a latency budget left out is not checked."""

    latency_p50_ms: Annotated[float, Field(gt=0)] | None = None
    latency_p95_ms: Annotated[float, Field(gt=0)] = defaults.LATENCY_P95_MS
    latency_p99_ms: Annotated[float, Field(gt=0)] | None = None
    min_throughput: Annotated[float, Field(ge=0)] = defaults.MIN_THROUGHPUT


class ServingStage(_Frozen):
    """``mlgate check serving`` on a model mlgate starts with gunicorn."""

    model: str
    data: str
    schema_file: str | None = Field(default=None, alias="schema")
    target: str | None = None
    trust_pickle: bool = False
    workers: Annotated[int, Field(ge=1)] = defaults.WORKERS
    timeout: Annotated[float, Field(gt=0)] = defaults.TIMEOUT_S
    max_rows: Annotated[int, Field(ge=1)] = defaults.MAX_ROWS
    timing_requests: Annotated[int, Field(ge=1)] = defaults.TIMING_REQUESTS
    budgets: ServingBudgets = ServingBudgets()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ModelBudgets(_Frozen):
    """What the model must meet besides its metrics; a budget left out is not checked."""

    latency_p95_ms: Annotated[float, Field(gt=0)] | None = None
    max_size_mb: Annotated[float, Field(gt=0)] | None = None


class InvarianceTest(_Frozen):
    column: str
    values: list[Any] = []
    max_changed: Annotated[float, Field(ge=0, le=1)] = 0.0


class DirectionTest(_Frozen):
    column: str
    increase: float
    of: Any = None
    expect: Literal["not_lower", "not_higher"] = "not_lower"
    tolerance: Annotated[float, Field(ge=0)] = 1e-9
    max_violations: Annotated[float, Field(ge=0, le=1)] = 0.0

    @field_validator("increase")
    @classmethod
    def _nonzero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("must not be 0: the column must change")
        return value


class BehaviourCase(_Frozen):
    row: dict[str, Any]
    expect: Any


class BehaviourTests(_Frozen):
    """``model.behaviour``: invariance, direction and expected-label cases."""

    invariance: list[InvarianceTest] = []
    direction: list[DirectionTest] = []
    cases: list[BehaviourCase] = []
    rows: Annotated[int, Field(ge=1)] = 1000


class ModelStage(_Frozen):
    """``mlgate check model`` against main's baseline (see docs/model-gate.md).

    ``model``: a .skops file, ``FILE.py:FUNC`` or a predictions file; ``build``: a shell
    command, run in the config's folder, that writes it (before the stage, and in main's
    worktree for ``mlgate run --baseline REF``); ``baseline``: a folder from ``mlgate
    baseline save`` or main's model file, used when no ``--baseline REF`` is given.
    """

    model: str
    data: str
    target: str | None = None
    task: Literal["classification", "regression"] | None = None
    primary: str | None = None
    gate: list[str] = []
    metrics: list[str] | None = None
    margins: dict[str, Annotated[float, Field(ge=0, lt=1)]] = {}
    floors: dict[str, float] = {}
    slices: list[str] = []
    slice_bins: Annotated[int, Field(ge=2)] = 4
    min_slice_rows: Annotated[int, Field(ge=1)] = 30
    seed: int = 0
    baseline: str | None = None
    train_data: str | None = None
    behaviour: BehaviourTests = BehaviourTests()
    build: str | None = None
    build_timeout: Annotated[float, Field(gt=0)] = 1800.0
    id_column: str = "row_id"
    trust_pickle: bool = False
    cache: str = ".mlgate/cache"
    budgets: ModelBudgets = ModelBudgets()

    @field_validator("primary", "gate", "metrics", "margins", "floors")
    @classmethod
    def _known_metrics(cls, value: object) -> object:
        from mlgate.evaluation.metrics import METRICS

        names = [value] if isinstance(value, str) else list(value or [])
        for name in names:
            if name not in METRICS:
                raise ValueError(f"unknown metric {name!r}; the metrics are {', '.join(METRICS)}")
        return value


def _known_code(code: str) -> str:
    if not is_known_code_or_prefix(code):
        raise ValueError(unknown_code_message(code))
    return code


class ReportOutput(_Frozen):
    format: Format
    path: str


class Config(_Frozen):
    data: DataStage | None = None
    training: TrainingStage | list[TrainingStage] | None = None
    serving: ServingStage | None = None
    model: ModelStage | None = None
    pipeline: PipelineStage | None = None

    def training_stages(self) -> list[TrainingStage]:
        """The training stages, whether the file gives one or a list."""
        if self.training is None:
            return []
        return self.training if isinstance(self.training, list) else [self.training]

    severity: dict[Annotated[str, AfterValidator(_known_code)], Severity] = {}
    reports: list[ReportOutput] = []


def load_config(path: str | Path) -> tuple[Config, Path]:
    """The config and the folder its relative paths are resolved against."""
    path = Path(path)
    return load_model(path, Config, what="config"), path.resolve().parent
