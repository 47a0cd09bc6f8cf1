from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from lambdacloud import Client, MissingAPIKeyError, ValidationError
from lambdacloud.client import DEFAULT_TIMEOUT

from .conftest import API, API_KEY, load


def write_key_file(home: Path, text: str) -> None:
    folder = home / ".lambda_cloud"
    folder.mkdir()
    (folder / "lambda_keys").write_text(text)


def sent_authorization(mocked: responses.RequestsMock, client: Client) -> str:
    mocked.get(f"{API}/regions", json=load("regions"))
    client.regions.list()
    return str(mocked.calls[-1].request.headers["Authorization"])


class TestApiKeyDiscovery:
    def test_explicit_key_wins_over_environment_and_file(
        self, monkeypatch: pytest.MonkeyPatch, isolated_environment: Path, mocked: Any
    ) -> None:
        monkeypatch.setenv("LAMBDA_API_KEY", "from-env")
        write_key_file(isolated_environment, "api_key = from-file\n")
        assert sent_authorization(mocked, Client(api_key="explicit")) == "Bearer explicit"

    def test_environment_wins_over_file(
        self, monkeypatch: pytest.MonkeyPatch, isolated_environment: Path, mocked: Any
    ) -> None:
        monkeypatch.setenv("LAMBDA_API_KEY", "from-env")
        write_key_file(isolated_environment, "api_key = from-file\n")
        assert sent_authorization(mocked, Client()) == "Bearer from-env"

    @pytest.mark.parametrize(
        "text",
        [
            "api_key = from-file\n",
            "api_key=from-file",
            "# my keys\n\nother = x\napi_key =   from-file  \n",
            'api_key = "from-file"\n',
        ],
    )
    def test_key_file_lines(self, isolated_environment: Path, mocked: Any, text: str) -> None:
        write_key_file(isolated_environment, text)
        assert sent_authorization(mocked, Client()) == "Bearer from-file"

    def test_empty_environment_variable_falls_through_to_the_file(
        self, monkeypatch: pytest.MonkeyPatch, isolated_environment: Path, mocked: Any
    ) -> None:
        monkeypatch.setenv("LAMBDA_API_KEY", "  ")
        write_key_file(isolated_environment, "api_key = from-file\n")
        assert sent_authorization(mocked, Client()) == "Bearer from-file"

    def test_no_key_anywhere_names_all_three_places(self, isolated_environment: Path) -> None:
        write_key_file(isolated_environment, "something_else = 1\n")
        with pytest.raises(MissingAPIKeyError) as raised:
            Client()
        message = str(raised.value)
        assert "api_key=" in message
        assert "LAMBDA_API_KEY" in message
        assert "~/.lambda_cloud/lambda_keys" in message

    @pytest.mark.parametrize("key", ["abc\u2014def-key", "two words", "tab\tkey-value"])
    def test_keys_that_cannot_be_sent_are_rejected_without_showing_them(
        self, monkeypatch: pytest.MonkeyPatch, key: str
    ) -> None:
        with pytest.raises(ValidationError, match="api_key") as raised:
            Client(api_key=key)
        assert key not in str(raised.value)
        monkeypatch.setenv("LAMBDA_API_KEY", key)
        with pytest.raises(ValidationError, match="LAMBDA_API_KEY"):
            Client()

    def test_empty_explicit_key_is_rejected(self) -> None:
        with pytest.raises(ValidationError, match="api_key"):
            Client(api_key="")


class TestAuth:
    def test_bearer_by_default(self, mocked: Any) -> None:
        assert sent_authorization(mocked, Client(api_key="abc")) == "Bearer abc"

    def test_basic_sends_the_key_as_user_with_empty_password(self, mocked: Any) -> None:
        header = sent_authorization(mocked, Client(api_key="abc", auth="basic"))
        assert header == "Basic " + base64.b64encode(b"abc:").decode()

    def test_unknown_auth_scheme_is_rejected(self) -> None:
        with pytest.raises(ValidationError, match="auth"):
            Client(api_key="abc", auth="digest")  # type: ignore[arg-type]


