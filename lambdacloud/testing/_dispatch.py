"""The fake cloud's API side: routes, auth, rate limits and the error envelope."""

from __future__ import annotations

import base64
import bisect
import hmac
import itertools
import math
import re
import threading
from collections.abc import Callable

from lambdacloud.testing import _account, _firewalls, _instances, _storage, _tickets
from lambdacloud.testing._checks import JSON, ApiError
from lambdacloud.testing._faults import Fault, RecordedRequest, error_body
from lambdacloud.testing._limits import RateLimiter
from lambdacloud.testing._world import Request, World

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
    ("GET", "/api/v1/tickets", _tickets.list_tickets),
    ("POST", "/api/v1/tickets", _tickets.create_ticket),
    ("GET", "/api/v1/tickets/{ticket_id}", _tickets.get_ticket),
    ("PATCH", "/api/v1/tickets/{ticket_id}", _tickets.update_ticket),
    ("GET", "/api/v1/tickets/{ticket_id}/attachments", _tickets.list_attachments),
    ("POST", "/api/v1/tickets/{ticket_id}/attachments", _tickets.initiate_attachment),
    (
        "DELETE",
        "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}",
        _tickets.delete_attachment,
    ),
    (
        "POST",
        "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}/complete",
        _tickets.complete_attachment,
    ),
    (
        "GET",
        "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}/download",
        _tickets.attachment_download,
    ),
]
#: Operations that answer other than 200 when they succeed.
SUCCESS_STATUS: dict[Handler, int] = {_tickets.update_ticket: 202}
#: The methods the API answers on some path; any other is refused, with the envelope.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_COMPILED = [
    (method, re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"), handler)
    for method, path, handler in ROUTES
]


class Dispatcher:
    """Answers one request: faults first (like a proxy), then auth, rate limits, the API."""

    def __init__(self, world: World, api_key: str, limiter: RateLimiter | None) -> None:
        self.world = world
        self.api_key = api_key
        self.limiter = limiter
        self.faults: list[Fault] = []
        # Kept in order of arrival (a slow answer is recorded when it is sent, after others).
        self._recorded: list[tuple[int, RecordedRequest]] = []
        self._arrivals = itertools.count()
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def arrive(self) -> int:
        """A number for a request that has just arrived: its place in ``recorded``."""
        with self.lock:
            return next(self._arrivals)

    def record(self, arrival: int, recorded: RecordedRequest) -> None:
        with self.lock:
            bisect.insort(self._recorded, (arrival, recorded), key=lambda entry: entry[0])

    @property
    def recorded(self) -> list[RecordedRequest]:
        """Every request answered (or dropped) so far, in order of arrival."""
        with self.lock:
            return [recorded for _, recorded in self._recorded]

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def answer(
        self, request: Request, authorization: str | None, readable: bool
    ) -> tuple[int, str | bytes | JSON, dict[str, str]]:
        headers: dict[str, str] = {}
        with self.world.lock:
            if request.path.startswith(_storage.PREFIX):
                # Another service, as far as the client knows: its own auth, no API limits.
                return _storage.answer(self.world, request)
            try:
                if request.method not in METHODS:
                    # As the proxy in front of the API would: before auth, and in JSON.
                    headers["Allow"] = ", ".join(m for m in METHODS if m != "OPTIONS")
                    raise ApiError(
                        405,
                        "global/method-not-allowed",
                        f"The method {request.method} is not allowed.",
                        "Use GET, POST, PUT, PATCH or DELETE, as the API documentation says.",
                    )
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
                        raise ApiError(
                            429,
                            "global/too-many-requests",
                            "Too many requests.",
                            "Wait the seconds Retry-After says, then try again.",
                        )
                if not readable:
                    raise ApiError(400, "global/invalid-parameters", "The body is not JSON.")
                status, body = self._route(request)
            except ApiError as error:
                status, body = error.status, {"error": error.body}
            except Exception:  # noqa: BLE001 - a bug in the fake still answers like a server
                status, body = 500, error_body(500)
        return status, body, headers

    def _authorized(self, authorization: str | None) -> bool:
        scheme, _, credentials = (authorization or "").strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer":
            return _same(credentials, self.api_key)
        if scheme.lower() == "basic":
            # Lambda documents both: base64("<key>:"), as HTTP has it, and the bare key.
            if _same(credentials, self.api_key):
                return True
            try:
                user = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                return False
            return _same(user, self.api_key)
        return False

    def _route(self, request: Request) -> tuple[int, JSON]:
        for method, pattern, handler in _COMPILED:
            match = pattern.match(request.path)
            if match and method == request.method:
                if method in ("POST", "PUT", "PATCH") and not isinstance(
                    request.body, (dict, type(None))
                ):
                    raise ApiError(
                        400, "global/invalid-parameters", "The body must be a JSON object."
                    )
                body = handler(self.world, request, **match.groupdict())
                return SUCCESS_STATUS.get(handler, 200), body
        raise ApiError(
            404,
            "global/not-found",
            "The requested resource was not found.",
            "Check the path and the method against the API documentation.",
        )


def _same(given: str, expected: str) -> bool:
    """Whether a credential is the key, in time that does not tell how much of it matched."""
    return hmac.compare_digest(given.encode(), expected.encode())
