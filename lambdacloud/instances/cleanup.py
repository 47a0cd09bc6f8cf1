"""Terminating what the library is responsible for — what a failed or interrupted launch
started, the end of a with-block, an unfinished group, the exit guard — until the API
confirms it, and saying what may still run when it cannot.
"""

from __future__ import annotations

import logging

import attrs

from lambdacloud._api import Api
from lambdacloud._http.retry import backoff
from lambdacloud.errors import LambdaCloudError, NotFoundError
from lambdacloud.instances.instance import Instance, InstanceOperations
from lambdacloud.instances.waiting import is_transient

logger = logging.getLogger("lambdacloud")

#: Seconds the library keeps trying to terminate what it must (404s and transient failures).
CLEANUP_TIMEOUT = 60.0
#: Where to terminate by hand.
CONSOLE = "https://cloud.lambda.ai/instances"


@attrs.define
class Cleanup:
    """What became of the library's attempt to terminate instances.

    Attributes:
        confirmed: The ids the API says are terminating or terminated.
        unconfirmed: The ids that may still be running.
        error: The last failure, if any.
        interrupt: The ``KeyboardInterrupt`` that stopped the attempt, if one did.
    """

    confirmed: list[str] = attrs.Factory(list)
    unconfirmed: list[str] = attrs.Factory(list)
    error: BaseException | None = None
    interrupt: KeyboardInterrupt | None = None
    instances: list[Instance] = attrs.Factory(list)

    def warning(self, what: str) -> str | None:
        """The warning to give when something may still be running, else ``None``."""
        if not self.unconfirmed:
            return None
        ids = ", ".join(self.unconfirmed)
        why = "interrupted" if self.interrupt is not None else _reason(self.error)
        return (
            f"{what}: instance {ids} may still be running (and billing) — terminating it "
            f"was {why}. Terminate it with client.instances.terminate({self.unconfirmed!r}) "
            f"or at {CONSOLE}."
        )


def terminate(
    operations: InstanceOperations, api: Api, ids: list[str], *, why: str | None = None
) -> Cleanup:
    """Terminate instances the library is responsible for, until the API confirms it.

    Transient failures and 404s (an instance launched seconds ago may not be visible yet)
    are tried again until ``CLEANUP_TIMEOUT``, which also bounds the waits a 429 asks for;
    nothing counts as terminated until the API says so. A ``KeyboardInterrupt`` stops the
    attempt and is kept in the result.

    Args:
        why: Logged before the first attempt (a warning that names the ids and says that
            Ctrl-C stops it); nothing is logged when ``None``.
    """
    outcome = Cleanup(unconfirmed=list(ids))
    deadline = api.clock() + CLEANUP_TIMEOUT
    attempt = 0
    try:
        if why is not None:
            logger.warning(
                "%s: terminating %s (up to %.0f s; press Ctrl-C again to stop, leaving it running)",
                why,
                ", ".join(ids),
                CLEANUP_TIMEOUT,
            )
        while outcome.unconfirmed:
            attempt += 1
            try:
                done = operations._cleanup(outcome.unconfirmed, deadline=deadline)
            except LambdaCloudError as error:
                outcome.error = error
                pause = backoff(attempt)
                if not (isinstance(error, NotFoundError) or is_transient(error)):
                    break
                if api.clock() + pause > deadline:
                    break
                api.sleep(pause)
                continue
            outcome.instances += done
            confirmed = {i.id for i in done if str(i.status) in ("terminating", "terminated")}
            outcome.confirmed += [i for i in outcome.unconfirmed if i in confirmed]
            outcome.unconfirmed = [i for i in outcome.unconfirmed if i not in confirmed]
            if outcome.unconfirmed:
                outcome.error = LambdaCloudError("the API did not list it as terminating")
                break
    except KeyboardInterrupt as interrupt:
        outcome.interrupt = interrupt
    return outcome


def note(error: BaseException, text: str) -> None:
    """Add ``text`` to what the traceback of ``error`` shows (Python 3.11+)."""
    add_note = getattr(error, "add_note", None)
    if add_note is not None:
        add_note(text)


def _reason(error: BaseException | None) -> str:
    if error is None:
        return "not confirmed by the API"
    if isinstance(error, NotFoundError):
        return "answered 404 (not found) until the library gave up"
    return f"refused ({type(error).__name__})"
