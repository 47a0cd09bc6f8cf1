"""The retry policy: which requests are repeated, how often, and how long we wait."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from lambdacloud import (
    APIConnectionError,
    APITimeoutError,
    Client,
    InsufficientCapacityError,
    InvalidParametersError,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from lambdacloud._http.pacing import LAUNCH_INTERVAL
from lambdacloud._http.retry import RETRY_AFTER_MAX, backoff, parse_retry_after, retry_delay

from .conftest import API, API_KEY, FakeTime, instance_data, load

INSTANCE_ID = "0920582c7ff041399e34823a0be62549"
LAUNCH = f"{API}/instance-operations/launch"


def refused() -> requests.exceptions.ConnectionError:
    """What requests raises when nothing listens: the request never left this machine."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def reset() -> requests.exceptions.ConnectionError:
    """What requests raises when the server drops the connection after receiving the request."""
    cause = ConnectionResetError(104, "Connection reset by peer")
    return requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", cause))


def html_502() -> responses.Response:
    return responses.Response("POST", LAUNCH, body="<html>502 Bad Gateway</html>", status=502)


def launch(client: Client) -> Any:
    return client.instances.launch("gpu_1x_a10", region="us-east-1", ssh_key="my-laptop")


def expect_read_back(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/instances/{INSTANCE_ID}", json={"data": instance_data("instance_booting")})


def calls_to(mocked: responses.RequestsMock, method: str, url: str) -> int:
    return sum(1 for c in mocked.calls if c.request.method == method and c.request.url == url)


class TestSafeMethods:
    def test_5xx_is_retried_with_exponential_backoff(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.get(f"{API}/regions", status=503, json={})
        mocked.get(f"{API}/regions", status=500, body="")
        mocked.get(f"{API}/regions", json=load("regions"))
        assert len(client.regions.list()) == 3
        assert len(mocked.calls) == 3
        assert fake_time.sleeps == [0.5, 1.0]

    def test_retries_stop_after_max_retries(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.get(f"{API}/regions", status=500, body="<html>oops</html>")
        with pytest.raises(ServerError):
            client.regions.list()
        assert len(mocked.calls) == 6
        assert fake_time.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]

    def test_max_retries_zero_disables_retrying(self, mocked: responses.RequestsMock) -> None:
        mocked.get(f"{API}/regions", status=503, body="")
        with pytest.raises(ServerError):
            Client(api_key=API_KEY, max_retries=0).regions.list()
        assert len(mocked.calls) == 1

    @pytest.mark.parametrize(
        "failure",
        [refused(), reset(), requests.exceptions.ReadTimeout("slow")],
        ids=["refused", "reset", "read-timeout"],
    )
    def test_connection_failures_are_retried(
        self, client: Client, mocked: responses.RequestsMock, failure: Exception
    ) -> None:
        mocked.get(f"{API}/regions", body=failure)
        mocked.get(f"{API}/regions", json=load("regions"))
        assert len(client.regions.list()) == 3
        assert len(mocked.calls) == 2

    @pytest.mark.parametrize(
        ("status", "error"), [(400, InvalidParametersError), (404, NotFoundError)]
    )
    def test_client_errors_are_not_retried(
        self, client: Client, mocked: responses.RequestsMock, status: int, error: type
    ) -> None:
        mocked.get(f"{API}/regions", status=status, json={"error": {"code": "x", "message": "m"}})
        with pytest.raises(error):
            client.regions.list()
        assert len(mocked.calls) == 1

    def test_certificate_errors_are_not_retried(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(f"{API}/regions", body=requests.exceptions.SSLError("certificate verify failed"))
        with pytest.raises(APIConnectionError):
            client.regions.list()
        assert len(mocked.calls) == 1

    def test_delete_is_retried_on_5xx(self, client: Client, mocked: responses.RequestsMock) -> None:
        url = f"{API}/ssh-keys/ddf9a910ceb744a0bb95242cbba6cb50"
        mocked.delete(url, status=503, body="")
        mocked.delete(url, json=load("empty"))
        client.ssh_keys.delete("ddf9a910ceb744a0bb95242cbba6cb50")
        assert len(mocked.calls) == 2

    def test_put_and_patch_are_retried_on_5xx(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.put(f"{API}/firewall-rules", status=503, body="")
        mocked.put(f"{API}/firewall-rules", json=load("firewall_rules"))
        mocked.patch(f"{API}/firewall-rulesets/global", status=500, body="")
        mocked.patch(f"{API}/firewall-rulesets/global", json=load("firewall_ruleset_global"))
        client.firewall_rules.replace([])
        client.firewall_rulesets.update_global([])
        assert len(mocked.calls) == 4


class TestRateLimits:
    def test_retry_after_seconds_is_honoured(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.get(f"{API}/regions", status=429, headers={"Retry-After": "3"}, body="")
        mocked.get(f"{API}/regions", json=load("regions"))
        client.regions.list()
        assert fake_time.sleeps == [3.0]

    def test_retry_after_is_capped(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        far = format_datetime(datetime(2999, 1, 1, tzinfo=timezone.utc), usegmt=True)
        mocked.get(f"{API}/regions", status=429, headers={"Retry-After": far}, body="")
        mocked.get(f"{API}/regions", status=429, headers={"Retry-After": "3600"}, body="")
        mocked.get(f"{API}/regions", json=load("regions"))
        client.regions.list()
        assert fake_time.sleeps == [RETRY_AFTER_MAX, RETRY_AFTER_MAX]

    def test_429_without_retry_after_backs_off(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.get(f"{API}/regions", status=429, json={})
        mocked.get(f"{API}/regions", json=load("regions"))
        client.regions.list()
        assert fake_time.sleeps == [0.5]

    def test_a_storm_longer_than_the_budget_raises_rate_limit_error(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.get(f"{API}/regions", status=429, headers={"Retry-After": "1"}, body="")
        with pytest.raises(RateLimitError) as raised:
            client.regions.list()
        assert raised.value.retry_after == 1.0
        assert len(mocked.calls) == 6


class TestLaunchIsNeverRepeatedOnceTheServerMayHaveActed:
    @pytest.mark.parametrize(
        "failure",
        [
            responses.Response(
                "POST",
                LAUNCH,
                status=500,
                json={"error": {"code": "global/internal-error", "message": "m"}},
            ),
            html_502(),
            responses.Response("POST", LAUNCH, status=503, body=""),
            responses.Response("POST", LAUNCH, body=reset()),
            responses.Response("POST", LAUNCH, body=requests.exceptions.ReadTimeout("slow")),
            responses.Response(
                "POST", LAUNCH, body=requests.exceptions.ChunkedEncodingError("cut short")
            ),
        ],
        ids=["500", "502-html", "503-empty", "reset", "read-timeout", "truncated"],
    )
    def test_sent_once(
        self, client: Client, mocked: responses.RequestsMock, failure: responses.Response
    ) -> None:
        mocked.add(failure)
        with pytest.raises((ServerError, APIConnectionError)):
            launch(client)
        assert calls_to(mocked, "POST", LAUNCH) == 1

    @pytest.mark.parametrize(
        "failure",
        [
            responses.Response("POST", LAUNCH, status=429, headers={"Retry-After": "12"}, body=""),
            responses.Response("POST", LAUNCH, body=refused()),
            responses.Response(
                "POST", LAUNCH, body=requests.exceptions.ConnectTimeout("connect timed out")
            ),
        ],
        ids=["429", "refused", "connect-timeout"],
    )
    def test_retried_when_it_certainly_did_not_act(
        self, client: Client, mocked: responses.RequestsMock, failure: responses.Response
    ) -> None:
        mocked.add(failure)
        mocked.post(LAUNCH, json=load("launched"))
        expect_read_back(mocked)
        assert launch(client).id == INSTANCE_ID
        assert calls_to(mocked, "POST", LAUNCH) == 2

    def test_read_timeout_is_reported_as_a_timeout(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.post(LAUNCH, body=requests.exceptions.ReadTimeout("slow"))
        with pytest.raises(APITimeoutError) as raised:
            launch(client)
        assert raised.value.request_sent is True

    @pytest.mark.parametrize(
        ("method", "url", "call"),
        [
            ("POST", f"{API}/instance-operations/restart", lambda c: c.instances.restart("i")),
            ("POST", f"{API}/instance-operations/terminate", lambda c: c.instances.terminate("i")),
            ("POST", f"{API}/instances/i", lambda c: c.instances.update("i", name="n")),
            ("POST", f"{API}/ssh-keys", lambda c: c.ssh_keys.create("k")),
            ("POST", f"{API}/filesystems", lambda c: c.filesystems.create("fs", "us-east-1")),
            ("PATCH", f"{API}/tickets/t", lambda c: c.tickets.update("t", comment="hello")),
        ],
        ids=["restart", "terminate", "rename", "create-key", "create-filesystem", "comment"],
    )
    def test_other_unsafe_requests_are_not_repeated_after_a_5xx(
        self, client: Client, mocked: responses.RequestsMock, method: str, url: str, call: Any
    ) -> None:
        mocked.add(method, url, status=500, body="")
        with pytest.raises(ServerError):
            call(client)
        assert len(mocked.calls) == 1

    def test_a_launch_that_may_have_been_accepted_says_so(
        self, client: Client, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
    ) -> None:
        mocked.post(LAUNCH, status=502, body="<html>Bad Gateway</html>")
        with pytest.raises(ServerError, match="may have been accepted") as raised:
            launch(client)
        assert "client.instances.list()" in str(raised.value)
        assert "may have been accepted" in caplog.text

    @pytest.mark.parametrize(
        "answer", [{"data": {}}, {"data": {"instance_ids": []}}, {"instances": ["x"]}]
    )
    def test_an_accepted_launch_with_an_unreadable_answer_says_one_is_running(
        self, client: Client, mocked: responses.RequestsMock, answer: Any
    ) -> None:
        mocked.post(LAUNCH, json=answer)
        with pytest.raises(MalformedResponseError, match="probably running"):
            launch(client)
        assert calls_to(mocked, "POST", LAUNCH) == 1

    def test_a_refused_launch_says_nothing_about_running_machines(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        error = {"code": "instance-operations/launch/insufficient-capacity", "message": "none"}
        mocked.post(LAUNCH, status=400, json={"error": error})
        with pytest.raises(InsufficientCapacityError) as raised:
            launch(client)
        assert "accepted" not in str(raised.value)


class TestLaunchSpacing:
    def test_launches_are_at_least_12_seconds_apart(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.post(LAUNCH, json=load("launched"))
        mocked.get(f"{API}/instances/{INSTANCE_ID}", json=load("instance_booting"))
        launch(client)
        assert fake_time.sleeps == []
        fake_time.now += 5.0
        launch(client)
        assert fake_time.sleeps == [pytest.approx(LAUNCH_INTERVAL - 5.0)]
        assert LAUNCH_INTERVAL >= 12.0
        fake_time.now += 30.0
        launch(client)
        assert fake_time.sleeps == [pytest.approx(LAUNCH_INTERVAL - 5.0)]

    def test_every_attempt_of_a_retried_launch_is_spaced(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.post(LAUNCH, status=429, headers={"Retry-After": "8"}, body="")
        mocked.post(LAUNCH, json=load("launched"))
        mocked.get(f"{API}/instances/{INSTANCE_ID}", json=load("instance_booting"))
        launch(client)
        # Retry-After asked for 8 s; the launch limit needs the full interval.
        assert fake_time.sleeps == [8.0, pytest.approx(LAUNCH_INTERVAL - 8.0)]
        fake_time.now += 1.0
        launch(client)
        assert fake_time.sleeps[2:] == [pytest.approx(LAUNCH_INTERVAL - 1.0)]

    def test_spacing_holds_across_threads(self, mocked: responses.RequestsMock) -> None:
        clock = FakeTime()
        lock = threading.Lock()

        def sleep(seconds: float) -> None:
            with lock:
                clock.sleep(seconds)

        client = Client(api_key=API_KEY, clock=clock.clock, sleep=sleep, rate_limit=False)
        mocked.post(LAUNCH, json=load("launched"))
        mocked.get(f"{API}/instances/{INSTANCE_ID}", json=load("instance_booting"))
        sent: list[float] = []
        original = client._api.session._api_call

        def recording_send(*args: Any) -> Any:
            if args[1].endswith("/launch"):
                sent.append(clock.now)
            return original(*args)

        client._api.session._api_call = recording_send  # type: ignore[method-assign]
        threads = [threading.Thread(target=launch, args=(client,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(sent) == 4
        gaps = [
            later - earlier for earlier, later in zip(sorted(sent), sorted(sent)[1:], strict=False)
        ]
        assert all(gap >= 12.0 for gap in gaps)

    def test_other_requests_are_not_delayed_by_a_launch(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.post(LAUNCH, json=load("launched"))
        mocked.get(f"{API}/instances/{INSTANCE_ID}", json=load("instance_booting"))
        mocked.get(f"{API}/regions", json=load("regions"))
        launch(client)
        client.regions.list()
        assert fake_time.sleeps == []


class TestArithmetic:
    def test_backoff_doubles_up_to_the_cap(self) -> None:
        assert [backoff(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("12", 12.0),
            (" 0 ", 0.0),
            ("1.5", 1.5),
            ("-3", 0.0),
            ("Thu, 01 Jan 1970 00:00:30 GMT", 20.0),
            ("Thu, 01 Jan 1970 00:00:05 GMT", 0.0),
            ("soon", None),
            ("", None),
            (None, None),
            ("nan", None),
        ],
    )
    def test_parse_retry_after(self, value: str | None, expected: float | None) -> None:
        assert parse_retry_after(value, now=10.0) == expected

    def test_retry_delay_prefers_retry_after_and_caps_it(self) -> None:
        assert retry_delay(RateLimitError("slow down", retry_after=7.0), attempt=3) == 7.0
        assert retry_delay(RateLimitError("slow down", retry_after=600.0), 1) == RETRY_AFTER_MAX
        assert retry_delay(ServerError("boom"), attempt=3) == 2.0
