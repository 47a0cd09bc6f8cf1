"""The one way the library talks to the API: through the caller's ``requests.Session``.

Every call is built with ``session.prepare_request()`` — so the session's headers, auth,
params, cookies and hooks apply, with the environment's proxies and CA bundle merged as
requests merges them — and sent with ``session.send()``, so mounted adapters, subclasses
and instrumentation see it. Our ``Authorization`` is applied last: neither a session auth
nor ``~/.netrc`` can replace the API key, and redirects are never followed, so the key
never goes to another host.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import parse_qsl, urlsplit

import requests
import requests.auth
import urllib3

from lambdacloud._clock import Clock, Sleep
from lambdacloud._http import decoding, retry
from lambdacloud._http.auth import Authorization
from lambdacloud._http.failures import connection_error, host_of
from lambdacloud._http.pacing import (
    LAUNCH_INTERVAL,
    REQUEST_BURST,
    REQUEST_INTERVAL,
    Pacer,
    take_slots,
)
from lambdacloud._secrets import mask
from lambdacloud._version import __version__

if TYPE_CHECKING:
    import tenacity

from lambdacloud.errors import (
    APIConnectionError,
    ClientClosedError,
    LambdaCloudError,
    MalformedResponseError,
    ProxyAuthenticationError,
    error_class,
)

logger = logging.getLogger("lambdacloud")

API_PREFIX = "/api/v1"
LAUNCH_PATH = API_PREFIX + "/instance-operations/launch"
USER_AGENT = (
    f"lambdacloud-client/{__version__} python-requests/{requests.__version__} "
    f"Python/{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}"
)
#: The shortest timeout a request is sent with when a deadline is near.
MIN_TIMEOUT = 0.1

Timeout = float | tuple[float, float]
Answer = tuple[int, Mapping[str, str], bytes | None]


class Session:
    """Sends requests to the Lambda Cloud API and returns the unwrapped ``data``.

    Args:
        api_key: The API key; kept out of every repr, log line and error message.
        base_url: The server root, e.g. ``https://cloud.lambda.ai``.
        auth: ``"bearer"`` or ``"basic"``.
        timeout: Seconds, or a ``(connect, read)`` pair, for every request.
        max_retries: Retries after the first attempt; ``0`` disables retrying.
        http: The ``requests.Session`` to send with; created (and owned) when ``None``.
        clock: Monotonic seconds, for rate limits and deadlines.
        sleep: How to wait between retries and for rate limits.
        rate_limit: Pace requests to about one a second (launches are always spaced).
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
        clock: Clock,
        sleep: Sleep,
        rate_limit: bool,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        if auth == "basic":
            token = base64.b64encode(f"{api_key}:".encode()).decode("ascii")
            authorization = f"Basic {token}"
        else:
            token, authorization = api_key, f"Bearer {api_key}"
        self._authorization = authorization
        # What a server or proxy might echo back of our credentials.
        self._credentials = (authorization, api_key, token)
        self._owns_http = http is None
        self.http = http if http is not None else requests.Session()
        self._clock = clock
        self._sleep = sleep
        self._closed = False
        self._request_pacer = (
            Pacer(REQUEST_INTERVAL, REQUEST_BURST, clock, sleep, what="rate limit (about 1/s)")
            if rate_limit
            else None
        )
        self._launch_pacer = Pacer(LAUNCH_INTERVAL, 1, clock, sleep, what="launch limit (1/12 s)")
        self._retriers: dict[bool, tenacity.Retrying] = {}

    def __repr__(self) -> str:
        return f"Session(base_url={self.base_url!r})"

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called: no request is sent any more."""
        return self._closed

    def close(self) -> None:
        """Refuse every further request, and close the ``requests.Session`` if we made it."""
        self._closed = True
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
        secrets: tuple[str, ...] = (),
        envelope: bool = False,
        data_optional: bool = False,
        deadline: float | None = None,
        cut_timeout: bool = True,
        on_send: Callable[[], object] | None = None,
    ) -> Any:
        """Send a request, retrying what is safe to retry, and return the envelope's ``data``.

        Args:
            method: The HTTP method.
            path: The path below ``/api/v1`` (``/instances``), or a full ``/api/...`` path.
            params: Query parameters; ``None`` values are left out.
            json_body: The JSON body, if any.
            idempotent: Whether repeating the request is harmless; by default, true for
                every method but POST.
            secrets: Values sent in this request that must not come back in an error
                message, should the server echo them (``user_data``).
            envelope: Return the whole ``{"data": ..., ...}`` object, for the members some
                endpoints put beside ``data`` (a page token).
            data_optional: Any 2xx answer is a success, even without the envelope (an
                accepted asynchronous update); ``data`` is then ``None``.
            deadline: The time on the client's clock by which the call must be over:
                rate-limit waits, retries and ``Retry-After`` never reach past it, and each
                attempt's timeout is cut to the time left (unless ``cut_timeout`` is false:
                a launch, whose answer must not be cut short once it is sent).
            on_send: Called just before each attempt goes out (after any rate-limit wait):
                from then on, the server may act on the request.

        Returns:
            The ``data`` member of the response envelope (or the envelope).

        Raises:
            ClientClosedError: The client was closed.
            APITimeoutError: The deadline left no time to send it (``request_sent`` false).
            LambdaCloudError: The subclass for the API error, status or transport failure.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in retry.IDEMPOTENT_METHODS
        if not path.startswith("/api/"):
            path = API_PREFIX + path
        query = {key: value for key, value in (params or {}).items() if value is not None}
        pacers = [self._request_pacer] if self._request_pacer is not None else []
        if method == "POST" and path.rstrip("/") == LAUNCH_PATH:
            # First: the request slot then counts from the end of the launch's long wait.
            pacers.insert(0, self._launch_pacer)
        hidden = (*self._credentials, *secrets)

        def attempt() -> dict[str, Any]:
            slots = self._take_slots(pacers, deadline, f"{method} {path}")
            if on_send is not None:
                on_send()
            try:
                try:
                    answer = self._api_call(
                        method, path, query, json_body, deadline if cut_timeout else None
                    )
                except APIConnectionError as error:
                    if not error.request_sent:  # the server never counted it
                        for pacer, slot in slots:
                            pacer.refund(slot)
                    raise
                status, headers, body = answer
                return decoding.unwrap(
                    method,
                    path,
                    status,
                    headers,
                    body,
                    hidden=hidden,
                    secrets=secrets,
                    data_optional=data_optional,
                )
            except LambdaCloudError as error:
                decoding.scrub(error, hidden)
                raise

        payload = self._retrier(idempotent, deadline)(attempt)
        return payload if envelope else payload["data"]

    def _take_slots(
        self, pacers: list[Pacer], deadline: float | None, what: str
    ) -> list[tuple[Pacer, float]]:
        return take_slots(
            pacers,
            deadline,
            what,
            clock=self._clock,
            sleep=self._sleep,
            check_open=self._check_open,
        )

    def _retrier(self, idempotent: bool, deadline: float | None) -> tenacity.Retrying:
        # Without a deadline, one per kind serves every call: tenacity keeps a call's state
        # in the call (and its statistics per thread).
        retrier = self._retriers.get(idempotent) if deadline is None else None
        if retrier is None:
            retrier = retry.retrying(
                max_retries=self.max_retries,
                idempotent=idempotent,
                deadline=deadline,
                clock=self._clock,
                sleep=self._sleep,
            )
            if deadline is None:
                self._retriers[idempotent] = retrier
        return retrier

    def _api_call(
        self,
        method: str,
        path: str,
        query: dict[str, Any],
        json_body: Any,
        deadline: float | None,
    ) -> Answer:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        body = None
        if json_body is not None:
            body = json.dumps(json_body, allow_nan=False).encode()
            headers["Content-Type"] = "application/json"
        request = requests.Request(
            method,
            self.base_url + path,
            headers=headers,
            params=query,
            data=body,
            auth=Authorization(self._authorization, self.http.auth),
        )
        return self._exchange(
            request, f"{method} {path}", self._timeout(deadline), deadline=deadline
        )

    def _exchange(
        self,
        request: requests.Request | requests.PreparedRequest,
        what: str,
        timeout: Timeout,
        *,
        deadline: float | None = None,
    ) -> Answer:
        """Prepare ``request`` with the session's settings (unless it is prepared already),
        send it, and read the answer (all of it by ``deadline``, when one is given)."""
        started = time.perf_counter()
        url = request.url or ""
        try:
            prepared = (
                request
                if isinstance(request, requests.PreparedRequest)
                else self.http.prepare_request(request)
            )
            url = prepared.url or url
            settings = self.http.merge_environment_settings(url, {}, True, None, None)
            response = self._send(prepared, timeout, settings)
            with response:
                status = response.status_code
                body = decoding.read_capped(
                    response,
                    expired=None if deadline is None else lambda: self._clock() >= deadline,
                )
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise connection_error(what, url, exc) from exc
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            logger.debug("%s -> %s in %.0f ms", what, status, elapsed)
        if status == 407:
            raise ProxyAuthenticationError(
                f"{what}: the proxy refused its credentials (HTTP 407) on the way to "
                f"{host_of(url)}; check the user and password of HTTPS_PROXY / HTTP_PROXY or "
                "the session's proxies"
            )
        return status, response.headers, body

    def _send(
        self, prepared: requests.PreparedRequest, timeout: Timeout, settings: Any
    ) -> requests.Response:
        """``session.send()``, closing the answer if anything (a response hook, Ctrl-C while
        requests stores its cookies) fails after it arrived and before it was returned: its
        connection goes back to the pool, so a blocking pool cannot wedge the next call."""
        arrived: list[requests.Response] = []

        def keep(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            arrived.append(response)

        hooks = prepared.hooks.setdefault("response", [])
        hooks.insert(0, keep)
        try:
            return self.http.send(prepared, timeout=timeout, allow_redirects=False, **settings)
        except BaseException:
            for response in arrived:
                response.close()
            raise
        finally:
            hooks.remove(keep)  # no cycle: the answer -> its request -> this hook -> the answer
            arrived.clear()

    def _timeout(self, deadline: float | None) -> Timeout:
        """The configured timeout, cut to the time left before ``deadline``."""
        if deadline is None:
            return self.timeout
        left = max(deadline - self._clock(), MIN_TIMEOUT)
        connect, read = self.timeout if isinstance(self.timeout, tuple) else (self.timeout,) * 2
        return (min(connect, left), min(read, left))

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError(
                "This client is closed (client.close() or the end of its with-block); "
                "make a new Client"
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
        host = host_of(url)
        what = f"{method} upload to {host}"
        # The signature and credentials in the query grant access: never show them.
        hidden = tuple(value for _, value in parse_qsl(parts.query))
        if not body.seekable():
            body = io.BytesIO(body.read())
        start = body.tell()

        def attempt() -> None:
            self._check_open()
            body.seek(start)
            # Prepared without the session's headers, params, cookies and auth: nothing of
            # the caller's reaches storage (a param would also break the signature). Its
            # proxies, trust and adapters still apply when it is sent.
            request = requests.PreparedRequest()
            request.prepare(
                method=method,
                url=url,
                headers={"Content-Type": content_type, "User-Agent": USER_AGENT},
                data=body,
                hooks=self.http.hooks,
            )
            try:
                status, headers, answer = self._exchange(request, what, self.timeout)
            except LambdaCloudError as error:
                error.message = mask(error.message, hidden)
                error.args = (error.message,)
                # What requests raised quotes the whole URL, signature included.
                error.__cause__ = None
                error.__suppress_context__ = True
                raise
            if not 200 <= status < 300:
                raise error_class(None, status)(
                    f"{what} answered HTTP {status}: {decoding.excerpt(answer or b'', hidden)!r}",
                    status_code=status,
                    retry_after=retry.parse_retry_after(headers.get("Retry-After"), time.time()),
                )

        self._retrier(True, None)(attempt)
