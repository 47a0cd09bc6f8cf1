"""Getting a scarce GPU: keep reading the capacity and launch the best listed (type, region)
the moment one shows, within the API's limits, until one launch succeeds (or ``count``).

Each iteration reads the capacity once (``GET /instance-types``) and, when a preferred type
is listed in a preferred region and a launch may go now, launches it at once — no other
request in between. A refusal ("insufficient capacity", listed or not), a 429 and a
transient failure are part of the game: the next read comes when the next launch may go
(12 s after the last), so a window that is still open is tried again. Permanent errors
(authentication, invalid parameters, quota, an inactive account) end it at once.

Requests are paced by the client (about one a second, two at once after a pause) and
launches spaced 12 s apart, so an acquire never meets the API's limits on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from lambdacloud._api import Api
from lambdacloud._http.pacing import LAUNCH_INTERVAL
from lambdacloud.errors import (
    APITimeoutError,
    CapacityTimeoutError,
    InsufficientCapacityError,
    LambdaCloudError,
)
from lambdacloud.instance_types import InstanceType
from lambdacloud.instances import cleanup, tags
from lambdacloud.instances import launch as launching
from lambdacloud.instances.events import (
    AcquireEvent,
    CapacityRead,
    LaunchAttempt,
    Launched,
    LaunchRefused,
    OnEvent,
)
from lambdacloud.instances.instance import Instance, InstanceOperations, Progress
from lambdacloud.instances.preferences import Preferences
from lambdacloud.instances.request import LaunchRequest
from lambdacloud.instances.waiting import is_transient

logger = logging.getLogger("lambdacloud")

#: Seconds between capacity reads by default: two launch intervals (the API allows one
#: launch per 12 s). Windows of capacity last about a minute, so each is read two or three
#: times, and a refused launch is tried again at the next launch slot, 12 s later; it spends
#: about a thirtieth of the API's request budget (``benchmarks/acquire.py`` compares).
DEFAULT_POLL_INTERVAL = 2 * LAUNCH_INTERVAL


@attrs.frozen
class _Wait:
    """What to wait for after a launch: ``until`` ``"active"``/``"ready"`` (or ``None``)."""

    until: str | None
    timeout: float
    port: int


def _deadline_came_first(error: LambdaCloudError) -> bool:
    """Whether ``error`` says a launch was not sent because the deadline would pass first."""
    return isinstance(error, APITimeoutError) and not error.request_sent and not error.retryable


class Acquire:
    """One acquire: reads, attempts and the deadline, for one instance or a group.

    Args:
        operations: The instances manager.
        api: The client's package-internal face (clock, sleep).
        read_types: Reads the instance-type listing within a deadline.
        preferences: The checked types, regions and price cap.
        request: The launch options, checked (type and region are filled in per attempt).
        timeout: Seconds until giving up; ``None`` for never.
        poll_interval: Seconds between capacity reads.
        on_event: Called with each event.
        progress: How to show the wait for the instance, if there is one.
        max_runtime: Seconds until each instance's expiry (``sweep()``), if any.
        on_handover: Called with each instance as it is handed over (within the launch's
            protection: should it fail, the instance is terminated).

    Attributes:
        launched: What this acquire launched and handed over, in order.
        reads: Capacity reads so far.
        attempts: Launches sent so far.
    """

    def __init__(
        self,
        operations: InstanceOperations,
        api: Api,
        read_types: Callable[[float | None], Sequence[InstanceType]],
        preferences: Preferences,
        request: LaunchRequest,
        *,
        timeout: float | None,
        poll_interval: float,
        on_event: OnEvent | None,
        progress: Progress = False,
        max_runtime: float | None = None,
        on_handover: launching.OnHandover | None = None,
    ) -> None:
        self._operations = operations
        self._api = api
        self._read_types = read_types
        self._preferences = preferences
        self._request = request
        self._poll_interval = poll_interval
        self._on_event = on_event
        self._progress = progress
        self._max_runtime = max_runtime
        self._on_handover = on_handover
        self._started = api.clock()
        self._deadline = None if timeout is None else self._started + timeout
        self._timeout = timeout
        self._next_launch = self._started
        self._named = False
        #: Launches whose answer was lost and whose token could not be searched for,
        #: with when they were sent: nothing else is launched while one is pending.
        self._unresolved: list[tuple[launching.Launch, float]] = []
        self.launched: list[Instance] = []
        self.reads = 0
        self.attempts = 0

    def one(
        self,
        *,
        only: tuple[str, str] | None = None,
        wait: str | None = None,
        wait_timeout: float = 0.0,
        port: int = 22,
    ) -> Instance:
        """Launch one instance (of ``only``, when given: a group's type and region), and wait
        for it (``"active"``, ``"ready"``) if asked; it is terminated if that wait fails.

        Raises:
            CapacityTimeoutError: The deadline passed first.
            LambdaCloudError: A permanent failure.
        """
        waiting = _Wait(wait, wait_timeout, port)
        try:
            return self._one(only, waiting)
        except BaseException as error:
            self._name_unresolved(error)
            raise

    def _one(self, only: tuple[str, str] | None, waiting: _Wait) -> Instance:
        next_read = self._api.clock()
        while True:
            self._sleep_until(next_read)
            if self._unresolved:
                try:
                    adopted = self._settle(waiting)
                except LambdaCloudError as error:
                    if not is_transient(error):
                        raise
                    adopted = None
                if adopted is not None:
                    return adopted
                if self._unresolved:  # never launch beside a launch that may have started
                    next_read = self._api.clock() + self._poll_interval
                    continue
            try:
                listing = self._read_types(self._deadline)
            except LambdaCloudError as error:
                if not is_transient(error):
                    raise
                next_read = self._api.clock() + max(self._poll_interval, error.retry_after or 0)
                continue
            self.reads += 1
            if not self._named:
                self._preferences.check_names(listing)
                self._named = True
            plan = self._preferences.plan(listing, only=only)
            self._emit(CapacityRead, reads=self.reads, available=tuple(plan))
            now = self._api.clock()
            if not plan:
                next_read = now + self._poll_interval
                continue
            if self._next_launch > now:
                next_read = self._next_launch  # read again the moment a launch may go
                continue
            instance = self._attempt(*plan[0], waiting)
            if instance is not None:
                return instance
            next_read = self._next_launch

    def _attempt(self, type_name: str, region: str, waiting: _Wait) -> Instance | None:
        self.attempts += 1
        self._emit(LaunchAttempt, instance_type=type_name, region=region, attempt=self.attempts)
        self._next_launch = self._api.clock() + LAUNCH_INTERVAL
        request = attrs.evolve(self._request, instance_type_name=type_name, region_name=region)
        launch = launching.Launch(
            self._operations,
            self._api,
            request,
            max_runtime=self._max_runtime,
            deadline=self._deadline,
            wall_clock=self._api.now,
        )
        try:
            return launch.run(
                instance_types=None,
                wait=waiting.until,
                wait_timeout=waiting.timeout,
                progress=self._progress,
                port=waiting.port,
                on_handover=self._hand_over,
            )
        except InsufficientCapacityError as error:
            self._refused(type_name, region, "insufficient capacity", error)
            return None
        except LambdaCloudError as error:
            if launch.unresolved:
                self._unresolved.append((launch, self._api.clock()))
                reason = "answer lost (looking for it)"
            elif self._deadline is not None and _deadline_came_first(error):
                self._sleep_until(self._deadline)  # raises CapacityTimeoutError
                raise
            elif not is_transient(error):
                raise
            else:
                reason = "rate limited" if error.status_code == 429 else "a transient failure"
            self._refused(type_name, region, reason, error)
            return None

    def _settle(self, waiting: _Wait) -> Instance | None:
        """Look again for the instances of launches whose answer was lost: hand over the first
        found; forget one that a listing shows did not start anything, once it has had
        ``READ_BACK_TIMEOUT`` to appear.

        Raises:
            LambdaCloudError: The instance list could not be read (nothing is settled).
        """
        listed = self._operations._read_all(self._deadline)
        now = self._api.clock()
        for launch, sent_at in list(self._unresolved):
            found = launch.found_in(listed)
            if found:
                self._unresolved.remove((launch, sent_at))
                logger.warning(
                    "Found %s, started by a launch whose answer was lost (launch token %s)",
                    ", ".join(found),
                    launch.token,
                )
                return launch.hand_over(
                    found,
                    wait=waiting.until,
                    wait_timeout=waiting.timeout,
                    progress=self._progress,
                    port=waiting.port,
                    on_handover=self._hand_over,
                )
            if now - sent_at >= launching.READ_BACK_TIMEOUT:
                self._unresolved.remove((launch, sent_at))
                logger.warning(
                    "A launch whose answer was lost started nothing that the instance list "
                    "shows (launch token %s); acquiring goes on",
                    launch.token,
                )
        return None

    def _name_unresolved(self, error: BaseException) -> None:
        """The acquire ends (an error, the deadline, Ctrl-C) while launches whose answer was
        lost are still unaccounted for: name their tokens in the log and the error."""
        if not self._unresolved:
            return
        tokens = ", ".join(launch.token for launch, _ in self._unresolved)
        text = (
            f"A launch whose answer was lost may have started a machine that is not yours yet "
            f"(and bills): look for the tag {tags.TOKEN} = {tokens} in "
            f"client.instances.list() and terminate it, or at {cleanup.CONSOLE}."
        )
        logger.warning(text)
        cleanup.note(error, text)

    def _hand_over(self, instance: Instance) -> None:
        if self._on_handover is not None:
            self._on_handover(instance)
        self._emit(Launched, instance=instance)
        self.launched.append(instance)

    def _refused(self, type_name: str, region: str, reason: str, error: LambdaCloudError) -> None:
        logger.info("Launch of %s in %s refused: %s", type_name, region, reason)
        self._emit(
            LaunchRefused, instance_type=type_name, region=region, reason=reason, error=error
        )

    def _sleep_until(self, moment: float) -> None:
        now = self._api.clock()
        if self._deadline is not None and moment >= self._deadline:
            if now < self._deadline:
                self._api.sleep(self._deadline - now)
            raise self.timed_out()
        if moment > now:
            self._api.sleep(moment - now)

    def timed_out(
        self, *, terminated: list[str] | None = None, still_running: list[str] | None = None
    ) -> CapacityTimeoutError:
        """The error for a deadline that passed first (``terminated``, ``still_running``: what
        became of an unfinished group)."""
        regions = self._preferences.regions
        group = ""
        if terminated:
            group += f"; the unfinished group was terminated: {', '.join(terminated)}"
        if still_running:
            group += (
                f"; could not confirm the termination of {', '.join(still_running)}: it may "
                "still be running (and billing), terminate it by hand"
            )
        return CapacityTimeoutError(
            f"No launch of {', '.join(self._preferences.types)} succeeded in "
            f"{', '.join(regions) if regions else 'any region'} within {self._timeout:g} s "
            f"({self.reads} capacity reads, {self.attempts} launch attempts){group}",
            instance_types=list(self._preferences.types),
            regions=None if regions is None else list(regions),
            capacity_reads=self.reads,
            launch_attempts=self.attempts,
            terminated=terminated,
            still_running=still_running,
        )

    def _emit(self, kind: type[AcquireEvent], **fields: Any) -> None:
        if self._on_event is None:
            return
        event = kind(elapsed=self._api.clock() - self._started, **fields)
        try:
            self._on_event(event)
        except Exception:
            logger.exception("on_event failed on %s; acquiring goes on", type(event).__name__)


def group(
    acquire: Acquire,
    count: int,
    *,
    same_region: bool,
    wait: Callable[[list[Instance]], object] | None,
) -> list[Instance]:
    """Launch ``count`` instances, all or none: what was launched is terminated if the group
    cannot be completed (the deadline, an error, Ctrl-C) or its wait fails.

    With ``same_region``, the whole group is of the first instance's type and region.

    Raises:
        CapacityTimeoutError: The deadline passed first; ``terminated`` and
            ``still_running`` say what became of the instances launched.
        LambdaCloudError: A permanent failure (after the group was terminated).
    """
    launched = acquire.launched
    try:
        while len(launched) < count:
            only = None
            if same_region and launched:
                first = launched[0]
                only = (first.instance_type.name, first.region.name)
            acquire.one(only=only)
        if wait is not None:
            wait(launched)
    except CapacityTimeoutError as error:
        outcome = _give_back(acquire, launched, error)
        timed_out = acquire.timed_out(
            terminated=outcome.confirmed, still_running=outcome.unconfirmed
        )
        for text in getattr(error, "__notes__", ()):
            cleanup.note(timed_out, text)  # what may still run is named on the error raised
        raise timed_out from error
    except BaseException as error:
        _give_back(acquire, launched, error)
        raise
    return list(launched)


def _give_back(acquire: Acquire, launched: list[Instance], error: BaseException) -> cleanup.Cleanup:
    """Terminate an unfinished group; name what may still run in the log and the error."""
    if not launched:
        return cleanup.Cleanup()
    outcome = cleanup.terminate(
        acquire._operations,
        acquire._api,
        [i.id for i in launched],
        why="The group was not completed",
    )
    logger.warning(
        "The group was not completed: terminated %s", ", ".join(outcome.confirmed) or "none"
    )
    warning = outcome.warning("An unfinished group")
    if warning is not None:
        logger.warning(warning)
        cleanup.note(error, warning)
    if outcome.interrupt is not None and outcome.interrupt is not error:
        if warning is not None:
            cleanup.note(outcome.interrupt, warning)
        raise outcome.interrupt
    return outcome
