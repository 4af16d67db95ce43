import threading

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlgate.data import io
from mlgate.data.profile import profile
from tests.conftest import make_table


@pytest.mark.parametrize(
    ("groups", "batch", "plan"),
    [
        ([], 10, []),
        ([3, 3, 3, 3], 10, [(0, 9), (9, 3)]),
        ([10, 10], 10, [(0, 10), (10, 10)]),
        ([25], 10, [(0, 9), (9, 9), (18, 7)]),
        ([4, 25, 4], 10, [(0, 4), (4, 9), (13, 9), (22, 7), (29, 4)]),
        ([0, 5, 0, 5, 1], 10, [(0, 10), (10, 1)]),
    ],
)
def test_slice_plan_gathers_small_row_groups_and_cuts_large_ones(groups, batch, plan):
    assert io.slice_plan(groups, batch) == plan
    covered = [r for offset, rows in plan for r in range(offset, offset + rows)]
    assert covered == list(range(sum(groups)))


def test_slice_plan_never_exceeds_the_batch_whatever_the_layout():
    for groups in ([1_048_576] * 5, [5_000_000], [121_952] * 41, [7] * 1_000):
        plan = io.slice_plan(groups, 250_000)
        assert max(rows for _, rows in plan) <= 250_000
        assert sum(rows for _, rows in plan) == sum(groups)


def _write_row_groups(path, table: pl.DataFrame, row_group_size: int) -> None:
    pq.write_table(table.to_arrow(), path, row_group_size=row_group_size)


@pytest.mark.parametrize("row_group_size", [700, 2_500, 20_000])
def test_parquet_batches_are_bounded_by_the_batch_whatever_the_row_groups(
    tmp_path, monkeypatch, row_group_size
):
    # pyarrow's default row groups hold a million rows; Polars' own reader decoded them
    # whole and read ahead, holding more than the file's size in memory.
    monkeypatch.setattr(io, "BATCH_ROWS", 1_000)
    table = make_table(6_000)
    _write_row_groups(tmp_path / "t.parquet", table, row_group_size)
    batches = list(io.iter_batches(io.resolve(tmp_path / "t.parquet")))
    assert max(b.height for b in batches) <= 1_000
    assert pl.concat(batches).equals(table)


def test_a_folder_of_parquet_files_is_read_in_order_across_files(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "BATCH_ROWS", 1_000)
    table = make_table(5_000).with_row_index("row")
    for i, (start, rows, group) in enumerate(
        [(0, 1_700, 300), (1_700, 2_900, 2_900), (4_600, 400, 50)]
    ):
        _write_row_groups(tmp_path / f"part-{i}.parquet", table.slice(start, rows), group)
    got = io.read_all(io.resolve(tmp_path))
    assert got.equals(table)
    assert profile(tmp_path).rows == 5_000


def test_parquet_reading_runs_one_batch_ahead_in_a_helper_thread(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "BATCH_ROWS", 1_000)
    _write_row_groups(tmp_path / "t.parquet", make_table(5_000), 5_000)
    readers: set[str] = set()
    real = io._read_ahead

    def watched(jobs):
        def note(job):
            def run():
                readers.add(threading.current_thread().name)
                return job()

            return run

        return real(note(j) for j in jobs)

    monkeypatch.setattr(io, "_read_ahead", watched)
    assert sum(b.height for b in io.iter_batches(io.resolve(tmp_path / "t.parquet"))) == 5_000
    assert readers and all(name.startswith("mlgate-read") for name in readers)


def test_an_empty_parquet_file_keeps_its_columns(tmp_path):
    pq.write_table(pa.table({"x": pa.array([], pa.int64())}), tmp_path / "e.parquet")
    batches = list(io.iter_batches(io.resolve(tmp_path / "e.parquet")))
    assert [b.columns for b in batches] == [["x"]]
    assert sum(b.height for b in batches) == 0


@pytest.mark.parametrize("spelled_nan", [False, True])
def test_csv_types_are_inferred_once_and_then_given_to_the_reader(
    tmp_path, monkeypatch, spelled_nan
):
    # A CSV scan left to infer its types infers them again at every collect: 1.9 s each
    # for a 2,000-column file. The scan mlgate reads from is given the types it found
    # (with any column of spelled NaN made a float), so nothing is inferred twice.
    path = tmp_path / "t.csv"
    nan = "nan" if spelled_nan else "0.5"
    path.write_text(f"id,x,word\n1,{nan},a\n2,1.5,b\n")
    calls: list[dict] = []
    scan_csv = pl.scan_csv

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return scan_csv(*args, **kwargs)

    monkeypatch.setattr(pl, "scan_csv", spy)
    frame = io.read_all(io.resolve(str(path)))
    assert frame.schema == {"id": pl.Int64, "x": pl.Float64, "word": pl.String}
    assert "schema" not in calls[0]  # the one inference
    assert all("schema" in c and "infer_schema_length" not in c for c in calls[1:])
    assert len(calls) == (3 if spelled_nan else 2)


def test_a_file_uri_names_a_local_file(tmp_path):
    path = tmp_path / "a table.parquet"
    make_table(50).write_parquet(path)
    source = io.resolve(f"file://{str(path).replace(' ', '%20')}")
    assert source.paths == (path,)
    assert profile(f"file://{str(path).replace(' ', '%20')}").rows == 50


def test_a_quoted_field_over_several_lines_at_the_end_is_not_a_cut_file(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text('id,note,score\n1,plain,3\n2,"two\nlines",4\n')
    frame = io.read_all(io.resolve(str(path)))
    assert frame.height == 2 and frame.get_column("note").to_list() == ["plain", "two\nlines"]
