"""Model artifacts that do not run code on load: scikit-learn models saved with skops.

A skops file names the type of every object in it; ``load_model`` builds only types
that come from scikit-learn, NumPy or SciPy and refuses a file that holds anything else.
A pickle (``.pkl``, ``.pickle``, ``.joblib``) runs whatever code it holds when it is
loaded, so it is refused unless the caller says it trusts the file (``--trust-pickle``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from mlgate._atomic import write_bytes_atomic
from mlgate.errors import InputError, MissingExtraError

SKOPS_SUFFIXES = (".skops",)
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
#: Top-level packages whose types a skops file may hold.
TRUSTED_PACKAGES = ("sklearn", "numpy", "scipy")


def save_model(model: Any, path: str | Path) -> Path:
    """Save ``model`` to ``path`` (a ``.skops`` file), atomically. Raises ``InputError``
    for a model holding types ``load_model`` would refuse (not from scikit-learn, NumPy
    or SciPy), before anything is written."""
    target = Path(path)
    if target.suffix not in SKOPS_SUFFIXES:
        raise InputError(
            f"{target}: save_model writes skops files; name it with the .skops extension"
        )
    sio = _skops()
    data = sio.dumps(model)
    # Refuse now what load_model would refuse later, when the model is already shipped.
    refused = sorted(t for t in sio.get_untrusted_types(data=data) if not is_trusted_type(t))
    if refused:
        raise InputError(
            f"{target}: the model holds types that are not from scikit-learn, NumPy or SciPy "
            f"({', '.join(refused)}), which mlgate refuses to load from a skops file; use "
            "their scikit-learn equivalents (a FunctionTransformer of a NumPy function, not "
            "a lambda or your own class), or save a pickle and load it with --trust-pickle"
        )
    write_bytes_atomic(target, data)
    return target


def load_model(path: str | Path, *, trust_pickle: bool = False) -> Any:
    """Load a model saved by ``save_model`` (or, with ``trust_pickle``, a pickle)."""
    source = Path(path)
    if not source.is_file():
        what = "is a folder" if source.is_dir() else "does not exist"
        raise InputError(f"model file {source} {what}; give the path of a saved .skops model")
    suffix = source.suffix.lower()
    if suffix in SKOPS_SUFFIXES:
        return _load_skops(source)
    if suffix in PICKLE_SUFFIXES:
        if not trust_pickle:
            raise InputError(
                f"{source}: refusing to load a pickle, because loading one runs whatever code "
                "it holds; save the model with mlgate.serving.save_model (skops), or pass "
                "--trust-pickle if you trust where this file came from"
            )
        return _load_pickle(source)
    raise InputError(
        f"{source}: unknown model format {suffix or '(no extension)'!r}; expected a .skops "
        f"file (or {', '.join(PICKLE_SUFFIXES)} with --trust-pickle)"
    )


def model_version(path: str | Path) -> str:
    """A version for a model file: the first 12 hex digits of its SHA-256."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def is_trusted_type(name: str) -> bool:
    """Whether a skops type name (``module.Qualname``) comes from a trusted package."""
    return name.split(".", 1)[0] in TRUSTED_PACKAGES


def _load_skops(path: Path) -> Any:
    sio = _skops()
    data = path.read_bytes()
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # zip and JSON errors of a damaged or foreign file
        raise InputError(
            f"{path}: not a readable skops file ({type(exc).__name__}: {exc}); save the "
            "model with mlgate.serving.save_model"
        ) from None
    refused = sorted(t for t in untrusted if not is_trusted_type(t))
    if refused:
        raise InputError(
            f"{path}: refusing to load types that are not from scikit-learn, NumPy or SciPy: "
            f"{', '.join(refused)}; build the model from those libraries only, or save it as "
            "a pickle and load it with --trust-pickle if you trust the file"
        )
    try:
        return sio.loads(data, trusted=list(untrusted))
    except Exception as exc:
        raise InputError(
            f"{path}: skops could not load the model ({type(exc).__name__}: {exc}); save it "
            "again with the scikit-learn version this environment has"
        ) from None


def _load_pickle(path: Path) -> Any:
    try:
        import joblib
    except ImportError:
        import pickle

        with path.open("rb") as fh:
            return pickle.load(fh)  # the caller said it trusts this file
    return joblib.load(path)


def _skops() -> Any:
    try:
        import skops.io
    except ImportError:
        raise MissingExtraError("skops", "serve") from None
    return skops.io
