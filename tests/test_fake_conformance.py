"""All 34 operations of the 1.10.0 document are simulated by FakeLambdaCloud, and every answer
it gives them — successes and documented errors — matches the document's response schemas
(closed: a key the document does not list fails too)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from lambdacloud import Client, FirewallRule, LambdaCloudError
from lambdacloud.testing import FakeClock, FakeLambdaCloud

from .spec import document, operations, response_validator, template
from .test_operations import OPERATIONS

Answer = tuple[str, str, int]


def conforming_answers(cloud: FakeLambdaCloud) -> set[Answer]:
    """(method, documented path, status) of every answer the fake gave to a documented
    operation, each checked against its schema; rate-limit refusals and injected faults
    are outside the document and skipped."""
    seen: set[Answer] = set()
    for recorded in cloud.requests:
        path = template(recorded.method, recorded.path)
        if recorded.injected or path is None or recorded.status == 429:
            continue
        operation = f"{recorded.method} {path} -> {recorded.status}"
        documented = document()["paths"][path][recorded.method.lower()]["responses"]
        assert str(recorded.status) in documented, f"{operation}: not a documented status"
        validator = response_validator(recorded.method, path, str(recorded.status))
        errors = [e.message for e in validator.iter_errors(recorded.response)]
        assert errors == [], operation
        seen.add((recorded.method, path, recorded.status))
    return seen


@pytest.fixture
def cloud() -> Iterator[FakeLambdaCloud]:
    with FakeLambdaCloud(clock=FakeClock(frozen=True)) as running:
        yield running


def every_operation(cloud: FakeLambdaCloud, client: Client) -> None:
    """One story that succeeds at each of the 34 operations."""
    key = client.ssh_keys.create("me")
    client.ssh_keys.list()
    filesystem = client.filesystems.create("data", "us-west-1")
    client.filesystems.list()
    ruleset = client.firewall_rulesets.create("web", "us-west-1", [FirewallRule("tcp", 443)])
    client.firewall_rulesets.list()
    client.firewall_rulesets.get(ruleset)
    ruleset.update(name="web-2")
    client.firewall_rulesets.get_global().update(rules=[FirewallRule("tcp", 22)])
    client.firewall_rules.replace([*client.firewall_rules.list(), FirewallRule("udp", 51820)])
    client.instance_types.list()
    client.regions.list()
    client.images.list()
    instance = client.instances.launch(
        "gpu_1x_a10",
        ssh_key=key,
        region="us-west-1",
        filesystems=[filesystem],
        firewall_rulesets=[ruleset],
        tags={"team": "ml"},
    )
    cloud.advance(60)
    client.instances.list()
    instance.refresh()
    instance.update(name="renamed")
    instance.restart()
    cloud.advance(30)
    instance.terminate()
    cloud.advance(10)
    ruleset.delete()
    filesystem.delete()
    key.delete()
    list(client.audit_events.list())

    ticket = client.tickets.create(
        subject="GPU fell off the bus",
        description="nvidia-smi lists no devices.",
        type="incident",
        severity="sev_2",
        priority="high",
        hostname="gpu-001",
        affected_devices=["gpu-001"],
    )
    list(client.tickets.list(status="open"))
    ticket.update(comment="Still happening.", priority="urgent")
    cloud.advance(5)
    ticket.refresh()
    attachment = ticket.attach(b"[0.0] NVRM: GPU has fallen off the bus\n", filename="dmesg.txt")
    ticket.list_attachments()
    attachment.download_url()
    attachment.delete()


def test_every_operation_is_simulated_and_answers_as_documented(
    cloud: FakeLambdaCloud,
) -> None:
    every_operation(cloud, cloud.client())
    succeeded = {(m, p) for m, p, status in conforming_answers(cloud) if 200 <= status < 300}
    assert len(operations()) == 34
    assert succeeded == set(operations())


def test_every_operation_refuses_a_bad_key_as_documented(cloud: FakeLambdaCloud) -> None:
    # No pacing of its own: a refused key is answered before the cloud counts the request.
    stranger = Client(
        api_key="secret_not-the-key", base_url=cloud.url, max_retries=0, rate_limit=False
    )
    for call, _ in OPERATIONS.values():
        with contextlib.suppress(LambdaCloudError):
            call(stranger)
    refused = {(m, p) for m, p, status in conforming_answers(cloud) if status == 401}
    assert refused == set(operations())


def test_made_up_ids_and_names_get_documented_errors(cloud: FakeLambdaCloud) -> None:
    # The table's calls name objects that do not exist here: each answer, whatever it is,
    # must be one the document describes (a 404 envelope with its suggestion, mostly).
    client = cloud.client()
    for call, _ in OPERATIONS.values():
        with contextlib.suppress(LambdaCloudError):
            call(client)
    answers = conforming_answers(cloud)
    assert {(m, p) for m, p, _ in answers} == set(operations())
    not_found = {(m, p) for m, p, status in answers if status == 404}
    tickets = {(m, p) for m, p in operations() if "{ticket_id}" in p}
    assert tickets <= not_found
    assert ("GET", "/api/v1/instances/{id}") in not_found
