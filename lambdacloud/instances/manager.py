"""``client.instances``: launch and acquire instances, and own what was launched; reading
(``reading.py``) and waiting (``waits.py``) come from the classes it builds on."""

from __future__ import annotations

import builtins
import logging
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from lambdacloud._api import Api
from lambdacloud._resource import Resource
from lambdacloud.errors import CleanupError, LambdaCloudError, ValidationError
from lambdacloud.filesystems import Filesystem
from lambdacloud.images import Image
from lambdacloud.instance_types import InstanceType, InstanceTypeManager
from lambdacloud.instances import acquire as acquiring
from lambdacloud.instances import cleanup, launch, readiness, waiting
from lambdacloud.instances import progress as progress_display
from lambdacloud.instances import request as request_checks
from lambdacloud.instances.events import OnEvent
from lambdacloud.instances.exit_guard import ExitGuard
from lambdacloud.instances.instance import Instance, Progress
from lambdacloud.instances.launch import LaunchResult
from lambdacloud.instances.models import (
    DEFAULT_TIMEOUT,
)
from lambdacloud.instances.preferences import preferences
from lambdacloud.instances.request import LaunchRequest, MountsArgument, SSHKeyArgument
from lambdacloud.instances.waits import InstanceWaits
from lambdacloud.regions import Region
from lambdacloud.ssh_keys import SSHKeyManager

logger = logging.getLogger("lambdacloud")


