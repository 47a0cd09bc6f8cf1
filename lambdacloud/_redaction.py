"""Keeping secrets out of error messages, even when a server echoes them back.

A server or proxy may repeat what it was sent: the Authorization header, the API key, a
launch's ``user_data``, a presigned URL's signature. It may escape it (JSON, HTML, URL
encoding), fold its whitespace, or cut it short. Every run of 8 or more characters that
appears in any spelling of a secret is replaced, so a partial echo leaks at most a few
characters that identify nothing.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

#: Shorter runs are common words, and identify nothing.
MIN_RUN = 8
MARK = "<redacted>"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every echo of every secret (whole, escaped or partial) replaced."""
    for secret in secrets:
        if len(secret) >= MIN_RUN:
            for spelling in spellings(secret):
                text = _runs_replaced(text, spelling)
    return text


def spellings(secret: str) -> set[str]:
    """The ways an echo may spell ``secret``: raw, whitespace-folded, JSON, HTML, URL."""
    return {
        secret,
        " ".join(secret.split()),
        json.dumps(secret)[1:-1],
        html.escape(secret),
        html.escape(secret, quote=False),
        quote(secret, safe=""),
        quote_plus(secret),
    }


def _runs_replaced(text: str, secret: str) -> str:
    """``text`` with each maximal run of ``MIN_RUN``+ characters found in ``secret`` replaced."""
    if len(text) < MIN_RUN:
        return text
    out: list[str] = []
    start = 0
    i = 0
    while i <= len(text) - MIN_RUN:
        if text[i : i + MIN_RUN] in secret:
            end = i + MIN_RUN
            while end < len(text) and text[i : end + 1] in secret:
                end += 1
            out.append(text[start:i])
            out.append(MARK)
            start = i = end
        else:
            i += 1
    out.append(text[start:])
    return "".join(out)
