"""The launch-safety rule over real sockets: what urllib3 really raises decides what is retried."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from lambdacloud import APIConnectionError, APITimeoutError, Client

from .conftest import API_KEY, FakeTime


class MisbehavingServer:
    """A TCP server on 127.0.0.1 that reads each request and then misbehaves.

    ``close``: drop the connection without answering. ``silent``: never answer.
    """

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self.lines: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()
        return f"http://{host}:{port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(1.0)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                data += chunk
            if data:
                self.requests += 1
                self.lines.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
            if self.behaviour == "silent":
                self._held.append(connection)
            else:
                connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self._held:
            connection.close()
        self._listener.close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[MisbehavingServer]:
    running = MisbehavingServer(request.param)
    yield running
    running.stop()


def client_for(url: str, fake_time: FakeTime, **options: object) -> Client:
    return Client(
        api_key=API_KEY,
        base_url=url,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        **options,  # type: ignore[arg-type]
    )


def launch(client: Client) -> None:
    client.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="my-laptop")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_refused_launch_is_retried_because_it_never_left(fake_time: FakeTime) -> None:
    client = client_for(f"http://127.0.0.1:{free_port()}", fake_time, max_retries=3)
    with pytest.raises(APIConnectionError) as raised:
        launch(client)
    assert raised.value.request_sent is False
    assert len(fake_time.sleeps) == 3


@pytest.mark.parametrize("server", ["close"], indirect=True)
def test_launch_dropped_after_sending_is_not_repeated(
    server: MisbehavingServer, fake_time: FakeTime
) -> None:
    with pytest.raises(APIConnectionError) as raised:
        launch(client_for(server.url, fake_time, max_retries=3))
    assert raised.value.request_sent is True
    assert launches(server) == 1


def launches(server: MisbehavingServer) -> int:
    return sum(1 for line in server.lines if line.startswith("POST ") and "/launch" in line)


@pytest.mark.parametrize("server", ["close"], indirect=True)
def test_get_dropped_after_sending_is_repeated(
    server: MisbehavingServer, fake_time: FakeTime
) -> None:
    with pytest.raises(APIConnectionError):
        client_for(server.url, fake_time, max_retries=2).regions.list()
    assert server.requests == 3


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_launch_timing_out_is_not_repeated(server: MisbehavingServer, fake_time: FakeTime) -> None:
    client = client_for(server.url, fake_time, max_retries=3, timeout=(1.0, 0.05))
    with pytest.raises(APITimeoutError) as raised:
        launch(client)
    assert raised.value.request_sent is True
    assert launches(server) == 1
