"""A local HTTP server that plays the GitHub REST endpoints ``mlgate comment`` uses.

It serves, for one repository and one token:
- ``GET  /repos/{o}/{r}/issues/{n}/comments`` paginated (``per_page``, ``page``) with a
  ``Link`` header carrying ``rel="next"``/``rel="last"`` as GitHub sends it;
- ``POST /repos/{o}/{r}/issues/{n}/comments``, refusing bodies over 65,536 characters
  with a 422 as GitHub does;
- ``PATCH /repos/{o}/{r}/issues/comments/{id}``.
A wrong or missing ``Authorization`` gets a 401, ``read_only`` makes writes a 403
"Resource not accessible by integration" (a fork's token), and ``fail_next`` queues
canned answers (a 502, a 429 with ``Retry-After``...) ahead of the real ones. Every
request is recorded with its method, path, headers and JSON body.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

COMMENT_LIMIT = 65_536


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names in lower case
    body: Any  # the JSON body, or None

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}


@dataclass
class _Canned:
    status: int
    headers: dict[str, str]
    body: Any
    method: str | None


@dataclass
class FakeGitHub:
    token: str
    repository: str = "octo-org/penguins"
    login: str = "github-actions[bot]"
    read_only: bool = False
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    _canned: deque[_Canned] = field(default_factory=deque)
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- control ----------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        fake = self

        class Handler(_Handler):
            github = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_comment(self, number: int, body: str, *, login: str = "someone") -> dict[str, Any]:
        with self._lock:
            return self._store(number, body, login)

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests (of ``method``, if given) with ``status``."""
        message = body if body is not None else {"message": f"canned {status}"}
        for _ in range(times):
            self._canned.append(_Canned(status, dict(headers or {}), message, method))

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("POST", "PATCH")]

    # -- state ------------------------------------------------------------------------
    def _store(self, number: int, body: str, login: str) -> dict[str, Any]:
        self._next_id += 1
        comment = {
            "id": self._next_id,
            "body": body,
            "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
            "html_url": f"https://github.com/{self.repository}/pull/{number}"
            f"#issuecomment-{self._next_id}",
        }
        self.comments.setdefault(number, []).append(comment)
        return comment

    def _take_canned(self, method: str) -> _Canned | None:
        for canned in list(self._canned):
            if canned.method in (None, method):
                self._canned.remove(canned)
                return canned
        return None

    def handle(self, method: str, path: str, body: Any, host: str) -> tuple[int, dict, Any]:
        with self._lock:
            canned = self._take_canned(method)
            if canned is not None:
                return canned.status, canned.headers, canned.body
            return self._route(method, path, body, host)

    def _route(self, method: str, path: str, body: Any, host: str) -> tuple[int, dict, Any]:
        parts = urlsplit(path)
        repo = re.escape(self.repository)
        listing = re.fullmatch(rf"/repos/{repo}/issues/(\d+)/comments", parts.path)
        single = re.fullmatch(rf"/repos/{repo}/issues/comments/(\d+)", parts.path)
        if listing and method == "GET":
            return self._list(int(listing.group(1)), parts.query, host, parts.path)
        if (listing and method == "POST") or (single and method == "PATCH"):
            if self.read_only:
                return 403, {}, {"message": "Resource not accessible by integration"}
            text = body.get("body") if isinstance(body, dict) else None
            if not isinstance(text, str):
                return 422, {}, {"message": "Validation Failed", "errors": ["body missing"]}
            if len(text) > COMMENT_LIMIT:
                return 422, {}, {"message": "Validation Failed: body is too long"}
            if listing:
                return 201, {}, self._store(int(listing.group(1)), text, self.login)
            assert single is not None
            for thread in self.comments.values():
                for comment in thread:
                    if comment["id"] == int(single.group(1)):
                        comment["body"] = text
                        return 200, {}, comment
        return 404, {}, {"message": "Not Found"}

    def _list(self, number: int, query: str, host: str, route: str) -> tuple[int, dict, Any]:
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        per_page = min(int(params.get("per_page", 30)), 100)
        page = int(params.get("page", 1))
        items = self.comments.get(number, [])
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        base = f"http://{host}{route}?per_page={per_page}"
        if page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}&page=1>; rel="first"')
            links.append(f'<{base}&page={page - 1}>; rel="prev"')
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, headers, chunk


class _Handler(BaseHTTPRequestHandler):
    github: FakeGitHub
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake = self.github
        fake.requests.append(Recorded(self.command, self.path, headers, body))
        auth = headers.get("authorization", "")
        if auth not in (f"Bearer {fake.token}", f"token {fake.token}"):
            status, extra, payload = 401, {}, {"message": "Bad credentials"}
        else:
            host = headers.get("host", "127.0.0.1")
            status, extra, payload = fake.handle(self.command, self.path, body, host)
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean
