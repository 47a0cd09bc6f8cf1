"""The error hierarchy: every failure the library raises is a ``LambdaCloudError``.

Errors from the API are chosen by the envelope's ``code`` first and the HTTP status
second, so a new code from the server still lands in a sensible class and keeps its
``code``. Transport failures are ``APIConnectionError``; input rejected before any
request is sent is ``ValidationError``.
"""

from __future__ import annotations

import sys
from typing import Any

#: How to see the whole chain where IPython shows an error short.
FULL_TRACEBACK_HINT = "Full traceback: %tb Plain, or %tb Verbose with the variables"
#: IPython's exception modes in which an error shows its full traceback.
FULL_TRACEBACK_MODES = ("Plain", "Verbose")


class LambdaCloudError(Exception):
    """Base class of every error this library raises.

    Attributes:
        message: What went wrong, as the server (or the library) said it.
        code: The API's machine-readable error code (``global/invalid-api-key``), or
            ``None`` when the failure did not come from an API error envelope.
        suggestion: The server's suggestion for fixing it, if any.
        request_id: The server's id for the failed request; quote it to support.
        status_code: The HTTP status, or ``None`` when no response was received.
        retry_after: Seconds the server asked us to wait (``Retry-After``), if it did.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        suggestion: str | None = None,
        request_id: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.suggestion = suggestion
        self.request_id = request_id
        self.status_code = status_code
        self.retry_after = retry_after

    def __str__(self) -> str:
        details = []
        if self.status_code is not None:
            details.append(f"HTTP {self.status_code}")
        if self.code:
            details.append(f"code {self.code}")
        if self.request_id:
            details.append(f"request {self.request_id}")
        text = self.message
        if details:
            text += f" [{', '.join(details)}]"
        if self.suggestion:
            text += f" Suggestion: {self.suggestion}"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, code={self.code!r}, "
            f"status_code={self.status_code!r}, request_id={self.request_id!r})"
        )

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for this error instead of a full traceback (IPython calls it).

        A few lines: the class and message, then the API's code, the HTTP status, the
        suggestion, the request id, any notes (instances left running) and the cause, and
        how to see everything: in IPython's ``Plain`` or ``Verbose`` exception mode
        (``%tb Plain`` for the last error, ``%xmode Plain`` for every error after) it is the
        full traceback, chain included.
        """
        shell = _ipython_shell()
        mode = getattr(getattr(shell, "InteractiveTB", None), "mode", None)
        if shell is not None and mode in FULL_TRACEBACK_MODES:
            full: list[str] = shell.InteractiveTB.structured_traceback(
                type(self), self, self.__traceback__
            )
            return full
        return self._short_traceback()

    def _short_traceback(self) -> list[str]:
        lines = [f"{type(self).__name__}: {self.message}"]
        details = [
            ("code", self.code),
            ("HTTP status", self.status_code),
            ("suggestion", self.suggestion),
            ("request id", self.request_id),
        ]
        lines += [f"  {label + ':':<12} {value}" for label, value in details if value is not None]
        lines += [f"  {'note:':<12} {note}" for note in getattr(self, "__notes__", ())]
        cause = self.__cause__ or (None if self.__suppress_context__ else self.__context__)
        if cause is not None:
            lines.append(f"  {'caused by:':<12} {type(cause).__name__}: {cause}")
        lines.append(f"  {FULL_TRACEBACK_HINT}")
        return lines


