"""What the session retries, and how long it waits in between.

Kept apart from the transport so the policy reads in one place and its arithmetic is
testable without HTTP: the jitter is a separate function so tests can pin it.
"""

from __future__ import annotations

import email.utils
import math
import random
from datetime import timezone

from lambdacloud.errors import APIConnectionError, LambdaCloudError

#: Methods whose repetition has the same effect as a single request.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})

BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 8.0
RETRY_AFTER_MAX = 60.0


def should_retry(error: BaseException, *, idempotent: bool) -> bool:
    """Whether a failed attempt may be sent again.

    A request that certainly never reached the server, or that the server refused with
    429, is always safe to repeat. Anything else that failed after the server may have
    acted (a 5xx, a reset, a read timeout) is repeated only when repeating it is harmless.
    """
    if isinstance(error, APIConnectionError):
        return error.retryable and (idempotent or not error.request_sent)
    if isinstance(error, LambdaCloudError) and error.status_code is not None:
        if error.status_code == 429:
            return True
        return idempotent and error.status_code >= 500
    return False


def backoff(attempt: int) -> float:
    """The un-jittered delay before retry number ``attempt`` (1-based): 0.5 s, 1 s, 2 s, ... 8 s."""
    return min(BACKOFF_INITIAL * 2.0 ** (attempt - 1), BACKOFF_MAX)


def jitter(delay: float) -> float:
    """Spread retries of many clients apart: a random delay between half and all of ``delay``."""
    return delay * (0.5 + random.random() / 2)


def retry_delay(error: BaseException, attempt: int) -> float:
    """Seconds before retry ``attempt``: the server's ``Retry-After`` (capped), else backoff."""
    retry_after = error.retry_after if isinstance(error, LambdaCloudError) else None
    if retry_after is not None:
        return min(retry_after, RETRY_AFTER_MAX)
    return jitter(backoff(attempt))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value.

    Args:
        value: The header: delay-seconds (``"12"``) or an HTTP date.
        now: The current time as a Unix timestamp, for HTTP dates.

    Returns:
        A non-negative number of seconds, or ``None`` when the header is absent or unreadable.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
