"""The launch protocol: one object owns a launch from the checked request to the instance
handed over — or, when it cannot be handed over, terminated.

check (every argument, before anything is sent) → choose a region if none was given →
send (at most once unless it certainly never arrived) → read the new instance back →
wait for it if asked → hand it over; on any failure after the send, clean up what the
launch started, and say so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from lambdacloud._api import Api
from lambdacloud._converter import ID_OBJECTS, TAGS, api_shape, to_api
from lambdacloud._resource import Resource, id_of
from lambdacloud._validation import (
    HOSTNAME,
    MOUNT_POINT,
    MOUNT_POINT_MAX,
    check_tags,
    check_text,
    check_user_data,
)
from lambdacloud.errors import (
    APIConnectionError,
    InsufficientCapacityError,
    LambdaCloudError,
    LaunchAbortedError,
    MalformedResponseError,
    NotFoundError,
    ValidationError,
)
from lambdacloud.filesystems import Filesystem, FilesystemMount
from lambdacloud.firewall_rulesets import FirewallRuleset
from lambdacloud.images import Image
from lambdacloud.instance_types import InstanceType
from lambdacloud.instances.instance import Instance, InstanceOperations, Progress
from lambdacloud.regions import Region
from lambdacloud.ssh_keys import SSHKey

logger = logging.getLogger("lambdacloud")

#: Reads of a just-launched instance, which may answer 404 before it shows up.
READ_AFTER_LAUNCH_ATTEMPTS = 3

SSHKeyArgument = SSHKey | str | Sequence[SSHKey | str]
MountsArgument = Mapping[Filesystem | str, str] | Iterable[FilesystemMount]


@attrs.frozen(kw_only=True)
class ImageChoice:
    """The image of a launch: by id, or the newest of a family."""

    id: str | None = None
    family: str | None = None


@attrs.frozen(kw_only=True)
class LaunchRequest:
    """The body of a launch, every argument checked and in the API's terms."""

    region_name: str | None
    instance_type_name: str
    ssh_key_names: list[str]
    name: str | None = None
    hostname: str | None = None
    file_system_names: list[str] | None = None
    file_system_mounts: list[FilesystemMount] | None = None
    image: ImageChoice | None = None
    user_data: str | None = attrs.field(default=None, repr=False)
    tags: dict[str, str] | None = attrs.field(default=None, metadata=api_shape(TAGS))
    firewall_rulesets: list[str] | None = attrs.field(default=None, metadata=api_shape(ID_OBJECTS))
    #: The region the filesystem and ruleset objects given are in (ids carry none).
    _required_region: str | None = attrs.field(default=None, alias="required_region")

    @classmethod
    def check(
        cls,
        *,
        instance_type: InstanceType | str,
        ssh_key: SSHKeyArgument,
        region: Region | str | None,
        name: str | None,
        hostname: str | None,
        filesystems: Iterable[Filesystem | str] | None,
        filesystem_mounts: MountsArgument | None,
        image: Image | str | None,
        image_family: str | None,
        user_data: str | None,
        tags: Mapping[str, str] | None,
        firewall_rulesets: Iterable[Resource[Any] | str] | None,
    ) -> LaunchRequest:
        """The request for ``launch()``'s arguments.

        Raises:
            ValidationError: An argument is malformed, or they disagree about the region.
        """
        type_name = instance_type.name if isinstance(instance_type, InstanceType) else instance_type
        region_name = region.name if isinstance(region, Region) else region
        if region_name is not None:
            check_text("region", region_name, min_length=1)
        given_filesystems = many("filesystems", filesystems) if filesystems is not None else None
        given_rulesets = (
            many("firewall_rulesets", firewall_rulesets) if firewall_rulesets is not None else None
        )
        if image is not None and image_family is not None:
            raise ValidationError("image", "pass image= or image_family=, not both")
        choice = None
        if image is not None:
            image_id = image.id if isinstance(image, Image) else image
            choice = ImageChoice(id=check_text("image", image_id, min_length=1))
        elif image_family is not None:
            choice = ImageChoice(family=check_text("image_family", image_family, min_length=1))
        request = cls(
            region_name=region_name,
            instance_type_name=check_text("instance_type", type_name, min_length=1),
            ssh_key_names=[_ssh_key_name(ssh_key)],
            name=None if name is None else check_text("name", name, max_length=64),
            hostname=None
            if hostname is None
            else check_text("hostname", hostname, min_length=1, max_length=63, pattern=HOSTNAME),
            file_system_names=None
            if given_filesystems is None
            else [
                check_text(
                    "filesystems", fs.name if isinstance(fs, Filesystem) else fs, min_length=1
                )
                for fs in given_filesystems
            ],
            file_system_mounts=None if filesystem_mounts is None else _mounts(filesystem_mounts),
            image=choice,
            user_data=None if user_data is None else check_user_data("user_data", user_data),
            tags=None if tags is None else check_tags("tags", tags),
            firewall_rulesets=None
            if given_rulesets is None
            else [id_of(ruleset, "firewall_rulesets") for ruleset in given_rulesets],
            required_region=_required_region(
                given_filesystems, filesystem_mounts, given_rulesets, region_name
            ),
        )
        return request

    @property
    def required_region(self) -> str | None:
        """The region the filesystem and ruleset objects given are in, if any."""
        return self._required_region

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        body: dict[str, Any] = to_api(self)
        return body