class APIConnectionError(LambdaCloudError):
    """The request could not be completed: DNS, refused or reset connection, TLS, timeout.

    Attributes:
        request_sent: ``False`` only when the request certainly never reached the
            server (the connection was never established); ``True`` when it may have.
    """

    def __init__(self, message: str, *, request_sent: bool, retryable: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent
        self.retryable = retryable


class APITimeoutError(APIConnectionError):
    """The server did not connect or answer within the client's timeout (or the caller's
    deadline left no time to send the request at all)."""


class ProxyAuthenticationError(APIConnectionError):
    """The proxy between the client and the API refused its credentials (HTTP 407).

    A configuration error: it is not retried, and the request never reached the API.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, request_sent=False, retryable=False)
        self.status_code = 407


class ClientClosedError(LambdaCloudError):
    """The client was closed (``client.close()`` or the end of its ``with`` block)."""


class MalformedResponseError(LambdaCloudError):
    """A response the library cannot read: not JSON, empty, or not the API's envelope/shape."""


class AuthenticationError(LambdaCloudError):
    """The API key is missing, invalid, expired or deleted (``global/invalid-api-key``, 401)."""


class MissingAPIKeyError(AuthenticationError):
    """No API key was found in ``api_key=``, ``LAMBDA_API_KEY`` or the key file."""


class PermissionDeniedError(LambdaCloudError):
    """The account may not do this (``global/forbidden``, 403)."""


class AccountInactiveError(PermissionDeniedError):
    """The account is inactive (``global/account-inactive``)."""


class InvalidBillingAddressError(PermissionDeniedError):
    """The account's billing address is invalid (``global/invalid-address``)."""


class NotFoundError(LambdaCloudError):
    """The object does not exist (``global/not-found``, ``global/object-does-not-exist``, 404)."""


class InvalidParametersError(LambdaCloudError):
    """The request's parameters were rejected (``global/invalid-parameters``, 400)."""


class ValidationError(InvalidParametersError, ValueError):
    """An argument was rejected by the library before any request was sent.

    Attributes:
        argument: The name of the offending argument.
    """

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"{argument}: {problem}")
        self.argument = argument


class FilesystemInWrongRegionError(InvalidParametersError):
    """A filesystem attached at launch is in another region
    (``instance-operations/launch/file-system-in-wrong-region``)."""


class ConflictError(LambdaCloudError):
    """The request conflicts with the current state of the object (``global/conflict``, 409)."""


class DuplicateError(ConflictError):
    """An object with that name already exists (``global/duplicate``)."""


class FilesystemInUseError(ConflictError):
    """The filesystem is mounted on an instance (``filesystems/filesystem-in-use``)."""


class FirewallRulesetInUseError(ConflictError):
    """The firewall ruleset is attached to instances
    (``firewall-rulesets/firewall-ruleset-in-use``)."""


class InsufficientCapacityError(LambdaCloudError):
    """No capacity for the instance type in the region
    (``instance-operations/launch/insufficient-capacity``)."""


class QuotaExceededError(LambdaCloudError):
    """An account quota would be exceeded (``global/quota-exceeded``)."""


class RateLimitError(LambdaCloudError):
    """Too many requests (429); ``retry_after`` says how long the server asked to wait."""


class ServerError(LambdaCloudError):
    """The API failed (``global/internal-error``, 5xx)."""


class ProviderError(LambdaCloudError):
    """An upstream provider failed (codes with the ``provider/`` prefix)."""


class TicketCreationFailedError(LambdaCloudError):
    """The support ticket could not be created (``support-tickets/creation-failed``)."""


class LaunchAbortedError(LambdaCloudError):
    """A launch was accepted but the new instance cannot be handed over: it could not be
    read back, or (``launch(wait=True)``) it did not become active.

    The library then terminates what it launched, so nothing runs without the caller
    holding it. ``terminated`` says whether that cleanup succeeded; when it did not, the
    message names the instances to terminate by hand.

    Attributes:
        instance_ids: The ids the launch returned.
        terminated: Whether the library terminated them.
    """

    def __init__(self, message: str, *, instance_ids: list[str], terminated: bool) -> None:
        super().__init__(message)
        self.instance_ids = instance_ids
        self.terminated = terminated


class CleanupError(LambdaCloudError):
    """The library could not confirm that it terminated what it is responsible for (the end
    of a ``with`` block): the message names the instances that may still be running.

    Attributes:
        instance_ids: The instances that may still be running (and billing).
    """

    def __init__(self, message: str, *, instance_ids: list[str]) -> None:
        super().__init__(message)
        self.instance_ids = instance_ids


class WaitError(LambdaCloudError):
    """A wait for an instance status did not succeed.

    Attributes:
        instance: The ``Instance`` as last seen (for several, the first that failed).
        instances: Every awaited ``Instance`` as last seen.
    """

    # Typed loosely: errors sit below the instance objects, which import them.
    def __init__(self, message: str, *, instances: list[Any]) -> None:
        super().__init__(message)
        self.instances = instances
        self.instance = instances[0] if instances else None


