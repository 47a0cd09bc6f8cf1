"""Staying within the API's rate limits on our own: about one request a second, one launch
every 12 seconds, however many threads share a client.

One mechanism for both: a pacer that hands out sending slots at most one per ``interval``,
with up to ``burst`` slots at once after a quiet spell (the generic cell rate algorithm).
A caller reserves its slot under a lock and sleeps outside it, so threads queue in order
and an interrupted sleep leaves nothing locked: the slot is merely lost. The server counts
a request when it arrives, so a slot is counted again from the moment the request is sent.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable

from lambdacloud._clock import Clock, Sleep
from lambdacloud.errors import APITimeoutError

logger = logging.getLogger("lambdacloud")

#: The API's limits: about one request per second, and one launch per 12 seconds.
API_REQUEST_INTERVAL = 1.0
API_LAUNCH_INTERVAL = 12.0
#: A little more than the limits: the server counts arrivals, which network jitter can
#: bring closer together than the sends were.
REQUEST_INTERVAL = API_REQUEST_INTERVAL + 0.05
LAUNCH_INTERVAL = API_LAUNCH_INTERVAL + 0.25
#: Requests that may go at once after a pause.
REQUEST_BURST = 2
#: Seconds of rounding a clock may show when a sleep ends exactly at a slot.
CLOCK_SLACK = 1e-6


class Pacer:
    """Hands out slots at most one per ``interval`` seconds, ``burst`` at once after a pause.

    Args:
        interval: Seconds between slots, in the long run.
        burst: Slots that may be taken at once after a quiet spell.
        clock: Monotonic seconds.
        sleep: How to wait.
        what: What is paced, for the log line when a caller has to wait.
    """

    def __init__(
        self, interval: float, burst: int, clock: Clock, sleep: Sleep, *, what: str
    ) -> None:
        self.interval = interval
        self._tolerance = (burst - 1) * interval
        self._clock = clock
        self._sleep = sleep
        self._what = what
        self._lock = threading.Lock()
        #: When the next slot is due, were the pacer never idle (its theoretical arrival time).
        self._due: float | None = None
        #: When the last request counted here actually left, and the one before it.
        self._last_sent: float | None = None
        self._sent_before: float | None = None

    def wait(self, deadline: float | None = None) -> float | None:
        """Reserve the next slot and sleep until it comes.

        Args:
            deadline: The time on the clock by which the caller must be done; a slot that
                would come later is not reserved.

        Returns:
            The reservation once the slot has come; ``None`` at once, reserving nothing,
            if it would come after ``deadline``.
        """
        with self._lock:
            now = self._clock()
            due = now if self._due is None else max(self._due, now)
            at = max(now, due - self._tolerance)
            if deadline is not None and at > deadline:
                return None
            self._due = reservation = due + self.interval
        if at > now:
            logger.info("Waiting %.1f s to stay within the API's %s", at - now, self._what)
            self._sleep(at - now)
        return reservation

    def sent(self, at: float, *, force: bool = False) -> float | None:
        """Count the slot from when its request actually leaves (it may have waited for
        another limit after its slot came), as the server counts it.

        A slot reserved earlier may be used later than one reserved after it (two threads,
        each waiting for another limit): without a burst (the launch limit), the later
        request must then still keep its distance from the one that left first.

        Returns:
            The reservation as it now stands, for ``refund()``; ``None`` when a request
            counted here left too recently for this one to leave at ``at`` (wait until
            ``earliest()`` and take a slot again), unless ``force``.
        """
        with self._lock:
            if (
                not force
                and self._tolerance == 0  # a burst absorbs two threads' sends swapping places
                and self._last_sent is not None
                and at < self.earliest() - CLOCK_SLACK
            ):
                return None
            self._sent_before, self._last_sent = self._last_sent, at
            self._due = max(self._due or at, at + self.interval)
            return self._due

    def earliest(self) -> float:
        """The earliest a request may leave, given the last one that left (0 if none did)."""
        if self._last_sent is None:
            return 0.0
        return self._last_sent + self.interval - self._tolerance

    def refund(self, reservation: float) -> None:
        """Give a slot back: what it was taken for never reached the server.

        Only the latest slot can be given back; once another caller has reserved one after
        it, the refund is dropped (pacing errs on the slow side).
        """
        with self._lock:
            if self._due == reservation:
                self._due = reservation - self.interval
                self._last_sent = self._sent_before


#: How often a request waits again for its slots before it takes them regardless.
MAX_SLOT_TRIES = 5


def take_slots(
    pacers: list[Pacer],
    deadline: float | None,
    what: str,
    *,
    clock: Clock,
    sleep: Sleep,
    check_open: Callable[[], None],
) -> list[tuple[Pacer, float]]:
    """Wait for a sending slot of each pacer and count them from now, the moment of
    sending (the slots are returned, for refunds). Another thread's launch may have used
    an earlier launch slot late: then this one waits until 12 s after it and for a new
    request slot, keeping the launch slot it has.

    Args:
        pacers: The pacers whose slots the request needs, the strictest first.
        deadline: The time on ``clock`` by which it must be sent, if any.
        what: The request, for messages.
        clock: Monotonic seconds.
        sleep: How to wait.
        check_open: Raises if the client was closed meanwhile.

    Raises:
        ClientClosedError: The client was closed meanwhile.
        APITimeoutError: The deadline comes first (``request_sent`` false).
    """
    no_time = APITimeoutError(
        f"{what} was not sent: the API's rate limits leave no time for it before the deadline",
        request_sent=False,
        retryable=False,
    )
    waits = pacers
    for tries in itertools.count(1):
        check_open()
        for pacer in waits:
            if pacer.wait(deadline) is None:
                raise no_time
        check_open()  # it may have been closed while this call waited
        sent_at = clock()
        if deadline is not None and sent_at >= deadline:
            raise APITimeoutError(
                f"{what} was not sent: its deadline has passed",
                request_sent=False,
                retryable=False,
            )
        slots: list[tuple[Pacer, float]] = []
        # In order, the launch pacer first: only it refuses, before anything is counted.
        for pacer in pacers:
            # A clock that does not move with sleep (a test's) must not loop for ever.
            slot = pacer.sent(sent_at, force=tries >= MAX_SLOT_TRIES)
            if slot is None:
                break
            slots.append((pacer, slot))
        else:
            return slots
        for counted, slot in slots:
            counted.refund(slot)
        earliest = pacer.earliest()
        if deadline is not None and earliest >= deadline:
            raise no_time
        sleep(max(earliest - clock(), 0.0))
        waits = [other for other in pacers if other is not pacer]
    raise AssertionError("unreachable")
