"""The billing promises at their worst moments, each as a hostile user or a failing network
would bring it about: a lost launch answer whose search fails too, Ctrl-C in a notifier, in a
search, right after a confirmed termination or as the instance is handed over, 429 storms with
long Retry-After, two threads launching at once, a server that drips its answer, an SSH
server that drips its banner, and ``user_data`` echoed in base64.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from types import FrameType
from typing import Any

import pytest
import requests
import responses

from lambdacloud import (
    APIConnectionError,
    CapacityTimeoutError,
    Client,
    LambdaCloudError,
    LaunchAbortedError,
    ValidationError,
    WaitTimeoutError,
)
from lambdacloud._http import decoding
from lambdacloud.instances import cleanup as cleanup_module
from lambdacloud.testing import FakeClock, FakeLambdaCloud
from tests.conftest import API, API_KEY, FakeTime, instance_data

LAUNCH = "/instance-operations/launch"
TERMINATE = "/instance-operations/terminate"
USER_DATA = (
    "#cloud-config\nruncmd:\n  - echo 'WANDB_API_KEY=0123456789abcdef0123' >> /etc/environment\n"
)
SECRET = "0123456789abcdef0123"


def frozen_cloud(**options: Any) -> FakeLambdaCloud:
    """A fake cloud on frozen time, without rate limits or SSH listeners."""
    return FakeLambdaCloud(rate_limits=False, ssh=False, clock=FakeClock(frozen=True), **options)


def test_acquire_never_ends_with_two_machines() -> None:
    with frozen_cloud() as cloud:
        client = cloud.client(max_retries=0)
        client.ssh_keys.create("me")
        cloud.inject(truncate=True, method="POST", path=LAUNCH)  # launched; answer cut mid-body
        cloud.inject(
            status=503, method="GET", path="/instances", times=6
        )  # the ~30 s search misses
        got = client.instances.acquire(["gpu_1x_a10"], ssh_key="me", progress=False, timeout=600)
        running = [i.id for i in client.instances.list() if str(i.status) == "booting"]
        assert cloud.count("POST", LAUNCH) == 1, "a second launch was sent for one acquire()"
        assert running == [got.id]


def test_an_acquire_that_ends_with_a_launch_unaccounted_for_names_its_token() -> None:
    with frozen_cloud() as cloud:
        client = cloud.client(max_retries=0)
        client.ssh_keys.create("me")
        cloud.inject(truncate=True, method="POST", path=LAUNCH)  # launched; answer cut
        cloud.inject(status=503, method="GET", path="/instances", times=1000)  # never listed
        with pytest.raises(CapacityTimeoutError) as raised:
            client.instances.acquire(["gpu_1x_a10"], ssh_key="me", progress=False, timeout=120)
        (sent,) = [r for r in cloud.requests if r.path.endswith(LAUNCH)]
        tags = {tag["key"]: tag["value"] for tag in sent.body["tags"]}
        assert tags["lambdacloud:launch-token"] in notes(raised.value)


@pytest.mark.parametrize("same_region", [False, True])
def test_a_group_that_times_out_with_a_launch_unaccounted_for_names_its_token(
    same_region: bool,
) -> None:
    with frozen_cloud() as cloud:
        client = cloud.client(max_retries=0)
        client.ssh_keys.create("me")
        cloud.inject(truncate=True, method="POST", path=LAUNCH)
        cloud.inject(status=503, method="GET", path="/instances", times=1000)
        with pytest.raises(CapacityTimeoutError) as raised:
            client.instances.acquire_many(
                2,
                ["gpu_1x_a10"],
                ssh_key="me",
                progress=False,
                timeout=120,
                same_region=same_region,
            )
        (sent,) = [r for r in cloud.requests if r.path.endswith(LAUNCH)]
        tags = {tag["key"]: tag["value"] for tag in sent.body["tags"]}
        assert tags["lambdacloud:launch-token"] in notes(raised.value)


def test_a_5xx_blip_on_the_read_back_does_not_throw_the_gpu_away() -> None:
    with frozen_cloud() as cloud:
        client = cloud.client()  # default 5 retries
        client.ssh_keys.create("me")
        cloud.inject(status=503, method="GET", path="/instances", times=6)  # ~15 s of 503s
        got = client.instances.acquire(["gpu_1x_a10"], ssh_key="me", progress=False, timeout=600)
        assert got.status == "booting"


def notes(error: BaseException) -> str:
    return "\n".join(getattr(error, "__notes__", []))


def live(cloud: FakeLambdaCloud) -> list[Any]:
    return [
        i
        for i in cloud.client(rate_limit=False).instances.list()
        if str(i.status) not in ("terminated", "terminating")
    ]


def test_ctrl_c_during_the_search_after_a_lost_answer(caplog: pytest.LogCaptureFixture) -> None:
    """The launch's answer is lost (reset mid-body: the fake did launch), the library starts
    its silent ~30 s token search, the user presses Ctrl-C during it."""
    with FakeLambdaCloud(rate_limits=False, ssh=False) as cloud:
        clock = FakeClock(frozen=True)

        def sleep(seconds: float) -> None:
            raise KeyboardInterrupt  # the first pause of the token search

        client = Client(
            api_key=cloud.api_key,
            base_url=cloud.url,
            clock=clock,
            sleep=sleep,
            rate_limit=False,
            max_retries=0,
        )
        client.ssh_keys.create("me")
        cloud.inject(truncate=True, method="POST", path=LAUNCH)  # launched, answer cut
        cloud.inject(status=503, method="GET", path="/instances")  # first search misses
        with pytest.raises(KeyboardInterrupt) as raised:
            client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        running = live(cloud)
        assert len(running) == 1
        token = running[0].tags["lambdacloud:launch-token"]
        said = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= 30) + notes(
            raised.value
        )
        assert token in said or running[0].id in said, "nothing names the machine left running"


def test_ctrl_c_in_a_launched_notifier(caplog: pytest.LogCaptureFixture) -> None:
    """on_event(Launched) posts to Slack; the user presses Ctrl-C while it does."""
    with FakeLambdaCloud(rate_limits=False, ssh=False) as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")

        def notify(event: Any) -> None:
            if type(event).__name__ == "Launched":
                raise KeyboardInterrupt  # Ctrl-C while the notifier runs

        with pytest.raises(KeyboardInterrupt) as raised:
            client.instances.acquire(["gpu_1x_a10"], ssh_key="me", on_event=notify, progress=False)
        running = live(cloud)
        said = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= 30) + notes(
            raised.value
        )
        assert running == [] or running[0].id in said, "acquire lost a machine"


def test_ctrl_c_in_a_launched_notifier_of_a_group(caplog: pytest.LogCaptureFixture) -> None:
    with FakeLambdaCloud(rate_limits=False, ssh=False) as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        seen = []

        def notify(event: Any) -> None:
            if type(event).__name__ == "Launched":
                seen.append(event.instance.id)
                if len(seen) == 2:
                    raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt) as raised:
            client.instances.acquire_many(
                2, ["gpu_1x_a10"], ssh_key="me", on_event=notify, progress=False
            )
        running = live(cloud)
        said = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= 30) + notes(
            raised.value
        )
        assert running == [] or all(i.id in said for i in running), "acquire_many lost a machine"


def test_ctrl_c_during_launch_wait_notes_do_not_contradict(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with FakeLambdaCloud(rate_limits=False, ssh=False) as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        calls = []

        def progress(p: Any) -> None:
            calls.append(p)
            raise KeyboardInterrupt  # Ctrl-C during the wait

        with pytest.raises(KeyboardInterrupt) as raised:
            client.instances.launch(
                "gpu_1x_a10", ssh_key="me", region="us-west-1", wait=True, progress=progress
            )
        assert live(cloud) == []
        assert "still running" not in notes(raised.value), (
            "the note tells the user a terminated machine still bills"
        )


# The line right after terminate() has recorded the confirmation.
with open(cleanup_module.__file__) as source:
    LINE = next(n for n, text in enumerate(source, 1) if text.strip() == "if outcome.unconfirmed:")


@pytest.fixture
def ctrl_c_after_confirmation() -> Iterator[None]:
    """A real SIGINT handled at that line is a KeyboardInterrupt raised there; a trace does it."""
    fired = []

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if (
            frame.f_code.co_filename == cleanup_module.__file__
            and frame.f_code.co_name == "terminate"
        ):

            def local(frame: FrameType, event: str, arg: Any) -> Any:
                if event == "line" and frame.f_lineno == LINE and not fired:
                    fired.append(True)
                    raise KeyboardInterrupt
                return local

            return local
        return None

    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(None)


def test_ctrl_c_at_the_end_of_a_with_block_is_not_swallowed(
    ctrl_c_after_confirmation: None,
) -> None:
    with frozen_cloud() as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        with pytest.raises(KeyboardInterrupt), instance:
            pass
        assert client.instances.get(instance).status == "terminating"


def test_ctrl_c_during_an_abort_stays_a_keyboard_interrupt(ctrl_c_after_confirmation: None) -> None:
    with frozen_cloud(boot_seconds=600) as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        with pytest.raises(KeyboardInterrupt):  # not LaunchAbortedError
            client.instances.launch(
                "gpu_1x_a10",
                ssh_key="me",
                region="us-west-1",
                wait=True,
                wait_timeout=5,
                progress=False,
            )


def test_ctrl_c_between_the_launch_and_the_hand_over(caplog: pytest.LogCaptureFixture) -> None:
    """A Ctrl-C handled as launch() hands the instance over (as the manager records it as its
    own, for the with-block)."""
    from lambdacloud.instances import manager

    with open(manager.__file__) as source:
        mark = "self._launched[id(instance)] = instance"
        line = next(n for n, text in enumerate(source, 1) if text.strip().startswith(mark))
    fired: list[bool] = []

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == manager.__file__ and frame.f_code.co_name == "_own":

            def local(frame: FrameType, event: str, arg: Any) -> Any:
                if event == "line" and frame.f_lineno == line and not fired:
                    fired.append(True)
                    raise KeyboardInterrupt
                return local

            return local
        return None

    with frozen_cloud() as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        sys.settrace(tracer)
        try:
            with pytest.raises(KeyboardInterrupt) as raised:
                client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        finally:
            sys.settrace(None)
        running = [i for i in client.instances.list() if str(i.status) == "booting"]
        said = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= 30)
        said += "\n".join(getattr(raised.value, "__notes__", []))
        assert not running or running[0].id in said, "a machine runs that nothing names"


def test_token_search_is_about_half_a_minute_under_429s() -> None:
    with frozen_cloud() as cloud:
        client = cloud.client()  # default max_retries=5
        client.ssh_keys.create("me")
        cloud.inject(truncate=True, method="POST", path=LAUNCH, status=None)
        # The launch is answered with a cut body... but the fake launches: make it not visible
        # by 429-ing every list for a while.
        cloud.inject(
            status=429, headers={"Retry-After": "60"}, method="GET", path="/instances", times=1000
        )
        start = cloud.clock()
        with pytest.raises(LambdaCloudError):
            client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        took = cloud.clock() - start
        assert took < 60, f"the 'about half a minute' search took {took:.0f} s"


def test_cleanup_after_a_failed_read_back_is_bounded() -> None:
    with frozen_cloud() as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        cloud.inject(status=404, method="GET", path="/instances", times=1000)  # read-back 404s
        cloud.inject(
            status=429, headers={"Retry-After": "60"}, method="POST", path=TERMINATE, times=1000
        )
        start = cloud.clock()
        with pytest.raises(LaunchAbortedError) as raised:
            client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
        took = cloud.clock() - start
        assert raised.value.terminated is False  # and it says so
        # 60 s of read-back + CLEANUP_TIMEOUT (60 s) + slack
        assert took < 60 + 60 + 15, f"cleanup ran {took - 60:.0f} s past the read-back"


def test_acquire_deadline_when_a_launch_slot_is_taken() -> None:
    with frozen_cloud() as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")  # takes the slot
        start = cloud.clock()
        with pytest.raises(CapacityTimeoutError):
            client.instances.acquire(["gpu_1x_a10"], ssh_key="me", timeout=3, progress=False)
        took = cloud.clock() - start
        launches = [r.at - start for r in cloud.requests if r.path.endswith(LAUNCH)]
        assert 2 <= took <= 4, "acquire did not end at its deadline"
        assert launches[-1] < 0, "a launch was sent that could only leave after the deadline"


def test_ctrl_c_cleanup_is_short_or_says_so(caplog: pytest.LogCaptureFixture) -> None:
    """Ctrl-C during launch(wait=True); the API answers terminate with 429, Retry-After 60."""
    with frozen_cloud() as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        cloud.inject(
            status=429, headers={"Retry-After": "60"}, method="POST", path=TERMINATE, times=1000
        )

        def progress(_: Any) -> None:
            raise KeyboardInterrupt

        start = cloud.clock()
        with pytest.raises(KeyboardInterrupt) as raised:
            client.instances.launch(
                "gpu_1x_a10", ssh_key="me", region="us-west-1", wait=True, progress=progress
            )
        took = cloud.clock() - start
        (instance,) = live(cloud)
        said = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= 30)
        assert took < 75, f"after Ctrl-C the user waited {took:.0f} s"
        assert "Ctrl-C again" in said
        assert instance.id in notes(raised.value)


def test_acquire_deadline_when_launches_are_rate_limited() -> None:
    with frozen_cloud() as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        cloud.inject(
            status=429, headers={"Retry-After": "60"}, method="POST", path=LAUNCH, times=100
        )
        start = cloud.clock()
        with pytest.raises(CapacityTimeoutError) as raised:
            client.instances.acquire(["gpu_1x_a10"], ssh_key="me", timeout=30, progress=False)
        took = cloud.clock() - start
        assert 29 <= took <= 31
        assert raised.value.launch_attempts == 3  # at 0, 12.25 and 24.5 s


class VirtualTime:
    """Time moves only when every participating thread sleeps: to the earliest wake-up."""

    def __init__(self, threads: int) -> None:
        self.now = 0.0
        self.active = threads
        self.wakes: list[float] = []
        self.cond = threading.Condition()

    def clock(self) -> float:
        return self.now

    def _advance(self) -> None:
        if self.wakes and len(self.wakes) >= self.active:
            self.now = max(self.now, min(self.wakes))
            self.cond.notify_all()

    def sleep(self, seconds: float) -> None:
        with self.cond:
            wake = self.now + max(seconds, 0.0)
            self.wakes.append(wake)
            self._advance()
            while self.now < wake:
                self.cond.wait(0.05)
            self.wakes.remove(wake)

    def done(self) -> None:
        with self.cond:
            self.active -= 1
            self._advance()


def test_launches_from_two_threads_stay_12_s_apart() -> None:
    time = VirtualTime(threads=5)
    with FakeLambdaCloud(clock=time.clock, rate_limits=True, ssh=False) as cloud:
        client = cloud.client(clock=time.clock, sleep=time.sleep)
        client.ssh_keys.create("me")

        def reader() -> None:
            try:
                for _ in range(8):
                    client.instances.list()
            finally:
                time.done()

        def launcher() -> None:
            try:
                client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
            finally:
                time.done()

        threads = [threading.Thread(target=reader) for _ in range(3)]
        threads += [threading.Thread(target=launcher) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        launches = [(r.at, r.status) for r in cloud.requests if r.path == "/api/v1" + LAUNCH]
        gaps = [b[0] - a[0] for a, b in pairwise(launches)]
        assert all(status == 200 for _, status in launches), "the API refused a launch with 429"
        assert all(gap >= 12.0 for gap in gaps), f"launches {gaps} s apart"


def test_acquire_stops_on_a_connection_error_that_retrying_cannot_fix(fake_time: FakeTime) -> None:
    with FakeLambdaCloud(rate_limits=False, ssh=False) as cloud:
        https = cloud.url.replace("http://", "https://")  # TLS to a plain-HTTP server
        client = Client(
            api_key=cloud.api_key, base_url=https, clock=fake_time.clock, sleep=fake_time.sleep
        )
        started = fake_time.now
        with pytest.raises(APIConnectionError) as raised:
            client.instances.acquire(["gpu_1x_a10"], ssh_key="me", timeout=3600, progress=False)
        assert raised.value.retryable is False
        assert fake_time.now - started < 60, "a permanent TLS error was polled for an hour"


@contextlib.contextmanager
def trickling(send: Callable[[socket.socket, threading.Event], None]) -> Iterator[int]:
    """A server on 127.0.0.1 that answers each connection with ``send(connection, stop)``;
    its port. ``stop`` is set when the test is over (a sender waits on it between pieces)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            send(conn, stop)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


