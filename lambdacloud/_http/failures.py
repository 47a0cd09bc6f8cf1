"""Transport failures, however requests or urllib3 report them, as the library's errors.

What matters for each failure is whether the server can have seen the request (a launch is
never sent again once it may have been) and whether trying again can help (a refused proxy
login or a missing CA bundle cannot).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
import urllib3
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from lambdacloud._http.decoding import EXCERPT_LENGTH
from lambdacloud.errors import APIConnectionError, APITimeoutError, ProxyAuthenticationError

#: The user name and password written into a URL.
_USERINFO = re.compile(r"//[^/@\s]*@")
#: Failures that do not heal by retrying: certificates, malformed URLs, local files.
_PERMANENT = (
    requests.exceptions.SSLError,
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    urllib3.exceptions.SSLError,
    urllib3.exceptions.LocationValueError,
    ValueError,
)
#: Failures of the connection itself, which another attempt may not meet.
_TRANSIENT = (
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ProxyError,
)


def host_of(url: str) -> str:
    """The host (and port) of a URL, without any user name or password written into it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the server"
    host = parts.hostname or "the server"
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{host}:{port}" if port is not None else host


def connection_error(what: str, url: str, exc: BaseException) -> APIConnectionError:
    """The library's error for a transport failure.

    Args:
        what: The request, for the message (``GET /api/v1/instances``).
        url: Where it was sent; only its host is shown.
        exc: What requests, urllib3 or the operating system raised.
    """
    host = host_of(url)
    why = _reason(exc)
    if _proxy_refused_login(exc):
        return ProxyAuthenticationError(
            f"{what}: the proxy refused its credentials (HTTP 407) on the way to {host}; "
            "check the user and password of HTTPS_PROXY / HTTP_PROXY or the session's proxies"
        )
    if _missing_file(exc):
        # A CA bundle or client certificate that does not exist, found before anything was
        # sent (requests names the file).
        return APIConnectionError(
            f"{what}: could not prepare the connection to {host} ({why}); check "
            "REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE and the session's verify= and cert=",
            request_sent=False,
            retryable=False,
        )
    if not isinstance(exc, (requests.RequestException, urllib3.exceptions.HTTPError)):
        # Raised by something of the caller's (an adapter, a hook): it may have been sent.
        return APIConnectionError(
            f"{what}: could not complete the request to {host} ({why})", request_sent=True
        )
    unsent = _never_connected(exc)
    if _timed_out(exc):
        kind = "connecting to" if unsent else "waiting for an answer from"
        return APITimeoutError(f"{what}: timed out {kind} {host} ({why})", request_sent=not unsent)
    retryable = not isinstance(exc, _PERMANENT) and isinstance(exc, _TRANSIENT)
    return APIConnectionError(
        f"{what}: could not complete the request to {host} ({why})",
        request_sent=not unsent,
        retryable=retryable,
    )


def _missing_file(exc: BaseException) -> bool:
    """requests' own words for a CA bundle, certificate or key file that does not exist."""
    return (
        isinstance(exc, OSError)
        and not isinstance(exc, requests.RequestException)
        and str(exc).startswith("Could not find")
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


def _never_connected(exc: BaseException) -> bool:
    """Whether the connection was never established, so the server cannot have seen the request."""
    return any(
        isinstance(cause, (NewConnectionError, ConnectTimeoutError, requests.ConnectTimeout))
        for cause in _causes(exc)
    )


def _proxy_refused_login(exc: BaseException) -> bool:
    """Whether a CONNECT tunnel was refused with 407 (http.client says so only in words)."""
    return any(
        isinstance(cause, OSError) and "Tunnel connection failed: 407" in str(cause)
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


def _reason(exc: BaseException) -> str:
    """A short description of a transport failure without the noise of urllib3's wrappers."""
    current = exc
    for _ in range(5):
        inner = _wrapped(current)
        if inner is None:
            break
        current = inner
    # A proxy URL (with its password) can be quoted by a parse error.
    text = _USERINFO.sub(r"//<redacted>@", str(current)) or type(current).__name__
    return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH] + "…"
