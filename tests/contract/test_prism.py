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
from ..test_operations import FULL_LAUNCHES, OPERATIONS
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


@pytest.mark.parametrize("launch", sorted(FULL_LAUNCHES))
def test_a_launch_with_every_option(prism: Servers, launch: str) -> None:
    # The table's launch sends the required keys only; this one sends every optional key
    # the client has, so Prism checks the shape of each (image by id, then by family).
    # A rejected launch gets one of the document's error examples: what matters is why.
    client, recorder = contract_client(prism.static)
    with client, contextlib.suppress(LambdaCloudError):
        FULL_LAUNCHES[launch](client)
    assert recorder.exchanges[0][:2] == ("POST", "/api/v1/instance-operations/launch")
    assert recorder.violations == []


#: The read operations each older document has, and where its servers are on ``Servers``.
OLDER_DOCUMENTS = {"1.9.3": "previous", "1.8.3": "older"}
OLDER_READS = [
    (version, operation)
    for version in OLDER_DOCUMENTS
    for operation in READS
    if operation in set(operations(version))
]


@pytest.mark.parametrize(
    ("version", "operation"), OLDER_READS, ids=lambda x: x if isinstance(x, str) else " ".join(x)
)
def test_the_older_shapes_still_parse(
    prism: Servers, version: str, operation: tuple[str, str]
) -> None:
    servers = OLDER_DOCUMENTS[version]
    for server in getattr(prism, f"{servers}_seeded"):
        assert run(server, operation) == [], server
    for _ in range(RANDOM_ROUNDS // 2):
        assert run(getattr(prism, f"{servers}_random"), operation) == []


def test_prism_reports_a_request_the_document_rejects(prism: Servers) -> None:
    client, recorder = contract_client(prism.static)
    with client, pytest.raises(LambdaCloudError):
        client.request("POST", "/instance-operations/launch", json={"region_name": "us-east-1"})
    ((_, _, status, violations),) = recorder.exchanges
    assert status == 400
    assert violations is not None
    assert "instance_type_name" in violations


def test_the_older_documents_have_fewer_operations() -> None:
    counts = {version: sum(v == version for v, _ in OLDER_READS) for version in OLDER_DOCUMENTS}
    assert counts == {"1.9.3": 15, "1.8.3": 11}


def test_static_answers_are_the_published_examples(prism: Servers) -> None:
    # tests/openapi/refresh.py empties the document's prose but not its examples, so the
    # descriptions inside example instance types and regions reach the client intact.
    client, recorder = contract_client(prism.static)
    with client:
        (instance_type,) = client.instance_types.list()
    assert recorder.violations == []
    assert instance_type.description == "8x Example GPU (40 GB SXM4)"
    assert [region.description for region in instance_type.regions_with_capacity] == [
        "California, USA"
    ]
