from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import requests
import responses

from lambdacloud import (
    AccountInactiveError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    Client,
    ConflictError,
    DuplicateError,
    FilesystemInUseError,
    FilesystemInWrongRegionError,
    FirewallRulesetInUseError,
    InsufficientCapacityError,
    InvalidBillingAddressError,
    InvalidParametersError,
    LambdaCloudError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    TicketCreationFailedError,
    ValidationError,
    errors,
)
from lambdacloud.errors import error_class

from .conftest import API, API_KEY


@pytest.fixture
def no_retry_client() -> Client:
    return Client(api_key=API_KEY, max_retries=0)


def error_body(code: str, **extra: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": f"message for {code}", **extra}}


# Every error code of the 1.10.0 document, with a status it is documented under.
CODE_TABLE = [
    ("global/invalid-parameters", 400, InvalidParametersError),
    ("global/invalid-api-key", 401, AuthenticationError),
    ("global/account-inactive", 403, AccountInactiveError),
    ("global/forbidden", 403, PermissionDeniedError),
    ("global/invalid-address", 403, InvalidBillingAddressError),
    ("global/not-found", 404, NotFoundError),
    ("global/object-does-not-exist", 404, NotFoundError),
    ("global/object-does-not-exist", 400, NotFoundError),
    ("global/duplicate", 400, DuplicateError),
    ("global/quota-exceeded", 400, QuotaExceededError),
    ("global/conflict", 409, ConflictError),
    ("global/internal-error", 500, ServerError),
    ("global/internal-error", 409, ServerError),
    ("instance-operations/launch/insufficient-capacity", 400, InsufficientCapacityError),
    ("instance-operations/launch/file-system-in-wrong-region", 400, FilesystemInWrongRegionError),
    ("filesystems/filesystem-in-use", 400, FilesystemInUseError),
    ("firewall-rulesets/firewall-ruleset-in-use", 400, FirewallRulesetInUseError),
    ("support-tickets/creation-failed", 400, TicketCreationFailedError),
    ("provider/internal-unavailable", 503, ProviderError),
    ("provider/quota-exhausted", 400, ProviderError),
]


@pytest.mark.parametrize(("code", "status", "expected"), CODE_TABLE)
def test_error_class_is_chosen_by_code(
    no_retry_client: Client, mocked: responses.RequestsMock, code: str, status: int, expected: type
) -> None:
    body = error_body(code, suggestion="Try this.", request_id="req-123")
    mocked.get(f"{API}/instances", json=body, status=status)
    with pytest.raises(expected) as raised:
        no_retry_client.instances.list()
    error = raised.value
    assert type(error) is expected
    assert error.code == code
    assert error.message == f"message for {code}"
    assert error.suggestion == "Try this."
    assert error.request_id == "req-123"
    assert error.status_code == status


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, InvalidParametersError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (418, LambdaCloudError),
    ],
)
def test_unknown_code_falls_back_to_the_status_and_keeps_the_code(
    no_retry_client: Client, mocked: responses.RequestsMock, status: int, expected: type
) -> None:
    mocked.get(f"{API}/instances", json=error_body("global/brand-new"), status=status)
    with pytest.raises(expected) as raised:
        no_retry_client.instances.list()
    assert type(raised.value) is expected
    assert raised.value.code == "global/brand-new"


def test_str_is_made_for_a_support_ticket(
    no_retry_client: Client, mocked: responses.RequestsMock
) -> None:
    body = error_body("global/quota-exceeded", suggestion="Contact Support.", request_id="req-9f8e")
    mocked.get(f"{API}/instances", json=body, status=400)
    with pytest.raises(QuotaExceededError) as raised:
        no_retry_client.instances.list()
    text = str(raised.value)
    assert "message for global/quota-exceeded" in text
    assert "global/quota-exceeded" in text
    assert "Contact Support." in text
    assert "req-9f8e" in text
    assert "400" in text


