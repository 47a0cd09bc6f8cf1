from __future__ import annotations

from datetime import datetime, timedelta, timezone

import responses

from lambdacloud import Architecture, Client

from .conftest import API, load


def test_list(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/images", json=load("images"))
    ubuntu, arm = client.images.list()
    assert ubuntu.id == "43336648-096d-4cba-9aa2-f9bb7727639d"
    assert ubuntu.family == "ubuntu-lts"
    assert ubuntu.version == "24.04.01"
    assert ubuntu.description == "Ubuntu LTS"
    assert ubuntu.architecture is Architecture.X86_64
    assert ubuntu.region.name == "us-east-1"
    assert ubuntu.created_time == datetime(2024, 10, 1, 12, tzinfo=timezone.utc)
    assert ubuntu.updated_time == datetime(2024, 11, 5, 8, 30, 0, 500000, tzinfo=timezone.utc)
    assert ubuntu.created_time.utcoffset() == timedelta(0)
    assert arm.architecture == "arm64"
