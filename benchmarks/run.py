"""How much a call costs the caller: lambdacloud against the floors, side by side, in one run.

    python benchmarks/run.py            # a few minutes
    python benchmarks/run.py --quick    # a few seconds: checks that it works, measures little

A local keep-alive server (benchmarks/server.py, in its own process) answers with realistic
API 1.10.0 payloads. For each operation this process makes the same calls three ways and
measures its own CPU time (``time.process_time``), so the server's work is not counted:

- naive:       ``requests.Session().get(url, headers=...).json()`` — the floor to beat;
- http.client: one ``http.client.HTTPConnection`` and ``json.loads`` — the bare minimum;
- lambdacloud: the public API, returning typed objects bound to their client.

How to read it: "CPU/1000" is milliseconds of client CPU per 1000 calls; "ratio" is that
divided by the naive floor of the same operation (lower is better; the targets are about 1.0
for the single calls and about 1.5 for the 200-instance list); "conn/call" is TCP connections
the server accepted per call (keep-alive reuses one: about 0). The import lines time
``python -c "..."`` in fresh interpreters with compiled bytecode, as an installed package
has (the median of several runs): ``import lambdacloud`` against ``import requests`` (the
target is <= 1.15x), then ``from lambdacloud import Client``, which loads requests too, and
constructing one; the package loads its models, attrs and cattrs when imported, and
tenacity with its first request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from lambdacloud import Client

HERE = Path(__file__).parent
KEY = "secret_benchmark-key"
INSTANCE_ID = "0920582c7ff041399e34823a0be62549"

# name: (path below the prefix, prefix, the lambdacloud call, calls per measurement)
OPERATIONS: dict[str, tuple[str, str, Callable[[Client], Any], int]] = {
    "get instance": (
        f"/api/v1/instances/{INSTANCE_ID}",
        "/one",
        lambda c: c.instances.get(INSTANCE_ID),
        1000,
    ),
    "list instances (1)": ("/api/v1/instances", "/one", lambda c: c.instances.list(), 1000),
    "list instance types": (
        "/api/v1/instance-types",
        "/one",
        lambda c: c.instance_types.list(),
        1000,
    ),
    "list instances (200)": ("/api/v1/instances", "/many", lambda c: c.instances.list(), 100),
}
TARGETS = {
    "get instance": 1.0,
    "list instances (1)": 1.0,
    "list instance types": 1.0,
    "list instances (200)": 1.5,
}


def cpu_per_call(call: Callable[[], Any], calls: int) -> float:
    """Client CPU seconds per call, after a warm-up."""
    for _ in range(max(10, calls // 10)):
        call()
    started = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - started) / calls


def stats(port: int) -> dict[str, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/stats")
    answer: dict[str, int] = json.loads(connection.getresponse().read())
    connection.close()
    answer["connections"] -= 1  # this very request's connection
    return answer


def contenders(
    port: int, path: str, prefix: str, call: Callable[[Client], Any]
) -> tuple[dict[str, Callable[[], Any]], Callable[[], None]]:
    """The three ways to make one operation's call, and how to close them afterwards."""
    headers = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}
    url = f"http://127.0.0.1:{port}{prefix}{path}"
    session = requests.Session()
    connection = http.client.HTTPConnection("127.0.0.1", port)
    # No pacing: a local server has no rate limit, and the benchmark counts CPU per call.
    client = Client(api_key=KEY, base_url=f"http://127.0.0.1:{port}{prefix}", rate_limit=False)

    def plain_http() -> Any:
        connection.request("GET", prefix + path, headers=headers)
        return json.loads(connection.getresponse().read())

    def close() -> None:
        session.close()
        connection.close()
        client.close()

    ways = {
        "naive": lambda: session.get(url, headers=headers).json(),
        "http.client": plain_http,
        "lambdacloud": lambda: call(client),
    }
    return ways, close


def measure(port: int, scale: float, rounds: int) -> list[dict[str, Any]]:
    rows = []
    for name, (path, prefix, call, count) in OPERATIONS.items():
        calls = max(5, int(count * scale))
        ways, close = contenders(port, path, prefix, call)
        results: dict[str, list[float]] = {key: [] for key in ways}
        connections: dict[str, float] = {}
        # Interleaved rounds, so that a noisy moment hurts every contender alike.
        for _ in range(rounds):
            for key, way in ways.items():
                stats(port)
                results[key].append(cpu_per_call(way, calls))
                opened = stats(port)
                connections[key] = opened["connections"] / max(1, opened["requests"])
        close()
        floor = statistics.median(results["naive"])
        for key in ways:
            cpu = statistics.median(results[key])
            rows.append(
                {
                    "operation": name,
                    "contender": key,
                    "cpu_ms_per_1000": cpu * 1000 * 1000,
                    "ratio": cpu / floor,
                    "connections_per_call": connections[key],
                }
            )
    return rows


#: What each import line runs in a fresh interpreter.
IMPORTS = {
    "python": "pass",
    "requests": "import requests",
    "lambdacloud": "import lambdacloud",
    "+ Client": "from lambdacloud import Client",
    "+ Client()": "from lambdacloud import Client; Client(api_key='k')",
}


def import_time(statement: str, environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, env=environment)
    return time.perf_counter() - started


def imports(runs: int) -> dict[str, float]:
    # Compiled bytecode for every module, as an installed package has: one warm-up run
    # each, allowed to write it.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for statement in IMPORTS.values():
        import_time(statement, environment)
    timings: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for _ in range(runs):  # interleaved, for the same reason as above
        for name, statement in IMPORTS.items():
            timings[name].append(import_time(statement, environment))
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few calls: check it works")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    options = parser.parse_args()
    scale, rounds, import_runs = (0.02, 1, 3) if options.quick else (1.0, 5, 21)

    server = subprocess.Popen(
        [sys.executable, str(HERE / "server.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        rows = measure(port, scale, rounds)
    finally:
        server.terminate()
        server.wait()
    timings = imports(import_runs)

    print(__doc__.split("\n\n", 3)[3])
    if options.quick:
        print("QUICK MODE: too few calls to mean anything; run without --quick to measure.\n")
    print(
        f"{'operation':<22} {'contender':<12} {'CPU/1000':>10} {'ratio':>7} {'target':>7} "
        f"{'conn/call':>10}"
    )
    for row in rows:
        target = TARGETS[row["operation"]] if row["contender"] == "lambdacloud" else None
        print(
            f"{row['operation']:<22} {row['contender']:<12} {row['cpu_ms_per_1000']:>8.1f}ms "
            f"{row['ratio']:>7.2f} {'~ ' + format(target, '.2g') if target else '':>7} "
            f"{row['connections_per_call']:>10.3f}"
        )
    base = timings["python"]
    print()
    print(f"{'import':<22} {'wall':>10} {'minus python':>14} {'ratio to requests':>18}")
    for name in IMPORTS:
        if name == "python":
            continue
        ratio = timings[name] / timings["requests"]
        print(
            f"{name:<22} {timings[name] * 1000:>8.1f}ms "
            f"{(timings[name] - base) * 1000:>12.1f}ms {ratio:>18.2f}"
        )
    print(
        f"(python alone: {base * 1000:.1f}ms; target: lambdacloud <= 1.15x requests; "
        "+ Client: the client module too, + Client(): and one constructed)"
    )
    if options.json:
        print(json.dumps({"calls": rows, "imports": timings}, indent=1))


if __name__ == "__main__":
    main()
