"""Instances: the GPU machines. Launch, inspect, rename, restart, terminate, wait."""

from __future__ import annotations

import builtins
import copy
import ipaddress
import logging
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import TracebackType
from typing import Any

import attrs

from lambdacloud import _launch, _progress, _waiting
from lambdacloud._converter import STRUCTURE
from lambdacloud._display import HIDDEN, SECRET, URL, Displayable, ResourceList, badge
from lambdacloud._progress import Progress
from lambdacloud._resource import (
    ApiEnum,
    Manager,
    Resource,
    as_list,
    id_of,
    ids_of,
    path_segment,
)
from lambdacloud._validation import check_tags, check_text
from lambdacloud.errors import (
    InstanceStatusError,
    LambdaCloudError,
    MalformedResponseError,
    NotFoundError,
    ValidationError,
)
from lambdacloud.filesystems import Filesystem, FilesystemMount
from lambdacloud.images import Image
from lambdacloud.instance_types import InstanceType
from lambdacloud.regions import Region

logger = logging.getLogger("lambdacloud")

InstanceArgument = Resource | str | Iterable[Resource | str]
#: A login name ssh accepts without quoting.
_SSH_USER = re.compile(r"[a-z_][a-z0-9_.-]{0,31}", re.IGNORECASE)


class InstanceStatus(ApiEnum):
    """The lifecycle of an instance. The API may add statuses: those stay plain strings."""

    BOOTING = "booting"
    ACTIVE = "active"
    UNHEALTHY = "unhealthy"
    TERMINATING = "terminating"
    TERMINATED = "terminated"
    PREEMPTED = "preempted"


@attrs.frozen(kw_only=True)
class ActionAvailability(Displayable):
    """Whether an action (restart, terminate, ...) can be taken on an instance now.

    Attributes:
        available: Whether it can.
        reason_code: Why not, as a code (``vm-has-not-launched``...), when it cannot.
        reason_description: Why not, in words.
    """

    available: bool
    reason_code: str | None = None
    reason_description: str | None = None

    def _display_label(self) -> str:
        if self.available:
            return "available"
        why = self.reason_description or self.reason_code
        return f"unavailable ({why})" if why else "unavailable"


@attrs.frozen(kw_only=True)
class InstanceActions(Displayable):
    """The availability of each action on an instance; ``None`` where the API does not say
    (``power_cycle`` is newer than API 1.8, ``cold_reboot`` is deprecated).

    Attributes:
        migrate: Moving it to another host.
        rebuild: Reinstalling it from its image.
        restart: Restarting it.
        cold_reboot: A cold reboot (deprecated).
        power_cycle: A power cycle.
        terminate: Terminating it.
    """

    migrate: ActionAvailability | None = None
    rebuild: ActionAvailability | None = None
    restart: ActionAvailability | None = None
    cold_reboot: ActionAvailability | None = None
    power_cycle: ActionAvailability | None = None
    terminate: ActionAvailability | None = None

    def _display_label(self) -> str:
        names = [
            field.name.replace("_", " ")
            for field in attrs.fields(type(self))
            if (action := getattr(self, field.name)) is not None and action.available
        ]
        return ", ".join(names) if names else "none available"


@attrs.frozen(kw_only=True)
class InstanceImage(Displayable):
    """The image an instance was launched from.

    Attributes:
        id: The image's id.
        family: Its family, such as ``lambda-stack-24-04``.
    """

    id: str
    family: str

    def _display_label(self) -> str:
        return self.family or self.id


