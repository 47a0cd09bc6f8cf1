"""The HTTP layer: the only module that imports ``requests``.

It sends a request with auth, a timeout and our User-Agent, has the answer unwrapped
(``lambdacloud._response``), turns transport failures into
``APIConnectionError``, retries what is safe to retry, and spaces
requests that the API rate-limits hard.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
import requests.adapters
import requests.auth
import requests.cookies
import requests.utils
import urllib3
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from lambdacloud import _response, _retry
from lambdacloud._redaction import redact
from lambdacloud._retry import Sleep, Spacer
from lambdacloud._version import __version__
from lambdacloud.errors import (
    APIConnectionError,
    APITimeoutError,
    LambdaCloudError,
    MalformedResponseError,
    error_class,
)

if TYPE_CHECKING:
    import tenacity

logger = logging.getLogger("lambdacloud")

API_PREFIX = "/api/v1"
USER_AGENT = (
    f"lambdacloud-client/{__version__} python-requests/{requests.__version__} "
    f"Python/{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}"
)

Timeout = float | tuple[float, float]

#: ``HTTPAdapter.send`` as requests defines it; mock libraries replace it while active.
_STOCK_SEND = requests.adapters.HTTPAdapter.send
#: The direct path is written for urllib3 2 (requests still allows 1.26).
_URLLIB3_2 = hasattr(urllib3, "BaseHTTPResponse")


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
        self._owns_http = http is None
        self.http = http if http is not None else requests.Session()
        self._sleep = sleep
        # Resolved once, not per call: the session's headers under ours (our Authorization
        # last, so neither the session nor ~/.netrc can replace it), and the environment's
        # proxies and certificates for the API's host.
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        headers.update({k: v for k, v in self.http.headers.items() if isinstance(v, str)})
        headers.update(
            {"Accept": "application/json", "User-Agent": USER_AGENT, "Authorization": authorization}
        )
        self._headers: dict[str, str] = dict(headers.items())  # unique names, any case
        settings = self.http.merge_environment_settings(base_url, {}, None, None, None)
        self._proxies = settings["proxies"]
        self._verify = settings["verify"]
        self._cert = settings["cert"]
        parts = urlsplit(base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        # A plain-http proxy is sent whole URLs; a direct connection or a tunnel, paths.
        proxy = requests.utils.select_proxy(base_url, self._proxies)
        self._proxy_sees_urls = proxy is not None and parts.scheme == "http"
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self._urllib3_timeout = urllib3.Timeout(connect=connect, read=read)
        self._retriers: dict[bool, tenacity.Retrying] = {}
        self._cached_pool: tuple[Any, urllib3.HTTPConnectionPool | None] = (None, None)

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
                _response.scrub(error, (*self._credentials, *secrets))
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
        # One per kind, shared by every call: tenacity keeps each call's state in the call
        # (and its statistics per thread), so sharing is safe and saves building one per call.
        retrier = self._retriers.get(idempotent)
        if retrier is None:
            import tenacity  # on the first call, not when the package is imported

            retrier = self._retriers[idempotent] = tenacity.Retrying(
                stop=tenacity.stop_after_attempt(self.max_retries + 1),
                retry=tenacity.retry_if_exception(
                    lambda error: _retry.should_retry(error, idempotent=idempotent)
                ),
                wait=_retry.wait_before_retry,
                sleep=self._sleep,
                before_sleep=_retry.log_retry,
                reraise=True,
            )
        return retrier

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
        url = self.base_url + path
        if query:
            url += "?" + urlencode(query, doseq=True)
        headers = self._headers
        body = None
        if json_body is not None:
            body = json.dumps(json_body, allow_nan=False).encode()
            headers = {**headers, "Content-Type": "application/json"}
            headers["Content-Length"] = str(len(body))
        elif method not in ("GET", "HEAD"):
            headers = {**headers, "Content-Length": "0"}
        try:
            pool = self._pool()
            if pool is None:
                status, answer_headers, answer = self._send_with_requests(
                    method, url, body, headers
                )
            else:
                status, answer_headers, answer = self._send_with_urllib3(
                    pool, method, url, body, headers
                )
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise _connection_error(f"{method} {path}", self.base_url, exc) from exc
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            logger.debug("%s %s -> %s in %.0f ms", method, path, status, elapsed)
        return self._unwrap(method, path, status, answer_headers, answer, secrets, data_optional)

    def _pool(self) -> urllib3.HTTPConnectionPool | None:
        """The connection pool to send on directly, or None to send through ``requests``.

        Sending on the pool the session's own adapter chose skips the adapter's per-call
        work, which is most of what a call costs. It is done only when nothing would miss
        that work: the stock adapter (not a mock library's, not one the caller mounted), no
        response hooks, no cookies. The pool is looked up once, and again only if the
        adapter changed or closed it.
        """
        adapter = self.http.get_adapter(self.base_url)
        if (
            not _URLLIB3_2
            or type(adapter) is not requests.adapters.HTTPAdapter
            or requests.adapters.HTTPAdapter.send is not _STOCK_SEND
            or self.http.hooks.get("response")
            or len(self.http.cookies)
        ):
            return None
        cached_adapter, pool = self._cached_pool
        if cached_adapter is not adapter or pool is None or pool.pool is None:
            probe = requests.PreparedRequest()
            probe.url = self.base_url
            found = adapter.get_connection_with_tls_context(
                probe, self._verify, proxies=self._proxies, cert=self._cert
            )
            pool = cast(urllib3.HTTPConnectionPool, found)
            self._cached_pool = (adapter, pool)
        return pool

    def _send_with_urllib3(
        self,
        pool: urllib3.HTTPConnectionPool,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> tuple[int, Mapping[str, str], bytes | None]:
        response = pool.urlopen(
            method,
            url if self._proxy_sees_urls else url[len(self._origin) :],
            body=body,
            headers=headers,
            retries=False,
            redirect=False,
            assert_same_host=False,
            timeout=self._urllib3_timeout,
            preload_content=False,
            decode_content=True,
        )
        return response.status, response.headers, _response.read_capped_urllib3(response)

    def _send_with_requests(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes | None]:
        # Built directly from what was resolved once: ``Session.request`` would merge the
        # session's settings, the environment and ~/.netrc into every call again.
        request = requests.PreparedRequest()
        request.method = method
        request.url = url
        request.body = body
        request.headers = CaseInsensitiveDict(headers)
        request.hooks = self.http.hooks
        # requests reads the request's cookie jar when an answer is a redirect.
        request.__dict__["_cookies"] = requests.cookies.RequestsCookieJar()
        response = self.http.send(
            request,
            stream=True,
            timeout=self.timeout,
            allow_redirects=False,
            proxies=self._proxies,
            verify=self._verify,
            cert=self._cert,
        )
        with response:
            answer = _read_capped(response)
        return response.status_code, response.headers, answer

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
        """``unwrap()``, hiding this session's credentials."""
        return _response.unwrap(
            method,
            path,
            status,
            headers,
            body,
            hidden=(*self._credentials, *secrets),
            secrets=secrets,
            data_optional=data_optional,
        )

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
                    f"{_response.excerpt(response.content, hidden)!r}",
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
    if (
        _response.declared_length(response.headers.get("Content-Length"))
        > _response.MAX_RESPONSE_BYTES
    ):
        return None  # said so up front: not worth reading
    chunks = []
    size = 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        size += len(chunk)
        if size > _response.MAX_RESPONSE_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _connection_error(what: str, url: str, exc: Exception) -> APIConnectionError:
    """The library's error for a transport failure, raised by requests or by urllib3."""
    host = urlsplit(url).netloc
    why = _reason(exc)
    unsent = _never_connected(exc)
    if _timed_out(exc):
        kind = "connecting to" if unsent else "waiting for an answer from"
        return APITimeoutError(f"{what}: timed out {kind} {host} ({why})", request_sent=not unsent)
    # Certificate problems and malformed URLs do not heal by retrying.
    retryable = not isinstance(
        exc,
        (
            requests.exceptions.SSLError,
            requests.exceptions.InvalidURL,
            urllib3.exceptions.SSLError,
            urllib3.exceptions.LocationValueError,
            ValueError,
        ),
    ) and isinstance(
        exc,
        (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            urllib3.exceptions.ProtocolError,
            urllib3.exceptions.NewConnectionError,
            urllib3.exceptions.ProxyError,
        ),
    )
    return APIConnectionError(
        f"{what}: could not complete the request to {host} ({why})",
        request_sent=not unsent,
        retryable=retryable,
    )


def _timed_out(exc: BaseException) -> bool:
    """Whether a transport failure was a timeout, however requests or urllib3 wrapped it.

    requests reports a read timeout in the middle of a body as a ``ConnectionError``; urllib3
    counts a refused connection as a kind of connect timeout. Neither is what happened.
    """
    return any(
        isinstance(cause, (requests.Timeout, urllib3.exceptions.TimeoutError))
        and not isinstance(cause, NewConnectionError)
        for cause in _causes(exc)
    )


def _wrapped(exc: BaseException) -> BaseException | None:
    """What a requests or urllib3 error wraps: its ``reason``, or an exception passed first."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        return reason
    nested = exc.args[0] if exc.args else None
    return nested if isinstance(nested, BaseException) else None


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps, or else its cause or context, down the chain; each once."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in found):
        found.append(current)
        current = _wrapped(current) or current.__cause__ or current.__context__
    return found


def _never_connected(exc: BaseException) -> bool:
    """Whether the connection was never established, so the server cannot have seen the request."""
    return any(
        isinstance(cause, (NewConnectionError, ConnectTimeoutError, requests.ConnectTimeout))
        for cause in _causes(exc)
    )


def _reason(exc: BaseException) -> str:
    """A short description of a transport failure without the noise of urllib3's wrappers."""
    current = exc
    for _ in range(5):
        inner = _wrapped(current)
        if inner is None:
            break
        current = inner
    text = str(current) or type(current).__name__
    return text if len(text) <= _response.EXCERPT_LENGTH else text[: _response.EXCERPT_LENGTH] + "…"
