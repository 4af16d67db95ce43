"""Standard output is the report's alone.

A command that writes a report (``--format json`` piped into another tool) runs user
code on the way: a training spec's ``print()``, a C extension writing to its stdout, a
subprocess it starts. Any of them landing on standard output would corrupt the report.
``report_command`` therefore runs the command with standard output pointed at standard
error, at both levels: ``sys.stdout`` is ``sys.stderr``, and file descriptor 1 is a
duplicate of descriptor 2 (what C code and child processes write to). The report goes
to the saved descriptor through ``report_stream()``. Everything is restored in a
``finally``.

The redirection starts when the command's callback runs, after click parsed the
arguments, so ``--help``, ``--version`` and usage errors print as click prints them.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")

_REPORT_STREAM: ContextVar[IO[str] | None] = ContextVar("mlgate_report_stream", default=None)


def report_stream() -> IO[str]:
    """Where the report goes: standard output as it was when the command started (or
    ``sys.stdout``, outside a ``report_command``)."""
    return _REPORT_STREAM.get() or sys.stdout


def report_command(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a click command's callback with its standard output kept for the report."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        refuse_output_over_input(kwargs)
        with stdout_for_report() as stream:
            token = _REPORT_STREAM.set(stream)
            try:
                return func(*args, **kwargs)
            finally:
                _REPORT_STREAM.reset(token)

    return wrapper


def refuse_output_over_input(params: dict[str, object]) -> None:
    """Refuse an ``output`` (``-o``) that is one of the command's input files: the
    report, profile or schema would replace the data it was made from. Raises
    ``InputError`` (exit 2) before any work is done."""
    output = params.get("output")
    if not isinstance(output, str) or not _is_file(output):
        return
    for name, value in params.items():
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if name == "output" or not isinstance(item, str) or not _is_file(item):
                continue
            if Path(output).samefile(item):
                from mlgate.errors import InputError

                raise InputError(
                    f"-o {output} is also an input ({item}): writing there would replace "
                    "it; write the output to another file"
                )


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a name the OS refuses: the command reports it
        return False


@contextlib.contextmanager
def stdout_for_report() -> Iterator[IO[str]]:
    """Point standard output (``sys.stdout`` and descriptor 1) at standard error for
    the duration; yield a stream to what standard output was.

    Where descriptor 1 or 2 is closed or cannot be duplicated, only ``sys.stdout`` is
    redirected. Never raises for the redirection itself.
    """
    original = sys.stdout
    _flush(original)
    _flush(sys.stderr)
    saved: int | None = None
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:
        if saved is not None:
            os.close(saved)
        saved = None
    stream: IO[str] = original
    own: io.TextIOWrapper | None = None
    if saved is not None and _fileno(original) == 1:
        # sys.stdout writes to descriptor 1, which now reaches stderr: write the report
        # to the saved descriptor instead, encoded as sys.stdout would have.
        own = io.TextIOWrapper(
            io.FileIO(saved, "w", closefd=False),
            encoding=getattr(original, "encoding", None) or "utf-8",
            errors=getattr(original, "errors", None) or "strict",
            write_through=True,
        )
        stream = own
    sys.stdout = sys.stderr
    try:
        yield stream
    finally:
        sys.stdout = original
        # What user code buffered in the streams of descriptor 1 (sys.stdout as it was,
        # sys.__stdout__, C's stdio) is written now, while descriptor 1 is stderr, not
        # after the report at exit.
        _flush(original)
        _flush(sys.__stdout__)
        _flush_c_stdio()
        if own is not None:
            _flush(own)
            own.detach()
        if saved is not None:
            _flush(sys.stderr)
            os.dup2(saved, 1)
            os.close(saved)


def _fileno(stream: Any) -> int | None:
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None


def _flush(stream: Any) -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        stream.flush()


def _flush_c_stdio() -> None:
    """Flush the C library's stdio buffers (``printf`` in an extension, where the C
    library buffers it), so that what they hold goes to stderr now rather than to the
    restored stdout at exit."""
    if os.name != "posix":
        return
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass
