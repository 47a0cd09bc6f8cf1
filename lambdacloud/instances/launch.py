"""The launch protocol: one object owns a launch from its checked request to the instance
handed over — or, when it cannot be handed over, terminated.

check (``request.py``, before anything is sent) → choose a region if none was given →
tag it with a new launch token and its launch time → send (at most once unless it
certainly never arrived) → read the new instance back → wait for it if asked → hand it
over. The API has no idempotency key: when the answer to the launch is lost (a read
timeout, a 5xx, a dropped connection, Ctrl-C in the middle of the request), the instance
is found by its token, never launched again. Whatever fails or is interrupted after the
send, what the launch started is terminated before the error (or the ``KeyboardInterrupt``)
goes on; if that cannot be confirmed, a warning and the exception's notes name what may
still be running.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

import attrs

from lambdacloud._api import Api
from lambdacloud._http.retry import backoff
from lambdacloud.errors import (
    APIConnectionError,
    InvalidParametersError,
    LambdaCloudError,
    LaunchAbortedError,
    MalformedResponseError,
    NotFoundError,
)
from lambdacloud.instance_types import InstanceType
from lambdacloud.instances import tags
from lambdacloud.instances.cleanup import CONSOLE, Cleanup, note, terminate
from lambdacloud.instances.instance import Instance, InstanceOperations, Progress
from lambdacloud.instances.request import LaunchRequest, choose_region
from lambdacloud.instances.waiting import is_transient

logger = logging.getLogger("lambdacloud")

#: Pauses between searches for an instance by its token (about half a minute in all).
FIND_PAUSES = (1.0, 2.0, 4.0, 8.0, 15.0)
#: Seconds a just-launched instance may take to be readable (it may answer 404 at first).
READ_BACK_TIMEOUT = 60.0
#: Seconds a token search may take beyond its pauses, for the listings themselves.
READ_TIMEOUT_SLACK = 10.0


@attrs.frozen
class LaunchResult:
    """The ``data`` of a launch response."""

    instance_ids: list[str]


#: Called with the instance as a launch hands it over, within the launch's protection:
#: should it fail (or Ctrl-C land in it), the instance is terminated.
OnHandover = Callable[[Instance], object]


class Launch:
    """One launch, from its checked request to the instance handed over or cleaned up.

    Args:
        operations: The instances manager.
        api: Its client's package-internal face (for the clock and sleeping).
        request: The checked request.
        max_runtime: Seconds until its expiry (a tag, for ``sweep()``), if any.
        deadline: The time on the client's clock by which the launch must be sent (an
            acquire's); waits for the API's limits never reach past it. Once sent, the
            answer is awaited in full whatever the deadline.
        wall_clock: The current UTC time, for the launch-time tag.

    Attributes:
        token: The launch token, a tag on what this launch starts.
        unresolved: Whether the launch was sent, its answer lost, and the search for its
            token could not be made (every listing failed): it may have started a machine
            that nobody holds. An acquire looks for it again before it launches anything else.
    """

    def __init__(
        self,
        operations: InstanceOperations,
        api: Api,
        request: LaunchRequest,
        *,
        max_runtime: float | None = None,
        deadline: float | None = None,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._operations = operations
        self._max_runtime = max_runtime
        self._deadline = deadline
        self._api = api
        self._request = request
        self._now = wall_clock or (lambda: datetime.now(timezone.utc))
        self.token = tags.new_token()
        self.unresolved = False

    def run(
        self,
        *,
        instance_types: Sequence[InstanceType] | None,
        wait: str | None,
        wait_timeout: float,
        progress: Progress,
        port: int,
        on_handover: OnHandover | None = None,
    ) -> Instance:
        """Send the launch and hand the instance over.

        Args:
            instance_types: The current listing, to choose a region when none was given.
            wait: Also wait until the instance is ``"active"`` or ``"ready"``; ``None``: not.
            wait_timeout: Seconds for that wait.
            progress: How to show that wait.
            port: The SSH port, for ``"ready"``.
            on_handover: Called with the instance last, within the launch's protection.

        Raises:
            InsufficientCapacityError: No region has capacity for the type now.
            LaunchAbortedError: The launch succeeded but the instance cannot be handed over;
                it was terminated (the error says if that failed too).
            LambdaCloudError: The launch failed.
        """
        request = self._request
        if request.region_name is None:
            assert instance_types is not None
            region = choose_region(
                instance_types, request.instance_type_name, request.required_region
            )
            request = attrs.evolve(request, region_name=region)
        now = self._now().replace(microsecond=0)
        ours = {tags.TOKEN: self.token, tags.LAUNCHED_AT: tags.stamp(now)}
        if self._max_runtime is not None:
            # The launch second plus max_runtime rounded up: both tags to the second, and
            # any client can read one from the other.
            expiry = now + timedelta(seconds=math.ceil(self._max_runtime))
            ours[tags.EXPIRES_AT] = tags.stamp(expiry)
        request = request.tagged(ours)
        ids = self._send(request)
        return self.hand_over(
            ids,
            wait=wait,
            wait_timeout=wait_timeout,
            progress=progress,
            port=port,
            on_handover=on_handover,
        )

    def hand_over(
        self,
        ids: list[str],
        *,
        wait: str | None,
        wait_timeout: float,
        progress: Progress,
        port: int,
        on_handover: OnHandover | None,
    ) -> Instance:
        """Read back what this launch started, wait for it if asked, and hand it over; on any
        failure or interrupt, terminate it (see ``run()``)."""
        stage = "read"
        try:
            instance = self._read_back(ids[0])
            if wait is not None:
                stage = "wait"
                (fresh,) = self._operations._await(
                    [instance], wait, timeout=wait_timeout, port=port, progress=progress
                )
                instance._replace_state(fresh)
            stage = "hand over"
            if on_handover is not None:
                on_handover(instance)
        except BaseException as exc:
            self._abandon(ids, exc, _failure(stage, wait, exc))
            raise
        return instance

    def _send(self, request: LaunchRequest) -> list[str]:
        sent: list[bool] = []
        try:
            ids = self._operations._send_launch(
                request.body(),
                secrets=(request.user_data,) if request.user_data else (),
                on_send=lambda: sent.append(True),
                deadline=self._deadline,
            )
            if not ids:
                raise MalformedResponseError("The launch answer named no instance")
            return ids
        except KeyboardInterrupt as interrupt:
            if sent:
                self._clean_up_by_token(interrupt)
            raise
        except LambdaCloudError as error:
            if isinstance(error, (NotFoundError, InvalidParametersError)):
                mistake = self._operations._diagnose(
                    request.instance_type_name, request.ssh_key_names
                )
                if mistake is not None:
                    raise mistake from error
            if not (sent and _outcome_unknown(error)):
                raise
            logger.warning(
                "The answer to a launch was lost (%s): looking for its instance by its launch "
                "token %s (about half a minute; Ctrl-C stops the search)",
                type(error).__name__,
                self.token,
            )
            try:
                found = self._find()
            except KeyboardInterrupt as interrupt:
                self._still_running(interrupt, None)
                raise
            if found:
                logger.warning(
                    "The answer to a launch was lost, but its instance %s was found by its "
                    "launch token",
                    ", ".join(found),
                )
                return found
            self.unresolved = found is None
            explain_failed_launch(error, self.token, searched=found is not None)
            raise

    def _find(self) -> list[str] | None:
        """The ids of the instances that carry this launch's token and are not terminated:
        empty when none does, ``None`` when no listing could be read (about half a minute,
        however long the API asks to wait)."""
        deadline = self._api.clock() + sum(FIND_PAUSES) + READ_TIMEOUT_SLACK
        searched = False
        for pause in (0.0, *FIND_PAUSES):
            if pause:
                if self._api.clock() + pause > deadline:
                    break
                self._api.sleep(pause)
            try:
                listed = self._operations._read_all(deadline)
            except LambdaCloudError:
                continue
            searched = True
            found = self.found_in(listed)
            if found:
                return found
        return [] if searched else None

    def found_in(self, listed: Sequence[Instance]) -> list[str]:
        """The ids in ``listed`` of what this launch started and is not terminated."""
        return [
            i.id
            for i in listed
            if i.tags.get(tags.TOKEN) == self.token and str(i.status) != "terminated"
        ]

    def _clean_up_by_token(self, interrupt: KeyboardInterrupt) -> None:
        """Ctrl-C arrived while the launch request was out: find what it started and stop it."""
        logger.warning(
            "Interrupted during a launch: looking for what it started (launch token %s) to "
            "terminate it. Press Ctrl-C again to stop looking.",
            self.token,
        )
        try:
            found = self._find()
        except KeyboardInterrupt:
            self._still_running(interrupt, None)
            return
        if not found:
            text = (
                f"Interrupted during a launch: no instance with its launch token was found"
                f"{'' if found is not None else ' (the instance list could not be read)'}. "
                f"If one appears (tag {tags.TOKEN}={self.token}), it is this launch's: "
                f"terminate it at {CONSOLE}."
            )
            logger.warning(text)
            note(interrupt, text)
            return
        outcome = terminate(self._operations, self._api, found, why="Interrupted during a launch")
        self._still_running(interrupt, outcome)

    def _still_running(self, error: BaseException, outcome: Cleanup | None) -> None:
        if outcome is None:
            text = (
                f"The search for what an interrupted launch started was interrupted: an "
                f"instance tagged {tags.TOKEN}={self.token} may be running (and billing). "
                f"Find it with client.instances.list() and terminate it, or at {CONSOLE}."
            )
        else:
            text = outcome.warning("An interrupted launch") or ""
            if outcome.interrupt is not None and outcome.interrupt is not error:
                note(outcome.interrupt, text)
        if text:
            logger.warning(text)
            note(error, text)

    def _read_back(self, instance_id: str) -> Instance:
        """Read the just-launched instance, allowing it time to appear (404) first and
        riding out transient failures, for up to ``READ_BACK_TIMEOUT``."""
        deadline = self._api.clock() + READ_BACK_TIMEOUT
        attempt = 0
        while True:
            attempt += 1
            try:
                # Each read in full: a slow answer is no reason to throw a machine away.
                return self._operations.get(instance_id)
            except LambdaCloudError as error:
                if not (isinstance(error, NotFoundError) or is_transient(error)):
                    raise
                pause = backoff(attempt)
                if self._api.clock() + pause > deadline:
                    raise
                self._api.sleep(pause)

    def _abandon(self, ids: list[str], cause: BaseException, failure: str) -> None:
        """Terminate what the launch started when it cannot be handed to the caller.

        Raises:
            LaunchAbortedError: For an ``Exception`` cause; a ``KeyboardInterrupt`` cause is
                left for the caller to re-raise, with notes when something may still run.
            KeyboardInterrupt: Ctrl-C stopped (or came at the end of) the termination.
        """
        listed = ", ".join(ids)
        outcome = terminate(
            self._operations, self._api, ids, why=f"Launched {listed} but {failure}"
        )
        warning = outcome.warning(f"Launched {listed} but {failure}")
        if warning is None:
            message = f"Launched {listed} but {failure}, so it was terminated"
            logger.warning(message)
        else:
            message = warning
            logger.warning(message)
            note(cause, message)
        if outcome.interrupt is not None and outcome.interrupt is not cause:
            if warning is not None:
                note(outcome.interrupt, message)
            raise outcome.interrupt
        if isinstance(cause, Exception):
            raise LaunchAbortedError(
                message, instance_ids=ids, terminated=warning is None
            ) from cause


def _failure(stage: str, wait: str | None, exc: BaseException) -> str:
    """What went wrong after a launch, for the messages that say it was terminated."""
    interrupted = not isinstance(exc, Exception)
    if stage == "wait":
        return "the wait for it was interrupted" if interrupted else f"it did not become {wait}"
    if stage == "hand over":
        return (
            "it was interrupted as it was handed over"
            if interrupted
            else (f"handing it over failed ({type(exc).__name__})")
        )
    return "it was interrupted" if interrupted else "could not read it back"


def _outcome_unknown(error: LambdaCloudError) -> bool:
    """Whether a failed launch may have started a machine."""
    if isinstance(error, MalformedResponseError):
        return True  # a 2xx we cannot read: it was accepted
    if isinstance(error, APIConnectionError):
        return error.request_sent
    return error.status_code is not None and error.status_code >= 500


def explain_failed_launch(
    error: LambdaCloudError, token: str | None = None, *, searched: bool = True
) -> None:
    """Say so in ``error`` (and the log) when a failed launch may have started a machine."""
    if not _outcome_unknown(error):
        return
    found = ""
    if token:
        found = (
            f" No instance with its launch token ({tags.TOKEN}={token}) was found"
            if searched
            else f" The instance list could not be read to look for its launch token "
            f"({tags.TOKEN}={token})"
        )
        found += "; if one appears, it is this launch's."
    if isinstance(error, MalformedResponseError):
        note_text = (
            "The launch was accepted, so an instance is probably running: find it with "
            f"client.instances.list() and terminate it if it is not wanted.{found}"
        )
    else:
        note_text = (
            "The launch may have been accepted: check client.instances.list() before "
            f"launching again, or you may pay for two machines.{found}"
        )
    logger.warning("%s %s", error.message, note_text)
    error.message = f"{error.message}. {note_text}"
    error.args = (error.message,)
