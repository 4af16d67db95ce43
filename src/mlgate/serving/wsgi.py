"""The app factory gunicorn calls: ``gunicorn "mlgate.serving.wsgi:app()"``.

Settings come from ``MLGATE_SERVE_*`` environment variables (``ServeSettings.to_env``):
``MODEL`` and ``SCHEMA`` (required), ``TARGET``, ``LOG_REQUESTS``, ``TRUST_PICKLE``, ``STRICT``,
``NAME``, ``VERSION``, ``MAX_RECORDS``. A serving image sets them in its Dockerfile.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from mlgate.errors import MlgateError

if TYPE_CHECKING:
    from flask import Flask


def app() -> Flask:
    """Build the app from the environment; a bad setting stops the server with one line."""
    from mlgate.serving.runner import ServeSettings, build_app

    try:
        return build_app(ServeSettings.from_env(os.environ))
    except MlgateError as exc:
        sys.stderr.write(f"mlgate: error: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(exc.exit_code) from None
