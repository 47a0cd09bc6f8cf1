"""FakeLambdaCloud's SSH readiness: running instances answer a TCP check with an SSH banner."""

from __future__ import annotations

import errno
import ipaddress
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from lambdacloud import Client, Instance
from lambdacloud.testing import FakeClock, FakeLambdaCloud, _ssh


def banner(address: str, port: int) -> bytes | str:
    """What a readiness check sees: the banner, or how the connection failed."""
    try:
        with socket.create_connection((address, port), timeout=2) as connection:
            connection.sendall(b"SSH-2.0-readiness-check\r\n")
            return connection.recv(256) or "closed"
    except ConnectionRefusedError:
        return "refused"
    except ConnectionResetError:
        return "reset"


def refused_soon(address: str, port: int) -> bool:
    """Whether the address stops listening within a second (its listener closes on a thread)."""
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if banner(address, port) == "refused":
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def cloud() -> Iterator[FakeLambdaCloud]:
    with FakeLambdaCloud(clock=FakeClock(frozen=True), rate_limits=False) as running:
        yield running


@pytest.fixture
def client(cloud: FakeLambdaCloud) -> Client:
    client = cloud.client()
    client.ssh_keys.create("me")
    return client


def booted(cloud: FakeLambdaCloud, client: Client) -> Instance:
    instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
    cloud.advance(60)  # boot_seconds
    assert instance.refresh().status == "active"
    assert instance.ip is not None
    return instance


def test_sshd_answers_a_while_after_the_instance_is_active(
    cloud: FakeLambdaCloud, client: Client
) -> None:
    instance = booted(cloud, client)
    assert isinstance(cloud.ssh_port, int)
    assert instance.ip is not None
    assert ipaddress.ip_address(instance.ip).is_loopback
    launched = next(r.at for r in cloud.requests if r.path.endswith("/launch") and r.status == 200)
    active = launched + 60  # boot_seconds
    assert banner(instance.ip, cloud.ssh_port) == "reset"  # active, sshd not up yet
    cloud.advance(active + 9.9 - cloud.clock())
    assert banner(instance.ip, cloud.ssh_port) == "reset"
    cloud.advance(0.1)  # ssh_delay, 10 s by default
    assert banner(instance.ip, cloud.ssh_port) == b"SSH-2.0-OpenSSH_9.6 FakeLambdaCloud\r\n"


def test_booting_and_restarting_instances_do_not_answer(
    cloud: FakeLambdaCloud, client: Client
) -> None:
    instance = client.instances.launch("gpu_1x_a10", ssh_key="me", region="us-west-1")
    port = cloud.ssh_port
    assert port is not None
    address = next(i.ip for i in cloud._world.instances.values())
    assert banner(address, port) == "reset"  # booting: the machine is not there yet
    cloud.advance(70)
    assert str(banner(address, port)).startswith("b'SSH-")
    instance.restart()
    assert banner(address, port) == "reset"
    cloud.advance(30)  # restart_seconds: active again, sshd not up yet
    assert instance.refresh().status == "active"
    assert banner(address, port) == "reset"
    cloud.advance(10)
    assert isinstance(banner(address, port), bytes)


def test_each_instance_has_its_own_address(cloud: FakeLambdaCloud, client: Client) -> None:
    first = booted(cloud, client)
    second = booted(cloud, client)
    assert first.ip != second.ip
    assert cloud.ssh_port is not None
    cloud.advance(10)
    second.terminate()
    assert first.ip is not None
    assert second.ip is not None
    assert refused_soon(second.ip, cloud.ssh_port)
    assert isinstance(banner(first.ip, cloud.ssh_port), bytes)


def test_preempted_and_terminated_instances_stop_listening(
    cloud: FakeLambdaCloud, client: Client
) -> None:
    preempted, terminated = booted(cloud, client), booted(cloud, client)
    cloud.advance(10)
    port = cloud.ssh_port
    assert port is not None
    assert preempted.ip is not None
    assert terminated.ip is not None
    cloud.preempt(preempted.id)
    terminated.terminate()
    assert refused_soon(preempted.ip, port)
    assert refused_soon(terminated.ip, port)


def test_no_delay() -> None:
    with FakeLambdaCloud(clock=FakeClock(frozen=True), ssh_delay=0) as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        instance = booted(cloud, client)
        assert cloud.ssh_port is not None
        assert instance.ip is not None
        assert isinstance(banner(instance.ip, cloud.ssh_port), bytes)


def test_turned_off() -> None:
    with FakeLambdaCloud(clock=FakeClock(frozen=True), ssh=False) as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        instance = booted(cloud, client)
        assert cloud.ssh_port is None
        assert instance.ip is not None
        assert ipaddress.ip_address(instance.ip) in ipaddress.ip_network("198.51.100.0/24")
        assert not any(t.name == "FakeLambdaCloud ssh" for t in threading.enumerate())


def test_stop_closes_every_listener_and_the_thread() -> None:
    before = threading.active_count()
    with FakeLambdaCloud(clock=FakeClock(frozen=True)) as cloud:
        other = cloud.client()
        other.ssh_keys.create("me")
        instance = booted(cloud, other)
        cloud.advance(10)
        port = cloud.ssh_port
        assert port is not None
        assert instance.ip is not None
        assert isinstance(banner(instance.ip, port), bytes)
    assert banner(instance.ip, port) == "refused"
    assert threading.active_count() == before


def test_where_loopback_aliases_cannot_be_bound_all_share_127_0_0_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unavailable(self: _ssh.SshListeners, address: str) -> socket.socket:
        raise OSError(errno.EADDRNOTAVAIL, "Can't assign requested address")

    monkeypatch.setattr(_ssh.SshListeners, "_bind", unavailable)
    with FakeLambdaCloud(clock=FakeClock(frozen=True), rate_limits=False) as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        first = booted(cloud, client)
        cloud.advance(10)
        port = cloud.ssh_port
        assert port is not None
        assert first.ip == "127.0.0.1"
        assert isinstance(banner("127.0.0.1", port), bytes)
        second = booted(cloud, client)
        assert second.ip == "127.0.0.1"
        # Shared: it answers only while every running instance is ready, never early.
        assert banner("127.0.0.1", port) == "reset"
        cloud.advance(10)
        assert isinstance(banner("127.0.0.1", port), bytes)
        second.terminate()
        first.terminate()
        assert banner("127.0.0.1", port) == "reset"


def test_addresses_skip_the_network_and_broadcast_numbers() -> None:
    assert [_ssh._address(n) for n in (1, 2, 254, 255, 254 * 256)] == [
        "127.0.1.1",
        "127.0.1.2",
        "127.0.1.254",
        "127.0.2.1",
        "127.1.0.254",
    ]


def test_listeners_do_not_delay_interpreter_exit() -> None:
    script = (
        "import socket\n"
        "from lambdacloud.testing import FakeLambdaCloud\n"
        "cloud = FakeLambdaCloud(ssh_delay=0).start()\n"
        "client = cloud.client()\n"
        "client.ssh_keys.create('me')\n"
        "instance = client.instances.launch('gpu_1x_a10', ssh_key='me', region='us-west-1')\n"
        "cloud.advance(60)\n"
        "instance.refresh()\n"
        "with socket.create_connection((instance.ip, cloud.ssh_port), timeout=2) as s:\n"
        "    print(s.recv(100).decode().strip())\n"
    )
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert (finished.returncode, finished.stderr) == (0, "")
    assert finished.stdout.startswith("SSH-2.0-OpenSSH_9.6")
    assert time.monotonic() - started < 5
