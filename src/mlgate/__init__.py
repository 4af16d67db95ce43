"""mlgate: continuous integration for machine-learning projects.

Importing mlgate is cheap: the public functions load their heavy modules on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Finding",
    "Report",
    "Status",
    "__version__",
    "check_data",
    "infer_schema",
    "load_schema",
    "profile",
    "validate",
]

_LAZY = {
    "Finding": ("mlgate.findings", "Finding"),
    "Report": ("mlgate.findings", "Report"),
    "Status": ("mlgate.findings", "Status"),
    "check_data": ("mlgate.data.gate", "check_data"),
    "infer_schema": ("mlgate.data.schema", "infer_schema"),
    "load_schema": ("mlgate.data.schema", "load_schema"),
    "profile": ("mlgate.data.profile", "profile"),
    "validate": ("mlgate.data.gate", "validate"),
}

if TYPE_CHECKING:
    from mlgate.data.gate import check_data, validate
    from mlgate.data.profile import profile
    from mlgate.data.schema import infer_schema, load_schema
    from mlgate.findings import Finding, Report, Status


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'mlgate' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
