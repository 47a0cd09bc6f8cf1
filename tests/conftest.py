"""Shared fixtures: an isolated environment, a fake clock, a strict client and HTTP mocks."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from lambdacloud import Client, _clock
from lambdacloud._http import retry

from . import secret_watch
from .spec import request_violation

API = "https://cloud.lambda.ai/api/v1"
API_KEY = "secret_test-key_6b2d0a9f1c3e4d5b8a7f6e5d4c3b2a19"
FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    """A response body from tests/fixtures (a fresh copy each time)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def instance_data(fixture: str = "instance_active", **changes: Any) -> dict[str, Any]:
    """The ``data`` of an instance fixture, with some fields changed."""
    data: dict[str, Any] = copy.deepcopy(load(fixture)["data"])
    data.update(changes)
    return data


LAUNCH_TOKEN = re.compile(r"[0-9a-f]{32}")
LAUNCH_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def launch_matcher(expected: dict[str, Any]) -> Callable[[Any], tuple[bool, str]]:
    """A ``responses`` matcher: the launch body is ``expected`` plus the library's own tags
    (a fresh launch token and the launch time), after the caller's tags."""

    def match(request: Any) -> tuple[bool, str]:
        body = json.loads(request.body)
        entries = body.pop("tags", [])
        library = {e["key"]: e["value"] for e in entries if e["key"].startswith("lambdacloud:")}
        users = [e for e in entries if not e["key"].startswith("lambdacloud:")]
        if users:
            body["tags"] = users
        problems = []
        if body != expected:
            problems.append(f"body {body} is not {expected}")
        if set(library) - {
            "lambdacloud:launch-token",
            "lambdacloud:launched-at",
            "lambdacloud:expires-at",
        }:
            problems.append(f"unexpected library tags {library}")
        if not LAUNCH_TOKEN.fullmatch(library.get("lambdacloud:launch-token", "")):
            problems.append(f"no launch token in {library}")
        if not LAUNCH_TIME.fullmatch(library.get("lambdacloud:launched-at", "")):
            problems.append(f"no launch time in {library}")
        return not problems, "; ".join(problems)

    return match


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees the developer's key, key file, proxies or CA bundle settings."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("LAMBDA_API_KEY", raising=False)
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def no_secret_escapes(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Logging at DEBUG, and no secret in any log record, exception text or repr.

    Where answers are random — the contract tier, the ``random_answers`` property tests —
    tokens and keys parsed from responses are not watched: a random private key may well be
    the same text as the random public key beside it (Prism fills every field with the same
    few Latin words). What the test sends (the API key, ``user_data``) still is.
    """
    random = any(request.node.get_closest_marker(m) for m in ("contract", "random_answers"))
    watch = secret_watch.install(monkeypatch, response_secrets=not random)
    try:
        yield
    finally:
        secret_watch.uninstall(watch)
    assert watch.leaks() == []


@pytest.fixture(autouse=True)
def requests_follow_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request a test sends to the API through the mocks must be one the 1.10.0
    document accepts: path, method, query, JSON body and an Authorization header."""
    original = responses.RequestsMock._on_request

    def checked(self: responses.RequestsMock, adapter: Any, request: Any, **kwargs: Any) -> Any:
        if "/api/" in (request.url or ""):
            violation = request_violation(request)
            if violation is not None:
                raise AssertionError(
                    f"{request.method} {request.url} breaks the API document: {violation}"
                )
        return original(self, adapter, request, **kwargs)

    monkeypatch.setattr(responses.RequestsMock, "_on_request", checked)


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client built without an injected sleep must not sleep for real in a test: a rate
    limit, a retry or a wait that would is a slow test (inject a clock, or pace off)."""

    def refuse(seconds: float) -> None:
        raise AssertionError(f"the library slept {seconds:.2f} s for real; inject sleep=")

    monkeypatch.setattr(_clock, "sleep", refuse)


@pytest.fixture(autouse=True)
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff delays are exact in tests."""
    monkeypatch.setattr(retry, "jitter", lambda delay: delay)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake_time: FakeTime) -> Iterator[Client]:
    """A client on the default URL whose converter rejects keys the fixtures should not have.

    Its request pacing is off, so that the sleeps a test sees are the ones it is about
    (tests/test_pacing.py covers the pacing); launch spacing stays on.
    """
    with Client(
        api_key=API_KEY, clock=fake_time.clock, sleep=fake_time.sleep, rate_limit=False
    ) as client:
        client._api.converter = client._api.make_converter(strict=True)
        yield client


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """HTTP mocks; an unexpected request fails, and so does a registered one left unused."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
