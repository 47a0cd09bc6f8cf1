"""Time, as the library reads it: a monotonic clock and a sleep, both injectable.

Every wait, retry and rate limit takes its clock and sleep from the ``Client`` (tests and
the fake cloud inject their own); these are the defaults.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
Sleep = Callable[[float], None]


def monotonic() -> float:
    """``time.monotonic``, looked up at call time so tests can patch it."""
    return time.monotonic()


def sleep(seconds: float) -> None:
    """``time.sleep``, looked up at call time so tests can patch it."""
    time.sleep(seconds)
