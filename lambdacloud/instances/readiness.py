"""Whether an instance is really usable: ``active``, with an address, and its SSH server
answering.

``active`` comes before the machine can be used: sshd starts a little later, and a tool
that connects at ``active`` often meets a refused connection. A readiness probe connects to
the instance's address and reads the banner an SSH server sends first (``SSH-2.0-...``); it
sends nothing, logs in to nothing, and is not an API request (no rate limit applies).
"""

from __future__ import annotations

import socket
import time

from lambdacloud.errors import ValidationError

#: The longest a probe waits to connect and for the banner.
PROBE_TIMEOUT = 3.0


def ssh_banner(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether an SSH server answers at ``host:port`` with its banner within ``timeout``
    (in all: a server that sends it a byte at a time cannot stretch the probe)."""
    end = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            received = b""
            while len(received) < 4 and b"\n" not in received:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                connection.settimeout(left)
                chunk = connection.recv(256)
                if not chunk:
                    break
                received += chunk
    except OSError:
        return False
    return received.startswith(b"SSH-")


def check_port(port: object) -> int:
    """``port`` if it is a TCP port number.

    Raises:
        ValidationError: It is not.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValidationError("port", f"expected a TCP port from 1 to 65535, got {port!r}")
    return port
