"""Content digests of input files: what the report's ``run.inputs`` and cache keys name.

A digest is ``blake3:<64 hex digits>`` over the bytes of every file of a source, in path
order, each preceded by its length so that moving bytes between files changes it. It
names content, not paths: the same data copied elsewhere has the same digest.

Why BLAKE3 (O'Connor, Aumasson, Neves and Wilcox-O'Hearn, 2020; the ``blake3`` package)
and not SHA-256, which mlgate used until 2026-12-01: every input is hashed in full on
every run, and SHA-256 took 0.35 s of CPU per 400 MB file here (OpenSSL), BLAKE3 0.12 s,
a twentieth of ``check data``'s CPU on two such files. Both are cryptographic hashes;
the prefix names the algorithm, and a digest saved with the other one (a baseline's)
is checked with its own (``matches``).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20

#: Digests started ahead (``digest_ahead``), by the files' paths, sizes and times.
_ahead: dict[tuple[tuple[str, int, int], ...], _Pending] = {}
_ahead_lock = threading.Lock()


class _Pending:
    """A digest being computed in a thread: ``get`` waits for it (``concurrent.futures``
    would cost start-up time where Polars is not imported)."""

    def __init__(self, paths: list[Path]) -> None:
        self._paths = paths
        self._digest: str | None = None
        self._thread = threading.Thread(target=self._run, name="mlgate-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # A file that cannot be read is read again by file_digest, which reports it.
        with contextlib.suppress(OSError):
            self._digest = _compute(self._paths)

    def get(self) -> str | None:
        """The digest, or None if the thread could not read a file."""
        self._thread.join()
        return self._digest


def _stamp(paths: Iterable[str | Path]) -> tuple[tuple[str, int, int], ...]:
    """Each file's path, size and modification time: a digest started ahead is used only
    if none of them changed since (raises ``OSError`` for a file that cannot be read)."""
    out = []
    for path in sorted(Path(p) for p in paths):
        st = path.stat()
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


def digest_ahead(paths: Iterable[str | Path]) -> None:
    """Start the files' digest in a background thread, for ``file_digest`` to collect.

    Hashing a large input costs about a third of reading it (0.12 s for 400 MB); the
    hash releases the GIL on large blocks, so done while the data is profiled, it costs
    little wall time. A file that cannot be read is left to ``file_digest`` to report.
    The thread is a daemon: a run that fails early does not wait for it.
    """
    try:
        key = _stamp(paths)
    except OSError:
        return
    with _ahead_lock:
        if key not in _ahead:  # started already (``digest_files_ahead``): hash once
            _ahead[key] = _Pending([Path(p) for p, _, _ in key])


def digest_files_ahead(*names: object) -> None:
    """``digest_ahead`` for each of ``names`` that is the path of one regular file.

    For a command-line entry point, before it imports the libraries that read the files
    (0.3 s in which one core would idle): the digests then run beside the imports.
    Folders, globs and in-memory tables are left to ``runinfo.digest_data_ahead``,
    which resolves them as the reader does.
    """
    for name in names:
        if not isinstance(name, (str, Path)) or any(ch in str(name) for ch in "*?["):
            continue
        path = Path(name)
        try:
            regular = path.is_file()
        except (OSError, ValueError):  # a name the OS refuses: the reader reports it
            continue
        if regular:
            digest_ahead([path])


#: The algorithm of new file digests, and the prefix that names it.
ALGORITHM = "blake3"
#: Algorithms a saved digest may name: BLAKE3, and SHA-256 (mlgate's until 2026-12-01).
ALGORITHMS = ("blake3", "sha256")


def file_digest(paths: Iterable[str | Path], *, algorithm: str = ALGORITHM) -> str:
    """The digest of the files' contents, in sorted path order (``blake3:<hex>``, or
    ``sha256:<hex>`` with ``algorithm="sha256"``), collected from ``digest_ahead`` when
    it was started for the same, unchanged files.

    Raises ``OSError`` when a file cannot be read (callers that take user input turn it
    into an ``InputError`` naming the file), ``ValueError`` for an algorithm not in
    ALGORITHMS.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown digest algorithm {algorithm!r}")
    paths = list(paths)
    digest = None
    if algorithm == ALGORITHM:
        with _ahead_lock:
            pending = _ahead.pop(_stamp(paths), None) if _ahead else None
        digest = pending.get() if pending is not None else None
    # A file the thread could not read is read again here, so the error is this call's.
    return digest or _compute(sorted(Path(p) for p in paths), algorithm)


def matches(digest: object, paths: Iterable[str | Path]) -> bool:
    """Whether ``digest`` (``<algorithm>:<hex>``, as saved by this or an earlier mlgate)
    is the digest of the files now, computed with the algorithm it names; False for an
    algorithm mlgate does not know, or for a saved value that is no text at all (a
    damaged file's null). Raises ``OSError`` when a file cannot be read."""
    if not isinstance(digest, str):
        return False
    algorithm = digest.partition(":")[0]
    return algorithm in ALGORITHMS and file_digest(paths, algorithm=algorithm) == digest


def _compute(paths: list[Path], algorithm: str = ALGORITHM) -> str:
    if algorithm == "blake3":
        from blake3 import blake3

        digest: Any = blake3()
    else:
        digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    for path in paths:
        with path.open("rb", buffering=0) as fh:
            digest.update(path.stat().st_size.to_bytes(8, "little"))
            while size := fh.readinto(buffer):
                digest.update(view[:size])
    return f"{algorithm}:{digest.hexdigest()}"


def text_digest(*parts: str) -> str:
    """SHA-256 of text parts (a config, a commit), separated so that parts cannot run
    together: short texts for cache keys, where the hash's speed does not matter."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return f"sha256:{digest.hexdigest()}"
