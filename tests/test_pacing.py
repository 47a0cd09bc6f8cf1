"""Staying within the API's limits on our own: about one request a second (two at once after a
pause), one launch per 12 s, across threads, and never past a caller's deadline."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest
import responses

from lambdacloud import APITimeoutError, Client, RateLimitError
from lambdacloud._http.pacing import LAUNCH_INTERVAL, REQUEST_BURST, REQUEST_INTERVAL, Pacer
from lambdacloud._http.session import Session
from lambdacloud.testing import FakeClock

from .conftest import API, API_KEY, FakeTime, load


def session_on(clock: FakeClock, *, rate_limit: bool) -> Session:
    return Session(
        api_key=API_KEY,
        base_url=API,
        auth="bearer",
        timeout=10.0,
        max_retries=0,
        http=None,
        clock=clock,
        sleep=clock.sleep,
        rate_limit=rate_limit,
    )


def paced_client(fake_time: FakeTime) -> Client:
    return Client(api_key=API_KEY, clock=fake_time.clock, sleep=fake_time.sleep)


class TestPacer:
    def test_a_burst_then_one_slot_per_interval(self, fake_time: FakeTime) -> None:
        pacer = Pacer(1.0, 2, fake_time.clock, fake_time.sleep, what="test")
        for _ in range(5):
            assert pacer.wait() is not None
        assert fake_time.sleeps == [1.0, 1.0, 1.0]

    def test_a_quiet_spell_refills_the_burst_but_no_more(self, fake_time: FakeTime) -> None:
        pacer = Pacer(1.0, 2, fake_time.clock, fake_time.sleep, what="test")
        for _ in range(2):
            pacer.wait()
        fake_time.now += 60.0
        for _ in range(3):
            pacer.wait()
        assert fake_time.sleeps == [1.0]

    def test_a_slot_reserved_early_but_used_late_still_keeps_its_distance(
        self, fake_time: FakeTime
    ) -> None:
        # Two threads' launches were given slots at 0 and 12; the first was held up by the
        # request limit and left at 5: the second, whose slot came at 12, must wait until 17.
        pacer = Pacer(12.0, 1, fake_time.clock, fake_time.sleep, what="test")
        assert pacer.sent(5.0) is not None
        assert pacer.sent(12.0) is None
        assert pacer.earliest() == 17.0
        assert pacer.sent(17.0) is not None

    def test_a_pacer_with_a_burst_never_refuses_a_send(self, fake_time: FakeTime) -> None:
        # Two threads' requests may be counted in the other order than they read the clock.
        pacer = Pacer(1.0, 2, fake_time.clock, fake_time.sleep, what="test")
        assert pacer.sent(5.001) is not None
        assert pacer.sent(5.0) is not None

    def test_a_launch_one_rounding_step_early_is_not_refused(self) -> None:
        # A sleep that ends on the slot may land one float step before it (o + (d - o) < d):
        # that must not cost a whole launch interval.
        clock = FakeClock(frozen=True)
        session = session_on(clock, rate_limit=False)
        clock.advance(0.830035693274327)
        session._take_slots([session._launch_pacer], None, "POST launch")
        first = clock()
        clock.advance(1.6651884764813625 - first)
        session._take_slots([session._launch_pacer], None, "POST launch")
        assert clock() - first == pytest.approx(LAUNCH_INTERVAL)

    def test_a_launch_held_up_by_another_launch_keeps_its_launch_slot(self) -> None:
        # Our launch slot came; another thread's launch, given the slot before, left late:
        # ours waits until 12 s after it, not for a further launch slot.
        clock = FakeClock(frozen=True)
        session = session_on(clock, rate_limit=True)
        launch_pacer = session._launch_pacer
        launch_pacer.wait()  # the other thread's slot, at 0
        assert launch_pacer.sent(5.0) is not None  # it left at 5
        pacers = [launch_pacer, session._request_pacer]
        assert session._request_pacer is not None
        session._take_slots(pacers, None, "POST launch")  # ours: slot at 12.25
        assert clock() == pytest.approx(5.0 + LAUNCH_INTERVAL)

    def test_a_refund_also_forgets_when_the_request_left(self, fake_time: FakeTime) -> None:
        pacer = Pacer(12.0, 1, fake_time.clock, fake_time.sleep, what="test")
        pacer.wait()
        slot = pacer.sent(0.0)
        assert slot is not None
        pacer.refund(slot)  # it never reached the server
        assert pacer.sent(0.5) is not None

    def test_a_slot_past_the_deadline_is_refused_and_not_reserved(
        self, fake_time: FakeTime
    ) -> None:
        pacer = Pacer(12.0, 1, fake_time.clock, fake_time.sleep, what="test")
        assert pacer.wait() is not None
        assert pacer.wait(deadline=fake_time.now + 5.0) is None
        assert fake_time.sleeps == []
        assert pacer.wait() is not None
        assert fake_time.sleeps == [12.0]  # the refused call took no slot

    def test_a_refund_gives_the_latest_slot_back(self, fake_time: FakeTime) -> None:
        pacer = Pacer(12.0, 1, fake_time.clock, fake_time.sleep, what="test")
        pacer.wait()
        pacer.refund(pacer.sent(fake_time.now))
        pacer.wait()
        assert fake_time.sleeps == []

    def test_a_slot_counts_from_when_its_request_left(self, fake_time: FakeTime) -> None:
        pacer = Pacer(12.0, 1, fake_time.clock, fake_time.sleep, what="test")
        pacer.wait()
        fake_time.now += 3.0  # another limit held the request back
        pacer.sent(fake_time.now)
        pacer.wait()
        assert fake_time.sleeps == [12.0]

    def test_threads_get_distinct_slots_and_no_lock_is_held_while_sleeping(self) -> None:
        clock = FakeTime()
        lock = threading.Lock()
        slots: list[float] = []
        asleep = threading.Barrier(4, timeout=5)

        def sleep(seconds: float) -> None:
            # Every thread with a later slot must reach its sleep while the others sleep:
            # impossible if a sleeper held the pacer's lock.
            asleep.wait()
            with lock:
                clock.sleep(seconds)

        pacer = Pacer(1.0, 1, clock.clock, sleep, what="test")
        pacer.wait()  # slot 0: the ones below all wait

        def take() -> None:
            reserved = pacer.wait()
            assert reserved is not None
            with lock:
                slots.append(reserved)

        threads = [threading.Thread(target=take) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        assert sorted(later - earlier for earlier, later in pairwise(sorted(slots))) == [1.0] * 3


class TestTheClientsPacing:
    def test_requests_are_paced_to_the_api_limit(
        self, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.get(f"{API}/regions", json=load("regions"))
        client = paced_client(fake_time)
        for _ in range(REQUEST_BURST + 3):
            client.regions.list()
        assert fake_time.sleeps == [pytest.approx(REQUEST_INTERVAL)] * 3
        assert REQUEST_INTERVAL >= 1.0

    def test_pacing_can_be_turned_off(
        self, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.get(f"{API}/regions", json=load("regions"))
        client = Client(
            api_key=API_KEY, clock=fake_time.clock, sleep=fake_time.sleep, rate_limit=False
        )
        for _ in range(5):
            client.regions.list()
        assert fake_time.sleeps == []

    def test_rate_limit_must_be_a_bool(self) -> None:
        with pytest.raises(ValueError, match="rate_limit"):
            Client(api_key=API_KEY, rate_limit="yes")  # type: ignore[arg-type]

    def test_launches_wait_for_both_limits(
        self, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.post(f"{API}/instance-operations/launch", json=load("launched"))
        mocked.get(
            f"{API}/instances/0920582c7ff041399e34823a0be62549", json=load("instance_booting")
        )
        client = paced_client(fake_time)
        for _ in range(2):
            client.instances.launch("gpu_1x_a10", ssh_key="my-laptop", region="us-east-1")
        assert sum(fake_time.sleeps) == pytest.approx(LAUNCH_INTERVAL)


class TestDeadlines:
    def test_a_retry_after_longer_than_the_time_left_is_not_waited_for(
        self, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.get(f"{API}/regions", status=429, headers={"Retry-After": "60"}, body="")
        client = paced_client(fake_time)
        with pytest.raises(RateLimitError):
            client._api.session.request("GET", "/regions", deadline=fake_time.now + 5.0)
        assert fake_time.sleeps == []
        assert len(mocked.calls) == 1

    def test_backoff_stops_before_the_deadline(
        self, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.get(f"{API}/regions", status=503, body="")
        client = paced_client(fake_time)
        with pytest.raises(Exception, match="503"):
            client._api.session.request("GET", "/regions", deadline=fake_time.now + 2.0)
        assert sum(fake_time.sleeps) <= 2.0
        assert fake_time.sleeps == [0.5, 1.0]

    def test_no_time_left_for_a_paced_request(
        self, mocked: responses.RequestsMock, fake_time: FakeTime
    ) -> None:
        mocked.get(f"{API}/regions", json=load("regions"))
        client = paced_client(fake_time)
        for _ in range(REQUEST_BURST):
            client.regions.list()
        with pytest.raises(APITimeoutError) as raised:
            client._api.session.request("GET", "/regions", deadline=fake_time.now + 0.5)
        assert raised.value.request_sent is False
        assert len(mocked.calls) == REQUEST_BURST

    def test_each_attempt_gets_at_most_the_time_left(self, fake_time: FakeTime) -> None:
        client = Client(api_key=API_KEY, clock=fake_time.clock, timeout=(10.0, 60.0))
        assert client._api.session._timeout(fake_time.now + 5.0) == (5.0, 5.0)
        assert client._api.session._timeout(None) == (10.0, 60.0)
