from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from lambdacloud import (
    CleanupError,
    Client,
    Filesystem,
    FilesystemMount,
    FirewallRuleset,
    InstanceStatus,
    InsufficientCapacityError,
    LaunchAbortedError,
    ServerError,
    ValidationError,
)
from lambdacloud.instances import Instance

from .conftest import API, FakeTime, instance_data, launch_matcher, load

INSTANCE_ID = "0920582c7ff041399e34823a0be62549"
OTHER_ID = "1b2c3d4e5f60718293a4b5c6d7e8f901"
INSTANCE_URL = f"{API}/instances/{INSTANCE_ID}"
LAUNCH = f"{API}/instance-operations/launch"
TERMINATE = f"{API}/instance-operations/terminate"


def envelope(data: Any) -> dict[str, Any]:
    return {"data": data}


def terminated(*ids: str) -> dict[str, Any]:
    items = [instance_data(id=i, status="terminating") for i in ids]
    return envelope({"terminated_instances": items})


class TestRead:
    def test_list(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(
            f"{API}/instances",
            json=envelope([instance_data(), instance_data("instance_booting", id=OTHER_ID)]),
            match=[matchers.query_string_matcher("")],
        )
        active, booting = client.instances.list()
        assert active.id == INSTANCE_ID
        assert active.status is InstanceStatus.ACTIVE
        assert active.ip == "198.51.100.2"
        assert active.region.name == "us-east-1"
        assert active.instance_type.name == "gpu_1x_a10"
        assert active.instance_type.specs.gpus == 1
        assert active.tags == {"team": "research", "project": "llm-7b"}
        assert active.firewall_rulesets == ["c4d291f47f9d436fa39f58493ce3b50d"]
        assert active.file_system_mounts == [
            FilesystemMount(
                mount_point="/data/shared", file_system_id="398578a2336b49079e74043f0bd2cfe8"
            )
        ]
        assert active.actions.migrate.available is False
        assert active.actions.migrate.reason_code == "vm-is-too-old"
        assert active.image is not None
        assert active.image.family == "lambda-stack-24-04"
        assert booting.status == "booting"
        assert (booting.ip, booting.hostname, booting.jupyter_url) == (None, None, None)
        assert booting.tags == {}

    def test_list_by_cluster(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(
            f"{API}/instances",
            json=envelope([]),
            match=[matchers.query_param_matcher({"cluster_id": "c-1"})],
        )
        assert client.instances.list(cluster_id="c-1") == []

    def test_get(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_active"))
        instance = client.instances.get(INSTANCE_ID)
        assert instance.name == "training-node-1"
        assert instance._manager is client.instances

    def test_ids_are_escaped_in_paths(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(f"{API}/instances/..%2Fssh-keys", json=load("instance_active"))
        client.instances.get("../ssh-keys")
        assert mocked.calls[0].request.url == f"{API}/instances/..%2Fssh-keys"

    def test_prices_are_decimal_dollars_beside_cents(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_active"))
        instance = client.instances.get(INSTANCE_ID)
        assert instance.instance_type.price_cents_per_hour == 75
        assert instance.price_per_hour == Decimal("0.75")

    def test_refresh_updates_in_place(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_booting"))
        mocked.get(INSTANCE_URL, json=load("instance_active"))
        instance = client.instances.get(INSTANCE_ID)
        assert instance.refresh() is instance
        assert instance.status == "active"
        assert instance.ip == "198.51.100.2"


class TestIdentity:
    def test_equal_and_hashed_by_id(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_booting"))
        mocked.get(INSTANCE_URL, json=load("instance_active"))
        first, second = client.instances.get(INSTANCE_ID), client.instances.get(INSTANCE_ID)
        assert first.status != second.status
        assert first == second
        assert len({first, second}) == 1

    def test_other_ids_and_types_differ(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_active"))
        mocked.get(f"{API}/instances/{OTHER_ID}", json=envelope(instance_data(id=OTHER_ID)))
        instance = client.instances.get(INSTANCE_ID)
        assert instance != client.instances.get(OTHER_ID)
        assert instance != INSTANCE_ID

    def test_repr_is_short_and_has_no_token(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_active"))
        text = repr(client.instances.get(INSTANCE_ID))
        for shown in ("training-node-1", "active", "gpu_1x_a10", "us-east-1"):
            assert shown in text
        assert "03b7d30d9d3e4d8fa41657bc0d478c1b" not in text
        assert "jupyter" not in text


class TestUpdate:
    def test_rename_and_retag(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_active"))  # to keep the library's tags
        body = {"name": "renamed", "tags": [{"key": "team", "value": "infra"}]}
        mocked.post(
            INSTANCE_URL,
            json=envelope(instance_data(name="renamed", tags=body["tags"])),
            match=[matchers.json_params_matcher(body)],
        )
        updated = client.instances.update(INSTANCE_ID, name="renamed", tags={"team": "infra"})
        assert updated.name == "renamed"
        assert updated.tags == {"team": "infra"}

    def test_empty_tags_clear_them(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_active"))
        mocked.post(
            INSTANCE_URL,
            json=envelope(instance_data(tags=[])),
            match=[matchers.json_params_matcher({"tags": []})],
        )
        assert client.instances.update(INSTANCE_ID, tags={}).tags == {}

    def test_the_librarys_own_tags_survive_new_tags(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        ours = [
            {"key": "lambdacloud:launch-token", "value": "0" * 32},
            {"key": "lambdacloud:expires-at", "value": "2026-12-03T10:00:00Z"},
        ]
        mocked.get(
            INSTANCE_URL, json=envelope(instance_data(tags=[*ours, {"key": "a", "value": "b"}]))
        )
        body = {"tags": [{"key": "team", "value": "infra"}, *ours]}
        mocked.post(
            INSTANCE_URL,
            json=envelope(instance_data(tags=body["tags"])),
            match=[matchers.json_params_matcher(body)],
        )
        instance = client.instances.get(INSTANCE_ID)
        instance.update(tags={"team": "infra"})  # no second read: the object has the tags
        assert instance.tags["lambdacloud:expires-at"] == "2026-12-03T10:00:00Z"
        with pytest.raises(ValidationError, match="lambdacloud:"):
            instance.update(tags={"lambdacloud:expires-at": "never"})

    def test_resource_update_changes_the_object(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_active"))
        mocked.post(
            INSTANCE_URL,
            json=envelope(instance_data(name="new-name")),
            match=[matchers.json_params_matcher({"name": "new-name"})],
        )
        instance = client.instances.get(INSTANCE_ID)
        assert instance.update(name="new-name") is instance
        assert instance.name == "new-name"


class TestActions:
    def test_terminate_several(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.post(
            TERMINATE,
            json=terminated(INSTANCE_ID, OTHER_ID),
            match=[matchers.json_params_matcher({"instance_ids": [INSTANCE_ID, OTHER_ID]})],
        )
        result = client.instances.terminate([INSTANCE_ID, OTHER_ID, INSTANCE_ID])
        assert [i.id for i in result] == [INSTANCE_ID, OTHER_ID]
        assert {i.status for i in result} == {"terminating"}

    def test_instance_terminate_updates_it(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_active"))
        mocked.post(
            TERMINATE,
            json=terminated(INSTANCE_ID),
            match=[matchers.json_params_matcher({"instance_ids": [INSTANCE_ID]})],
        )
        instance = client.instances.get(INSTANCE_ID)
        assert instance.terminate() is instance
        assert instance.status == InstanceStatus.TERMINATING

    def test_restart(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.get(INSTANCE_URL, json=load("instance_active"))
        mocked.post(
            f"{API}/instance-operations/restart",
            json=envelope({"restarted_instances": [instance_data(status="booting")]}),
            match=[matchers.json_params_matcher({"instance_ids": [INSTANCE_ID]})],
        )
        instance = client.instances.get(INSTANCE_ID)
        assert instance.restart().status == "booting"


def expect_launch(mocked: responses.RequestsMock, body: dict[str, Any]) -> None:
    mocked.post(LAUNCH, json=load("launched"), match=[launch_matcher(body)])


class TestLaunch:
    def test_minimal_launch_returns_the_populated_instance(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        expect_launch(
            mocked,
            {
                "region_name": "us-east-1",
                "instance_type_name": "gpu_1x_a10",
                "ssh_key_names": ["my-laptop"],
            },
        )
        mocked.get(INSTANCE_URL, json=load("instance_booting"))
        instance = client.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="my-laptop")
        assert instance.id == INSTANCE_ID
        assert instance.status == "booting"
        assert instance.instance_type.name == "gpu_1x_a10"

    def test_every_option_is_sent_in_the_documented_shape(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        filesystem = client._api.converter.structure(load("filesystems")["data"][0], Filesystem)
        expect_launch(
            mocked,
            {
                "region_name": "us-east-1",
                "instance_type_name": "gpu_1x_a10",
                "ssh_key_names": ["my-laptop"],
                "name": "trainer",
                "hostname": "trainer-1",
                "file_system_names": ["shared-data", "other-fs"],
                "file_system_mounts": [
                    {"mount_point": "/data/shared", "file_system_id": filesystem.id}
                ],
                "image": {"family": "lambda-stack-24-04"},
                "user_data": "#cloud-config\npackages: [htop]\n",
                "tags": [{"key": "team", "value": "research"}],
                "firewall_rulesets": [{"id": "c4d291f47f9d436fa39f58493ce3b50d"}],
            },
        )
        mocked.get(INSTANCE_URL, json=load("instance_booting"))
        client.instances.launch(
            "gpu_1x_a10",
            region="us-east-1",
            ssh_key=["my-laptop"],
            name="trainer",
            hostname="trainer-1",
            filesystems=[filesystem, "other-fs"],
            filesystem_mounts={filesystem: "/data/shared"},
            image_family="lambda-stack-24-04",
            user_data="#cloud-config\npackages: [htop]\n",
            tags={"team": "research"},
            firewall_rulesets=["c4d291f47f9d436fa39f58493ce3b50d"],
        )

    def test_image_object_and_mount_list(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        image_id = "43336648-096d-4cba-9aa2-f9bb7727639d"
        expect_launch(
            mocked,
            {
                "region_name": "us-east-1",
                "instance_type_name": "gpu_1x_a10",
                "ssh_key_names": ["my-laptop"],
                "image": {"id": image_id},
                "file_system_mounts": [
                    {"mount_point": "/home/ubuntu/data", "file_system_id": "fs1"}
                ],
            },
        )
        mocked.get(INSTANCE_URL, json=load("instance_booting"))
        mocked.get(f"{API}/images", json=load("images"))
        image = client.images.list()[0]
        client.instances.launch(
            "gpu_1x_a10",
            region="us-east-1",
            ssh_key="my-laptop",
            image=image,
            filesystem_mounts=[
                FilesystemMount(mount_point="/home/ubuntu/data", file_system_id="fs1")
            ],
        )

    def test_region_none_picks_a_region_with_capacity(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(f"{API}/instance-types", json=load("instance_types"))
        expect_launch(
            mocked,
            {
                "region_name": "us-west-1",
                "instance_type_name": "gpu_1x_a10",
                "ssh_key_names": ["my-laptop"],
            },
        )
        mocked.get(INSTANCE_URL, json=load("instance_booting"))
        client.instances.launch("gpu_1x_a10", ssh_key="my-laptop")

    @pytest.mark.parametrize("argument", ["filesystems", "filesystem_mounts"])
    def test_region_none_follows_the_filesystems(
        self, client: Client, mocked: responses.RequestsMock, argument: str
    ) -> None:
        filesystem = client._api.converter.structure(load("filesystems")["data"][0], Filesystem)
        if argument == "filesystems":
            options: dict[str, Any] = {"filesystems": [filesystem]}
            sent: dict[str, Any] = {"file_system_names": ["shared-data"]}
        else:
            options = {"filesystem_mounts": {filesystem: "/data/x"}}
            sent = {
                "file_system_mounts": [{"mount_point": "/data/x", "file_system_id": filesystem.id}]
            }
        mocked.get(f"{API}/instance-types", json=load("instance_types"))
        body = {
            "region_name": "us-east-1",
            "instance_type_name": "gpu_1x_a10",
            "ssh_key_names": ["k"],
        }
        expect_launch(mocked, {**body, **sent})
        mocked.get(INSTANCE_URL, json=load("instance_booting"))
        client.instances.launch("gpu_1x_a10", ssh_key="k", **options)

    def test_filesystems_in_other_regions_fail_before_any_request(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        east, west = (
            client._api.converter.structure(data, Filesystem)
            for data in load("filesystems")["data"]
        )
        with pytest.raises(ValidationError, match="filesystems"):
            client.instances.launch("gpu_1x_a10", ssh_key="k", filesystems=[east, west])
        with pytest.raises(ValidationError, match="region"):
            client.instances.launch(
                "gpu_1x_a10", ssh_key="k", region="us-west-1", filesystem_mounts={east: "/data/x"}
            )
        ruleset = client._api.converter.structure(load("firewall_ruleset")["data"], FirewallRuleset)
        assert ruleset.region.name == "us-east-1"
        with pytest.raises(ValidationError, match="region"):
            client.instances.launch(
                "gpu_1x_a10", ssh_key="k", region="us-west-1", firewall_rulesets=[ruleset]
            )
        with pytest.raises(ValidationError, match="different regions"):
            client.instances.launch(
                "gpu_1x_a10", ssh_key="k", filesystems=[west], firewall_rulesets=[ruleset]
            )
        assert len(mocked.calls) == 0

    def test_region_none_follows_the_firewall_rulesets(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        ruleset = client._api.converter.structure(load("firewall_ruleset")["data"], FirewallRuleset)
        mocked.get(f"{API}/instance-types", json=load("instance_types"))
        expect_launch(
            mocked,
            {
                "region_name": "us-east-1",
                "instance_type_name": "gpu_1x_a10",
                "ssh_key_names": ["k"],
                "firewall_rulesets": [{"id": ruleset.id}],
            },
        )
        mocked.get(INSTANCE_URL, json=load("instance_booting"))
        client.instances.launch("gpu_1x_a10", ssh_key="k", firewall_rulesets=[ruleset])

    def test_region_none_without_capacity_names_the_type_and_sends_no_launch(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(f"{API}/instance-types", json=load("instance_types"))
        with pytest.raises(InsufficientCapacityError, match="gpu_8x_h100_sxm5"):
            client.instances.launch("gpu_8x_h100_sxm5", ssh_key="my-laptop")
        assert [c.request.method for c in mocked.calls] == ["GET"]

    def test_region_none_with_an_unknown_type(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(f"{API}/instance-types", json=load("instance_types"))
        with pytest.raises(ValidationError, match=r"gpu_9x_nope.*the API offers: gpu_1x_a10"):
            client.instances.launch("gpu_9x_nope", ssh_key="my-laptop")

    def test_server_side_capacity_error(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        error = {
            "code": "instance-operations/launch/insufficient-capacity",
            "message": "Not enough capacity to fulfill launch request.",
        }
        mocked.post(LAUNCH, json={"error": error}, status=400)
        with pytest.raises(InsufficientCapacityError):
            client.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="my-laptop")

    def test_read_back_waits_for_a_new_instance_to_appear(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.post(LAUNCH, json=load("launched"))
        not_found = {"error": {"code": "global/object-does-not-exist", "message": "no"}}
        mocked.get(INSTANCE_URL, json=not_found, status=404)
        mocked.get(INSTANCE_URL, json=load("instance_booting"))
        instance = client.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="k")
        assert instance.id == INSTANCE_ID
        assert fake_time.sleeps == [0.5]

    def test_instance_that_cannot_be_read_back_is_terminated(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.post(LAUNCH, json=load("launched"))
        mocked.get(INSTANCE_URL, status=500, body="")
        mocked.post(
            TERMINATE,
            json=terminated(INSTANCE_ID),
            match=[matchers.json_params_matcher({"instance_ids": [INSTANCE_ID]})],
        )
        with pytest.raises(LaunchAbortedError) as raised:
            client.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="k")
        assert raised.value.instance_ids == [INSTANCE_ID]
        assert raised.value.terminated is True
        assert isinstance(raised.value.__cause__, ServerError)

    def test_failed_cleanup_says_the_instance_may_be_running(
        self, client: Client, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
    ) -> None:
        mocked.post(LAUNCH, json=load("launched"))
        mocked.get(INSTANCE_URL, status=500, body="")
        mocked.post(TERMINATE, status=500, body="")
        with pytest.raises(LaunchAbortedError) as raised:
            client.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="k")
        assert raised.value.terminated is False
        assert INSTANCE_ID in str(raised.value)
        assert "may still be running" in caplog.text

    def test_interrupt_while_reading_back_terminates_and_reraises(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.post(LAUNCH, json=load("launched"))
        mocked.add_callback("GET", INSTANCE_URL, callback=interrupt)
        mocked.post(TERMINATE, json=terminated(INSTANCE_ID))
        with pytest.raises(KeyboardInterrupt):
            client.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="k")
        assert mocked.calls[-1].request.url == TERMINATE


def interrupt(request: Any) -> Any:
    raise KeyboardInterrupt


class TestContextManager:
    def launch(self, client: Client, mocked: responses.RequestsMock) -> Instance:
        mocked.post(LAUNCH, json=load("launched"))
        mocked.get(INSTANCE_URL, json=load("instance_booting"))
        return client.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="k")

    def test_terminated_when_the_block_ends(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.post(TERMINATE, json=terminated(INSTANCE_ID))
        with self.launch(client, mocked) as instance:
            assert instance.status == "booting"
        assert instance.status == "terminating"
        assert mocked.calls[-1].request.url == TERMINATE

    @pytest.mark.parametrize("exception", [RuntimeError("training crashed"), KeyboardInterrupt()])
    def test_terminated_when_the_block_raises(
        self, client: Client, mocked: responses.RequestsMock, exception: BaseException
    ) -> None:
        mocked.post(TERMINATE, json=terminated(INSTANCE_ID))
        with pytest.raises(type(exception)), self.launch(client, mocked):
            raise exception
        assert mocked.calls[-1].request.url == TERMINATE

    def test_not_terminated_twice(self, client: Client, mocked: responses.RequestsMock) -> None:
        mocked.post(TERMINATE, json=terminated(INSTANCE_ID))
        with self.launch(client, mocked) as instance:
            instance.terminate()
        assert [c.request.url for c in mocked.calls].count(TERMINATE) == 1

    def test_a_404_right_after_launch_is_retried_until_the_api_confirms(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        gone = {"error": {"code": "global/object-does-not-exist", "message": "not yet"}}
        mocked.post(TERMINATE, json=gone, status=404)
        mocked.post(TERMINATE, json=gone, status=404)
        mocked.post(TERMINATE, json=terminated(INSTANCE_ID))
        with self.launch(client, mocked) as instance:
            pass
        assert instance.status == "terminating"
        assert [c.request.url for c in mocked.calls].count(TERMINATE) == 3

    def test_a_404_that_lasts_is_never_reported_as_terminated(
        self,
        client: Client,
        mocked: responses.RequestsMock,
        fake_time: FakeTime,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        gone = {"error": {"code": "global/object-does-not-exist", "message": "gone"}}
        mocked.post(TERMINATE, json=gone, status=404)
        started = fake_time.now
        with pytest.raises(CleanupError) as raised, self.launch(client, mocked):
            pass
        assert raised.value.instance_ids == [INSTANCE_ID]
        assert INSTANCE_ID in str(raised.value)
        assert "may still be running" in caplog.text
        assert 50.0 <= fake_time.now - started <= 70.0  # kept trying for about a minute

    def test_termination_on_exit_survives_transient_failures(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.post(TERMINATE, status=502, body="<html>502</html>")
        mocked.post(TERMINATE, body=requests.exceptions.ConnectionError("reset"))
        mocked.post(TERMINATE, json=terminated(INSTANCE_ID))
        with self.launch(client, mocked) as instance:
            pass
        assert instance.status == "terminating"
        assert [c.request.url for c in mocked.calls].count(TERMINATE) == 3

    def test_failed_termination_is_raised_and_logged(
        self, client: Client, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
    ) -> None:
        mocked.post(TERMINATE, status=500, body="")
        with pytest.raises(CleanupError) as raised, self.launch(client, mocked):
            pass
        assert isinstance(raised.value.__cause__, ServerError)
        assert "may still be running" in caplog.text


def test_unknown_status_is_kept_as_a_string(mocked: responses.RequestsMock) -> None:
    data = instance_data(status="hibernating", brand_new_field={"x": 1})
    data["region"] = {"name": "mars-north-1", "description": "Mars"}
    mocked.get(INSTANCE_URL, json=envelope(data))
    instance = Client(api_key="k").instances.get(INSTANCE_ID)
    assert instance.status == "hibernating"
    assert not isinstance(instance.status, InstanceStatus)
    assert instance.region.name == "mars-north-1"


def test_instance_data_is_not_shared_between_copies() -> None:
    first, second = instance_data(), instance_data()
    first["tags"].append({"key": "x", "value": "y"})
    assert second["tags"] != first["tags"]
    assert copy.deepcopy(first) == first
