"""YAML files validated into frozen pydantic models, with errors that name file, line and key."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from mlgate.errors import ConfigError

if TYPE_CHECKING:
    import yaml

M = TypeVar("M", bound=BaseModel)

Loc = tuple[str | int, ...]


def load_model(path: str | Path, model: type[M], *, what: str) -> M:
    """Read ``path`` as YAML and validate it as ``model``; any problem is a ConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = (
            "; write one with 'mlgate init' (or pass --config FILE)"
            if path.name == "mlgate.yaml" and what == "config"
            else "; check the path"
        )
        raise ConfigError(f"{path}: no such {what} file{hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the {what} file ({exc})") from None
    return parse_model(text, model, label=str(path), what=what)


def parse_model(text: str, model: type[M], *, label: str, what: str) -> M:
    import yaml  # here, not at the top: the data gate's start-up needs no YAML

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{label}:{mark.line + 1}" if mark is not None else label
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML ({problem}); fix the syntax") from None
    if data is None:
        raise ConfigError(f"{label}: the {what} file is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{label}:1: the {what} must be a mapping of keys to values")
    lines = _line_index(node)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # A misspelt key shows up as unknown plus missing: name the misspelling first.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        err = errors[0]
        loc: Loc = tuple(err["loc"])
        line = _line_for(lines, loc)
        key = ".".join(str(p) for p in loc) or "(top level)"
        msg = _describe(err, _field_names(model))
        more = len(errors) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{label}:{line}: {key}: {msg}{tail}") from None


def _describe(err: Any, known: set[str]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(err["loc"][-1]), sorted(known), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "check its spelling"
        return f"unknown key; {hint}"
    if kind == "missing":
        return "required key is missing"
    return str(err["msg"]).removeprefix("Value error, ").rstrip(".")


def _line_index(node: yaml.Node | None) -> dict[Loc, int]:
    import yaml

    index: dict[Loc, int] = {}

    def walk(n: yaml.Node, loc: Loc) -> None:
        index[loc] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                key = key_node.value
                index[(*loc, key)] = key_node.start_mark.line + 1
                walk(value_node, (*loc, key))
                index[(*loc, key)] = key_node.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*loc, i))

    if node is not None:
        walk(node, ())
    return index


def _line_for(index: dict[Loc, int], loc: Loc) -> int:
    # pydantic may add model or union tags to the location; fall back to the longest
    # prefix that names a real place in the file.
    for end in range(len(loc), -1, -1):
        line = index.get(loc[:end])
        if line is not None:
            return line
    return 1


def line_of(text: str, loc: Loc) -> int | None:
    """Line of a key path in YAML text (for annotations pointing into a schema)."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    return _line_index(node).get(loc)


def _field_names(model: type[BaseModel]) -> set[str]:
    """Every key (field name or alias) the model and its nested models accept."""
    names: set[str] = set()
    seen: set[type] = set()

    def visit(m: type[BaseModel]) -> None:
        if m in seen:
            return
        seen.add(m)
        for name, info in m.model_fields.items():
            names.add(info.alias or name)
            for arg in _types_in(info.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    visit(arg)

    visit(model)
    return names


def _types_in(annotation: Any) -> list[Any]:
    from typing import get_args

    out = [annotation]
    for arg in get_args(annotation):
        out.extend(_types_in(arg))
    return out
