"""Real local servers for the transport tests: an HTTP(S) API stand-in that records what it
receives, and a forward proxy (plain and CONNECT) that may demand credentials.

Everything listens on 127.0.0.1 and is stopped by its context manager.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseRequestHandler, ThreadingTCPServer
from typing import Any

import trustme

#: The host name the TLS certificate is for; the proxy resolves every name to 127.0.0.1.
TLS_HOST = "api.lambda.test"


@dataclass
class Seen:
    """One request the API stand-in received."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        """Every value of a header, however often it was sent."""
        return [value for key, value in self.headers if key.lower() == name.lower()]


Answer = tuple[int, Any] | Callable[["Handler"], None]


class ApiServer(ThreadingHTTPServer):
    """HTTP/1.1 with keep-alive; answers from a queue (or a default), records every request."""

    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.answers: list[Answer] = []
        self.default: Answer = (200, {"data": []})
        self.seen: list[Seen] = []
        self.connections = 0
        self.open_connections = 0
        self.release = threading.Event()
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def next_answer(self) -> Answer:
        with self.lock:
            return self.answers.pop(0) if self.answers else self.default


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ApiServer

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1
            self.server.open_connections += 1

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.lock:
            self.server.open_connections -= 1

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(Seen(self.command, self.path, list(self.headers.items()), body))
        answer = self.server.next_answer()
        if callable(answer):
            answer(self)
        else:
            self.send_json(*answer)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def api_server(tls: ssl.SSLContext | None = None) -> Iterator[ApiServer]:
    running = ApiServer(tls)
    thread = threading.Thread(target=running.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.release.set()
        running.shutdown()
        running.server_close()
        thread.join()


@dataclass
class Authority:
    """A test certificate authority and a server certificate for ``TLS_HOST`` and 127.0.0.1."""

    ca: trustme.CA = field(default_factory=trustme.CA)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert(TLS_HOST, "127.0.0.1").configure_cert(context)
        return context

    def bundle(self, directory: Any) -> str:
        """The CA certificate as a PEM file in ``directory``."""
        path = directory / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return str(path)


def chunked_gzip(payload: Any) -> Callable[[Handler], None]:
    """An answer as CDNs send it: gzip-compressed, in chunks, with no length."""

    def answer(handler: Handler) -> None:
        compressed = gzip.compress(json.dumps(payload).encode())
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(compressed), 7):
            piece = compressed[start : start + 7]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        handler.wfile.write(b"0\r\n\r\n")

    return answer


def stall(handler: Handler) -> None:
    """Read the request, then say nothing until the test releases the server."""
    handler.server.release.wait(10)
    handler.close_connection = True


class ProxyServer(ThreadingTCPServer):
    """A forward proxy: ``CONNECT`` tunnels and absolute-URI requests, to 127.0.0.1 only.

    With ``credentials`` set, a request without exactly those (``Proxy-Authorization:
    Basic``) is answered 407.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.credentials = credentials
        self.requests: list[str] = []
        self.refused = 0

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, user: str | None = None, password: str | None = None) -> str:
        login = f"{user}:{password}@" if user is not None else ""
        return f"http://{login}127.0.0.1:{self.port}"


class ProxyHandler(BaseRequestHandler):
    server: ProxyServer

    def handle(self) -> None:
        client = self.request
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk:
                return
            head += chunk
        header_block, _, rest = head.partition(b"\r\n\r\n")
        request_line, *header_lines = header_block.decode("latin-1").split("\r\n")
        self.server.requests.append(request_line)
        method, target, version = request_line.split(" ", 2)
        headers = [line.split(":", 1) for line in header_lines if ":" in line]
        given = [v.strip() for k, v in headers if k.strip().lower() == "proxy-authorization"]
        if self.server.credentials is not None:
            expected = (
                "Basic " + base64.b64encode(":".join(self.server.credentials).encode()).decode()
            )
            if given != [expected]:
                self.server.refused += 1
                client.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\n'
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                return
        if method == "CONNECT":
            port = int(target.rpartition(":")[2])
            upstream = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._pump(client, upstream, rest)
            return
        # An absolute URI: forward as origin-form, without the proxy's own header.
        address = target.split("://", 1)[1]
        authority, slash, path = address.partition("/")
        port = int(authority.rpartition(":")[2]) if ":" in authority else 80
        upstream = socket.create_connection(("127.0.0.1", port))
        kept = "".join(
            f"{k}:{v}\r\n" for k, v in headers if k.strip().lower() != "proxy-authorization"
        )
        upstream.sendall(f"{method} {slash}{path} {version}\r\n{kept}\r\n".encode("latin-1"))
        self._pump(client, upstream, rest)

    @staticmethod
    def _pump(client: socket.socket, upstream: socket.socket, pending: bytes) -> None:
        with upstream:
            if pending:
                upstream.sendall(pending)
            sockets = [client, upstream]
            while True:
                readable, _, _ = select.select(sockets, [], [], 5)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)


@contextlib.contextmanager
def proxy_server(credentials: tuple[str, str] | None = None) -> Iterator[ProxyServer]:
    running = ProxyServer(credentials)
    thread = threading.Thread(target=running.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()
        thread.join()
