"""Polling instances until they reach a status: a deadline, a growing interval, typed failures."""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from lambdacloud._clock import Clock, Sleep
from lambdacloud._resource import Resource, ids_of
from lambdacloud.errors import (
    APIConnectionError,
    APITimeoutError,
    InstanceStatusError,
    LambdaCloudError,
    NotFoundError,
    ValidationError,
    WaitTimeoutError,
)
from lambdacloud.instances.instance import (
    Instance,
    ProgressCallback,
    WaitProgress,
)
from lambdacloud.instances.models import InstanceStatus

logger = logging.getLogger("lambdacloud")

POLL_INTERVAL_GROWTH = 1.5
#: Consecutive polls that may fail transiently (after the session's own retries).
TRANSIENT_ERRORS_TOLERATED = 3

_GONE = frozenset({"terminated", "preempted"})
_NOT_RUNNING = frozenset({"terminating", "unhealthy"})


def check_wait_arguments(timeout: float, poll_interval: float, max_poll_interval: float) -> None:
    """Reject non-positive or non-finite durations before any request."""
    check_seconds("timeout", timeout)
    check_seconds("poll_interval", poll_interval)
    check_seconds("max_poll_interval", max_poll_interval)


def check_seconds(name: str, value: float) -> None:
    """Reject a duration that is not a positive, finite number of seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(name, f"expected seconds as a number, got {value!r}")
    if not (value > 0 and math.isfinite(value)):
        raise ValidationError(name, f"expected a positive number of seconds, got {value!r}")


def reached(status: str, target: str) -> bool:
    """Whether ``status`` is ``target``, or past it (terminated is past terminating)."""
    return status == target or (target == "terminating" and status == "terminated")


def cannot_follow(status: str, target: str) -> bool:
    """Whether an instance in ``status`` can no longer reach ``target``."""
    if reached(status, target):
        return False
    if status in _GONE:
        return True
    return status in _NOT_RUNNING and target not in ("terminating", "terminated")


def is_transient(error: LambdaCloudError) -> bool:
    """Failures worth another poll: the network, rate limits and server errors — not a
    connection that cannot work as configured (TLS, a proxy refusing its credentials)."""
    if isinstance(error, APIConnectionError):
        return error.retryable or isinstance(error, APITimeoutError)
    return error.status_code is not None and (error.status_code == 429 or error.status_code >= 500)


def wait_for_status(
    target: str,
    *,
    fetch: Callable[[float], list[Instance]],
    seen: list[Instance],
    clock: Clock,
    sleep: Sleep,
    timeout: float,
    poll_interval: float,
    max_poll_interval: float,
    progress: ProgressCallback | None,
    ready: Callable[[Instance, float], bool] | None = None,
    label: str | None = None,
) -> list[Instance]:
    """Poll until every awaited instance has status ``target``.

    Args:
        target: The status to wait for.
        fetch: Reads every awaited instance, in a fixed order (one request per poll); it is
            given the wait's deadline, which its request (retries, ``Retry-After``, rate
            limits) must not pass.
        seen: The instances as known before the wait (for the timeout error).
        clock: Monotonic seconds.
        sleep: How to wait between polls.
        timeout: Seconds before giving up.
        poll_interval: The first pause between polls; it grows 1.5x per poll.
        max_poll_interval: The longest pause between polls.
        progress: Called after every successful poll.
        ready: A further check of an instance that has the status (its SSH server answers),
            given the time left; the wait goes on until it passes for every instance.
        label: What is awaited, in progress and messages (``ready``); ``target`` if none.

    The wait ends within about a second of ``timeout``: every pause, retry and rate-limit
    wait is cut to the time left, and a failed poll that asked for a longer pause
    (``Retry-After``) than the time left ends the wait at its deadline.

    Returns:
        The instances as last read.

    Raises:
        InstanceStatusError: An instance reached a status from which ``target`` cannot follow.
        WaitTimeoutError: ``timeout`` passed first; it carries the instances as last seen.
        LambdaCloudError: More consecutive polls failed than are tolerated, or a poll failed
            in a way that polling again cannot fix.
    """
    shown = label or target
    started = clock()
    deadline = started + timeout
    interval = poll_interval
    polls = failures = 0
    last_error: LambdaCloudError | None = None
    while True:
        pause = interval
        try:
            current = fetch(deadline)
        except LambdaCloudError as error:
            failures += 1
            if not is_transient(error) or failures > TRANSIENT_ERRORS_TOLERATED:
                raise
            last_error = error
            pause = max(pause, error.retry_after or 0.0)
        else:
            failures = 0
            polls += 1
            seen = current
            if progress is not None:
                progress(WaitProgress(tuple(current), shown, clock() - started, polls))
            stuck = [instance for instance in current if cannot_follow(instance.status, target)]
            if stuck:
                raise InstanceStatusError(
                    f"Instance {stuck[0].id} is {stuck[0].status}, so it will not become {target}",
                    instances=stuck + [i for i in current if i not in stuck],
                )
            if all(reached(instance.status, target) for instance in current) and (
                ready is None or all(ready(i, deadline - clock()) for i in current)
            ):
                return current
            last_error = None
        now = clock()
        if now >= deadline or (last_error is not None and now + pause >= deadline):
            statuses = ", ".join(f"{i.id} is {i.status}" for i in seen) or "never read"
            if now < deadline:
                sleep(deadline - now)  # the server asked for longer than is left
            raise WaitTimeoutError(
                f"Gave up after {timeout:g} s waiting for {shown}: {statuses}", instances=seen
            ) from last_error
        sleep(min(pause, deadline - now))
        interval = min(interval * POLL_INTERVAL_GROWTH, max_poll_interval)


class Reads(Protocol):
    """What a poll needs of the instances manager: reading one instance, or all."""

    def _read(self, instance_id: str, deadline: float | None) -> Instance: ...

    def _read_all(self, deadline: float | None) -> Sequence[Instance]: ...


class Poller:
    """Reads the awaited instances, one request per poll however many there are.

    Args:
        operations: The instances manager.
        given: The instances (or ids) awaited, in order.
    """

    def __init__(self, operations: Reads, given: list[Resource[Any] | str]) -> None:
        self._operations = operations
        self.ids = ids_of(given, "instances")
        self.known = {i.id: i for i in given if isinstance(i, Instance)}
        self._gone: set[str] = set()

    def seen(self) -> list[Instance]:
        """The instances as known before the wait."""
        return [self.known[i] for i in self.ids if i in self.known]

    def __call__(self, deadline: float | None) -> list[Instance]:
        """Read the awaited instances; ones that vanished come back as ``terminated``."""
        wanted = [i for i in self.ids if i not in self._gone]
        found: dict[str, Instance] = {}
        if len(wanted) > 1:
            found = {i.id: i for i in self._operations._read_all(deadline) if i.id in wanted}
        for instance_id in wanted:
            if instance_id not in found:
                try:
                    found[instance_id] = self._operations._read(instance_id, deadline)
                except NotFoundError:
                    self._gone.add(instance_id)
        current = []
        for instance_id in self.ids:
            instance = found.get(instance_id)
            if instance is None:
                previous = self.known.get(instance_id)
                if previous is None:
                    raise NotFoundError(f"Instance {instance_id} does not exist")
                instance = copy.copy(previous)
                instance.status = InstanceStatus.TERMINATED
            self.known[instance_id] = instance
            current.append(instance)
        return current


def check_status(status: object) -> str:
    """``status`` if it is one an instance can have.

    Raises:
        ValidationError: It is not (``"running"`` is not a status).
    """
    known = [member.value for member in InstanceStatus]
    if not isinstance(status, str) or str(status) not in known:
        raise ValidationError(
            "status", f"{status!r} is not an instance status; expected one of {', '.join(known)}"
        )
    return str(status)


def interrupted(instances: list[Instance], interrupt: KeyboardInterrupt) -> None:
    """Ctrl-C stopped a wait, not the machines: say which are still running (and billing)."""
    running = [i.id for i in instances if str(i.status) not in ("terminating", "terminated")]
    if not running:
        return
    text = (
        f"Stopped waiting, but instance {', '.join(running)} is still running (and billing): "
        f"the wait was interrupted, not the machine. Terminate it with "
        f"client.instances.terminate({running!r}) when you are done."
    )
    logger.warning(text)
    add_note = getattr(interrupt, "add_note", None)
    if add_note is not None:
        add_note(text)
