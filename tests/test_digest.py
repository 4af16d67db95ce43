"""Digests started ahead (while data is profiled) are the digests computed on demand, and
never stale: a file changed in between is read again."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from mlgate import _digest
from mlgate._digest import digest_ahead, file_digest


def _expected(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        data = path.read_bytes()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return f"sha256:{digest.hexdigest()}"


def test_digest_started_ahead_is_the_same(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(b"x\n1\n" * 100_000)
    b.write_bytes(b"x\n2\n")
    digest_ahead([b, a])
    key = _digest._stamp([a, b])
    assert key in _digest._ahead  # the pending digest is registered
    assert file_digest([a, b]) == _expected(a, b)
    assert key not in _digest._ahead  # and collected once


def test_a_file_changed_after_the_start_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("x\n1\n")
    digest_ahead([path])
    path.write_text("x\n1\n2\n")
    os.utime(path, ns=(1, 1))  # a new size and time: the started digest is not this file's
    assert file_digest([path]) == _expected(path)


def test_a_missing_file_still_raises(tmp_path: Path) -> None:
    path = tmp_path / "gone.csv"
    digest_ahead([path])  # nothing to start: the reader reports it
    with pytest.raises(OSError):
        file_digest([path])


def test_files_named_on_the_command_line_are_hashed_once(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(b"x\n1\n" * 50_000)
    folder = tmp_path / "parts"
    folder.mkdir()
    _digest.digest_files_ahead(data, folder, str(tmp_path / "*.csv"), tmp_path / "gone.csv")
    key = _digest._stamp([data])
    started = _digest._ahead[key]
    mine = [k for k in _digest._ahead if k[0][0].startswith(str(tmp_path))]
    assert mine == [key]  # the folder, the glob and the missing file are left
    digest_ahead([data])  # the data gate's own start, later: the same digest is kept
    assert _digest._ahead[key] is started
    assert file_digest([data]) == _expected(data)
    assert key not in _digest._ahead
