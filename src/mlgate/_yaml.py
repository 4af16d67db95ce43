"""YAML files validated into frozen pydantic models, with errors that name file, line and key."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from mlgate.errors import ConfigError, Problem

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
    repeated = _repeated_keys(node, label)
    if repeated:
        raise ConfigError(problems=repeated)
    lines = _line_index(node)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc, data, lines, label, _field_names(model))
        raise ConfigError(problems=problems) from None


def _problems(
    exc: ValidationError, data: Any, lines: dict[Loc, int], label: str, known: set[str]
) -> list[Problem]:
    """Every problem, one line each, in the order of the file: ``FILE:LINE: KEY: what``.

    pydantic's locations name the branches of a union (``list[TrainingStage]``) and
    mark dict keys (``[key]``); the location shown is the path of keys and indexes
    that exists in the file. A union's branches that do not fit the value's shape at all
    (a mapping given where a list is also allowed) are dropped when another branch
    says what is wrong, and merged into one "expected ..." when none does.
    """
    found: dict[tuple[Loc, str], tuple[int, str, str]] = {}
    shapes: dict[Loc, list[str]] = {}
    detailed: set[Loc] = set()
    for err in exc.errors():
        loc, union = _place(tuple(err["loc"]), data, err["type"])
        if union and err["type"] in _SHAPES and _at_branch(tuple(err["loc"])):
            shapes.setdefault(loc, []).append(_SHAPES[err["type"]])
            continue
        if union:
            detailed.add(_union_root(tuple(err["loc"]), data))
        msg = _describe(err, known)
        found.setdefault((loc, msg), (_line_for(lines, loc), _key(loc), msg))
    for loc, kinds in shapes.items():
        if loc in detailed:
            continue
        got = _yaml_type(_value_at(data, loc))
        msg = f"expected {' or '.join(dict.fromkeys(kinds))}, not {got}"
        found.setdefault((loc, msg), (_line_for(lines, loc), _key(loc), msg))
    # A misspelt key shows up as unknown plus missing: missing keys come last, after
    # the misspellings that explain them; the rest in the order of the file.
    ordered = sorted(found.values(), key=lambda p: (p[2] == _MISSING, p[0]))
    return [Problem(f"{label}:{line}: {key}: {msg}", label, line) for line, key, msg in ordered]


_MISSING = "required key is missing"
#: pydantic error types that say a value has the wrong shape, as the file's words.
_SHAPES = {
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "dict_type": "a mapping (key: value)",
    "list_type": "a list (- item)",
}


def _place(loc: Loc, data: Any, kind: str = "") -> tuple[Loc, bool]:
    """The part of pydantic's ``loc`` that indexes into ``data`` (plus the key an
    unknown-key or missing-key error is about), and whether a union branch tag was left
    out on the way."""
    path: list[str | int] = []
    node, union = data, False
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
            path.append(part)
        elif last and kind in ("extra_forbidden", "missing"):
            path.append(part)
        elif part != "[key]":
            union = union or _is_tag(part)
    return tuple(path), union


def _at_branch(loc: Loc) -> bool:
    """Whether ``loc`` ends at a union's branch tag (``('training', 'TrainingStage')``)."""
    return bool(loc) and isinstance(loc[-1], str) and _is_tag(loc[-1])


def _is_tag(part: str | int) -> bool:
    return isinstance(part, str) and (part[:1].isupper() or "[" in part)


def _union_root(loc: Loc, data: Any) -> Loc:
    for i, part in enumerate(loc):
        if _is_tag(part):
            return _place(loc[:i], data)[0]
    return _place(loc, data)[0]


def _value_at(data: Any, loc: Loc) -> Any:
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _yaml_type(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    names = {bool: "true/false", int: "a number", float: "a number", str: "text"}
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{names.get(type(value), type(value).__name__)} ({value!r})"


def _key(loc: Loc) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def _describe(err: Any, known: set[str]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(err["loc"][-1]), sorted(known), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "check its spelling"
        return f"unknown key; {hint}"
    if kind == "missing":
        return _MISSING
    if kind in _SHAPES:
        return f"expected {_SHAPES[kind]}, not {_yaml_type(err.get('input'))}"
    msg = str(err["msg"]).removeprefix("Value error, ").rstrip(".")
    if msg.startswith("Input should be "):
        msg = "should be " + msg.removeprefix("Input should be ")
        value = err.get("input")
        if isinstance(value, (str, int, float, bool)) or value is None:
            msg += f", not {value!r}"
    return msg


def _repeated_keys(node: yaml.Node | None, label: str) -> list[Problem]:
    """Every key given twice in one mapping, at the line of its second place. YAML
    loaders keep the last silently: a column listed twice in a schema (a bad merge)
    lost its first entry's checks, and no error said so."""
    import yaml

    problems: list[Problem] = []

    def walk(n: yaml.Node, loc: Loc) -> None:
        if isinstance(n, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, value_node in n.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                line = key_node.start_mark.line + 1
                if key is not None and key in seen:
                    where = _key((*loc, key))
                    problems.append(
                        Problem(
                            f"{label}:{line}: {where}: given twice (first at line "
                            f"{seen[key]}), and the second would replace the first; keep one",
                            label,
                            line,
                        )
                    )
                elif key is not None:
                    seen[key] = line
                walk(value_node, (*loc, key if key is not None else "?"))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*loc, i))

    if node is not None:
        walk(node, ())
    return problems


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
