"""Every operation of the 1.10.0 document is reachable through a typed client method."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
import responses

from lambdacloud import Client, FilesystemMount, FirewallRule

from .conftest import load
from .spec import operations, request_violation

ROOT = "https://cloud.lambda.ai"
ID = "0920582c7ff041399e34823a0be62549"
TICKET = "f1e2d3c4b5a647869708192a3b4c5d6e"
ATTACHMENT = "6a7b8c9d0e1f4a2b8c3d4e5f6a7b8c9d"
RULE = FirewallRule("tcp", 22)
FILESYSTEM = "398578a2336b49079e74043f0bd2cfe8"
RULESET = "c4d291f47f9d436fa39f58493ce3b50d"

#: Every optional launch argument the client has, so that the document (here through the
#: request check in tests/conftest.py, in the contract tier through Prism) sees the shape of
#: each key it sends. ``image`` and ``image_family`` exclude each other: one launch each.
LAUNCH_OPTIONS: dict[str, Any] = {
    "region": "us-east-1",
    "ssh_key": "my-public-key",
    "name": "My Instance",
    "hostname": "headnode1",
    "filesystems": ["my-filesystem"],
    "user_data": "#cloud-config\nruncmd:\n  - echo hello > /tmp/hello.txt\n",
    "tags": {"key1": "value1", "team": "ml"},
    "firewall_rulesets": [RULESET],
}
FULL_LAUNCHES: dict[str, Callable[[Client], Any]] = {
    "image": lambda c: c.instances.launch(
        "gpu_1x_a10",
        image=ID,
        filesystem_mounts={FILESYSTEM: "/data/custom-mount-point"},
        **LAUNCH_OPTIONS,
    ),
    "image_family": lambda c: c.instances.launch(
        "gpu_1x_a10",
        image_family="ubuntu-lts",
        filesystem_mounts=[
            FilesystemMount(mount_point="/lambda/nfs/shared", file_system_id=FILESYSTEM)
        ],
        **LAUNCH_OPTIONS,
    ),
}


def instance_list() -> dict[str, Any]:
    return {"data": [load("instance_active")["data"]]}


def instances_under(key: str) -> dict[str, Any]:
    return {"data": {key: [load("instance_active")["data"]]}}


# (method, path) -> (the client call that must reach it, the answer it gets)
OPERATIONS: dict[tuple[str, str], tuple[Callable[[Client], Any], Callable[[], Any]]] = {
    ("GET", "/api/v1/instances"): (lambda c: c.instances.list(), instance_list),
    ("GET", "/api/v1/instances/{id}"): (
        lambda c: c.instances.get(ID),
        lambda: load("instance_active"),
    ),
    ("POST", "/api/v1/instances/{id}"): (
        lambda c: c.instances.update(ID, name="n"),
        lambda: load("instance_active"),
    ),
    ("POST", "/api/v1/instance-operations/launch"): (
        lambda c: c.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="k"),
        lambda: load("launched"),
    ),
    ("POST", "/api/v1/instance-operations/restart"): (
        lambda c: c.instances.restart(ID),
        lambda: instances_under("restarted_instances"),
    ),
    ("POST", "/api/v1/instance-operations/terminate"): (
        lambda c: c.instances.terminate(ID),
        lambda: instances_under("terminated_instances"),
    ),
    ("GET", "/api/v1/instance-types"): (
        lambda c: c.instance_types.list(),
        lambda: load("instance_types"),
    ),
    ("GET", "/api/v1/regions"): (lambda c: c.regions.list(), lambda: load("regions")),
    ("GET", "/api/v1/ssh-keys"): (lambda c: c.ssh_keys.list(), lambda: load("ssh_keys")),
    ("POST", "/api/v1/ssh-keys"): (
        lambda c: c.ssh_keys.create("k"),
        lambda: load("ssh_key_generated"),
    ),
    ("DELETE", "/api/v1/ssh-keys/{id}"): (lambda c: c.ssh_keys.delete(ID), lambda: load("empty")),
    ("GET", "/api/v1/file-systems"): (lambda c: c.filesystems.list(), lambda: load("filesystems")),
    ("POST", "/api/v1/filesystems"): (
        lambda c: c.filesystems.create("fs", "us-west-1"),
        lambda: load("filesystem_created"),
    ),
    ("DELETE", "/api/v1/filesystems/{id}"): (
        lambda c: c.filesystems.delete(ID),
        lambda: load("filesystem_deleted"),
    ),
    ("GET", "/api/v1/images"): (lambda c: c.images.list(), lambda: load("images")),
    ("GET", "/api/v1/firewall-rules"): (
        lambda c: c.firewall_rules.list(),
        lambda: load("firewall_rules"),
    ),
    ("PUT", "/api/v1/firewall-rules"): (
        lambda c: c.firewall_rules.replace([RULE]),
        lambda: load("firewall_rules"),
    ),
    ("GET", "/api/v1/firewall-rulesets"): (
        lambda c: c.firewall_rulesets.list(),
        lambda: load("firewall_rulesets"),
    ),
    ("POST", "/api/v1/firewall-rulesets"): (
        lambda c: c.firewall_rulesets.create("web", "us-east-1", [RULE]),
        lambda: load("firewall_ruleset"),
    ),
    ("GET", "/api/v1/firewall-rulesets/global"): (
        lambda c: c.firewall_rulesets.get_global(),
        lambda: load("firewall_ruleset_global"),
    ),
    ("PATCH", "/api/v1/firewall-rulesets/global"): (
        lambda c: c.firewall_rulesets.update_global([RULE]),
        lambda: load("firewall_ruleset_global"),
    ),
    ("GET", "/api/v1/firewall-rulesets/{id}"): (
        lambda c: c.firewall_rulesets.get(ID),
        lambda: load("firewall_ruleset"),
    ),
    ("PATCH", "/api/v1/firewall-rulesets/{id}"): (
        lambda c: c.firewall_rulesets.update(ID, name="web"),
        lambda: load("firewall_ruleset"),
    ),
    ("DELETE", "/api/v1/firewall-rulesets/{id}"): (
        lambda c: c.firewall_rulesets.delete(ID),
        lambda: load("empty"),
    ),
    ("GET", "/api/v1/audit-events"): (
        lambda c: list(c.audit_events.list()),
        lambda: load("audit_events_page2"),
    ),
    ("GET", "/api/v1/tickets"): (lambda c: list(c.tickets.list()), lambda: load("tickets_page2")),
    ("POST", "/api/v1/tickets"): (
        lambda c: c.tickets.create(subject="s", description="d", type="service_request"),
        lambda: load("ticket_created"),
    ),
    ("GET", "/api/v1/tickets/{ticket_id}"): (
        lambda c: c.tickets.get(TICKET),
        lambda: load("ticket"),
    ),
    ("PATCH", "/api/v1/tickets/{ticket_id}"): (
        lambda c: c.tickets.update(TICKET, priority="low"),
        lambda: load("empty"),
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/attachments"): (
        lambda c: c.tickets.list_attachments(TICKET),
        lambda: load("attachments"),
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/attachments"): (
        lambda c: c.tickets.initiate_attachment_upload(
            TICKET, filename="a.log", content_type="text/plain", size_bytes=3
        ),
        lambda: load("attachment_initiated"),
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}/complete"): (
        lambda c: c.tickets.complete_attachment_upload(TICKET, ATTACHMENT),
        lambda: load("attachment"),
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}/download"): (
        lambda c: c.tickets.attachment_download_url(TICKET, ATTACHMENT),
        lambda: load("attachment_download"),
    ),
    ("DELETE", "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}"): (
        lambda c: c.tickets.delete_attachment(TICKET, ATTACHMENT),
        lambda: load("empty"),
    ),
}


def pattern(path: str) -> re.Pattern[str]:
    """The URLs of a templated path, with or without a query."""
    regex = re.sub(r"\{[^}]+\}", "[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
    return re.compile(f"^{re.escape(ROOT)}{regex}(\\?.*)?$")


def test_the_table_covers_the_document_exactly() -> None:
    assert len(operations()) == 34
    assert set(OPERATIONS) == set(operations())


@pytest.mark.parametrize(("method", "path"), sorted(OPERATIONS), ids=lambda v: str(v))
def test_operation_is_reached_by_its_method(
    client: Client, mocked: responses.RequestsMock, method: str, path: str
) -> None:
    mocked.assert_all_requests_are_fired = False
    # The whole API answers, so calls that need a second operation (a launch reads the
    # instance back) work; the assertion is about the one operation under test.
    for (other_method, other_path), (_, answer) in OPERATIONS.items():
        status = (
            202 if (other_method, other_path) == ("PATCH", "/api/v1/tickets/{ticket_id}") else 200
        )
        mocked.add(other_method, pattern(other_path), json=answer(), status=status)
    call, _ = OPERATIONS[(method, path)]
    call(client)
    wanted = pattern(path)
    assert any(c.request.method == method and wanted.match(c.request.url) for c in mocked.calls)


@pytest.mark.parametrize("launch", sorted(FULL_LAUNCHES))
def test_a_launch_with_every_option_sends_every_key(
    client: Client, mocked: responses.RequestsMock, launch: str
) -> None:
    mocked.post(f"{ROOT}/api/v1/instance-operations/launch", json=load("launched"))
    mocked.get(pattern("/api/v1/instances/{id}"), json=load("instance_active"))
    FULL_LAUNCHES[launch](client)
    body = json.loads(mocked.calls[0].request.body)
    assert set(body) == {
        "region_name",
        "instance_type_name",
        "ssh_key_names",
        "name",
        "hostname",
        "file_system_names",
        "file_system_mounts",
        "image",
        "user_data",
        "tags",
        "firewall_rulesets",
    }
    assert set(body["image"]) == {{"image": "id", "image_family": "family"}[launch]}


def test_a_misspelt_launch_key_breaks_the_document(
    client: Client, mocked: responses.RequestsMock
) -> None:
    # The document lets an object have keys it does not list; the request check closes it,
    # so a key the API would silently ignore fails the test that sends it.
    mocked.post(f"{ROOT}/api/v1/instance-operations/launch", json=load("launched"))
    mocked.get(pattern("/api/v1/instances/{id}"), json=load("instance_active"))
    FULL_LAUNCHES["image"](client)
    sent = mocked.calls[0].request
    assert request_violation(sent) is None
    body = json.loads(sent.body)
    misspelt = [
        {**{k: v for k, v in body.items() if k != key}, f"{key}s": body[key]} for key in body
    ]
    misspelt.append({**body, "image": {"image_id": ID}})
    misspelt.append({**body, "firewall_rulesets": [{"id": RULESET, "region": "us-east-1"}]})
    for wrong in misspelt:
        request = requests.Request("POST", sent.url, headers=dict(sent.headers), json=wrong)
        assert request_violation(request.prepare()) is not None, wrong
