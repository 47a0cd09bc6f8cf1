"""What the library promises about billing, tried at the bad moments: Ctrl-C in the middle of
a launch or of its cleanup, a lost answer, a 404 right after a launch, a Retry-After longer
than the time left. Real local servers where the timing matters, injected time elsewhere."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from lambdacloud import (
    APITimeoutError,
    Client,
    LaunchAbortedError,
    ServerError,
    WaitTimeoutError,
)
from lambdacloud.instances.cleanup import CLEANUP_TIMEOUT
from lambdacloud.testing import FakeClock, FakeLambdaCloud

from .conftest import API, API_KEY, FakeTime, instance_data, load

LAUNCH = "/instance-operations/launch"
TERMINATE = "/instance-operations/terminate"
INSTANCE_ID = "0920582c7ff041399e34823a0be62549"
TOKEN_KEY = "lambdacloud:launch-token"


def briefly(seconds: float) -> None:
    """A real pause, shortened: what the client waits for does happen in real time here."""
    time.sleep(min(seconds, 0.2))


def interrupt_in(seconds: float) -> threading.Timer:
    """Ctrl-C for the main thread, ``seconds`` from now (a real SIGINT: it ends a blocked read)."""
    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(seconds, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    return timer


def ctrl_c(request: Any) -> Any:
    """A ``responses`` callback: Ctrl-C arrives while this request is out."""
    raise KeyboardInterrupt


def notes(error: BaseException) -> str:
    return "\n".join(getattr(error, "__notes__", []))


@pytest.fixture
def cloud() -> Iterator[FakeLambdaCloud]:
    with FakeLambdaCloud(rate_limits=False, ssh=False) as running:
        yield running


def real_time_client(cloud: FakeLambdaCloud, **options: Any) -> Client:
    client = cloud.client(
        clock=time.monotonic, sleep=briefly, rate_limit=False, max_retries=0, **options
    )
    client.ssh_keys.create("me")
    return client


def running(cloud: FakeLambdaCloud) -> list[str]:
    """The statuses of every instance the cloud still lists."""
    return [str(i.status) for i in cloud.client(rate_limit=False).instances.list()]


class TestInterruptedLaunch:
    def test_ctrl_c_while_the_launch_is_in_flight_terminates_what_it_started(
        self, cloud: FakeLambdaCloud, caplog: pytest.LogCaptureFixture
    ) -> None:
        client = real_time_client(cloud)
        cloud.inject(delay=0.5, method="POST", path=LAUNCH)  # launches after 0.5 s
        timer = interrupt_in(0.15)
        try:
            with pytest.raises(KeyboardInterrupt):
                client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        finally:
            timer.cancel()
        assert cloud.count("POST", LAUNCH) == 1
        assert running(cloud) == ["terminating"]  # found by its token and terminated
        assert "launch token" in caplog.text
        # The client is not wedged: it answers the next call.
        assert client.regions.list()

    def test_ctrl_c_before_the_launch_left_sends_nothing_more(
        self, mocked: responses.RequestsMock
    ) -> None:
        mocked.post(f"{API}{LAUNCH}", json=load("launched"))
        mocked.get(f"{API}/instances/{INSTANCE_ID}", json=load("instance_booting"))
        clock = FakeTime()

        def sleep(seconds: float) -> None:
            raise KeyboardInterrupt  # while the second launch waits for its 12-second slot

        client = Client(api_key=API_KEY, clock=clock.clock, sleep=sleep, rate_limit=False)
        client.instances.launch("gpu_1x_a10", ssh_key="k", region="us-east-1")
        with pytest.raises(KeyboardInterrupt):
            client.instances.launch("gpu_1x_a10", ssh_key="k", region="us-east-1")
        assert [c.request.method for c in mocked.calls] == ["POST", "GET"]

    def test_ctrl_c_after_the_answer_terminates_by_id(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.post(f"{API}{LAUNCH}", json=load("launched"))
        mocked.add_callback("GET", f"{API}/instances/{INSTANCE_ID}", callback=ctrl_c)
        mocked.post(f"{API}{TERMINATE}", json=terminated())
        with pytest.raises(KeyboardInterrupt):
            client.instances.launch("gpu_1x_a10", ssh_key="k", region="us-east-1")
        (terminate,) = [c for c in mocked.calls if c.request.url.endswith(TERMINATE)]
        assert json.loads(terminate.request.body) == {"instance_ids": [INSTANCE_ID]}

    def test_a_second_ctrl_c_during_cleanup_names_what_may_still_run(
        self, client: Client, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
    ) -> None:
        mocked.post(f"{API}{LAUNCH}", json=load("launched"))
        mocked.add_callback("GET", f"{API}/instances/{INSTANCE_ID}", callback=ctrl_c)
        mocked.add_callback("POST", f"{API}{TERMINATE}", callback=ctrl_c)
        with pytest.raises(KeyboardInterrupt) as raised:
            client.instances.launch("gpu_1x_a10", ssh_key="k", region="us-east-1")
        assert INSTANCE_ID in caplog.text
        assert "may still be running" in caplog.text
        if hasattr(raised.value, "add_note"):
            assert INSTANCE_ID in notes(raised.value)
            assert "client.instances.terminate" in notes(raised.value)

    def test_ctrl_c_during_launch_and_wait_terminates_it(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        mocked.post(f"{API}{LAUNCH}", json=load("launched"))
        mocked.get(f"{API}/instances/{INSTANCE_ID}", json=load("instance_booting"))
        mocked.add_callback("GET", f"{API}/instances/{INSTANCE_ID}", callback=ctrl_c)
        mocked.post(f"{API}{TERMINATE}", json=terminated())
        with pytest.raises(KeyboardInterrupt):
            client.instances.launch(
                "gpu_1x_a10", ssh_key="k", region="us-east-1", wait=True, progress=False
            )
        assert mocked.calls[-1].request.url.endswith(TERMINATE)


class TestLostAnswers:
    def test_a_launch_that_timed_out_is_found_by_its_token_not_launched_again(
        self, cloud: FakeLambdaCloud
    ) -> None:
        client = real_time_client(cloud, timeout=(1.0, 0.1))
        cloud.inject(delay=0.4, method="POST", path=LAUNCH)
        instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        assert cloud.count("POST", LAUNCH) == 1
        assert instance.tags[TOKEN_KEY]
        assert [i.id for i in client.instances.list()] == [instance.id]

    def test_a_5xx_after_the_server_launched_is_reconciled(
        self, client: Client, mocked: responses.RequestsMock
    ) -> None:
        sent: dict[str, Any] = {}

        def gateway_error(request: Any) -> tuple[int, dict[str, str], str]:
            sent.update(json.loads(request.body))
            return 502, {}, "<html>Bad Gateway</html>"

        def listing(request: Any) -> tuple[int, dict[str, str], str]:
            data = instance_data("instance_booting", tags=sent["tags"])
            return 200, {}, json.dumps({"data": [data]})

        mocked.add_callback("POST", f"{API}{LAUNCH}", callback=gateway_error)
        mocked.add_callback("GET", f"{API}/instances", callback=listing)
        mocked.get(f"{API}/instances/{INSTANCE_ID}", json=load("instance_booting"))
        instance = client.instances.launch("gpu_1x_a10", ssh_key="k", region="us-east-1")
        assert instance.id == INSTANCE_ID
        assert [c.request.method for c in mocked.calls].count("POST") == 1

    def test_a_lost_answer_with_nothing_to_find_names_the_token(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.post(f"{API}{LAUNCH}", status=503, body="")
        mocked.get(f"{API}/instances", json={"data": []})
        with pytest.raises(ServerError, match="launch token") as raised:
            client.instances.launch("gpu_1x_a10", ssh_key="k", region="us-east-1")
        assert "lambdacloud:launch-token=" in str(raised.value)
        assert sum(fake_time.sleeps) >= 25.0  # looked for about half a minute


class TestNotFoundRightAfterLaunch:
    def test_a_404_on_read_back_and_cleanup_is_never_called_terminated(
        self,
        client: Client,
        mocked: responses.RequestsMock,
        fake_time: FakeTime,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        missing = {"error": {"code": "global/object-does-not-exist", "message": "not yet"}}
        mocked.post(f"{API}{LAUNCH}", json=load("launched"))
        mocked.get(f"{API}/instances/{INSTANCE_ID}", status=404, json=missing)
        mocked.post(f"{API}{TERMINATE}", status=404, json=missing)
        started = fake_time.now
        with pytest.raises(LaunchAbortedError) as raised:
            client.instances.launch("gpu_1x_a10", ssh_key="k", region="us-east-1")
        assert raised.value.terminated is False
        assert INSTANCE_ID in str(raised.value)
        assert "may still be running" in caplog.text
        assert fake_time.now - started <= 60.0 + CLEANUP_TIMEOUT + 10.0

    def test_a_404_then_visible_is_read_back(
        self, client: Client, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        missing = {"error": {"code": "global/object-does-not-exist", "message": "not yet"}}
        mocked.post(f"{API}{LAUNCH}", json=load("launched"))
        for _ in range(4):
            mocked.get(f"{API}/instances/{INSTANCE_ID}", status=404, json=missing)
        mocked.get(f"{API}/instances/{INSTANCE_ID}", json=load("instance_booting"))
        instance = client.instances.launch("gpu_1x_a10", ssh_key="k", region="us-east-1")
        assert instance.id == INSTANCE_ID
        assert not any(c.request.url.endswith(TERMINATE) for c in mocked.calls)


class TestTheEndOfAWithBlock:
    def test_ctrl_c_during_the_terminate_at_exit_names_the_instance(
        self, cloud: FakeLambdaCloud, caplog: pytest.LogCaptureFixture
    ) -> None:
        client = real_time_client(cloud)
        instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        cloud.inject(delay=2.0, method="POST", path=TERMINATE)
        timer = interrupt_in(0.15)
        try:
            with pytest.raises(KeyboardInterrupt) as raised, instance:
                pass
        finally:
            timer.cancel()
        assert instance.id in caplog.text
        assert "may still be running" in caplog.text
        if hasattr(raised.value, "add_note"):
            assert instance.id in notes(raised.value)

    def test_ctrl_c_in_the_body_terminates_then_propagates(self, cloud: FakeLambdaCloud) -> None:
        client = real_time_client(cloud)
        with (
            pytest.raises(KeyboardInterrupt),
            client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1"),
        ):
            raise KeyboardInterrupt
        assert running(cloud) == ["terminating"]


class TestDeadlines:
    @pytest.fixture
    def slow_cloud(self) -> Iterator[FakeLambdaCloud]:
        with FakeLambdaCloud(clock=FakeClock(frozen=True), boot_seconds=600) as running:
            yield running

    def test_a_wait_ends_at_its_timeout(self, slow_cloud: FakeLambdaCloud) -> None:
        client = slow_cloud.client()
        client.ssh_keys.create("me")
        instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        started = slow_cloud.clock()
        with pytest.raises(WaitTimeoutError):
            instance.wait_until_active(timeout=20, progress=False)
        assert 19.0 <= slow_cloud.clock() - started <= 21.0

    def test_a_retry_after_longer_than_the_time_left_ends_the_wait_on_time(
        self, slow_cloud: FakeLambdaCloud
    ) -> None:
        client = slow_cloud.client()
        client.ssh_keys.create("me")
        instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        slow_cloud.inject(
            status=429, headers={"Retry-After": "60"}, method="GET", path="/instances", times=50
        )
        started = slow_cloud.clock()
        with pytest.raises(WaitTimeoutError) as raised:
            instance.wait_until_active(timeout=20, progress=False)
        assert 19.0 <= slow_cloud.clock() - started <= 21.0
        assert raised.value.__cause__ is not None

    def test_a_request_made_for_a_wait_gets_no_more_than_the_time_left(
        self, fake_time: FakeTime
    ) -> None:
        client = Client(api_key=API_KEY, clock=fake_time.clock, sleep=fake_time.sleep)
        assert client._api.session._timeout(fake_time.now + 3.0) == (3.0, 3.0)
        with pytest.raises(APITimeoutError) as raised:
            client._api.session.request("GET", "/regions", deadline=fake_time.now - 1.0)
        assert raised.value.request_sent is False


def terminated() -> dict[str, Any]:
    return {"data": {"terminated_instances": [instance_data(status="terminating")]}}
