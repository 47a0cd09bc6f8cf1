"""What is secret, and the one way it is masked: in reprs, notebook displays, logs and errors.

Secrets are the API key (and the ``Authorization`` header made of it), a launch's
``user_data``, an instance's ``jupyter_token`` (and the token inside ``jupyter_url``), a
generated private key, the signature of a presigned URL, and passwords written into URLs.
Fields of the library's objects that hold one carry ``secret()`` metadata.

A server or proxy may echo a secret back: escaped (JSON, HTML, URL encoding), with its
whitespace folded, or cut short. ``mask()`` replaces every run of 8 or more characters that
appears in any spelling of a secret, so even a partial echo shows nothing usable.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import attrs

#: Shorter runs are common words, and identify nothing.
MIN_RUN = 8
#: What an echo of a secret becomes.
MARK = "<redacted>"
#: How a secret field is shown.
HIDDEN_VALUE = "•••••• (hidden)"

_METADATA_KEY = "lambdacloud.secret"
#: A value never shown, only said to exist.
HIDDEN = "hidden"
#: A URL whose query and fragment (a token, a signature) are secret: shown without them.
URL = "url"


def secret(kind: str = HIDDEN) -> dict[str, str]:
    """Field metadata marking an attrs field as a secret of ``kind`` (``HIDDEN`` or ``URL``)."""
    return {_METADATA_KEY: kind}


def kind_of(field: attrs.Attribute[Any]) -> str | None:
    """``HIDDEN``, ``URL``, or ``None`` for a field that holds no secret."""
    kind: str | None = field.metadata.get(_METADATA_KEY)
    return kind


def shown(field: attrs.Attribute[Any], value: Any) -> Any:
    """A field's value as a display may show it."""
    kind = kind_of(field)
    if kind == HIDDEN:
        return HIDDEN_VALUE if value else value
    if kind == URL and isinstance(value, str):
        return without_query(value)
    return value


def values_of(obj: Any) -> tuple[str, ...]:
    """The secrets an attrs object holds, to mask wherever else they appear."""
    if not attrs.has(type(obj)):
        return ()
    found = []
    for field in attrs.fields(type(obj)):
        value = getattr(obj, field.name)
        if kind_of(field) is None or not isinstance(value, str):
            continue
        if kind_of(field) == URL:
            value = _query_of(value)
        if len(value) >= MIN_RUN:
            found.append(value)
    return tuple(found)


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every echo of every secret (whole, escaped or partial) replaced."""
    for value in secrets:
        if len(value) >= MIN_RUN:
            for spelling in spellings(value):
                text = _runs_replaced(text, spelling)
    return text


def spellings(value: str) -> set[str]:
    """The ways an echo may spell a secret: raw, whitespace-folded, JSON, HTML, URL, and
    base64 (how ``user_data`` travels in some APIs)."""
    encoded = value.encode()
    return {
        value,
        base64.b64encode(encoded).decode(),
        base64.urlsafe_b64encode(encoded).decode(),
        " ".join(value.split()),
        json.dumps(value)[1:-1],
        html.escape(value),
        html.escape(value, quote=False),
        quote(value, safe=""),
        quote_plus(value),
    }


def without_query(url: str | None) -> str | None:
    """A URL without credentials, query and fragment (where tokens and signatures live)."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return HIDDEN_VALUE
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    hidden = "?…" if parts.query or parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")) + hidden


def _query_of(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return "#".join(part for part in (parts.query, parts.fragment) if part)


def _runs_replaced(text: str, value: str) -> str:
    """``text`` with each maximal run of ``MIN_RUN``+ characters found in ``value`` replaced."""
    if len(text) < MIN_RUN:
        return text
    out: list[str] = []
    start = 0
    i = 0
    while i <= len(text) - MIN_RUN:
        if text[i : i + MIN_RUN] in value:
            end = i + MIN_RUN
            while end < len(text) and text[i : end + 1] in value:
                end += 1
            out.append(text[start:i])
            out.append(MARK)
            start = i = end
        else:
            i += 1
    out.append(text[start:])
    return "".join(out)
