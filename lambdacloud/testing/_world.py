"""The fake cloud's state, shared by every request handler."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from lambdacloud.testing import _catalog
from lambdacloud.testing._capacity import Capacity, CapacityWindow
from lambdacloud.testing._checks import JSON
from lambdacloud.testing._ssh import SshListeners


@dataclass
class Request:
    """What a handler needs to know about the request it answers."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    user_agent: str | None
    client_ip: str
    #: Where the client reached the fake (the Host header), for URLs that point back at it.
    host: str = ""
    #: The body as sent (an upload's content is not JSON).
    raw: bytes = b""
    #: The headers, with lower-case names.
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeInstance:
    id: str
    type_name: str
    region: str
    ssh_key_names: list[str]
    launched_at: float
    ready_at: float
    name: str | None = None
    hostname: str | None = None
    file_system_names: list[str] = field(default_factory=list)
    file_system_mounts: list[JSON] = field(default_factory=list)
    image: JSON | None = None
    tags: list[JSON] = field(default_factory=list)
    firewall_ruleset_ids: list[str] = field(default_factory=list)
    restart_until: float | None = None
    terminate_at: float | None = None
    preempted: bool = False
    #: The capacity window it was launched from (``None``: the steady capacity).
    window: CapacityWindow | None = None
    ip: str = ""
    private_ip: str = ""
    jupyter_token: str = ""


@dataclass
class FakeTicket:
    id: str
    external_id: str
    subject: str
    description: str
    type: str
    created: float
    fields: JSON = field(default_factory=dict)  # severity, priority, hostname, ...
    affected_devices: list[str] = field(default_factory=list)
    comments: list[JSON] = field(default_factory=list)
    status: str = "open"
    updated: float | None = None
    resolved: float | None = None


@dataclass
class FakeAttachment:
    id: str
    ticket_id: str
    filename: str
    content_type: str
    size_bytes: int
    created: float
    status: str = "pending"
    uploaded: float | None = None
    content: bytes | None = None


@dataclass
class TicketUpdate:
    """A change the API accepted (202) and applies later, at ``due``."""

    ticket_id: str
    due: float
    changes: JSON


