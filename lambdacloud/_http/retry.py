"""The retry policy: what is sent again, how long to wait in between, and when to stop.

Kept apart from the transport so the policy reads in one place and its arithmetic is
testable without HTTP; the jitter is a separate function so tests can pin it.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
from datetime import timezone
from typing import TYPE_CHECKING

from lambdacloud._clock import Clock, Sleep
from lambdacloud.errors import APIConnectionError, LambdaCloudError

if TYPE_CHECKING:
    import tenacity

logger = logging.getLogger("lambdacloud")

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


def retrying(
    *,
    max_retries: int,
    idempotent: bool,
    deadline: float | None,
    clock: Clock,
    sleep: Sleep,
) -> tenacity.Retrying:
    """The retrier for one call: the policy above, and never a sleep past ``deadline``.

    Args:
        max_retries: Retries after the first attempt.
        idempotent: Whether repeating the request is harmless.
        deadline: The time on ``clock`` by which the call must be over; a retry whose wait
            would end later is not made (the last failure is raised at once).
        clock: Monotonic seconds.
        sleep: How to wait between attempts.
    """

    # Imported at the first retrier, not with the package: tenacity brings asyncio (and
    # tornado, where it is installed), a third of the package's import time.
    import tenacity

    def stop(state: tenacity.RetryCallState) -> bool:
        """After ``max_retries`` retries, or when the next wait would end past the deadline."""
        if state.attempt_number > max_retries:
            return True
        return deadline is not None and clock() + state.upcoming_sleep > deadline

    return tenacity.Retrying(
        stop=stop,
        retry=tenacity.retry_if_exception(lambda e: should_retry(e, idempotent=idempotent)),
        wait=_wait_before_retry,
        sleep=sleep,
        before_sleep=_log_retry,
        reraise=True,
    )


def _wait_before_retry(state: tenacity.RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome is not None else None
    return retry_delay(error, state.attempt_number) if error is not None else 0.0


def _log_retry(state: tenacity.RetryCallState) -> None:
    """One INFO line naming the failure, never its message (it may quote the request)."""
    error = state.outcome.exception() if state.outcome is not None else None
    delay = state.next_action.sleep if state.next_action is not None else 0.0
    if isinstance(error, LambdaCloudError):
        summary = f"{type(error).__name__} (HTTP {error.status_code}, code {error.code})"
    else:
        summary = type(error).__name__
    logger.info(
        "Retrying in %.1f s after attempt %d failed: %s", delay, state.attempt_number, summary
    )
