"""A minimal HTTP client for the serving probe: one connection per request, no proxies.

``http.client`` rather than ``urllib``: a proxy set in the environment must never carry
requests meant for a server on this machine.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mlgate.errors import InputError


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Client:
    """Requests to one server; ``base_url`` may carry a path prefix."""

    def __init__(self, base_url: str, *, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(
                f"--url {base_url!r}: expected an http:// or https:// URL such as "
                "http://127.0.0.1:8000"
            )
        self.base_url = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self.timeout = timeout

    def get(self, path: str, *, timeout: float | None = None) -> Response:
        return self.request("GET", path, timeout=timeout)

    def post(self, path: str, body: bytes, *, content_type: str = "application/json") -> Response:
        return self.request("POST", path, body, {"Content-Type": content_type})

    def post_json(self, path: str, payload: Any) -> Response:
        return self.post(path, json.dumps(payload).encode())

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        timeout: float | None = None,
    ) -> Response:
        """Send one request; network failures raise ``OSError`` (or ``HTTPException``)."""
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=timeout or self.timeout)
        try:
            conn.request(method, self._prefix + path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Response(resp.status, resp.read())
        finally:
            conn.close()
