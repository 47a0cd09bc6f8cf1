"""The public surface: exported names, typing marker, and resources that delegate to managers."""

from __future__ import annotations

import inspect
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import lambdacloud
from lambdacloud import (
    Attachment,
    Client,
    Filesystem,
    FirewallRuleset,
    GeneratedSSHKey,
    GlobalFirewallRuleset,
    Instance,
    SSHKey,
    Ticket,
)
from lambdacloud._display import Displayable
from lambdacloud._resource import Resource

from .conftest import API_KEY, instance_data, load

DESIGN_NAMES = [
    "Client",
    "Instance",
    "InstanceType",
    "Region",
    "SSHKey",
    "Filesystem",
    "Image",
    "LambdaCloudError",
    "AuthenticationError",
    "NotFoundError",
    "InvalidParametersError",
    "InsufficientCapacityError",
    "QuotaExceededError",
    "RateLimitError",
    "ServerError",
    "ProviderError",
    "APIConnectionError",
]


def test_all_lists_importable_names_including_the_design_ones() -> None:
    for name in lambdacloud.__all__:
        assert getattr(lambdacloud, name) is not None
    assert set(DESIGN_NAMES) <= set(lambdacloud.__all__)
    assert len(set(lambdacloud.__all__)) == len(lambdacloud.__all__)


def test_every_error_class_is_exported() -> None:
    errors = {
        name
        for name, value in vars(lambdacloud.errors).items()
        if inspect.isclass(value) and issubclass(value, lambdacloud.LambdaCloudError)
    }
    assert errors <= set(lambdacloud.__all__)


def test_package_ships_the_typing_marker() -> None:
    assert (Path(lambdacloud.__file__).parent / "py.typed").is_file()


def test_manager_signatures_match_the_design() -> None:
    client = Client(api_key=API_KEY)
    launch = inspect.signature(client.instances.launch).parameters
    for name in (
        "instance_type",
        "region",
        "ssh_key",
        "name",
        "hostname",
        "filesystems",
        "filesystem_mounts",
        "image",
        "user_data",
        "tags",
        "firewall_rulesets",
    ):
        assert name in launch
    assert list(inspect.signature(client.ssh_keys.create).parameters) == ["name", "public_key"]
    assert list(inspect.signature(client.filesystems.create).parameters) == ["name", "region"]
    assert "cluster_id" in inspect.signature(client.instances.list).parameters
    assert "timeout" in inspect.signature(Instance.wait_until_active).parameters


# Every public method of every resource, the manager call it must delegate to (a path of
# attributes below the client), and the position of the resource among that call's
# arguments (None: not passed, e.g. a listing). A None entry marks a method that works
# locally without the network.
DELEGATION: dict[tuple[type[Resource[Any]], str], tuple[str, str, int | None] | None] = {
    (Instance, "refresh"): ("instances", "get", 0),
    (Instance, "update"): ("instances", "update", 0),
    (Instance, "restart"): ("instances", "restart", 0),
    (Instance, "terminate"): ("instances", "terminate", 0),
    (Instance, "wait_for_status"): ("instances", "wait_for_status", 0),
    (Instance, "wait_until_active"): ("instances", "wait_until_active", 0),
    (Instance, "wait_until_ready"): ("instances", "wait_until_ready", 0),
    (SSHKey, "refresh"): ("ssh_keys", "list", None),
    (SSHKey, "delete"): ("ssh_keys", "delete", 0),
    (GeneratedSSHKey, "refresh"): ("ssh_keys", "list", None),
    (GeneratedSSHKey, "delete"): ("ssh_keys", "delete", 0),
    (GeneratedSSHKey, "save_private_key"): None,
    (Instance, "ssh_command"): None,
    (Instance, "cost_at"): None,
    (Filesystem, "refresh"): ("filesystems", "list", None),
    (Filesystem, "delete"): ("filesystems", "delete", 0),
    (FirewallRuleset, "refresh"): ("firewall_rulesets", "get", 0),
    (FirewallRuleset, "update"): ("firewall_rulesets", "update", 0),
    (FirewallRuleset, "delete"): ("firewall_rulesets", "delete", 0),
    (GlobalFirewallRuleset, "refresh"): ("firewall_rulesets", "get_global", None),
    (GlobalFirewallRuleset, "update"): ("firewall_rulesets", "update_global", None),
    (Ticket, "refresh"): ("tickets", "get", 0),
    (Ticket, "update"): ("tickets", "update", 0),
    (Ticket, "list_attachments"): ("tickets.attachments", "list", 0),
    (Ticket, "attach"): ("tickets.attachments", "attach", 0),
    (Attachment, "download_url"): ("tickets.attachments", "download_url", 1),
    (Attachment, "delete"): ("tickets.attachments", "delete", 1),
}

