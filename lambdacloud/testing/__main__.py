"""``python -m lambdacloud.testing``: the fake cloud as a server, for any tool in any language.

```text
python -m lambdacloud.testing --port 8080 --api-key secret_dev-key
curl -H "Authorization: Bearer secret_dev-key" http://127.0.0.1:8080/api/v1/instance-types
```

It prints where it listens and the key it accepts, serves until Ctrl-C or SIGTERM, then stops
cleanly and exits 0. Time runs in real time (no client can advance it from outside), so
``--boot-seconds`` and ``--ssh-delay`` shorten the waits.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TextIO

from lambdacloud.testing._capacity import SCENARIOS
from lambdacloud.testing._cloud import FakeLambdaCloud


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake cloud until interrupted.

    Args:
        argv: The command line's arguments (``sys.argv[1:]`` by default).

    Returns:
        The exit status: 0 after Ctrl-C or SIGTERM, 1 when it cannot listen.

    API: none (it serves the API).
    """
    options = _parser().parse_args(argv)
    cloud = FakeLambdaCloud(
        api_key=options.api_key,
        rate_limits=options.rate_limits,
        burst=options.burst,
        capacity=options.capacity,
        seed=options.seed,
        boot_seconds=options.boot_seconds,
        ssh=options.ssh,
        ssh_delay=options.ssh_delay,
        host=options.host,
        port=options.port,
    )
    stopping = threading.Event()

    def stop(signal_number: int, frame: FrameType | None) -> None:
        stopping.set()

    # Both end the loop below, so that Ctrl-C stops the server without a traceback.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        cloud.start()
    except OSError as error:
        _say(f"Cannot listen on {options.host}:{options.port}: {error}", sys.stderr)
        return 1
    try:
        _say(_banner(cloud, options))
        while not stopping.wait(0.5):
            pass
    finally:
        cloud.stop()
    _say("Stopped.")
    return 0


def _say(text: str, stream: TextIO | None = None) -> None:
    # Flushed at once: whoever started the server is waiting to read where it listens.
    out = stream or sys.stdout
    out.write(text + "\n")
    out.flush()


def _banner(cloud: FakeLambdaCloud, options: argparse.Namespace) -> str:
    limits = (
        f"on (about 1 request/s after a burst of {options.burst}, 1 launch per 12 s)"
        if options.rate_limits
        else "off"
    )
    ssh = (
        f"{cloud.ssh_port} (on each instance's ip, {options.ssh_delay:g} s after it is active)"
        if cloud.ssh_port is not None
        else "off"
    )
    capacity = options.capacity + (f", seed {options.seed}" if options.seed is not None else "")
    return "\n".join(
        [
            "FakeLambdaCloud: a local fake of the Lambda Cloud API",
            f"URL:         {cloud.url}",
            f"API key:     {cloud.api_key}",
            f"SSH port:    {ssh}",
            f"Rate limits: {limits}",
            f"Capacity:    {capacity}",
            "Try:",
            f'  curl -H "Authorization: Bearer {cloud.api_key}" {cloud.url}/api/v1/instance-types',
            "Ctrl-C stops it.",
        ]
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lambdacloud.testing",
        description="Serve a local, stateful fake of the Lambda Cloud API (for CLIs, other "
        "languages' clients, curl).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on; 0: any free")
    parser.add_argument("--api-key", help="the key it accepts (default: a random one, printed)")
    parser.add_argument("--seed", type=int, help="seed of the scarce capacity scenario")
    parser.add_argument(
        "--capacity",
        choices=SCENARIOS,
        default="steady",
        help="steady: the catalog's; scarce: windows that come and go, about 3 launches in "
        "11 refused; none: no capacity (default: steady)",
    )
    parser.add_argument(
        "--no-rate-limits",
        dest="rate_limits",
        action="store_false",
        help="do not enforce 1 request/s and 1 launch per 12 s",
    )
    parser.add_argument("--burst", type=int, default=2, help="requests allowed at once (2)")
    parser.add_argument(
        "--boot-seconds", type=float, default=60.0, help="how long instances boot (60)"
    )
    parser.add_argument(
        "--ssh-delay", type=float, default=10.0, help="seconds from active until sshd answers (10)"
    )
    parser.add_argument(
        "--no-ssh", dest="ssh", action="store_false", help="no SSH listeners for instances"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
