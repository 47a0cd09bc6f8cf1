"""The fake cloud's HTTP side: routing, auth, rate limits, injected faults, recording."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lambdacloud.testing import _account, _firewalls, _instances
from lambdacloud.testing._world import JSON, ApiError, Request, World

Handler = Callable[..., JSON]

ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/api/v1/instances", _instances.list_instances),
    ("GET", "/api/v1/instances/{id}", _instances.get_instance),
    ("POST", "/api/v1/instances/{id}", _instances.update_instance),
    ("POST", "/api/v1/instance-operations/launch", _instances.launch),
    ("POST", "/api/v1/instance-operations/restart", _instances.restart),
    ("POST", "/api/v1/instance-operations/terminate", _instances.terminate),
    ("GET", "/api/v1/instance-types", _account.instance_types),
    ("GET", "/api/v1/regions", _account.regions),
    ("GET", "/api/v1/images", _account.images),
    ("GET", "/api/v1/ssh-keys", _account.list_ssh_keys),
    ("POST", "/api/v1/ssh-keys", _account.add_ssh_key),
    ("DELETE", "/api/v1/ssh-keys/{id}", _account.delete_ssh_key),
    ("GET", "/api/v1/file-systems", _account.list_filesystems),
    ("POST", "/api/v1/filesystems", _account.create_filesystem),
    ("DELETE", "/api/v1/filesystems/{id}", _account.delete_filesystem),
    ("GET", "/api/v1/firewall-rules", _firewalls.list_rules),
    ("PUT", "/api/v1/firewall-rules", _firewalls.replace_rules),
    ("GET", "/api/v1/firewall-rulesets", _firewalls.list_rulesets),
    ("POST", "/api/v1/firewall-rulesets", _firewalls.create_ruleset),
    ("GET", "/api/v1/firewall-rulesets/global", _firewalls.get_global),
    ("PATCH", "/api/v1/firewall-rulesets/global", _firewalls.update_global),
    ("GET", "/api/v1/firewall-rulesets/{id}", _firewalls.get_ruleset),
    ("PATCH", "/api/v1/firewall-rulesets/{id}", _firewalls.update_ruleset),
    ("DELETE", "/api/v1/firewall-rulesets/{id}", _firewalls.delete_ruleset),
    ("GET", "/api/v1/audit-events", _firewalls.audit_events),
]
_COMPILED = [
    (method, re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"), handler)
    for method, path, handler in ROUTES
]

BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


MAX_BODY = 8 * 1024 * 1024


@dataclass
class Fault:
    """An injected misbehaviour for the next ``times`` matching requests.

    Made by ``FakeLambdaCloud.inject()``, which describes each field.

    Attributes:
        method: Only requests with this method (``None``: any).
        path: Only requests under this path (``None``: any).
        times: How many matching requests it affects.
        status: The status answered instead of the API's, if any.
        body: The body answered with it.
        headers: Headers added to the answer.
        delay: Real seconds waited before answering.
        drop: Reset the connection without an answer.
        truncate: Send half of the body, then reset.
        hits: How many requests it has affected so far.
    """

    method: str | None
    path: str | None
    times: int
    status: int | None = None
    body: str | bytes | JSON | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    truncate: bool = False
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this fault is for.

        Args:
            method: The request's method.
            path: The request's path.

        Returns:
            The method matches, if set, and the path, if set, as a whole prefix of segments.

        API: none.
        """
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path is None:
            return True
        return path == self.path or path.startswith(self.path.rstrip("/") + "/")

    @property
    def remaining(self) -> int:
        """How many more matching requests it will affect."""
        return self.times - self.hits


