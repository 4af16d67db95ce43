"""Atomic file output: a reader sees the old file or the whole new one, never half."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from mlgate.errors import InputError


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, renamed
    over it, so that a reader never sees half a file and a failed run leaves the old one.

    A path that is not a regular file is written in place: a pipe, a terminal or a
    device (``-o /dev/stdout``, a FIFO) cannot be replaced by a rename, and replacing
    it would leave a plain file in its stead. A symbolic link stays a link: the file it
    points to is the one replaced. Raises ``InputError`` (exit 2) when the folder does
    not exist or the file cannot be written.
    """
    target = Path(path)
    try:
        special = not stat.S_ISREG(target.stat().st_mode)
    except OSError:  # not there yet (or a dangling link): a new regular file
        special = False
    if special and not target.is_dir():
        _write_in_place(target, data)
        return
    if target.is_symlink():
        target = target.resolve()
    folder = target.parent if str(target.parent) else Path()
    if not folder.is_dir():
        raise InputError(f"cannot write {target}: folder {folder} does not exist; create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}") from None
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would have (or the
        # replaced file's), so that, e.g., a saved model is readable by a serving image's
        # non-root user.
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_in_place(target: Path, data: bytes) -> None:
    try:
        with target.open("wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # Linux reports it without changing it; elsewhere set and restore it at once.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
