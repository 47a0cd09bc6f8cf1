"""Reliability under faults, over real sockets: what succeeds, what raises, what the server saw.

Every fault is played against a read (``regions.list()``, safe to repeat) and a launch (never
repeated once the server may have acted). The invariant checked for every fault: a launch is
sent at most once, unless the earlier attempt certainly never reached the server or was
answered 429 — and the fake never holds more than one instance.
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from lambdacloud import (
    APIConnectionError,
    APITimeoutError,
    Client,
    LambdaCloudError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
    WaitTimeoutError,
    _http,
)
from lambdacloud.testing import BAD_GATEWAY_HTML, FakeClock, FakeLambdaCloud

LAUNCH = "/instance-operations/launch"
READ = "/regions"
RETRIES = 3


@dataclass
class Fault:
    """A fault, how often it strikes, and what a read and a launch should make of it."""

    options: Callable[[], dict[str, Any]]
    times: int = 1
    read_error: type[LambdaCloudError] | None = None
    launch_error: type[LambdaCloudError] | None = None
    launched: int = 0
    extra: list[dict[str, Any]] = field(default_factory=list)
    #: What the error message must say (``pytest.raises(match=...)``).
    says: str | None = None
    #: The least time, on the fake's clock, between two attempts.
    spacing: float = 0.0
    #: The read timeout: long enough for every answer, but a slow fault's.
    read_timeout: float = 2.0


def http_date(seconds: float) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=seconds), usegmt=True)


FAULTS: dict[str, Fault] = {
    "reset-before-the-answer": Fault(
        lambda: {"drop": True}, launch_error=APIConnectionError, launched=0
    ),
    # The launch happened and its answer was lost: it is found by its launch token.
    "reset-half-way-through-the-body": Fault(lambda: {"truncate": True}, launched=1),
    "slower-than-the-read-timeout": Fault(
        lambda: {"delay": 0.6},
        launch_error=APITimeoutError,
        launched=1,
        says="timed out waiting for an answer",
        read_timeout=0.2,
    ),
    "429-storm-retry-after-seconds": Fault(
        lambda: {"status": 429, "headers": {"Retry-After": "2"}},
        times=RETRIES,
        launched=1,
        spacing=2.0,
    ),
    "429-storm-retry-after-http-date": Fault(
        # whole seconds on the wall clock: a date 3 s away is between 2 and 3 s away
        lambda: {"status": 429, "headers": {"Retry-After": http_date(3)}},
        times=RETRIES,
        launched=1,
        spacing=1.5,
    ),
    "flapping-500-502-503": Fault(
        lambda: {"status": 500},
        extra=[{"status": 502}, {"status": 503}],
        launch_error=ServerError,
    ),
    "html-502-page": Fault(
        lambda: {"status": 502, "body": BAD_GATEWAY_HTML}, launch_error=ServerError
    ),
    "truncated-json-body": Fault(
        lambda: {"status": 200, "body": '{"data": [{"name": "us-ea'},
        read_error=MalformedResponseError,
        launch_error=MalformedResponseError,
    ),
    "200-without-the-envelope": Fault(
        lambda: {"status": 200, "body": {"regions": [], "instance_ids": ["x"]}},
        read_error=MalformedResponseError,
        launch_error=MalformedResponseError,
    ),
    "huge-body": Fault(
        # a well-formed envelope the client would read, were it not over the cap
        lambda: {
            "status": 200,
            "body": {"data": [{"name": "us-east-1", "description": "x" * 2**20}]},
        },
        read_error=MalformedResponseError,
        launch_error=MalformedResponseError,
        says="MiB",
    ),
}
#: Faults whose attempts never reach the API (or are refused by it): a launch may repeat.
REPEATABLE = {"429-storm-retry-after-seconds", "429-storm-retry-after-http-date"}


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLambdaCloud]:
    monkeypatch.setattr(_http.decoding, "MAX_RESPONSE_BYTES", 1024 * 1024)
    with FakeLambdaCloud(clock=FakeClock(frozen=True)) as running:
        yield running


def client_for(cloud: FakeLambdaCloud, read_timeout: float = 2.0) -> Client:
    return cloud.client(max_retries=RETRIES, timeout=(1.0, read_timeout))


def inject(cloud: FakeLambdaCloud, fault: Fault, method: str, path: str) -> None:
    for options in [fault.options()] * fault.times + fault.extra:
        cloud.inject(method=method, path=path, **options)


def received(cloud: FakeLambdaCloud, method: str, path: str) -> int:
    return cloud.count(method, path)


def settle(cloud: FakeLambdaCloud, method: str, path: str, expected: int) -> None:
    """Wait (at most a second) for delayed requests the client gave up on to reach the fake."""
    deadline = time.monotonic() + 1.0
    while received(cloud, method, path) < expected and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_a_read_under_the_fault(cloud: FakeLambdaCloud, name: str) -> None:
    fault = FAULTS[name]
    inject(cloud, fault, "GET", READ)
    client = client_for(cloud, fault.read_timeout)
    if fault.read_error is None:
        assert client.regions.list()
        attempts = fault.times + len(fault.extra) + 1
    else:
        with pytest.raises(fault.read_error, match=fault.says):
            client.regions.list()
        attempts = 1
    settle(cloud, "GET", "/api/v1" + READ, attempts)
    assert received(cloud, "GET", READ) == attempts
    times = [request.at for request in cloud.requests if request.path.endswith(READ)]
    assert all(later - earlier >= fault.spacing for earlier, later in itertools.pairwise(times))


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_a_launch_under_the_fault_is_sent_at_most_once(cloud: FakeLambdaCloud, name: str) -> None:
    fault = FAULTS[name]
    client = client_for(cloud, fault.read_timeout)
    client.ssh_keys.create("me")
    inject(cloud, fault, "POST", LAUNCH)
    if fault.launch_error is None:
        client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
    else:
        with pytest.raises(fault.launch_error, match=fault.says) as raised:
            client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        assert "accepted" in str(raised.value)  # it tells the caller to look before relaunching
    settle(cloud, "POST", "/api/v1" + LAUNCH, 1)
    sent = received(cloud, "POST", LAUNCH)
    if name in REPEATABLE:
        assert sent == fault.times + 1
    else:
        assert sent == 1
    assert cloud.count("POST", LAUNCH, status=200) <= 1
    assert len(client.instances.list()) == fault.launched


@pytest.mark.parametrize(
    "options",
    [{"status": 503}, {"drop": True}, {"status": 429, "headers": {"Retry-After": "1"}}],
    ids=["503", "reset", "429"],
)
def test_a_fault_outlasting_the_retry_budget_raises(
    cloud: FakeLambdaCloud, options: dict[str, Any]
) -> None:
    cloud.inject(method="GET", path=READ, times=RETRIES + 1, **options)
    with pytest.raises((ServerError, APIConnectionError, RateLimitError)):
        client_for(cloud).regions.list()
    assert received(cloud, "GET", READ) == RETRIES + 1


def test_connection_refused() -> None:
    # A port bound but not listening refuses connections, and nothing else can take it.
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        host, port = bound.getsockname()
        sleeps: list[float] = []
        with Client(
            api_key="secret_refused-key-0123456789",
            base_url=f"http://{host}:{port}",
            max_retries=RETRIES,
            sleep=sleeps.append,
        ) as refused:
            with pytest.raises(APIConnectionError) as read:
                refused.regions.list()
            assert read.value.request_sent is False
            assert len(sleeps) == RETRIES
            with pytest.raises(APIConnectionError) as launch:
                refused.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
    # It never reached a server, so it was safe to try again, and it said nothing about a
    # machine that might be running.
    assert launch.value.request_sent is False
    assert len(sleeps) == 2 * RETRIES
    assert "accepted" not in str(launch.value)


class TestLongWaits:
    def test_a_wait_rides_out_errors_and_resets(self, cloud: FakeLambdaCloud) -> None:
        client = cloud.client(max_retries=1)
        client.ssh_keys.create("me")
        instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        path = f"/instances/{instance.id}"
        for options in ({"status": 503}, {"drop": True}, {"status": 502, "body": BAD_GATEWAY_HTML}):
            cloud.inject(method="GET", path=path, times=2, **options)
        instance.wait_until_active(timeout=600)
        assert instance.status == "active"
        assert cloud.count("GET", path, status=200) >= 2

    def test_a_wait_past_its_deadline_carries_the_last_seen_instance(
        self, cloud: FakeLambdaCloud
    ) -> None:
        client = cloud.client()
        client.ssh_keys.create("me")
        instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        # changed behind this object's back: only a poll can have seen the new name
        cloud.client().instances.update(instance.id, name="renamed-meanwhile")
        cloud.inject(method="GET", path=f"/instances/{instance.id}", status=503, times=1)
        with pytest.raises(WaitTimeoutError) as raised:
            instance.wait_until_active(timeout=30)
        assert raised.value.instance is not None
        assert raised.value.instance.id == instance.id
        assert raised.value.instance.status == "booting"
        assert raised.value.instance.name == "renamed-meanwhile"