@pytest.fixture
def dripping() -> Iterator[str]:
    """An API server that sends its answer in ~12 pieces, 0.15 s apart."""
    body = json.dumps({"data": instance_data("instance_booting")}).encode()
    piece = max(1, len(body) // 12)

    def send(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        for i in range(0, len(body), piece):
            if stop.wait(0.15):
                return
            conn.sendall(body[i : i + piece])

    with trickling(send) as port:
        yield f"http://127.0.0.1:{port}"


def test_wait_until_active_ends_near_its_timeout_against_a_slow_server(dripping: str) -> None:
    client = Client(
        api_key=API_KEY,
        base_url=dripping,
        clock=time.monotonic,
        sleep=lambda s: None,
        rate_limit=False,
    )
    instance_id = instance_data("instance_booting")["id"]
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError):
        client.instances.wait_until_active(instance_id, timeout=0.3, progress=False)
    took = time.monotonic() - started
    assert took < 0.3 + 1.0


def test_an_answer_complete_when_the_deadline_passes_is_kept() -> None:
    raw = json.dumps({"data": []}).encode()
    with responses.RequestsMock() as mock:
        mock.get("http://answers.test/x", body=raw)
        answer = requests.get("http://answers.test/x", stream=True, timeout=5)
        with answer:
            assert decoding.read_capped(answer, expired=lambda: True) == raw


def test_a_compressed_answer_that_has_arrived_is_decoded_in_full_at_the_deadline() -> None:
    # 4 kB on the wire, 384 kB decoded: more than one piece is left to decode, not to wait for.
    data = json.dumps({"data": ["x" * 96] * 4000}).encode()
    with responses.RequestsMock() as mock:
        mock.get(
            "http://answers.test/x",
            body=gzip.compress(data),
            headers={"Content-Encoding": "gzip", "Content-Length": str(len(gzip.compress(data)))},
        )
        answer = requests.get("http://answers.test/x", stream=True, timeout=5)
        with answer:
            assert decoding.read_capped(answer, expired=lambda: True) == data


@pytest.fixture
def slow_banner() -> Iterator[int]:
    """An SSH server that sends its banner a byte at a time, 0.25 s apart."""

    def send(conn: socket.socket, stop: threading.Event) -> None:
        for byte in b"SSH-2.0-slow\r\n":
            if stop.wait(0.25):
                return
            conn.sendall(bytes([byte]))

    with trickling(send) as port:
        yield port


def test_wait_until_ready_ends_near_its_timeout(
    slow_banner: int, mocked: responses.RequestsMock
) -> None:
    data = instance_data("instance_active", ip="127.0.0.1")
    mocked.get(f"{API}/instances/{data['id']}", json={"data": data})
    client = Client(api_key=API_KEY, clock=time.monotonic, sleep=lambda s: None, rate_limit=False)
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError):
        client.instances.wait_until_ready(data["id"], timeout=0.3, port=slow_banner, progress=False)
    took = time.monotonic() - started
    assert took < 0.3 + 1.0  # "within about a second of its timeout"


