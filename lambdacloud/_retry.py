"""What the session retries, how long it waits in between, and how it spaces the calls the
API rate-limits hard (launches).

Kept apart from the transport so the policy reads in one place and its arithmetic is
testable without HTTP: the jitter is a separate function so tests can pin it.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from datetime import timezone
from typing import TYPE_CHECKING

from lambdacloud.errors import APIConnectionError, LambdaCloudError

if TYPE_CHECKING:
    import tenacity

logger = logging.getLogger("lambdacloud")

Clock = Callable[[], float]
Sleep = Callable[[float], None]

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


def wait_before_retry(state: tenacity.RetryCallState) -> float:
    """tenacity's ``wait``: ``retry_delay()`` for the attempt that just failed."""
    error = state.outcome.exception() if state.outcome is not None else None
    return retry_delay(error, state.attempt_number) if error is not None else 0.0


def log_retry(state: tenacity.RetryCallState) -> None:
    """tenacity's ``before_sleep``: one INFO line naming the failure, never its message."""
    error = state.outcome.exception() if state.outcome is not None else None
    delay = state.next_action.sleep if state.next_action is not None else 0.0
    logger.info(
        "Retrying in %.1f s after attempt %d failed: %s",
        delay,
        state.attempt_number,
        _summary(error),
    )


def _summary(error: BaseException | None) -> str:
    if isinstance(error, LambdaCloudError):
        return f"{type(error).__name__} (HTTP {error.status_code}, code {error.code})"
    return type(error).__name__


def monotonic() -> float:
    """``time.monotonic``, looked up at call time so tests can patch it."""
    return time.monotonic()


def sleep(seconds: float) -> None:
    """``time.sleep``, looked up at call time so tests can patch it."""
    time.sleep(seconds)


class Spacer:
    """Keeps calls at least ``interval`` seconds apart, across threads.

    Args:
        interval: The minimum number of seconds between two calls of ``wait()``.
        clock: Monotonic time in seconds.
        sleep: How to wait.
    """

    def __init__(self, interval: float, clock: Clock, sleep: Sleep) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next: float | None = None

    def wait(self) -> float:
        """Block until the interval since the previous call has passed, then claim the slot.

        The lock is never held while sleeping: another thread may end its call (and
        ``mark()`` it) meanwhile, which pushes this one's slot further back.

        Returns:
            The time (on the clock) at which the slot was claimed.
        """
        while True:
            with self._lock:
                now = self._clock()
                if self._next is None or now >= self._next:
                    self._next = now + self.interval
                    return now
                delay = self._next - now
            logger.info("Waiting %.1f s to respect the API's launch rate limit", delay)
            self._sleep(delay)

    def mark(self) -> None:
        """Restart the interval now: the call just ended (its last attempt may have been late)."""
        with self._lock:
            self._next = max(self._next or 0.0, self._clock() + self.interval)
