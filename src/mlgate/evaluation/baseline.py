"""Main's side of the comparison: per-row predictions, saved in a folder and cached.

A baseline folder (written by ``mlgate baseline save DIR``, and the same layout as a
cache entry ``.mlgate/cache/<key>/``) holds:

- ``predictions.parquet``: the row id, ``prediction`` and ``proba_<class>`` columns;
- ``baseline.json``: what they are the predictions of (model digest, commit, the
  evaluation data's digest, the target, the id column, the predictions' own digest);
- ``model<suffix>``: a copy of the model file, when the model was a file, so that the
  baseline can re-score evaluation rows a pull request changed.

A folder is trusted only when ``baseline.json`` parses, names the format this mlgate
writes, and the predictions file has the digest it records; a cache entry must also
carry the key it is stored under. Anything else is recomputed, never used.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlgate._digest import file_digest, matches
from mlgate.errors import InputError
from mlgate.evaluation.predictions import EvalData, ModelOutput, read_predictions, write_predictions

FORMAT = 1
META = "baseline.json"
PREDICTIONS = "predictions.parquet"
DEFAULT_CACHE = Path(".mlgate") / "cache"


@dataclass(frozen=True)
class BaselineMeta:
    """``baseline.json``: what a folder's predictions are the predictions of."""

    data_digest: str
    predictions_digest: str
    target: str
    id_column: str
    rows: int
    source: str
    model_digest: str | None = None
    model_file: str | None = None
    commit: str | None = None
    key: str | None = None

    def to_json(self) -> str:
        from mlgate import __version__

        return (
            json.dumps({"format": FORMAT, "mlgate": __version__, **self.__dict__}, indent=2) + "\n"
        )


