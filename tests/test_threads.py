"""One Client shared by 8 threads against the fake cloud over real sockets."""

from __future__ import annotations

import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

from lambdacloud import Client
from lambdacloud.testing import FakeClock, FakeLambdaCloud

THREADS = 8
LAUNCHES_PER_THREAD = 2
READS_PER_THREAD = 30


def work(client: Client, number: int) -> list[str]:
    """Calls whose answers belong to this thread alone; returns what went wrong."""
    wrong = []
    key = client.ssh_keys.create(f"key-{number}")
    if key.name != f"key-{number}":
        wrong.append(f"created {key.name} for key-{number}")
    launched = []
    for launch in range(LAUNCHES_PER_THREAD):
        name = f"t{number}-{launch}"
        instance = client.instances.launch(
            "gpu_1x_a10", ssh_key=key, region="us-west-1", name=name, tags={"thread": str(number)}
        )
        launched.append(instance)
        if instance.name != name:
            wrong.append(f"launched {instance.name} as {name}")
    for read in range(READS_PER_THREAD):
        instance = launched[read % len(launched)]
        again = client.instances.get(instance.id)
        if (again.id, again.name, again.tags) != (instance.id, instance.name, instance.tags):
            wrong.append(f"got {again.id}/{again.name} for {instance.id}/{instance.name}")
        if read % 10 == 0:
            renamed = client.instances.update(instance, name=f"{instance.name}-r{read}")
            if renamed.name != f"{instance.name}-r{read}":
                wrong.append(f"renamed to {renamed.name}")
            instance.name = renamed.name
    mine = [i for i in client.instances.list() if i.tags.get("thread") == str(number)]
    if sorted(i.id for i in mine) != sorted(i.id for i in launched):
        wrong.append("listed instances differ")
    client.instances.terminate(launched)
    return wrong


def test_one_client_from_eight_threads() -> None:
    # The server's rate limits are off: this measures the client's own launch spacing across
    # threads, and asserts that every request was answered 2xx.
    with FakeLambdaCloud(clock=FakeClock(frozen=True), rate_limits=False) as cloud:
        cloud.set_capacity("gpu_1x_a10", "us-west-1", THREADS * LAUNCHES_PER_THREAD)
        with cloud.client() as client:
            # What each thread did, in order: a launch slot claimed (at a fake time), a
            # launch sent. Sends are recorded below the spacer, where the wire starts.
            events: dict[str, list[tuple[str, float]]] = defaultdict(list)
            spacer_wait = client._launch_spacer.wait
            send = client._session._send

            def recording_wait() -> float:
                at = spacer_wait()
                events[threading.current_thread().name].append(("claim", at))
                return at

            def recording_send(method: str, path: str, *args: Any) -> Any:
                if path.endswith("/instance-operations/launch"):
                    events[threading.current_thread().name].append(("send", cloud.clock()))
                return send(method, path, *args)

            client._launch_spacer.wait = recording_wait  # type: ignore[method-assign]
            client._session._send = recording_send  # type: ignore[method-assign]
            start = threading.Barrier(THREADS)

            def run(number: int) -> list[str]:
                start.wait()
                return work(client, number)

            with ThreadPoolExecutor(THREADS) as pool:
                problems = [p for found in pool.map(run, range(THREADS)) for p in found]
        assert problems == []
        requests = cloud.requests
        assert len(requests) > 300
        assert all(200 <= r.status < 300 for r in requests)
        assert cloud.count("POST", "/instance-operations/launch") == THREADS * LAUNCHES_PER_THREAD
        # Every launch was sent after its own slot was claimed, once...
        for sequence in events.values():
            assert [kind for kind, _ in sequence] == ["claim", "send"] * LAUNCHES_PER_THREAD
        # ...and the slots were at least 12 s (of the fake clock) apart, across threads.
        claimed = sorted(
            at for sequence in events.values() for kind, at in sequence if kind == "claim"
        )
        assert len(claimed) == THREADS * LAUNCHES_PER_THREAD
        assert min(later - earlier for earlier, later in pairwise(claimed)) >= 12.0
