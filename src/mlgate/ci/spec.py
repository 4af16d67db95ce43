"""Where the CI pipeline installs mlgate from: ``mlgate init --mlgate-spec SPEC``.

SPEC is a version (``0.1.0``, ``>=0.1``), a git URL (``git+https://host/org/mlgate@v0.1.0``),
a URL of a wheel or sdist, or the path of a wheel inside the project
(``dist/mlgate-0.1.0-py3-none-any.whl``). It becomes one pip requirement with the extras
CI needs, written once in the pipeline (``MLGATE_SPEC``) and given to the Dockerfile.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from mlgate import __version__
from mlgate.errors import MlgateError

#: The extras CI needs: serve (the image, check serving) and model (check model).
EXTRAS = "serve,model"
_VERSION = re.compile(r"(==|>=|<=|~=|!=|>|<)?\s*(\d+(?:\.\d+)*(?:[a-z0-9.+-]*)?)")
_ARCHIVE = (".whl", ".tar.gz", ".zip")


@dataclass(frozen=True)
class MlgateSpec:
    """The requirement pip installs (``requirement``), and one line saying where it
    comes from (``source``) for init's summary. ``local`` is set when the default was
    taken while this mlgate was installed from a folder CI cannot reach."""

    requirement: str
    source: str
    local: str | None = None


def parse_spec(text: str, root: Path) -> MlgateSpec:
    """The requirement for ``--mlgate-spec TEXT`` in the project at ``root``. Raises
    MlgateError (exit 2) for text that is none of a version, a git URL, an archive URL
    or the path of a wheel or sdist inside the project that exists."""
    text = text.strip()
    if m := _VERSION.fullmatch(text):
        op = m.group(1) or "=="
        return MlgateSpec(f"mlgate[{EXTRAS}]{op}{m.group(2)}", f"the package index ({text})")
    if re.match(r"git\+(https|ssh|http|file)://", text):
        return MlgateSpec(f"mlgate[{EXTRAS}] @ {text}", f"git ({text})")
    if re.match(r"https?://", text):
        if not text.endswith(_ARCHIVE):
            raise MlgateError(
                f"--mlgate-spec {text!r}: a URL must be a git URL (git+https://…) or end "
                f"in {', '.join(_ARCHIVE)}"
            )
        return MlgateSpec(f"mlgate[{EXTRAS}] @ {text}", f"a URL ({text})")
    if text.endswith(_ARCHIVE):
        path = Path(text)
        full = path if path.is_absolute() else root / path
        try:
            rel = full.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise MlgateError(
                f"--mlgate-spec {text}: the file is outside the project, so CI cannot reach "
                "it; copy it into the project (e.g. dist/) and commit it"
            ) from None
        if not full.is_file():
            raise MlgateError(f"--mlgate-spec {text}: no such file; build it or fix the path")
        return MlgateSpec(f"./{rel}[{EXTRAS}]", f"the file {rel} in the project")
    raise MlgateError(
        f"--mlgate-spec {text!r}: give a version (0.1.0), a git URL "
        "(git+https://host/org/mlgate@TAG) or the path of a wheel in the project "
        "(dist/mlgate-0.1.0-py3-none-any.whl)"
    )


def default_spec() -> MlgateSpec:
    """Where CI should get this very mlgate: the git commit or URL it was installed from
    (PEP 610's direct_url.json), else its version from the package index."""
    origin = installed_from()
    if origin is not None:
        url = origin.get("url", "")
        vcs = origin.get("vcs_info")
        if isinstance(vcs, dict) and vcs.get("vcs") == "git" and url.startswith("http"):
            ref = f"git+{url}@{vcs.get('commit_id', '')}".rstrip("@")
            return MlgateSpec(
                f"mlgate[{EXTRAS}] @ {ref}", f"git, the commit this mlgate came from ({ref})"
            )
        if "archive_info" in origin and url.startswith("http"):
            return MlgateSpec(f"mlgate[{EXTRAS}] @ {url}", f"the URL this mlgate came from ({url})")
        if url.startswith("file:"):
            return MlgateSpec(
                f"mlgate[{EXTRAS}]=={__version__}",
                f"the package index, this mlgate's version ({__version__}): the default",
                local=url.removeprefix("file://"),
            )
    return MlgateSpec(
        f"mlgate[{EXTRAS}]=={__version__}",
        f"the package index, this mlgate's version ({__version__}): the default",
    )


def installed_from() -> dict[str, object] | None:
    """The installed mlgate's PEP 610 ``direct_url.json`` (how pip got it), or None when
    it came from an index or is not installed as a distribution."""
    from importlib import metadata

    try:
        text = metadata.distribution("mlgate").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
