"""The instance object: what the API says of one machine, and what you can do with it."""

from __future__ import annotations

import builtins
import ipaddress
import logging
import os
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol

import attrs

from lambdacloud._converter import ID_OBJECTS, TAGS, api_shape
from lambdacloud._display import Displayable, ResourceList, badge
from lambdacloud._resource import Resource
from lambdacloud._secrets import URL, secret
from lambdacloud.errors import InstanceStatusError, MalformedResponseError, ValidationError
from lambdacloud.filesystems import FilesystemMount
from lambdacloud.instance_types import InstanceType
from lambdacloud.instances import tags as library_tags
from lambdacloud.instances.models import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    InstanceActions,
    InstanceImage,
    InstanceStatus,
)
from lambdacloud.regions import Region

logger = logging.getLogger("lambdacloud")

#: One instance or id, or several.
InstanceArgument = Resource[Any] | str | Iterable[Resource[Any] | str]
#: A login name ssh accepts without quoting.
_SSH_USER = re.compile(r"[a-z_][a-z0-9_.-]{0,31}", re.IGNORECASE)

#: Statuses whose cost so far is not known: billing stopped at a moment not recorded.
_UNBILLED = frozenset({"terminated", "preempted"})


@attrs.define(eq=False, kw_only=True, repr=False)
class Instance(Resource["InstanceOperations"]):
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
    tags: dict[str, str] = attrs.field(factory=dict, metadata=api_shape(TAGS))
    firewall_rulesets: list[str] = attrs.field(factory=list, metadata=api_shape(ID_OBJECTS))
    jupyter_token: str | None = attrs.field(default=None, repr=False, metadata=secret())
    jupyter_url: str | None = attrs.field(default=None, repr=False, metadata=secret(URL))

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

    def _display_details(self) -> dict[str, Any]:
        details = super()._display_details()
        # The library's own tags (a launch token...) are bookkeeping, not the user's.
        details["tags"] = {
            k: v for k, v in self.tags.items() if not k.startswith(library_tags.PREFIX)
        }
        cost = self.cost_so_far
        known = {
            "launched_at": self.launched_at,
            "cost_so_far": None if cost is None else f"${cost:.2f}",
            "expires_at": self.expires_at,
        }
        details.update({key: value for key, value in known.items() if value is not None})
        return details

    @classmethod
    def _display_summary(cls, instances: Iterable[Instance]) -> str:
        """The burn rate of a list of instances, for its caption."""
        billed = [i for i in instances if str(i.status) in ("booting", "active", "unhealthy")]
        rate = sum((i.price_per_hour for i in billed), start=Decimal(0))
        return f"${rate:.2f}/hour for {len(billed)} running or booting"

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

    @property
    def price_per_hour_float(self) -> float:
        """What the instance costs, in US dollars per hour, as a ``float`` (for float math)."""
        return self.instance_type.price_per_hour_float

    @property
    def launched_at(self) -> datetime | None:
        """When the library launched it (UTC, to the second), from its tags; ``None`` when it
        was not launched by this library."""
        return library_tags.read_time(self.tags, library_tags.LAUNCHED_AT)

    @property
    def expires_at(self) -> datetime | None:
        """When ``client.instances.sweep()`` may terminate it (``max_runtime=`` at launch),
        from its tags; ``None`` when it has no expiry."""
        return library_tags.read_time(self.tags, library_tags.EXPIRES_AT)

    @property
    def cost_so_far(self) -> Decimal | None:
        """Dollars it has cost since its launch: the hourly price times the time since
        ``launched_at``, prorated to the second (an estimate: Lambda bills by the minute).
        ``None`` when unknown: not launched by this library, or terminated or preempted
        (when billing stopped is not recorded). Reads
        only this object (no request)."""
        manager = self._manager
        return self.cost_at(manager._now() if manager else datetime.now(timezone.utc))

    def cost_at(self, moment: datetime) -> Decimal | None:
        """What ``cost_so_far`` was (or will be) at ``moment``, an aware ``datetime``.

        Args:
            moment: The time to price it at.

        Returns:
            Dollars, or ``None`` when unknown (see ``cost_so_far``).

        Raises:
            ValidationError: ``moment`` is not an aware ``datetime``.

        API: none (it uses the tags this object holds).
        """
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise ValidationError(
                "moment", f"expected an aware datetime (with a timezone), got {moment!r}"
            )
        launched = self.launched_at
        if launched is None or str(self.status) in _UNBILLED:
            return None
        seconds = max(0, int((moment - launched).total_seconds()))
        return self.price_per_hour * seconds / 3600

    def refresh(self) -> Instance:
        """Read the instance again.

        Returns:
            This instance, updated in place.

        Raises:
            NotFoundError: The instance no longer exists.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/instances/{id}``
        """
        return self._replace_state(self._bound().get(self))

    def update(self, *, name: str | None = None, tags: Mapping[str, str] | None = None) -> Instance:
        """Rename the instance and/or replace its tags, updating this object in place:
        ``InstanceManager.update()`` documents it."""
        return self._replace_state(self._bound().update(self, name=name, tags=tags))

    def restart(self) -> Instance:
        """Restart the instance, updating this object in place: ``InstanceManager.restart()``
        documents it."""
        return self._take_own(self._bound().restart(self))

    def terminate(self) -> Instance:
        """Terminate the instance, updating this object in place (usually ``terminating``):
        ``InstanceManager.terminate()`` documents it."""
        return self._take_own(self._bound().terminate(self))

    def wait_for_status(
        self,
        status: InstanceStatus | str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: Progress = True,
    ) -> Instance:
        """Poll until the instance has ``status``, updating this object in place:
        ``InstanceManager.wait_for_status()`` documents it."""
        (fresh,) = self._bound().wait_for_status(
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
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: Progress = True,
    ) -> Instance:
        """Poll until the instance is ``active``, updating this object in place:
        ``InstanceManager.wait_until_active()`` documents it."""
        (fresh,) = self._bound().wait_until_active(
            self,
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            progress=progress,
        )
        return self._replace_state(fresh)

    def wait_until_ready(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        port: int = 22,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        progress: Progress = True,
    ) -> Instance:
        """Poll until the instance is ready — ``active``, with an ip, its SSH server answering
        on ``port`` — updating this object in place: ``InstanceManager.wait_until_ready()``
        documents it."""
        (fresh,) = self._bound().wait_until_ready(
            self,
            timeout=timeout,
            port=port,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            progress=progress,
        )
        return self._replace_state(fresh)

    def __enter__(self) -> Instance:
        if not self._bound()._owns(self):
            raise ValidationError(
                "instance",
                f"this object for instance {self.id} was looked up (get(), list()), not handed "
                "over by launch() or acquire(), so a with-block will not terminate it at its "
                "end. To have it terminated, opt in: "
                "`with client.instances.owned(instance) as instance:`",
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.status in (InstanceStatus.TERMINATING, InstanceStatus.TERMINATED):
            return
        self._take_own(self._bound()._release(self, exc))

    def _take_own(self, results: Iterable[Instance]) -> Instance:
        for result in results:
            if result.id == self.id:
                return self._replace_state(result)
        return self


@attrs.frozen
class WaitProgress(Displayable):
    """What a wait saw on one poll; passed to ``progress`` callbacks.

    Attributes:
        instances: Every awaited instance, as just read.
        status: The status being waited for.
        elapsed: Seconds since the wait began.
        polls: How many polls have succeeded, this one included.
    """

    instances: tuple[Instance, ...]
    status: str
    elapsed: float
    polls: int

    @property
    def instance(self) -> Instance:
        """The first (usually the only) awaited instance."""
        return self.instances[0]


ProgressCallback = Callable[[WaitProgress], object]
#: ``True`` (show the wait where it runs), ``False``, or a function called after every poll.
Progress = bool | ProgressCallback


class InstanceOperations(Protocol):
    """What an ``Instance`` asks of the manager that built it (``InstanceManager``)."""

    def list(self, *, cluster_id: str | None = None) -> ResourceList[Instance]: ...

    def get(self, instance: Instance | str) -> Instance: ...

    def update(
        self,
        instance: Instance | str,
        *,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Instance: ...

    def restart(self, instances: InstanceArgument) -> ResourceList[Instance]: ...

    def terminate(self, instances: InstanceArgument) -> ResourceList[Instance]: ...

    def wait_for_status(
        self,
        instances: InstanceArgument,
        status: InstanceStatus | str,
        *,
        timeout: float = ...,
        poll_interval: float = ...,
        max_poll_interval: float = ...,
        progress: Progress = ...,
    ) -> ResourceList[Instance]: ...

    def wait_until_active(
        self,
        instances: InstanceArgument,
        *,
        timeout: float = ...,
        poll_interval: float = ...,
        max_poll_interval: float = ...,
        progress: Progress = ...,
    ) -> ResourceList[Instance]: ...

    def _read(self, instance_id: str, deadline: float | None) -> Instance: ...

    def _read_all(self, deadline: float | None) -> ResourceList[Instance]: ...

    def wait_until_ready(
        self,
        instances: InstanceArgument,
        *,
        timeout: float = ...,
        port: int = ...,
        poll_interval: float = ...,
        max_poll_interval: float = ...,
        progress: Progress = ...,
    ) -> ResourceList[Instance]: ...

    def _await(
        self,
        instances: builtins.list[Instance],
        until: str,
        *,
        timeout: float,
        port: int,
        progress: Progress,
    ) -> ResourceList[Instance]: ...

    def _send_launch(
        self,
        body: dict[str, Any],
        *,
        secrets: tuple[str, ...],
        on_send: Callable[[], object],
        deadline: float | None = None,
    ) -> builtins.list[str]: ...

    def _cleanup(
        self, ids: builtins.list[str], *, deadline: float | None = None
    ) -> builtins.list[Instance]: ...

    def _release(
        self, instance: Instance, error: BaseException | None
    ) -> builtins.list[Instance]: ...

    def _owns(self, instance: Instance) -> bool: ...

    def _now(self) -> datetime: ...

    def _diagnose(
        self, type_name: str, ssh_key_names: builtins.list[str]
    ) -> ValidationError | None: ...