def _tags_from_api(value: Any, _: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise TypeError("tags: expected a list of {key, value}")
    tags = {}
    for entry in value:
        key, tag_value = entry["key"], entry["value"]
        if not isinstance(key, str) or not isinstance(tag_value, str):
            raise TypeError("tags: keys and values must be strings")
        tags[key] = tag_value
    return tags


def _ids_from_api(value: Any, _: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError("firewall_rulesets: expected a list of {id}")
    ids = []
    for entry in value:
        ruleset_id = entry["id"]
        if type(ruleset_id) is not str:
            raise TypeError("firewall_rulesets: expected a list of {id}")
        ids.append(ruleset_id)
    return ids


@attrs.define(eq=False, kw_only=True, repr=False)
class Instance(Resource):
    """A machine in the account.

    Use it as a context manager to terminate it when the block ends, however it ends:

    ```python
    with client.instances.launch("gpu_1x_a10", ssh_key="me") as instance:
        instance.wait_until_active()
        ...
    ```

    Attributes:
        id: The instance's id.
        status: ``booting``, ``active``, ``unhealthy``, ``terminating``, ``terminated``,
            ``preempted``, or a newer status as a plain string.
        region: Where it runs.
        instance_type: Its type, with the price.
        ssh_key_names: The SSH keys it was launched with.
        file_system_names: The filesystems it mounts.
        actions: Which actions are available now.
        name: Its name, if it has one.
        ip: Its public IPv4 address, once it has one.
        private_ip: Its private IPv4 address, once it has one.
        hostname: Its hostname, once it has one.
        image: The image it was launched from, when reported.
        file_system_mounts: Where each filesystem is mounted.
        tags: Its tags, as a dict.
        firewall_rulesets: The ids of the firewall rulesets attached to it.
        jupyter_token: The JupyterLab token; a secret, never shown by ``repr()``.
        jupyter_url: The JupyterLab URL, which embeds the token; never shown by ``repr()``.
    """

    status: InstanceStatus | str
    region: Region
    instance_type: InstanceType
    ssh_key_names: list[str] = attrs.Factory(list)
    file_system_names: list[str] = attrs.Factory(list)
    actions: InstanceActions = attrs.Factory(InstanceActions)
    name: str | None = None
    ip: str | None = None
    private_ip: str | None = None
    hostname: str | None = None
    image: InstanceImage | None = None
    file_system_mounts: list[FilesystemMount] = attrs.Factory(list)
    tags: dict[str, str] = attrs.field(factory=dict, metadata={STRUCTURE: _tags_from_api})
    firewall_rulesets: list[str] = attrs.field(factory=list, metadata={STRUCTURE: _ids_from_api})
    jupyter_token: str | None = attrs.field(default=None, repr=False, metadata={SECRET: HIDDEN})
    jupyter_url: str | None = attrs.field(default=None, repr=False, metadata={SECRET: URL})

    def __repr__(self) -> str:
        return (
            f"Instance(id={self.id!r}, name={self.name!r}, status={str(self.status)!r}, "
            f"instance_type={self.instance_type.name!r}, region={self.region.name!r}, "
            f"ip={self.ip!r})"
        )

    def _display_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": badge(self.status),
            "instance_type": self.instance_type.name,
            "region": self.region.name,
            "ip": self.ip,
            "price_per_hour": f"${self.price_per_hour:.2f}",
        }

    def ssh_command(
        self, user: str = "ubuntu", *, identity_file: str | os.PathLike[str] | None = None
    ) -> str:
        """The command that opens a shell on the instance, to paste into a terminal.

        Nothing is run and nothing is sent: it uses the ip this object holds.

        Args:
            user: The login (``ubuntu`` on Lambda's images).
            identity_file: The private key to log in with (``ssh -i``), if not the default.

        Returns:
            Such as ``ssh ubuntu@198.51.100.2``.

        Raises:
            ValidationError: ``user`` or ``identity_file`` is malformed.
            InstanceStatusError: The instance has no public ip yet (it is booting);
                ``wait_until_active()`` first, or ``refresh()``.
            MalformedResponseError: The ip the API gave is not an IP address (nothing
                else goes into a command meant for a shell).

        API: none (it uses the ip this object holds).
        """
        if not isinstance(user, str) or not _SSH_USER.fullmatch(user):
            raise ValidationError("user", f"expected a login name, got {user!r}")
        if identity_file is not None and (
            not isinstance(identity_file, (str, os.PathLike)) or not str(identity_file).strip()
        ):
            raise ValidationError("identity_file", f"expected a file path, got {identity_file!r}")
        if not self.ip:
            raise InstanceStatusError(
                f"Instance {self.id} has no public ip yet (it is {self.status}): "
                "wait_until_active() first, or refresh() it",
                instances=[self],
            )
        try:
            address = ipaddress.ip_address(self.ip)
        except ValueError:
            raise MalformedResponseError(
                f"Instance {self.id} has an ip that is not an IP address"
            ) from None
        key = f"-i {shlex.quote(os.fspath(identity_file))} " if identity_file is not None else ""
        return f"ssh {key}{user}@{address}"

    @property
    def price_per_hour(self) -> Decimal:
        """What the instance costs, in US dollars per hour."""
        return self.instance_type.price_per_hour

    def refresh(self) -> Instance:
        """Read the instance again.

        Returns:
            This instance, updated in place.

        Raises:
            NotFoundError: The instance no longer exists.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/instances/{id}``
        """
        return self._replace_state(self._bound_client().instances.get(self))

    def update(self, *, name: str | None = None, tags: Mapping[str, str] | None = None) -> Instance:
        """Rename the instance and/or replace its tags.

        Args:
            name: The new name (at most 64 characters).
            tags: The new tags, replacing all current ones; ``{}`` clears them.

        Returns:
            This instance, updated in place.

        Raises:
            ValidationError: Neither argument given, or one is malformed.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instances/{id}``
        """
        return self._replace_state(
            self._bound_client().instances.update(self, name=name, tags=tags)
        )

    def restart(self) -> Instance:
        """Restart the instance.

        Returns:
            This instance, updated in place.

        Raises:
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instance-operations/restart``
        """
        return self._take_own(self._bound_client().instances.restart(self))

    def terminate(self) -> Instance:
        """Terminate the instance; billing stops once it is terminated.

        Returns:
            This instance, updated in place (usually ``terminating``).

        Raises:
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instance-operations/terminate``
        """
        return self._take_own(self._bound_client().instances.terminate(self))

    def wait_for_status(
        self,
        status: InstanceStatus | str,
        *,
        timeout: float = _waiting.DEFAULT_TIMEOUT,
        poll_interval: float = _waiting.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = _waiting.DEFAULT_MAX_POLL_INTERVAL,
        progress: Progress = True,
    ) -> Instance:
        """Poll until the instance has ``status``; see ``InstanceManager.wait_for_status()``.

        Args:
            status: The status to wait for, such as ``"active"`` or ``"terminated"``.
            timeout: Seconds before giving up (20 minutes by default).
            poll_interval: Seconds before the second poll (2 by default); the pause
                grows 1.5x per poll.
            max_poll_interval: The longest pause between polls (10 s by default).
            progress: ``True`` shows the wait (in a notebook or a terminal), ``False``
                nothing; a function receives a ``WaitProgress`` after every poll.

        Returns:
            This instance, updated in place.

        Raises:
            ValidationError: A malformed argument; nothing was sent.
            WaitTimeoutError: ``timeout`` seconds passed first.
            InstanceStatusError: It reached a status from which ``status`` cannot follow.
            LambdaCloudError: Polling failed for good.

        API: ``GET /api/v1/instances/{id}`` once per poll.
        """
        (fresh,) = self._bound_client().instances.wait_for_status(
            self,
            status,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            progress=progress,
        )
        return self._replace_state(fresh)

    def wait_until_active(
        self,
        *,
        timeout: float = _waiting.DEFAULT_TIMEOUT,
        poll_interval: float = _waiting.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = _waiting.DEFAULT_MAX_POLL_INTERVAL,
        progress: Progress = True,
    ) -> Instance:
        """Poll until the instance is ``active``; see ``InstanceManager.wait_for_status()``.

        Args:
            timeout: Seconds before giving up (20 minutes by default).
            poll_interval: Seconds before the second poll (2 by default); the pause
                grows 1.5x per poll.
            max_poll_interval: The longest pause between polls (10 s by default).
            progress: ``True`` shows the wait (in a notebook or a terminal), ``False``
                nothing; a function receives a ``WaitProgress`` after every poll.

        Returns:
            This instance, updated in place, with its ip and hostname.

        Raises:
            ValidationError: A malformed argument; nothing was sent.
            WaitTimeoutError: ``timeout`` seconds passed first.
            InstanceStatusError: It became terminated, preempted or unhealthy instead.
            LambdaCloudError: Polling failed for good.

        API: ``GET /api/v1/instances/{id}`` once per poll.
        """
        return self.wait_for_status(
            InstanceStatus.ACTIVE,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            progress=progress,
        )

    def __enter__(self) -> Instance:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.status in (InstanceStatus.TERMINATING, InstanceStatus.TERMINATED):
            return
        client = self._bound_client()
        try:
            self._take_own(
                _launch.terminate_for_cleanup(client.instances, [self.id], client._sleep)
            )
        except LambdaCloudError:
            logger.warning(
                "Could not terminate instance %s when its with-block ended: it may still be "
                "running (and billing). Terminate it by hand.",
                self.id,
            )
            raise

    def _take_own(self, results: builtins.list[Instance]) -> Instance:
        for result in results:
            if result.id == self.id:
                return self._replace_state(result)
        return self


class InstanceManager(Manager):
    """``client.instances``: launch and manage instances."""

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
        data = self._request("GET", "/instances", params={"cluster_id": cluster_id})
        return self._structure_list(data, Instance, "a list of instances")

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
        instance_id = id_of(instance, "instance")
        data = self._request("GET", f"/instances/{path_segment(instance_id)}")
        return self._structure(data, Instance, "an instance")

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
            tags: The new tags, replacing all current ones; ``{}`` clears them. Keys are
                lowercase (``[a-z][a-z0-9-:]+``, at most 55) and may not start with
                ``lambda-ai-``; values have at most 128 characters.

        Returns:
            A new object with the updated instance.

        Raises:
            ValidationError: Neither argument given, or one is malformed.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instances/{id}``
        """
        instance_id = id_of(instance, "instance")
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = check_text("name", name, max_length=64)
        if tags is not None:
            body["tags"] = check_tags("tags", tags)
        if not body:
            raise ValidationError("name", "pass name= and/or tags= to update an instance")
        data = self._request("POST", f"/instances/{path_segment(instance_id)}", json_body=body)
        return self._structure(data, Instance, "an instance")

    def launch(
        self,
        instance_type: InstanceType | str,
        *,
        ssh_key: _launch.SSHKeyArgument,
        region: Region | str | None = None,
        name: str | None = None,
        hostname: str | None = None,
        filesystems: Iterable[Filesystem | str] | None = None,
        filesystem_mounts: _launch.MountsArgument | None = None,
        image: Image | str | None = None,
        image_family: str | None = None,
        user_data: str | None = None,
        tags: Mapping[str, str] | None = None,
        firewall_rulesets: Iterable[Resource | str] | None = None,
        wait: bool = False,
        wait_timeout: float = _waiting.DEFAULT_TIMEOUT,
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
        _waiting.check_seconds("wait_timeout", wait_timeout)
        _progress.check(progress)
        if filesystems is not None:
            filesystems = _launch.many("filesystems", filesystems)
        if firewall_rulesets is not None:
            firewall_rulesets = _launch.many("firewall_rulesets", firewall_rulesets)
        body = _launch.launch_body(
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
        required = _launch.required_region(
            filesystems, filesystem_mounts, firewall_rulesets, body.get("region_name")
        )
        if region is None:
            body["region_name"] = _launch.choose_region(
                self._client.instance_types.list(), body["instance_type_name"], required
            )
        try:
            data = self._request(
                "POST",
                "/instance-operations/launch",
                json_body=body,
                secrets=(user_data,) if user_data else (),
            )
            ids = self._structure(data, _launch.LaunchResult, "a launch result").instance_ids
            if not ids:
                raise MalformedResponseError("The launch answer named no instance")
        except LambdaCloudError as error:
            _launch.explain_failed_launch(error)
            raise
        try:
            instance = _launch.read_launched(self, ids[0], self._client._sleep)
        except BaseException as exc:
            _launch.abandon(self, ids, exc, self._client._sleep)
            raise
        if wait:
            try:
                instance.wait_until_active(timeout=wait_timeout, progress=progress)
            except BaseException as exc:
                failure = (
                    "it did not become active"
                    if isinstance(exc, Exception)
                    else "the wait for it was interrupted"
                )
                _launch.abandon(self, ids, exc, self._client._sleep, failure=failure)
                raise
        return instance

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
        timeout: float = _waiting.DEFAULT_TIMEOUT,
        poll_interval: float = _waiting.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = _waiting.DEFAULT_MAX_POLL_INTERVAL,
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
        _waiting.check_wait_arguments(timeout, poll_interval, max_poll_interval)
        report = _progress.reporter(progress)
        known = {i.id: i for i in given if isinstance(i, Instance)}
        gone: set[str] = set()
        try:
            awaited = _waiting.wait_for_status(
                target,
                fetch=lambda: self._poll(ids, known, gone),
                seen=[known[i] for i in ids if i in known],
                clock=self._client._clock,
                sleep=self._client._sleep,
                timeout=timeout,
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
                progress=report,
            )
        except BaseException as error:
            _progress.stopped(report, error)
            raise
        return ResourceList(awaited, Instance)

    def wait_until_active(
        self,
        instances: InstanceArgument,
        *,
        timeout: float = _waiting.DEFAULT_TIMEOUT,
        poll_interval: float = _waiting.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = _waiting.DEFAULT_MAX_POLL_INTERVAL,
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
        self, ids: builtins.list[str], known: dict[str, Instance], gone: set[str]
    ) -> builtins.list[Instance]:
        """Read the awaited instances; ones that vanished come back as ``terminated``."""
        wanted = [i for i in ids if i not in gone]
        found: dict[str, Instance] = {}
        if len(wanted) > 1:
            found = {i.id: i for i in self.list() if i.id in wanted}
        for instance_id in wanted:
            if instance_id not in found:
                try:
                    found[instance_id] = self.get(instance_id)
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


@attrs.frozen
class _Restarted:
    restarted_instances: list[Instance]


@attrs.frozen
class _Terminated:
    terminated_instances: list[Instance]
