"""One SparkSession for every Spark test (the JVM takes 15-20 s to start here).

Without pyspark or Java the Spark tests skip, saying which is missing; on CI (``CI``
set) they fail instead, since CI installs both (``.ci/run``, the test extra).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[test]')"
    home = os.environ.get("JAVA_HOME")
    if not (home and Path(home, "bin", "java").exists()) and not shutil.which("java"):
        return "Java is not installed (Spark needs Java 17 or 21)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local[2] SparkSession, shared, without its web UI; stopped at the end."""
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the Spark tests must run on CI: {missing}")
        pytest.skip(missing)
    from mlgate.engines.spark import spark_session

    session = spark_session("local[2]")
    # Not UTC, so that a zoned timestamp's move to UTC is tested.
    session.conf.set("spark.sql.session.timeZone", "America/New_York")
    session.conf.set("spark.sql.shuffle.partitions", "4")
    yield session
    session.stop()
