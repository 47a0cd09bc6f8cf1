"""Bad input fails before any request, with an error that names the argument."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from lambdacloud import Client, InvalidParametersError, LambdaCloudError, ValidationError

from .conftest import FakeTime

USER_DATA_SECRET = "#cloud-config\n# password: hunter2-secret\n"
GOOD = {"region": "us-east-1", "ssh_key": "my-laptop"}


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"ssh_key": None}, "ssh_key"),
        ({"ssh_key": []}, "ssh_key"),
        ({"ssh_key": ["a", "b"]}, "ssh_key"),
        ({"ssh_key": ""}, "ssh_key"),
        ({"name": "n" * 65}, "name"),
        ({"hostname": "Has-Capitals"}, "hostname"),
        ({"hostname": "-leading-dash"}, "hostname"),
        ({"hostname": "under_score"}, "hostname"),
        ({"hostname": "h" * 64}, "hostname"),
        ({"hostname": "trailing\n"}, "hostname"),
        ({"user_data": USER_DATA_SECRET + "x" * (1024 * 1024)}, "user_data"),
        ({"user_data": b"bytes"}, "user_data"),
        ({"tags": {"Team": "x"}}, "tags"),
        ({"tags": {"t": "single-character keys do not match the pattern"}}, "tags"),
        ({"tags": {"lambda-ai-owner": "x"}}, "tags"),
        ({"tags": {"k" * 56: "x"}}, "tags"),
        ({"tags": {"team": "v" * 129}}, "tags"),
        ({"tags": {"team": 5}}, "tags"),
        ({"tags": [("team", "x")]}, "tags"),
        ({"filesystem_mounts": {"fs-id": "/etc/passwd"}}, "filesystem_mounts"),
        ({"filesystem_mounts": {"fs-id": "/data/has space"}}, "filesystem_mounts"),
        ({"filesystem_mounts": {"fs-id": "/data/" + "x" * 256}}, "filesystem_mounts"),
        ({"filesystem_mounts": ["/data/x"]}, "filesystem_mounts"),
        ({"filesystems": b"one-name-not-a-list"}, "filesystems"),
        ({"image": "img", "image_family": "ubuntu-lts"}, "image"),
        ({"image": ""}, "image"),
        ({"region": ""}, "region"),
        ({"firewall_rulesets": [""]}, "firewall_rulesets"),
    ],
)
def test_launch_arguments(
    client: Client, mocked: responses.RequestsMock, options: dict[str, Any], argument: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        client.instances.launch("gpu_1x_a10", **{**GOOD, **options})
    assert raised.value.argument.startswith(argument)
    assert str(raised.value).startswith(argument)
    assert len(mocked.calls) == 0


def test_instance_type_is_checked(client: Client, mocked: responses.RequestsMock) -> None:
    with pytest.raises(ValidationError, match="instance_type"):
        client.instances.launch("", **GOOD)  # type: ignore[arg-type]


def test_user_data_error_does_not_repeat_the_user_data(client: Client) -> None:
    with pytest.raises(ValidationError) as raised:
        client.instances.launch(
            "gpu_1x_a10", user_data=USER_DATA_SECRET + "x" * (1024 * 1024), **GOOD
        )
    assert "hunter2" not in str(raised.value)
    assert "1048" in str(raised.value)


def test_user_data_of_exactly_one_megabyte_is_accepted(
    client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
) -> None:
    url = "https://cloud.lambda.ai/api/v1/instance-operations/launch"
    mocked.post(
        url, status=400, json={"error": {"code": "global/invalid-parameters", "message": "m"}}
    )
    with pytest.raises(InvalidParametersError) as raised:
        client.instances.launch("gpu_1x_a10", user_data="x" * (1024 * 1024), **GOOD)
    assert not isinstance(raised.value, ValidationError)  # it was sent


@pytest.mark.parametrize(
    ("options", "argument"),
    [({}, "name"), ({"name": "n" * 65}, "name"), ({"tags": {"lambda-ai-x": "y"}}, "tags")],
)
def test_update_arguments(
    client: Client, mocked: responses.RequestsMock, options: dict[str, Any], argument: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        client.instances.update("i-1", **options)
    assert raised.value.argument.startswith(argument)


@pytest.mark.parametrize("instances", [[], "", [""], None, 42])
def test_instance_lists(client: Client, mocked: responses.RequestsMock, instances: Any) -> None:
    with pytest.raises(ValidationError, match="instances"):
        client.instances.terminate(instances)
    assert len(mocked.calls) == 0


def test_validation_errors_are_value_errors_and_library_errors() -> None:
    error = ValidationError("hostname", "bad")
    assert isinstance(error, ValueError)
    assert isinstance(error, InvalidParametersError)
    assert isinstance(error, LambdaCloudError)
    assert error.status_code is None