def test_envelope_without_optional_members(
    no_retry_client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{API}/instances", json={"error": {"code": "global/not-found"}}, status=404)
    with pytest.raises(NotFoundError) as raised:
        no_retry_client.instances.list()
    assert raised.value.suggestion is None
    assert raised.value.request_id is None
    assert "global/not-found" in raised.value.message


BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n" + b"<p>padding</p>" * 200 + b"</body></html>"
)


@pytest.mark.parametrize(
    ("status", "body", "expected", "shown"),
    [
        (502, BAD_GATEWAY, ServerError, "502 Bad Gateway"),
        (500, b"", ServerError, "empty body"),
        (404, b"Not Found", NotFoundError, "Not Found"),
        (200, b"<html>captive portal</html>", MalformedResponseError, "captive portal"),
        (200, b"", MalformedResponseError, "empty body"),
        (200, b'{"instances": []}', MalformedResponseError, "not the API's envelope"),
        (200, b"[1, 2]", MalformedResponseError, "not the API's envelope"),
        (400, b'{"error": "bad"}', InvalidParametersError, "not the API's envelope"),
        (400, b'{"error": {"code": 7}}', InvalidParametersError, "not the API's envelope"),
        (200, b"\xff\xfe\x00garbage", MalformedResponseError, "not JSON"),
        (200, b"[" * 100_000, MalformedResponseError, "not JSON"),
    ],
)
def test_unreadable_bodies_raise_a_library_error_with_status_and_excerpt(
    no_retry_client: Client,
    mocked: responses.RequestsMock,
    status: int,
    body: bytes,
    expected: type,
    shown: str,
) -> None:
    mocked.get(f"{API}/instances", body=body, status=status)
    with pytest.raises(expected) as raised:
        no_retry_client.instances.list()
    error = raised.value
    assert type(error) is expected
    assert error.status_code == status
    assert error.code is None
    assert shown in str(error)
    assert str(status) in str(error)
    assert len(str(error)) < 400


def test_excerpt_never_repeats_the_api_key(
    no_retry_client: Client, mocked: responses.RequestsMock
) -> None:
    body = f"<html>Bad request. Authorization: Bearer {API_KEY}</html>".encode()
    mocked.get(f"{API}/instances", body=body, status=400)
    with pytest.raises(InvalidParametersError) as raised:
        no_retry_client.instances.list()
    assert API_KEY not in str(raised.value)
    assert "<redacted>" in str(raised.value)


def test_redirect_is_an_error_that_points_at_base_url(
    no_retry_client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{API}/instances", status=301, headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(LambdaCloudError, match="base_url") as raised:
        no_retry_client.instances.list()
    assert raised.value.status_code == 301


def test_error_envelope_on_a_2xx_is_still_an_error(
    no_retry_client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{API}/instances", json=error_body("global/invalid-api-key"), status=200)
    with pytest.raises(AuthenticationError):
        no_retry_client.instances.list()


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (requests.exceptions.ConnectionError("connection refused"), APIConnectionError),
        (requests.exceptions.ReadTimeout("read timed out"), APITimeoutError),
        (requests.exceptions.ConnectTimeout("connect timed out"), APITimeoutError),
        (requests.exceptions.ChunkedEncodingError("body cut short"), APIConnectionError),
        (requests.exceptions.SSLError("certificate verify failed"), APIConnectionError),
    ],
)
def test_transport_failures_are_connection_errors(
    no_retry_client: Client,
    mocked: responses.RequestsMock,
    failure: Exception,
    expected: type,
) -> None:
    mocked.get(f"{API}/instances", body=failure)
    with pytest.raises(expected) as raised:
        no_retry_client.instances.list()
    assert type(raised.value) is expected
    assert raised.value.status_code is None
    assert "cloud.lambda.ai" in str(raised.value)


def test_timeouts_are_distinguishable_from_other_connection_errors() -> None:
    assert issubclass(APITimeoutError, APIConnectionError)
    assert not issubclass(APIConnectionError, APITimeoutError)


def test_error_class_without_code_or_status_is_the_base() -> None:
    assert error_class(None, None) is LambdaCloudError


