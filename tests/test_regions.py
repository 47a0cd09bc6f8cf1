from __future__ import annotations

import responses

from lambdacloud import Client, Region

from .conftest import API, load


def test_list(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/regions", json=load("regions"))
    regions = client.regions.list()
    assert regions[0] == Region(name="us-east-1", description="Virginia, USA")
    assert [str(region) for region in regions] == ["us-east-1", "us-west-1", "europe-central-1"]


def test_region_codes_the_client_does_not_know_are_fine(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/regions", json={"data": [{"name": "moon-base-1", "description": "Moon"}]})
    assert Client(api_key="k").regions.list() == [Region("moon-base-1", "Moon")]
