"""The contract tier's servers: Stoplight Prism, pinned, serving Lambda's own API documents.

Prism is installed by ``tests/contract/install-prism`` (``.ci/run`` calls it; so does the
first contract test on a machine that lacks it). Where it cannot be installed (no Node.js),
the tier is skipped with one line saying how to enable it, unless
``LAMBDACLOUD_REQUIRE_CONTRACT=1`` (set by ``.ci/run``) makes that a failure. Each server runs
on 127.0.0.1 on a free port, in static mode (the document's examples) or dynamic mode (random
schema-valid answers, with ``--seed`` for repeatable ones), and with ``--errors``: a request
the document rejects gets an error answer and an ``sl-violations`` header.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
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
from lambdacloud.testing import FakeLambdaCloud

HERE = Path(__file__).parent
CONTRACT_KEY = "secret_contract-test-key"
PRISM = HERE / "node_modules" / ".bin" / "prism"
OPENAPI = HERE.parent / "openapi"
STARTUP_SECONDS = 120.0
#: Set to 1 to make a tier that cannot run a failure instead of a skip (CI sets it).
REQUIRE = "LAMBDACLOUD_REQUIRE_CONTRACT"
HOW_TO_ENABLE = "install Node.js 18+ with npm, then run tests/contract/install-prism"

#: Seeds for the repeatable dynamic sweeps.
SEEDS_1_10 = ("lambda", "cloud", "gpu", "h100", "a10")
SEEDS_1_9 = ("previous", "release")
SEEDS_1_8 = ("older", "shapes", "still")


class Prism:
    """One Prism mock server process."""

    def __init__(
        self,
        version: str,
        *,
        dynamic: bool,
        seed: str | None = None,
        upstream: str | None = None,
    ) -> None:
        self.version = version
        self.dynamic = dynamic
        self.seed = seed
        self.upstream = upstream
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the server
            prefix="prism-", suffix=".log", delete=False
        )
        document = str(OPENAPI / f"lambda-cloud-api-{version}.json")
        # A proxy validates requests and the upstream's answers, and reports violations in
        # the sl-violations header; without --errors it passes every answer through as is.
        mode = ["proxy", document, upstream] if upstream else ["mock", document, "--errors"]
        command = [str(PRISM), *mode, "--host", "127.0.0.1", "--port", str(self.port)]
        if dynamic:
            command.append("--dynamic")
        if seed is not None:
            command += ["--seed", seed]
        try:
            # A session (and process group) of its own, so stop() ends any children too.
            self._process = subprocess.Popen(
                command,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            self._remove_log()
            raise

    def __repr__(self) -> str:
        if self.upstream is not None:
            return f"Prism({self.version}, proxy to {self.upstream})"
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
        """End the server's whole process group: politely, then whatever is left."""
        _signal_group(self._process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=10)
        _signal_group(self._process.pid, signal.SIGKILL)
        self._process.wait()
        self._remove_log()

    def _remove_log(self) -> None:
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)


class Servers:
    """Every Prism the tier uses, started together (they take seconds each to boot), and the
    fake cloud that one of them, a validating proxy, stands in front of.

    If one fails to start, the ones already started are stopped before the error goes on.
    """

    def __init__(self) -> None:
        self._started: list[Prism] = []
        #: The fake cloud the proxy checks, with the key contract clients use; no rate
        #: limits (their 429 answers are outside the document).
        self.fake = FakeLambdaCloud(api_key=CONTRACT_KEY, rate_limits=False).start()
        try:
            self.proxy = self._start("1.10.0", dynamic=False, upstream=self.fake.url)
            self.static = self._start("1.10.0", dynamic=False)
            self.random = self._start("1.10.0", dynamic=True)
            self.seeded = [self._start("1.10.0", dynamic=True, seed=seed) for seed in SEEDS_1_10]
            self.previous_random = self._start("1.9.3", dynamic=True)
            self.previous_seeded = [
                self._start("1.9.3", dynamic=True, seed=seed) for seed in SEEDS_1_9
            ]
            self.older_random = self._start("1.8.3", dynamic=True)
            self.older_seeded = [
                self._start("1.8.3", dynamic=True, seed=seed) for seed in SEEDS_1_8
            ]
        except BaseException:
            self.stop()
            raise

    def _start(
        self, version: str, *, dynamic: bool, seed: str | None = None, upstream: str | None = None
    ) -> Prism:
        server = Prism(version, dynamic=dynamic, seed=seed, upstream=upstream)
        self._started.append(server)
        return server

    def all(self) -> list[Prism]:
        return list(self._started)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        for server in self._started:
            server.wait_ready(deadline)

    def stop(self) -> None:
        """Stop every server started, even if stopping one of them fails."""
        errors: list[BaseException] = []
        self.fake.stop()
        while self._started:
            try:
                self._started.pop().stop()
            except BaseException as error:  # noqa: BLE001 - raised below, after the rest
                errors.append(error)
        if errors:
            raise errors[0]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or, when required, fail) each test that needs Prism where it cannot run.

    Raised here rather than in the fixture, so that pytest reports the whole tier as one
    line (a skip inside a fixture is reported at each test's own location).
    """
    if "prism" not in getattr(item, "fixturenames", ()):
        return
    problem = prism_problem()
    if problem is None:
        return
    if os.environ.get(REQUIRE, "") not in ("", "0"):
        pytest.fail(f"The contract tier cannot run ({REQUIRE} is set): {problem}")
    pytest.skip(f"contract tier skipped: {problem.splitlines()[0]}; to enable it, {HOW_TO_ENABLE}")


@functools.cache
def prism_problem() -> str | None:
    """Install Prism if needed, once; ``None`` when it is ready, else what stands in the way."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found on PATH"
    result = subprocess.run(
        [str(HERE / "install-prism")], capture_output=True, text=True, timeout=900, check=False
    )
    if result.returncode != 0:
        output = (result.stdout[-2000:] + result.stderr[-2000:]).strip()
        last = output.splitlines()[-1] if output else f"exit status {result.returncode}"
        return f"tests/contract/install-prism failed: {last}\n{output}"
    return None


@pytest.fixture(scope="package")
def prism() -> Iterator[Servers]:
    """The servers, for the contract tests only: they stop when the last one has run, so
    about a dozen node processes do not stay up through the rest of the suite."""
    assert prism_problem() is None, "pytest_runtest_setup skips the tier without Prism"
    servers = Servers()
    try:
        servers.wait_ready()
        yield servers
    finally:
        servers.stop()


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
    # Prism has no rate limits, and the tier must not sleep for real.
    client = Client(api_key=CONTRACT_KEY, base_url=server.url, max_retries=0, rate_limit=False)
    recorder = Recorder(stop_after)
    client._api.session.http.hooks["response"].append(recorder)
    return client, recorder


def _signal_group(pid: int, signal_number: int) -> None:
    """Send a signal to the process group ``pid`` leads, if any of it is left (macOS says
    EPERM for a group of zombies)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal_number)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
