"""The HTTP layer: the only module that imports ``requests``.

It sends a request with auth, a timeout and our User-Agent, unwraps the ``{"data": ...}``
envelope, turns everything else into a :class:`~lambdacloud.errors.LambdaCloudError`,
retries what is safe to retry, and spaces requests that the API rate-limits hard.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import platform
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO
from urllib.parse import quote, quote_plus, urlsplit

import requests
import tenacity
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from lambdacloud import _retry
from lambdacloud._version import __version__
from lambdacloud.errors import (
    APIConnectionError,
    APITimeoutError,
    LambdaCloudError,
    MalformedResponseError,
    error_class,
    error_from_envelope,
)

logger = logging.getLogger("lambdacloud")

API_PREFIX = "/api/v1"
EXCERPT_LENGTH = 200
USER_AGENT = (
    f"lambdacloud-client/{__version__} python-requests/{requests.__version__} "
    f"Python/{platform.python_version()}"
)

Clock = Callable[[], float]
Sleep = Callable[[float], None]
Timeout = float | tuple[float, float]

_NOT_JSON = object()


def monotonic() -> float:
    """``time.monotonic``, looked up at call time so tests can patch it."""
    return time.monotonic()


def sleep(seconds: float) -> None:
    """``time.sleep``, looked up at call time so tests can patch it."""
    time.sleep(seconds)


class Spacer:
    """Keeps calls at least ``interval`` seconds apart, across threads.

    Args:
        interval: The minimum number of seconds between two calls of :meth:`wait`.
        clock: Monotonic time in seconds.
        sleep: How to wait.
    """

    def __init__(self, interval: float, clock: Clock, sleep: Sleep) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next: float | None = None

    def wait(self) -> None:
        """Block until the interval since the previous call has passed, then claim the slot."""
        with self._lock:
            if self._next is not None:
                delay = self._next - self._clock()
                if delay > 0:
                    logger.info("Waiting %.1f s to respect the API's launch rate limit", delay)
                    self._sleep(delay)
            self._next = self._clock() + self.interval

    def mark(self) -> None:
        """Restart the interval now: the call just ended (its last attempt may have been late)."""
        with self._lock:
            self._next = max(self._next or 0.0, self._clock() + self.interval)


class Session:
    """Sends requests to the Lambda Cloud API and returns the unwrapped ``data``.

    Args:
        api_key: The API key; kept out of every repr, log line and error message.
        base_url: The server root, e.g. ``https://cloud.lambda.ai``.
        auth: ``"bearer"`` or ``"basic"``.
        timeout: Seconds, or a ``(connect, read)`` pair, for every request.
        max_retries: Retries after the first attempt; ``0`` disables retrying.
        http: The ``requests.Session`` to send with; created (and owned) when ``None``.
        sleep: How to wait between retries.
    """

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        auth: str,
        timeout: Timeout,
        max_retries: int,
        http: requests.Session | None,
        sleep: Sleep,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        if auth == "basic":
            token = base64.b64encode(f"{api_key}:".encode()).decode("ascii")
            authorization = f"Basic {token}"
        else:
            token, authorization = api_key, f"Bearer {api_key}"
        # What a server or proxy might echo back of our credentials.
        self._credentials = (authorization, api_key, token)
        self._headers = {
            "Authorization": authorization,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        self._owns_http = http is None
        self.http = http if http is not None else requests.Session()
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"Session(base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the underlying ``requests.Session`` if this object created it."""
        if self._owns_http:
            self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
        spacer: Spacer | None = None,
        secrets: tuple[str, ...] = (),
        envelope: bool = False,
    ) -> Any:
        """Send a request, retrying what is safe to retry, and return the envelope's ``data``.

        Args:
            method: The HTTP method.
            path: The path below ``/api/v1`` (``/instances``), or a full ``/api/...`` path.
            params: Query parameters; ``None`` values are left out.
            json_body: The JSON body, if any.
            idempotent: Whether repeating the request is harmless; by default, true for
                every method but POST.
            spacer: Keeps calls of this kind apart (the launch limit).
            secrets: Values sent in this request that must not come back in an error
                message, should the server echo them (``user_data``).
            envelope: Return the whole ``{"data": ..., ...}`` object, for the members some
                endpoints put beside ``data`` (a page token).

        Returns:
            The ``data`` member of the response envelope (or the envelope).

        Raises:
            LambdaCloudError: The subclass for the API error, status or transport failure.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in _retry.IDEMPOTENT_METHODS
        if not path.startswith("/api/"):
            path = API_PREFIX + path
        query = {key: value for key, value in (params or {}).items() if value is not None}

        def attempt() -> dict[str, Any]:
            try:
                return self._send(method, path, query, json_body, secrets)
            except LambdaCloudError as error:
                self._scrub(error, secrets)
                raise

        if spacer is None:
            payload = self._retrying(idempotent)(attempt)
        else:
            # Retries inside the call follow Retry-After (or never reached the server); the
            # next call is spaced from whenever this one's last attempt was sent.
            spacer.wait()
            try:
                payload = self._retrying(idempotent)(attempt)
            finally:
                spacer.mark()
        return payload if envelope else payload["data"]

    def _retrying(self, idempotent: bool) -> tenacity.Retrying:
        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_retries + 1),
            retry=tenacity.retry_if_exception(
                lambda error: _retry.should_retry(error, idempotent=idempotent)
            ),
            wait=_wait,
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )

    def _send(
        self,
        method: str,
        path: str,
        query: dict[str, Any],
        json_body: Any,
        secrets: tuple[str, ...],
    ) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            response = self.http.request(
                method,
                self.base_url + path,
                params=query or None,
                json=json_body,
                headers=self._headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise _connection_error(f"{method} {path}", self.base_url, exc) from exc
        logger.debug(
            "%s %s -> %s in %.0f ms",
            method,
            path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return self._unwrap(method, path, response, secrets)

    def _unwrap(
        self, method: str, path: str, response: requests.Response, secrets: tuple[str, ...]
    ) -> dict[str, Any]:
        status = response.status_code
        body = response.content
        try:
            payload = json.loads(body) if body else None
        except (ValueError, RecursionError):
            payload = _NOT_JSON
        if 200 <= status < 300 and isinstance(payload, dict) and "data" in payload:
            return payload
        retry_after = _retry.parse_retry_after(response.headers.get("Retry-After"), time.time())
        if isinstance(payload, dict):
            error = error_from_envelope(payload, status, retry_after)
            if error is not None:
                raise error
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            what = f"a redirect to {location!r}; point base_url at the API itself"
        elif not body:
            what = "an empty body"
        elif secrets:
            # Echoes of a secret can be escaped beyond recognition: show none of the body.
            what = "an unreadable body (not shown: the request carried secrets)"
        elif payload is _NOT_JSON:
            what = f"a body that is not JSON: {self._excerpt(body)!r}"
        else:
            what = f"JSON that is not the API's envelope: {self._excerpt(body)!r}"
        cls = MalformedResponseError if 200 <= status < 300 else error_class(None, status)
        raise cls(
            f"{method} {path} answered HTTP {status} with {what}",
            status_code=status,
            retry_after=retry_after,
        )

    def _excerpt(self, body: bytes) -> str:
        """The start of a body, on one line, without credentials, at most 200 characters."""
        text = " ".join(body.decode("utf-8", "replace").split())
        text = self._redact(text, ())
        if len(text) > EXCERPT_LENGTH:
            text = text[:EXCERPT_LENGTH] + "…"
        return text

    def _scrub(self, error: LambdaCloudError, secrets: tuple[str, ...]) -> None:
        """Remove the API key and this request's secrets from what a server said back."""
        error.message = self._redact(error.message, secrets)
        if error.suggestion:
            error.suggestion = self._redact(error.suggestion, secrets)
        error.args = (error.message,)

    def _redact(self, text: str, secrets: tuple[str, ...]) -> str:
        for secret in (*self._credentials, *secrets):
            # Very short values would blank out ordinary words and identify nothing.
            if len(secret) >= 8:
                for form in _spellings(secret):
                    text = text.replace(form, "<redacted>")
        return text

    def upload(self, method: str, url: str, body: BinaryIO, *, content_type: str) -> None:
        """Send a file to a presigned storage URL, without our Authorization header.

        Retried like an idempotent request (the upload replaces the same object) when the
        body can be rewound; otherwise only when it certainly never left.

        Args:
            method: ``PUT`` or ``POST``, as the API said.
            url: The presigned URL; never logged, since it grants access.
            body: The file, read from its current position.
            content_type: The MIME type declared when the upload was initiated.

        Raises:
            LambdaCloudError: The subclass for the status or transport failure.
        """
        method = method.upper()
        host = urlsplit(url).netloc
        start = body.tell() if body.seekable() else None

        def attempt() -> None:
            if start is not None:
                body.seek(start)
            try:
                response = self.http.request(
                    method,
                    url,
                    data=body,
                    headers={"Content-Type": content_type},
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                raise _connection_error(f"{method} upload", url, exc, private_query=True) from exc
            status = response.status_code
            logger.debug("%s upload to %s -> %s", method, host, status)
            if not 200 <= status < 300:
                raise error_class(None, status)(
                    f"{method} upload to {host} answered HTTP {status}: "
                    f"{self._excerpt(response.content)!r}",
                    status_code=status,
                    retry_after=_retry.parse_retry_after(
                        response.headers.get("Retry-After"), time.time()
                    ),
                )

        self._retrying(idempotent=start is not None)(attempt)


def _connection_error(
    what: str, url: str, exc: requests.RequestException, *, private_query: bool = False
) -> APIConnectionError:
    parts = urlsplit(url)
    host = parts.netloc
    reason = _reason(exc)
    if private_query and parts.query:
        reason = reason.replace(parts.query, "<redacted>")
    never_connected = _never_connected(exc)
    if isinstance(exc, requests.Timeout):
        kind = "connecting to" if never_connected else "waiting for an answer from"
        return APITimeoutError(
            f"{what}: timed out {kind} {host} ({reason})", request_sent=not never_connected
        )
    # Certificate problems and malformed URLs do not heal by retrying.
    retryable = not isinstance(
        exc, (requests.exceptions.SSLError, requests.exceptions.InvalidURL, ValueError)
    ) and isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError))
    return APIConnectionError(
        f"{what}: could not complete the request to {host} ({reason})",
        request_sent=not never_connected,
        retryable=retryable,
    )


