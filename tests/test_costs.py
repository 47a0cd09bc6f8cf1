"""Never pay for a forgotten machine: ownership, cost so far, burn rate, expiry and sweep,
and terminate_at_exit."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from lambdacloud import Client, ValidationError
from lambdacloud.instances import tags as library_tags
from lambdacloud.testing import FakeClock, FakeLambdaCloud

TERMINATE = "/instance-operations/terminate"
TAG_KEY = re.compile(r"[a-z][a-z0-9-:]+")


@pytest.fixture
def cloud() -> Iterator[FakeLambdaCloud]:
    with FakeLambdaCloud(clock=FakeClock(frozen=True)) as running:
        yield running


@pytest.fixture
def client(cloud: FakeLambdaCloud) -> Client:
    client = cloud.client()
    client.ssh_keys.create("me")
    return client


def launch_elsewhere(cloud: FakeLambdaCloud, **tags: str) -> str:
    """An instance launched by another tool, with ``tags`` (keys with ``_`` for ``-``)."""
    cloud.advance(13)  # the cloud's launch limit, which this other tool keeps
    entries = [{"key": key.replace("_", "-"), "value": value} for key, value in tags.items()]
    body = {
        "region_name": "us-west-1",
        "instance_type_name": "gpu_1x_a10",
        "ssh_key_names": ["me"],
        "tags": entries,
    }
    answer = requests.post(
        f"{cloud.url}/api/v1/instance-operations/launch",
        json=body,
        headers={"Authorization": f"Bearer {cloud.api_key}"},
        timeout=5,
    )
    answer.raise_for_status()
    cloud.advance(13)  # and lets the cloud's request budget refill after it
    instance_id: str = answer.json()["data"]["instance_ids"][0]
    return instance_id


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class TestOwnership:
    def test_a_looked_up_instance_is_not_terminated_by_a_with_block(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        instance_id = launch_elsewhere(cloud)
        looked_up = client.instances.get(instance_id)
        with pytest.raises(ValidationError, match="owned") as raised, looked_up:
            pass
        assert raised.value.argument == "instance"
        assert cloud.count("POST", TERMINATE) == 0
        assert client.instances.get(instance_id).status == "booting"

    def test_opting_in_makes_a_with_block_terminate_it(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        instance_id = launch_elsewhere(cloud)
        with client.instances.owned(instance_id) as instance:
            assert instance.id == instance_id
        assert instance.status == "terminating"
        assert cloud.count("POST", TERMINATE, status=200) == 1

    def test_only_the_object_handed_over_is_owned_not_a_look_up_of_the_same_machine(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        launched = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        for looked_up in (client.instances.get(launched.id), client.instances.list()[0]):
            with pytest.raises(ValidationError, match="owned"), looked_up:
                pass
        assert cloud.count("POST", TERMINATE) == 0
        launched.refresh()  # the object handed over stays owned when it is updated in place
        with launched:
            pass
        assert cloud.count("POST", TERMINATE) == 1


class TestLaunchTagsAndCost:
    def test_a_launch_carries_its_token_and_time_within_the_apis_limits(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        assert isinstance(cloud.clock, FakeClock)
        wall = cloud.clock.wall  # the client's UTC time: it is on the fake's clock
        before = wall().replace(microsecond=0)
        instance = client.instances.launch(
            "gpu_1x_a10",
            ssh_key="me",
            region="us-west-1",
            tags={"team": "ml"},
            max_runtime=3600.5,
        )
        after = wall()
        assert instance.tags["team"] == "ml"
        ours = library_tags.library_tags(instance.tags)
        assert set(ours) == {library_tags.TOKEN, library_tags.LAUNCHED_AT, library_tags.EXPIRES_AT}
        for key, value in ours.items():
            assert TAG_KEY.fullmatch(key)
            assert len(key) <= 55
            assert len(value) <= 128
            assert not key.startswith("lambda-ai-")
        assert re.fullmatch(r"[0-9a-f]{32}", ours[library_tags.TOKEN])
        assert instance.launched_at is not None
        assert before <= instance.launched_at <= after
        # to the second: the launch second plus max_runtime rounded up
        assert instance.expires_at == instance.launched_at + timedelta(seconds=3601)

    def test_cost_so_far_is_the_price_prorated_to_the_second(self, client: Client) -> None:
        instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        launched = instance.launched_at
        assert launched is not None
        assert instance.cost_at(launched + timedelta(minutes=90, seconds=1)) == (
            Decimal("0.75") * 5401 / 3600
        )
        assert instance.cost_at(launched) == 0
        cost = instance.cost_so_far
        assert cost is not None
        assert Decimal(0) <= cost < Decimal("0.01")

    def test_cost_at_a_naive_time_is_refused_and_a_preempted_cost_is_unknown(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        with pytest.raises(ValidationError, match="moment"):
            instance.cost_at(datetime(2026, 1, 1))  # naive: the mistake under test
        assert instance.cost_so_far is not None
        cloud.preempt(instance.id)
        assert instance.refresh().cost_so_far is None

    def test_an_instance_the_library_did_not_launch_has_no_cost_or_time(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        instance = client.instances.get(launch_elsewhere(cloud))
        assert instance.launched_at is None
        assert instance.cost_so_far is None
        assert instance.expires_at is None

    def test_the_librarys_tags_are_refused_from_the_user(self, client: Client) -> None:
        with pytest.raises(ValidationError, match="lambdacloud:"):
            client.instances.launch(
                "gpu_1x_a10", ssh_key="me", tags={"lambdacloud:launch-token": "mine"}
            )

    def test_a_bad_max_runtime_is_refused(self, cloud: FakeLambdaCloud, client: Client) -> None:
        before = len(cloud.requests)
        for bad in (0, -1, float("inf"), "1h", 1e300):
            with pytest.raises(ValidationError, match="max_runtime"):
                client.instances.launch("gpu_1x_a10", ssh_key="me", max_runtime=bad)
        assert len(cloud.requests) == before


class TestBurnRateAndSweep:
    def test_the_burn_rate_of_everything_running_or_booting_in_one_request(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        first = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        client.instances.launch("gpu_1x_a100_sxm4", ssh_key="me", region="us-east-1")
        gone = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        gone.terminate()
        assert first.status == "booting"
        before = len(cloud.requests)
        assert client.instances.burn_rate() == Decimal("0.75") + Decimal("1.29")
        assert len(cloud.requests) == before + 1

    def test_sweep_ends_only_what_is_past_its_expiry(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        now = datetime.now(timezone.utc)
        expired = launch_elsewhere(
            cloud, **{"lambdacloud:expires_at": stamp(now - timedelta(minutes=5))}
        )
        later = launch_elsewhere(
            cloud, **{"lambdacloud:expires_at": stamp(now + timedelta(hours=1))}
        )
        untagged = launch_elsewhere(cloud, team="ml")
        swept = Client(
            api_key=cloud.api_key, base_url=cloud.url, sleep=lambda s: None
        ).instances.sweep()
        assert [i.id for i in swept] == [expired]
        statuses = {i.id: str(i.status) for i in client.instances.list()}
        assert statuses == {expired: "terminating", later: "booting", untagged: "booting"}
        assert client.instances.sweep() == []

    def test_max_runtime_writes_an_expiry_any_client_can_sweep(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        instance = client.instances.launch(
            "gpu_1x_a10", ssh_key="me", region="us-west-1", max_runtime=60
        )
        assert instance.expires_at is not None
        assert instance.launched_at is not None
        assert client.instances.sweep() == []  # not yet
        assert instance.expires_at - instance.launched_at == timedelta(seconds=60)
        cloud.advance(62)
        assert [i.id for i in cloud.client().instances.sweep()] == [instance.id]

    def test_expiry_and_cost_move_with_the_clients_clock(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        # On fake time (the client's injected clock), a test can rehearse an hour in a moment.
        short = client.instances.launch(
            "gpu_1x_a10", ssh_key="me", region="us-west-1", max_runtime=60
        )
        long = client.instances.launch(
            "gpu_1x_a10", ssh_key="me", region="us-west-1", max_runtime=3600
        )
        before = long.cost_so_far
        assert before is not None
        cloud.advance(120)
        assert [i.id for i in client.instances.sweep()] == [short.id]
        assert long.cost_so_far == before + Decimal("0.75") * 120 / 3600
        cloud.advance(3600)
        assert [i.id for i in client.instances.sweep()] == [long.id]


class TestTerminateAtExit:
    def test_the_instance_is_terminated_when_the_interpreter_exits(self, tmp_path: Path) -> None:
        server = subprocess.Popen(
            [sys.executable, "-m", "lambdacloud.testing", "--port", "0", "--api-key", "k-exit",
             "--no-rate-limits", "--no-ssh"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        with server:
            self.check(server)

    @staticmethod
    def check(server: subprocess.Popen[str]) -> None:
        try:
            url = read_url(server)
            script = textwrap.dedent(
                f"""
                from lambdacloud import Client
                client = Client(api_key="k-exit", base_url="{url}", rate_limit=False)
                client.ssh_keys.create("me")
                instance = client.instances.launch(
                    "gpu_1x_a10", ssh_key="me", region="us-west-1", terminate_at_exit=True
                )
                print(instance.id, flush=True)
                """
            )
            run = subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, "LAMBDA_API_KEY": ""},
            )
            instance_id = run.stdout.strip()
            assert run.returncode == 0, run.stderr
            assert f"Terminating instance {instance_id} at exit" in run.stderr
            listed = requests.get(
                f"{url}/api/v1/instances/{instance_id}",
                headers={"Authorization": "Bearer k-exit"},
                timeout=5,
            ).json()["data"]
            assert listed["status"] in ("terminating", "terminated")
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=10)

    def test_it_must_be_a_bool(self, client: Client) -> None:
        with pytest.raises(ValidationError, match="terminate_at_exit"):
            client.instances.launch("gpu_1x_a10", ssh_key="me", terminate_at_exit="yes")  # type: ignore[arg-type]


def read_url(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if found:
            return found.group(0)
    raise AssertionError("the fake cloud did not say where it listens")


class TestMistakesAtLaunch:
    @pytest.mark.parametrize("region", ["us-west-1", None])
    def test_a_misspelled_type_lists_the_valid_names(
        self, cloud: FakeLambdaCloud, client: Client, region: str | None
    ) -> None:
        with pytest.raises(ValidationError, match="gpu_1x_a10, ") as raised:
            client.instances.launch("gpu_1x_a1O", ssh_key="me", region=region)
        assert raised.value.argument == "instance_type"
        assert "gpu_1x_a1O" in str(raised.value)
        assert cloud.count("POST", "/instance-operations/launch") == (1 if region else 0)

    def test_a_key_given_by_id_says_launches_take_its_name(self, client: Client) -> None:
        key = client.ssh_keys.list()[0]
        with pytest.raises(ValidationError, match=f"ssh_key={key.name!r}") as raised:
            client.instances.launch("gpu_1x_a10", ssh_key=key.id, region="us-west-1")
        assert raised.value.argument == "ssh_key"
        assert client.instances.launch("gpu_1x_a10", ssh_key=key, region="us-west-1")


class TestClientTime:
    def test_utc_follows_a_clock_that_keeps_its_own_and_no_other(self) -> None:
        from unittest import mock

        from lambdacloud._clock import wall_clock

        fake = FakeClock(frozen=True)
        fake.advance(3600)
        assert wall_clock(fake)() == fake.wall()
        before = datetime.now(timezone.utc)
        for other in (time.monotonic, lambda: 5.0, mock.Mock(return_value=5.0)):
            # monotonic seconds only (they may stop while a laptop sleeps): the system's UTC
            assert before <= wall_clock(other)() <= datetime.now(timezone.utc)
