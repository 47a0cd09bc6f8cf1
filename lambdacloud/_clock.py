"""Time, as the library reads it: a monotonic clock and a sleep, both injectable.

Every wait, retry and rate limit takes its clock and sleep from the ``Client`` (tests and
the fake cloud inject their own); these are the defaults.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], float]
Sleep = Callable[[float], None]
WallClock = Callable[[], datetime]


def monotonic() -> float:
    """``time.monotonic``, looked up at call time so tests can patch it."""
    return time.monotonic()


def sleep(seconds: float) -> None:
    """``time.sleep``, looked up at call time so tests can patch it."""
    time.sleep(seconds)


def wall_clock(clock: Clock) -> WallClock:
    """The current UTC time for a client on ``clock``.

    The system's time, unless the clock keeps a UTC time of its own (a ``FakeClock``'s
    ``wall()``, which the fake cloud uses too): then what is stamped and compared in UTC
    (launch and expiry tags, ``sweep()``, the cost so far) moves with it. Any other injected
    clock is monotonic seconds only (it may stop while a laptop sleeps), so it is not used
    for UTC.
    """
    own = getattr(clock, "wall", None)
    if not callable(own):
        return _system_now

    def now() -> datetime:
        value = own()
        return value if isinstance(value, datetime) else _system_now()

    return now


def _system_now() -> datetime:
    return datetime.now(timezone.utc)
