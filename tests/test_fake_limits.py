"""FakeLambdaCloud's rate limits: on by default, as the API's, and off on request."""

from __future__ import annotations

import time

import pytest
import requests

from lambdacloud import RateLimitError
from lambdacloud.testing import FakeClock, FakeLambdaCloud

LAUNCH = "/instance-operations/launch"


def get(cloud: FakeLambdaCloud, path: str = "/regions") -> requests.Response:
    return requests.get(
        f"{cloud.url}/api/v1{path}",
        headers={"Authorization": f"Bearer {cloud.api_key}"},
        timeout=5,
    )


def test_on_by_default_a_burst_of_two_then_one_per_second() -> None:
    with FakeLambdaCloud(clock=FakeClock(frozen=True)) as cloud:
        assert [get(cloud).status_code for _ in range(2)] == [200, 200]
        refused = get(cloud)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["error"]["code"] == "global/too-many-requests"
        cloud.advance(1)
        assert [get(cloud).status_code for _ in range(2)] == [200, 429]
        cloud.advance(10)  # ten seconds idle refill the burst, no more
        assert [get(cloud).status_code for _ in range(3)] == [200, 200, 429]


def test_one_launch_per_twelve_seconds_by_default() -> None:
    with FakeLambdaCloud(clock=FakeClock(frozen=True)) as cloud:
        client = cloud.client(max_retries=0)
        client.ssh_keys.create("me")
        cloud.advance(2)
        client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        cloud.advance(2)
        other = cloud.client(max_retries=0)  # its own launch spacing: only the server's stops it
        with pytest.raises(RateLimitError) as raised:
            other.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        assert raised.value.code == "global/too-many-requests"
        assert raised.value.retry_after == 10.0
        cloud.advance(10)
        other.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        assert cloud.count("POST", LAUNCH, status=200) == 2


def test_clients_on_fake_time_absorb_the_limits_without_real_waiting() -> None:
    with FakeLambdaCloud() as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        started, fake_start = time.monotonic(), cloud.clock()
        for _ in range(20):
            assert client.regions.list()
        for _ in range(3):
            client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        assert time.monotonic() - started < 5
        assert cloud.count("GET", "/regions", status=200) == 20
        assert cloud.count("POST", LAUNCH, status=200) == 3
        # The limits cost fake time instead: about a second per request, 12 s per launch
        # (whether the client met them as 429s or kept within them on its own).
        assert cloud.clock() - fake_start >= 20


def test_a_429_is_waited_out_on_fake_time() -> None:
    with FakeLambdaCloud() as cloud:
        client = cloud.client()
        cloud.inject(status=429, headers={"Retry-After": "7"}, path="/regions")
        started, fake_start = time.monotonic(), cloud.clock()
        assert client.regions.list()
        assert [r.status for r in cloud.requests if r.path.endswith("/regions")] == [429, 200]
        assert cloud.clock() - fake_start >= 7
        assert time.monotonic() - started < 2


def test_opting_out() -> None:
    with FakeLambdaCloud(clock=FakeClock(frozen=True), rate_limits=False) as cloud:
        assert {get(cloud).status_code for _ in range(30)} == {200}
        client = cloud.client(max_retries=0)
        client.ssh_keys.create("me")
        for _ in range(3):
            client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        assert cloud.count("POST", LAUNCH, status=200) == 3


def test_the_burst_is_a_setting() -> None:
    with FakeLambdaCloud(clock=FakeClock(frozen=True), burst=5) as cloud:
        assert [get(cloud).status_code for _ in range(6)] == [200] * 5 + [429]
