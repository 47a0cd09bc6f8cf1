"""Getting a scarce GPU: ``acquire()`` against the loop people write by hand, on the fake
cloud's scarce capacity, side by side, on fake time.

    python benchmarks/acquire.py            # 24 simulated hours, a few seconds of real time
    python benchmarks/acquire.py --quick    # 2 simulated hours: checks that it works

Each contender gets a fresh fake cloud with the same seed: the same capacity windows for one
(type, region) — about a minute each, a few minutes apart — about 3 launches in 11 refused
although capacity is listed, and the API's rate limits on (about 1 request/s, one launch per
12 s, 429 beyond). Whenever a contender gets a machine it terminates it at once and goes
back to waiting, so every window is a fresh chance.

- acquire: ``client.instances.acquire([type], timeout=...)``, its defaults (a read every
  24.5 s); "acquire 5s" the same with ``poll_interval=5``;
- hand loop: the usual script, on plain ``requests``: read the instance types every 10 s,
  launch when the type lists capacity, sleep 60 s after a failed launch.

How to read it: "caught" is the windows in which the contender launched a machine, out of
the windows that opened; "to launch" is the mean seconds from a window opening to the launch
POST that got the machine; "requests/h" counts every request the contender sent; "429s" the
requests the cloud refused for its rate limits.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from typing import Any

import requests

from lambdacloud import CapacityTimeoutError
from lambdacloud.testing import FakeClock, FakeLambdaCloud

TYPE, REGION = "gpu_1x_h100_pcie", "us-south-1"
SEED = 20261203
LAUNCH = "/api/v1/instance-operations/launch"


def scarce_cloud() -> FakeLambdaCloud:
    cloud = FakeLambdaCloud(clock=FakeClock(frozen=True), ssh=False).start()
    cloud.random_capacity(seed=SEED, pairs=[(TYPE, REGION)], mean_gap=240.0, lasts=60.0)
    return cloud


def with_acquire(cloud: FakeLambdaCloud, end: float, **options: Any) -> None:
    client = cloud.client()
    client.ssh_keys.create("me")
    while cloud.clock() < end:
        try:
            instance = client.instances.acquire(
                [TYPE], ssh_key="me", timeout=end - cloud.clock(), progress=False, **options
            )
        except CapacityTimeoutError:
            return
        instance.terminate()


def by_hand(cloud: FakeLambdaCloud, end: float) -> None:
    """The usual script: no pacing, no retries, fixed sleeps."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {cloud.api_key}"
    api = cloud.url + "/api/v1"
    session.post(f"{api}/ssh-keys", json={"name": "me"}, timeout=10)
    while cloud.clock() < end:
        listing = session.get(f"{api}/instance-types", timeout=10)
        if listing.ok and listing.json()["data"][TYPE]["regions_with_capacity_available"]:
            body = {"instance_type_name": TYPE, "region_name": REGION, "ssh_key_names": ["me"]}
            launched = session.post(f"{api}/instance-operations/launch", json=body, timeout=10)
            if launched.ok:
                ids = launched.json()["data"]["instance_ids"]
                session.post(
                    f"{api}/instance-operations/terminate", json={"instance_ids": ids}, timeout=10
                )
            else:
                cloud.advance(60)
                continue
        cloud.advance(10)


def measure(name: str, contender: Callable[[FakeLambdaCloud, float], None], hours: float) -> Any:
    cloud = scarce_cloud()
    try:
        start = cloud.clock()
        end = start + hours * 3600
        contender(cloud, end)
        windows = [w for w in cloud.capacity_windows if w.opens_at < end]
        launches = [r for r in cloud.requests if r.path == LAUNCH and r.status == 200]
        delays = []
        caught = 0
        for window in windows:
            inside = [r.at for r in launches if window.opens_at <= r.at < window.closes_at]
            if inside:
                caught += 1
                delays.append(inside[0] - window.opens_at)
        elapsed_hours = (max(cloud.clock(), end) - start) / 3600
        return {
            "contender": name,
            "windows": len(windows),
            "caught": caught,
            "to_launch": statistics.mean(delays) if delays else float("nan"),
            "requests_per_hour": len(cloud.requests) / elapsed_hours,
            "throttled": sum(1 for r in cloud.requests if r.status == 429),
        }
    finally:
        cloud.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 simulated hours")
    options = parser.parse_args()
    hours = 2.0 if options.quick else 24.0
    rows = [
        measure("acquire", with_acquire, hours),
        measure("acquire 5s", lambda cloud, end: with_acquire(cloud, end, poll_interval=5), hours),
        measure("hand loop", by_hand, hours),
    ]
    print(__doc__.split("\n\n", 3)[3])
    if options.quick:
        print("QUICK MODE: 2 simulated hours; run without --quick for the figures.\n")
    print(f"{'contender':<10} {'caught':>12} {'to launch':>10} {'requests/h':>11} {'429s':>6}")
    for row in rows:
        print(
            f"{row['contender']:<10} {row['caught']:>5} of {row['windows']:<4} "
            f"{row['to_launch']:>8.1f} s {row['requests_per_hour']:>11.0f} {row['throttled']:>6}"
        )


if __name__ == "__main__":
    main()
