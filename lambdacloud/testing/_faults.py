"""Injected faults, the record of requests, and the error bodies a fault answers with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lambdacloud.testing._checks import JSON

BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


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


#: The code, message and suggestion of an injected error answer, by status.
_ERRORS = {
    400: ("global/invalid-parameters", "Invalid request data.", "Check the request and try again."),
    401: (
        "global/invalid-api-key",
        "API key was invalid, expired, or deleted.",
        "Check your API key or create a new one, then try again.",
    ),
    403: ("global/forbidden", "Forbidden.", "Check that your account may do this."),
    404: (
        "global/not-found",
        "The requested resource was not found.",
        "Check the ID or path and try again.",
    ),
    409: (
        "global/conflict",
        "The request conflicts with the current state of the resource.",
        "Read the resource again, then retry.",
    ),
    429: ("global/too-many-requests", "Too many requests.", "Slow down, then try again."),
}


def error_body(status: int) -> JSON:
    """The API's error envelope for a status, as an injected fault answers it."""
    if status >= 500:
        return {
            "error": {
                "code": "global/internal-error",
                "message": "An internal server error occurred.",
                "suggestion": "Try again later. Contact Support if the problem persists.",
            }
        }
    code, message, suggestion = _ERRORS.get(status, _ERRORS[400])
    return {
        "error": {
            "code": code,
            "message": f"{message} (injected HTTP {status})",
            "suggestion": suggestion,
        }
    }


def fault_body(fault: Fault) -> str | bytes | JSON:
    if fault.body is not None:
        return fault.body
    return error_body(fault.status or 500)


#: Error codes an injected fault can answer with: status, documented message and suggestion.
CODES: dict[str, tuple[int, str, str]] = {
    "support-tickets/creation-failed": (
        400,
        "Failed to create the ticket.",
        "Please try again. If the problem persists, contact support.",
    ),
    "global/quota-exceeded": (400, "Quota exceeded.", "Contact Support to increase your quota."),
    "global/account-inactive": (
        403,
        "Your account is inactive.",
        "Make sure you have verified your email address and have a valid payment method. "
        "Contact Support if problems continue.",
    ),
    "global/invalid-address": (
        403,
        "Your billing address is invalid.",
        "Make sure your billing address is valid. Contact Support if problems continue.",
    ),
    "instance-operations/launch/insufficient-capacity": (
        400,
        "Not enough capacity to fulfill launch request.",
        "Try another region or instance type, or try again later.",
    ),
    "global/internal-error": (
        500,
        "An internal server error occurred.",
        "Try again later. Contact Support if the problem persists.",
    ),
}


def coded_error(code: str, status: int | None) -> tuple[int, JSON]:
    """The status and envelope of an error code (its documented message and suggestion)."""
    known = CODES.get(code)
    if known is None and status is None:
        raise ValueError(f"pass status= for the code {code!r}, which the fake does not know")
    default_status, message, suggestion = known or (0, "Injected error.", "Try again later.")
    error = {"code": code, "message": message, "suggestion": suggestion}
    return (default_status if status is None else status), {"error": error}


def full_path(path: str) -> str:
    """``/instances`` is ``/api/v1/instances``; ``/api/...`` and ``/_storage/...`` stay."""
    return path if path.startswith(("/api/", "/_")) else "/api/v1" + path
