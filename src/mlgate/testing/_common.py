"""What the assertions share: how many items a message shows, and how they are worded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    pass


#: How many positions, rows or names a message shows before "and N more".
SHOW = 5

UnknownCategories = Literal["error", "ignore", "all_zero"]


def _some(items: Sequence[Any], total: int | None = None, fmt: Any = str) -> str:
    """The first few items, comma-separated, then "and N more"."""
    total = len(items) if total is None else total
    shown = ", ".join(fmt(i) for i in list(items)[:SHOW])
    more = total - min(total, SHOW)
    return f"{shown} and {more} more" if more > 0 else shown


def _n(count: int, word: str, plural: str | None = None) -> str:
    """``1 row``, ``3 rows``."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _names(items: Sequence[str]) -> str:
    return _some(items, fmt=repr)


def _module(x: Any) -> str:
    return type(x).__module__.split(".")[0]


def _is_pandas(x: Any) -> bool:
    return _module(x) == "pandas" and type(x).__name__ in ("DataFrame", "Series")


def _is_series_like(x: Any) -> bool:
    return type(x).__name__ == "Series"


def _is_polars(x: Any) -> bool:
    return _module(x) == "polars" and type(x).__name__ in ("DataFrame", "Series", "LazyFrame")


def _is_torch(x: Any) -> bool:
    return _module(x) == "torch" and hasattr(x, "detach")


def _is_sparse(x: Any) -> bool:
    return _module(x) == "scipy" and hasattr(x, "toarray")


def _kind_label(x: Any) -> str:
    """``the numpy ndarray``, ``the polars DataFrame``, ``the list``."""
    module = _module(x)
    return f"the {type(x).__name__}" if module == "builtins" else f"the {module} {type(x).__name__}"