#: Positional arguments a call needs (besides the resource).
ARGUMENTS: dict[tuple[type[Resource[Any]], str], tuple[Any, ...]] = {
    (Instance, "wait_for_status"): ("active",),
    (Ticket, "attach"): (io.BytesIO(b"x"),),
}
RETURNS_LIST = {
    "restart",
    "terminate",
    "wait_for_status",
    "wait_until_active",
    "wait_until_ready",
    "list",
}
RETURNS_NONE = {"delete", "download_url"}


def public_methods(cls: type) -> set[str]:
    """The methods a resource adds to what every model has (``to_dict``)."""
    return {
        name
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_") and inspect.isfunction(value) and not hasattr(Displayable, name)
    }


def resource_classes() -> list[type[Resource[Any]]]:
    found: list[type[Resource[Any]]] = []
    pending: list[type[Resource[Any]]] = [Resource]
    while pending:
        for sub in pending.pop().__subclasses__():
            # attrs replaces each slotted class; the original lingers until collected
            if getattr(sys.modules[sub.__module__], sub.__name__, None) is sub:
                found.append(sub)
            pending.append(sub)
    return found


@pytest.mark.parametrize("cls", resource_classes(), ids=lambda cls: cls.__name__)
def test_every_public_resource_method_is_in_the_delegation_table(
    cls: type[Resource[Any]],
) -> None:
    listed = {method for (owner, method) in DELEGATION if owner is cls}
    assert public_methods(cls) == listed


def make(cls: type[Resource[Any]], client: Client) -> Resource[Any]:
    data = {
        Instance: instance_data(),
        SSHKey: load("ssh_keys")["data"][0],
        GeneratedSSHKey: load("ssh_key_generated")["data"],
        Filesystem: load("filesystems")["data"][0],
        FirewallRuleset: load("firewall_ruleset")["data"],
        GlobalFirewallRuleset: load("firewall_ruleset_global")["data"],
        Ticket: load("ticket")["data"],
        Attachment: load("attachment")["data"],
    }[cls]
    resource: Resource[Any] = client._api.converter.structure(data, cls)
    return resource


def keywords_of(method: Any) -> list[str]:
    return [
        name
        for name, parameter in inspect.signature(method).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY
    ]


@pytest.mark.parametrize(
    ("cls", "method"),
    [key for key, target in DELEGATION.items() if target is not None],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_resource_methods_delegate_to_their_manager_with_every_argument(
    monkeypatch: pytest.MonkeyPatch, cls: type[Resource[Any]], method: str
) -> None:
    client = Client(api_key=API_KEY)
    client._api.converter = client._api.make_converter(strict=True)
    resource = make(cls, client)
    target = DELEGATION[(cls, method)]
    assert target is not None
    manager_path, manager_method, position = target
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def record(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        if manager_method in RETURNS_LIST:
            return [resource]
        if manager_method in RETURNS_NONE or (manager_path, manager_method) == (
            "tickets",
            "update",
        ):
            return None
        return resource

    manager: Any = client
    for name in manager_path.split("."):
        manager = getattr(manager, name)
    monkeypatch.setattr(manager, manager_method, record)
    key = (cls, method)
    bound = getattr(resource, method)
    # Every keyword the resource method takes must reach the manager, unchanged.
    sentinels = {name: object() for name in keywords_of(bound)}
    bound(*ARGUMENTS.get(key, ()), **sentinels)
    assert len(calls) == 1
    args, kwargs = calls[0]
    if position is not None:
        assert args[position] is resource
    for name, sentinel in sentinels.items():
        assert kwargs.get(name) is sentinel, f"{cls.__name__}.{method} dropped {name}="
    accepted = inspect.signature(getattr(type(manager), manager_method)).parameters
    assert set(sentinels) <= set(accepted)


def test_unbound_resource_says_so() -> None:
    key = SSHKey(id="k", name="n", public_key="p")
    with pytest.raises(lambdacloud.LambdaCloudError, match="not bound"):
        key.delete()


def loaded_after(statement: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after running ``statement``."""
    script = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LAMBDA_API_KEY": "secret_import-test-key"},
    )
    return {name.split(".")[0] for name in run.stdout.split()}


def test_importing_the_package_is_plain_and_eager_but_for_tenacity() -> None:
    loaded = loaded_after("import lambdacloud")
    assert {"requests", "attrs", "cattrs"} <= loaded
    # tenacity (and the asyncio and tornado it brings) comes with the first request instead
    assert "tenacity" not in loaded
    assert "asyncio" not in loaded
    assert not hasattr(lambdacloud, "__getattr__")
    for name in lambdacloud.__all__:
        assert name in vars(lambdacloud), name


def test_unknown_names_are_attribute_errors_and_dir_lists_the_public_ones() -> None:
    with pytest.raises(AttributeError, match="Clinet"):
        lambdacloud.Clinet  # noqa: B018
    assert set(lambdacloud.__all__) <= set(dir(lambdacloud))


def test_the_old_ticket_attachments_module_still_imports() -> None:
    import lambdacloud.ticket_attachments as old
    from lambdacloud.tickets import Attachment, AttachmentManager

    assert old.Attachment is Attachment
    assert old.AttachmentOperations is AttachmentManager
