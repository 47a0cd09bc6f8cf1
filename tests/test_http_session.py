"""The one send path, tried against real local servers as a requests user would: trust,
proxies, the caller's session and its later changes, encodings, closing, interrupts."""

from __future__ import annotations

import base64
import contextlib
import io
import signal
import socket
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import requests.adapters
from urllib3.util.retry import Retry

from lambdacloud import (
    APIConnectionError,
    APITimeoutError,
    Client,
    ClientClosedError,
    MalformedResponseError,
    NotFoundError,
    ProxyAuthenticationError,
)
from lambdacloud._http import decoding

from .conftest import API_KEY, FakeTime, instance_data, load
from .servers import (
    TLS_HOST,
    ApiServer,
    Authority,
    Handler,
    api_server,
    chunked_gzip,
    proxy_server,
    stall,
)

REGIONS = (200, load("regions"))
INSTANCES = (200, {"data": [instance_data()]})


@pytest.fixture
def server() -> Iterator[ApiServer]:
    with api_server() as running:
        yield running


@pytest.fixture(scope="module")
def authority() -> Authority:
    return Authority()


@pytest.fixture
def tls_server(authority: Authority) -> Iterator[ApiServer]:
    with api_server(authority.server_context()) as running:
        yield running


def client_for(url: str, **options: Any) -> Client:
    options.setdefault("rate_limit", False)
    return Client(api_key=API_KEY, base_url=url, **options)


@pytest.fixture
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


class TestOneConnection:
    def test_every_call_of_a_client_reuses_one_connection(
        self, server: ApiServer, fake_time: FakeTime
    ) -> None:
        unavailable = {"error": {"code": "global/internal-error", "message": "try again"}}
        missing = {"error": {"code": "global/object-does-not-exist", "message": "no such one"}}
        server.answers = [
            (503, unavailable),
            INSTANCES,
            (404, missing),
            (200, {"data": instance_data()}),
        ]
        with client_for(server.url, clock=fake_time.clock, sleep=fake_time.sleep) as client:
            assert len(client.instances.list()) == 1  # answered after one retry
            with pytest.raises(NotFoundError):
                client.instances.get("gone")
            assert client.instances.get("0920582c7ff041399e34823a0be62549").status == "active"
        assert server.answers == []
        assert len(fake_time.sleeps) == 1
        assert server.connections == 1


