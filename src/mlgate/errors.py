"""Error types mapped to the exit codes of DESIGN.md.

Every error that is the user's to fix (bad usage, config or input) derives from
``MlgateError`` and carries exit code 2; its message is one line that says what is
wrong, where, and what to do. Anything else escaping a command is a bug (exit 3).
"""

from __future__ import annotations

from collections.abc import Sequence


class MlgateError(Exception):
    """A problem the user can fix: bad usage, config or input. Exit code 2."""

    exit_code = 2


class InputError(MlgateError):
    """A data file or profile that cannot be read or used."""


class ConfigError(MlgateError):
    """A config or schema file that is malformed or names unknown keys."""


class MissingExtraError(MlgateError):
    """An optional dependency is not installed."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"{module} is not installed; install it with: pip install 'mlgate[{extra}]'"
        )


def name_hint(name: str, names: Sequence[str], what: str = "columns", shown: int = 20) -> str:
    """For an unknown ``name``: a did-you-mean when one of ``names`` is close, and the
    first ``shown`` names, each quoted and cut to 40 characters so that a name with a
    newline or a thousand characters keeps the message on one short line."""
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1)
    quoted = [_short(repr(n)) for n in list(names)[:shown]]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    hint = f"did you mean {_short(repr(close[0]))}? " if close else ""
    return f"{hint}the {what} are: {', '.join(quoted)}{more}"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
