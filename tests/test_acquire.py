"""Getting a scarce GPU: acquire, acquire_many and wait_until_ready, against the fake cloud
with its rate limits on and its capacity scenarios, on fake time (nothing sleeps for real)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from lambdacloud import (
    AuthenticationError,
    CapacityRead,
    CapacityTimeoutError,
    Client,
    InstanceStatusError,
    InsufficientCapacityError,
    LaunchAttempt,
    Launched,
    LaunchRefused,
    QuotaExceededError,
    ValidationError,
    WaitTimeoutError,
)
from lambdacloud.testing import FakeClock, FakeLambdaCloud, RecordedRequest

TYPES = "/instance-types"
LAUNCH = "/instance-operations/launch"
A10, A100, H100 = "gpu_1x_a10", "gpu_1x_a100_sxm4", "gpu_1x_h100_pcie"
#: Every (type, region) the fake starts with capacity in.
STOCKED = [
    (A10, "us-west-1"),
    (A10, "us-east-1"),
    (A100, "us-east-1"),
    (A100, "europe-central-1"),
    (H100, "us-south-1"),
    ("gpu_1x_gh200", "us-east-3"),
    ("gpu_8x_a100_80gb_sxm4", "asia-northeast-1"),
]


@pytest.fixture
def cloud() -> Iterator[FakeLambdaCloud]:
    """No capacity anywhere until a test opens some; rate limits on, as on the real API."""
    with FakeLambdaCloud(clock=FakeClock(frozen=True)) as running:
        for name, region in STOCKED:
            running.set_capacity(name, region, 0)
        yield running


@pytest.fixture
def client(cloud: FakeLambdaCloud) -> Client:
    client = cloud.client()
    client.ssh_keys.create("me")
    return client


def acquiring(cloud: FakeLambdaCloud) -> list[RecordedRequest]:
    """The requests after the setup (the SSH key)."""
    return [r for r in cloud.requests if not r.path.endswith("/ssh-keys")]


def assert_within_the_limits(requests: list[RecordedRequest]) -> None:
    start = requests[0].at
    for count, request in enumerate(requests, start=1):
        # at most one request per elapsed second, plus one, and no burst over 2
        assert count <= (request.at - start) + 2, (count, request.at - start)
    launches = [r.at for r in requests if r.path.endswith(LAUNCH)]
    assert all(later - earlier >= 12.0 for earlier, later in pairwise(launches))
    assert [r.status for r in requests if r.status == 429] == []


class TestPreferences:
    def test_types_first_then_regions_in_the_order_given(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.set_capacity(A10, "us-west-1", 1)
        cloud.set_capacity(A10, "us-east-1", 1)
        cloud.set_capacity(A100, "europe-central-1", 1)
        got = client.instances.acquire(
            [H100, A100, A10], ssh_key="me", regions=["us-west-1", "europe-central-1"]
        )
        assert (got.instance_type.name, got.region.name) == (A100, "europe-central-1")
        got = client.instances.acquire([A10], ssh_key="me", regions=["us-west-1", "us-east-1"])
        assert got.region.name == "us-west-1"

    def test_a_dearer_type_is_never_launched_and_the_cap_itself_is_allowed(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.set_capacity(H100, "us-south-1", 1)  # $2.49
        cloud.set_capacity(A100, "us-east-1", 1)  # $1.29
        got = client.instances.acquire([H100, A100], ssh_key="me", max_price_per_hour="1.29")
        assert got.instance_type.name == A100
        with pytest.raises(CapacityTimeoutError):
            client.instances.acquire(
                [H100], ssh_key="me", max_price_per_hour=Decimal("2.48"), timeout=30
            )
        assert cloud.count("POST", LAUNCH) == 1

    def test_it_launches_right_after_the_read_that_showed_capacity(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.capacity_window(A10, "us-east-1", opens_at=40, lasts=60)
        client.instances.acquire([A10], ssh_key="me", progress=False)
        requests = acquiring(cloud)
        launch = next(i for i, r in enumerate(requests) if r.path.endswith(LAUNCH))
        assert requests[launch - 1].path.endswith(TYPES)
        assert requests[launch].at - requests[launch - 1].at < 1.5
        assert_within_the_limits(requests)


class TestTheGame:
    def test_a_refusal_of_listed_capacity_is_tried_again_in_the_window(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.capacity_window(H100, "us-south-1", opens_at=30, lasts=60)
        cloud.refuse_next_launches(2)
        events: list[Any] = []
        got = client.instances.acquire([H100], ssh_key="me", on_event=events.append)
        assert got.instance_type.name == H100
        refused = [e for e in events if isinstance(e, LaunchRefused)]
        assert [e.reason for e in refused] == ["insufficient capacity"] * 2
        assert isinstance(refused[0].error, InsufficientCapacityError)
        assert cloud.count("POST", LAUNCH) == 3
        assert_within_the_limits(acquiring(cloud))

    def test_429s_and_server_errors_are_part_of_the_game(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.set_capacity(A10, "us-west-1", 1)
        cloud.inject(status=503, method="GET", path=TYPES, times=8)
        cloud.inject(status=429, headers={"Retry-After": "5"}, method="POST", path=LAUNCH, times=7)
        got = client.instances.acquire([A10], ssh_key="me", timeout=600)
        assert got.region.name == "us-west-1"

    @pytest.mark.parametrize(
        ("code", "status", "error"),
        [
            ("global/invalid-api-key", 401, AuthenticationError),
            ("global/quota-exceeded", 400, QuotaExceededError),
        ],
    )
    def test_a_permanent_error_stops_at_once(
        self, cloud: FakeLambdaCloud, client: Client, code: str, status: int, error: type
    ) -> None:
        cloud.set_capacity(A10, "us-west-1", 1)
        cloud.inject(status=status, code=code, method="POST", path=LAUNCH)
        with pytest.raises(error):
            client.instances.acquire([A10], ssh_key="me", timeout=600)
        assert cloud.count("POST", LAUNCH) == 1

    def test_events_tell_a_notifier_what_happens(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.capacity_window(A10, "us-east-1", opens_at=20, lasts=60)
        cloud.refuse_next_launches(1)
        events: list[Any] = []
        got = client.instances.acquire([A10], ssh_key="me", on_event=events.append)
        kinds = [type(e) for e in events]
        assert kinds[0] is CapacityRead
        assert kinds[-1] is Launched
        assert LaunchAttempt in kinds
        assert LaunchRefused in kinds
        assert events[-1].instance == got
        reads = [e for e in events if isinstance(e, CapacityRead)]
        assert [e.reads for e in reads] == list(range(1, len(reads) + 1))
        assert all(e.elapsed >= 0 for e in events)

    def test_a_failing_notifier_costs_nothing(
        self, cloud: FakeLambdaCloud, client: Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        cloud.set_capacity(A10, "us-west-1", 1)

        def broken(event: Any) -> None:
            raise RuntimeError("slack is down")

        assert client.instances.acquire([A10], ssh_key="me", on_event=broken)
        assert "on_event failed" in caplog.text


class TestTheDeadline:
    def test_it_gives_up_on_time_naming_what_it_tried(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        started = cloud.clock()
        with pytest.raises(CapacityTimeoutError) as raised:
            client.instances.acquire([H100, A100], ssh_key="me", regions=["us-south-1"], timeout=90)
        assert 89.0 <= cloud.clock() - started <= 91.0
        error = raised.value
        assert isinstance(error, InsufficientCapacityError)
        assert isinstance(error, WaitTimeoutError)
        assert error.instance_types == [H100, A100]
        assert error.regions == ["us-south-1"]
        assert error.capacity_reads == cloud.count("GET", TYPES) >= 3
        assert error.launch_attempts == 0
        for named in (H100, "us-south-1", "capacity reads"):
            assert named in str(error)
        assert_within_the_limits(acquiring(cloud))

    def test_refusals_until_the_deadline(self, cloud: FakeLambdaCloud, client: Client) -> None:
        cloud.set_capacity(A10, "us-west-1", 5)
        cloud.refuse_next_launches(100)
        started = cloud.clock()
        with pytest.raises(CapacityTimeoutError) as raised:
            client.instances.acquire([A10], ssh_key="me", timeout=60)
        assert 59.0 <= cloud.clock() - started <= 61.5
        assert raised.value.launch_attempts == cloud.count("POST", LAUNCH) >= 4
        assert_within_the_limits(acquiring(cloud))


class TestBadInput:
    @pytest.mark.parametrize(
        ("options", "argument"),
        [
            ({"instance_types": []}, "instance_types"),
            ({"max_price_per_hour": -1}, "max_price_per_hour"),
            ({"max_price_per_hour": "cheap"}, "max_price_per_hour"),
            ({"timeout": -5}, "timeout"),
            ({"poll_interval": 0}, "poll_interval"),
            ({"regions": []}, "regions"),
            ({"on_event": "slack"}, "on_event"),
            ({"max_runtime": 0}, "max_runtime"),
            ({"wait": "soon"}, "wait"),
            ({"hostname": "Not_A_Host"}, "hostname"),
        ],
    )
    def test_is_refused_before_any_request(
        self, cloud: FakeLambdaCloud, client: Client, options: dict[str, Any], argument: str
    ) -> None:
        arguments: dict[str, Any] = {"instance_types": [A10], "ssh_key": "me", **options}
        with pytest.raises(ValidationError) as raised:
            client.instances.acquire(**arguments)
        assert raised.value.argument == argument
        assert acquiring(cloud) == []

    def test_an_unknown_type_lists_the_valid_ones_before_any_launch(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.set_capacity(A10, "us-west-1", 1)
        with pytest.raises(ValidationError, match="gpu_1x_a10") as raised:
            client.instances.acquire([A10, "gpu_1x_h1000"], ssh_key="me")
        assert "gpu_1x_h1000" in str(raised.value)
        assert cloud.count("POST", LAUNCH) == 0

    def test_count_must_be_at_least_one(self, cloud: FakeLambdaCloud, client: Client) -> None:
        with pytest.raises(ValidationError, match="count"):
            client.instances.acquire_many(0, [A10], ssh_key="me")
        assert acquiring(cloud) == []


class TestGroups:
    def test_a_group_shares_one_type_and_region(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.set_capacity(A10, "us-west-1", 3)
        cloud.set_capacity(A10, "us-east-1", 3)
        cloud.set_capacity(A100, "us-east-1", 1)
        group = client.instances.acquire_many(
            3, [A10, A100], ssh_key="me", regions=["us-west-1", "us-east-1"], timeout=600
        )
        assert len(group) == 3
        # the first took the best pair; the others followed it though others had capacity
        assert {(i.instance_type.name, i.region.name) for i in group} == {(A10, "us-west-1")}
        assert_within_the_limits(acquiring(cloud))

    def test_all_or_nothing_an_unfinished_group_is_terminated(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.set_capacity(A10, "us-west-1", 2)
        with pytest.raises(CapacityTimeoutError) as raised:
            client.instances.acquire_many(3, [A10], ssh_key="me", timeout=120)
        assert len(raised.value.terminated) == 2
        assert raised.value.still_running == []
        assert all(i in str(raised.value) for i in raised.value.terminated)
        statuses = {str(i.status) for i in client.instances.list()}
        assert statuses == {"terminating"}

    def test_ctrl_c_in_the_middle_of_a_group_terminates_what_it_launched(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.set_capacity(A10, "us-west-1", 3)

        def interrupt_on_the_second_attempt(event: Any) -> None:
            if isinstance(event, LaunchAttempt) and event.attempt == 2:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            client.instances.acquire_many(
                3, [A10], ssh_key="me", on_event=interrupt_on_the_second_attempt
            )
        assert [str(i.status) for i in client.instances.list()] == ["terminating"]


class TestReady:
    @pytest.fixture
    def ready_cloud(self) -> Iterator[FakeLambdaCloud]:
        with FakeLambdaCloud(clock=FakeClock(frozen=True), ssh_delay=15) as running:
            yield running

    def test_ready_means_active_and_ssh_answering(self, ready_cloud: FakeLambdaCloud) -> None:
        client = ready_cloud.client()
        client.ssh_keys.create("me")
        instance = client.instances.launch(A10, ssh_key="me", region="us-west-1")
        started = ready_cloud.clock()
        instance.wait_until_ready(port=ready_cloud.ssh_port, progress=False)
        assert instance.status == "active"
        assert instance.ip
        # active after 60 s of boot, sshd 15 s later: not ready at active
        assert ready_cloud.clock() - started >= 60 + 15

    def test_many_instances_cost_one_request_per_poll(self, ready_cloud: FakeLambdaCloud) -> None:
        client = ready_cloud.client()
        client.ssh_keys.create("me")
        group = [client.instances.launch(A10, ssh_key="me", region="us-west-1") for _ in range(2)]
        before = len(ready_cloud.requests)
        ready = client.instances.wait_until_ready(group, port=ready_cloud.ssh_port, progress=False)
        polls = [r for r in ready_cloud.requests[before:]]
        assert {r.path for r in polls} == {"/api/v1/instances"}
        assert [i.id for i in ready] == [i.id for i in group]

    def test_a_terminated_instance_fails_fast(self, ready_cloud: FakeLambdaCloud) -> None:
        client = ready_cloud.client()
        client.ssh_keys.create("me")
        instance = client.instances.launch(A10, ssh_key="me", region="us-west-1")
        ready_cloud.preempt(instance.id)
        with pytest.raises(InstanceStatusError):
            instance.wait_until_ready(port=ready_cloud.ssh_port, timeout=600, progress=False)

    def test_a_wait_for_ready_ends_on_time(self, ready_cloud: FakeLambdaCloud) -> None:
        client = ready_cloud.client()
        client.ssh_keys.create("me")
        instance = client.instances.launch(A10, ssh_key="me", region="us-west-1")
        started = ready_cloud.clock()
        with pytest.raises(WaitTimeoutError, match="ready"):
            instance.wait_until_ready(port=ready_cloud.ssh_port, timeout=70, progress=False)
        assert 69.0 <= ready_cloud.clock() - started <= 71.0

    def test_acquire_can_wait_until_ready_and_is_a_context_manager(
        self, ready_cloud: FakeLambdaCloud
    ) -> None:
        client = ready_cloud.client()
        client.ssh_keys.create("me")
        with client.instances.acquire(
            [A10], ssh_key="me", wait="ready", port=ready_cloud.ssh_port, progress=False
        ) as instance:
            assert instance.status == "active"
        assert instance.status == "terminating"

    def test_a_bad_port_is_refused(self, ready_cloud: FakeLambdaCloud) -> None:
        client = ready_cloud.client()
        with pytest.raises(ValidationError, match="port"):
            client.instances.wait_until_ready("x", port=70000)
