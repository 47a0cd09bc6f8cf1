from __future__ import annotations

from decimal import Decimal

import pytest
import responses

from lambdacloud import (
    Architecture,
    Client,
    InstanceTypeSpecs,
    NotFoundError,
    Region,
    ResourceList,
)

from .conftest import API, instance_data, load

INSTANCE_ID = "0920582c7ff041399e34823a0be62549"


def test_list_flattens_the_map_keeping_capacity(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{API}/instance-types", json=load("instance_types"))
    h100, a10, gh200 = client.instance_types.list()
    assert [t.name for t in (h100, a10, gh200)] == [
        "gpu_8x_h100_sxm5",
        "gpu_1x_a10",
        "gpu_1x_gh200",
    ]
    assert h100.regions_with_capacity == ()
    assert a10.regions_with_capacity == (
        Region("us-west-1", "California, USA"),
        Region("us-east-1", "Virginia, USA"),
    )
    assert a10.specs == InstanceTypeSpecs(vcpus=30, memory_gib=200, storage_gib=1400, gpus=1)
    assert a10.gpu_description == "A10 (24 GB PCIe)"
    assert a10.description == "1x A10 (24 GB PCIe)"
    assert gh200.architecture is Architecture.ARM64


@pytest.mark.parametrize(
    ("cents", "dollars"), [(75, "0.75"), (2392, "23.92"), (100, "1.00"), (0, "0.00")]
)
def test_price_per_hour_is_exact_dollars(
    client: Client, mocked: responses.RequestsMock, cents: int, dollars: str
) -> None:
    data = load("instance_types")
    data["data"]["gpu_1x_a10"]["instance_type"]["price_cents_per_hour"] = cents
    mocked.get(f"{API}/instance-types", json=data)
    a10 = client.instance_types.get("gpu_1x_a10")
    assert a10.price_cents_per_hour == cents
    assert a10.price_per_hour == Decimal(dollars)
    assert str(a10.price_per_hour) == dollars


def test_get_unknown_name_lists_what_exists(client: Client, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/instance-types", json=load("instance_types"))
    with pytest.raises(NotFoundError, match="gpu_1x_a10"):
        client.instance_types.get("gpu_1x_nope")


def test_older_documents_without_architecture_or_descriptions(
    mocked: responses.RequestsMock,
) -> None:
    # The shape of the 1.8.3 document's own example.
    data = {
        "gpu_1x_gh200": {
            "instance_type": {
                "name": "gpu_1x_gh200",
                "gpu_description": "GH200 (96 GB)",
                "price_cents_per_hour": 149,
                "specs": {"vcpus": 64, "memory_gib": 432, "storage_gib": 4096, "gpus": 1},
            },
            "regions_with_capacity_available": [{"name": "us-west-1"}],
        }
    }
    mocked.get(f"{API}/instance-types", json={"data": data})
    (gh200,) = Client(api_key="k").instance_types.list()
    assert gh200.architecture is None
    assert gh200.description is None
    assert gh200.regions_with_capacity == (Region("us-west-1"),)


def test_float_prices_for_float_arithmetic_and_dollars_in_to_dict(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{API}/instance-types", json=load("instance_types"))
    mocked.get(f"{API}/instances/{INSTANCE_ID}", json={"data": instance_data(id=INSTANCE_ID)})
    _, a10, _ = client.instance_types.list()
    hours = 2.5
    with pytest.raises(TypeError):
        a10.price_per_hour * hours  # type: ignore[operator]  # why the float exists
    assert a10.price_per_hour_float == 0.75
    assert isinstance(a10.price_per_hour_float, float)
    assert a10.price_per_hour_float * hours == 1.875
    assert a10.price_per_hour * 3 == Decimal("2.25")  # still exact with ints and Decimals
    exported = a10.to_dict()
    assert exported["price_per_hour"] == 0.75
    assert list(exported)[2:5] == ["gpu_description", "price_cents_per_hour", "price_per_hour"]
    assert ResourceList([a10]).to_dicts()[0]["price_per_hour"] == 0.75
    instance = client.instances.get(INSTANCE_ID)
    assert instance.price_per_hour_float == instance.instance_type.price_per_hour_float
    assert isinstance(instance.price_per_hour_float, float)
    (row,) = ResourceList([instance]).to_dicts()
    assert row["instance_type.price_per_hour"] == float(instance.price_per_hour)
