"""Reading an answer: its body within a size cap, and its envelope — the data, or the
error the answer stands for.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
import urllib3

from lambdacloud._http.retry import parse_retry_after
from lambdacloud._secrets import mask
from lambdacloud.errors import (
    LambdaCloudError,
    MalformedResponseError,
    error_class,
    error_from_envelope,
)

#: The largest answer the client reads; the API's are a few hundred kilobytes at most.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: The most read at once.
CHUNK_SIZE = 64 * 1024
#: The longest excerpt of a body or a failure shown in an error message.
EXCERPT_LENGTH = 200

_NOT_JSON = object()


def read_capped(
    response: requests.Response, *, expired: Callable[[], bool] | None = None
) -> bytes | None:
    """The whole (decoded) body, or ``None`` past the size the client reads.

    A body cut short is not read to its end, so its connection is closed rather than reused.

    Args:
        response: A streamed response.
        expired: Whether the caller's deadline has passed, asked after each piece that
            arrives: a server that sends its answer a little at a time, each piece within
            the read timeout, cannot hold the call past it by more than one read (whose
            timeout was cut to the time left when the request was sent).

    Raises:
        requests.exceptions.ReadTimeout: ``expired`` said so before the body was complete.
    """
    if declared_length(response.headers.get("Content-Length")) > MAX_RESPONSE_BYTES:
        return None  # said so up front: not worth reading
    raw = response.raw
    if (
        isinstance(raw, urllib3.HTTPResponse)
        and hasattr(raw, "read1")
        and not getattr(response, "_content_consumed", False)  # a hook of yours may have read it
    ):
        # What has arrived, decoded (urllib3 2): each piece as it comes.
        pieces: Iterator[bytes] = iter(lambda: raw.read1(CHUNK_SIZE, decode_content=True), b"")
    else:
        pieces = response.iter_content(chunk_size=CHUNK_SIZE)
    chunks = []
    size = 0
    for chunk in pieces:
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return None
        chunks.append(chunk)
        if expired is not None and expired():
            if getattr(raw, "length_remaining", None) == 0:
                expired = None  # all of it has arrived: what is left is decoding, read it
                continue
            # Only an answer still arriving is given up: one whose end has come is kept.
            more = next(pieces, b"")
            if more:
                raise requests.exceptions.ReadTimeout(
                    "the answer was still arriving when the call's deadline passed"
                )
            break
    return b"".join(chunks)


def declared_length(value: str | None) -> int:
    try:
        return int(value) if value else 0
    except ValueError:
        return 0


def unwrap(
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    hidden: tuple[str, ...],
    secrets: tuple[str, ...] = (),
    data_optional: bool = False,
) -> dict[str, Any]:
    """The envelope of an answer, or the error it stands for.

    Args:
        method: The request's method, for messages.
        path: The request's path, for messages.
        status: The HTTP status.
        headers: The answer's headers.
        body: The body, or ``None`` when it was larger than the client reads.
        hidden: What no excerpt may show (the credentials).
        secrets: Values the request carried; with any, no excerpt is shown at all.
        data_optional: Any 2xx answer is a success, even without the envelope.

    Returns:
        The envelope, ``{"data": ...}`` and its siblings.

    Raises:
        LambdaCloudError: The subclass the answer stands for.
    """
    retry_after = parse_retry_after(headers.get("Retry-After"), time.time())
    if body is None:
        cls = MalformedResponseError if 200 <= status < 300 else error_class(None, status)
        raise cls(
            f"{method} {path} answered HTTP {status} with a body over "
            f"{MAX_RESPONSE_BYTES // (1024 * 1024)} MiB, "
            "which the client does not read",
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
        what = f"a body that is not JSON: {excerpt(body, hidden)!r}"
    else:
        what = f"JSON that is not the API's envelope: {excerpt(body, hidden)!r}"
    cls = MalformedResponseError if 200 <= status < 300 else error_class(None, status)
    raise cls(
        f"{method} {path} answered HTTP {status} with {what}",
        status_code=status,
        retry_after=retry_after,
    )


def excerpt(body: bytes, hidden: tuple[str, ...]) -> str:
    """The start of a body, on one line, without secrets, at most 200 characters."""
    text = " ".join(body[: EXCERPT_LENGTH * 8].decode("utf-8", "replace").split())
    text = mask(text, hidden)
    if len(text) > EXCERPT_LENGTH:
        text = text[:EXCERPT_LENGTH] + "…"
    return text


def scrub(error: LambdaCloudError, hidden: tuple[str, ...]) -> None:
    """Remove the credentials and a request's secrets from what a server said back."""
    error.message = mask(error.message, hidden)
    if error.suggestion:
        error.suggestion = mask(error.suggestion, hidden)
    error.args = (error.message,)


def _is_error(payload: Any) -> bool:
    return isinstance(payload, dict) and "error" in payload
