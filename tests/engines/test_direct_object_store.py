"""The direct read's object-store path (``s3://``) against a real S3 endpoint: moto's
server on this machine, reached by pyarrow (footers, on the driver) and Polars (batches,
in the tasks) with credentials and endpoint from the environment, as docs/scale.md
says a cluster's nodes give them. Spark itself is not needed: its part, listing the
files, is ``inputFiles()``, which needs Hadoop's S3 connector (not available here)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import polars as pl
import pytest

from mlgate.data.profile import profile
from mlgate.engines import direct
from mlgate.engines.partials import Gatherer
from tests.conftest import make_table

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    if not os.environ.get("CI"):  # CI installs the test extra: a missing moto fails there
        pytest.importorskip("moto.server")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
    }.items():
        monkeypatch.setenv(name, value)
    import boto3

    boto3.client("s3").create_bucket(Bucket="events")
    return "events"


def _put(bucket: str, key: str, frame: pl.DataFrame) -> str:
    import boto3

    body = io.BytesIO()
    frame.write_parquet(body, row_group_size=300)
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body.getvalue())
    return f"s3://{bucket}/{key}"


def test_files_in_s3_are_read_and_profiled_as_the_same_files_on_disk(bucket, tmp_path):
    data = make_table(2_000)
    data = pl.concat([data, data.head(50)])  # duplicate rows, counted across files
    parts = [data.slice(0, 1_000), data.slice(1_000)]
    uris = [_put(bucket, f"day=1/part-{i}.parquet", p) for i, p in enumerate(parts)]
    assert [direct.local_or_remote(u) for u in uris] == uris
    scan = direct.layout(uris)
    assert scan is not None and scan.rows == data.height
    assert scan.groups == ((300, 300, 300, 100), (300, 300, 300, 150))
    plan = direct.plan_tasks(scan.batches(600), 3)
    out = direct.profile_tasks(iter(range(len(plan))), plan=plan, source="s3", send=10**6, dates=[])
    got = Gatherer("s3").add_all(payload for _, payload in out).result()
    local = tmp_path / "all.parquet"
    data.write_parquet(local)
    want = profile(local)
    assert got.rows == want.rows and got.names == want.names
    assert got.duplicates == want.duplicates and got.duplicates.rows == 50
    for a, b in zip(got.columns, want.columns, strict=True):
        assert (a.count, a.nulls, a.min, a.max) == (b.count, b.nulls, b.min, b.max), a.name
        assert a.distinct == b.distinct, a.name


def test_a_key_the_tasks_cannot_read_is_marked_for_the_driver(bucket):
    uri = f"s3://{bucket}/gone/part-0.parquet"
    assert direct.layout([uri]) is None  # the driver's footer read fails: Spark reads it
    with pytest.raises(direct.Unreadable) as caught:
        direct.read_batch(direct.Batch(uri, 0, 10))
    assert direct.unreadable_in(str(caught.value))[0] == uri
