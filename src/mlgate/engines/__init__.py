"""Engines that make profiles: ``polars`` (the default, in this process) and ``spark``
(distributed: the same batch profiler in every partition, merged on the driver).

Importing this package is cheap: the Spark engine is imported only when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlgate.errors import InputError

POLARS, SPARK = "polars", "spark"
ENGINES = (POLARS, SPARK)


@dataclass(frozen=True)
class Engine:
    """Which engine profiles the data, and for Spark which master to use (None: the
    active SparkSession, else local mode on every core).

    Raises ``InputError`` for an unknown engine, or a master given to Polars.
    """

    name: str = POLARS
    spark_master: str | None = None

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise InputError(f"engine {self.name!r} is not known; use one of {', '.join(ENGINES)}")
        if self.spark_master is not None and self.name != SPARK:
            raise InputError("--spark-master applies to the Spark engine only; add --engine spark")

    @property
    def is_spark(self) -> bool:
        return self.name == SPARK
