"""Timestamps as the API writes them: RFC 3339 / ISO 8601, read on Python 3.10 too."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_ISO_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*([Zz]|[+-]\d{2}:?\d{2})?"
)


def parse_datetime(text: str, *, assume_utc: bool = True) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp, on Python 3.10 too (``Z``, any fraction length).

    A date alone is its midnight. A timestamp without an offset is taken as UTC, or with
    ``assume_utc=False`` refused.

    Raises:
        ValueError: ``text`` is not such a timestamp.
    """
    match = _ISO_DATETIME.fullmatch(text.strip())
    if match is None:
        raise ValueError("not an ISO 8601 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset is None and not assume_utc:
        raise ValueError("no offset")
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if offset and offset not in ("Z", "z"):
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tz,
    )
