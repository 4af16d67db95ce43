"""Error types mapped to the exit codes of DESIGN.md.

Every error that is the user's to fix (bad usage, config or input) derives from
``MlgateError`` and carries exit code 2; its message is one line that says what is
wrong, where, and what to do. Anything else escaping a command is a bug (exit 3).
"""

from __future__ import annotations


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
