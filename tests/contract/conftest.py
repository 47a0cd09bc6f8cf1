"""The contract tier's servers: Stoplight Prism, pinned, serving Lambda's own API documents.

Prism is installed by ``tests/contract/install-prism`` (``.ci/run`` calls it; so does the
first contract test on a machine that lacks it). Each server runs on 127.0.0.1 on a free
port, in static mode (the document's examples) or dynamic mode (random schema-valid answers,
with ``--seed`` for repeatable ones), and with ``--errors``: a request the document rejects
gets an error answer and an ``sl-violations`` header.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lambdacloud import Client

HERE = Path(__file__).parent
PRISM = HERE / "node_modules" / ".bin" / "prism"
OPENAPI = HERE.parent / "openapi"
STARTUP_SECONDS = 120.0

#: Seeds for the repeatable dynamic sweeps.
SEEDS_1_10 = ("lambda", "cloud", "gpu", "h100", "a10")
SEEDS_1_8 = ("older", "shapes", "still")


class Prism:
    """One Prism mock server process."""

    def __init__(self, version: str, *, dynamic: bool, seed: str | None = None) -> None:
        self.version = version
        self.dynamic = dynamic
        self.seed = seed
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the server
            prefix="prism-", suffix=".log", delete=False
        )
        command = [
            str(PRISM),
            "mock",
            str(OPENAPI / f"lambda-cloud-api-{version}.json"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--errors",
        ]
        if dynamic:
            command.append("--dynamic")
        if seed is not None:
            command += ["--seed", seed]
        self._process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def __repr__(self) -> str:
        mode = f"dynamic seed={self.seed}" if self.dynamic else "static"
        return f"Prism({self.version}, {mode})"

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self} exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self} did not start in {STARTUP_SECONDS:g} s:\n{self.log()}")

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)


class Servers:
    """Every Prism the tier uses, started together (they take seconds each to boot)."""

    def __init__(self) -> None:
        self.static = Prism("1.10.0", dynamic=False)
        self.random = Prism("1.10.0", dynamic=True)
        self.seeded = [Prism("1.10.0", dynamic=True, seed=seed) for seed in SEEDS_1_10]
        self.older_random = Prism("1.8.3", dynamic=True)
        self.older_seeded = [Prism("1.8.3", dynamic=True, seed=seed) for seed in SEEDS_1_8]

    def all(self) -> list[Prism]:
        return [self.static, self.random, *self.seeded, self.older_random, *self.older_seeded]


@pytest.fixture(scope="session")
def prism() -> Iterator[Servers]:
    _install_prism()
    servers = Servers()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        for server in servers.all():
            server.wait_ready(deadline)
        yield servers
    finally:
        for server in servers.all():
            server.stop()


class Recorder:
    """What a contract client sent and got: statuses and Prism's violation reports."""

    def __init__(self, stop_after: int | None) -> None:
        self.exchanges: list[tuple[str, str, int, str | None]] = []
        self.stop_after = stop_after

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        self.exchanges.append(
            (
                str(request.method),
                str(request.path_url),
                response.status_code,
                response.headers.get("sl-violations"),
            )
        )
        if self.stop_after is not None and len(self.exchanges) > self.stop_after:
            response.close()  # the connection goes back before the exception unwinds
            raise EnoughPages

    @property
    def violations(self) -> list[tuple[str, str, int, str | None]]:
        return [e for e in self.exchanges if e[3] or e[2] >= 400]


class EnoughPages(Exception):
    """Raised by the recorder to stop following page tokens (random ones never end)."""


def contract_client(server: Prism, *, stop_after: int | None = None) -> tuple[Client, Recorder]:
    """A client for ``server`` that records every exchange; it stops paging after
    ``stop_after`` answers."""
    client = Client(api_key="secret_contract-test-key", base_url=server.url, max_retries=0)
    recorder = Recorder(stop_after)
    client._session.http.hooks["response"].append(recorder)
    return client, recorder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _install_prism() -> None:
    result = subprocess.run(
        [str(HERE / "install-prism")], capture_output=True, text=True, timeout=900, check=False
    )
    if result.returncode != 0:
        pytest.fail(
            "Could not install Prism with tests/contract/install-prism (needs node and npm):\n"
            + result.stdout[-2000:]
            + result.stderr[-2000:]
        )
