"""A small GitHub REST client on the standard library: bounded retries, pagination, and a
token that never leaves the API host or appears in a message.

Retried: 5xx answers, rate limits (429, or 403 with ``X-RateLimit-Remaining: 0``, a
``Retry-After`` header or a "rate limit" message) and network errors, at most
``RetryPolicy.retries`` times and ``RetryPolicy.max_wait`` seconds of waiting in all. The
wait honours ``Retry-After`` and ``X-RateLimit-Reset``, else it doubles from
``RetryPolicy.backoff``. Anything else GitHub refuses is a ``GitHubApiError`` at once.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

API_VERSION = "2022-11-28"
PER_PAGE = 100
#: Pages followed at most when listing (10,000 comments at 100 a page).
MAX_PAGES = 100

_REDACTED = "***"
# GitHub's token formats, redacted even when they are not the token in use.
_TOKEN_PATTERN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')


class GitHubApiError(Exception):
    """A request GitHub refused, or that could not be made. The message is one line,
    free of the token. ``read_only`` is set when the token may read but not write
    (a pull request from a fork gets such a token)."""

    def __init__(self, message: str, *, status: int | None = None, read_only: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.read_only = read_only


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``retries`` after the first attempt, waits starting at
    ``backoff`` seconds and doubling, never more than ``max_wait`` seconds in all, and
    ``timeout`` seconds for each request."""

    retries: int = 3
    backoff: float = 1.0
    max_wait: float = 60.0
    timeout: float = 10.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # names in lower case
    data: Any


@dataclass(frozen=True)
class _Failure:
    message: str
    status: int | None
    retryable: bool
    read_only: bool = False
    wait: float | None = None  # Retry-After: what GitHub asked for, if it did
    reset: float | None = None  # X-RateLimit-Reset: when the rate limit resets (epoch s)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every secret, and anything shaped like a GitHub token, masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return _TOKEN_PATTERN.sub(_REDACTED, text)


def origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the API host, so the token is never sent elsewhere."""

    def __init__(self, allowed: tuple[str, str]) -> None:
        super().__init__()
        self._allowed = allowed

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if origin(newurl) != self._allowed:
            return None  # urllib then raises the 3xx as an HTTPError
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class GitHubClient:
    """Requests to one GitHub API host (``https://api.github.com`` or an Enterprise
    server's ``/api/v3``) with one token."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        user_agent: str,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        base = api_url.rstrip("/")
        scheme, netloc = origin(base)
        if scheme not in ("http", "https") or not netloc:
            raise GitHubApiError(f"GITHUB_API_URL {api_url!r} is not an http(s) URL")
        self._base = base
        self._origin = (scheme, netloc)
        self._token = token
        self._user_agent = user_agent
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._opener = urllib.request.build_opener(_SameOriginRedirects(self._origin))

    def redact(self, text: str) -> str:
        return redact(text, (self._token,))

    def request(self, method: str, target: str, body: Any = None) -> Response:
        """``method`` on ``target`` (a path under the API, or a full URL on its host)
        with ``body`` as JSON; retried as the module says. Raises GitHubApiError."""
        url = self._url(target)
        payload = None if body is None else json.dumps(body).encode("utf-8")
        what = f"{method} {urllib.parse.urlsplit(url).path}"
        policy = self._policy
        waited = 0.0
        for attempt in range(policy.retries + 1):
            try:
                return self._send(method, url, payload)
            except urllib.error.HTTPError as exc:
                failure = _http_failure(exc)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                failure = _network_failure(self._base, exc)
            message = self.redact(f"{what}: {failure.message}")
            if not failure.retryable:
                raise GitHubApiError(
                    message, status=failure.status, read_only=failure.read_only
                ) from None
            if attempt == policy.retries:
                raise GitHubApiError(
                    f"{message}; gave up after {attempt + 1} attempts", status=failure.status
                ) from None
            delay = self._delay(failure, attempt)
            if waited + delay > policy.max_wait:
                raise GitHubApiError(
                    f"{message}; GitHub asks to wait {delay:.0f} s, more than mlgate waits "
                    f"({policy.max_wait:.0f} s in all)",
                    status=failure.status,
                ) from None
            self._sleep(delay)
            waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    def paginate(self, path: str) -> Iterator[Any]:
        """Every item of a listing, page after page (``per_page=100``), following the
        ``Link: <...>; rel="next"`` header; stops early when the caller does."""
        sep = "&" if "?" in path else "?"
        url: str | None = self._url(f"{path}{sep}per_page={PER_PAGE}")
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self.request("GET", url)
            if not isinstance(response.data, list):
                raise GitHubApiError(f"GET {path}: GitHub answered something other than a list")
            yield from response.data
            url = next_link(response.headers.get("link"))
        raise GitHubApiError(f"GET {path}: more than {MAX_PAGES} pages; stopped listing")

    def _url(self, target: str) -> str:
        if "://" not in target:
            return self._base + target
        if origin(target) != self._origin:
            raise GitHubApiError(
                f"refusing to send the token to {origin(target)[1]}, which is not the API host"
            )
        return target

    def _send(self, method: str, url: str, payload: bytes | None) -> Response:
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "User-Agent": self._user_agent,
            "X-GitHub-Api-Version": API_VERSION,
        }
        if payload is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        req = urllib.request.Request(url, data=payload, headers=headers, method=method)
        with self._opener.open(req, timeout=self._policy.timeout) as resp:
            raw = resp.read()
            status = resp.status
            names = {k.lower(): v for k, v in resp.headers.items()}
        try:
            data = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise GitHubApiError(f"GitHub answered {status} with a body that is not JSON") from None
        return Response(status, names, data)

    def _delay(self, failure: _Failure, attempt: int) -> float:
        if failure.wait is not None:
            return max(0.0, failure.wait)
        if failure.reset is not None:  # one second past the reset, against clock skew
            return max(0.0, failure.reset - self._clock()) + 1.0
        return self._policy.backoff * 2**attempt


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, or None on the last page."""
    for url, rels in _LINK.findall(header or ""):
        if "next" in rels.split():
            return url
    return None


def _http_failure(exc: urllib.error.HTTPError) -> _Failure:
    try:
        raw = exc.read()
    except (OSError, http.client.HTTPException):
        raw = b""
    finally:
        exc.close()
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    said = _github_message(raw) or (exc.reason if isinstance(exc.reason, str) else "")
    status = exc.code
    text = f"GitHub answered {status}" + (f" ({said})" if said else "")
    retry_after = _seconds(headers.get("retry-after"))
    rate_limited = status == 429 or (
        status == 403
        and (
            headers.get("x-ratelimit-remaining") == "0"
            or retry_after is not None
            or "rate limit" in said.lower()
        )
    )
    if rate_limited:
        reset = _seconds(headers.get("x-ratelimit-reset"))
        return _Failure(
            f"{text}: rate limited", status, retryable=True, wait=retry_after, reset=reset
        )
    if status >= 500:
        return _Failure(text, status, retryable=True, wait=retry_after)
    if status == 403:
        return _Failure(text, status, retryable=False, read_only=True)
    if status == 401:
        return _Failure(f"{text}: the token was rejected", status, retryable=False)
    return _Failure(text, status, retryable=False)


def _network_failure(base: str, exc: BaseException) -> _Failure:
    reason = getattr(exc, "reason", None) or exc
    text = str(reason) or type(reason).__name__
    if isinstance(reason, TimeoutError) or "timed out" in text:
        text = "timed out"
    return _Failure(f"cannot reach {base}: {text}", None, retryable=True)


def _github_message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return " ".join(str(message).split()) if message else ""


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
