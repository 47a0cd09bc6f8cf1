"""End to end: the real Client over real sockets against FakeLambdaCloud, whole stories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lambdacloud import (
    AuthenticationError,
    Client,
    FilesystemInUseError,
    FirewallRule,
    InstanceStatus,
    InsufficientCapacityError,
)
from lambdacloud.testing import BAD_GATEWAY_HTML, FakeLambdaCloud

from .spec import response_validator, template

LAUNCH = "/instance-operations/launch"


@pytest.fixture
def cloud() -> Iterator[FakeLambdaCloud]:
    with FakeLambdaCloud() as running:
        yield running


def assert_conforms(cloud: FakeLambdaCloud, *, some: bool = True) -> None:
    """Every documented answer the fake gave matches the 1.10.0 document exactly."""
    checked = 0
    for recorded in cloud.requests:
        path = template(recorded.method, recorded.path)
        if recorded.injected or path is None or recorded.status == 429:
            continue
        validator = response_validator(recorded.method, path, str(recorded.status))
        errors = [e.message for e in validator.iter_errors(recorded.response)]
        assert errors == [], (recorded.method, recorded.path, recorded.status)
        checked += 1
    assert checked > 0 or not some


def test_the_whole_story(cloud: FakeLambdaCloud) -> None:
    client = cloud.client()

    # Look up types and capacity.
    assert client.images.list()
    assert client.regions.list()
    types = {t.name: t for t in client.instance_types.list()}
    a10 = types["gpu_1x_a10"]
    assert a10.price_per_hour > 0
    assert a10.regions_with_capacity
    assert types["gpu_8x_h100_sxm5"].regions_with_capacity == ()

    # Create a key and a filesystem.
    key = client.ssh_keys.create("story-key")
    assert key.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")  # type: ignore[attr-defined]
    region = a10.regions_with_capacity[0].name
    filesystem = client.filesystems.create("story-data", region)
    assert filesystem.is_in_use is False

    # Launch with region=None; it follows the filesystem into its region.
    instance = client.instances.launch(
        a10, ssh_key=key, region=None, filesystems=[filesystem], name="story"
    )
    assert instance.status is InstanceStatus.BOOTING
    assert instance.region.name == region
    assert instance.ip is None

    # Wait until active (on the fake's clock: no real waiting).
    instance.wait_until_active(timeout=15 * 60)
    assert instance.status is InstanceStatus.ACTIVE
    assert instance.ip is not None
    assert instance.hostname
    assert instance.jupyter_url is not None
    assert filesystem.refresh().is_in_use is True
    with pytest.raises(FilesystemInUseError):
        filesystem.delete()

    # Rename and tag.
    instance.update(name="story-renamed", tags={"team": "research"})
    assert client.instances.get(instance.id).name == "story-renamed"
    token = instance.tags["lambdacloud:launch-token"]  # the library's own tags are kept
    assert {k: v for k, v in instance.tags.items() if k != "lambdacloud:launched-at"} == {
        "team": "research",
        "lambdacloud:launch-token": token,
    }

    # Open a port.
    rules = client.firewall_rules.allow(8888, description="Jupyter")
    assert FirewallRule("tcp", 8888, "0.0.0.0/0", "Jupyter") in rules

    # Terminate and wait until terminated.
    assert instance.terminate().status == "terminating"
    instance.wait_for_status("terminated")
    assert instance.status == "terminated"
    assert instance not in client.instances.list()

    # Clean up.
    filesystem.delete()
    key.delete()
    assert client.filesystems.list() == []
    assert client.ssh_keys.list() == []

    actions = [(e.resource_name, e.action) for e in client.audit_events.list()]
    assert ("instance", "launched") in actions
    assert ("instance", "terminated") in actions
    launched = [e for e in client.audit_events.list(resource_type="cloud.instance")]
    assert {e.action for e in launched} == {"launched", "updated", "terminated"}
    assert launched[0].resource_lrns == (f"lrn:cloud:instance:{instance.id}",)
    assert_conforms(cloud)


def test_the_with_block_terminates_on_error(cloud: FakeLambdaCloud) -> None:
    client = cloud.client()
    client.ssh_keys.create("me")
    launched: list[str] = []

    def train() -> None:
        with client.instances.launch("gpu_1x_a10", ssh_key="me") as box:
            launched.append(box.id)
            box.wait_until_active()
            raise RuntimeError("training crashed")

    with pytest.raises(RuntimeError, match="training crashed"):
        train()
    assert client.instances.get(launched[0]).status in ("terminating", "terminated")


def test_no_capacity(cloud: FakeLambdaCloud) -> None:
    client = cloud.client()
    client.ssh_keys.create("me")
    for region in ("us-east-1", "us-west-1"):
        cloud.set_capacity("gpu_1x_a10", region, 0)
    with pytest.raises(InsufficientCapacityError, match="gpu_1x_a10"):
        client.instances.launch("gpu_1x_a10", ssh_key="me")
    with pytest.raises(InsufficientCapacityError):
        client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-east-1")
    # One launch reached the API; the rate limit may have refused an attempt before it.
    reached = [r.status for r in cloud.requests if r.path.endswith(LAUNCH) and r.status != 429]
    assert reached == [400]
    assert client.instances.list() == []
    assert_conforms(cloud)


def test_capacity_is_taken_and_given_back(cloud: FakeLambdaCloud) -> None:
    client = cloud.client()
    client.ssh_keys.create("me")
    cloud.set_capacity("gpu_1x_a10", "us-west-1", 1)
    cloud.set_capacity("gpu_1x_a10", "us-east-1", 0)
    instance = client.instances.launch("gpu_1x_a10", ssh_key="me")
    assert client.instance_types.get("gpu_1x_a10").regions_with_capacity == ()
    instance.terminate()
    assert [r.name for r in client.instance_types.get("gpu_1x_a10").regions_with_capacity] == [
        "us-west-1"
    ]


def test_bad_key(cloud: FakeLambdaCloud) -> None:
    client = Client(api_key="secret_wrong_key", base_url=cloud.url)
    with pytest.raises(AuthenticationError) as raised:
        client.instance_types.list()
    assert raised.value.code == "global/invalid-api-key"
    assert raised.value.status_code == 401
    assert_conforms(cloud)


def test_a_429_storm_is_absorbed_without_a_duplicate_launch(cloud: FakeLambdaCloud) -> None:
    client = cloud.client()
    client.ssh_keys.create("me")
    storm = cloud.inject(
        status=429, headers={"Retry-After": "3"}, times=4, method="POST", path=LAUNCH
    )
    instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
    assert storm.hits == 4
    assert [r.status for r in cloud.requests if r.path.endswith(LAUNCH)] == [429] * 4 + [200]
    assert client.instances.list() == [instance]


def test_a_client_keeps_within_the_clouds_rate_limits_on_its_own() -> None:
    with FakeLambdaCloud(rate_limits=True, burst=2) as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        first = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        second = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        for _ in range(10):
            client.regions.list()
        assert [r.status for r in cloud.requests if r.status == 429] == []
        assert {i.id for i in client.instances.list()} == {first.id, second.id}
        assert cloud.count("POST", LAUNCH) == 2


def test_a_rate_limited_cloud_is_absorbed_without_a_duplicate_launch() -> None:
    with FakeLambdaCloud(rate_limits=True, burst=3) as cloud:
        client = cloud.client(rate_limit=False)
        client.ssh_keys.create("me")
        first = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        second = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        for _ in range(10):
            client.regions.list()
        assert any(r.status == 429 for r in cloud.requests)
        assert {i.id for i in client.instances.list()} == {first.id, second.id}
        assert cloud.count("POST", LAUNCH) == 2


def test_a_502_page_during_a_wait() -> None:
    # No retries in the session, so that only the wait's own tolerance absorbs the 502s;
    # and no rate limits, whose 429s such a client would not absorb either.
    with FakeLambdaCloud(rate_limits=False) as cloud:
        wait_through_a_502_page(cloud)


def wait_through_a_502_page(cloud: FakeLambdaCloud) -> None:
    client = cloud.client(max_retries=0)
    client.ssh_keys.create("me")
    instance = client.instances.launch("gpu_1x_a10", ssh_key="me")
    gateway = cloud.inject(
        status=502, body=BAD_GATEWAY_HTML, times=2, method="GET", path=f"/instances/{instance.id}"
    )
    instance.wait_until_active()
    assert gateway.hits == 2
    assert instance.status == "active"


def test_preemption_ends_a_wait(cloud: FakeLambdaCloud) -> None:
    from lambdacloud import InstanceStatusError

    client = cloud.client()
    client.ssh_keys.create("me")
    instance = client.instances.launch("gpu_1x_a10", ssh_key="me")
    cloud.preempt(instance.id)
    with pytest.raises(InstanceStatusError, match="preempted"):
        instance.wait_until_active()


def test_basic_auth(cloud: FakeLambdaCloud) -> None:
    assert cloud.client(auth="basic").regions.list()


def test_the_pytest_fixture_is_provided_by_the_package(fake_lambda_cloud: FakeLambdaCloud) -> None:
    assert fake_lambda_cloud.url.startswith("http://127.0.0.1:")
    assert fake_lambda_cloud.client().regions.list()
