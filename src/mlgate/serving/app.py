"""The Flask app serving one model: /health, /metadata and /predict.

Every request is checked against the committed schema before the model sees it: what
the model cannot take (a missing field, a wrong type, NaN or inf where not allowed, a
value its encoder refuses) gets a 400 listing each field at fault, never a 500. A value
outside the schema's range or domain is served and marked: the response lists it under
``warnings``, the server logs it and the request log marks its line; with ``strict`` it
is refused (400) instead. Predictions can be logged as JSON Lines (one line per record:
its fields and the prediction), so
``mlgate check data --reference train --current serving-log.jsonl --mode skew``
compares what the model is served with what it was trained on.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate import __version__
from mlgate.errors import MissingExtraError
from mlgate.serving.defaults import LOG_NOTES_KEY
from mlgate.serving.records import (
    DEFAULT_MAX_RECORDS,
    BadRequest,
    InputSpec,
    RecordNote,
    jsonable,
)

if TYPE_CHECKING:
    from flask import Flask

    from mlgate.data.schema import Schema

#: Request bodies above this many bytes get a 413.
MAX_BODY_BYTES = 32 * 1024 * 1024


def create_app(
    model: Any,
    schema: Schema,
    *,
    name: str,
    version: str,
    log_path: str | Path | None = None,
    target: str | None = None,
    max_records: int = DEFAULT_MAX_RECORDS,
    strict: bool = False,
) -> Flask:
    """A Flask app serving ``model``, its requests checked against ``schema``.

    ``target`` is the schema's label column: requests need not hold it (it is ignored
    when they do) and predictions are logged under its name. ``log_path`` appends one
    JSON line per predicted record; many gunicorn workers may share one file.
    """
    try:
        from flask import Flask, Response, request
        from werkzeug.exceptions import HTTPException
    except ImportError:
        raise MissingExtraError("flask", "serve") from None

    spec = InputSpec.for_model(model, schema, target=target, max_records=max_records, strict=strict)
    has_proba = hasattr(model, "predict_proba")
    classes = jsonable(getattr(model, "classes_", None)) if has_proba else None
    metadata = {
        "name": name,
        "version": version,
        "mlgate": __version__,
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "target": target,
        "features": list(spec.features),
        "max_records": spec.max_records,
        "strict": spec.strict,
        "closed_fields": sorted(spec.closed_fields),
        "classes": classes,
        "schema": schema.model_dump(mode="json"),
    }
    log = RequestLog(Path(log_path)) if log_path is not None else None
    predict_fn = predictor(model)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    def _json(body: Any, status: int) -> Response:
        return Response(
            json.dumps(body, ensure_ascii=False) + "\n",
            status=status,
            mimetype="application/json",
        )

    @app.get("/health")
    def health() -> Response:
        return _json({"status": "ok"}, 200)

    @app.get("/metadata")
    def get_metadata() -> Response:
        return _json(metadata, 200)

    @app.post("/predict")
    def predict() -> Response:
        try:
            records, notes = spec.parse_noted(request.get_data(cache=False))
        except BadRequest as exc:
            return _json({"errors": [e.to_dict() for e in exc.errors]}, 400)
        try:
            predictions, probabilities = predict_fn(spec.model_input(spec.frame(records)))
        except Exception as exc:
            app.logger.exception("the model failed on a request of %d record(s)", len(records))
            return _json(
                {
                    "error": f"the model raised {type(exc).__name__} while predicting; "
                    "the server log has the traceback"
                },
                500,
            )
        body: dict[str, Any] = {"predictions": predictions}
        if probabilities is not None:
            body["probabilities"] = probabilities
            body["classes"] = classes
        if notes:
            # Served, but outside what the schema expected: said to the caller, in the
            # server's log and on the record's line of the request log, which keeps the
            # values too, so the skew check on it (check data --mode skew) counts them.
            body["warnings"] = [n.to_dict() for n in notes]
            app.logger.warning(
                "served %d value(s) outside the schema: %s",
                len(notes),
                "; ".join(f"record {n.record} {n.field}: {n.note}" for n in notes[:5]),
            )
        if log is not None:
            try:
                log.write(records, predictions, spec.log_key, notes)
            except OSError:
                app.logger.exception("could not append to the request log %s", log.path)
        return _json(body, 200)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return _json({"error": exc.description}, exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        app.logger.exception("unexpected error")
        return _json({"error": f"internal error ({type(exc).__name__}); see the server log"}, 500)

    return app


def predictor(model: Any) -> Callable[[Any], tuple[list[Any], list[Any] | None]]:
    """A function from model input to (predictions, probabilities or None), as JSON values.

    A scikit-learn pipeline's transformers run once for both, the same steps its
    ``predict`` and ``predict_proba`` each run: same answers at half the cost.
    """
    has_proba = hasattr(model, "predict_proba")
    final, front = model, None
    if type(model).__name__ == "Pipeline" and type(model).__module__.startswith("sklearn."):
        steps = getattr(model, "steps", [])
        if len(steps) > 1 and hasattr(steps[-1][1], "predict"):
            final, front = steps[-1][1], model[:-1]

    def predict(x: Any) -> tuple[list[Any], list[Any] | None]:
        xt = front.transform(x) if front is not None else x
        predictions = jsonable(final.predict(xt))
        probabilities = jsonable(final.predict_proba(xt)) if has_proba else None
        return predictions, probabilities

    return predict


class RequestLog:
    """Appends JSON lines to one file, safely from many processes and threads.

    Each process opens the file itself (in append mode, so every write lands at the end)
    and writes a request's lines under an exclusive ``flock``, one ``write`` per line,
    unbuffered: lines from different gunicorn workers never interleave.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def write(
        self,
        records: Sequence[dict[str, Any]],
        predictions: Sequence[Any],
        key: str,
        notes: Sequence[RecordNote] = (),
    ) -> None:
        """One line per record: its fields, its prediction under ``key``, and, for a
        record served outside the schema, what was outside under ``LOG_NOTES_KEY``."""
        marks: dict[int, list[str]] = {}
        for n in notes:
            marks.setdefault(n.record, []).append(f"{n.field}: {n.note}")
        lines = []
        for i, (r, p) in enumerate(zip(records, predictions, strict=True)):
            line = {**r, key: p, **({LOG_NOTES_KEY: marks[i]} if i in marks else {})}
            text = json.dumps(_finite(line), ensure_ascii=False, allow_nan=False) + "\n"
            lines.append(text.encode())
        with self._lock:
            fd = self._open()
            with _exclusive(fd):
                for line in lines:
                    _write_all(fd, line)

    def _open(self) -> int:
        # A forked worker must not share the parent's open file: flock would not tell them apart.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        return self._fd


def _finite(line: dict[str, Any]) -> dict[str, Any]:
    """NaN and inf as null: JSON has no spelling for them."""
    return {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in line.items()
    }


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextmanager
def _exclusive(fd: int) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not on POSIX: O_APPEND alone
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
