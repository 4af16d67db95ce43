"""What git says for comparing with main: the merge base, and temporary worktrees to
run main's side in (the commit and branch a report names are ``runinfo.git_info``'s).

Every call runs the ``git`` command with a timeout. Outside a repository, or without
git installed, the questions that may go unanswered return None; the ones a command
needs (``merge_base``, ``worktree``) raise ``GitError`` (exit 2) saying what to do.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from mlgate.errors import MlgateError

TIMEOUT_S = 60.0


class GitError(MlgateError):
    """A git command that a run needs failed (exit 2)."""


def git(*args: str, cwd: str | Path | None = None, timeout: float = TIMEOUT_S) -> str:
    """stdout of ``git ARGS`` (stripped). Raises ``GitError`` with git's own first line."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed; install git to compare with main") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"'git {' '.join(args)}' took longer than {timeout:g} s") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["(no message)"])[0]
        raise GitError(f"'git {' '.join(args)}' failed: {first}")
    return done.stdout.strip()


def head_commit(cwd: str | Path | None = None) -> str | None:
    """The full SHA of HEAD, or None outside a repository (or without git)."""
    from mlgate.runinfo import git_info

    return (git_info(cwd) or {}).get("commit")


def repository_root(cwd: str | Path | None = None) -> Path:
    """The top folder of the repository ``cwd`` is in. Raises ``GitError`` outside one."""
    try:
        return Path(git("rev-parse", "--show-toplevel", cwd=cwd, timeout=10))
    except GitError:
        raise GitError(
            f"{Path(cwd or '.').resolve()} is not in a git repository; --baseline REF needs "
            "one (or pass a baseline model or folder instead)"
        ) from None


def merge_base(ref: str, cwd: str | Path | None = None) -> str:
    """The commit where HEAD branched from ``ref`` (e.g. ``origin/main``): main's side of
    the pull request. Raises ``GitError`` naming the ref when git does not know it, or
    when the two share no history."""
    repository_root(cwd)
    try:
        git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=cwd, timeout=10)
    except GitError:
        raise GitError(
            f"--baseline {ref}: git knows no such commit or branch here; fetch it first "
            f"(git fetch origin {ref.removeprefix('origin/')}) or name another"
        ) from None
    try:
        return git("merge-base", ref, "HEAD", cwd=cwd)
    except GitError:
        raise GitError(
            f"--baseline {ref}: shares no history with HEAD, so there is no merge base to "
            "compare with; branch from it, or name the branch this one came from"
        ) from None


@contextmanager
def worktree(commit: str, cwd: str | Path | None = None) -> Iterator[Path]:
    """A temporary checkout of ``commit`` (``git worktree add --detach``), removed after."""
    root = repository_root(cwd)
    parent = Path(tempfile.mkdtemp(prefix="mlgate-baseline-"))
    path = parent / "tree"
    git("worktree", "add", "--detach", "--force", str(path), commit, cwd=root, timeout=300)
    try:
        yield path
    finally:
        with suppress(GitError):  # then pruned below
            git("worktree", "remove", "--force", str(path), cwd=root)
        shutil.rmtree(parent, ignore_errors=True)
        with suppress(GitError):
            git("worktree", "prune", cwd=root)
