"""Training specs: what a user's entrypoint returns, loaded and checked at the boundary.

``--entrypoint FILE.py:FUNC`` imports FILE with its folder first on ``sys.path`` (as
pytest does) and calls ``FUNC()``; ``package.module:FUNC`` imports the module with the
working directory on the path. FUNC returns an object with attributes, or a dict with
keys, for one of two kinds of spec:

- PyTorch: ``model`` (nn.Module), ``optimizer`` (over the model's parameters),
  ``loss_fn`` (callable(outputs, targets) -> scalar tensor), ``batches`` (a sequence of
  ``(inputs, targets)``); or, for the user's own loop, ``train_step`` (callable(batch) ->
  scalar loss tensor, with ``batches``) or ``train`` (callable(steps) -> None), with
  optional ``scheduler``, ``frozen``, ``eval_batches`` and ``accumulate_grad_batches``;
- scikit-learn-like: ``estimator``, ``X``, ``y`` and optionally ``X_valid``, ``y_valid``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import sysconfig
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.errors import MissingExtraError, MlgateError

TORCH_KEYS = ("model", "optimizer", "loss_fn", "batches")
#: Keys of a spec whose own loop mlgate observes; with one of them, loss_fn is optional.
LOOP_KEYS = ("train_step", "train")
TORCH_OPTIONAL_KEYS = ("scheduler", "frozen", "eval_batches", "accumulate_grad_batches")
SKLEARN_KEYS = ("estimator", "X", "y")


class SpecError(MlgateError):
    """The entrypoint or the spec it returns cannot be used (exit 2)."""


@dataclass(frozen=True)
class Budget:
    """How much training the checks may run. Settings are validated where they enter.

    ``steps`` optimizer steps over the batches (cycled); ``epochs``, when given, sets the
    steps to that many passes over the batches instead. ``time_limit`` (seconds) stops a
    run early with a warning; it never changes a verdict on the steps that did run.
    """

    steps: int = 100
    epochs: int | None = None
    time_limit: float = 120.0
    seed: int = 0
    overfit_steps: int = 200

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise SpecError(f"steps must be at least 1, not {self.steps}")
        if self.epochs is not None and self.epochs < 1:
            raise SpecError(f"epochs must be at least 1, not {self.epochs}")
        if self.time_limit <= 0:
            raise SpecError(f"the time limit must be positive, not {self.time_limit}")
        if self.overfit_steps < 1:
            raise SpecError(f"overfit steps must be at least 1, not {self.overfit_steps}")

    def total_steps(self, n_batches: int) -> int:
        return self.epochs * n_batches if self.epochs is not None else self.steps


@dataclass(frozen=True)
class TorchSpec:
    """A PyTorch spec, in mlgate's loop form (``loss_fn`` and ``batches``) or the loop
    form (``train_step`` with ``batches``, or ``train``), see ``as_spec``.

    ``frozen`` holds parameter-name prefixes that must not change; ``accumulate_grad_batches``
    declares how many backward passes the loop adds up before each optimizer step (1: none).
    """

    model: Any
    optimizer: Any
    loss_fn: Callable[[Any, Any], Any] | None
    batches: tuple[Any, ...]
    train_step: Callable[[Any], Any] | None = None
    train: Callable[[int], Any] | None = None
    scheduler: Any = None
    frozen: tuple[str, ...] = ()
    eval_batches: tuple[Any, ...] = ()
    accumulate_grad_batches: int = 1

    @property
    def observed(self) -> bool:
        """True when mlgate runs the user's own loop (``train_step`` or ``train``)."""
        return self.train_step is not None or self.train is not None


@dataclass(frozen=True)
class SklearnSpec:
    estimator: Any
    X: Any
    y: Any
    X_valid: Any = None
    y_valid: Any = None


Spec = TorchSpec | SklearnSpec


def load_entrypoint(ref: str) -> Callable[[], Any]:
    """Import ``FILE.py:FUNC`` or ``package.module:FUNC`` and return FUNC."""
    target, sep, func_name = ref.rpartition(":")
    if not sep or not target or not func_name:
        raise SpecError(
            f"--entrypoint {ref!r}: expected FILE.py:FUNC or package.module:FUNC, "
            "e.g. train.py:training_spec"
        )
    module = _import_file(target) if target.endswith(".py") else _import_module(target)
    func = getattr(module, func_name, None)
    if func is None or not callable(func):
        names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        shown = ", ".join(names[:10]) or "none"
        raise SpecError(f"{target}: has no function {func_name!r} (functions there: {shown})")
    return func  # type: ignore[no-any-return]