@attrs.frozen
class LaunchResult:
    """The ``data`` of a launch response."""

    instance_ids: list[str]


class Launch:
    """One launch, from its checked request to the instance handed over or cleaned up.

    Args:
        operations: The instances manager.
        api: Its client's package-internal face (for sleeping between read-backs).
        request: The checked request.
    """

    def __init__(self, operations: InstanceOperations, api: Api, request: LaunchRequest) -> None:
        self._operations = operations
        self._api = api
        self._request = request

    def run(
        self,
        *,
        instance_types: Sequence[InstanceType] | None,
        wait: bool,
        wait_timeout: float,
        progress: Progress,
    ) -> Instance:
        """Send the launch and hand the instance over.

        Args:
            instance_types: The current listing, to choose a region when none was given.
            wait: Also wait until the instance is active.
            wait_timeout: Seconds for that wait.
            progress: How to show that wait.

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
        ids = self._send(request)
        try:
            instance = self._read_back(ids[0])
        except BaseException as exc:
            self._abandon(ids, exc, "could not read it back")
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
                self._abandon(ids, exc, failure)
                raise
        return instance

    def _send(self, request: LaunchRequest) -> list[str]:
        try:
            ids = self._operations._send_launch(
                request.body(), secrets=(request.user_data,) if request.user_data else ()
            )
            if not ids:
                raise MalformedResponseError("The launch answer named no instance")
        except LambdaCloudError as error:
            explain_failed_launch(error)
            raise
        return ids

    def _read_back(self, instance_id: str) -> Instance:
        """Read the just-launched instance, allowing it a moment to appear (404) first."""
        for attempt in range(1, READ_AFTER_LAUNCH_ATTEMPTS):
            try:
                return self._operations.get(instance_id)
            except NotFoundError:
                self._api.sleep(float(attempt))
        return self._operations.get(instance_id)

    def _abandon(self, ids: list[str], cause: BaseException, failure: str) -> None:
        """Terminate what the launch started when it cannot be handed to the caller.

        Raises:
            LaunchAbortedError: For an ``Exception`` cause; other causes (``KeyboardInterrupt``)
                are left for the caller to re-raise.
        """
        try:
            self._operations._cleanup(ids)
            terminated = True
        except Exception:  # noqa: BLE001 - whatever failed, the caller must hear about it below
            terminated = False
        listed = ", ".join(ids)
        if terminated:
            message = f"Launched {listed} but {failure}, so it was terminated"
        else:
            message = (
                f"Launched {listed} but {failure}, and terminating it failed: "
                "it may still be running (and billing). Terminate it by hand."
            )
        logger.warning(message)
        if isinstance(cause, Exception):
            raise LaunchAbortedError(message, instance_ids=ids, terminated=terminated) from cause


def explain_failed_launch(error: LambdaCloudError) -> None:
    """Say so in ``error`` (and the log) when a failed launch may have started a machine."""
    if isinstance(error, MalformedResponseError):
        note = (
            "The launch was accepted, so an instance is probably running: find it with "
            "client.instances.list() and terminate it if it is not wanted."
        )
    elif (isinstance(error, APIConnectionError) and error.request_sent) or (
        error.status_code is not None and error.status_code >= 500
    ):
        note = (
            "The launch may have been accepted: check client.instances.list() before "
            "launching again, or you may pay for two machines."
        )
    else:
        return
    logger.warning("%s %s", error.message, note)
    error.message = f"{error.message}. {note}"
    error.args = (error.message,)


def choose_region(
    types: Sequence[InstanceType], type_name: str, required_region: str | None
) -> str:
    """A region with capacity for ``type_name`` now (``required_region`` if it has some)."""
    for instance_type in types:
        if instance_type.name == type_name:
            break
    else:
        raise NotFoundError(f"No instance type is named {type_name!r}")
    names = [region.name for region in instance_type.regions_with_capacity]
    if required_region is not None:
        names = [name for name in names if name == required_region]
    if not names:
        where = (
            f" in {required_region}, where the filesystems or rulesets are"
            if required_region
            else ""
        )
        raise InsufficientCapacityError(
            f"No capacity for {type_name}{where} right now; try another type or later"
        )
    return names[0]


def many(argument: str, value: Any) -> list[Any]:
    """A list from a list, or from one object or id given alone."""
    if isinstance(value, (str, Resource)):
        return [value]
    if isinstance(value, bytes) or not isinstance(value, Iterable):
        raise ValidationError(argument, f"expected a list, got {type(value).__name__}")
    return list(value)


def _required_region(
    filesystems: list[Any] | None,
    filesystem_mounts: MountsArgument | None,
    firewall_rulesets: list[Any] | None,
    region: str | None,
) -> str | None:
    """The one region the given filesystem and ruleset objects share (ids carry no region).

    Raises:
        ValidationError: They are in several regions, or not in ``region``.
    """
    given: list[Any] = list(filesystems or [])
    if isinstance(filesystem_mounts, Mapping):
        given += list(filesystem_mounts)
    given += firewall_rulesets or []
    regions = {obj.region.name for obj in given if isinstance(obj, (Filesystem, FirewallRuleset))}
    if len(regions) > 1:
        raise ValidationError(
            "filesystems",
            f"and firewall rulesets are in different regions ({', '.join(sorted(regions))})",
        )
    found = regions.pop() if regions else None
    if region is not None and found is not None and region != found:
        raise ValidationError(
            "region", f"{region!r}, but the filesystems and firewall rulesets are in {found!r}"
        )
    return found


def _ssh_key_name(ssh_key: Any) -> str:
    keys = [] if ssh_key is None else many("ssh_key", ssh_key)
    if len(keys) != 1:
        raise ValidationError(
            "ssh_key", f"exactly one SSH key is required (the API's rule), got {len(keys)}"
        )
    (key,) = keys
    return check_text("ssh_key", key.name if isinstance(key, SSHKey) else key, min_length=1)


def _mounts(mounts: Any) -> list[FilesystemMount]:
    if isinstance(mounts, Mapping):
        pairs = [(id_of(fs, "filesystem_mounts"), point) for fs, point in mounts.items()]
    else:
        pairs = []
        for mount in many("filesystem_mounts", mounts):
            if not isinstance(mount, FilesystemMount):
                raise ValidationError(
                    "filesystem_mounts",
                    "expected {filesystem: mount_point} or a list of FilesystemMount",
                )
            pairs.append((id_of(mount.file_system_id, "filesystem_mounts"), mount.mount_point))
    return [
        FilesystemMount(
            mount_point=check_text(
                "filesystem_mounts", point, max_length=MOUNT_POINT_MAX, pattern=MOUNT_POINT
            ),
            file_system_id=fs_id,
        )
        for fs_id, point in pairs
    ]
