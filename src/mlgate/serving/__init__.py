"""Serving: the Flask app for a trained model, its artifacts, and the serving check.

Needs the ``serve`` extra (flask, gunicorn, skops). Importing this package is cheap:
each name loads its module on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "ServeSettings",
    "ServingBudget",
    "check_serving",
    "create_app",
    "load_model",
    "save_model",
]

_LAZY = {
    "ServeSettings": ("mlgate.serving.runner", "ServeSettings"),
    "ServingBudget": ("mlgate.serving.probe", "ServingBudget"),
    "check_serving": ("mlgate.serving.probe", "check_serving"),
    "create_app": ("mlgate.serving.app", "create_app"),
    "load_model": ("mlgate.serving.artifacts", "load_model"),
    "save_model": ("mlgate.serving.artifacts", "save_model"),
}

if TYPE_CHECKING:
    from mlgate.serving.app import create_app
    from mlgate.serving.artifacts import load_model, save_model
    from mlgate.serving.probe import ServingBudget, check_serving
    from mlgate.serving.runner import ServeSettings


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'mlgate.serving' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
