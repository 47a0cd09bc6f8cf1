from __future__ import annotations

import stat
from pathlib import Path

import pytest
import responses
from responses import matchers

from lambdacloud import (
    Client,
    DuplicateError,
    GeneratedSSHKey,
    NotFoundError,
    SSHKey,
    ValidationError,
)

from .conftest import API, load

KEY_ID = "ddf9a910ceb744a0bb95242cbba6cb50"
PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICN+lJwsONkwrdsSnQsu1ydUkIuIg5oOC+Eslvmtt60T me@laptop"
)


def test_list(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/ssh-keys", json=load("ssh_keys"))
    laptop, runner = client.ssh_keys.list()
    assert type(laptop) is SSHKey
    assert (laptop.id, laptop.name, laptop.public_key) == (KEY_ID, "my-laptop", PUBLIC_KEY)
    assert runner.name == "ci-runner"


def test_create_with_a_public_key(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.post(
        f"{API}/ssh-keys",
        json=load("ssh_key_added"),
        match=[matchers.json_params_matcher({"name": "my-laptop", "public_key": PUBLIC_KEY})],
    )
    key = client.ssh_keys.create("my-laptop", public_key=PUBLIC_KEY)
    assert type(key) is SSHKey
    assert key.id == KEY_ID


def test_create_generated_returns_the_private_key_once_and_hides_it(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        f"{API}/ssh-keys",
        json=load("ssh_key_generated"),
        match=[matchers.json_params_matcher({"name": "generated-key"})],
    )
    key = client.ssh_keys.create("generated-key")
    assert isinstance(key, GeneratedSSHKey)
    assert key.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert "PRIVATE" not in repr(key)
    assert "doNotLeakMe" not in str(key)


def test_generated_key_equals_the_listed_key(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.post(f"{API}/ssh-keys", json=load("ssh_key_generated"))
    generated = client.ssh_keys.create("generated-key")
    listed = load("ssh_key_generated")["data"]
    del listed["private_key"]
    mocked.get(f"{API}/ssh-keys", json={"data": [listed]})
    assert client.ssh_keys.list() == [generated]


def test_save_private_key_is_owner_only(
    client: Client, mocked: responses.RequestsMock, tmp_path: Path
) -> None:
    mocked.post(f"{API}/ssh-keys", json=load("ssh_key_generated"))
    key = client.ssh_keys.create("generated-key")
    assert isinstance(key, GeneratedSSHKey)
    target = key.save_private_key(tmp_path / "lambda_key")
    assert target.read_text() == key.private_key
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        key.save_private_key(tmp_path / "lambda_key")
    loose = tmp_path / "loose"
    loose.write_text("old")
    loose.chmod(0o644)
    key.save_private_key(loose, overwrite=True)
    assert loose.read_text() == key.private_key
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600


def test_duplicate_name(client: Client, mocked: responses.RequestsMock) -> None:
    error = {"code": "global/duplicate", "message": "An SSH key with that name already exists."}
    mocked.post(f"{API}/ssh-keys", json={"error": error}, status=400)
    with pytest.raises(DuplicateError):
        client.ssh_keys.create("my-laptop", public_key=PUBLIC_KEY)


@pytest.mark.parametrize(
    ("name", "public_key", "argument"),
    [
        ("", None, "name"),
        ("x" * 65, None, "name"),
        ("ok", "", "public_key"),
        ("ok", "k" * 4097, "public_key"),
        (None, None, "name"),
    ],
)
def test_bad_input_is_rejected_before_sending(
    client: Client, mocked: responses.RequestsMock, name: object, public_key: object, argument: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        client.ssh_keys.create(name, public_key=public_key)  # type: ignore[arg-type]
    assert raised.value.argument == argument
    assert len(mocked.calls) == 0


def test_delete_by_object_and_by_id(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/ssh-keys", json=load("ssh_keys"))
    mocked.delete(f"{API}/ssh-keys/{KEY_ID}", json=load("empty"))
    mocked.delete(f"{API}/ssh-keys/6f4e1c0e8a2b4d6f9a1b3c5d7e9f0a2b", json=load("empty"))
    laptop, runner = client.ssh_keys.list()
    assert laptop.delete() is None
    client.ssh_keys.delete(runner.id)


def test_refresh_finds_the_key_or_says_it_is_gone(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{API}/ssh-keys", json=load("ssh_keys"))
    renamed = load("ssh_keys")
    renamed["data"][0]["name"] = "renamed"
    mocked.get(f"{API}/ssh-keys", json=renamed)
    mocked.get(f"{API}/ssh-keys", json={"data": []})
    key = client.ssh_keys.list()[0]
    assert key.refresh() is key
    assert key.name == "renamed"
    with pytest.raises(NotFoundError):
        key.refresh()
