"""Parsing: forward compatible in production, strict in tests, never a raw exception."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import responses

from lambdacloud import Client, InstanceStatus, MalformedResponseError
from lambdacloud._converter import make_converter, structure
from lambdacloud.images import Image
from lambdacloud.instances import Instance

from .conftest import API, instance_data, load

OPERATIONS: dict[str, tuple[str, str, Callable[[Client], Any]]] = {
    "instances.list": ("GET", f"{API}/instances", lambda c: c.instances.list()),
    "instances.get": ("GET", f"{API}/instances/i", lambda c: c.instances.get("i")),
    "instance_types.list": ("GET", f"{API}/instance-types", lambda c: c.instance_types.list()),
    "regions.list": ("GET", f"{API}/regions", lambda c: c.regions.list()),
    "ssh_keys.list": ("GET", f"{API}/ssh-keys", lambda c: c.ssh_keys.list()),
    "ssh_keys.create": ("POST", f"{API}/ssh-keys", lambda c: c.ssh_keys.create("k")),
    "filesystems.list": ("GET", f"{API}/file-systems", lambda c: c.filesystems.list()),
    "filesystems.create": ("POST", f"{API}/filesystems", lambda c: c.filesystems.create("f", "r")),
    "images.list": ("GET", f"{API}/images", lambda c: c.images.list()),
    "instances.terminate": (
        "POST",
        f"{API}/instance-operations/terminate",
        lambda c: c.instances.terminate("i"),
    ),
    "instances.launch": (
        "POST",
        f"{API}/instance-operations/launch",
        lambda c: c.instances.launch("t", region="r", ssh_key="k"),
    ),
}

GARBAGE = [
    5,
    "text",
    [1, 2],
    [None],
    {"id": 5},
    [{"id": "x"}],
    [{"unexpected": True}],
    {"k": {"instance_type": None}},
    {"instance_ids": "not-a-list"},
    {"terminated_instances": [{"id": "x", "status": 3}]},
]


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("payload", GARBAGE, ids=repr)
def test_garbage_raises_malformed_response_error(
    mocked: responses.RequestsMock, operation: str, payload: Any
) -> None:
    method, url, call = OPERATIONS[operation]
    mocked.add(method, url, json={"data": payload})
    mocked.assert_all_requests_are_fired = False
    with pytest.raises(MalformedResponseError):
        # A launch whose answer is unreadable looks for its instance, pausing between looks.
        call(Client(api_key="k", max_retries=0, sleep=lambda seconds: None))


@pytest.mark.parametrize(
    "payload",
    [{"data": None}, {"data": {"x": None}}],
    ids=["null", "object-of-null"],
)
def test_null_is_an_empty_list_but_never_an_object(
    mocked: responses.RequestsMock, payload: Any
) -> None:
    mocked.get(f"{API}/instances", json=payload)
    mocked.get(f"{API}/instances/i", json={"data": None})
    client = Client(api_key="k", max_retries=0)
    if payload["data"] is None:
        assert client.instances.list() == []
    else:
        with pytest.raises(MalformedResponseError):
            client.instances.list()
    with pytest.raises(MalformedResponseError):
        client.instances.get("i")


def test_a_malformed_tag_is_left_out_not_the_instance() -> None:
    tags = [{"key": "team", "value": "ml"}, {"key": "n", "value": 3}, "odd", {"value": "x"}]
    instance = structure(make_converter(), instance_data(tags=tags), Instance, "an instance")
    assert instance.tags == {"team": "ml"}


def test_null_arrays_and_missing_optional_parts_of_an_instance_parse() -> None:
    data = instance_data(tags=None, file_system_names=None, firewall_rulesets=None)
    del data["actions"]["cold_reboot"]
    instance = structure(make_converter(), data, Instance, "an instance")
    assert instance.tags == {}
    assert instance.file_system_names == []
    assert instance.firewall_rulesets == []
    assert instance.actions.cold_reboot is None
    assert instance.actions.terminate is not None


def test_the_1_8_3_instance_shape_parses() -> None:
    data = instance_data()
    del data["image"]
    del data["actions"]["power_cycle"]
    del data["instance_type"]["architecture"]
    data["region"] = {"name": "us-south-3", "description": "Texas, USA"}
    instance = structure(make_converter(strict=True), data, Instance, "an instance")
    assert instance.image is None
    assert instance.actions.power_cycle is None
    assert instance.instance_type.architecture is None


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("id",), None),
        (("name",), 123),
        (("actions", "restart", "available"), "false"),
        (("instance_type", "price_cents_per_hour"), 12.9),
        (("instance_type", "price_cents_per_hour"), "75"),
        (("instance_type", "specs", "gpus"), True),
        (("ssh_key_names",), "my-laptop"),
        (("tags",), {"team": "x"}),
    ],
)
def test_wrong_json_types_are_rejected_not_coerced(path: tuple[str, ...], value: Any) -> None:
    data = instance_data()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(MalformedResponseError):
        structure(make_converter(), data, Instance, "an instance")


def test_integral_floats_are_integers() -> None:
    data = instance_data()
    data["instance_type"]["price_cents_per_hour"] = 75.0
    instance = structure(make_converter(), data, Instance, "an instance")
    assert instance.instance_type.price_cents_per_hour == 75
    assert type(instance.instance_type.price_cents_per_hour) is int


def test_production_ignores_unknown_fields_and_keeps_unknown_values() -> None:
    data = instance_data(status="sleeping", new_top_level={"a": 1})
    data["instance_type"]["architecture"] = "riscv64"
    data["instance_type"]["new_nested"] = [1, 2]
    data["actions"]["teleport"] = {"available": True}
    data["actions"]["restart"]["reason_code"] = "vm-is-on-the-moon"
    instance = structure(make_converter(), data, Instance, "an instance")
    assert instance.status == "sleeping"
    assert instance.instance_type.architecture == "riscv64"
    assert instance.actions.restart.reason_code == "vm-is-on-the-moon"


def test_strict_converter_rejects_unknown_fields_and_nothing_else_differs() -> None:
    strict = make_converter(strict=True)
    with pytest.raises(MalformedResponseError, match="new_field"):
        structure(strict, instance_data(new_field=1), Instance, "an instance")
    # Same hooks as production: a new status stays a string in both.
    sleeping = structure(strict, instance_data(status="sleeping"), Instance, "an instance")
    assert sleeping.status == "sleeping"
    known = structure(strict, instance_data(), Instance, "an instance")
    assert known.status is InstanceStatus.ACTIVE


def test_our_own_bugs_are_not_blamed_on_the_server() -> None:
    converter = make_converter()

    def broken(value: Any, _: Any) -> Any:
        raise KeyError("a bug of ours")

    converter.register_structure_hook(datetime, broken)
    image = load("images")["data"][0]
    with pytest.raises(KeyError, match="a bug of ours"):
        structure(converter, image, Image, "an image")


def test_message_names_what_was_expected() -> None:
    data = instance_data()
    del data["region"]
    with pytest.raises(MalformedResponseError, match="an instance") as raised:
        structure(make_converter(strict=True), data, Instance, "an instance")
    assert "region" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-10-01T12:00:00Z", datetime(2024, 10, 1, 12, tzinfo=timezone.utc)),
        ("2024-10-01T12:00:00.5Z", datetime(2024, 10, 1, 12, 0, 0, 500000, tzinfo=timezone.utc)),
        (
            "2024-10-01T12:00:00.123456789+00:00",
            datetime(2024, 10, 1, 12, 0, 0, 123456, tzinfo=timezone.utc),
        ),
        (
            "2024-10-01T12:00:00-07:00",
            datetime(2024, 10, 1, 12, tzinfo=timezone(timedelta(hours=-7))),
        ),
        (
            "2024-10-01 12:00:00+0530",
            datetime(2024, 10, 1, 12, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ),
        ("2024-10-01T12:00", datetime(2024, 10, 1, 12, tzinfo=timezone.utc)),
    ],
)
def test_timestamps(text: str, expected: datetime) -> None:
    image = load("images")["data"][0]
    image["created_time"] = text
    parsed = structure(make_converter(), image, Image, "an image")
    assert parsed.created_time == expected
    assert parsed.created_time.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01T00:00:00Z", "", 1700000000])
def test_bad_timestamps(text: Any) -> None:
    image = load("images")["data"][0]
    image["created_time"] = text
    with pytest.raises(MalformedResponseError):
        structure(make_converter(), image, Image, "an image")


def variant(number: int, price: Any = 75) -> dict[str, Any]:
    """An instance whose id, region and price are its own, with the fixture's other parts."""
    data = instance_data(id=f"{number:032x}")
    data["region"] = {"name": f"region-{number % 3}", "description": "Somewhere"}
    data["instance_type"]["price_cents_per_hour"] = price
    return data


def test_each_instance_of_a_list_has_its_own_parts() -> None:
    payload = [variant(0), variant(1), variant(2), variant(3), variant(4, price=80)]
    instances = structure(make_converter(), payload, list[Instance], "instances")
    assert [instance.region.name for instance in instances] == [
        f"region-{number % 3}" for number in range(5)
    ]
    assert instances[4].instance_type.price_cents_per_hour == 80
    assert instances[3].instance_type.price_cents_per_hour == 75
    assert instances[1].tags is not instances[0].tags
    assert instances[1].ssh_key_names is not instances[0].ssh_key_names


def test_a_bad_part_after_good_equal_ones_is_rejected() -> None:
    converter = make_converter()
    structure(converter, [variant(0), variant(1)], list[Instance], "instances")
    with pytest.raises(MalformedResponseError, match="integer"):
        structure(converter, [variant(0), variant(1, price="75")], list[Instance], "instances")
    data = variant(1)
    data["region"]["name"] = None
    with pytest.raises(MalformedResponseError):
        structure(converter, [variant(0), data], list[Instance], "instances")
