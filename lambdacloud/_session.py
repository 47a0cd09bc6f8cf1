"""The HTTP layer: the only module that imports ``requests``.

It sends a request with auth, a timeout and our User-Agent, unwraps the ``{"data": ...}``
envelope, turns everything else into a :class:`~lambdacloud.errors.LambdaCloudError`,
retries what is safe to retry, and spaces requests that the API rate-limits hard.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import platform
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, urlsplit

import requests
import requests.auth
import tenacity
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from lambdacloud import _retry
from lambdacloud._redaction import redact
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
#: The largest answer the client reads; the API's are a few hundred kilobytes at most.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
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

    def wait(self) -> float:
        """Block until the interval since the previous call has passed, then claim the slot.

        Returns:
            The time (on the clock) at which the slot was claimed.
        """
        with self._lock:
            if self._next is not None:
                delay = self._next - self._clock()
                if delay > 0:
                    logger.info("Waiting %.1f s to respect the API's launch rate limit", delay)
                    self._sleep(delay)
            claimed = self._clock()
            self._next = claimed + self.interval
            return claimed

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
        self._auth = _Authorization(authorization)
        self._headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
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
        data_optional: bool = False,
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
            data_optional: Any 2xx answer is a success, even without the envelope (an
                accepted asynchronous update); ``data`` is then ``None``.

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
                return self._send(method, path, query, json_body, secrets, data_optional)
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
        data_optional: bool,
    ) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            response = self.http.request(
                method,
                self.base_url + path,
                params=query or None,
                json=json_body,
                headers=self._headers,
                auth=self._auth,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
            with response:
                body = _read_capped(response)
        except requests.RequestException as exc:
            raise _connection_error(f"{method} {path}", self.base_url, exc) from exc
        logger.debug(
            "%s %s -> %s in %.0f ms",
            method,
            path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return self._unwrap(
            method, path, response.status_code, response.headers, body, secrets, data_optional
        )

    def _unwrap(
        self,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes | None,
        secrets: tuple[str, ...] = (),
        data_optional: bool = False,
    ) -> dict[str, Any]:
        """The envelope of an answer, or the error it stands for.

        Args:
            body: The body, or ``None`` when it was larger than the client reads.
        """
        retry_after = _retry.parse_retry_after(headers.get("Retry-After"), time.time())
        if body is None:
            cls = MalformedResponseError if 200 <= status < 300 else error_class(None, status)
            raise cls(
                f"{method} {path} answered HTTP {status} with a body over "
                f"{MAX_RESPONSE_BYTES // (1024 * 1024)} MiB, which the client does not read",
                status_code=status,
                retry_after=retry_after,
            )
        try:
            payload = json.loads(body) if body else None
        except (ValueError, RecursionError):
            payload = _NOT_JSON
        if 200 <= status < 300 and isinstance(payload, dict) and "data" in payload:
            return payload
        if 200 <= status < 300 and data_optional and not _is_error(payload):
            return {"data": None}
        if isinstance(payload, dict):
            error = error_from_envelope(payload, status, retry_after)
            if error is not None:
                raise error
        if 300 <= status < 400:
            location = headers.get("Location", "")
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

    def _excerpt(self, body: bytes, secrets: tuple[str, ...] = ()) -> str:
        """The start of a body, on one line, without secrets, at most 200 characters."""
        text = " ".join(body[: EXCERPT_LENGTH * 8].decode("utf-8", "replace").split())
        text = redact(text, (*self._credentials, *secrets))
        if len(text) > EXCERPT_LENGTH:
            text = text[:EXCERPT_LENGTH] + "…"
        return text

    def _scrub(self, error: LambdaCloudError, secrets: tuple[str, ...]) -> None:
        """Remove the API key and this request's secrets from what a server said back."""
        hidden = (*self._credentials, *secrets)
        error.message = redact(error.message, hidden)
        if error.suggestion:
            error.suggestion = redact(error.suggestion, hidden)
        error.args = (error.message,)

    def upload(self, method: str, url: str, body: BinaryIO, *, content_type: str) -> None:
        """Send a file to a presigned storage URL, with no Authorization header at all.

        Neither ours nor one from the ``requests.Session``, its ``auth`` or ``~/.netrc``:
        storage authenticates the URL's signature. Retried like an idempotent request (the
        upload replaces the same object); a stream that cannot be rewound is read into
        memory first so that a retry sends it whole.

        Args:
            method: ``PUT`` or ``POST``, as the API said.
            url: The presigned URL. Only its host is logged or shown in errors.
            body: The file, read from its current position.
            content_type: The MIME type declared when the upload was initiated.

        Raises:
            MalformedResponseError: ``url`` is not a usable http(s) URL.
            LambdaCloudError: The subclass for the status or transport failure.
        """
        method = method.upper()
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise MalformedResponseError("The API gave an upload URL that is not an http(s) URL")
        host = parts.netloc
        # The signature and credentials in the query grant access: never show them.
        hidden = tuple(value for _, value in parse_qsl(parts.query))
        if not body.seekable():
            body = io.BytesIO(body.read())
        start = body.tell()

        def attempt() -> None:
            body.seek(start)
            try:
                response = self.http.request(
                    method,
                    url,
                    data=body,
                    headers={"Content-Type": content_type},
                    auth=_Authorization(None),
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                error = _connection_error(f"{method} upload", url, exc)
                error.message = redact(error.message, hidden)
                error.args = (error.message,)
                raise error from None
            status = response.status_code
            logger.debug("%s upload to %s -> %s", method, host, status)
            if not 200 <= status < 300:
                raise error_class(None, status)(
                    f"{method} upload to {host} answered HTTP {status}: "
                    f"{self._excerpt(response.content, hidden)!r}",
                    status_code=status,
                    retry_after=_retry.parse_retry_after(
                        response.headers.get("Retry-After"), time.time()
                    ),
                )

        self._retrying(idempotent=True)(attempt)


class _Authorization(requests.auth.AuthBase):
    """Sets the Authorization header (or removes it, for ``None``) as the last step.

    requests applies auth after merging the session's headers, its ``auth`` and
    ``~/.netrc``, so what is sent is exactly ours: a netrc entry cannot replace our key,
    and nothing of the caller's reaches a presigned storage URL.
    """

    def __init__(self, value: str | None) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._value is None:
            request.headers.pop("Authorization", None)
        else:
            request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "<Authorization>"


def _read_capped(response: requests.Response) -> bytes | None:
    """The whole body, or ``None`` (and the connection dropped) past the size the client reads."""
    chunks = []
    size = 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _is_error(payload: Any) -> bool:
    return isinstance(payload, dict) and "error" in payload


def _connection_error(what: str, url: str, exc: requests.RequestException) -> APIConnectionError:
    host = urlsplit(url).netloc
    reason = _reason(exc)
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
