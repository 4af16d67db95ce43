"""Atomic writes give files the mode a plain write would, not mkstemp's 0600."""

import os
import stat

import pytest

from mlgate._atomic import write_text_atomic


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_new_file_gets_the_mode_the_umask_allows(tmp_path):
    # A model saved 0600 cannot be read by a serving image's non-root user
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "report.json", "{}")
        os.umask(0o077)
        write_text_atomic(tmp_path / "private.json", "{}")
    finally:
        os.umask(old)
    assert mode(tmp_path / "report.json") == 0o644
    assert mode(tmp_path / "private.json") == 0o600


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "schema.yaml"
    path.write_text("old")
    path.chmod(0o640)
    write_text_atomic(path, "new")
    assert path.read_text() == "new" and mode(path) == 0o640
