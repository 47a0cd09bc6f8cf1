"""The request check every unit test runs under (tests/conftest.py) really rejects requests."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from lambdacloud import Client

from .conftest import API, API_KEY, load


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/instance-operations/launch", {"region_name": "us-east-1"}),
        (
            "POST",
            "/instance-operations/launch",
            {"region_name": "r", "instance_type_name": "t", "ssh_key_names": "k"},
        ),
        ("PUT", "/firewall-rules", [{"protocol": "tcp"}]),
        ("PATCH", "/tickets/t", {"status": "open"}),
        ("GET", "/no-such-endpoint", None),
        ("DELETE", "/instances", None),
    ],
)
def test_a_request_the_document_rejects_fails_the_test(
    mocked: responses.RequestsMock, method: str, path: str, body: Any
) -> None:
    mocked.assert_all_requests_are_fired = False
    mocked.add(method, f"{API}{path}", json={"data": {}})
    client = Client(api_key=API_KEY, max_retries=0)
    with pytest.raises(AssertionError, match="breaks the API document"):
        client.request(method, path, json=body)


def test_a_request_without_credentials_fails_the_test(mocked: responses.RequestsMock) -> None:
    import requests

    mocked.assert_all_requests_are_fired = False
    mocked.get(f"{API}/regions", json=load("regions"))
    with pytest.raises(AssertionError, match="breaks the API document"):
        requests.get(f"{API}/regions", timeout=5)


def test_valid_requests_pass(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/regions", json=load("regions"))
    assert client.regions.list()