class WaitTimeoutError(WaitError, TimeoutError):
    """The deadline passed before the instance reached the awaited status."""


class CapacityTimeoutError(InsufficientCapacityError, WaitTimeoutError):
    """``acquire()`` gave up at its deadline without a launch that succeeded.

    Attributes:
        instance_types: The type names it tried, best first.
        regions: The region codes it tried (``None``: any region).
        capacity_reads: How many times it read the capacity.
        launch_attempts: How many launches it sent.
        terminated: The instances of an unfinished group it terminated (``acquire_many``).
        still_running: The ones it could not confirm terminated (terminate them by hand).
    """

    def __init__(
        self,
        message: str,
        *,
        instance_types: list[str],
        regions: list[str] | None,
        capacity_reads: int,
        launch_attempts: int,
        terminated: list[str] | None = None,
        still_running: list[str] | None = None,
    ) -> None:
        LambdaCloudError.__init__(self, message)
        self.instances: list[Any] = []
        self.instance = None
        self.instance_types = instance_types
        self.regions = regions
        self.capacity_reads = capacity_reads
        self.launch_attempts = launch_attempts
        self.terminated = terminated or []
        self.still_running = still_running or []


class InstanceStatusError(WaitError):
    """The instance reached a status from which the awaited one cannot follow
    (for example ``terminated`` or ``preempted`` while waiting for ``active``)."""


_ERRORS_BY_CODE: dict[str, type[LambdaCloudError]] = {
    "global/invalid-api-key": AuthenticationError,
    "global/account-inactive": AccountInactiveError,
    "global/forbidden": PermissionDeniedError,
    "global/invalid-address": InvalidBillingAddressError,
    "global/not-found": NotFoundError,
    "global/object-does-not-exist": NotFoundError,
    "global/invalid-parameters": InvalidParametersError,
    "global/conflict": ConflictError,
    "global/duplicate": DuplicateError,
    "global/quota-exceeded": QuotaExceededError,
    "global/internal-error": ServerError,
    "instance-operations/launch/insufficient-capacity": InsufficientCapacityError,
    "instance-operations/launch/file-system-in-wrong-region": FilesystemInWrongRegionError,
    "filesystems/filesystem-in-use": FilesystemInUseError,
    "firewall-rulesets/firewall-ruleset-in-use": FirewallRulesetInUseError,
    "support-tickets/creation-failed": TicketCreationFailedError,
}

_ERRORS_BY_STATUS: dict[int, type[LambdaCloudError]] = {
    400: InvalidParametersError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def _ipython_shell() -> Any:
    """The running IPython shell, if any (IPython is never imported for this)."""
    ipython = sys.modules.get("IPython")
    return None if ipython is None else ipython.get_ipython()


def error_class(code: str | None, status_code: int | None) -> type[LambdaCloudError]:
    """Choose the class for an error: by code, then by HTTP status, else the base class."""
    if code:
        if code in _ERRORS_BY_CODE:
            return _ERRORS_BY_CODE[code]
        if code.startswith("provider/"):
            return ProviderError
    if status_code is not None:
        if status_code in _ERRORS_BY_STATUS:
            return _ERRORS_BY_STATUS[status_code]
        if status_code >= 500:
            return ServerError
    return LambdaCloudError


def error_from_envelope(
    envelope: dict[str, Any], status_code: int, retry_after: float | None
) -> LambdaCloudError | None:
    """Build the error for an ``{"error": {...}}`` body, or ``None`` if it is not one."""
    body = envelope.get("error")
    if not isinstance(body, dict):
        return None
    code = body.get("code")
    if not isinstance(code, str) or not code:
        return None
    message = body.get("message")
    if not isinstance(message, str) or not message:
        message = f"The API answered with error {code}."
    suggestion = body.get("suggestion")
    request_id = body.get("request_id")
    return error_class(code, status_code)(
        message,
        code=code,
        suggestion=suggestion if isinstance(suggestion, str) else None,
        request_id=request_id if isinstance(request_id, str) else None,
        status_code=status_code,
        retry_after=retry_after,
    )