def _spellings(secret: str) -> list[str]:
    """The ways an echo may spell ``secret``: raw, whitespace-collapsed, JSON, HTML, URL."""
    forms = {
        secret,
        " ".join(secret.split()),
        json.dumps(secret)[1:-1],
        html.escape(secret),
        html.escape(secret, quote=False),
        quote(secret, safe=""),
        quote_plus(secret),
    }
    return sorted(forms, key=len, reverse=True)


def _wait(state: tenacity.RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome is not None else None
    return _retry.retry_delay(error, state.attempt_number) if error is not None else 0.0


def _log_retry(state: tenacity.RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    delay = state.next_action.sleep if state.next_action is not None else 0.0
    logger.info(
        "Retrying in %.1f s after attempt %d failed: %s",
        delay,
        state.attempt_number,
        _summary(error),
    )


def _summary(error: BaseException | None) -> str:
    if isinstance(error, LambdaCloudError):
        return f"{type(error).__name__} (HTTP {error.status_code}, code {error.code})"
    return type(error).__name__


def _never_connected(exc: BaseException) -> bool:
    """Whether the connection was never established, so the server cannot have seen the request."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (NewConnectionError, ConnectTimeoutError)):
            return True
        if isinstance(current, requests.exceptions.ConnectTimeout):
            return True
        nested = current.args[0] if current.args else None
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
        elif isinstance(nested, BaseException):
            current = nested
        else:
            current = current.__cause__ or current.__context__
    return False


def _reason(exc: BaseException) -> str:
    """A short description of a transport failure without the noise of urllib3's wrappers."""
    current: BaseException = exc
    for _ in range(5):
        reason = getattr(current, "reason", None)
        nested = current.args[0] if current.args else None
        if isinstance(reason, BaseException):
            current = reason
        elif isinstance(nested, BaseException):
            current = nested
        else:
            break
    text = str(current) or type(current).__name__
    return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH] + "…"