def save_baseline(
    folder: Path,
    output: ModelOutput,
    data: EvalData,
    *,
    model_path: str | None = None,
    commit: str | None = None,
    key: str | None = None,
) -> Path:
    """Write a baseline folder atomically: built beside it, then renamed into place, so a
    failed save leaves the previous folder whole. Returns ``folder``."""
    folder = Path(folder)
    _check_replaceable(folder)
    parent = folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
        # mkdtemp's 0700 would keep a CI job's other users (a serving image) out.
        work.chmod(0o777 & ~_umask())
    except OSError as exc:
        raise InputError(f"cannot write the baseline to {folder}: {exc.strerror}") from None
    try:
        write_predictions(output, data.ids, work / PREDICTIONS, data.id_column)
        model_file = None
        if model_path is not None:
            model_file = "model" + Path(model_path).suffix.lower()
            shutil.copyfile(model_path, work / model_file)
        meta = BaselineMeta(
            data_digest=data.digest,
            predictions_digest=file_digest([work / PREDICTIONS]),
            target=data.target,
            id_column=data.id_column,
            rows=data.rows,
            source=output.source,
            model_digest=output.digest,
            model_file=model_file,
            commit=commit,
            key=key,
        )
        (work / META).write_text(meta.to_json(), encoding="utf-8")
        _replace_folder(work, folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return folder


def _check_replaceable(folder: Path) -> None:
    """Refuse to replace anything but an empty folder or an earlier baseline: the folder
    is replaced whole, and a user's files must never go with it."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: is a file; give a folder for the baseline")
    if Path.cwd().resolve().is_relative_to(folder.resolve()):
        raise InputError(
            f"{folder}: is the working folder (or holds it); give a folder of its own for "
            "the baseline, e.g. baselines/main"
        )
    if folder.is_dir() and any(folder.iterdir()) and not (folder / META).is_file():
        raise InputError(
            f"{folder}: holds files and no {META}, so it is not an earlier baseline; the "
            "baseline replaces the whole folder: give an empty or new folder"
        )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _replace_folder(new: Path, folder: Path) -> None:
    """Put ``new`` at ``folder``. An old folder is moved aside first, put back if the
    move fails, and removed once the new one is in place."""
    if not folder.exists():
        new.replace(folder)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
    folder.replace(aside / "old")
    try:
        new.replace(folder)
    except OSError:
        (aside / "old").replace(folder)
        raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def read_meta(folder: Path, *, key: str | None = None) -> BaselineMeta:
    """The folder's ``baseline.json``, checked against its predictions file.

    Raises ``InputError`` saying what is wrong: no or unreadable ``baseline.json``,
    another format, a predictions file whose digest differs (changed or truncated), or
    (with ``key``) a cache entry stored under another key.
    """
    path = folder / META
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{folder}: no {META}; it is not a folder written by 'mlgate baseline save'"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: unreadable ({type(exc).__name__}); save the baseline again"
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise InputError(f"{path}: not a baseline of format {FORMAT}; save the baseline again")
    fields = set(BaselineMeta.__dataclass_fields__)
    try:
        meta = BaselineMeta(**{k: v for k, v in raw.items() if k in fields})
    except TypeError as exc:
        raise InputError(f"{path}: incomplete ({exc}); save the baseline again") from None
    if key is not None and meta.key != key:
        raise InputError(f"{folder}: stored under key {meta.key}, not {key}")
    try:
        # With the algorithm the digest names: a baseline saved before 2026-12-01 has
        # SHA-256 digests (``mlgate._digest``).
        intact = matches(meta.predictions_digest, [folder / PREDICTIONS])
    except OSError:
        raise InputError(f"{folder}: no readable {PREDICTIONS}; save the baseline again") from None
    if not intact:
        raise InputError(
            f"{folder / PREDICTIONS}: its digest differs from the one {META} records (the file "
            "changed or is damaged); save the baseline again"
        )
    return meta


def load_baseline(
    folder: Path, data: EvalData, *, trust_pickle: bool, key: str | None = None
) -> tuple[ModelOutput, str]:
    """Main's predictions on ``data`` from a baseline folder, and how they were obtained.

    When the folder's predictions were made on other evaluation data (another digest),
    its model copy re-scores the current rows. Raises ``InputError`` when the folder is
    corrupt or neither its predictions nor a model fit ``data``.
    """
    from mlgate.evaluation.predictions import predict_with_model_file

    meta = read_meta(folder, key=key)
    if meta.target != data.target:
        raise InputError(
            f"{folder}: the baseline predicts {meta.target!r}, not the target {data.target!r}"
        )
    if _same_data(meta.data_digest, data):
        out = read_predictions(str(folder / PREDICTIONS), data, id_column=meta.id_column)
        return _relabel(out, meta), "saved predictions"
    if meta.model_file is None:
        raise InputError(
            f"{folder}: its predictions are of other evaluation data "
            f"({str(meta.data_digest)[:19]}…, not {data.digest[:19]}…) and it holds no model "
            "to re-score the rows; save the baseline with --model on main again"
        )
    out = predict_with_model_file(str(folder / meta.model_file), data, trust_pickle=trust_pickle)
    return _relabel(out, meta), "re-scored on the new evaluation rows by its saved model"


def _same_data(saved: str, data: EvalData) -> bool:
    """Whether a baseline's data digest is that of ``data``, compared in the algorithm
    the saved digest names (a SHA-256 digest of an earlier mlgate is checked against the
    data's files, not against their BLAKE3 digest)."""
    if not isinstance(saved, str):  # a damaged baseline.json: other data, as before
        return False
    if saved.partition(":")[0] == data.digest.partition(":")[0]:
        return saved == data.digest
    try:
        return bool(data.paths) and matches(saved, data.paths)
    except OSError:  # the data was read moments ago: gone since, it is not the same
        return False


def _relabel(out: ModelOutput, meta: BaselineMeta) -> ModelOutput:
    from dataclasses import replace

    return replace(out, source=f"baseline {meta.source}", digest=meta.model_digest or out.digest)


def cache_key(*, identity: str, data_digest: str, config: str) -> str:
    """The cache key: main's model (a commit or a model digest), the evaluation data and
    the parts of the stage's config that change predictions. 24 hex digits."""
    from mlgate._digest import text_digest

    return text_digest(identity, data_digest, config).removeprefix("sha256:")[:24]


def cached(
    cache_dir: Path, key: str, data: EvalData, *, trust_pickle: bool
) -> tuple[ModelOutput | None, str]:
    """The cache entry's predictions, or None and why not (absent, or corrupt: then
    it is removed so that it is recomputed)."""
    folder = cache_dir / key
    if folder.is_file() or folder.is_symlink():  # not an entry mlgate wrote
        folder.unlink()
        return None, "recomputed: the cache entry was a file"
    if not folder.exists():
        return None, "not cached"
    try:
        meta = read_meta(folder, key=key)
        if meta.data_digest != data.digest or meta.rows != data.rows:
            raise InputError(f"{folder}: made for other evaluation data")
        out = read_predictions(str(folder / PREDICTIONS), data, id_column=meta.id_column)
    except (InputError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return None, f"recomputed: the cache entry was unusable ({exc})"
    return _relabel(out, meta), "cached"
