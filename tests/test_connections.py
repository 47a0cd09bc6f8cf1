"""Connections over real local sockets: one TCP connection carries every call of a Client,
retries and error answers included; the environment's proxy and CA settings are honoured,
read once per Client; bodies are capped and stalls are timeouts, on both send paths."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import requests.adapters

from lambdacloud import (
    APITimeoutError,
    Client,
    MalformedResponseError,
    NotFoundError,
    _response,
    _session,
)

from .conftest import API_KEY, FakeTime, instance_data


class CountingServer(ThreadingHTTPServer):
    """HTTP/1.1 with keep-alive on 127.0.0.1; answers from a queue, counts connections."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.connections = 0
        #: ``(status, payload)`` to answer with JSON, or a function that answers itself.
        self.answers: list[tuple[int, Any] | Callable[[Handler], None]] = []
        self.release = threading.Event()
        self.seen: list[tuple[str, dict[str, str]]] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingServer

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers.items())))
        answer = self.server.answers.pop(0)
        if callable(answer):
            answer(self)
            return
        status, payload = answer
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving() -> Iterator[CountingServer]:
    running = CountingServer()
    thread = threading.Thread(target=running.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.release.set()
        running.shutdown()
        running.server_close()
        thread.join()


@pytest.fixture
def server() -> Iterator[CountingServer]:
    with serving() as running:
        yield running


def hooked_session() -> requests.Session:
    """A session whose response hook makes the client send through requests itself."""
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: response)
    return session


@pytest.mark.parametrize("http", [None, hooked_session], ids=["direct", "through-requests"])
def test_every_call_of_a_client_reuses_one_connection(
    server: CountingServer, fake_time: FakeTime, http: Any
) -> None:
    unavailable = {"error": {"code": "global/internal-error", "message": "try again"}}
    missing = {"error": {"code": "global/object-does-not-exist", "message": "no such instance"}}
    server.answers = [
        (503, unavailable),
        (200, {"data": [instance_data()]}),
        (404, missing),
        (200, {"data": instance_data()}),
    ]
    with Client(
        api_key=API_KEY,
        base_url=server.url,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        session=http() if http else None,
    ) as client:
        assert len(client.instances.list()) == 1  # answered after one retry
        with pytest.raises(NotFoundError):
            client.instances.get("gone")
        assert client.instances.get("0920582c7ff041399e34823a0be62549").status == "active"
    assert server.answers == []
    assert len(fake_time.sleeps) == 1
    assert server.connections == 1


INSTANCES = (200, {"data": [instance_data()]})


@pytest.mark.parametrize("http", [None, hooked_session], ids=["direct", "through-requests"])
def test_the_environment_proxy_is_used_with_its_credentials(
    server: CountingServer, monkeypatch: pytest.MonkeyPatch, http: Any
) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url.replace("http://", "http://proxy-user:pw@"))
    server.answers = [INSTANCES]
    session = http() if http else None
    with Client(api_key=API_KEY, base_url="http://lambda.invalid", session=session) as client:
        assert len(client.instances.list()) == 1
    ((path, headers),) = server.seen
    assert path == "http://lambda.invalid/api/v1/instances"  # a plain-http proxy sees the URL
    credentials = base64.b64encode(b"proxy-user:pw").decode()
    assert headers["Proxy-Authorization"] == f"Basic {credentials}"
    assert headers["Authorization"] == f"Bearer {API_KEY}"


def test_the_environment_is_read_once_per_client(
    server: CountingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url)
    server.answers = [INSTANCES, INSTANCES, INSTANCES]
    with serving() as other, Client(api_key=API_KEY, base_url="http://lambda.invalid") as first:
        first.instances.list()
        monkeypatch.setenv("HTTP_PROXY", other.url)
        first.instances.list()
        assert len(server.seen) == 2  # the first client kept the proxy it started with
        other.answers = [INSTANCES]
        with Client(api_key=API_KEY, base_url="http://lambda.invalid") as second:
            second.instances.list()
        assert len(other.seen) == 1
    assert server.connections == 1


@pytest.fixture
def ca_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text("not read until a TLS handshake\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    return str(bundle)


@pytest.mark.skipif(not _session._URLLIB3_2, reason="the direct path needs urllib3 2")
def test_the_environment_ca_bundle_is_used_directly(ca_bundle: str) -> None:
    with Client(api_key=API_KEY, base_url="https://lambda.invalid") as client:
        pool = client._session._pool()
        assert pool is not None
        assert getattr(pool, "ca_certs", None) == ca_bundle


def test_the_environment_ca_bundle_is_used_through_requests(
    ca_bundle: str, server: CountingServer
) -> None:
    verified: list[Any] = []

    class Recording(requests.adapters.HTTPAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            verified.append(kwargs["verify"])
            return super().send(request, **kwargs)

    session = requests.Session()
    session.mount("http://", Recording())
    server.answers = [INSTANCES]
    with Client(api_key=API_KEY, base_url=server.url, session=session) as client:
        client.instances.list()
    assert verified == [ca_bundle]


def stall_mid_body(handler: Handler) -> None:
    """Headers and the start of the body, then nothing until the test ends."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    handler.wfile.write(b'{"data": [')
    handler.wfile.flush()
    handler.server.release.wait(10)
    handler.close_connection = True


def endless_chunks(handler: Handler) -> None:
    """A chunked 200 that never says how long it is and goes on past the client's cap."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b" " * 16384
    with contextlib.suppress(OSError):  # the client hangs up once it has read enough
        handler.wfile.write(b'%x\r\n{"data": [\r\n' % len(b'{"data": ['))
        for _ in range(64):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        handler.wfile.write(b"0\r\n\r\n")
    handler.close_connection = True


@pytest.mark.parametrize("http", [None, hooked_session], ids=["direct", "through-requests"])
def test_a_stall_in_the_middle_of_a_body_is_a_timeout(server: CountingServer, http: Any) -> None:
    server.answers = [stall_mid_body]
    session = http() if http else None
    with (
        Client(
            api_key=API_KEY,
            base_url=server.url,
            session=session,
            timeout=(1.0, 0.1),
            max_retries=0,
        ) as client,
        pytest.raises(APITimeoutError) as raised,
    ):
        client.instances.list()
    assert raised.value.request_sent is True


@pytest.mark.parametrize("http", [None, hooked_session], ids=["direct", "through-requests"])
def test_a_body_of_unknown_length_is_read_only_up_to_the_cap(
    server: CountingServer, monkeypatch: pytest.MonkeyPatch, http: Any
) -> None:
    monkeypatch.setattr(_response, "MAX_RESPONSE_BYTES", 256 * 1024)
    server.answers = [endless_chunks, INSTANCES]
    session = http() if http else None
    with Client(api_key=API_KEY, base_url=server.url, session=session, max_retries=0) as client:
        with pytest.raises(MalformedResponseError, match="does not read"):
            client.instances.list()
        assert len(client.instances.list()) == 1  # on a new connection: that one was dropped
    assert server.connections == 2
