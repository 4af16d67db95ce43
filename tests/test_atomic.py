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


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and links are POSIX")
def test_a_pipe_is_written_through_not_replaced(tmp_path):
    # -o /dev/stdout, a FIFO or a device: a rename would leave a plain file in its place
    # (it replaced /dev/full once), and a reader of the pipe would get nothing.
    import threading

    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_text_atomic(fifo, "the report\n")
    reader.join(timeout=10)
    assert got == [b"the report\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pipe"]


@pytest.mark.skipif(os.name != "posix", reason="links are POSIX")
def test_a_link_stays_a_link_and_its_file_is_replaced(tmp_path):
    (tmp_path / "reports").mkdir()
    real = tmp_path / "reports" / "latest.md"
    real.write_text("old\n")
    link = tmp_path / "report.md"
    link.symlink_to(real)
    write_text_atomic(link, "new\n")
    assert link.is_symlink() and link.readlink() == real
    assert real.read_text() == "new\n"
    dangling = tmp_path / "next.md"
    dangling.symlink_to(tmp_path / "reports" / "next-real.md")
    write_text_atomic(dangling, "first\n")
    assert (
        dangling.is_symlink() and (tmp_path / "reports" / "next-real.md").read_text() == "first\n"
    )