@dataclass
class RecordedRequest:
    """One request the fake received, with its answer (``status`` 0: none, it was dropped).

    Attributes:
        method: The HTTP method.
        path: The path, without the query.
        query: The query parameters, each with its values.
        body: The JSON body, if any.
        status: The status answered; 0 when a fault dropped the connection.
        response: The JSON answered, if any.
        injected: Whether a fault answered in the API's place.
        at: When it arrived, on the fake's clock.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int
    response: Any
    injected: bool = False
    at: float = 0.0


class RateLimiter:
    """About one request per second with bursts, and one launch per 12 seconds."""

    def __init__(self, clock: Callable[[], float], burst: int) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.clock = clock
        self.burst = burst
        self.tokens = float(burst)
        self.updated = clock()
        self.next_launch: float | None = None

    def check(self, method: str, path: str) -> float | None:
        """Seconds to wait before this request would be accepted, or None to accept it now.

        A refused request uses up nothing: neither a token nor the launch slot.
        """
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated))
        self.updated = now
        launch = method == "POST" and path.endswith("/instance-operations/launch")
        waits = []
        if launch and self.next_launch is not None and now < self.next_launch:
            waits.append(self.next_launch - now)
        if self.tokens < 1:
            waits.append(1 - self.tokens)
        if waits:
            return max(waits)
        self.tokens -= 1
        if launch:
            self.next_launch = now + 12.0
        return None


class Dispatcher:
    """Answers one request: faults first (like a proxy), then auth, rate limits, the API."""

    def __init__(self, world: World, api_key: str, limiter: RateLimiter | None) -> None:
        self.world = world
        self.api_key = api_key
        self.limiter = limiter
        self.faults: list[Fault] = []
        self.recorded: list[RecordedRequest] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def record(self, recorded: RecordedRequest) -> None:
        recorded.at = self.world.now()
        with self.lock:
            self.recorded.append(recorded)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def answer(
        self, request: Request, authorization: str | None, readable: bool
    ) -> tuple[int, JSON, dict[str, str]]:
        headers: dict[str, str] = {}
        with self.world.lock:
            try:
                if not self._authorized(authorization):
                    raise ApiError(
                        401,
                        "global/invalid-api-key",
                        "API key was invalid, expired, or deleted.",
                        "Check your API key or create a new one, then try again.",
                    )
                if self.limiter is not None:
                    wait = self.limiter.check(request.method, request.path)
                    if wait is not None:
                        headers["Retry-After"] = str(max(1, math.ceil(wait)))
                        raise ApiError(429, "global/too-many-requests", "Too many requests.")
                if not readable:
                    raise ApiError(400, "global/invalid-parameters", "The body is not JSON.")
                status, body = 200, self._route(request)
            except ApiError as error:
                status, body = error.status, {"error": error.body}
            except Exception:  # noqa: BLE001 - a bug in the fake still answers like a server
                status, body = 500, _error_body(500)
        return status, body, headers

    def _authorized(self, authorization: str | None) -> bool:
        scheme, _, credentials = (authorization or "").partition(" ")
        if scheme.lower() == "bearer":
            return credentials == self.api_key
        if scheme.lower() == "basic":
            try:
                user = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                return False
            return user == self.api_key
        return False

    def _route(self, request: Request) -> JSON:
        for method, pattern, handler in _COMPILED:
            match = pattern.match(request.path)
            if match and method == request.method:
                if method in ("POST", "PUT", "PATCH") and not isinstance(
                    request.body, (dict, type(None))
                ):
                    raise ApiError(
                        400, "global/invalid-parameters", "The body must be a JSON object."
                    )
                return handler(self.world, request, **match.groupdict())
        raise ApiError(404, "global/not-found", "The requested resource was not found.")


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

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records requests in ``cloud.requests`` instead."""

    def _handle(self) -> None:
        dispatcher = self.server.dispatcher
        if dispatcher.stopped.is_set():
            self._reset()
            return
        try:
            raw = self._body()
        except _BadRequest as error:
            self._send(400, {"error": {"code": "global/invalid-parameters", "message": str(error)}})
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        method = self.command.upper()
        query = parse_qs(parts.query)
        fault = dispatcher.take_fault(method, parts.path)
        if fault is not None and fault.delay and dispatcher.stopped.wait(fault.delay):
            self._reset()
            return
        if fault is not None and fault.drop:
            dispatcher.record(RecordedRequest(method, parts.path, query, None, 0, None, True))
            self._reset()
            return
        try:
            body, readable = (json.loads(raw), True) if raw else (None, True)
        except (ValueError, RecursionError):
            body, readable = None, False
        request = Request(
            method=method,
            path=parts.path,
            query=query,
            body=body,
            user_agent=self.headers.get("User-Agent"),
            client_ip=self.client_address[0],
        )
        headers = dict(fault.headers) if fault is not None else {}
        if fault is not None and fault.status is not None:
            status, payload = fault.status, _fault_body(fault)
        else:
            status, payload, answered = dispatcher.answer(
                request, self.headers.get("Authorization"), readable
            )
            headers.update(answered)
        dispatcher.record(
            RecordedRequest(method, parts.path, query, body, status, payload, fault is not None)
        )
        self._send(status, payload, headers, truncate=fault is not None and fault.truncate)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.isdigit():
            raise _BadRequest("Content-Length is not a number.")
        if int(length) > MAX_BODY:
            raise _BadRequest("The body is too large.")
        return self.rfile.read(int(length))

    def _chunked(self) -> bytes:
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
            if len(body) > MAX_BODY:
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
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        for name, value in (headers or {}).items():
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
    # Handler threads are joined when the server closes (after their sockets are shut).
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

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


def serve(host: str, port: int, dispatcher: Dispatcher) -> tuple[_Server, threading.Thread]:
    """Start a server thread; stop it with ``shutdown()``."""
    server = _Server((host, port), dispatcher)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.02,), name="FakeLambdaCloud", daemon=True
    )
    thread.start()
    return server, thread


def shutdown(server: _Server, thread: threading.Thread) -> None:
    """Stop accepting, end every connection, and wait for the handler threads."""
    server.dispatcher.stopped.set()
    server.shutdown()
    server.close_connections()
    server.server_close()
    thread.join()


_ERROR_CODES = {
    400: "global/invalid-parameters",
    401: "global/invalid-api-key",
    403: "global/forbidden",
    404: "global/not-found",
    409: "global/conflict",
    429: "global/too-many-requests",
}


def _error_body(status: int) -> JSON:
    if status >= 500:
        return {
            "error": {
                "code": "global/internal-error",
                "message": "An internal server error occurred.",
                "suggestion": "Try again later. Contact Support if the problem persists.",
            }
        }
    code = _ERROR_CODES.get(status, "global/invalid-parameters")
    return {"error": {"code": code, "message": f"Injected HTTP {status}."}}


def _fault_body(fault: Fault) -> str | bytes | JSON:
    if fault.body is not None:
        return fault.body
    return _error_body(fault.status or 500)


def _encode(payload: str | bytes | JSON) -> tuple[bytes, str]:
    if isinstance(payload, bytes):
        return payload, "application/octet-stream"
    if isinstance(payload, str):
        kind = "text/html" if payload.lstrip().startswith("<") else "text/plain"
        return payload.encode(), f"{kind}; charset=utf-8"
    return json.dumps(payload).encode(), "application/json"
