"""Time, as the library reads it: a monotonic clock and a sleep, both injectable.

Every wait, retry and rate limit takes its clock and sleep from the ``Client`` (tests and
the fake cloud inject their own); these are the defaults.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

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
    """The current UTC time as ``clock`` counts it.

    With the default clock, the system's time. With an injected one, the clock's own
    ``wall()`` if it has one (a ``FakeClock``: every client on it agrees), else the time now
    plus however far that clock has moved since: so what is stamped and compared in UTC
    (launch and expiry tags, ``sweep()``, the cost so far) moves with it.
    """
    if clock is monotonic:
        return lambda: datetime.now(timezone.utc)
    own: WallClock | None = getattr(clock, "wall", None)  # a FakeClock's
    if callable(own):
        return own
    epoch = datetime.now(timezone.utc)
    start = clock()
    return lambda: epoch + timedelta(seconds=clock() - start)
