from __future__ import annotations

from datetime import datetime, timezone

import pytest
import responses
from responses import matchers

from lambdacloud import Client, FilesystemInUseError, Region, UserStatus, ValidationError

from .conftest import API, load

FILESYSTEM_ID = "398578a2336b49079e74043f0bd2cfe8"


def test_list_uses_the_hyphenated_path(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/file-systems", json=load("filesystems"))
    shared, scratch = client.filesystems.list()
    assert shared.id == FILESYSTEM_ID
    assert shared.mount_point == "/lambda/nfs/shared-data"
    assert shared.created == datetime(2025, 1, 15, 18, 3, 27, 123456, tzinfo=timezone.utc)
    assert shared.created_by.email == "me@example.com"
    assert shared.created_by.status is UserStatus.ACTIVE
    assert shared.is_in_use is True
    assert shared.region == Region("us-east-1", "Virginia, USA")
    assert shared.bytes_used == 2147483648
    assert scratch.bytes_used is None


@pytest.mark.parametrize("region", ["us-west-1", Region("us-west-1")])
def test_create(client: Client, mocked: responses.RequestsMock, region: str | Region) -> None:
    mocked.post(
        f"{API}/filesystems",
        json=load("filesystem_created"),
        match=[matchers.json_params_matcher({"name": "scratch", "region": "us-west-1"})],
    )
    filesystem = client.filesystems.create("scratch", region)
    assert filesystem.name == "scratch"
    assert filesystem.region.name == "us-west-1"


@pytest.mark.parametrize("name", ["", "1starts-with-digit", "has space", "under_score", "x" * 61])
def test_create_rejects_names_the_api_would(
    client: Client, mocked: responses.RequestsMock, name: str
) -> None:
    with pytest.raises(ValidationError, match="name"):
        client.filesystems.create(name, "us-west-1")
    assert len(mocked.calls) == 0


def test_delete_uses_the_unhyphenated_path(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/file-systems", json=load("filesystems"))
    mocked.delete(f"{API}/filesystems/{FILESYSTEM_ID}", json=load("filesystem_deleted"))
    mocked.delete(f"{API}/filesystems/other", json=load("filesystem_deleted"))
    client.filesystems.list()[0].delete()
    client.filesystems.delete("other")


def test_deleting_a_mounted_filesystem(client: Client, mocked: responses.RequestsMock) -> None:
    error = {"code": "filesystems/filesystem-in-use", "message": "Filesystem is in use."}
    mocked.delete(f"{API}/filesystems/{FILESYSTEM_ID}", json={"error": error}, status=400)
    with pytest.raises(FilesystemInUseError):
        client.filesystems.delete(FILESYSTEM_ID)


def test_refresh(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/file-systems", json=load("filesystems"))
    unmounted = load("filesystems")
    unmounted["data"][0]["is_in_use"] = False
    mocked.get(f"{API}/file-systems", json=unmounted)
    filesystem = client.filesystems.list()[0]
    assert filesystem.refresh() is filesystem
    assert filesystem.is_in_use is False