class World:
    """Everything the fake cloud knows, behind one lock."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        boot_seconds: float,
        restart_seconds: float,
        terminate_seconds: float,
        audit_page_size: int,
        ticket_page_size: int = 25,
        ticket_update_seconds: float = 5.0,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.boot_seconds = boot_seconds
        self.restart_seconds = restart_seconds
        self.terminate_seconds = terminate_seconds
        self.audit_page_size = audit_page_size
        wall = getattr(clock, "wall", None)  # a FakeClock's: the clients' UTC too
        self._wall_start = (wall() if callable(wall) else datetime.now(timezone.utc)).replace(
            microsecond=0
        )
        self._clock_start = clock()
        self.regions = dict(_catalog.REGIONS)
        self.instance_types = dict(_catalog.INSTANCE_TYPES)
        self.capacity = Capacity(clock, types=self.instance_types, regions=self.regions)
        self.images = _images(self.regions)
        self.ssh_keys: dict[str, JSON] = {}
        self.filesystems: dict[str, JSON] = {}
        self.instances: dict[str, FakeInstance] = {}
        ssh = {
            "protocol": "tcp",
            "port_range": [22, 22],
            "source_network": "0.0.0.0/0",
            "description": "SSH",
        }
        self.firewall_rules: list[JSON] = [dict(ssh)]
        self.rulesets: dict[str, JSON] = {}
        self.global_rules: list[JSON] = [dict(ssh)]
        self.audit: list[JSON] = []
        self.ticket_page_size = ticket_page_size
        self.ticket_update_seconds = ticket_update_seconds
        self.tickets: dict[str, FakeTicket] = {}
        self.attachments: dict[str, FakeAttachment] = {}
        self.ticket_updates: list[TicketUpdate] = []
        # Signs the presigned storage URLs the fake hands out for attachments.
        self.storage_key = secrets.token_bytes(32)
        self._hosts = 1
        #: The SSH listeners, while the fake serves with SSH simulated.
        self.ssh: SshListeners | None = None
        self.ssh_delay = 0.0

    def now(self) -> float:
        return self.clock()

    def timestamp(self, at: float | None = None) -> str:
        """An RFC 3339 time on the fake clock (real time when it started, then its own pace)."""
        moment = self.now() if at is None else at
        wall = self._wall_start + timedelta(seconds=moment - self._clock_start)
        return wall.isoformat().replace("+00:00", "Z")

    def status(self, instance: FakeInstance) -> str:
        now = self.now()
        if instance.terminate_at is not None:
            done = now >= instance.terminate_at + self.terminate_seconds
            return "terminated" if done else "terminating"
        if instance.preempted:
            return "preempted"
        if now < instance.ready_at:
            return "booting"
        if instance.restart_until is not None and now < instance.restart_until:
            return "booting"
        return "active"

    def booted(self, instance: FakeInstance) -> bool:
        """Whether it has finished its first boot (a restart keeps its addresses)."""
        return self.now() >= instance.ready_at

    def running(self, instance: FakeInstance) -> bool:
        """Whether it still holds its capacity, filesystems and rulesets."""
        return self.status(instance) not in ("terminating", "terminated", "preempted")

    def addresses(self) -> tuple[str, str]:
        """A public address and a private one for a new instance.

        The public one is a loopback address with an SSH listener when SSH is simulated,
        otherwise one from the three documentation ranges.
        """
        self._hosts += 1
        number = self._hosts
        network = ("198.51.100", "203.0.113", "192.0.2")[number // 254 % 3]
        public = self.ssh.open() if self.ssh is not None else f"{network}.{number % 254 + 1}"
        return public, f"10.{number // 65024 % 256}.{number // 254 % 256}.{number % 254 + 1}"

    def preempt(self, instance: FakeInstance) -> None:
        """The cloud takes a running machine back: it frees its capacity and stays listed.

        Raises:
            ValueError: It is not running.
        """
        if not self.running(instance):
            raise ValueError(f"instance {instance.id} is {self.status(instance)}")
        self.capacity.give_back(instance.type_name, instance.region, instance.window)
        self.gone(instance)
        instance.preempted = True

    def gone(self, instance: FakeInstance) -> None:
        """An instance stopped running (terminated, preempted): nothing answers at its ip."""
        if self.ssh is not None:
            self.ssh.close(instance.ip)

    def ssh_ready(self, address: str) -> bool:
        """Whether SSH answers at an address: every running instance there is active and
        has been for ``ssh_delay`` (sshd starts late), and there is one."""
        with self.lock:
            now = self.now()
            there = [i for i in self.instances.values() if i.ip == address and self.running(i)]
            return bool(there) and all(
                self.status(i) == "active"
                and now >= max(i.ready_at, i.restart_until or 0.0) + self.ssh_delay
                for i in there
            )

    def region_json(self, name: str) -> JSON:
        return {"name": name, "description": self.regions.get(name, name)}

    def record(self, request: Request, resource: str, action: str, ids: list[str]) -> None:
        """An audit event for a mutating call that succeeded (``cloud.<resource>``, past tense)."""
        self.audit.append(
            {
                "service_name": "cloud",
                "resource_name": resource,
                "action": action,
                "catalog_version": "1.0",
                "event_id": str(uuid.uuid4()),
                "event_time": self.timestamp(),
                "actor_lrn": f"lrn:lambda:iam::user/{_catalog.USER['id']}",
                "actor_email": _catalog.USER["email"],
                "actor_display_name": "Fake User",
                "resource_lrns": [f"lrn:cloud:{resource}:{i}" for i in ids],
                "resource_owner_lrn": _catalog.ACCOUNT_LRN,
                "request_api_key_lrn": "lrn:lambda:iam::api-key/fake-key",
                "workspace_lrn": None,
                "client_ip": request.client_ip,
                "client_user_agent": request.user_agent,
                "surface": "api",
                "result": {"status": "success", "status_code": 200},
                "additional_details": {"method": request.method, "path": request.path},
            }
        )


def new_id() -> str:
    return uuid.uuid4().hex


def _images(regions: dict[str, str]) -> list[JSON]:
    images = []
    for family, (name, version, description) in _catalog.IMAGE_FAMILIES.items():
        for region in regions:
            arches = ["x86_64"] + (["arm64"] if region in _catalog.ARM64_REGIONS else [])
            for arch in arches:
                images.append(
                    {
                        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{family}/{region}/{arch}")),
                        "created_time": "2025-01-15T00:00:00Z",
                        "updated_time": "2025-06-01T00:00:00Z",
                        "name": name if arch == "x86_64" else f"{name}-arm64",
                        "description": description,
                        "family": family,
                        "version": version,
                        "architecture": arch,
                        "region": {"name": region, "description": regions[region]},
                    }
                )
    return images
