"""Where an exception arose: the innermost frame, or the innermost frame of user code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgate.training.spec import describe_exception, raised_at, user_frame


def _parse_in_a_library() -> None:
    json.loads("{not json")  # raises inside the standard library


def test_the_innermost_frame_is_in_the_library_the_user_frame_is_here():
    with pytest.raises(json.JSONDecodeError) as info:
        _parse_in_a_library()
    innermost = raised_at(info.value)
    assert innermost is not None and innermost.startswith("decoder.py:")
    line = _parse_in_a_library.__code__.co_firstlineno + 1
    here = Path(__file__).resolve().relative_to(Path.cwd().resolve()).as_posix()
    assert raised_at(info.value, user_code_only=True) == f"{here}:{line}"
    assert user_frame(info.value) == (here, line)
    # The message names the user's line, not the library's.
    assert describe_exception(info.value).endswith(f" at {here}:{line}")


def test_no_traceback_means_no_place():
    exc = ValueError("made, never raised")
    assert raised_at(exc) is None and raised_at(exc, user_code_only=True) is None
    assert describe_exception(exc) == "ValueError: made, never raised"
