"""No secret in any log record, repr or error: API key, jupyter token, private key, user_data."""

from __future__ import annotations

import html
import json
import logging

import pytest
import responses

from lambdacloud import Client, LambdaCloudError

from .conftest import API, API_KEY, load

JUPYTER_TOKEN = "03b7d30d9d3e4d8fa41657bc0d478c1b"
PRIVATE_KEY_MATERIAL = "doNotLeakMe0123456789"
USER_DATA = "#cloud-config\nchpasswd: {list: 'root:user-data-secret-42'}\n"
SECRETS = [API_KEY, JUPYTER_TOKEN, PRIVATE_KEY_MATERIAL, "user-data-secret-42"]


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (422, json.dumps({"detail": [{"input": USER_DATA}]})),
        (400, "<html><pre>" + html.escape(USER_DATA) + "</pre></html>"),
        (200, json.dumps({"echo": USER_DATA})),
        (400, json.dumps({"error": {"code": "x", "message": json.dumps(USER_DATA)}})),
        (400, json.dumps({"error": {"code": "x", "message": html.escape(USER_DATA)}})),
        (400, json.dumps({"error": {"code": "x", "message": f"bad near: {USER_DATA[:40]}"}})),
        (400, json.dumps({"error": {"code": "x", "message": f"line 2: {USER_DATA[20:52]}…"}})),
    ],
    ids=[
        "json-echo",
        "html-echo",
        "2xx-echo",
        "json-escaped-message",
        "html-escaped-message",
        "partial-start",
        "partial-middle",
    ],
)
def test_escaped_echoes_of_user_data_are_not_shown(
    client: Client, mocked: responses.RequestsMock, status: int, body: str
) -> None:
    mocked.post(f"{API}/instance-operations/launch", status=status, body=body)
    with pytest.raises(LambdaCloudError) as raised:
        client.instances.launch("gpu_1x_a10", region="r", ssh_key="k", user_data=USER_DATA)
    for text in (str(raised.value), repr(raised.value)):
        assert_no_secret(text)
        for secret in (USER_DATA, " ".join(USER_DATA.split())):
            runs = [secret[i : i + 8] for i in range(len(secret) - 7)]
            assert [run for run in runs if run in text] == []


@pytest.mark.parametrize("auth", ["bearer", "basic"])
def test_echoed_credentials_are_not_shown(mocked: responses.RequestsMock, auth: str) -> None:
    client = Client(api_key=API_KEY, auth=auth, max_retries=0)  # type: ignore[arg-type]
    mocked.get(f"{API}/regions", status=200, json={"data": []})
    client.regions.list()
    header = mocked.calls[0].request.headers["Authorization"]
    echo = f"<html>400 Bad Request: Authorization: {header}</html>"
    mocked.get(f"{API}/instances", status=400, body=echo)
    with pytest.raises(LambdaCloudError) as raised:
        client.instances.list()
    assert header.split()[1] not in str(raised.value)
    assert API_KEY not in str(raised.value)


def test_a_whole_session_leaks_nothing(
    client: Client, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    launch = f"{API}/instance-operations/launch"
    instance_url = f"{API}/instances/0920582c7ff041399e34823a0be62549"
    echo = f"<html>400: bad header Authorization: Bearer {API_KEY} with {USER_DATA}</html>"
    mocked.post(launch, status=400, body=echo)
    said = {"code": "global/invalid-parameters", "message": f"user_data {USER_DATA} is invalid"}
    mocked.post(launch, status=400, json={"error": said})
    mocked.post(launch, status=429, headers={"Retry-After": "1"}, body="")
    mocked.post(launch, json=load("launched"))
    mocked.get(instance_url, json=load("instance_active"))
    mocked.post(f"{API}/ssh-keys", json=load("ssh_key_generated"))

    shown: list[str] = [repr(client), str(client)]
    options = {"region": "us-east-1", "ssh_key": "my-laptop", "user_data": USER_DATA}
    for _ in range(2):
        with pytest.raises(LambdaCloudError) as raised:
            client.instances.launch("gpu_1x_a10", **options)
        shown += [repr(raised.value), str(raised.value), *map(str, raised.value.args)]
    instance = client.instances.launch("gpu_1x_a10", **options)
    assert instance.jupyter_token == JUPYTER_TOKEN
    shown += [repr(instance), str(instance), repr(instance.instance_type)]
    key = client.ssh_keys.create("generated-key")
    shown += [repr(key), str(key)]

    assert caplog.records, "the session should have logged at DEBUG"
    assert "<redacted>" in "".join(shown)
    for record in caplog.records:
        assert_no_secret(record.getMessage())
    for text in shown:
        assert_no_secret(text)
