"""Issue 10's proof corpus (``loop_corpus``, real digits data): every kept bug harms
training in a plain loop and fails its check in both loop forms; every setup's healthy
control passes every check in both forms. The harm over five seeds and the table are
``benchmarks/training_loop_bugs.py``; here seed 0 stands for them."""

import functools

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from mlgate.findings import Finding, Status
from mlgate.training.spec import Budget, as_spec
from mlgate.training.torch_checks import check_torch
from tests.training import loop_corpus as corpus

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

BUDGET = Budget(steps=120)
FORMS = ["train_step", "train"]
#: The least accuracy a kept bug must cost at seed 0 (the benchmark asks 5 points on
#: average over five seeds and a loss at each).
MIN_HARM = 0.05


@functools.cache
def checked(bug: str | None, form: str, setup: str | None = None) -> list[Finding]:
    spec = corpus.spec_for(corpus.case(bug, seed=0, setup=setup), form)
    return check_torch(as_spec(spec), BUDGET)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("setup", corpus.SETUPS)
def test_each_setups_healthy_control_passes_every_check(setup, form):
    findings = checked(None, form, setup)
    problems = {f.name: f.message for f in findings if f.status not in (Status.PASS, Status.SKIP)}
    assert problems == {}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("bug", list(corpus.BUGS))
def test_each_kept_bug_fails_its_check(bug, form):
    code = corpus.BUGS[bug][1]
    (finding,) = [f for f in checked(bug, form) if f.name == code]
    assert finding.status is Status.FAIL, finding.message


@pytest.mark.parametrize("bug", list(corpus.BUGS))
def test_each_kept_bug_really_harms_training(bug):
    setup = corpus.BUGS[bug][0]
    control = corpus.plain_accuracy(None, 0, setup)["evaluate"]
    harmed = corpus.plain_accuracy(bug, 0)["evaluate"]
    assert control - harmed >= MIN_HARM, (control, harmed)
