"""FakeLambdaCloud's HTTP edges: both Basic auth forms, unknown methods, every 404's envelope."""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from lambdacloud.testing import FakeClock, FakeLambdaCloud


@pytest.fixture
def cloud() -> Iterator[FakeLambdaCloud]:
    with FakeLambdaCloud(clock=FakeClock(frozen=True), rate_limits=False) as running:
        yield running


def call(
    cloud: FakeLambdaCloud,
    method: str,
    path: str,
    *,
    authorization: str | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], Any]:
    """One request on a fresh connection; the status, headers and JSON body (or None)."""
    port = int(cloud.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {} if authorization is None else {"Authorization": authorization}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        decoded = json.loads(content) if content else None
        return response.status, dict(response.getheaders()), decoded
    finally:
        connection.close()


@pytest.mark.parametrize(
    "authorization",
    [
        "bearer-form",
        "basic-encoded",  # base64("<key>:"), as HTTP has it
        "basic-raw",  # the bare key, as Lambda's documentation also allows
    ],
)
def test_every_documented_form_of_the_key_is_accepted(
    cloud: FakeLambdaCloud, authorization: str
) -> None:
    header = {
        "bearer-form": f"Bearer {cloud.api_key}",
        "basic-encoded": "Basic " + base64.b64encode(f"{cloud.api_key}:".encode()).decode(),
        "basic-raw": f"Basic {cloud.api_key}",
    }[authorization]
    status, _, body = call(cloud, "GET", "/api/v1/regions", authorization=header)
    assert status == 200
    assert body["data"]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic secret_not_the_key",
        "Basic " + base64.b64encode(b"secret_not_the_key:").decode(),
        "Bearer ",
        "Token whatever",
    ],
)
def test_anything_else_is_refused_with_the_envelope(
    cloud: FakeLambdaCloud, authorization: str | None
) -> None:
    status, _, body = call(cloud, "GET", "/api/v1/regions", authorization=authorization)
    assert status == 401
    assert body["error"]["code"] == "global/invalid-api-key"
    assert body["error"]["suggestion"]


def test_a_raw_key_that_is_also_base64_of_another_key_is_not_confused(
    cloud: FakeLambdaCloud,
) -> None:
    impostor = base64.b64encode(b"someone-else:").decode()
    status, _, _ = call(cloud, "GET", "/api/v1/regions", authorization=f"Basic {impostor}")
    assert status == 401


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "BREW"])
def test_unknown_methods_get_a_json_405(cloud: FakeLambdaCloud, method: str) -> None:
    status, headers, body = call(
        cloud, method, "/api/v1/regions", authorization=f"Bearer {cloud.api_key}"
    )
    assert status == 405
    assert headers["Content-Type"] == "application/json"
    assert body["error"]["code"] == "global/method-not-allowed"
    assert method in body["error"]["message"]
    assert body["error"]["suggestion"]
    assert "GET" in headers["Allow"]
    assert cloud.count(method, "/regions", status=405) == 1


@pytest.mark.parametrize(
    ("request_bytes", "status_line"),
    [
        # Before a version is understood the stdlib answers in HTTP/0.9 style: a bare body.
        (b"GET /api/v1/regions HTTP/9.9\r\n\r\n", None),
        (b"GET /api/v1/regions HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", b"HTTP/1.1 431"),
    ],
)
def test_an_unparsable_request_gets_the_envelope(
    cloud: FakeLambdaCloud, request_bytes: bytes, status_line: bytes | None
) -> None:
    import socket

    host, port = cloud.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(request_bytes)
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
    if status_line is not None:
        head, _, answer = answer.partition(b"\r\n\r\n")
        assert head.startswith(status_line)
        assert b"Content-Type: application/json" in head
    assert json.loads(answer)["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/nothing-here"),
        ("GET", "/api/v2/instances"),
        ("DELETE", "/api/v1/regions"),
        ("GET", "/api/v1/instances/" + "0" * 32),
        ("DELETE", "/api/v1/ssh-keys/" + "0" * 32),
        ("DELETE", "/api/v1/filesystems/" + "0" * 32),
        ("GET", "/api/v1/firewall-rulesets/" + "0" * 32),
        ("GET", "/api/v1/tickets/" + "0" * 32),
        ("GET", f"/api/v1/tickets/{'0' * 32}/attachments"),
    ],
)
def test_every_404_has_code_message_and_suggestion(
    cloud: FakeLambdaCloud, method: str, path: str
) -> None:
    status, _, body = call(cloud, method, path, authorization=f"Bearer {cloud.api_key}")
    assert status == 404
    assert set(body["error"]) >= {"code", "message", "suggestion"}
    assert all(body["error"][key] for key in ("code", "message", "suggestion"))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 429, 503])
def test_injected_errors_carry_a_suggestion_too(cloud: FakeLambdaCloud, status: int) -> None:
    cloud.inject(status=status, path="/regions")
    answered, _, body = call(cloud, "GET", "/api/v1/regions")
    assert answered == status
    assert body["error"]["suggestion"]
    assert body["error"]["code"].startswith("global/")


def test_a_fake_nobody_stopped_does_not_delay_exit() -> None:
    import subprocess
    import sys
    import time

    script = (
        "from lambdacloud.testing import FakeLambdaCloud\n"
        "cloud = FakeLambdaCloud().start()\n"
        "cloud.client().regions.list()  # leaves an idle keep-alive connection open\n"
        "print('listed')\n"
    )
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    took = time.monotonic() - started
    assert (finished.returncode, finished.stdout.strip(), finished.stderr) == (0, "listed", "")
    # The handler's idle timeout is 60 s: a thread that held the interpreter would show here.
    assert took < 5
