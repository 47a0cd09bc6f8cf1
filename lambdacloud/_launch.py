"""The launch request: every argument checked and translated before anything is sent."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from lambdacloud._http.retry import backoff
from lambdacloud._resource import Resource, id_of
from lambdacloud._validation import (
    HOSTNAME,
    MOUNT_POINT,
    MOUNT_POINT_MAX,
    check_tags,
    check_text,
    check_user_data,
)
from lambdacloud._waiting import is_transient
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
from lambdacloud.regions import Region
from lambdacloud.ssh_keys import SSHKey

if TYPE_CHECKING:
    from lambdacloud._clock import Sleep
    from lambdacloud.instances import Instance, InstanceManager

logger = logging.getLogger("lambdacloud")

#: Reads of a just-launched instance, which may answer 404 before it shows up.
READ_AFTER_LAUNCH_ATTEMPTS = 3
#: Terminate attempts when the library itself must stop an instance.
CLEANUP_ATTEMPTS = 3

SSHKeyArgument = SSHKey | str | Sequence[SSHKey | str]
MountsArgument = Mapping[Filesystem | str, str] | Iterable[FilesystemMount]


@attrs.frozen
class LaunchResult:
    """The ``data`` of a launch response."""

    instance_ids: list[str]


def launch_body(
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
    firewall_rulesets: Iterable[Resource | str] | None,
) -> dict[str, Any]:
    """The JSON body of a launch, without ``region_name`` when ``region`` is ``None``."""
    type_name = instance_type.name if isinstance(instance_type, InstanceType) else instance_type
    body: dict[str, Any] = {
        "instance_type_name": check_text("instance_type", type_name, min_length=1),
        "ssh_key_names": [_ssh_key_name(ssh_key)],
    }
    if region is not None:
        region_name = region.name if isinstance(region, Region) else region
        body["region_name"] = check_text("region", region_name, min_length=1)
    if name is not None:
        body["name"] = check_text("name", name, max_length=64)
    if hostname is not None:
        body["hostname"] = check_text(
            "hostname", hostname, min_length=1, max_length=63, pattern=HOSTNAME
        )
    if filesystems is not None:
        body["file_system_names"] = [
            check_text("filesystems", fs.name if isinstance(fs, Filesystem) else fs, min_length=1)
            for fs in many("filesystems", filesystems)
        ]
    if filesystem_mounts is not None:
        body["file_system_mounts"] = _mounts(filesystem_mounts)
    if image is not None and image_family is not None:
        raise ValidationError("image", "pass image= or image_family=, not both")
    if image is not None:
        image_id = image.id if isinstance(image, Image) else image
        body["image"] = {"id": check_text("image", image_id, min_length=1)}
    if image_family is not None:
        body["image"] = {"family": check_text("image_family", image_family, min_length=1)}
    if user_data is not None:
        body["user_data"] = check_user_data("user_data", user_data)
    if tags is not None:
        body["tags"] = check_tags("tags", tags)
    if firewall_rulesets is not None:
        body["firewall_rulesets"] = [
            {"id": id_of(ruleset, "firewall_rulesets")}
            for ruleset in many("firewall_rulesets", firewall_rulesets)
        ]
    return body


def required_region(
    filesystems: Iterable[Filesystem | str] | None,
    filesystem_mounts: MountsArgument | None,
    firewall_rulesets: Iterable[Resource | str] | None,
    region: str | None,
) -> str | None:
    """The one region the given filesystem and ruleset objects share (ids carry no region).

    Call it after ``launch_body()`` has checked the arguments' shapes.

    Raises:
        ValidationError: They are in several regions, or not in ``region``.
    """
    given: list[Any] = many("filesystems", filesystems) if filesystems is not None else []
    if isinstance(filesystem_mounts, Mapping):
        given += list(filesystem_mounts)
    if firewall_rulesets is not None:
        given += many("firewall_rulesets", firewall_rulesets)
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


def _ssh_key_name(ssh_key: Any) -> str:
    keys = [] if ssh_key is None else many("ssh_key", ssh_key)
    if len(keys) != 1:
        raise ValidationError(
            "ssh_key", f"exactly one SSH key is required (the API's rule), got {len(keys)}"
        )
    (key,) = keys
    return check_text("ssh_key", key.name if isinstance(key, SSHKey) else key, min_length=1)


def _mounts(mounts: Any) -> list[dict[str, str]]:
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
        {
            "mount_point": check_text(
                "filesystem_mounts", point, max_length=MOUNT_POINT_MAX, pattern=MOUNT_POINT
            ),
            "file_system_id": fs_id,
        }
        for fs_id, point in pairs
    ]


def many(argument: str, value: Any) -> list[Any]:
    """A list from a list, or from one object or id given alone."""
    if isinstance(value, (str, Resource)):
        return [value]
    if isinstance(value, bytes) or not isinstance(value, Iterable):
        raise ValidationError(argument, f"expected a list, got {type(value).__name__}")
    return list(value)


def read_launched(manager: InstanceManager, instance_id: str, sleep: Sleep) -> Instance:
    """Read a just-launched instance, allowing it a moment to appear (404) first."""
    for attempt in range(1, READ_AFTER_LAUNCH_ATTEMPTS):
        try:
            return manager.get(instance_id)
        except NotFoundError:
            sleep(float(attempt))
    return manager.get(instance_id)


def terminate_for_cleanup(manager: InstanceManager, ids: list[str], sleep: Sleep) -> list[Instance]:
    """Terminate instances the library is responsible for, retrying transient failures.

    A plain terminate is a POST and is not retried after a 5xx or a reset. Here the
    library itself would leave the machine running, and terminating twice is harmless.
    """
    for attempt in range(1, CLEANUP_ATTEMPTS + 1):
        try:
            return manager.terminate(ids)
        except NotFoundError:
            return []
        except LambdaCloudError as error:
            if attempt == CLEANUP_ATTEMPTS or not is_transient(error):
                raise
            sleep(backoff(attempt))
    raise AssertionError("unreachable")


def abandon(
    manager: InstanceManager,
    ids: list[str],
    cause: BaseException,
    sleep: Sleep,
    *,
    failure: str = "could not read it back",
) -> None:
    """Terminate what a launch started when it cannot be handed to the caller.

    Args:
        manager: The instances manager.
        ids: What the launch started.
        cause: Why it cannot be handed over.
        sleep: How to wait between cleanup attempts.
        failure: What went wrong, for the message (``could not read it back``).

    Raises:
        LaunchAbortedError: For an ``Exception`` cause; other causes (``KeyboardInterrupt``)
            are left for the caller to re-raise.
    """
    try:
        terminate_for_cleanup(manager, ids, sleep)
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
