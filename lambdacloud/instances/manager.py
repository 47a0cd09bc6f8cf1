"""``client.instances``: list, read, rename, launch, restart, terminate and wait for instances."""

from __future__ import annotations

import builtins
import copy
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from lambdacloud._api import Api
from lambdacloud._converter import TAGS, api_shape, to_api
from lambdacloud._display import ResourceList
from lambdacloud._resource import Manager, Resource, as_list, id_of, ids_of, path_segment
from lambdacloud._validation import check_tags, check_text
from lambdacloud.errors import CleanupError, NotFoundError, ValidationError
from lambdacloud.filesystems import Filesystem
from lambdacloud.images import Image
from lambdacloud.instance_types import InstanceType, InstanceTypeManager
from lambdacloud.instances import launch, waiting
from lambdacloud.instances import progress as progress_display
from lambdacloud.instances import tags as library_tags
from lambdacloud.instances.instance import Instance, InstanceArgument, Progress
from lambdacloud.instances.launch import LaunchResult
from lambdacloud.instances.models import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    InstanceStatus,
)
from lambdacloud.instances.request import LaunchRequest, MountsArgument, SSHKeyArgument
from lambdacloud.regions import Region

logger = logging.getLogger("lambdacloud")


class InstanceManager(Manager):
    """``client.instances``: launch and manage instances."""

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self._types = InstanceTypeManager(api)
        api.serve(Instance, self)

    def list(self, *, cluster_id: str | None = None) -> ResourceList[Instance]:
        """List the account's running instances.

        Args:
            cluster_id: Only the instances of this cluster.

        Returns:
            The instances, in the API's order.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/instances``
        """
        if cluster_id is not None:
            check_text("cluster_id", cluster_id, min_length=1)
        return self._read_all(None, cluster_id=cluster_id)

    def get(self, instance: Instance | str) -> Instance:
        """Read one instance.

        Args:
            instance: The instance or its id.

        Returns:
            A new object with the instance's current state.

        Raises:
            NotFoundError: No such instance.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/instances/{id}``
        """
        return self._read(id_of(instance, "instance"), None)

    def _read(self, instance_id: str, deadline: float | None) -> Instance:
        data = self._request("GET", f"/instances/{path_segment(instance_id)}", deadline=deadline)
        return self._structure(data, Instance, "an instance")

    def _read_all(
        self, deadline: float | None, *, cluster_id: str | None = None
    ) -> ResourceList[Instance]:
        data = self._request(
            "GET", "/instances", params={"cluster_id": cluster_id}, deadline=deadline
        )
        return self._structure_list(data, Instance, "a list of instances")

    def update(
        self,
        instance: Instance | str,
        *,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Instance:
        """Rename an instance and/or replace its tags.

        Args:
            instance: The instance or its id.
            name: The new name (at most 64 characters).
            tags: The new tags, replacing all of yours; ``{}`` clears them. The library's own
                tags (``lambdacloud:launch-token``, ``...launched-at``, ``...expires-at``)
                are kept. Keys are lowercase (``[a-z][a-z0-9-:]+``, at most 55) and may not
                start with ``lambda-ai-`` or ``lambdacloud:``; values have at most 128
                characters.

        Returns:
            A new object with the updated instance.

        Raises:
            ValidationError: Neither argument given, or one is malformed.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instances/{id}`` (and ``GET /api/v1/instances/{id}`` first, to
        keep the library's tags, when ``tags`` is given with an id rather than an object).
        """
        instance_id = id_of(instance, "instance")
        if name is None and tags is None:
            raise ValidationError("name", "pass name= and/or tags= to update an instance")
        new_tags = None
        if tags is not None:
            new_tags = check_tags("tags", tags)
            library_tags.check_user_tags(new_tags)
            current = instance if isinstance(instance, Instance) else self.get(instance_id)
            new_tags = {**new_tags, **library_tags.library_tags(current.tags)}
        change = InstanceChange(
            name=None if name is None else check_text("name", name, max_length=64),
            tags=new_tags,
        )
        data = self._request(
            "POST", f"/instances/{path_segment(instance_id)}", json_body=to_api(change)
        )
        return self._structure(data, Instance, "an instance")

    def launch(
        self,
        instance_type: InstanceType | str,
        *,
        ssh_key: SSHKeyArgument,
        region: Region | str | None = None,
        name: str | None = None,
        hostname: str | None = None,
        filesystems: Iterable[Filesystem | str] | None = None,
        filesystem_mounts: MountsArgument | None = None,
        image: Image | str | None = None,
        image_family: str | None = None,
        user_data: str | None = None,
        tags: Mapping[str, str] | None = None,
        firewall_rulesets: Iterable[Resource[Any] | str] | None = None,
        wait: bool = False,
        wait_timeout: float = DEFAULT_TIMEOUT,
        progress: Progress = True,
    ) -> Instance:
        """Launch an instance and return it, read back in full (usually ``booting``).

        Every argument is checked before anything is sent. The launch itself is sent at
        most once unless it certainly never reached the server or was refused with 429,
        and launches from one client are spaced at least 12 seconds apart (the API's limit).
        Use the result as a context manager to terminate it when a block ends.

        Args:
            instance_type: The type (or its name), such as ``gpu_1x_a10``.
            ssh_key: The one SSH key (or its name) to install.
            region: The region (or its code). ``None`` picks a region that has capacity for
                the type now (the one the given filesystem and ruleset objects are in, if
                any).
            name: A name for the instance (at most 64 characters).
            hostname: A hostname: lowercase letters, digits and ``-``, at most 63.
            filesystems: Filesystems (or their names) to mount at their default mount point.
            filesystem_mounts: ``{filesystem or its id: mount point}`` or a list of
                ``FilesystemMount``; mount points are under ``/home``, ``/lambda/nfs``
                or ``/data``.
            image: An ``Image`` or an image id to launch from.
            image_family: The family to launch the newest image of, instead of ``image``.
            user_data: cloud-init user data, at most 1 MB; a secret, never logged.
            tags: Tags for the instance; see ``update()`` for the rules.
            firewall_rulesets: Firewall rulesets (or their ids) in the same region.
            wait: Also wait until the instance is ``active`` (launch and wait in one call).
                If it does not get there — a timeout, an error, an interrupt — the
                instance is terminated: nothing is left running that you do not hold.
            wait_timeout: Seconds to wait for ``active`` with ``wait=True`` (20 minutes by
                default).
            progress: How to show the wait, as for ``wait_for_status()``.

        Returns:
            The new instance.

        Raises:
            ValidationError: An argument is malformed; nothing was sent.
            InsufficientCapacityError: No capacity for the type (in the region).
            LaunchAbortedError: The launch succeeded but the instance could not be read
                back, or with ``wait=True`` did not become active; the library terminated
                it (the error says if that failed too, and its cause says why).
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instance-operations/launch`` (and ``GET /api/v1/instance-types``
        when ``region`` is ``None``, ``GET /api/v1/instances/{id}`` to read it back).
        """
        if not isinstance(wait, bool):
            raise ValidationError("wait", f"expected True or False, got {wait!r}")
        waiting.check_seconds("wait_timeout", wait_timeout)
        progress_display.check(progress)
        request = LaunchRequest.check(
            instance_type=instance_type,
            ssh_key=ssh_key,
            region=region,
            name=name,
            hostname=hostname,
            filesystems=filesystems,
            filesystem_mounts=filesystem_mounts,
            image=image,
            image_family=image_family,
            user_data=user_data,
            tags=tags,
            firewall_rulesets=firewall_rulesets,
        )
        types = self._types.list() if request.region_name is None else None
        return launch.Launch(self, self._api, request).run(
            instance_types=types, wait=wait, wait_timeout=wait_timeout, progress=progress
        )

    def restart(self, instances: InstanceArgument) -> ResourceList[Instance]:
        """Restart one or several instances.

        Args:
            instances: An instance, an id, or a list of them.

        Returns:
            The restarted instances.

        Raises:
            ValidationError: No instance given.
            ConflictError: An instance cannot be restarted now.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instance-operations/restart``
        """
        body = {"instance_ids": ids_of(instances, "instances")}
        data = self._request("POST", "/instance-operations/restart", json_body=body)
        restarted = self._structure(data, _Restarted, "a restart result").restarted_instances
        return ResourceList(restarted, Instance)

    def terminate(self, instances: InstanceArgument) -> ResourceList[Instance]:
        """Terminate one or several instances.

        Args:
            instances: An instance, an id, or a list of them.

        Returns:
            The terminated instances (usually ``terminating``).

        Raises:
            ValidationError: No instance given.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instance-operations/terminate``
        """
        body = {"instance_ids": ids_of(instances, "instances")}
        data = self._request("POST", "/instance-operations/terminate", json_body=body)
        terminated = self._structure(data, _Terminated, "a terminate result").terminated_instances
        return ResourceList(terminated, Instance)

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
        given = as_list(instances, "instances")
        ids = ids_of(given, "instances")
        target = str(check_text("status", status, min_length=1))
        waiting.check_wait_arguments(timeout, poll_interval, max_poll_interval)
        report = progress_display.reporter(progress)
        known = {i.id: i for i in given if isinstance(i, Instance)}
        gone: set[str] = set()
        try:
            awaited = waiting.wait_for_status(
                target,
                fetch=lambda deadline: self._poll(ids, known, gone, deadline),
                seen=[known[i] for i in ids if i in known],
                clock=self._api.clock,
                sleep=self._api.sleep,
                timeout=timeout,
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
                progress=report,
            )
        except BaseException as error:
            progress_display.stopped(report, error)
            raise
        return ResourceList(awaited, Instance)

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
        return self.wait_for_status(
            instances,
            InstanceStatus.ACTIVE,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            progress=progress,
        )

    def _poll(
        self,
        ids: builtins.list[str],
        known: dict[str, Instance],
        gone: set[str],
        deadline: float | None,
    ) -> builtins.list[Instance]:
        """Read the awaited instances; ones that vanished come back as ``terminated``."""
        wanted = [i for i in ids if i not in gone]
        found: dict[str, Instance] = {}
        if len(wanted) > 1:
            found = {i.id: i for i in self._read_all(deadline) if i.id in wanted}
        for instance_id in wanted:
            if instance_id not in found:
                try:
                    found[instance_id] = self._read(instance_id, deadline)
                except NotFoundError:
                    gone.add(instance_id)
        current = []
        for instance_id in ids:
            instance = found.get(instance_id)
            if instance is None:
                previous = known.get(instance_id)
                if previous is None:
                    raise NotFoundError(f"Instance {instance_id} does not exist")
                instance = copy.copy(previous)
                instance.status = InstanceStatus.TERMINATED
            known[instance_id] = instance
            current.append(instance)
        return current

    def _send_launch(
        self,
        body: dict[str, Any],
        *,
        secrets: tuple[str, ...],
        on_send: Callable[[], object],
    ) -> builtins.list[str]:
        """Send one launch request; the instance ids it started."""
        data = self._request(
            "POST",
            "/instance-operations/launch",
            json_body=body,
            secrets=secrets,
            on_send=on_send,
        )
        return self._structure(data, LaunchResult, "a launch result").instance_ids

    def _cleanup(self, ids: builtins.list[str]) -> builtins.list[Instance]:
        """Terminate instances the library is responsible for, retrying transient failures.

        A plain terminate is a POST and is not retried after a 5xx or a reset; here the
        library itself would leave a machine running, and terminating twice is harmless.
        """
        data = self._request(
            "POST",
            "/instance-operations/terminate",
            json_body={"instance_ids": ids},
            idempotent=True,
        )
        return self._structure(data, _Terminated, "a terminate result").terminated_instances

    def _release(self, instance: Instance, error: BaseException | None) -> builtins.list[Instance]:
        """Terminate an instance at the end of its ``with`` block (``error``: what ended it).

        Raises:
            CleanupError: The API did not confirm the termination (and the block ended
                without an error of its own, which otherwise carries the note).
            KeyboardInterrupt: Ctrl-C stopped the termination.
        """
        outcome = launch.terminate(self, self._api, [instance.id])
        warning = outcome.warning("The with-block ended")
        if warning is None:
            return outcome.instances
        logger.warning(warning)
        if outcome.interrupt is not None:
            launch.note(outcome.interrupt, warning)
            raise outcome.interrupt
        if error is not None:
            launch.note(error, warning)
            return []
        raise CleanupError(warning, instance_ids=outcome.unconfirmed) from outcome.error


@attrs.frozen(kw_only=True)
class InstanceChange:
    """The body of an instance update."""

    name: str | None = None
    tags: dict[str, str] | None = attrs.field(default=None, metadata=api_shape(TAGS))


@attrs.frozen
class _Restarted:
    restarted_instances: list[Instance]


@attrs.frozen
class _Terminated:
    terminated_instances: list[Instance]
