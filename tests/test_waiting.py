"""Waiting for a status on an injected clock: deadlines, intervals, failures, requests."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses

from lambdacloud import (
    AuthenticationError,
    Client,
    InstanceStatus,
    InstanceStatusError,
    NotFoundError,
    ServerError,
    ValidationError,
    WaitProgress,
    WaitTimeoutError,
)

from .conftest import API, API_KEY, FakeTime, instance_data, load

INSTANCE_ID = "0920582c7ff041399e34823a0be62549"
OTHER_ID = "1b2c3d4e5f60718293a4b5c6d7e8f901"
INSTANCE_URL = f"{API}/instances/{INSTANCE_ID}"


def envelope(data: Any) -> dict[str, Any]:
    return {"data": data}


def booting() -> dict[str, Any]:
    return load("instance_booting")


def with_status(status: str, instance_id: str = INSTANCE_ID) -> dict[str, Any]:
    return instance_data("instance_booting", id=instance_id, status=status)


@pytest.fixture
def no_retry_client(fake_time: FakeTime) -> Client:
    """Session retries off, so each poll is exactly one request."""
    return Client(api_key=API_KEY, max_retries=0, clock=fake_time.clock, sleep=fake_time.sleep)


def test_waits_until_active_with_a_growing_interval(
    client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
) -> None:
    mocked.get(INSTANCE_URL, json=booting())
    instance = client.instances.get(INSTANCE_ID)
    for _ in range(4):
        mocked.get(INSTANCE_URL, json=booting())
    mocked.get(INSTANCE_URL, json=load("instance_active"))
    assert instance.wait_until_active(timeout=600) is instance
    assert instance.status is InstanceStatus.ACTIVE
    assert instance.ip == "198.51.100.2"
    assert fake_time.sleeps == [2.0, 3.0, 4.5, 6.75]


def test_interval_is_capped(
    client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
) -> None:
    for _ in range(6):
        mocked.get(INSTANCE_URL, json=booting())
    mocked.get(INSTANCE_URL, json=load("instance_active"))
    client.instances.wait_until_active(INSTANCE_ID, poll_interval=4, max_poll_interval=8)
    assert fake_time.sleeps == [4.0, 6.0, 8.0, 8.0, 8.0, 8.0]


def test_deadline_raises_with_the_last_seen_instance(
    client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
) -> None:
    mocked.get(INSTANCE_URL, json=booting())
    with pytest.raises(WaitTimeoutError) as raised:
        client.instances.wait_until_active(INSTANCE_ID, timeout=10)
    assert raised.value.instance is not None
    assert raised.value.instance.status == "booting"
    assert isinstance(raised.value, TimeoutError)
    assert fake_time.sleeps == [2.0, 3.0, 4.5, pytest.approx(0.5)]


@pytest.mark.parametrize("status", ["terminated", "preempted", "unhealthy", "terminating"])
def test_hopeless_status_fails_at_once(
    client: Client, mocked: responses.RequestsMock, fake_time: FakeTime, status: str
) -> None:
    mocked.get(INSTANCE_URL, json=envelope(with_status(status)))
    with pytest.raises(InstanceStatusError, match=status) as raised:
        client.instances.wait_until_active(INSTANCE_ID)
    assert raised.value.instance is not None
    assert raised.value.instance.status == status
    assert fake_time.sleeps == []


def test_terminated_counts_as_past_terminating(
    no_retry_client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(INSTANCE_URL, json=envelope(with_status("terminated")))
    (instance,) = no_retry_client.instances.wait_for_status(INSTANCE_ID, "terminating")
    assert instance.status == "terminated"


def test_unknown_status_keeps_waiting(
    no_retry_client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(INSTANCE_URL, json=envelope(with_status("warming-up")))
    mocked.get(INSTANCE_URL, json=load("instance_active"))
    (instance,) = no_retry_client.instances.wait_until_active(INSTANCE_ID)
    assert instance.status == "active"


def test_a_few_transient_errors_are_tolerated(
    no_retry_client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(INSTANCE_URL, json=booting())
    mocked.get(INSTANCE_URL, status=502, body="<html>bad gateway</html>")
    mocked.get(INSTANCE_URL, body=requests.exceptions.ConnectionError("connection reset"))
    mocked.get(INSTANCE_URL, status=429, body="")
    mocked.get(INSTANCE_URL, json=load("instance_active"))
    (instance,) = no_retry_client.instances.wait_until_active(INSTANCE_ID)
    assert instance.status == "active"
    assert len(mocked.calls) == 5


def test_too_many_consecutive_transient_errors_raise(
    no_retry_client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(INSTANCE_URL, status=503, body="")
    with pytest.raises(ServerError):
        no_retry_client.instances.wait_until_active(INSTANCE_ID)
    assert len(mocked.calls) == 4


def test_permanent_errors_are_not_tolerated(
    no_retry_client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        INSTANCE_URL,
        json={"error": {"code": "global/invalid-api-key", "message": "no"}},
        status=401,
    )
    with pytest.raises(AuthenticationError):
        no_retry_client.instances.wait_until_active(INSTANCE_ID)
    assert len(mocked.calls) == 1


def test_several_instances_cost_one_list_request_per_poll(
    client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
) -> None:
    mocked.get(
        f"{API}/instances",
        json=envelope([with_status("booting"), with_status("booting", OTHER_ID)]),
    )
    mocked.get(
        f"{API}/instances",
        json=envelope([with_status("active"), with_status("booting", OTHER_ID)]),
    )
    mocked.get(
        f"{API}/instances",
        json=envelope([with_status("active", OTHER_ID), with_status("active")]),
    )
    result = client.instances.wait_until_active([INSTANCE_ID, OTHER_ID])
    assert [i.id for i in result] == [INSTANCE_ID, OTHER_ID]
    assert all(i.status == "active" for i in result)
    assert [c.request.url for c in mocked.calls] == [f"{API}/instances"] * 3


def test_waiting_for_termination_accepts_a_vanished_instance(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(INSTANCE_URL, json=load("instance_active"))
    instance = client.instances.get(INSTANCE_ID)
    mocked.get(INSTANCE_URL, json=envelope(with_status("terminating")))
    mocked.get(
        INSTANCE_URL,
        json={"error": {"code": "global/object-does-not-exist", "message": "gone"}},
        status=404,
    )
    assert instance.wait_for_status("terminated") is instance
    assert instance.status is InstanceStatus.TERMINATED


def test_a_vanished_instance_in_a_group_is_confirmed_once(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        f"{API}/instances", json=envelope([with_status("active"), with_status("active", OTHER_ID)])
    )
    first, second = client.instances.list()
    gone = {"error": {"code": "global/object-does-not-exist", "message": "gone"}}
    mocked.get(f"{API}/instances", json=envelope([with_status("terminating", OTHER_ID)]))
    mocked.get(INSTANCE_URL, json=gone, status=404)
    mocked.get(f"{API}/instances/{OTHER_ID}", json=gone, status=404)
    result = client.instances.wait_for_status([first, second], "terminated")
    assert [i.status for i in result] == ["terminated", "terminated"]
    assert first.status == "active"  # the manager does not change the objects it was given
    urls = [c.request.url for c in mocked.calls[1:]]
    assert urls == [f"{API}/instances", INSTANCE_URL, f"{API}/instances/{OTHER_ID}"]


def test_unknown_id_is_not_found(no_retry_client: Client, mocked: responses.RequestsMock) -> None:
    gone = {"error": {"code": "global/object-does-not-exist", "message": "gone"}}
    mocked.get(INSTANCE_URL, json=gone, status=404)
    with pytest.raises(NotFoundError):
        no_retry_client.instances.wait_for_status(INSTANCE_ID, "terminated")


def test_progress_is_reported_after_every_poll(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(INSTANCE_URL, json=booting())
    mocked.get(INSTANCE_URL, json=load("instance_active"))
    seen: list[WaitProgress] = []
    client.instances.wait_until_active(INSTANCE_ID, progress=seen.append)
    assert [(p.instance.status, p.elapsed, p.polls, p.status) for p in seen] == [
        ("booting", 0.0, 1, "active"),
        ("active", 2.0, 2, "active"),
    ]


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -5}, "timeout"),
        ({"poll_interval": float("nan")}, "poll_interval"),
        ({"max_poll_interval": "10"}, "max_poll_interval"),
    ],
)
def test_bad_wait_arguments_fail_before_any_request(
    client: Client, mocked: responses.RequestsMock, options: dict[str, Any], argument: str
) -> None:
    with pytest.raises(ValidationError, match=argument):
        client.instances.wait_until_active(INSTANCE_ID, **options)
    assert len(mocked.calls) == 0
