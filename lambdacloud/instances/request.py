"""A launch's request: every argument of ``launch()`` checked and put in the API's terms,
before anything is sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

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
from lambdacloud.errors import InsufficientCapacityError, ValidationError
from lambdacloud.filesystems import Filesystem, FilesystemMount
from lambdacloud.firewall_rulesets import FirewallRuleset
from lambdacloud.images import Image
from lambdacloud.instance_types import InstanceType
from lambdacloud.instances import tags as library_tags
from lambdacloud.instances.waiting import check_seconds
from lambdacloud.regions import Region
from lambdacloud.ssh_keys import SSHKey

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
            tags=None if tags is None else _user_tags(tags),
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

    def tagged(self, extra: Mapping[str, str]) -> LaunchRequest:
        """This request with the library's tags added to the user's."""
        return attrs.evolve(self, tags={**(self.tags or {}), **extra})

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        body: dict[str, Any] = to_api(self)
        return body


def _user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    checked = check_tags("tags", tags)
    library_tags.check_user_tags(checked)
    return checked


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


@attrs.frozen(kw_only=True)
class InstanceChange:
    """The body of an instance update."""

    name: str | None = None
    tags: dict[str, str] | None = attrs.field(default=None, metadata=api_shape(TAGS))


def unknown_type(types: Sequence[InstanceType], type_name: str) -> ValidationError | None:
    """The error for a type name the API does not offer (listing those it does), else ``None``."""
    offered = sorted(t.name for t in types)
    if type_name in offered:
        return None
    return ValidationError(
        "instance_type",
        f"{type_name!r} is not an instance type; the API offers: {', '.join(offered)}",
    )


def diagnose(
    types: Sequence[InstanceType], keys: Sequence[SSHKey], type_name: str, ssh_key_names: list[str]
) -> ValidationError | None:
    """Why a refused launch was refused, when it was a mistake of the caller's: a type name
    the API does not offer, or an SSH key given by id (launches take names)."""
    mistake = unknown_type(types, type_name)
    if mistake is not None:
        return mistake
    names = {key.name for key in keys}
    for given in ssh_key_names:
        if given in names:
            continue
        by_id = [key.name for key in keys if key.id == given]
        if by_id:
            return ValidationError(
                "ssh_key",
                f"{given!r} is the id of the key named {by_id[0]!r}; launches take a key's "
                f"name (ssh_key={by_id[0]!r}) or the SSHKey object",
            )
        return ValidationError(
            "ssh_key",
            f"no SSH key is named {given!r}; the account has: "
            f"{', '.join(sorted(names)) or 'none (create one with client.ssh_keys.create)'}",
        )
    return None


def wait_for(wait: object) -> str | None:
    """What ``wait=`` asks for: ``None``, ``"active"`` (``True``) or ``"ready"``.

    Raises:
        ValidationError: Anything else.
    """
    if wait is False:
        return None
    if wait is True or wait == "active":
        return "active"
    if wait == "ready":
        return "ready"
    raise ValidationError("wait", f"expected False, True, 'active' or 'ready', got {wait!r}")


#: The longest ``max_runtime``: ten years, in seconds.
MAX_RUNTIME = 10 * 365 * 24 * 3600


def check_runtime(max_runtime: Any) -> float | None:
    """``max_runtime`` if it is ``None`` or a positive number of seconds.

    Raises:
        ValidationError: It is not.
    """
    if max_runtime is None:
        return None
    check_seconds("max_runtime", max_runtime)
    if max_runtime > MAX_RUNTIME:
        raise ValidationError(
            "max_runtime",
            f"expected at most {MAX_RUNTIME} seconds (ten years), got {max_runtime!r}",
        )
    return float(max_runtime)


def choose_region(
    types: Sequence[InstanceType], type_name: str, required_region: str | None
) -> str:
    """A region with capacity for ``type_name`` now (``required_region`` if it has some).

    Raises:
        ValidationError: No type has that name (the error lists those offered).
        InsufficientCapacityError: No region has capacity for it now.
    """
    for instance_type in types:
        if instance_type.name == type_name:
            break
    else:
        mistake = unknown_type(types, type_name)
        assert mistake is not None
        raise mistake
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
