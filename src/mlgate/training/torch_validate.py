"""Validate a PyTorch training spec before any step runs: bad specs are exit 2, one line.

What needs no forward pass is checked here (types, batches). An optimizer over tensors
that are not the model's is a finding (``check_optimizer_over_model``), not a usage error.
What does (the inputs' dtype for the model, the loss being a scalar tensor) is checked
by the run itself at the step that shows it; see ``torch_run.user_error``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

from mlgate.findings import Finding, Status
from mlgate.training.spec import SpecError, TorchSpec


def validate_spec(spec: TorchSpec) -> None:
    """Raise SpecError, saying what and how to fix it, for a spec the checks cannot run."""
    if not isinstance(spec.model, nn.Module):
        raise SpecError(
            f"model is a {type(spec.model).__name__}, not a torch.nn.Module; return the module"
        )
    if not isinstance(spec.optimizer, torch.optim.Optimizer):
        raise SpecError(
            f"optimizer is a {type(spec.optimizer).__name__}, not a torch.optim.Optimizer; "
            "return the optimizer built over model.parameters()"
        )
    if not callable(spec.loss_fn):
        raise SpecError(
            f"loss_fn is a {type(spec.loss_fn).__name__}, not a callable; return a function "
            "or module taking (outputs, targets), e.g. torch.nn.MSELoss()"
        )
    _validate_batches(spec.batches)


def _validate_batches(batches: tuple[tuple[Any, Any], ...]) -> None:
    if not batches:
        raise SpecError("batches is empty; give at least one (inputs, targets) pair")
    for i, batch in enumerate(batches):
        if len(batch) != 2:
            raise SpecError(
                f"batch {i} has {len(batch)} items; each batch must be an (inputs, targets) pair"
            )
        inputs, targets = batch
        n_in = _batch_size(inputs, f"the inputs of batch {i}")
        n_out = _batch_size(targets, f"the targets of batch {i}")
        if n_in == 0 or n_out == 0:
            raise SpecError(
                f"batch {i} is empty (0 rows); drop empty batches before returning them"
            )
        if n_in != n_out:
            raise SpecError(
                f"batch {i} has {n_in} input rows but {n_out} target rows; pair every input "
                "row with its target (check slicing and drop_last)"
            )


def _batch_size(obj: Any, what: str) -> int:
    sizes = set()
    for t in iter_tensors(obj):
        if t.dim() == 0:
            raise SpecError(
                f"{what} hold a 0-d tensor; batches need a leading batch dimension "
                "(use t.unsqueeze(0) for a single row)"
            )
        sizes.add(t.shape[0])
    if not sizes:
        raise SpecError(
            f"{what} are a {type(obj).__name__}, not torch tensors; convert them with "
            "torch.as_tensor(...)"
        )
    if len(sizes) > 1:
        raise SpecError(
            f"{what} hold tensors with different batch sizes {sorted(sizes)}; "
            "give every tensor of a batch the same number of rows"
        )
    return sizes.pop()


def iter_tensors(obj: Any) -> Iterator[torch.Tensor]:
    """The tensors in a tensor, or in a (nested) tuple, list or dict of them."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from iter_tensors(item)
    elif isinstance(obj, Mapping):
        for item in obj.values():
            yield from iter_tensors(item)


def check_optimizer_over_model(model: nn.Module, optimizer: Any) -> Finding:
    """``training.optimizer_not_over_model``: the optimizer holds only the model's
    parameters. Tensors that are not (a model re-created or copied after its optimizer
    was built) are a bug in the training code, so a failed finding, not a usage error:
    the model they should train never moves."""
    code = "training.optimizer_not_over_model"
    if not isinstance(optimizer, torch.optim.Optimizer):
        return Finding(
            code, Status.SKIP, "not applicable: the spec gives no optimizer (your loop builds it)"
        )
    model_ids = {id(p) for p in model.parameters()}
    held = [p for group in optimizer.param_groups for p in group["params"]]
    foreign = [p for p in held if id(p) not in model_ids]
    details = {"optimizer_tensors": len(held), "foreign_tensors": len(foreign)}
    if not foreign:
        return Finding(
            code,
            Status.PASS,
            f"the optimizer's {len(held)} tensors are all parameters of the model",
            details=details,
        )
    shapes = ", ".join(str(tuple(p.shape)) for p in foreign[:3])
    return Finding(
        code,
        Status.FAIL,
        f"the optimizer holds {len(foreign)} of its {len(held)} tensors that are not "
        f"parameters of the model (shapes {shapes}), so steps move tensors the model does "
        f"not use; build it over this model, e.g. torch.optim.{type(optimizer).__name__}"
        "(model.parameters(), ...), after the model is created (was the model re-created "
        "or copied after the optimizer?)",
        details=details,
    )


def validate_loop_spec(spec: TorchSpec) -> None:
    """Raise SpecError for a loop-form spec (``train_step`` or ``train``) mlgate cannot
    observe: the model, the optimizer when given, the batches ``train_step`` needs, and
    ``frozen`` prefixes that name no parameter (a typo would silently check nothing)."""
    if not isinstance(spec.model, nn.Module):
        raise SpecError(
            f"model is a {type(spec.model).__name__}, not a torch.nn.Module; return the "
            "module your loop trains (for Lightning, the LightningModule)"
        )
    if spec.optimizer is not None and not isinstance(spec.optimizer, torch.optim.Optimizer):
        raise SpecError(
            f"optimizer is a {type(spec.optimizer).__name__}, not a torch.optim.Optimizer; "
            "return the optimizer your loop steps"
        )
    if spec.loss_fn is not None and not callable(spec.loss_fn):
        raise SpecError(f"loss_fn is a {type(spec.loss_fn).__name__}, not a callable")
    if spec.train_step is not None and not spec.batches:
        raise SpecError("batches is empty; train_step needs at least one batch")
    names = [n for n, _ in spec.model.named_parameters()]
    for prefix in spec.frozen:
        if not any(n.startswith(prefix) for n in names):
            shown = ", ".join(names[:6]) or "none"
            raise SpecError(
                f"frozen prefix {prefix!r} matches no parameter of the model "
                f"(its parameters: {shown}); use names from model.named_parameters()"
            )
    for key, batches in (("eval_batches", spec.eval_batches),):
        for i, batch in enumerate(batches):
            if not any(True for _ in iter_tensors(_inputs_of(batch))):
                raise SpecError(
                    f"{key}[{i}] holds no tensor; give (inputs, targets) pairs of tensors"
                )


def _inputs_of(batch: Any) -> Any:
    """The inputs of an ``(inputs, targets)`` pair, or the batch itself."""
    return batch[0] if isinstance(batch, tuple) and len(batch) == 2 else batch


def frozen_names(model: nn.Module, prefixes: tuple[str, ...]) -> tuple[str, ...]:
    """Names of the model's parameters under the declared ``frozen`` prefixes."""
    return tuple(n for n, _ in model.named_parameters() if n.startswith(prefixes))
