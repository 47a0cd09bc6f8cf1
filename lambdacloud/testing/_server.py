"""The fake cloud's HTTP side: the server, its connections, and how answers are written."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lambdacloud.testing import _storage
from lambdacloud.testing._checks import JSON
from lambdacloud.testing._dispatch import Dispatcher
from lambdacloud.testing._faults import RecordedRequest, fault_body
from lambdacloud.testing._ssh import SshListeners
from lambdacloud.testing._world import Request

MAX_BODY = 8 * 1024 * 1024


class _BadRequest(Exception):
    """The request cannot be read as HTTP the fake understands."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Idle keep-alive connections are closed after this long, as real servers do.
    timeout = 60
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # delayed ACKs stall every keep-alive response by 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.forget(self.connection)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The server's own refusals, in the API's envelope rather than an HTML page.

        A method without a handler (TRACE, PROPFIND, ...) is dispatched like any request,
        which refuses it with a 405; a request that cannot be parsed at all (a malformed
        request line, headers too long) is answered here and its connection closed.
        """
        if code == HTTPStatus.NOT_IMPLEMENTED and self.command:
            self._handle()
            return
        self.close_connection = True
        error = {
            "code": "global/invalid-parameters" if code < 500 else "global/internal-error",
            "message": message or HTTPStatus(code).phrase,
            "suggestion": "Send a well-formed HTTP/1.1 request.",
        }
        self._send(code, {"error": error}, {"Connection": "close"})

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records requests in ``cloud.requests`` instead."""

    def _handle(self) -> None:
        dispatcher = self.server.dispatcher
        if dispatcher.stopped.is_set():
            self._reset()
            return
        parts = urlsplit(self.path)
        stored = parts.path.startswith(_storage.PREFIX)
        try:
            raw = self._body(_storage.ATTACHMENT_MAX if stored else MAX_BODY)
        except _BadRequest as error:
            suggestion = "Send the body with a correct Content-Length, or chunked."
            error_body = {"code": "global/invalid-parameters", "message": str(error)}
            self._send(400, {"error": {**error_body, "suggestion": suggestion}})
            self.close_connection = True
            return
        method = self.command.upper()
        query = parse_qs(parts.query)
        arrived, arrival = dispatcher.world.now(), dispatcher.arrive()
        fault = dispatcher.take_fault(method, parts.path)
        if fault is not None and fault.delay and dispatcher.stopped.wait(fault.delay):
            self._reset()
            return
        if fault is not None and fault.drop:
            dispatcher.record(
                arrival, RecordedRequest(method, parts.path, query, None, 0, None, True, arrived)
            )
            self._reset()
            return
        try:
            body, readable = (json.loads(raw), True) if raw and not stored else (None, True)
        except (ValueError, RecursionError):
            body, readable = None, False
        host, port = (str(part) for part in self.server.server_address[:2])
        request = Request(
            method=method,
            path=parts.path,
            query=query,
            body=body,
            user_agent=self.headers.get("User-Agent"),
            client_ip=self.client_address[0],
            host=self.headers.get("Host") or f"{host}:{port}",
            raw=raw,
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        headers = dict(fault.headers) if fault is not None else {}
        if fault is not None and fault.status is not None:
            status, payload = fault.status, fault_body(fault)
        else:
            status, payload, answered = dispatcher.answer(
                request, self.headers.get("Authorization"), readable
            )
            headers.update(answered)
        dispatcher.record(
            arrival,
            RecordedRequest(
                method, parts.path, query, body, status, payload, fault is not None, arrived
            ),
        )
        self._send(status, payload, headers, truncate=fault is not None and fault.truncate)

    def _body(self, limit: int) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._chunked(limit)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.isdigit():
            raise _BadRequest("Content-Length is not a number.")
        if int(length) > limit:
            raise _BadRequest("The body is too large.")
        return self.rfile.read(int(length))

    def _chunked(self, limit: int) -> bytes:
        body = b""
        while True:
            size_line = self.rfile.readline(100).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise _BadRequest("A chunk size is not a number.") from None
            if size == 0:
                while self.rfile.readline(1000) not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline(10)
            if len(body) > limit:
                raise _BadRequest("The body is too large.")

    def _send(
        self,
        status: int,
        payload: str | bytes | JSON,
        headers: dict[str, str] | None = None,
        *,
        truncate: bool = False,
    ) -> None:
        content, kind = _encode(payload)
        headers = dict(headers or {})
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("Content-Type", kind))
        self.send_header("Content-Length", str(len(content)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if truncate:
            self.wfile.write(content[: len(content) // 2])
            self.wfile.flush()
            self._reset()
            return
        self.wfile.write(content)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset, as a crashing proxy would."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    # Handler threads are daemons, so that a fake nobody stopped (a notebook, a script that
    # forgot) never holds the interpreter open on an idle keep-alive connection; stop() still
    # ends each connection and joins each thread, so a stopped fake leaves no thread behind.
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve a connection on a daemon thread of its own, remembered until it ends."""
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="FakeLambdaCloud connection",
            daemon=True,
        )
        with self._connections_lock:
            self._handlers.add(thread)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._handlers.discard(threading.current_thread())

    def join_handlers(self) -> None:
        """Wait for every connection's thread (their sockets are shut down first)."""
        with self._connections_lock:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join()

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def forget(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """End every open keep-alive connection, so that no request is served after stop."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is normal here (timeouts, resets): stay quiet."""


class Serving:
    """A started fake: its server, the thread that accepts, and its SSH listeners.

    Raises:
        OSError: It cannot listen at ``host:port``.
    """

    def __init__(self, host: str, port: int, dispatcher: Dispatcher, *, ssh: bool) -> None:
        self._server = _Server((host, port), dispatcher)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="FakeLambdaCloud", daemon=True
        )
        self._thread.start()
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}"
        world = dispatcher.world
        world.ssh = SshListeners(world.ssh_ready) if ssh else None
        self.ssh_port = None if world.ssh is None else world.ssh.port

    def stop(self) -> None:
        """Stop accepting, end every connection, wait for every thread, close the listeners."""
        server = self._server
        server.dispatcher.stopped.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        server.join_handlers()
        self._thread.join()
        world = server.dispatcher.world
        if world.ssh is not None:
            world.ssh.stop()
            world.ssh = None


def _encode(payload: str | bytes | JSON) -> tuple[bytes, str]:
    if isinstance(payload, bytes):
        return payload, "application/octet-stream"
    if isinstance(payload, str):
        kind = "text/html" if payload.lstrip().startswith("<") else "text/plain"
        return payload.encode(), f"{kind}; charset=utf-8"
    return json.dumps(payload).encode(), "application/json"
