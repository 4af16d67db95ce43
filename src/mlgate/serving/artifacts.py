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
    """Unpickle ``path`` (the caller said it trusts it). A pickle that does not load here
    is the user's input, not a bug: raises InputError naming what it needs (a module
    that is missing, the library version that saved it)."""
    import pickle

    try:
        try:
            import joblib
        except ImportError:
            with path.open("rb") as fh:
                return pickle.load(fh)
        return joblib.load(path)
    except Exception as exc:  # only the file and the libraries it names run in here
        raise InputError(_pickle_error(path, exc)) from None


def _pickle_error(path: Path, exc: Exception) -> str:
    """One line: why the pickle at ``path`` does not load here and what to do."""
    saved = _pickled_versions(path)
    if isinstance(exc, ImportError | AttributeError):
        missing = getattr(exc, "name", None) or ""
        package = (missing or str(exc)).split(".")[0].strip("'\" ")
        installed = _installed_version(package) if package else None
        if isinstance(exc, ModuleNotFoundError) and installed is None and package:
            return (
                f"{path}: the model needs the package {package!r}, which is not installed "
                f"here; install it (pip install {package}), with the version that saved the "
                "model"
            )
        what = f"{package} {installed}" if installed else "the libraries installed here"
        made = (
            "; it was saved with " + ", ".join(f"{k} {v}" for k, v in sorted(saved.items()))
            if saved
            else ""
        )
        pins = " ".join(f"{_DIST.get(k, k)}=={v}" for k, v in sorted(saved.items()))
        fix = f"pip install {pins}" if pins else "the library versions that saved it"
        return (
            f"{path}: the pickle does not load with {what} ({type(exc).__name__}: {exc})"
            f"{made}; load it with {fix}, or save it again (as skops) with the versions here"
        )
    return (
        f"{path}: not a readable pickle ({type(exc).__name__}: {exc}); give the file the "
        "model was saved to"
    )


#: Version keys estimators put in their pickled state, and the package each names.
_VERSION_KEYS = {"_sklearn_version": "sklearn"}
_DIST = {"sklearn": "scikit-learn"}


def _pickled_versions(path: Path) -> dict[str, str]:
    """The library versions a pickle records (scikit-learn's ``_sklearn_version``), read
    from its opcodes without loading it; {} for a file that is no plain pickle."""
    import pickletools

    found: dict[str, str] = {}
    pending: str | None = None
    try:
        with path.open("rb") as fh:
            for op, arg, _ in pickletools.genops(fh):
                if not isinstance(arg, str) or (
                    "STRING" not in op.name and "UNICODE" not in op.name
                ):
                    continue
                if pending is not None:
                    found.setdefault(pending, arg)
                    pending = None
                elif arg in _VERSION_KEYS:
                    pending = _VERSION_KEYS[arg]
    except Exception:  # a hint only: a compressed or odd file gives none, never an error
        return found
    return found


def _installed_version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(_DIST.get(package, package))
    except metadata.PackageNotFoundError:
        return None


def _skops() -> Any:
    try:
        import skops.io
    except ImportError:
        raise MissingExtraError("skops", "serve") from None
    return skops.io
