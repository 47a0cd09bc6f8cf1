"""FakeLambdaCloud's capacity scenarios: windows that open and close, refused launches, and a
seeded random mode where capacity comes and goes, all on the fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest

from lambdacloud import Client, InsufficientCapacityError
from lambdacloud.testing import CapacityWindow, FakeClock, FakeLambdaCloud
from lambdacloud.testing._capacity import Capacity

from .test_testing_e2e import assert_conforms

H100 = "gpu_1x_h100_pcie"
LAUNCH = "/instance-operations/launch"


@pytest.fixture
def cloud() -> Iterator[FakeLambdaCloud]:
    with FakeLambdaCloud(clock=FakeClock(frozen=True), capacity="none") as running:
        yield running
        assert_conforms(running, some=False)


@pytest.fixture
def client(cloud: FakeLambdaCloud) -> Client:
    client = cloud.client()
    client.ssh_keys.create("me")
    return client


def listed(client: Client, instance_type: str = H100) -> list[str]:
    return [r.name for r in client.instance_types.get(instance_type).regions_with_capacity]


def launch(client: Client, region: str = "us-south-1") -> str:
    return client.instances.launch(H100, ssh_key="me", region=region).id


class TestWindows:
    def test_capacity_appears_for_a_while_then_disappears(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        start = cloud.clock()
        window = cloud.capacity_window(H100, "us-south-1", opens_at=100, lasts=60, count=2)
        assert (window.opens_at, window.closes_at) == (start + 100, start + 160)
        assert listed(client) == []
        with pytest.raises(InsufficientCapacityError):
            launch(client)
        cloud.advance(100 - (cloud.clock() - start))
        assert listed(client) == ["us-south-1"]
        first = launch(client)
        assert window.instance_ids == [first]
        assert window.taken_at == [cloud.requests[-2].at]  # the launch, then its read-back
        assert window.caught
        cloud.advance(60)
        assert listed(client) == []
        with pytest.raises(InsufficientCapacityError) as refused:
            launch(client)
        assert refused.value.code == "instance-operations/launch/insufficient-capacity"
        assert window.instance_ids == [first]

    def test_a_used_up_window_closes_early_and_a_termination_reopens_it(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.capacity_window(H100, "us-south-1", opens_at=0, lasts=300)
        instance = client.instances.get(launch(client))
        assert listed(client) == []
        instance.terminate()
        assert listed(client) == ["us-south-1"]  # given back while the window is open

    def test_a_machine_given_back_after_the_close_is_gone(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.capacity_window(H100, "us-south-1", opens_at=0, lasts=30)
        instance = client.instances.get(launch(client))
        cloud.advance(60)
        cloud.preempt(instance.id)
        assert listed(client) == []

    def test_windows_add_to_steady_capacity(self, cloud: FakeLambdaCloud, client: Client) -> None:
        cloud.set_capacity(H100, "us-south-1", 1)
        window = cloud.capacity_window(H100, "us-south-1", opens_at=0)
        launch(client)
        launch(client)
        assert window.caught  # the window is used first: it will not last
        with pytest.raises(InsufficientCapacityError):
            launch(client)

    def test_opening_is_counted_from_now(self, cloud: FakeLambdaCloud) -> None:
        cloud.advance(1000)
        window = cloud.capacity_window(H100, "us-south-1", opens_at=5)
        assert window.opens_at == cloud.clock() + 5
        assert cloud.capacity_windows == [window]

    @pytest.mark.parametrize(
        ("arguments", "match"),
        [
            ({"instance_type": "gpu_9x", "region": "us-south-1", "opens_at": 0}, "type"),
            ({"instance_type": H100, "region": "mars-1", "opens_at": 0}, "region"),
            ({"instance_type": H100, "region": "us-south-1", "opens_at": -1}, "opens_at"),
            ({"instance_type": H100, "region": "us-south-1", "opens_at": 0, "lasts": 0}, "lasts"),
            ({"instance_type": H100, "region": "us-south-1", "opens_at": 0, "count": 0}, "count"),
        ],
    )
    def test_bad_windows(
        self, cloud: FakeLambdaCloud, arguments: dict[str, Any], match: str
    ) -> None:
        with pytest.raises(
            ValueError, match=f"^unknown instance {match}|^{match}|^unknown {match}"
        ):
            cloud.capacity_window(**arguments)
        assert cloud.capacity_windows == []


class TestRefusals:
    def test_listed_capacity_refused_at_launch(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.set_capacity(H100, "us-south-1", 1)
        cloud.refuse_next_launches(2)
        for _ in range(2):
            assert listed(client) == ["us-south-1"]
            with pytest.raises(InsufficientCapacityError) as refused:
                launch(client)
            assert refused.value.status_code == 400
            assert refused.value.code == "instance-operations/launch/insufficient-capacity"
            assert refused.value.suggestion
        launch(client)  # nothing was used up by the refusals
        assert cloud.count("POST", LAUNCH, status=200) == 1

    def test_only_launches_that_would_succeed_count(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.refuse_next_launches(1)
        with pytest.raises(InsufficientCapacityError):
            launch(client)  # no capacity: refused for that, and the refusal is still due
        cloud.set_capacity(H100, "us-south-1", 1)
        with pytest.raises(InsufficientCapacityError):
            launch(client)
        launch(client)

    def test_calls_add_up_and_none_are_negative(self, cloud: FakeLambdaCloud) -> None:
        cloud.refuse_next_launches()
        cloud.refuse_next_launches(2)
        assert cloud._world.capacity.refusals_due == 3
        with pytest.raises(ValueError, match="negative"):
            cloud.refuse_next_launches(-1)


class TestRandomCapacity:
    def windows_over(self, seed: int, hours: float) -> list[tuple[str, str, float, float]]:
        with FakeLambdaCloud(clock=FakeClock(frozen=True), capacity="scarce", seed=seed) as cloud:
            cloud.advance(hours * 3600)
            return [
                (w.instance_type, w.region, w.opens_at, w.closes_at) for w in cloud.capacity_windows
            ]

    def test_the_same_seed_gives_the_same_windows(self) -> None:
        assert self.windows_over(123, 2) == self.windows_over(123, 2)
        assert self.windows_over(123, 2) != self.windows_over(124, 2)

    def test_windows_of_about_a_minute_come_and_go_for_every_pair(self) -> None:
        windows = self.windows_over(7, 24)
        lengths = [closes - opens for _, _, opens, closes in windows]
        assert min(lengths) >= 30
        assert max(lengths) <= 90
        assert 50 <= sum(lengths) / len(lengths) <= 70
        pairs = {(t, r) for t, r, _, _ in windows}
        assert ("gpu_8x_h100_sxm5", "us-south-1") in pairs  # sold out when steady
        assert len(pairs) == 8
        # A window about every six minutes per pair: five minutes apart, one open.
        per_pair = len(windows) / len(pairs)
        assert 24 * 3600 / 420 <= per_pair <= 24 * 3600 / 300
        for pair in pairs:
            mine = sorted((o, c) for t, r, o, c in windows if (t, r) == pair)
            assert all(c <= o2 for (_, c), (o2, _) in pairwise(mine))  # never overlap

    def test_capacity_is_listed_only_inside_a_window(self) -> None:
        with FakeLambdaCloud(clock=FakeClock(frozen=True), capacity="scarce", seed=11) as cloud:
            client = cloud.client()
            seen = []
            for _ in range(120):
                cloud.advance(15)
                now = cloud.clock()
                opened = {
                    (w.instance_type, w.region) for w in cloud.capacity_windows if w.is_open(now)
                }
                offered = {
                    (t.name, r.name)
                    for t in client.instance_types.list()
                    for r in t.regions_with_capacity
                }
                assert offered == opened
                seen.append(bool(offered))
            assert any(seen)
            assert not all(seen)

    def test_a_rehearsal_catches_a_window(self) -> None:
        with FakeLambdaCloud(clock=FakeClock(frozen=True), capacity="scarce", seed=2024) as cloud:
            client = cloud.client()
            client.ssh_keys.create("me")
            instance = None
            while instance is None:  # what an acquire loop does, on fake time
                regions = listed(client)
                if not regions:
                    cloud.advance(5)
                    continue
                try:
                    instance = client.instances.launch(H100, ssh_key="me", region=regions[0])
                except InsufficientCapacityError:
                    cloud.advance(5)
            (window,) = [w for w in cloud.capacity_windows if w.caught]
            (sent,) = [r for r in cloud.requests if r.path.endswith(LAUNCH) and r.status == 200]
            assert window.instance_ids == [instance.id]
            assert window.opens_at <= sent.at < window.closes_at
            assert window.taken_at == [sent.at]

    def test_about_three_launches_in_eleven_are_refused(self) -> None:
        capacity = Capacity(FakeClock(frozen=True), types=[], regions=[])
        capacity.go_random(seed=5, pairs=[])  # refusal_rate 3/11 by default
        refused = sum(capacity.refuse() for _ in range(11_000))
        assert 2700 <= refused <= 3300

    def test_the_knobs(self) -> None:
        with FakeLambdaCloud(clock=FakeClock(frozen=True)) as cloud:
            seed = cloud.random_capacity(
                pairs=[(H100, "us-south-1")], mean_gap=60, lasts=10, count=3, refusal_rate=0
            )
            assert isinstance(seed, int)
            cloud.advance(3600)
            windows = cloud.capacity_windows
            assert {(w.instance_type, w.region, w.count) for w in windows} == {
                (H100, "us-south-1", 3)
            }
            assert all(5 <= w.closes_at - w.opens_at <= 15 for w in windows)
            assert len(windows) > 30
            # The steady capacity is gone for every pair, not only the random ones.
            assert cloud._world.capacity.available("gpu_1x_a10", "us-west-1") == 0
            for bad in ({"mean_gap": 0}, {"lasts": -1}, {"count": 0}, {"refusal_rate": 2}):
                with pytest.raises(ValueError, match="need"):
                    cloud.random_capacity(**bad)  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="region"):
                cloud.random_capacity(pairs=[(H100, "moon-1")])


def test_scenarios_by_name() -> None:
    with FakeLambdaCloud(capacity="none") as empty:
        assert all(not t.regions_with_capacity for t in empty.client().instance_types.list())
    with FakeLambdaCloud() as steady:
        assert steady.capacity_windows == []
        assert listed(steady.client(), "gpu_1x_a10") == ["us-east-1", "us-west-1"]
    with pytest.raises(ValueError, match="steady, scarce, none"):
        FakeLambdaCloud(capacity="plenty")


def test_windows_are_values_for_benchmarks() -> None:
    window = CapacityWindow("gpu_1x_a10", "us-west-1", 10.0, 70.0)
    assert window.is_open(10.0)
    assert not window.is_open(70.0)
    assert window.remaining(30.0) == 1
    assert window.remaining(5.0) == 0
    assert not window.caught
