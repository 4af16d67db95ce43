"""Error types mapped to the exit codes of DESIGN.md.

Every error that is the user's to fix (bad usage, config or input) derives from
``MlgateError`` and carries exit code 2; its message is one line that says what is
wrong, where, and what to do. Anything else escaping a command is a bug (exit 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One line of an error: its text, and the file and line it is about when known (for
    an annotation on the pull request)."""

    message: str
    file: str | None = None
    line: int | None = None


class MlgateError(Exception):
    """A problem the user can fix: bad usage, config or input. Exit code 2.

    ``file`` and ``line`` say where, when known. An error with several ``problems`` (a
    config file with three mistakes) is all of them, one line each.
    """

    exit_code = 2

    def __init__(
        self,
        *args: object,
        file: str | None = None,
        line: int | None = None,
        problems: Sequence[Problem] = (),
    ) -> None:
        if problems and not args:
            args = ("\n".join(p.message for p in problems),)
        super().__init__(*args)
        self.file, self.line = file, line
        self._problems = tuple(problems)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem, one line each (this error's own message when it lists none)."""
        if self._problems:
            return self._problems
        return tuple(Problem(text, self.file, self.line) for text in str(self).splitlines())


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