class TestTrust:
    """The CA bundle is requests' (certifi, or REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE), decided
    exactly as ``requests.get`` decides it — never the operating system's store."""

    @pytest.mark.parametrize(
        ("variable", "trusted"),
        [
            (None, False),
            ("SSL_CERT_FILE", False),  # the OS store's override: requests ignores it
            ("REQUESTS_CA_BUNDLE", True),
            ("CURL_CA_BUNDLE", True),
        ],
    )
    def test_trust_is_decided_as_requests_decides_it(
        self,
        tls_server: ApiServer,
        authority: Authority,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        variable: str | None,
        trusted: bool,
    ) -> None:
        for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            monkeypatch.delenv(name, raising=False)
        if variable is not None:
            monkeypatch.setenv(variable, authority.bundle(tmp_path))
        tls_server.default = REGIONS
        url = tls_server.url + "/api/v1/regions"
        with contextlib.suppress(requests.exceptions.SSLError):
            requests.get(url, timeout=5).json()
        requests_trusted = len(tls_server.seen) == 1
        assert requests_trusted is trusted
        with client_for(tls_server.url) as client:
            if trusted:
                assert len(client.regions.list()) == 3
            else:
                with pytest.raises(APIConnectionError) as raised:
                    client.regions.list()
                assert raised.value.retryable is False
        assert len(tls_server.seen) == (2 if trusted else 0)

    @pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
    def test_a_ca_bundle_variable_set_after_the_first_call_applies(
        self,
        tls_server: ApiServer,
        authority: Authority,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        variable: str,
    ) -> None:
        tls_server.default = REGIONS
        with client_for(tls_server.url, max_retries=0) as client:
            with pytest.raises(APIConnectionError):
                client.regions.list()  # untrusted: certifi does not know the test CA
            monkeypatch.setenv(variable, authority.bundle(tmp_path))
            assert len(client.regions.list()) == 3
        assert len(tls_server.seen) == 1

    @pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
    def test_verify_off_when_the_client_is_built_then_on_verifies_again(
        self, tls_server: ApiServer
    ) -> None:
        tls_server.default = REGIONS
        session = requests.Session()
        session.verify = False
        with client_for(tls_server.url, session=session, max_retries=0) as client:
            client.regions.list()
            session.verify = True
            with pytest.raises(APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
                client.regions.list()
        assert len(tls_server.seen) == 1

    def test_verify_turned_off_and_on_again_verifies_again(
        self, tls_server: ApiServer, authority: Authority, tmp_path: Path
    ) -> None:
        tls_server.default = REGIONS
        session = requests.Session()
        with client_for(tls_server.url, session=session) as client:
            session.verify = False
            with pytest.warns(Warning, match="Unverified HTTPS request"):
                client.regions.list()
            session.verify = True
            with pytest.raises(APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
                client.regions.list()
            session.verify = authority.bundle(tmp_path)
            assert len(client.regions.list()) == 3
        assert len(tls_server.seen) == 2

    def test_a_missing_ca_bundle_is_named_and_not_retried(
        self, tls_server: ApiServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        missing = tmp_path / "no-such-bundle.pem"
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(missing))
        sleeps: list[float] = []
        with (
            client_for(tls_server.url, sleep=sleeps.append) as client,
            pytest.raises(APIConnectionError) as raised,
        ):
            client.regions.list()
        assert str(missing) in str(raised.value)
        assert "REQUESTS_CA_BUNDLE" in str(raised.value)
        assert raised.value.retryable is False
        assert raised.value.request_sent is False
        assert sleeps == []
        assert tls_server.connections == 0

    def test_a_missing_client_certificate_is_named(
        self, tls_server: ApiServer, tmp_path: Path
    ) -> None:
        session = requests.Session()
        session.cert = str(tmp_path / "client-cert.pem")
        with (
            client_for(tls_server.url, session=session) as client,
            pytest.raises(APIConnectionError, match=r"client-cert\.pem") as raised,
        ):
            client.regions.list()
        assert raised.value.retryable is False


class TestBodies:
    def test_a_chunked_gzip_body_is_decoded(self, server: ApiServer) -> None:
        server.answers = [chunked_gzip(load("regions"))]
        with client_for(server.url) as client:
            assert [r.name for r in client.regions.list()][:1] == ["us-east-1"]
        assert "gzip" in server.seen[0].header("Accept-Encoding")[0]

    def test_a_stall_in_the_middle_of_a_body_is_a_timeout(self, server: ApiServer) -> None:
        def stall_mid_body(handler: Handler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "100")
            handler.end_headers()
            handler.wfile.write(b'{"data": [')
            handler.wfile.flush()
            handler.server.release.wait(10)
            handler.close_connection = True

        server.answers = [stall_mid_body]
        with (
            client_for(server.url, timeout=(1.0, 0.1), max_retries=0) as client,
            pytest.raises(APITimeoutError) as raised,
        ):
            client.instances.list()
        assert raised.value.request_sent is True

    def test_a_body_of_unknown_length_is_read_only_up_to_the_cap(
        self, server: ApiServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def endless_chunks(handler: Handler) -> None:
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

        monkeypatch.setattr(decoding, "MAX_RESPONSE_BYTES", 256 * 1024)
        server.answers = [endless_chunks, INSTANCES]
        with client_for(server.url, max_retries=0) as client:
            with pytest.raises(MalformedResponseError, match="does not read"):
                client.instances.list()
            assert len(client.instances.list()) == 1  # on a new connection: that one was dropped
        assert server.connections == 2


class TestTheCallersSession:
    """Whatever the caller set on their ``requests.Session`` — before or after building the
    client — applies, except that the API key is always the Authorization sent."""

    def test_changes_after_the_client_was_built_apply(self, server: ApiServer) -> None:
        session = requests.Session()
        with client_for(server.url, session=session) as client:
            client.regions.list()
            session.headers["X-Trace"] = "on"
            session.params = {"trace": "1"}
            client.regions.list()
        first, second = server.seen
        assert first.header("X-Trace") == []
        assert second.header("X-Trace") == ["on"]
        assert second.path == "/api/v1/regions?trace=1"

    def test_a_proxy_set_on_the_session_later_is_used(
        self, server: ApiServer, no_proxy_settings: None
    ) -> None:
        session = requests.Session()
        with proxy_server() as proxy, client_for(server.url, session=session) as client:
            client.regions.list()
            session.proxies = {"http": proxy.url()}
            client.regions.list()
        assert proxy.requests == [f"GET {server.url}/api/v1/regions HTTP/1.1"]
        assert len(server.seen) == 2

    def test_an_environment_proxy_set_after_the_first_call_applies(
        self, server: ApiServer, monkeypatch: pytest.MonkeyPatch, no_proxy_settings: None
    ) -> None:
        with proxy_server() as proxy, client_for(server.url) as client:
            client.regions.list()
            monkeypatch.setenv("HTTP_PROXY", proxy.url())
            client.regions.list()
        assert proxy.requests == [f"GET {server.url}/api/v1/regions HTTP/1.1"]

    def test_an_adapter_mounted_later_is_used_with_its_own_retries(self, server: ApiServer) -> None:
        session = requests.Session()
        unavailable = (503, {"error": {"code": "global/internal-error", "message": "busy"}})
        server.answers = [unavailable, unavailable, REGIONS]
        with client_for(server.url, session=session, max_retries=0) as client:
            adapter = requests.adapters.HTTPAdapter(
                max_retries=Retry(total=2, status_forcelist=[503], backoff_factor=0)
            )
            session.mount(server.url, adapter)
            assert len(client.regions.list()) == 3
        assert len(server.seen) == 3

    def test_the_session_auth_runs_but_the_api_key_is_sent(self, server: ApiServer) -> None:
        calls = []

        def signing(request: requests.PreparedRequest) -> requests.PreparedRequest:
            calls.append(request.url)
            request.headers["X-Signature"] = "signed"
            request.headers["Authorization"] = "Basic c29tZW9uZTplbHNl"
            return request

        session = requests.Session()
        session.auth = signing
        with client_for(server.url, session=session) as client:
            client.regions.list()
            session.auth = ("someone", "else")
            client.regions.list()
        assert len(calls) == 1
        for seen in server.seen:
            assert seen.header("Authorization") == [f"Bearer {API_KEY}"]
        assert server.seen[0].header("X-Signature") == ["signed"]

    def test_netrc_cannot_replace_the_api_key(
        self, server: ApiServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        netrc = tmp_path / "netrc"
        netrc.write_text("machine 127.0.0.1 login someone password else\n")
        monkeypatch.setenv("NETRC", str(netrc))
        with client_for(server.url) as client:
            client.regions.list()
        assert server.seen[0].header("Authorization") == [f"Bearer {API_KEY}"]

    def test_cookies_are_sent_and_kept(self, server: ApiServer) -> None:
        def set_cookie(handler: Handler) -> None:
            handler.send_json(200, load("regions"), {"Set-Cookie": "lb=node-7; Path=/"})

        session = requests.Session()
        session.cookies.set("team", "gpu")
        server.answers = [set_cookie, REGIONS]
        with client_for(server.url, session=session) as client:
            client.regions.list()
            client.regions.list()
        assert server.seen[0].header("Cookie") == ["team=gpu"]
        assert sorted(server.seen[1].header("Cookie")[0].split("; ")) == ["lb=node-7", "team=gpu"]
        assert session.cookies.get("lb") == "node-7"

    def test_a_session_subclass_without_hooks_sees_every_call(self, server: ApiServer) -> None:
        sent: list[str] = []

        class Recording(requests.Session):
            def send(self, request: requests.PreparedRequest, **kwargs: Any) -> Any:
                sent.append(request.path_url)
                return super().send(request, **kwargs)

        with client_for(server.url, session=Recording()) as client:
            client.regions.list()
            client.ssh_keys.list()
        assert sent == ["/api/v1/regions", "/api/v1/ssh-keys"]

    def test_an_instrumented_send_without_hooks_sees_every_call(self, server: ApiServer) -> None:
        traced: list[str] = []
        session = requests.Session()
        original = session.send

        def tracing(request: requests.PreparedRequest, **kwargs: Any) -> Any:
            traced.append(request.path_url)
            return original(request, **kwargs)

        session.send = tracing  # type: ignore[method-assign]
        with client_for(server.url, session=session) as client:
            client.regions.list()
            client.ssh_keys.list()
        assert traced == ["/api/v1/regions", "/api/v1/ssh-keys"]

    def test_a_cookie_set_by_the_server_on_an_empty_jar_is_kept_and_sent(
        self, server: ApiServer
    ) -> None:
        def set_cookie(handler: Handler) -> None:
            handler.send_json(200, load("regions"), {"Set-Cookie": "lb=node-7; Path=/"})

        session = requests.Session()
        server.answers = [set_cookie, REGIONS]
        with client_for(server.url, session=session) as client:
            client.regions.list()
            client.regions.list()
        assert session.cookies.get("lb") == "node-7"
        assert server.seen[1].header("Cookie") == ["lb=node-7"]

    def test_response_hooks_subclasses_and_instrumentation_see_every_call(
        self, server: ApiServer
    ) -> None:
        sent: list[str] = []
        hooked: list[int] = []
        traced: list[str] = []

        class Recording(requests.Session):
            def send(self, request: requests.PreparedRequest, **kwargs: Any) -> Any:
                sent.append(request.method or "")
                return super().send(request, **kwargs)

        session = Recording()
        session.hooks["response"].append(lambda response, **_: hooked.append(response.status_code))
        subclass_send = session.send

        def tracing(request: requests.PreparedRequest, **kwargs: Any) -> Any:
            traced.append(request.path_url)
            return subclass_send(request, **kwargs)

        session.send = tracing  # type: ignore[method-assign]
        with client_for(server.url, session=session) as client:
            client.regions.list()
            client.ssh_keys.list()
        assert sent == ["GET", "GET"]
        assert hooked == [200, 200]
        assert traced == ["/api/v1/regions", "/api/v1/ssh-keys"]

    def test_a_lowercase_content_type_on_the_session_is_sent_once(self, server: ApiServer) -> None:
        session = requests.Session()
        session.headers["content-type"] = "application/json"
        server.default = (200, {"data": {"id": "k1", "name": "me", "public_key": "ssh-ed25519 A"}})
        with client_for(server.url, session=session) as client:
            client.ssh_keys.create("me", public_key="ssh-ed25519 A")
        assert server.seen[0].header("Content-Type") == ["application/json"]


class TestRedirects:
    def test_a_redirect_is_not_followed_and_the_key_stays_home(self, server: ApiServer) -> None:
        with api_server() as elsewhere:

            def moved(handler: Handler) -> None:
                handler.send_response(302)
                handler.send_header("Location", f"{elsewhere.url}/api/v1/regions")
                handler.send_header("Content-Length", "0")
                handler.end_headers()

            server.answers = [moved]
            with client_for(server.url) as client, pytest.raises(Exception, match="redirect"):
                client.regions.list()
            assert elsewhere.seen == []


class TestProxies:
    def test_the_environment_proxy_is_used_with_its_credentials(
        self, server: ApiServer, monkeypatch: pytest.MonkeyPatch, no_proxy_settings: None
    ) -> None:
        server.default = REGIONS
        with proxy_server(credentials=("proxy-user", "pw")) as proxy:
            monkeypatch.setenv("HTTP_PROXY", proxy.url("proxy-user", "pw"))
            with client_for(server.url) as client:
                assert len(client.regions.list()) == 3
        assert proxy.requests == [f"GET {server.url}/api/v1/regions HTTP/1.1"]
        assert server.seen[0].header("Authorization") == [f"Bearer {API_KEY}"]
        assert server.seen[0].header("Proxy-Authorization") == []

    def test_the_api_over_https_through_a_connect_tunnel(
        self,
        tls_server: ApiServer,
        authority: Authority,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        no_proxy_settings: None,
    ) -> None:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", authority.bundle(tmp_path))
        tls_server.default = REGIONS
        with proxy_server(credentials=("u", "p")) as proxy:
            monkeypatch.setenv("HTTPS_PROXY", proxy.url("u", "p"))
            with client_for(f"https://{TLS_HOST}:{tls_server.port}") as client:
                assert len(client.regions.list()) == 3
        (tunnel,) = proxy.requests
        assert tunnel.startswith(f"CONNECT {TLS_HOST}:{tls_server.port} ")

    @pytest.mark.parametrize("scheme", ["http", "https"])
    def test_a_proxy_refusing_its_credentials_is_not_retried(
        self,
        server: ApiServer,
        tls_server: ApiServer,
        monkeypatch: pytest.MonkeyPatch,
        no_proxy_settings: None,
        scheme: str,
    ) -> None:
        target = server if scheme == "http" else tls_server
        sleeps: list[float] = []
        with proxy_server(credentials=("u", "right-password")) as proxy:
            variable = "HTTP_PROXY" if scheme == "http" else "HTTPS_PROXY"
            monkeypatch.setenv(variable, proxy.url("u", "wrong-password-1234"))
            with (
                client_for(target.url, sleep=sleeps.append) as client,
                pytest.raises(ProxyAuthenticationError) as raised,
            ):
                client.regions.list()
        assert proxy.refused == 1
        assert sleeps == []
        assert "407" in str(raised.value)
        assert "wrong-password-1234" not in str(raised.value)
        assert "wrong-password-1234" not in repr(raised.value)
        assert raised.value.request_sent is False
        assert target.seen == []


class TestCredentialsInTheUrl:
    def test_they_appear_nowhere_and_are_never_sent(
        self, server: ApiServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        password = "url-password-5e6f7a"
        client = client_for(server.url.replace("http://", f"http://admin:{password}@"))
        client.regions.list()
        assert server.seen[0].header("Authorization") == [f"Bearer {API_KEY}"]
        assert password not in repr(client)
        assert password not in client.base_url
        server.shutdown()
        server.server_close()
        closed = client_for(f"http://admin:{password}@127.0.0.1:{server.port}", max_retries=0)
        with pytest.raises(APIConnectionError) as raised:
            closed.regions.list()
        assert password not in str(raised.value)
        assert password not in caplog.text


class TestClosing:
    def test_a_closed_client_closes_its_connection_and_refuses_calls(
        self, server: ApiServer
    ) -> None:
        client = client_for(server.url)
        client.regions.list()
        assert server.open_connections == 1
        client.close()
        with pytest.raises(ClientClosedError, match="closed"):
            client.regions.list()
        assert len(server.seen) == 1
        assert wait_for(lambda: server.open_connections == 0)

    def test_closing_the_callers_session_closes_the_connection(self, server: ApiServer) -> None:
        session = requests.Session()
        with client_for(server.url, session=session) as client:
            client.regions.list()
            session.close()
            assert wait_for(lambda: server.open_connections == 0)
            client.regions.list()  # requests opens a new one, as it always does
        assert server.connections == 2


def test_a_response_hook_of_yours_that_reads_the_body_leaves_it_to_the_client(
    server: ApiServer,
) -> None:
    session = requests.Session()
    seen: list[int] = []
    session.hooks["response"].append(lambda response, *a, **k: seen.append(len(response.content)))
    server.answers = [REGIONS]
    client = client_for(server.url, session=session)
    assert len(client.regions.list()) == 3
    assert len(seen) == 1
    assert seen[0] > 0


class TestInterrupts:
    def test_an_interrupted_client_keeps_working(self, server: ApiServer) -> None:
        server.answers = [stall, REGIONS]
        client = client_for(server.url, timeout=(2.0, 5.0))
        main = threading.main_thread().ident
        assert main is not None
        timer = threading.Timer(0.2, signal.pthread_kill, (main, signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                client.regions.list()
        finally:
            timer.cancel()
            server.release.set()
        answered: list[int] = []
        worker = threading.Thread(target=lambda: answered.append(len(client.regions.list())))
        worker.start()
        worker.join(5)
        assert answered == [3]

    @pytest.mark.parametrize("where", ["a response hook", "storing the cookies"])
    def test_ctrl_c_after_the_answer_arrived_does_not_wedge_a_blocking_pool(
        self, server: ApiServer, monkeypatch: pytest.MonkeyPatch, where: str
    ) -> None:
        # One connection, and a pool that blocks until it is returned: an answer left open
        # by the interrupt would hang the next call for ever.
        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=1, pool_block=True))
        server.answers = [REGIONS, REGIONS]
        client = client_for(server.url, session=session)
        fired: list[bool] = []

        def interrupt(*args: Any, **kwargs: Any) -> Any:
            if not fired:
                fired.append(True)
                raise KeyboardInterrupt
            return original(*args, **kwargs)

        if where == "a response hook":
            original: Any = lambda response, *args, **kwargs: response  # noqa: E731
            session.hooks["response"].append(interrupt)
        else:
            original = requests.sessions.extract_cookies_to_jar
            monkeypatch.setattr(requests.sessions, "extract_cookies_to_jar", interrupt)
        with pytest.raises(KeyboardInterrupt):
            client.regions.list()
        answered: list[int] = []
        worker = threading.Thread(
            target=lambda: answered.append(len(client.regions.list())), daemon=True
        )
        worker.start()
        worker.join(5)
        assert answered == [3]


def wait_for(condition: Any, seconds: float = 2.0) -> bool:
    """Poll a condition the server's threads will make true shortly."""
    done = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return True
        done.wait(0.01)
    return bool(condition())


def test_basic_auth_header(server: ApiServer) -> None:
    with client_for(server.url, auth="basic") as client:
        client.regions.list()
    token = base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert server.seen[0].header("Authorization") == [f"Basic {token}"]


class TestReviewFindings:
    """Failures found by trying to break the send path (each failed before its fix)."""

    def test_an_upload_failure_shows_no_signature_anywhere(self) -> None:
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        signature = "X-Amz-Signature=0123456789abcdef0123456789"
        client = client_for(f"http://127.0.0.1:{port}", max_retries=0)
        url = f"http://127.0.0.1:{port}/bucket/object?{signature}"
        with pytest.raises(APIConnectionError) as raised:
            client._api.session.upload("PUT", url, io.BytesIO(b"x"), content_type="text/plain")
        shown = "".join(traceback.format_exception(raised.value))
        assert "0123456789abcdef0123456789" not in shown

    def test_an_upload_carries_nothing_of_the_callers_session(self, server: ApiServer) -> None:
        session = requests.Session()
        session.headers["X-Team-Secret"] = "team"
        session.params = {"trace": "1"}
        session.cookies.set("sid", "cookie")
        server.default = (200, {})
        with client_for(server.url, session=session) as client:
            url = f"{server.url}/bucket/object?sig=abc"
            client._api.session.upload("PUT", url, io.BytesIO(b"x"), content_type="text/plain")
        (seen,) = server.seen
        assert seen.path == "/bucket/object?sig=abc"
        assert seen.header("X-Team-Secret") == []
        assert seen.header("Cookie") == []
        assert seen.header("Authorization") == []

    def test_a_call_waiting_for_its_slot_is_not_sent_once_the_client_closed(
        self, server: ApiServer
    ) -> None:
        clock = FakeTime()

        def sleep(seconds: float) -> None:
            client.close()  # someone closes the client while this call waits
            clock.sleep(seconds)

        client = Client(api_key=API_KEY, base_url=server.url, clock=clock.clock, sleep=sleep)
        client.regions.list()
        client.regions.list()
        with pytest.raises(ClientClosedError):
            client.regions.list()  # the third waits for its slot
        assert len(server.seen) == 2

    def test_an_error_from_the_callers_adapter_may_have_been_sent(self, server: ApiServer) -> None:
        class Breaking(requests.adapters.HTTPAdapter):
            def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
                raise ConnectionResetError(104, "reset by the caller's adapter")

        session = requests.Session()
        session.mount(server.url, Breaking())
        with (
            client_for(
                server.url, session=session, max_retries=3, sleep=lambda seconds: None
            ) as client,
            pytest.raises(APIConnectionError) as raised,
        ):
            client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-east-1")
        assert raised.value.request_sent is True
        assert "REQUESTS_CA_BUNDLE" not in str(raised.value)

    def test_a_proxy_password_is_not_quoted_by_a_parse_error(
        self, monkeypatch: pytest.MonkeyPatch, no_proxy_settings: None
    ) -> None:
        monkeypatch.setenv("HTTP_PROXY", "http://user:proxy-password-77@127.0.0.1:99999")
        with (
            client_for("http://lambda.invalid", max_retries=0) as client,
            pytest.raises(APIConnectionError) as raised,
        ):
            client.regions.list()
        assert "proxy-password-77" not in str(raised.value)

    def test_a_launch_path_spelt_with_a_slash_is_spaced_too(self, fake_time: FakeTime) -> None:
        with api_server() as server:
            server.default = (200, {"data": {"instance_ids": ["x"]}})
            client = Client(
                api_key=API_KEY,
                base_url=server.url,
                clock=fake_time.clock,
                sleep=fake_time.sleep,
                rate_limit=False,
            )
            for _ in range(2):
                client.request("POST", "/instance-operations/launch/")
        assert sum(fake_time.sleeps) >= 12.0
