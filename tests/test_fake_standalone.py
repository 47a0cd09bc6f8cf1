"""``python -m lambdacloud.testing``: the fake as a server of its own, talked to as any other
language would, over plain HTTP, and stopped with a signal."""

from __future__ import annotations

import base64
import http.client
import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

KEY = "secret_standalone-key"


@dataclass
class Server:
    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def line(self, starting: str, timeout: float = 30.0) -> str:
        """The first line of its output that starts so, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        while True:
            for seen in self.seen:
                if seen.startswith(starting):
                    return seen
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line starting {starting!r} in {self.seen}")
            try:
                self.seen.append(self.lines.get(timeout=left))
            except queue.Empty:
                continue

    @property
    def address(self) -> tuple[str, int]:
        url = self.line("URL:").split()[-1]
        host, port = url.removeprefix("http://").split(":")
        return host, int(port)

    def call(
        self,
        method: str,
        path: str,
        *,
        key: str | None = KEY,
        body: Any = None,
        basic: bool = False,
    ) -> tuple[int, Any]:
        connection = http.client.HTTPConnection(*self.address, timeout=10)
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Basic {key}" if basic else f"Bearer {key}"
        try:
            connection.request(
                method, path, body=None if body is None else json.dumps(body), headers=headers
            )
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def close(self) -> None:
        """Kill it if it still runs, and close its pipes once its output is read."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=15)
        if self.reader is not None:
            self.reader.join(timeout=15)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()

    def stop(self, signal_number: int) -> tuple[int, str]:
        self.process.send_signal(signal_number)
        returncode = self.process.wait(timeout=15)
        assert self.process.stderr is not None
        return returncode, self.process.stderr.read()


def start(*arguments: str) -> Server:
    process = subprocess.Popen(
        [sys.executable, "-m", "lambdacloud.testing", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    server = Server(process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.put(line.rstrip("\n"))

    server.reader = threading.Thread(target=read, daemon=True)
    server.reader.start()
    return server


@pytest.fixture
def server() -> Iterator[Server]:
    running = start("--api-key", KEY, "--no-rate-limits", "--boot-seconds", "0")
    try:
        yield running
    finally:
        running.close()


def test_it_serves_the_api_to_any_client_and_stops_cleanly_on_ctrl_c(server: Server) -> None:
    assert server.line("API key:").split()[-1] == KEY
    assert server.line("SSH port:").split()[2].isdigit()
    assert server.address[0] == "127.0.0.1"
    assert "curl" in server.line("  curl -H")

    status, body = server.call("GET", "/api/v1/instance-types")
    assert status == 200
    assert "gpu_1x_a10" in body["data"]
    encoded = base64.b64encode(f"{KEY}:".encode()).decode()
    assert server.call("GET", "/api/v1/regions", key=encoded, basic=True)[0] == 200
    assert server.call("GET", "/api/v1/regions", basic=True)[0] == 200
    assert server.call("GET", "/api/v1/regions", key="secret_wrong")[0] == 401

    status, key = server.call("POST", "/api/v1/ssh-keys", body={"name": "cli"})
    assert status == 200
    assert key["data"]["private_key"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    status, launched = server.call(
        "POST",
        "/api/v1/instance-operations/launch",
        body={
            "region_name": "us-west-1",
            "instance_type_name": "gpu_1x_a10",
            "ssh_key_names": ["cli"],
        },
    )
    assert status == 200
    (instance_id,) = launched["data"]["instance_ids"]
    status, instance = server.call("GET", f"/api/v1/instances/{instance_id}")
    assert (status, instance["data"]["status"]) == (200, "active")  # --boot-seconds 0

    returncode, stderr = server.stop(signal.SIGINT)
    assert returncode == 0
    assert "Traceback" not in stderr
    assert stderr == ""
    assert server.line("Stopped.") == "Stopped."
    with pytest.raises(ConnectionRefusedError), socket.create_connection(server.address, timeout=2):
        pass


def test_sigterm_stops_it_too(server: Server) -> None:
    assert server.call("GET", "/api/v1/regions")[0] == 200
    assert server.stop(signal.SIGTERM) == (0, "")


def test_the_options_reach_the_fake() -> None:
    running = start("--seed", "42", "--capacity", "scarce", "--no-ssh")
    try:
        key = running.line("API key:").split()[-1]
        assert key.startswith("secret_fake_")  # random, printed
        assert running.line("SSH port:").endswith("off")
        assert running.line("Capacity:").endswith("scarce, seed 42")
        assert running.line("Rate limits:").startswith("Rate limits: on")
        status, body = running.call("GET", "/api/v1/instance-types", key=key)
        assert status == 200
        steady = [t for t in body["data"].values() if t["regions_with_capacity_available"]]
        assert steady == []  # scarce: nothing steady; seed 42's first window opens 52 s in
        statuses = [running.call("GET", "/api/v1/regions", key=key)[0] for _ in range(3)]
        assert 429 in statuses
        assert running.stop(signal.SIGINT) == (0, "")
    finally:
        running.close()


def test_a_port_in_use_is_an_error_without_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finished = subprocess.run(
            [sys.executable, "-m", "lambdacloud.testing", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert finished.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_help() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "lambdacloud.testing", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert finished.returncode == 0
    for option in ("--host", "--port", "--api-key", "--seed", "--no-rate-limits", "--capacity"):
        assert option in finished.stdout