class TestBaseUrl:
    @pytest.mark.parametrize(
        "base_url",
        ["http://127.0.0.1:8080", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/api/v1/"],
    )
    def test_requests_go_to_base_url(self, mocked: Any, base_url: str) -> None:
        mocked.get("http://127.0.0.1:8080/api/v1/regions", json=load("regions"))
        client = Client(api_key="abc", base_url=base_url)
        assert client.regions.list()[0].name == "us-east-1"
        assert client.base_url == "http://127.0.0.1:8080"

    def test_a_path_prefix_is_kept_for_proxies(self, mocked: Any) -> None:
        mocked.get("https://proxy.example/lambda/api/v1/regions", json=load("regions"))
        Client(api_key="abc", base_url="https://proxy.example/lambda").regions.list()

    @pytest.mark.parametrize("base_url", ["cloud.lambda.ai", "ftp://cloud.lambda.ai", ""])
    def test_malformed_base_url_is_rejected(self, base_url: str) -> None:
        with pytest.raises(ValidationError, match="base_url"):
            Client(api_key="abc", base_url=base_url)


class TestTimeout:
    def test_every_request_has_the_default_timeout(self, client: Client, mocked: Any) -> None:
        mocked.get(f"{API}/regions", json=load("regions"))
        client.regions.list()
        assert mocked.calls[0].request.req_kwargs["timeout"] == DEFAULT_TIMEOUT

    @pytest.mark.parametrize("timeout", [5.0, (1.0, 30.0)])
    def test_timeout_is_configurable(self, mocked: Any, timeout: Any) -> None:
        mocked.get(f"{API}/regions", json=load("regions"))
        Client(api_key="abc", timeout=timeout).regions.list()
        assert mocked.calls[0].request.req_kwargs["timeout"] == timeout

    @pytest.mark.parametrize("timeout", [0, -1.0, None, (1.0,) * 3, float("inf"), "10"])
    def test_bad_timeout_is_rejected(self, timeout: Any) -> None:
        with pytest.raises(ValidationError, match="timeout"):
            Client(api_key="abc", timeout=timeout)


@pytest.mark.parametrize("max_retries", [-1, 1.5, True, "3"])
def test_bad_max_retries_is_rejected(max_retries: Any) -> None:
    with pytest.raises(ValidationError, match="max_retries"):
        Client(api_key="abc", max_retries=max_retries)


class RecordingSession(requests.Session):
    closed = 0

    def close(self) -> None:
        self.closed += 1
        super().close()


class TestSession:
    def test_callers_session_is_used_and_left_unchanged(self, mocked: Any) -> None:
        session = RecordingSession()
        session.headers["X-Proxy-Token"] = "proxy-secret"
        mocked.get(f"{API}/regions", json=load("regions"))
        with Client(api_key="abc", session=session) as client:
            client.regions.list()
        request = mocked.calls[0].request
        assert request.headers["X-Proxy-Token"] == "proxy-secret"
        assert request.headers["Authorization"] == "Bearer abc"
        assert "Authorization" not in session.headers
        assert session.closed == 0

    def test_with_block_closes_the_clients_own_session(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        closed = []
        with Client(api_key="abc") as client:
            monkeypatch.setattr(client._api.session.http, "close", lambda: closed.append(True))
        assert closed == [True]

    def test_user_agent_names_the_library(self, client: Client, mocked: Any) -> None:
        mocked.get(f"{API}/regions", json=load("regions"))
        client.regions.list()
        assert mocked.calls[0].request.headers["User-Agent"].startswith("lambdacloud-client/")


def test_repr_shows_the_url_but_not_the_key(client: Client) -> None:
    assert "cloud.lambda.ai" in repr(client)
    assert API_KEY not in repr(client)
    assert API_KEY not in repr(client._api.session)


def test_raw_request_returns_the_unwrapped_data(client: Client, mocked: Any) -> None:
    mocked.get(f"{API}/regions", json=load("regions"))
    mocked.get(f"{API}/instances", json={"data": []})
    assert client.request("GET", "/api/v1/regions")[0]["name"] == "us-east-1"
    assert client.request("GET", "/instances") == []
