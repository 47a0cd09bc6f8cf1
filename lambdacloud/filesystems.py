"""Filesystems: persistent shared storage that instances in the same region can mount."""

from __future__ import annotations

from datetime import datetime

import attrs

from lambdacloud._api import Api
from lambdacloud._display import Displayable, ResourceList
from lambdacloud._resource import ApiEnum, Manager, Resource, id_of, path_segment
from lambdacloud._validation import FILESYSTEM_NAME, check_text
from lambdacloud.errors import NotFoundError
from lambdacloud.regions import Region


class UserStatus(ApiEnum):
    """Whether a team member's account is active."""

    ACTIVE = "active"
    DEACTIVATED = "deactivated"


@attrs.frozen(kw_only=True)
class User(Displayable):
    """A member of the team (who created a filesystem, for example).

    Attributes:
        id: The user's id.
        email: Their email address.
        status: ``active`` or ``deactivated`` (kept as a string if the API adds one).
    """

    id: str
    email: str
    status: UserStatus | str

    def _display_label(self) -> str:
        return self.email


@attrs.frozen(kw_only=True)
class FilesystemMount(Displayable):
    """Where an instance mounts a filesystem (reported by instances, accepted by launch).

    Attributes:
        mount_point: The absolute path on the instance, under ``/home``, ``/lambda/nfs``
            or ``/data``.
        file_system_id: The filesystem's id.
    """

    mount_point: str
    file_system_id: str

    def _display_label(self) -> str:
        return f"{self.file_system_id} at {self.mount_point}"


@attrs.define(eq=False, kw_only=True)
class Filesystem(Resource["FilesystemManager"]):
    """A filesystem in one region.

    Attributes:
        id: The filesystem's id.
        name: Its name, which launches refer to.
        mount_point: Where instances mount it unless a launch says otherwise.
        created: When it was created.
        created_by: Who created it.
        is_in_use: Whether an instance has it mounted (then it cannot be deleted).
        region: Where it lives; only instances in that region can mount it.
        bytes_used: Approximate bytes stored, updated every few hours, when reported.
    """

    name: str
    mount_point: str
    created: datetime
    created_by: User
    is_in_use: bool
    region: Region
    bytes_used: int | None = None

    def refresh(self) -> Filesystem:
        """Read the filesystem again (the API has no single-filesystem call: this lists them).

        Returns:
            This filesystem, updated in place.

        Raises:
            NotFoundError: It no longer exists.
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/file-systems``
        """
        for filesystem in self._bound().list():
            if filesystem.id == self.id:
                return self._replace_state(filesystem)
        raise NotFoundError(f"Filesystem {self.id} no longer exists")

    def delete(self) -> None:
        """Delete this filesystem and everything on it: ``FilesystemManager.delete()``
        documents it."""
        self._bound().delete(self)


class FilesystemManager(Manager):
    """``client.filesystems``: the account's filesystems."""

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        api.serve(Filesystem, self)

    def list(self) -> ResourceList[Filesystem]:
        """List the account's filesystems in every region.

        Returns:
            The filesystems, in the API's order.

        Raises:
            LambdaCloudError: The request failed.

        API: ``GET /api/v1/file-systems``
        """
        data = self._request("GET", "/file-systems")
        return self._structure_list(data, Filesystem, "a list of filesystems")

    def create(self, name: str, region: Region | str) -> Filesystem:
        """Create a filesystem.

        Args:
            name: Letters first, then letters, digits and ``-``; at most 60 characters.
            region: The region (or its code) whose instances will mount it.

        Returns:
            The new filesystem.

        Raises:
            ValidationError: ``name`` or ``region`` is malformed.
            DuplicateError: A filesystem with that name exists.
            QuotaExceededError: The account cannot have more filesystems.
            LambdaCloudError: The request failed.

        API: ``POST /api/v1/filesystems``
        """
        body = {
            "name": check_text("name", name, min_length=1, max_length=60, pattern=FILESYSTEM_NAME),
            "region": check_text(
                "region", region.name if isinstance(region, Region) else region, min_length=1
            ),
        }
        data = self._request("POST", "/filesystems", json_body=body)
        return self._structure(data, Filesystem, "a filesystem")

    def delete(self, filesystem: Filesystem | str) -> None:
        """Delete a filesystem and everything on it.

        Args:
            filesystem: The filesystem or its id.

        Raises:
            ValidationError: ``filesystem`` is not a filesystem or an id.
            FilesystemInUseError: An instance has it mounted.
            NotFoundError: No such filesystem.
            LambdaCloudError: The request failed.

        API: ``DELETE /api/v1/filesystems/{id}``
        """
        filesystem_id = id_of(filesystem, "filesystem")
        self._request("DELETE", f"/filesystems/{path_segment(filesystem_id)}")