class TestShortInIPython:
    """IPython shows a library error in a few lines (it calls ``_render_traceback_``)."""

    def test_an_api_error_shows_message_code_suggestion_and_request_id(
        self, no_retry_client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(
            f"{API}/instances/missing",
            status=404,
            json={
                "error": {
                    "code": "global/object-does-not-exist",
                    "message": "Instance missing does not exist.",
                    "suggestion": "Check the ID and try again.",
                    "request_id": "req_7f3a",
                }
            },
        )
        with pytest.raises(NotFoundError) as raised:
            no_retry_client.instances.get("missing")
        assert raised.value.__traceback__ is not None  # a deep one: session, retries, decoding
        assert raised.value._render_traceback_() == [
            "NotFoundError: Instance missing does not exist.",
            "  code:        global/object-does-not-exist",
            "  HTTP status: 404",
            "  suggestion:  Check the ID and try again.",
            "  request id:  req_7f3a",
            "  Full traceback: %tb Plain, or %tb Verbose with the variables",
        ]

    def test_notes_and_the_cause_are_kept(self) -> None:
        try:
            try:
                raise TimeoutError("gave up after 900 s")
            except TimeoutError as timeout:
                error = LambdaCloudError("The instance did not become active.")
                error.add_note("Instance 0920582c is still running: terminate it by hand.")
                raise error from timeout
        except LambdaCloudError as caught:
            lines = caught._render_traceback_()
        assert lines == [
            "LambdaCloudError: The instance did not become active.",
            "  note:        Instance 0920582c is still running: terminate it by hand.",
            "  caused by:   TimeoutError: gave up after 900 s",
            "  Full traceback: %tb Plain, or %tb Verbose with the variables",
        ]

    def test_a_validation_error_is_one_line_and_the_hint(self) -> None:
        lines = ValidationError("region", "expected a region name")._render_traceback_()
        assert lines[0] == "ValidationError: region: expected a region name"
        assert len(lines) == 2

    @pytest.mark.parametrize(("mode", "full"), [("Context", False), ("Plain", True)])
    def test_ipythons_plain_or_verbose_mode_shows_everything(
        self, monkeypatch: pytest.MonkeyPatch, mode: str, full: bool
    ) -> None:
        seen: list[Any] = []

        class Formatter:
            def __init__(self) -> None:
                self.mode = mode

            def structured_traceback(self, *args: Any) -> list[str]:
                seen.append(args)
                return ["Traceback (most recent call last):", "..."]

        class Shell:
            InteractiveTB = Formatter()

        monkeypatch.setattr(errors, "_ipython_shell", Shell)
        error = ServerError("boom", status_code=500)
        lines = error._render_traceback_()
        assert (lines[0] == "Traceback (most recent call last):") is full
        assert seen == ([(ServerError, error, None)] if full else [])

    def test_in_a_real_ipython_shell(self) -> None:
        # IPython itself, in its own process: the short form, then %tb Plain for everything.
        script = """
from IPython.core.interactiveshell import InteractiveShell
from lambdacloud.testing import FakeLambdaCloud
shell = InteractiveShell.instance(colors="nocolor")
with FakeLambdaCloud(rate_limits=False) as cloud:
    shell.user_ns["client"] = cloud.client()
    shell.run_cell('client.instances.get("0123456789abcdef0123456789abcdef")')
    print("=== %tb Plain")
    shell.run_cell("%tb Plain")
"""
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        short, _, full = result.stdout.partition("=== %tb Plain\n")
        assert short.splitlines() == [
            "NotFoundError: Instance 0123456789abcdef0123456789abcdef does not exist.",
            "  code:        global/object-does-not-exist",
            "  HTTP status: 404",
            "  suggestion:  Check the ID or name and try again.",
            "  Full traceback: %tb Plain, or %tb Verbose with the variables",
        ]
        assert full.startswith("Traceback (most recent call last):")
        assert "lambdacloud/_http/decoding.py" in full
        assert len(full.splitlines()) > 20