def _import_file(target: str) -> Any:
    path = Path(target)
    if not path.is_file():
        raise SpecError(f"{target}: no such file; check the --entrypoint path")
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path.resolve())
    if spec is None or spec.loader is None:
        raise SpecError(f"{target}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    run_user_code(lambda: spec.loader.exec_module(module), f"importing {target}")  # type: ignore[union-attr]
    return module


def _import_module(target: str) -> Any:
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return run_user_code(lambda: importlib.import_module(target), f"importing {target}")
    except SpecError:
        raise
    except ModuleNotFoundError as exc:
        raise SpecError(
            f"{target}: module not found ({exc}); check the name and sys.path"
        ) from None


def run_user_code(fn: Callable[[], Any], what: str) -> Any:
    """Run user code; its exceptions are the user's to fix: one line, exit 2, naming the
    line of the user's code where it arose. A ``sys.exit()`` in it is one too: it must
    not end mlgate with no report (and exit 0 would read as "passed")."""
    try:
        return fn()
    except MlgateError:
        raise
    except SystemExit as exc:
        raise SpecError(
            f"{what} called sys.exit({exc.code!r}); return from the function instead of exiting"
        ) from None
    except ModuleNotFoundError as exc:
        if exc.name in ("torch", "sklearn"):
            extra = "torch" if exc.name == "torch" else "sklearn"
            raise MissingExtraError(exc.name, extra) from None
        raise user_code_error(f"{what} failed", exc) from None
    except Exception as exc:
        raise user_code_error(f"{what} failed", exc) from None


def user_code_error(what: str, exc: BaseException) -> SpecError:
    """``SpecError`` for an exception user code raised: ``WHAT: Type: message at
    FILE:LINE``, FILE:LINE being the user's own line (also as the error's ``file`` and
    ``line``, for an annotation)."""
    where = user_frame(exc)
    file, line = where if where is not None else (None, None)
    return SpecError(f"{what}: {describe_exception(exc)}", file=file, line=line)


def describe_exception(exc: BaseException) -> str:
    """One line: the exception, its message and where it arose: the innermost line of
    the user's own code (outside the standard library, installed packages and mlgate)
    when there is one, else the innermost frame."""
    where = user_frame(exc)
    at = f"{where[0]}:{where[1]}" if where is not None else raised_at(exc)
    text = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    text = " ".join(text.split())  # one line, whatever the exception's message holds
    return f"{type(exc).__name__}: {text}{f' at {at}' if at else ''}"


def user_frame(exc: BaseException) -> tuple[str, int] | None:
    """The user's file (relative to the working folder when inside it) and line where
    ``exc`` arose: the innermost traceback frame in the user's own code, or for a syntax
    error in a user's file, the line the parser names."""
    if (
        isinstance(exc, SyntaxError)
        and exc.filename
        and exc.lineno
        and not exc.filename.startswith("<")
        and not _is_library(exc.filename)
    ):
        return _shown_path(exc.filename), exc.lineno
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        # A compiled extension's frame names its source relative to where it was built
        # (pandas/_libs/ops_dispatch.pyx): no file here, and not the user's code.
        if not filename.startswith("<") and not _is_library(filename) and Path(filename).is_file():
            found = (_shown_path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    mlgate_dir = Path(__file__).parents[1]
    return tuple(
        str(Path(p).resolve())
        for p in {paths["stdlib"], paths["purelib"], paths["platlib"], mlgate_dir}
    )


def _is_library(filename: str) -> bool:
    resolved = str(Path(filename).resolve())
    installed = "site-packages" in resolved or "dist-packages" in resolved
    return installed or resolved.startswith(_library_dirs())


def _shown_path(filename: str) -> str:
    path = Path(filename).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def raised_at(exc: BaseException, *, user_code_only: bool = False) -> str | None:
    """``file:line`` of the innermost traceback frame; with ``user_code_only``, of the
    innermost frame outside the standard library, installed packages and mlgate (where
    in the user's own code the error arose), if there is one."""
    if user_code_only:
        where = user_frame(exc)
        return f"{where[0]}:{where[1]}" if where is not None else None
    tb = exc.__traceback__
    found = None
    while tb is not None:
        found = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def spec_value(obj: Any, key: str) -> Any:
    """``obj[key]`` for a dict a spec function returned, else ``obj.key``; None if absent."""
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def load_spec(ref: str) -> Spec:
    """Import the entrypoint, call it and turn what it returns into a typed spec."""
    func = load_entrypoint(ref)
    obj = run_user_code(func, f"calling {ref}")
    return as_spec(obj, label=ref)


def as_spec(obj: Any, label: str = "the spec") -> Spec:
    """Accept a spec object, a dict, or an already typed spec."""
    if isinstance(obj, (TorchSpec, SklearnSpec)):
        return obj
    if _is_torch_spec(obj):
        return _torch_spec(obj, label)
    if all(spec_value(obj, k) is not None for k in SKLEARN_KEYS):
        return SklearnSpec(
            estimator=spec_value(obj, "estimator"),
            X=spec_value(obj, "X"),
            y=spec_value(obj, "y"),
            X_valid=spec_value(obj, "X_valid"),
            y_valid=spec_value(obj, "y_valid"),
        )
    present = sorted(
        k
        for k in (*TORCH_KEYS, *LOOP_KEYS, *SKLEARN_KEYS, "X_valid", "y_valid")
        if spec_value(obj, k) is not None
    )
    raise SpecError(
        f"{label}: returned {type(obj).__name__} with {present or 'none'} of the spec's keys; "
        f"return {', '.join(TORCH_KEYS)} (PyTorch), model, optimizer and train_step with "
        f"batches or train (your own PyTorch loop), or {', '.join(SKLEARN_KEYS)} (scikit-learn)"
    )


def _is_torch_spec(obj: Any) -> bool:
    if all(spec_value(obj, k) is not None for k in TORCH_KEYS):
        return True
    has = {k for k in ("model", *LOOP_KEYS) if spec_value(obj, k) is not None}
    return "model" in has and len(has) > 1


def _torch_spec(obj: Any, label: str) -> TorchSpec:
    """The PyTorch spec, its keys checked for type here so a wrong one is one line."""
    if "torch" not in sys.modules:
        try:
            import torch  # noqa: F401
        except ModuleNotFoundError:
            raise MissingExtraError("torch", "torch") from None
    train_step, train = spec_value(obj, "train_step"), spec_value(obj, "train")
    for key, fn in (("train_step", train_step), ("train", train)):
        if fn is not None and not callable(fn):
            raise SpecError(
                f"{label}: {key} is a {type(fn).__name__}, not a callable; give a function "
                + (
                    "taking one batch and returning the loss tensor"
                    if key == "train_step"
                    else "taking the number of steps to train"
                )
            )
    if train_step is not None and train is not None:
        raise SpecError(
            f"{label}: give train_step or train, not both; mlgate runs one of your loops"
        )
    raw = spec_value(obj, "batches")
    if train_step is not None and raw is None:
        raise SpecError(
            f"{label}: train_step needs batches, the batches mlgate hands it one at a time"
        )
    optimizer = spec_value(obj, "optimizer")
    if optimizer is None and train_step is not None:
        raise SpecError(
            f"{label}: train_step needs the optimizer it steps, to observe its steps; "
            "return it as optimizer"
        )
    return TorchSpec(
        model=spec_value(obj, "model"),
        optimizer=optimizer,
        loss_fn=spec_value(obj, "loss_fn"),
        batches=_sequence(raw, "batches", label) if raw is not None else (),
        train_step=train_step,
        train=train,
        scheduler=spec_value(obj, "scheduler"),
        frozen=_prefixes(spec_value(obj, "frozen"), label),
        eval_batches=_sequence(spec_value(obj, "eval_batches"), "eval_batches", label),
        accumulate_grad_batches=_accumulation(spec_value(obj, "accumulate_grad_batches"), label),
    )


def _sequence(raw: Any, key: str, label: str) -> tuple[Any, ...]:
    """A sequence of batches as a tuple; each (inputs, targets) pair as a tuple."""
    if raw is None:
        return ()
    if isinstance(raw, (str, bytes, Mapping)):
        raise SpecError(f"{label}: {key} must be a sequence of (inputs, targets) pairs")
    try:
        items = list(raw)
    except TypeError:
        raise SpecError(f"{label}: {key} must be a sequence of (inputs, targets) pairs") from None
    return tuple(tuple(b) if isinstance(b, (tuple, list)) else b for b in items)


def _prefixes(raw: Any, label: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, (list, tuple, set, frozenset)) or not all(
        isinstance(p, str) and p for p in raw
    ):
        raise SpecError(
            f"{label}: frozen must be a list of parameter-name prefixes such as "
            f"['encoder.', 'embed.weight'], not {type(raw).__name__}"
        )
    return tuple(sorted(raw))


def _accumulation(raw: Any, label: str) -> int:
    if raw is None:
        return 1
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise SpecError(
            f"{label}: accumulate_grad_batches must be a whole number of batches, at least "
            f"1, not {raw!r}"
        )
    return raw