@pytest.mark.parametrize(
    "echo",
    [
        USER_DATA,
        repr(USER_DATA),
        USER_DATA[:60],
        base64.b64encode(USER_DATA.encode()).decode(),
    ],
    ids=["raw", "repr", "cut", "base64"],
)
@pytest.mark.parametrize("status", [400, 502])
def test_user_data_echoed_in_an_error(
    echo: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    with frozen_cloud() as cloud:
        client = cloud.client(max_retries=0)
        client.ssh_keys.create("me")
        cloud.inject(
            status=status,
            method="POST",
            path=LAUNCH,
            body={
                "error": {"code": "global/invalid-parameters", "message": f"bad user_data: {echo}"}
            },
        )
        with pytest.raises(LambdaCloudError) as raised:
            client.instances.launch(
                "gpu_1x_a10", ssh_key="me", region="us-west-1", user_data=USER_DATA
            )
        shown = (
            str(raised.value)
            + repr(raised.value)
            + "\n".join(r.getMessage() for r in caplog.records)
        )
        b64 = base64.b64encode(USER_DATA.encode()).decode()
        assert SECRET not in shown
        assert b64[20:60] not in shown


def test_exit_guard_after_a_manual_terminate(caplog: pytest.LogCaptureFixture) -> None:
    with frozen_cloud() as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        instance = client.instances.launch(
            "gpu_1x_a10", ssh_key="me", region="us-west-1", terminate_at_exit=True
        )
        instance.terminate()
        cloud.advance(3600)  # an hour later the interpreter exits
        started = cloud.clock()
        client.instances._exit_guard.run()  # what atexit calls
        took = cloud.clock() - started
        warned = [r.getMessage() for r in caplog.records if r.levelno >= 30]
        assert took < 5, f"the interpreter's exit hung {took:.0f} s"
        assert not any("may still be running" in w for w in warned), "false alarm at exit"


def test_acquire_and_acquire_many_take_terminate_at_exit() -> None:
    with frozen_cloud() as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        one = client.instances.acquire(
            ["gpu_1x_a10"], ssh_key="me", terminate_at_exit=True, progress=False
        )
        group = client.instances.acquire_many(
            2, ["gpu_1x_a10"], ssh_key="me", terminate_at_exit=True, progress=False
        )
        with pytest.raises(ValidationError, match="terminate_at_exit"):
            client.instances.acquire(["gpu_1x_a10"], ssh_key="me", terminate_at_exit="yes")
        client.instances._exit_guard.run()  # what atexit calls
        for instance in (one, *group):
            assert client.instances.get(instance).status in ("terminating", "terminated")
