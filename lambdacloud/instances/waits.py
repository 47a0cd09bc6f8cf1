"""Waiting for instances: a status, ``active``, or ready (SSH answering) — the methods of
``client.instances`` that poll (the polling itself is ``waiting.py``)."""

from __future__ import annotations

import builtins
import logging

from lambdacloud._display import ResourceList
from lambdacloud._resource import as_list
from lambdacloud.instances import progress as progress_display
from lambdacloud.instances import readiness, waiting
from lambdacloud.instances.instance import Instance, InstanceArgument, Progress
from lambdacloud.instances.models import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    InstanceStatus,
)
from lambdacloud.instances.reading import InstanceReads

logger = logging.getLogger("lambdacloud")


class InstanceWaits(InstanceReads):
    """What ``client.instances`` waits for (see ``InstanceManager``)."""

    def wait_for_status(
        self,
        instances: InstanceArgument,
        status: InstanceStatus | str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: Progress = True,
    ) -> ResourceList[Instance]:
        """Poll until every given instance has ``status``.

        One request per poll however many instances: ``GET /instances/{id}`` for one,
        ``GET /instances`` for several. The pause between polls starts at ``poll_interval``
        and grows to ``max_poll_interval``. A few consecutive transient failures (network,
        429, 5xx) are tolerated. An instance that no longer exists counts as ``terminated``.

        Args:
            instances: An instance, an id, or a list of them.
            status: The status to wait for, such as ``"active"`` or ``"terminated"``.
            timeout: Seconds before giving up (20 minutes by default).
            poll_interval: Seconds before the second poll (2 by default).
            max_poll_interval: The longest pause between polls (10 s by default).
            progress: ``True`` (the default) shows the wait: a line updated in place in a
                notebook, status changes in a terminal, nothing elsewhere; ``False`` shows
                nothing; a function is called with a ``WaitProgress`` after every poll.

        Returns:
            New objects for the instances, in the order given.

        Raises:
            ValidationError: A malformed argument.
            WaitTimeoutError: ``timeout`` passed first; ``.instances`` holds them as last seen.
            InstanceStatusError: An instance reached a status from which ``status`` cannot
                follow (``terminated``, ``preempted``; ``unhealthy`` or ``terminating``
                unless waiting for termination).
            NotFoundError: An instance given by id does not exist.
            LambdaCloudError: Polling failed for good.

        API: ``GET /api/v1/instances/{id}`` or ``GET /api/v1/instances``, once per poll.
        """
        return self._wait(
            instances,
            waiting.check_status(status),
            port=None,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            progress=progress,
        )

    def wait_until_active(
        self,
        instances: InstanceArgument,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: Progress = True,
    ) -> ResourceList[Instance]:
        """Poll until every given instance is ``active``; see ``wait_for_status()``.

        Args:
            instances: An instance, an id, or a list of them.
            timeout: Seconds before giving up (20 minutes by default).
            poll_interval: Seconds before the second poll (2 by default); the pause
                grows 1.5x per poll.
            max_poll_interval: The longest pause between polls (10 s by default).
            progress: ``True`` shows the wait (in a notebook or a terminal), ``False``
                nothing; a function receives a ``WaitProgress`` after every poll.

        Returns:
            New objects for the instances, in the order given.

        Raises:
            ValidationError: A malformed argument; nothing was sent.
            WaitTimeoutError: ``timeout`` passed first; ``.instances`` holds them as last seen.
            InstanceStatusError: An instance became terminated, preempted or unhealthy.
            NotFoundError: An instance given by id does not exist.
            LambdaCloudError: Polling failed for good.

        API: ``GET /api/v1/instances/{id}`` or ``GET /api/v1/instances``, once per poll.
        """
        return self._wait(
            instances,
            InstanceStatus.ACTIVE,
            port=None,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            progress=progress,
        )

    def wait_until_ready(
        self,
        instances: InstanceArgument,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        port: int = 22,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: Progress = True,
    ) -> ResourceList[Instance]:
        """Poll until every given instance is ready: ``active``, with an ip, and its SSH
        server answering on ``port`` with its banner.

        ``active`` comes a little before a machine can be used (sshd starts later); this
        is the moment a script can connect. The check reads the ``SSH-`` banner the server
        sends first: nothing is sent to it and nothing logs in. One API request per poll
        however many instances; fails fast on ``terminated`` or ``preempted``.

        Args:
            instances: An instance, an id, or a list of them.
            timeout: Seconds before giving up (20 minutes by default).
            port: The SSH port (22; the fake cloud's instances answer on ``cloud.ssh_port``).
            poll_interval: Seconds before the second poll (2 by default).
            max_poll_interval: The longest pause between polls (10 s by default).
            progress: How to show the wait, as for ``wait_for_status()``.

        Returns:
            New objects for the instances, in the order given, with their ips.

        Raises:
            ValidationError: A malformed argument; nothing was sent.
            WaitTimeoutError: ``timeout`` passed first; ``.instances`` holds them as last seen.
            InstanceStatusError: An instance became terminated, preempted or unhealthy.
            LambdaCloudError: Polling failed for good.

        API: ``GET /api/v1/instances/{id}`` or ``GET /api/v1/instances``, once per poll.
        """
        return self._wait(
            instances,
            InstanceStatus.ACTIVE,
            port=readiness.check_port(port),
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            progress=progress,
        )

    def _wait(
        self,
        instances: InstanceArgument,
        target: str,
        *,
        port: int | None,
        timeout: float,
        poll_interval: float,
        max_poll_interval: float,
        progress: Progress,
        say_still_running: bool = True,
    ) -> ResourceList[Instance]:
        given = as_list(instances, "instances")
        waiting.check_wait_arguments(timeout, poll_interval, max_poll_interval)
        report = progress_display.reporter(progress)
        poller = waiting.Poller(self, given)

        def ready(instance: Instance, left: float) -> bool:
            assert port is not None
            timeout = min(readiness.PROBE_TIMEOUT, max(left, 0.1))
            return bool(instance.ip) and readiness.ssh_banner(instance.ip or "", port, timeout)

        try:
            awaited = waiting.wait_for_status(
                target,
                fetch=poller,
                seen=poller.seen(),
                clock=self._api.clock,
                sleep=self._api.sleep,
                timeout=timeout,
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
                progress=report,
                ready=ready if port is not None else None,
                label="ready" if port is not None else None,
            )
        except BaseException as error:
            progress_display.stopped(report, error)
            if isinstance(error, KeyboardInterrupt) and say_still_running:
                waiting.interrupted(list(poller.known.values()), error)
            raise
        return ResourceList(awaited, Instance)

    def _await(
        self,
        instances: builtins.list[Instance],
        until: str,
        *,
        timeout: float,
        port: int,
        progress: Progress,
    ) -> ResourceList[Instance]:
        """Wait until what a launch started is ``"active"`` or ``"ready"``; an interrupted wait
        does not say the machines still run: the launch terminates them."""
        return self._wait(
            instances,
            InstanceStatus.ACTIVE,
            port=port if until == "ready" else None,
            timeout=timeout,
            poll_interval=DEFAULT_POLL_INTERVAL,
            max_poll_interval=DEFAULT_MAX_POLL_INTERVAL,
            progress=progress,
            say_still_running=False,
        )
