"""Digests started ahead (while data is profiled) are the digests computed on demand, and
never stale: a file changed in between is read again."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from blake3 import blake3

from mlgate import _digest
from mlgate._digest import digest_ahead, file_digest


def _expected(*paths: Path, algorithm: str = "blake3") -> str:
    digest = blake3() if algorithm == "blake3" else hashlib.sha256()
    for path in sorted(paths):
        data = path.read_bytes()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return f"{algorithm}:{digest.hexdigest()}"


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


def test_digests_name_their_algorithm_and_a_saved_sha256_one_still_matches(tmp_path: Path) -> None:
    # Files are digested with BLAKE3 since 2026-12-01; a baseline saved before holds
    # SHA-256 digests, which are checked with SHA-256.
    path = tmp_path / "predictions.csv"
    path.write_bytes(b"id,p\n" + b"1,0.5\n" * 70_000)  # over one read chunk
    new, old = file_digest([path]), file_digest([path], algorithm="sha256")
    assert new == _expected(path) and new.startswith("blake3:") and len(new) == 7 + 64
    assert old == _expected(path, algorithm="sha256")
    assert _digest.matches(new, [path]) and _digest.matches(old, [path])
    path.write_bytes(b"id,p\n1,0.6\n")
    assert not _digest.matches(new, [path]) and not _digest.matches(old, [path])
    assert not _digest.matches("md5:" + "0" * 32, [path])  # an algorithm mlgate never used
    with pytest.raises(ValueError, match="md5"):
        file_digest([path], algorithm="md5")
