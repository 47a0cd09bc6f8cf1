"""What goes over the wire below the envelope: how much of an answer is read, and what a
transport failure means (did the request reach the server? is it worth repeating?).

Both send paths use it: the direct one on urllib3's pool and the one through ``requests``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
import urllib3
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from lambdacloud.errors import APIConnectionError, APITimeoutError

#: The largest answer the client reads; the API's are a few hundred kilobytes at most.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: The longest excerpt of a body or a failure shown in an error message.
EXCERPT_LENGTH = 200


def read_capped(response: requests.Response) -> bytes | None:
    """The whole body, or ``None`` (and the connection dropped) past the size the client reads."""
    chunks = []
    size = 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def read_capped_urllib3(response: urllib3.BaseHTTPResponse) -> bytes | None:
    """:func:`read_capped` for a urllib3 response; a plain body of known length in one read."""
    length = response.length_remaining
    if (
        length is not None
        and length <= MAX_RESPONSE_BYTES
        and not response.headers.get("Content-Encoding")
    ):
        body = response.read()
    else:
        chunks = []
        size = 0
        for chunk in response.stream(64 * 1024):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                response.close()  # not read to the end: the connection cannot be reused
                return None
            chunks.append(chunk)
        body = b"".join(chunks)
    response.release_conn()
    return body


def connection_error(what: str, url: str, exc: Exception) -> APIConnectionError:
    """The library's error for a transport failure, raised by requests or by urllib3."""
    host = urlsplit(url).netloc
    why = reason(exc)
    unsent = never_connected(exc)
    # urllib3 counts a refused connection as a kind of connect timeout; requests does not.
    timed_out = isinstance(exc, requests.Timeout) or (
        isinstance(exc, urllib3.exceptions.TimeoutError) and not isinstance(exc, NewConnectionError)
    )
    if timed_out:
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


def never_connected(exc: BaseException) -> bool:
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


def reason(exc: BaseException) -> str:
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
