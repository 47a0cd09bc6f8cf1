"""A local keep-alive HTTP server with realistic Lambda Cloud API 1.10.0 answers.

Run by ``benchmarks/run.py`` in its own process, so that its CPU time is not the client's.
Paths under ``/one`` answer with a single instance, under ``/many`` with 200. It counts the
connections it accepts and the requests it answers: ``GET /stats`` returns both (and resets
them).
"""

from __future__ import annotations

import copy
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

INSTANCE: dict[str, Any] = {
    "id": "0920582c7ff041399e34823a0be62549",
    "name": "training-node-1",
    "ip": "198.51.100.2",
    "private_ip": "10.0.2.100",
    "status": "active",
    "ssh_key_names": ["my-laptop"],
    "file_system_names": ["shared-data"],
    "file_system_mounts": [
        {"mount_point": "/data/shared", "file_system_id": "398578a2336b49079e74043f0bd2cfe8"}
    ],
    "region": {"name": "us-east-1", "description": "Virginia, USA"},
    "instance_type": {
        "name": "gpu_1x_a10",
        "description": "1x A10 (24 GB PCIe)",
        "gpu_description": "A10 (24 GB PCIe)",
        "price_cents_per_hour": 75,
        "specs": {"vcpus": 30, "memory_gib": 200, "storage_gib": 1400, "gpus": 1},
        "architecture": "x86_64",
    },
    "image": {"id": "43336648-096d-4cba-9aa2-f9bb7727639d", "family": "lambda-stack-24-04"},
    "hostname": "training-node-1",
    "jupyter_token": "03b7d30d9d3e4d8fa41657bc0d478c1b",
    "jupyter_url": "https://jupyter-0920582c7ff041399e34823a0be62549.lambdaspaces.com/?token=03b7d30d9d3e4d8fa41657bc0d478c1b",
    "actions": {
        "migrate": {
            "available": False,
            "reason_code": "vm-is-too-old",
            "reason_description": "Too old.",
        },
        "rebuild": {"available": True},
        "restart": {"available": True},
        "cold_reboot": {"available": True},
        "power_cycle": {"available": True},
        "terminate": {"available": True},
    },
    "tags": [{"key": "team", "value": "research"}, {"key": "project", "value": "llm-7b"}],
    "firewall_rulesets": [{"id": "c4d291f47f9d436fa39f58493ce3b50d"}],
}


def instances(count: int) -> list[dict[str, Any]]:
    made = []
    for number in range(count):
        instance = copy.deepcopy(INSTANCE)
        instance["id"] = f"{number:032x}"
        instance["name"] = f"node-{number}"
        instance["ip"] = f"198.51.{number // 250}.{number % 250 + 1}"
        made.append(instance)
    return made


def instance_types() -> dict[str, Any]:
    regions = [
        {"name": "us-east-1", "description": "Virginia, USA"},
        {"name": "us-west-1", "description": "California, USA"},
    ]
    types = {}
    for gpus in (1, 2, 4, 8):
        for model, cents in (
            ("a10", 75),
            ("a100_sxm4", 129),
            ("h100_pcie", 249),
            ("gh200", 149),
            ("a6000", 80),
        ):
            name = f"gpu_{gpus}x_{model}"
            types[name] = {
                "instance_type": {
                    "name": name,
                    "description": f"{gpus}x {model.upper()}",
                    "gpu_description": model.upper(),
                    "price_cents_per_hour": cents * gpus,
                    "specs": {
                        "vcpus": 30 * gpus,
                        "memory_gib": 200 * gpus,
                        "storage_gib": 1400 * gpus,
                        "gpus": gpus,
                    },
                    "architecture": "arm64" if model == "gh200" else "x86_64",
                },
                "regions_with_capacity_available": regions[: gpus % 3],
            }
    return types


ANSWERS = {
    "/one/api/v1/instances": {"data": instances(1)},
    "/many/api/v1/instances": {"data": instances(200)},
    "/one/api/v1/instances/0920582c7ff041399e34823a0be62549": {"data": INSTANCE},
    "/one/api/v1/instance-types": {"data": instance_types()},
}
BODIES = {path: json.dumps(answer).encode() for path, answer in ANSWERS.items()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.lock:
            self.server.connections += 1

    def do_GET(self) -> None:
        if self.path == "/stats":
            with self.server.lock:
                stats = {"connections": self.server.connections, "requests": self.server.requests}
                self.server.connections = self.server.requests = 0
            self._send(json.dumps(stats).encode())
            return
        with self.server.lock:
            self.server.requests += 1
        body = BODIES.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        self._send(body)

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0


if __name__ == "__main__":
    server = Server()
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
