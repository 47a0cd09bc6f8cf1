"""The contract tier: the public API against Stoplight Prism serving Lambda's own document.

Prism is a server nobody here wrote. In static mode it answers with the document's examples;
in dynamic mode with random answers that are valid for the document's schemas. With
``--errors`` it checks every request against the document and reports any violation.
"""

from __future__ import annotations

import contextlib

import pytest

from lambdacloud import LambdaCloudError

from ..spec import operations, template
from ..test_operations import OPERATIONS
from .conftest import EnoughPages, Prism, Servers, contract_client

pytestmark = pytest.mark.contract

READS = sorted(key for key in OPERATIONS if key[0] == "GET")
PAGED = {("GET", "/api/v1/audit-events"), ("GET", "/api/v1/tickets")}
#: Random answers per read operation from the unseeded dynamic servers.
RANDOM_ROUNDS = 20


def run(server: Prism, operation: tuple[str, str]) -> list[tuple[str, str, int, str | None]]:
    """Call an operation through the public API; return what Prism objected to."""
    # Random (and static) page tokens never end: a paged listing reads its first page only.
    client, recorder = contract_client(server, stop_after=1 if operation in PAGED else None)
    call, _ = OPERATIONS[operation]
    with client, contextlib.suppress(EnoughPages):
        call(client)
    method, path = operation
    assert any(
        m == method and template(m, p.split("?")[0]) == path for m, p, _, _ in recorder.exchanges
    )
    return recorder.violations


def test_the_tier_covers_every_operation() -> None:
    assert set(OPERATIONS) == set(operations())
    assert len(READS) == 16


@pytest.mark.parametrize("operation", sorted(OPERATIONS), ids=lambda op: f"{op[0]} {op[1]}")
def test_every_operation_against_the_documents_examples(
    prism: Servers, operation: tuple[str, str]
) -> None:
    assert run(prism.static, operation) == []


@pytest.mark.parametrize("operation", READS, ids=lambda op: f"{op[0]} {op[1]}")
def test_random_schema_valid_answers_parse(prism: Servers, operation: tuple[str, str]) -> None:
    for server in prism.seeded:
        assert run(server, operation) == [], server
    for _ in range(RANDOM_ROUNDS):
        assert run(prism.random, operation) == []


OLDER_READS = [op for op in READS if op in set(operations("1.8.3"))]


@pytest.mark.parametrize("operation", OLDER_READS, ids=lambda op: f"{op[0]} {op[1]}")
def test_the_1_8_3_shapes_still_parse(prism: Servers, operation: tuple[str, str]) -> None:
    for server in prism.older_seeded:
        assert run(server, operation) == [], server
    for _ in range(RANDOM_ROUNDS // 2):
        assert run(prism.older_random, operation) == []


def test_prism_reports_a_request_the_document_rejects(prism: Servers) -> None:
    client, recorder = contract_client(prism.static)
    with client, pytest.raises(LambdaCloudError):
        client.request("POST", "/instance-operations/launch", json={"region_name": "us-east-1"})
    ((_, _, status, violations),) = recorder.exchanges
    assert status == 400
    assert violations is not None
    assert "instance_type_name" in violations


def test_the_older_document_has_fewer_operations() -> None:
    assert len(OLDER_READS) == 11
