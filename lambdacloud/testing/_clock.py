"""``FakeClock``: the fake cloud's time, which clients from ``client()`` sleep on."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone


class FakeClock:
    """The fake cloud's time: real time, plus however far it has been advanced.

    Clients made by ``FakeLambdaCloud.client()`` sleep by advancing this clock instead of
    waiting, so a wait for a machine that takes a minute to boot returns at once, while a
    client of your own (sleeping for real) still sees machines boot in real time.

    Args:
        frozen: Ignore real time: the clock only moves when advanced (fully deterministic).
    """

    def __init__(self, *, frozen: bool = False) -> None:
        self._frozen = frozen
        self._started = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()
        self._wall_start = datetime.now(timezone.utc)

    def __call__(self) -> float:
        """Seconds since the clock started."""
        with self._lock:
            real = 0.0 if self._frozen else time.monotonic() - self._started
            return real + self._offset

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, at once.

        Args:
            seconds: How far; not negative.

        Raises:
            ValueError: ``seconds`` is negative.

        API: none.
        """
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        with self._lock:
            self._offset += seconds

    sleep = advance

    def wall(self) -> datetime:
        """The UTC time on this clock: the real time when it started, then its own pace.

        Clients on this clock (``FakeLambdaCloud.client()``) stamp launch and expiry tags,
        price ``cost_so_far`` and ``sweep()`` by it, and so does the fake cloud.

        Returns:
            An aware ``datetime``.

        API: none.
        """
        return self._wall_start + timedelta(seconds=self())