class InstanceManager(InstanceWaits):
    """``client.instances``: launch and manage instances."""

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self._types = InstanceTypeManager(api)
        #: The Instance objects this client handed over from a launch (or was told to own):
        #: a with-block ends them. Objects, not ids: another object read for the same
        #: machine (get(), list()) is a look-up, and a with-block refuses it.
        self._launched: weakref.WeakValueDictionary[int, Instance] = weakref.WeakValueDictionary()
        self._exit_guard = ExitGuard(self, api)
        api.serve(Instance, self)

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
        wait: bool | str = False,
        wait_timeout: float = DEFAULT_TIMEOUT,
        port: int = 22,
        progress: Progress = True,
        max_runtime: float | None = None,
        terminate_at_exit: bool = False,
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
            wait: Also wait, in the same call: ``True`` (or ``"active"``) until the instance
                is ``active``, ``"ready"`` until its SSH server answers too (see
                ``wait_until_ready()``). If it does not get there — a timeout, an error, an
                interrupt — the instance is terminated: nothing is left running that you
                do not hold.
            wait_timeout: Seconds for that wait (20 minutes by default).
            port: The SSH port for ``wait="ready"`` (22).
            progress: How to show the wait, as for ``wait_for_status()``.
            max_runtime: Seconds after which ``sweep()`` may terminate it: its expiry is
                written on it as a tag (``lambdacloud:expires-at``), readable by any client.
            terminate_at_exit: Terminate it when this interpreter or notebook kernel exits
                normally (and say so in the log).

        Returns:
            The new instance.

        Raises:
            ValidationError: An argument is malformed; nothing was sent. Or a mistake the
                API shows: a type name it does not offer (the error lists those it does),
                an SSH key given by id or not on the account.
            InsufficientCapacityError: No capacity for the type (in the region).
            LaunchAbortedError: The launch succeeded but the instance could not be read
                back, or with ``wait=True`` did not become active; the library terminated
                it (the error says if that failed too, and its cause says why).
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/instance-operations/launch`` (and ``GET /api/v1/instance-types``
        when ``region`` is ``None``, ``GET /api/v1/instances/{id}`` to read it back).
        """
        request_checks.wait_for(wait)
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
        runtime = request_checks.check_runtime(max_runtime)
        check_terminate_at_exit(terminate_at_exit)
        checked_port = readiness.check_port(port)
        types = self._types.list() if request.region_name is None else None
        return launch.Launch(
            self, self._api, request, max_runtime=runtime, wall_clock=self._api.now
        ).run(
            instance_types=types,
            wait=request_checks.wait_for(wait),
            wait_timeout=wait_timeout,
            progress=progress,
            port=checked_port,
            on_handover=self._hand_over if terminate_at_exit else self._own,
        )

    def acquire(
        self,
        instance_types: Sequence[InstanceType | str] | InstanceType | str,
        *,
        ssh_key: SSHKeyArgument,
        regions: Sequence[Region | str] | Region | str | None = None,
        max_price_per_hour: Decimal | int | str | float | None = None,
        timeout: float | None = None,
        poll_interval: float | None = None,
        on_event: OnEvent | None = None,
        progress: Progress = True,
        name: str | None = None,
        hostname: str | None = None,
        filesystems: Iterable[Filesystem | str] | None = None,
        filesystem_mounts: MountsArgument | None = None,
        image: Image | str | None = None,
        image_family: str | None = None,
        user_data: str | None = None,
        tags: Mapping[str, str] | None = None,
        firewall_rulesets: Iterable[Resource[Any] | str] | None = None,
        wait: bool | str = False,
        wait_timeout: float = DEFAULT_TIMEOUT,
        port: int = 22,
        max_runtime: float | None = None,
        terminate_at_exit: bool = False,
    ) -> Instance:
        """Keep trying a preference list of instance types until one launches.

        Each iteration reads the capacity and, the moment a preferred type is listed in a
        preferred region, launches it (types in the order given, then regions in the
        order given). A type priced above ``max_price_per_hour`` is never launched. A
        refusal ("insufficient capacity" even though it was listed, which happens), a 429
        or a transient failure does not stop it: it reads again when the next launch may
        go, 12 s later. Authentication, invalid parameters, quota and other permanent
        errors stop it at once. It keeps within the API's limits on its own: about one
        request a second at most, launches 12 s apart; by default it reads the capacity
        every 24.5 s (two launch intervals: a one-minute window is seen two or three
        times, and a refused launch is retried at the next launch slot). Ctrl-C follows
        the billing promises: a launch in flight is found by its token and terminated.

        Args:
            instance_types: The types (or names) to launch, best first.
            ssh_key: The one SSH key (or its name) to install.
            regions: The regions (or codes) to launch in, best first; ``None``: any.
            max_price_per_hour: The most to pay, in dollars per hour (a price equal to it
                is allowed).
            timeout: Seconds to keep trying; ``None`` (the default) until interrupted.
            poll_interval: Seconds between capacity reads; 24.5 by default. Shorter reacts
                sooner to a window opening, for more requests (the pacing still applies).
            on_event: Called with each ``CapacityRead``, ``LaunchAttempt``,
                ``LaunchRefused`` and ``Launched`` (for notifiers); an exception it raises
                is logged and the acquire goes on.
            progress: ``True`` shows the acquire (and its wait): one line updated in place
                in a notebook, the attempts in a terminal; ``False`` nothing.
            name: As for ``launch()``.
            hostname: As for ``launch()``.
            filesystems: As for ``launch()`` (they decide the region, as there).
            filesystem_mounts: As for ``launch()``.
            image: As for ``launch()``.
            image_family: As for ``launch()``.
            user_data: As for ``launch()``.
            tags: As for ``launch()``.
            firewall_rulesets: As for ``launch()``.
            wait: As for ``launch()``: ``True``/``"active"`` or ``"ready"`` also waits, and
                terminates the instance if the wait fails.
            wait_timeout: Seconds for that wait.
            port: The SSH port for ``wait="ready"``.
            max_runtime: As for ``launch()``: its expiry, for ``sweep()``.
            terminate_at_exit: As for ``launch()``: terminate it when the interpreter exits.

        Returns:
            The first instance that launched; usable as a context manager.

        Raises:
            ValidationError: A malformed argument, before any request; a type name the API
                does not offer, after the first read (listing the valid names).
            CapacityTimeoutError: ``timeout`` passed first; it names the types and regions
                tried and how many reads and launches were made.
            LaunchAbortedError: A launch succeeded but could not be handed over.
            LambdaCloudError: A permanent failure.

        API: ``GET /api/v1/instance-types`` once per read, ``POST
        /api/v1/instance-operations/launch`` once per attempt.
        """
        run = self._acquire(
            instance_types,
            ssh_key,
            regions,
            max_price_per_hour,
            timeout,
            poll_interval,
            on_event,
            progress,
            max_runtime,
            terminate_at_exit,
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
        waiting.check_seconds("wait_timeout", wait_timeout)
        return run.one(
            wait=request_checks.wait_for(wait),
            wait_timeout=wait_timeout,
            port=readiness.check_port(port),
        )

    def acquire_many(
        self,
        count: int,
        instance_types: Sequence[InstanceType | str] | InstanceType | str,
        *,
        ssh_key: SSHKeyArgument,
        same_region: bool = True,
        regions: Sequence[Region | str] | Region | str | None = None,
        max_price_per_hour: Decimal | int | str | float | None = None,
        timeout: float | None = None,
        poll_interval: float | None = None,
        on_event: OnEvent | None = None,
        progress: Progress = True,
        name: str | None = None,
        filesystems: Iterable[Filesystem | str] | None = None,
        filesystem_mounts: MountsArgument | None = None,
        image: Image | str | None = None,
        image_family: str | None = None,
        user_data: str | None = None,
        tags: Mapping[str, str] | None = None,
        firewall_rulesets: Iterable[Resource[Any] | str] | None = None,
        wait: bool | str = False,
        wait_timeout: float = DEFAULT_TIMEOUT,
        port: int = 22,
        max_runtime: float | None = None,
        terminate_at_exit: bool = False,
    ) -> builtins.list[Instance]:
        """Acquire ``count`` instances, all or none: if the group cannot be completed before
        the deadline (or fails, or you press Ctrl-C), every instance it launched is
        terminated before the error goes on.

        The instances are launched one by one, as ``acquire()`` launches one. With
        ``same_region`` (the default; multi-node training needs it) the whole group is of
        the type and region the first one got.

        Args:
            count: How many instances (at least 1).
            instance_types: As for ``acquire()``.
            ssh_key: As for ``acquire()``.
            same_region: One type and one region for the whole group.
            regions: As for ``acquire()``.
            max_price_per_hour: As for ``acquire()``.
            timeout: As for ``acquire()``.
            poll_interval: As for ``acquire()``.
            on_event: As for ``acquire()``.
            progress: As for ``acquire()``.
            name: As for ``launch()`` (every instance gets it).
            filesystems: As for ``launch()``.
            filesystem_mounts: As for ``launch()``.
            image: As for ``launch()``.
            image_family: As for ``launch()``.
            user_data: As for ``launch()``.
            tags: As for ``launch()``.
            firewall_rulesets: As for ``launch()``.
            wait: As for ``acquire()``, for the whole group once it is complete.
            wait_timeout: As for ``acquire()``.
            port: As for ``acquire()``.
            max_runtime: As for ``launch()``, for every instance.
            terminate_at_exit: As for ``launch()``, for every instance.

        Returns:
            The ``count`` instances, in the order they launched.

        Raises:
            ValidationError: A malformed argument, before any request.
            CapacityTimeoutError: The deadline passed first; ``.terminated`` lists what it
                terminated, ``.still_running`` what it could not confirm.
            LambdaCloudError: A permanent failure (the group was terminated).

        API: ``GET /api/v1/instance-types`` once per read, ``POST
        /api/v1/instance-operations/launch`` once per attempt, and ``POST
        /api/v1/instance-operations/terminate`` to give an unfinished group back.
        """
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValidationError("count", f"expected a whole number of at least 1, got {count!r}")
        if not isinstance(same_region, bool):
            raise ValidationError("same_region", f"expected True or False, got {same_region!r}")
        run = self._acquire(
            instance_types,
            ssh_key,
            regions,
            max_price_per_hour,
            timeout,
            poll_interval,
            on_event,
            progress,
            name=name,
            hostname=None,
            filesystems=filesystems,
            filesystem_mounts=filesystem_mounts,
            image=image,
            image_family=image_family,
            user_data=user_data,
            tags=tags,
            firewall_rulesets=firewall_rulesets,
            max_runtime=max_runtime,
            terminate_at_exit=terminate_at_exit,
        )
        waiting.check_seconds("wait_timeout", wait_timeout)
        until = request_checks.wait_for(wait)
        checked_port = readiness.check_port(port)

        def wait_for_all(group: builtins.list[Instance]) -> None:
            assert until is not None
            awaited = self._await(
                group, until, timeout=wait_timeout, port=checked_port, progress=progress
            )
            for instance, fresh in zip(group, awaited, strict=True):
                instance._replace_state(fresh)

        return acquiring.group(
            run, count, same_region=same_region, wait=wait_for_all if until else None
        )

    def _acquire(
        self,
        instance_types: Any,
        ssh_key: SSHKeyArgument,
        regions: Any,
        max_price_per_hour: Any,
        timeout: float | None,
        poll_interval: float | None,
        on_event: OnEvent | None,
        progress: Progress,
        max_runtime: float | None,
        terminate_at_exit: bool,
        **launch_options: Any,
    ) -> acquiring.Acquire:
        """An acquire, every argument checked before any request."""
        runtime = request_checks.check_runtime(max_runtime)
        check_terminate_at_exit(terminate_at_exit)
        wanted = preferences(instance_types, regions, max_price_per_hour)
        if timeout is not None:
            waiting.check_seconds("timeout", timeout)
        if poll_interval is not None:
            waiting.check_seconds("poll_interval", poll_interval)
        if on_event is not None and not callable(on_event):
            raise ValidationError("on_event", f"expected a function, got {on_event!r}")
        progress_display.check(progress)
        request = LaunchRequest.check(
            instance_type=wanted.types[0], ssh_key=ssh_key, region=None, **launch_options
        )
        required = request.required_region
        if required is not None:
            if wanted.regions is not None and required not in wanted.regions:
                raise ValidationError(
                    "regions",
                    f"{wanted.regions}, but the filesystems and rulesets are in {required!r}",
                )
            wanted.regions = [required]
        show = progress_display.acquire_reporter(progress)
        return acquiring.Acquire(
            self,
            self._api,
            self._types._read,
            wanted,
            request,
            timeout=timeout,
            poll_interval=poll_interval or acquiring.DEFAULT_POLL_INTERVAL,
            on_event=progress_display.both(show, on_event),
            progress=progress,
            max_runtime=runtime,
            on_handover=self._hand_over if terminate_at_exit else self._own,
        )

    def owned(self, instance: Instance | str) -> Instance:
        """Opt in: have a with-block terminate an instance you looked up (get(), list()).

        ```python
        with client.instances.owned(client.instances.get(instance_id)) as instance:
            ...   # terminated when the block ends
        ```

        Args:
            instance: The instance, or its id (then it is read).

        Returns:
            The instance (the same object when one was given).

        Raises:
            NotFoundError: No instance has that id.
            LambdaCloudError: The request failed.

        API: none for an instance object; ``GET /api/v1/instances/{id}`` for an id.
        """
        found = instance if isinstance(instance, Instance) else self.get(instance)
        return self._own(found)

    def _diagnose(
        self, type_name: str, ssh_key_names: builtins.list[str]
    ) -> ValidationError | None:
        """Why a refused launch was refused, when it was a mistake of the caller's: a type
        name the API does not offer, or an SSH key given by id (launches take names)."""
        try:
            types = self._types._read(None)
            keys = SSHKeyManager(self._api).list()
        except LambdaCloudError:
            return None
        return request_checks.diagnose(types, keys, type_name, ssh_key_names)

    def _now(self) -> datetime:
        """The current UTC time, as this client's clock counts it."""
        return self._api.now()

    def _own(self, instance: Instance) -> Instance:
        self._launched[id(instance)] = instance  # by identity: equal objects are other reads
        return instance

    def _hand_over(self, instance: Instance) -> None:
        """Own ``instance`` and terminate it when the interpreter exits (``terminate_at_exit``)."""
        self._own(instance)
        self._exit_guard.add(instance.id)

    def _owns(self, instance: Instance) -> bool:
        return self._launched.get(id(instance)) is instance

    def _send_launch(
        self,
        body: dict[str, Any],
        *,
        secrets: tuple[str, ...],
        on_send: Callable[[], object],
        deadline: float | None = None,
    ) -> builtins.list[str]:
        """Send one launch request; the instance ids it started. ``deadline`` bounds the
        waits for the API's limits before it is sent, not the wait for its answer."""
        data = self._request(
            "POST",
            "/instance-operations/launch",
            json_body=body,
            secrets=secrets,
            on_send=on_send,
            deadline=deadline,
            cut_timeout=False,
        )
        return self._structure(data, LaunchResult, "a launch result").instance_ids

    def _release(self, instance: Instance, error: BaseException | None) -> builtins.list[Instance]:
        """Terminate an instance at the end of its ``with`` block (``error``: what ended it).

        Raises:
            CleanupError: The API did not confirm the termination (and the block ended
                without an error of its own, which otherwise carries the note).
            KeyboardInterrupt: Ctrl-C stopped the termination.
        """
        outcome = cleanup.terminate(self, self._api, [instance.id])
        warning = outcome.warning("The with-block ended")
        if warning is not None:
            logger.warning(warning)
        if outcome.interrupt is not None:
            if warning is not None:
                cleanup.note(outcome.interrupt, warning)
            raise outcome.interrupt
        if warning is None:
            return outcome.instances
        if error is not None:
            cleanup.note(error, warning)
            return []
        raise CleanupError(warning, instance_ids=outcome.unconfirmed) from outcome.error


def check_terminate_at_exit(value: object) -> None:
    """Refuse a ``terminate_at_exit`` that is not a bool.

    Raises:
        ValidationError: It is not.
    """
    if not isinstance(value, bool):
        raise ValidationError("terminate_at_exit", f"expected True or False, got {value!r}")
