"""Content digests of input files: what the report's ``run.inputs`` and cache keys name.

A digest is ``sha256:<64 hex digits>`` over the bytes of every file of a source, in path
order, each preceded by its length so that moving bytes between files changes it. It
names content, not paths: the same data copied elsewhere has the same digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

_CHUNK = 1 << 20


def file_digest(paths: Iterable[str | Path]) -> str:
    """SHA-256 of the files' contents, in sorted path order.

    Raises ``OSError`` when a file cannot be read; callers that take user input turn it
    into an ``InputError`` naming the file.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        with path.open("rb") as fh:
            digest.update(path.stat().st_size.to_bytes(8, "little"))
            for chunk in iter(lambda fh=fh: fh.read(_CHUNK), b""):
                digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


def text_digest(*parts: str) -> str:
    """SHA-256 of text parts (a config, a commit), separated so that parts cannot run together."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return f"sha256:{digest.hexdigest()}"
