"""Running the serving app: settings, gunicorn, a Docker container or a given URL.

Whatever mlgate starts it stops again, also on failure, Ctrl-C or SIGTERM: gunicorn runs
in its own process group, which is terminated (then killed) as a whole, and a container
is removed by the name mlgate gave it.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mlgate.errors import InputError, MissingExtraError, MlgateError
from mlgate.serving import defaults
from mlgate.serving.records import DEFAULT_MAX_RECORDS

if TYPE_CHECKING:
    from flask import Flask

    from mlgate.serving._http import Client

#: What gunicorn imports and calls to build the app (settings come from the environment).
APP_FACTORY = "mlgate.serving.wsgi:app()"
ENV_PREFIX = "MLGATE_SERVE_"
#: The port the app listens on inside a serving image.
CONTAINER_PORT = 8000
#: Seconds gunicorn gives its workers to finish their requests when ``mlgate serve`` stops.
STOP_GRACE = 5.0
#: Seconds a server started for a check has to exit before it is killed: nothing it
#: does then matters any more, and interpreters with large libraries exit slowly.
CHECK_STOP_GRACE = 2.0
#: Lines of a server's output shown when it fails.
TAIL_LINES = 20


@dataclass(frozen=True)
class ServeSettings:
    """How to serve a model. The app's part travels to gunicorn's workers as
    ``MLGATE_SERVE_*`` environment variables (see ``to_env``)."""

    model: Path
    schema: Path
    target: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = defaults.WORKERS
    log_requests: Path | None = None
    trust_pickle: bool = False
    strict: bool = False
    name: str | None = None
    version: str | None = None
    max_records: int = DEFAULT_MAX_RECORDS

    def to_env(self) -> dict[str, str]:
        env = {
            "MODEL": str(Path(self.model).resolve()),
            "SCHEMA": str(Path(self.schema).resolve()),
            "TRUST_PICKLE": "1" if self.trust_pickle else "0",
            "STRICT": "1" if self.strict else "0",
            "MAX_RECORDS": str(self.max_records),
        }
        optional = {
            "TARGET": self.target,
            "LOG_REQUESTS": str(Path(self.log_requests).resolve()) if self.log_requests else None,
            "NAME": self.name,
            "VERSION": self.version,
        }
        env.update({k: v for k, v in optional.items() if v is not None})
        return {ENV_PREFIX + k: v for k, v in env.items()}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServeSettings:
        def get(key: str) -> str | None:
            value = env.get(ENV_PREFIX + key, "").strip()
            return value or None

        model, schema = get("MODEL"), get("SCHEMA")
        if model is None or schema is None:
            missing = [
                ENV_PREFIX + k for k, v in (("MODEL", model), ("SCHEMA", schema)) if v is None
            ]
            raise InputError(
                f"{' and '.join(missing)} not set: the serving app needs the model file and the "
                "schema; start it with 'mlgate serve --model ... --schema ...'"
            )
        max_records = get("MAX_RECORDS") or str(DEFAULT_MAX_RECORDS)
        if not max_records.isdigit() or int(max_records) < 1:
            raise InputError(
                f"{ENV_PREFIX}MAX_RECORDS={max_records!r}: expected a whole number >= 1"
            )
        log = get("LOG_REQUESTS")
        return cls(
            model=Path(model),
            schema=Path(schema),
            target=get("TARGET"),
            log_requests=Path(log) if log else None,
            trust_pickle=get("TRUST_PICKLE") in ("1", "true", "yes"),
            strict=get("STRICT") in ("1", "true", "yes"),
            name=get("NAME"),
            version=get("VERSION"),
            max_records=int(max_records),
        )


def build_app(settings: ServeSettings) -> Flask:
    """Load the model and schema the settings name and build the app."""
    from mlgate.data.schema import load_schema
    from mlgate.serving.app import create_app
    from mlgate.serving.artifacts import load_model, model_version

    schema = load_schema(settings.schema)
    model = load_model(settings.model, trust_pickle=settings.trust_pickle)
    if settings.log_requests is not None and not Path(settings.log_requests).parent.is_dir():
        raise InputError(
            f"cannot log requests to {settings.log_requests}: its folder does not exist"
        )
    return create_app(
        model,
        schema,
        name=settings.name or Path(settings.model).stem,
        version=settings.version or model_version(settings.model),
        log_path=settings.log_requests,
        target=settings.target,
        max_records=settings.max_records,
        strict=settings.strict,
    )


def gunicorn_command(settings: ServeSettings, *, access_log: bool = True) -> list[str]:
    """``python -m gunicorn`` serving the app factory; the model is loaded once in the
    master (``--preload``) so a broken model stops the server before workers fork.

    Without the control socket that newer gunicorn opens in the home folder: servers on
    one machine would share it, and a serving image's user may not have a home.
    """
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{settings.host}:{settings.port}",
        "--workers",
        str(settings.workers),
        "--preload",
        "--graceful-timeout",
        str(int(STOP_GRACE)),
    ]
    if access_log:
        cmd += ["--access-logfile", "-"]
    if _gunicorn_has("control_socket_disable"):
        cmd.append("--no-control-socket")
    return [*cmd, APP_FACTORY]


def _gunicorn_has(setting: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(s.name == setting for s in KNOWN_SETTINGS)


def require_gunicorn() -> None:
    if importlib.util.find_spec("gunicorn") is None:
        raise MissingExtraError("gunicorn", "serve")


def serve(settings: ServeSettings) -> int:
    """Run gunicorn in the foreground until it stops; returns its exit code.

    The model and schema are loaded here first, so a mistake in them is one clear error
    rather than a gunicorn traceback. SIGTERM is passed on to gunicorn (graceful stop).
    """
    require_gunicorn()
    build_app(settings)
    env = {**os.environ, **settings.to_env()}
    proc = subprocess.Popen(gunicorn_command(settings), env=env, stdin=subprocess.DEVNULL)
    previous = signal.getsignal(signal.SIGTERM)
    on_main = threading.current_thread() is threading.main_thread()
    if on_main:
        signal.signal(signal.SIGTERM, lambda signum, _frame: proc.send_signal(signum))
    try:
        return proc.wait()
    except KeyboardInterrupt:
        # Ctrl-C on a terminal reached gunicorn too; give it time to stop.
        _wait_or_kill(proc, STOP_GRACE * 2)
        raise
    finally:
        if on_main:
            signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _wait_or_kill(proc: subprocess.Popen[bytes], grace: float) -> None:
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Server(Protocol):
    """A serving endpoint the probe talks to, and whatever it takes to stop it."""

    @property
    def url(self) -> str: ...

    def start(self) -> None: ...

    def exit_code(self) -> int | None:
        """The exit code once the server process has ended; None while it runs."""

    def output_tail(self, lines: int = TAIL_LINES) -> str: ...

    def stop(self) -> None: ...

    def hint(self) -> str:
        """What to do when it does not become healthy."""


class ExternalServer:
    """A server someone else runs (``--url``): nothing to start or stop."""

    def __init__(self, url: str) -> None:
        self._url = url.rstrip("/")

    @property
    def url(self) -> str:
        return self._url

    def start(self) -> None:
        return None

    def exit_code(self) -> int | None:
        return None

    def output_tail(self, lines: int = TAIL_LINES) -> str:
        return ""

    def stop(self) -> None:
        return None

    def hint(self) -> str:
        return "check the URL and that the server is running"


class GunicornServer:
    """gunicorn serving the app on this machine, in a process group of its own."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    def start(self) -> None:
        require_gunicorn()
        fd, name = tempfile.mkstemp(prefix="mlgate-gunicorn-", suffix=".log")
        self._log = Path(name)
        env = {**os.environ, **self.settings.to_env()}
        try:
            self.process = subprocess.Popen(
                gunicorn_command(self.settings, access_log=False),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            os.close(fd)

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def output_tail(self, lines: int = TAIL_LINES) -> str:
        if self._log is None or not self._log.exists():
            return ""
        text = self._log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is not None:
            with _signals_deferred():
                _stop_group(proc)
                _wait_port_closed(self.settings.host, self.settings.port)
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None

    def hint(self) -> str:
        return (
            "check that 'mlgate serve' starts with the same model and schema, or raise "
            "--timeout if the model takes longer to load"
        )


def _stop_group(proc: subprocess.Popen[bytes], grace: float = CHECK_STOP_GRACE) -> None:
    """SIGTERM to gunicorn's whole group (master and workers), SIGKILL after the grace."""
    pgid = proc.pid  # start_new_session made it the group leader
    _killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _killpg(pgid, signal.SIGKILL)
        proc.wait()
    # A worker outliving its master would keep the port: make sure the group is gone.
    _killpg(pgid, signal.SIGKILL)


def _wait_port_closed(host: str, port: int, timeout: float = 5.0) -> None:
    """Return once nothing accepts connections on the port (killed workers take a moment
    to die), so a next server may take it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) != 0:
                return
        time.sleep(0.05)


def _killpg(pgid: int, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while stopping, so a second Ctrl-C cannot cut it short."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class DockerContainer:
    """A serving image run with Docker, published on a free port of 127.0.0.1."""

    def __init__(self, image: str, *, container_port: int = CONTAINER_PORT) -> None:
        self.image = image
        self.container_port = container_port
        self.name = f"mlgate-check-{uuid.uuid4().hex[:12]}"
        self._docker: str | None = None
        self._url: str | None = None
        self._started = False

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the container has not been started")
        return self._url

    def start(self) -> None:
        docker = shutil.which("docker")
        if docker is None:
            raise MlgateError(
                "--image needs Docker, but the docker command is not on PATH; install Docker, "
                "or start the server yourself and pass --url"
            )
        self._docker = docker
        self._started = True  # from here on stop() removes the container by its name
        run = self._run(
            "run", "-d", "--name", self.name, "-p", f"127.0.0.1:0:{self.container_port}", self.image
        )
        if run.returncode != 0:
            raise MlgateError(f"docker run {self.image} failed: {_last_line(run.stderr)}")
        port = self._run("port", self.name, f"{self.container_port}/tcp")
        published = [ln.strip() for ln in port.stdout.splitlines() if ln.strip()]
        if port.returncode != 0 or not published:
            raise MlgateError(
                f"docker port {self.name}: the container publishes no port "
                f"{self.container_port}: {_last_line(port.stderr)}; the image must listen "
                f"on {self.container_port}"
            )
        host_port = published[0].rsplit(":", 1)[-1]
        self._url = f"http://127.0.0.1:{host_port}"

    def exit_code(self) -> int | None:
        if not self._started:
            return None
        out = self._run("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", self.name)
        running, _, code = out.stdout.strip().partition(" ")
        if out.returncode != 0 or running == "true":
            return None
        return int(code) if code.lstrip("-").isdigit() else 1

    def output_tail(self, lines: int = TAIL_LINES) -> str:
        if not self._started:
            return ""
        out = self._run("logs", "--tail", str(lines), self.name, merge=True)
        return out.stdout.strip()

    def stop(self) -> None:
        if self._started:
            with _signals_deferred():
                self._run("rm", "-f", self.name, timeout=60)
            self._started = False

    def hint(self) -> str:
        return (
            f"check that the image serves the app on port {self.container_port} "
            "(docker logs shows why it does not)"
        )

    def _run(
        self, *args: str, merge: bool = False, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        assert self._docker is not None
        try:
            return subprocess.run(
                [self._docker, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise MlgateError(f"docker {args[0]} did not finish within {timeout:g} s") from None


def _last_line(text: str | None) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else "(no message)"


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """Start ``server`` and always stop it: on return, error, Ctrl-C or SIGTERM."""
    with _sigterm_raises():
        try:
            server.start()
            yield server
        finally:
            server.stop()


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so ``finally`` blocks run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def wait_healthy(server: Server, client: Client, timeout: float) -> float:
    """Poll ``GET /health`` until it answers 200; the seconds it took (see
    :func:`wait_ready`)."""
    return wait_ready(server, client, timeout)[0]


def wait_ready(
    server: Server,
    client: Client,
    timeout: float,
    *,
    health_path: str = "/health",
    predict_path: str | None = None,
) -> tuple[float, str]:
    """Poll ``GET health_path`` until it answers 200; the seconds it took and the route
    that answered.

    With ``predict_path``, a server that has no health route (``GET health_path``
    answers 404: a user's own app) is ready once ``POST predict_path`` of an empty JSON
    list gets any answer that shows the route is there (neither 404 nor 405, below 500).
    Fails with one clear error (and the server's last lines of output) when the server
    exits first or is not ready within ``timeout`` seconds.
    """
    start = time.monotonic()
    deadline = start + timeout
    last = "no answer"
    while True:
        code = server.exit_code()
        if code is not None:
            raise MlgateError(
                f"the server at {server.url} exited with code {code} before it became "
                f"healthy; {server.hint()}{_tail(server)}"
            )
        remaining = deadline - time.monotonic()
        wait = max(0.2, min(2.0, remaining))
        try:
            resp = client.get(health_path, timeout=wait)
            if resp.status == 200:
                return time.monotonic() - start, f"GET {health_path}"
            last = f"GET {health_path} answered {resp.status}"
            if resp.status == 404 and predict_path is not None:
                json_type = {"Content-Type": "application/json"}
                tried = client.request("POST", predict_path, b"[]", json_type, timeout=wait)
                if tried.status not in (404, 405) and tried.status < 500:
                    route = f"POST {predict_path} (GET {health_path} answered 404)"
                    return time.monotonic() - start, route
                last += f", POST {predict_path} answered {tried.status}"
        except (OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if time.monotonic() >= deadline:
            hint = server.hint()
            if last.startswith(f"GET {health_path} answered 404"):
                hint = "give the server's routes with --health-path and --predict-path; " + hint
            raise MlgateError(
                f"the server at {server.url} did not become healthy within {timeout:g} s "
                f"(last: {last}); {hint}{_tail(server)}"
            )
        time.sleep(0.1)


def _tail(server: Server) -> str:
    tail = server.output_tail()
    if not tail:
        return ""
    indented = "\n".join(f"    {ln}" for ln in tail.splitlines())
    return f"; its last lines of output:\n{indented}"
