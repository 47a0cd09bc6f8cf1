"""FakeLambdaCloud behaves like the API: codes, statuses, constraints, lifecycle, faults."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from lambdacloud import (
    APIConnectionError,
    APITimeoutError,
    Client,
    ConflictError,
    DuplicateError,
    FilesystemInWrongRegionError,
    FirewallRule,
    FirewallRulesetInUseError,
    InsufficientCapacityError,
    InvalidParametersError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from lambdacloud.testing import FakeClock, FakeLambdaCloud

from .test_testing_e2e import assert_conforms

LAUNCH = "/instance-operations/launch"


@pytest.fixture
def cloud() -> Iterator[FakeLambdaCloud]:
    """A fake whose every documented answer is checked against the document afterwards.

    Its clients do not retry (``max_retries=0``, to see each answer as sent), so the rate
    limits are off here: these tests are about codes, constraints and state, and the limits
    have tests of their own.
    """
    with FakeLambdaCloud(
        clock=FakeClock(frozen=True), audit_page_size=2, rate_limits=False
    ) as running:
        yield running
        assert_conforms(running, some=False)


@pytest.fixture
def client(cloud: FakeLambdaCloud) -> Client:
    # No pacing of its own: these tests count the fake's seconds.
    client = cloud.client(max_retries=0, rate_limit=False)
    client.ssh_keys.create("me")
    return client


def launch_body(**changes: Any) -> dict[str, Any]:
    body = {"region_name": "us-west-1", "instance_type_name": "gpu_1x_a10", "ssh_key_names": ["me"]}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


@pytest.mark.parametrize(
    ("changes", "error", "code"),
    [
        ({"ssh_key_names": ["me", "me"]}, InvalidParametersError, "global/invalid-parameters"),
        ({"ssh_key_names": ["nobody"]}, NotFoundError, "global/object-does-not-exist"),
        ({"instance_type_name": "gpu_9x_x"}, NotFoundError, "global/object-does-not-exist"),
        ({"region_name": "moon-1"}, InvalidParametersError, "global/invalid-parameters"),
        ({"region_name": None}, InvalidParametersError, "global/invalid-parameters"),
        ({"hostname": "Bad_Host"}, InvalidParametersError, "global/invalid-parameters"),
        ({"name": "n" * 65}, InvalidParametersError, "global/invalid-parameters"),
        (
            {"user_data": "x" * (1024 * 1024 + 1)},
            InvalidParametersError,
            "global/invalid-parameters",
        ),
        (
            {"tags": [{"key": "lambda-ai-x", "value": "y"}]},
            InvalidParametersError,
            "global/invalid-parameters",
        ),
        (
            {"tags": [{"key": "Team", "value": "y"}]},
            InvalidParametersError,
            "global/invalid-parameters",
        ),
        ({"file_system_names": ["nope"]}, NotFoundError, "global/object-does-not-exist"),
        ({"image": {"family": "windows"}}, NotFoundError, "global/object-does-not-exist"),
        ({"firewall_rulesets": [{"id": "nope"}]}, NotFoundError, "global/object-does-not-exist"),
    ],
)
def test_launch_constraints_are_the_documented_ones(
    client: Client, changes: dict[str, Any], error: type, code: str
) -> None:
    with pytest.raises(error) as raised:
        client.request("POST", LAUNCH, json=launch_body(**changes))
    assert raised.value.code == code
    assert client.instances.list() == []


def test_filesystems_must_be_in_the_launch_region(client: Client) -> None:
    client.filesystems.create("east", "us-east-1")
    with pytest.raises(FilesystemInWrongRegionError):
        client.request("POST", LAUNCH, json=launch_body(file_system_names=["east"]))
    fs = client.filesystems.create("west", "us-west-1")
    body = launch_body(file_system_mounts=[{"mount_point": "/etc", "file_system_id": fs.id}])
    with pytest.raises(InvalidParametersError):
        client.request("POST", LAUNCH, json=body)


def test_unknown_ids_and_paths(client: Client) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.instances.get("0" * 32)
    assert raised.value.code == "global/object-does-not-exist"
    with pytest.raises(NotFoundError) as raised:
        client.ssh_keys.delete("0" * 32)
    assert raised.value.code == "global/not-found"
    with pytest.raises(NotFoundError) as raised:
        client.request("GET", "/no-such-resource")
    assert raised.value.code == "global/not-found"


def test_duplicate_names(client: Client) -> None:
    client.filesystems.create("data", "us-east-1")
    with pytest.raises(DuplicateError):
        client.filesystems.create("data", "us-east-1")
    with pytest.raises(InvalidParametersError):
        client.ssh_keys.create("me")


def test_public_keys_are_checked(client: Client) -> None:
    with pytest.raises(InvalidParametersError):
        client.ssh_keys.create("bad", public_key="not a key")
    good = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICN+lJwsONkwrdsSnQsu1ydUkIuIg5oOC+Eslvmtt60T x"
    assert client.ssh_keys.create("good", public_key=good).public_key == good


def test_lifecycle_on_the_fake_clock(cloud: FakeLambdaCloud, client: Client) -> None:
    instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
    assert instance.status == "booting"
    cloud.advance(59)
    assert instance.refresh().status == "booting"
    cloud.advance(1)
    assert instance.refresh().status == "active"
    assert instance.restart().status == "booting"
    with pytest.raises(ConflictError):
        instance.restart()
    cloud.advance(30)
    assert instance.refresh().status == "active"
    instance.terminate()
    assert instance.status == "terminating"
    cloud.advance(10)
    assert instance.refresh().status == "terminated"
    assert client.instances.list() == []


def test_rulesets_in_use_cannot_be_deleted(cloud: FakeLambdaCloud, client: Client) -> None:
    ruleset = client.firewall_rulesets.create("web", "us-west-1", [FirewallRule("tcp", 443)])
    instance = client.instances.launch(
        "gpu_1x_a10", ssh_key="me", region="us-west-1", firewall_rulesets=[ruleset]
    )
    assert ruleset.refresh().instance_ids == [instance.id]
    assert instance.firewall_rulesets == [ruleset.id]
    with pytest.raises(FirewallRulesetInUseError):
        ruleset.delete()
    instance.terminate()
    ruleset.delete()
    assert client.firewall_rulesets.list() == []


def test_rulesets_update_and_global(client: Client) -> None:
    ruleset = client.firewall_rulesets.create("web", "us-east-1", [])
    ruleset.update(name="web-2", rules=[FirewallRule("udp", (51820, 51820), "1.2.3.4/32")])
    assert client.firewall_rulesets.get(ruleset.id).name == "web-2"
    glob = client.firewall_rulesets.get_global()
    glob.update(rules=[FirewallRule("icmp")])
    assert client.firewall_rulesets.get_global().rules == [FirewallRule("icmp")]


def test_firewall_rules_are_checked(client: Client) -> None:
    bad = {
        "protocol": "icmp",
        "port_range": [1, 2],
        "source_network": "0.0.0.0/0",
        "description": "",
    }
    with pytest.raises(InvalidParametersError):
        client.request("PUT", "/firewall-rules", json={"data": [bad]})
    no_ports = {"protocol": "tcp", "source_network": "0.0.0.0/0", "description": ""}
    with pytest.raises(InvalidParametersError):
        client.request("PUT", "/firewall-rules", json={"data": [no_ports]})
    assert client.firewall_rules.replace([FirewallRule("tcp", 22)]) == [FirewallRule("tcp", 22)]


def test_audit_events_record_changes_only_and_page(client: Client) -> None:
    client.regions.list()
    client.filesystems.create("data", "us-east-1")
    key = client.ssh_keys.create("other")
    key.delete()
    events = list(client.audit_events.list())
    assert [(e.service_name, e.resource_name, e.action) for e in events] == [
        ("cloud", "ssh_key", "created"),
        ("cloud", "filesystem", "created"),
        ("cloud", "ssh_key", "created"),
        ("cloud", "ssh_key", "deleted"),
    ]
    assert events[0].client_user_agent is not None
    assert events[0].client_user_agent.startswith("lambdacloud-client/")
    filesystems = client.audit_events.list(resource_type="cloud.filesystem")
    assert [e.action for e in filesystems] == ["created"]
    with pytest.raises(ValidationError, match=r"Did you mean 'cloud\.filesystem'"):
        client.audit_events.list(resource_type="filesystem")  # the API would return nothing
    later = datetime.now(timezone.utc) + timedelta(days=1)
    assert list(client.audit_events.list(start=later)) == []


def test_rate_limits() -> None:
    with FakeLambdaCloud(rate_limits=True, burst=2, clock=FakeClock(frozen=True)) as limited:
        client = limited.client(max_retries=0, rate_limit=False)
        client.regions.list()
        client.regions.list()
        with pytest.raises(RateLimitError) as raised:
            client.regions.list()
        assert raised.value.retry_after == 1.0
        limited.advance(1)
        client.ssh_keys.create("me")
        limited.advance(5)
        other = limited.client(max_retries=0, rate_limit=False)  # its own launch spacing
        client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        with pytest.raises(RateLimitError) as raised:
            other.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        assert raised.value.retry_after == 12.0
        limited.advance(1)
        assert len(client.instances.list()) == 1


class TestFaults:
    def test_status_faults_match_method_and_path_and_count_down(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        fault = cloud.inject(status=503, method="GET", path="/regions", times=2)
        client.instance_types.list()
        with pytest.raises(ServerError):
            client.regions.list()
        with pytest.raises(ServerError):
            client.regions.list()
        assert client.regions.list()
        assert fault.hits == 2
        assert fault.remaining == 0

    def test_a_dropped_connection(self, cloud: FakeLambdaCloud, client: Client) -> None:
        cloud.inject(drop=True, path="/regions")
        with pytest.raises(APIConnectionError) as raised:
            client.regions.list()
        assert raised.value.request_sent is True
        assert client.regions.list()

    def test_a_truncated_body_is_retried_for_a_get(self, cloud: FakeLambdaCloud) -> None:
        fault = cloud.inject(truncate=True, path="/regions")
        assert cloud.client().regions.list()
        assert fault.hits == 1

    def test_a_slow_answer_times_out(self, cloud: FakeLambdaCloud) -> None:
        cloud.inject(delay=0.3, path="/regions")
        client = cloud.client(max_retries=0, timeout=(1.0, 0.05))
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.regions.list()
        assert time.monotonic() - started < 0.3

    def test_faults_come_before_auth(self, cloud: FakeLambdaCloud) -> None:
        cloud.inject(status=502, body="<html>502</html>")
        with pytest.raises(ServerError, match="502"):
            Client(api_key="wrong", base_url=cloud.url, max_retries=0).regions.list()


def test_capacity_and_preemption_controls(cloud: FakeLambdaCloud, client: Client) -> None:
    with pytest.raises(ValueError, match="instance type"):
        cloud.set_capacity("gpu_9x", "us-east-1", 1)
    with pytest.raises(ValueError, match="region"):
        cloud.set_capacity("gpu_1x_a10", "mars", 1)
    cloud.set_capacity("gpu_1x_a10", "us-west-1", 1)
    instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
    with pytest.raises(InsufficientCapacityError):
        client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
    cloud.preempt(instance.id)
    assert instance.refresh().status == "preempted"
    assert client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")


def test_advance_needs_the_fake_clock() -> None:
    cloud = FakeLambdaCloud(clock=time.monotonic)
    with pytest.raises(TypeError):
        cloud.advance(1)


def test_the_clock_runs_in_real_time_and_jumps() -> None:
    clock = FakeClock()
    first = clock()
    clock.advance(100)
    assert clock() - first >= 100
    with pytest.raises(ValueError, match="back"):
        clock.advance(-1)
    frozen = FakeClock(frozen=True)
    assert frozen() == 0.0
    frozen.sleep(2.5)
    assert frozen() == 2.5


def test_preempted_instances_can_be_terminated(cloud: FakeLambdaCloud, client: Client) -> None:
    instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
    cloud.preempt(instance.id)
    with pytest.raises(ValueError, match="preempted"):
        cloud.preempt(instance.id)
    assert [i.status for i in client.instances.list()] == ["preempted"]
    instance.terminate()
    cloud.advance(10)
    assert instance.refresh().status == "terminated"
    assert client.instances.list() == []
    with pytest.raises(ValueError, match="terminated"):
        cloud.preempt(instance.id)


def test_a_restart_keeps_the_addresses(cloud: FakeLambdaCloud, client: Client) -> None:
    instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
    cloud.advance(60)
    address, hostname = instance.refresh().ip, instance.hostname
    assert address is not None
    assert instance.restart().status == "booting"
    assert (instance.ip, instance.hostname) == (address, hostname)
    assert instance.actions.restart is not None
    assert instance.actions.restart.available is False


def test_images_follow_region_and_architecture(cloud: FakeLambdaCloud, client: Client) -> None:
    images = client.images.list()
    assert {i.architecture for i in images} == {"x86_64", "arm64"}
    arm = client.instances.launch("gpu_1x_gh200", ssh_key="me", region="us-east-3")
    (image,) = [i for i in images if arm.image is not None and i.id == arm.image.id]
    assert (image.architecture, image.region.name) == ("arm64", "us-east-3")
    elsewhere = next(i for i in images if i.region.name == "us-east-1")
    with pytest.raises(InvalidParametersError):
        client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1", image=elsewhere)
    with pytest.raises(InvalidParametersError):
        client.request("POST", LAUNCH, json=launch_body(image={}))
    arm.terminate()
    cloud.advance(10)
    assert arm.refresh().image is None


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Type": "application/json"}, b"{not json"),
        ({"Content-Type": "application/json"}, b"[1, 2]"),
        ({"Content-Type": "application/json"}, b"[" * 50_000),
        ({"Content-Length": "abc"}, b""),
        ({"Content-Length": "-1"}, b""),
        ({"Content-Length": str(64 * 1024 * 1024)}, b""),
    ],
)
def test_unreadable_requests_get_a_400(
    cloud: FakeLambdaCloud, headers: dict[str, str], body: bytes
) -> None:
    import http.client

    connection = http.client.HTTPConnection(
        "127.0.0.1", int(cloud.url.rsplit(":", 1)[1]), timeout=5
    )
    connection.putrequest("POST", "/api/v1/ssh-keys")
    connection.putheader("Authorization", f"Bearer {cloud.api_key}")
    for name, value in headers.items():
        connection.putheader(name, value)
    if "Content-Length" not in headers:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    assert response.status == 400
    assert b"global/invalid-parameters" in response.read()
    connection.close()
    assert cloud.client().ssh_keys.list() == []


def test_chunked_bodies_are_read(cloud: FakeLambdaCloud) -> None:
    import requests

    def chunks() -> Iterator[bytes]:
        yield b'{"name": '
        yield b'"chunked"}'

    answer = requests.post(
        f"{cloud.url}/api/v1/ssh-keys",
        data=chunks(),
        headers={"Authorization": f"Bearer {cloud.api_key}", "Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 200
    assert [k.name for k in cloud.client().ssh_keys.list()] == ["chunked"]


def test_other_methods_get_the_envelope(cloud: FakeLambdaCloud) -> None:
    import requests

    auth = {"Authorization": f"Bearer {cloud.api_key}"}
    head = requests.head(f"{cloud.url}/api/v1/regions", headers=auth, timeout=5)
    assert head.status_code == 404
    assert head.content == b""
    options = requests.options(f"{cloud.url}/api/v1/regions", headers=auth, timeout=5)
    assert options.json()["error"]["code"] == "global/not-found"


def test_error_paths_follow_the_document(cloud: FakeLambdaCloud, client: Client) -> None:
    missing = "0" * 32
    for call in (
        lambda: client.instances.terminate(missing),
        lambda: client.instances.restart(missing),
        lambda: client.instances.update(missing, name="x"),
        lambda: client.firewall_rulesets.get(missing),
        lambda: client.firewall_rulesets.update(missing, name="x"),
        lambda: client.firewall_rulesets.delete(missing),
        lambda: client.filesystems.delete(missing),
    ):
        with pytest.raises(NotFoundError):
            call()
    with pytest.raises(InvalidParametersError):
        client.request("GET", "/audit-events", params={"page_token": "not-ours"})
    with pytest.raises(InvalidParametersError):
        client.request("POST", "/instance-operations/terminate", json={"instance_ids": []})


class TestFaultDetails:
    def test_default_codes_follow_the_status(self, cloud: FakeLambdaCloud, client: Client) -> None:
        cloud.inject(status=404, path="/regions")
        cloud.inject(status=409, path="/regions")
        with pytest.raises(NotFoundError) as not_found:
            client.regions.list()
        assert not_found.value.code == "global/not-found"
        with pytest.raises(ConflictError) as conflict:
            client.regions.list()
        assert conflict.value.code == "global/conflict"

    def test_paths_match_whole_segments(self, cloud: FakeLambdaCloud, client: Client) -> None:
        fault = cloud.inject(status=503, path="/ssh-key")
        assert client.ssh_keys.list()
        assert fault.hits == 0

    def test_headers_alone_are_added_to_the_real_answer(self, cloud: FakeLambdaCloud) -> None:
        import requests

        cloud.inject(headers={"X-Request-Id": "abc"}, path="/regions")
        answer = requests.get(
            f"{cloud.url}/api/v1/regions",
            headers={"Authorization": f"Bearer {cloud.api_key}"},
            timeout=5,
        )
        assert answer.status_code == 200
        assert answer.headers["X-Request-Id"] == "abc"

    def test_a_truncated_launch_launches_once_and_is_found(
        self, cloud: FakeLambdaCloud, client: Client
    ) -> None:
        cloud.inject(truncate=True, method="POST", path=LAUNCH)
        retrying = cloud.client()
        found = retrying.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        assert cloud.count("POST", LAUNCH) == 1
        assert [i.id for i in client.instances.list()] == [found.id]


def test_refused_requests_do_not_book_the_launch_slot() -> None:
    with FakeLambdaCloud(rate_limits=True, burst=1, clock=FakeClock(frozen=True)) as limited:
        client = limited.client()  # absorbs 429s by sleeping on the fake clock
        client.ssh_keys.create("me")  # takes the only token
        client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        launches = [r for r in limited.requests if r.path.endswith(LAUNCH)]
        # Refused for want of a token (retry after 1 s), then accepted: not held for 12 s.
        assert [r.status for r in launches] == [429, 200]
    with pytest.raises(ValueError, match="burst"):
        FakeLambdaCloud(rate_limits=True, burst=0)


def test_stop_ends_every_connection_and_thread() -> None:
    import threading

    before = threading.active_count()
    cloud = FakeLambdaCloud().start()
    client = cloud.client(max_retries=0)
    client.ssh_keys.create("me")
    cloud.stop()
    with pytest.raises(APIConnectionError):
        client.ssh_keys.create("after-stop")
    assert threading.active_count() == before
    with pytest.raises(RuntimeError, match="stopped"):
        cloud.start()
