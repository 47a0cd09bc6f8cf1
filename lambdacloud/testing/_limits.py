"""The API's rate limits: about one request per second, one launch per 12 seconds."""

from __future__ import annotations

from collections.abc import Callable


class RateLimiter:
    """About one request per second with bursts, and one launch per 12 seconds."""

    def __init__(self, clock: Callable[[], float], burst: int) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.clock = clock
        self.burst = burst
        self.tokens = float(burst)
        self.updated = clock()
        self.next_launch: float | None = None

    def check(self, method: str, path: str) -> float | None:
        """Seconds to wait before this request would be accepted, or None to accept it now.

        A refused request uses up nothing: neither a token nor the launch slot.
        """
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated))
        self.updated = now
        launch = method == "POST" and path.endswith("/instance-operations/launch")
        waits = []
        if launch and self.next_launch is not None and now < self.next_launch:
            waits.append(self.next_launch - now)
        if self.tokens < 1:
            waits.append(1 - self.tokens)
        if waits:
            return max(waits)
        self.tokens -= 1
        if launch:
            self.next_launch = now + 12.0
        return None
