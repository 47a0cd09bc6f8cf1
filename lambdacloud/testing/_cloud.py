"""``FakeLambdaCloud``: a local, stateful stand-in for the Lambda Cloud API."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from lambdacloud.client import Client
from lambdacloud.testing._capacity import CapacityWindow
from lambdacloud.testing._clock import FakeClock
from lambdacloud.testing._dispatch import Dispatcher
from lambdacloud.testing._faults import Fault, RecordedRequest, coded_error, full_path
from lambdacloud.testing._instances import find
from lambdacloud.testing._limits import RateLimiter
from lambdacloud.testing._server import Serving
from lambdacloud.testing._world import World


class FakeLambdaCloud:
    """A local HTTP server that behaves like the Lambda Cloud API, for tests and notebooks.

    ```python
    with FakeLambdaCloud() as cloud:
        client = cloud.client()
        client.ssh_keys.create("me")
        with client.instances.launch("gpu_1x_a10", ssh_key="me") as instance:
            instance.wait_until_active()      # instant: the client sleeps on fake time
    ```

    It listens on 127.0.0.1 on a free port, speaks the API's envelope, error codes and
    statuses, checks the documented input constraints, and keeps state: instance types with
    prices and per-region capacity, regions, images, SSH keys, filesystems, firewall rules
    and rulesets, instances with their lifecycle, an audit event for each change, and
    support tickets with attachments (uploaded to presigned URLs the fake serves itself).

    Args:
        api_key: The key it accepts (Bearer or Basic); a random one by default.
        clock: Its time; by default a ``FakeClock`` running in real time that clients
            from ``client()`` advance instead of sleeping.
        boot_seconds: How long a launched instance stays ``booting``.
        restart_seconds: How long a restarted instance stays ``booting``.
        terminate_seconds: How long a terminated instance stays ``terminating``.
        rate_limits: Enforce the API's limits, on by default: about 1 request/s (after a
            burst of ``burst``) and 1 launch per 12 s, beyond which it answers 429
            (``global/too-many-requests``) with ``Retry-After`` in whole seconds. Clients
            from ``client()`` wait them out on fake time. ``False`` turns them off.
        burst: Requests that may arrive at once before the per-second limit applies
            (default 2).
        audit_page_size: Audit events per page.
        ticket_page_size: Support tickets per page.
        ticket_update_seconds: How long after a ticket update is accepted (202) it shows:
            the API applies updates later. 0 applies them at once.
        capacity: ``"steady"`` (the default): the catalog's capacity, which changes only
            when machines launch and terminate or you call ``set_capacity()``;
            ``"scarce"``: none steady, windows that come and go at random and launches
            refused about 3 times in 11 (``random_capacity()`` with its defaults);
            ``"none"``: no capacity anywhere until you add some.
        seed: The seed of the ``"scarce"`` scenario (random when ``None``).
        ssh: Make running instances answer an SSH readiness check: each gets a loopback
            address of its own (127.0.1.1, ...) as ``ip``, where ``ssh_port`` answers with
            an OpenSSH banner once sshd is up. ``False``: documentation-range ips.
        ssh_delay: Seconds (fake clock) from ``active`` until sshd answers: on real machines
            it comes up a little after the API says active.
        host: The address to listen on; keep 127.0.0.1 unless others must reach it.
        port: The port to listen on; 0 picks a free one.

    Attributes:
        url: Where it listens (``http://127.0.0.1:<port>``), once started.
        api_key: The key it accepts.
        clock: Its clock.
        ssh_port: The port instances answer SSH on, once started (``None`` without SSH).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        clock: Callable[[], float] | None = None,
        boot_seconds: float = 60.0,
        restart_seconds: float = 30.0,
        terminate_seconds: float = 10.0,
        rate_limits: bool = True,
        burst: int = 2,
        audit_page_size: int = 100,
        ticket_page_size: int = 25,
        ticket_update_seconds: float = 5.0,
        capacity: str = "steady",
        seed: int | None = None,
        ssh: bool = True,
        ssh_delay: float = 10.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api_key = api_key or f"secret_fake_{secrets.token_hex(16)}"
        self.clock: Callable[[], float] = clock if clock is not None else FakeClock()
        self._world = World(
            self.clock,
            boot_seconds=boot_seconds,
            restart_seconds=restart_seconds,
            terminate_seconds=terminate_seconds,
            audit_page_size=audit_page_size,
            ticket_page_size=ticket_page_size,
            ticket_update_seconds=ticket_update_seconds,
        )
        self._world.capacity.scenario(capacity, seed)
        limiter = RateLimiter(self.clock, burst) if rate_limits else None
        self._dispatcher = Dispatcher(self._world, self.api_key, limiter)
        self._world.ssh_delay = ssh_delay
        self._ssh = ssh
        self._address = (host, port)
        self._serving: Serving | None = None
        self.url = ""
        self.ssh_port: int | None = None

    def __repr__(self) -> str:
        return f"FakeLambdaCloud(url={self.url!r})"

    def start(self) -> FakeLambdaCloud:
        """Start serving (on 127.0.0.1 on a free port by default); ``url`` says where.

        A stopped fake cannot start again: make a new one.

        Returns:
            The fake itself, serving.

        Raises:
            RuntimeError: The fake was stopped before.
            OSError: It cannot listen there (the port is taken, ...).

        API: none (it serves the API).
        """
        if self._dispatcher.stopped.is_set():
            raise RuntimeError("this FakeLambdaCloud was stopped; make a new one")
        if self._serving is None:
            self._serving = Serving(*self._address, self._dispatcher, ssh=self._ssh)
            self.url, self.ssh_port = self._serving.url, self._serving.ssh_port
        return self

    def stop(self) -> None:
        """Stop serving: open connections are closed and nothing more is answered.

        API: none.
        """
        if self._serving is not None:
            self._serving.stop()
            self._serving = None

    def __enter__(self) -> FakeLambdaCloud:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def client(self, **options: Any) -> Client:
        """A ``Client`` for this fake, sleeping on its clock when it can.

        Args:
            options: More ``Client`` arguments (``auth="basic"``, ``max_retries=``, ...).

        Returns:
            A ready client.

        Raises:
            ValidationError: A malformed ``Client`` argument.

        API: none (the client talks to the fake).
        """
        self.start()
        if isinstance(self.clock, FakeClock):
            options.setdefault("clock", self.clock)
            options.setdefault("sleep", self.clock.sleep)
        return Client(api_key=self.api_key, base_url=self.url, **options)

    def advance(self, seconds: float) -> None:
        """Move the fake's time forward (a ``FakeClock`` only).

        Args:
            seconds: How far; not negative.

        Raises:
            TypeError: The fake runs on a clock of your own.
            ValueError: ``seconds`` is negative.

        API: none.
        """
        if not isinstance(self.clock, FakeClock):
            raise TypeError("advance() needs the default FakeClock")
        self.clock.advance(seconds)

    def set_capacity(self, instance_type: str, region: str, count: int) -> None:
        """Say how many more machines of a type a region can launch (0 for none).

        Args:
            instance_type: The type's name, such as ``gpu_1x_a10``.
            region: The region's code, such as ``us-east-1``.
            count: How many launches may still succeed there.

        Raises:
            ValueError: An unknown type or region.

        API: none.
        """
        with self._world.lock:
            self._world.capacity.set_steady(instance_type, region, count)

    def capacity_window(
        self,
        instance_type: str,
        region: str,
        *,
        opens_at: float,
        lasts: float = 60.0,
        count: int = 1,
    ) -> CapacityWindow:
        """Make capacity appear for a while, as it does on the real cloud: a window.

        From ``opens_at`` seconds from now (on the fake clock) for ``lasts`` seconds, the
        type can be launched in the region (``count`` machines), on top of any steady
        capacity; then what is left disappears. A machine launched from it and terminated
        while it is open gives its place back.

        Args:
            instance_type: The type's name, such as ``gpu_1x_h100_pcie``.
            region: The region's code, such as ``us-south-1``.
            opens_at: Seconds from now (fake clock) until it opens; 0 opens it now.
            lasts: Seconds it stays open.
            count: Machines it offers.

        Returns:
            The window, with its absolute ``opens_at`` and ``closes_at`` and, as launches
            use it, ``taken_at`` and ``instance_ids``.

        Raises:
            ValueError: An unknown type or region, a negative ``opens_at``, a ``lasts``
                that is not positive, or a ``count`` below 1.

        API: none.
        """
        with self._world.lock:
            return self._world.capacity.schedule(
                instance_type, region, opens_at=opens_at, lasts=lasts, count=count
            )

    def refuse_next_launches(self, n: int = 1) -> None:
        """Refuse the next ``n`` launches that capacity would allow, as the real cloud can.

        They get the API's own answer for no capacity (400,
        ``instance-operations/launch/insufficient-capacity``, with its suggestion) although
        the capacity is listed; nothing is used up. Calls add up.

        Args:
            n: How many launches to refuse.

        Raises:
            ValueError: ``n`` is negative.

        API: none.
        """
        with self._world.lock:
            self._world.capacity.refuse_more(n)

    def random_capacity(
        self,
        *,
        seed: int | None = None,
        pairs: Iterable[tuple[str, str]] | None = None,
        mean_gap: float = 300.0,
        lasts: float = 60.0,
        count: int = 1,
        refusal_rate: float = 3 / 11,
    ) -> int:
        """Make capacity scarce: windows open and close at random, launches get refused.

        The steady capacity goes to 0. Per (type, region) pair, windows of ``lasts`` seconds
        (0.5 to 1.5 times it) open after gaps of ``mean_gap`` seconds on average; a launch
        that capacity allows is refused with probability ``refusal_rate``. On the fake
        clock, from now; the same seed gives the same windows (and the same refusals for
        the same launches). ``capacity_window()`` and ``set_capacity()`` still apply.

        Args:
            seed: The seed; a random one (returned) when ``None``.
            pairs: The (type, region) pairs whose capacity comes and goes; by default every
                pair the catalog offers (each type in the regions it is sold in).
            mean_gap: Mean seconds between one window's close and the next one's opening.
            lasts: Typical seconds a window stays open.
            count: Machines each window offers.
            refusal_rate: Chance that a launch that capacity allows is refused anyway.

        Returns:
            The seed used, to replay a rehearsal.

        Raises:
            ValueError: An unknown type or region, ``mean_gap`` or ``lasts`` not positive,
                ``count`` below 1, or ``refusal_rate`` outside 0 to 1.

        API: none.
        """
        with self._world.lock:
            return self._world.capacity.go_random(
                seed=seed,
                pairs=pairs,
                mean_gap=mean_gap,
                lasts=lasts,
                count=count,
                refusal_rate=refusal_rate,
            )

    @property
    def capacity_windows(self) -> list[CapacityWindow]:
        """Every window made by ``capacity_window()``, and those of ``random_capacity()``
        that have opened by now, in order of opening (absolute fake-clock times)."""
        with self._world.lock:
            return self._world.capacity.listing()

    def preempt(self, instance_id: str) -> None:
        """Preempt a running instance: it becomes ``preempted`` and frees its capacity.

        A preempted instance stays listed until it is terminated, as on the real cloud.

        Args:
            instance_id: The instance's id.

        Raises:
            ValueError: The instance is not running (booting or active).

        API: none.
        """
        with self._world.lock:
            self._world.preempt(find(self._world, instance_id))

    def inject(
        self,
        *,
        status: int | None = None,
        body: str | bytes | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
        truncate: bool = False,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        code: str | None = None,
    ) -> Fault:
        """Make the next ``times`` matching requests misbehave.

        A ``status`` or ``drop`` fault answers in place of the API, before auth and state,
        as a proxy in front of it would; ``delay`` and ``truncate`` without a ``status``
        let the request through (a truncated launch does launch) and spoil the answer.

        Args:
            status: Answer with this status (and ``body``, by default an error envelope
                with the code the API uses for that status).
            body: The body to answer with: text (sent as HTML when it starts with ``<``),
                bytes, or JSON.
            headers: Headers to add (``Retry-After``...).
            delay: Wait this many real seconds before answering.
            drop: Read the request, then reset the connection without an answer.
            truncate: Send only half of the body, then reset the connection.
            times: How many matching requests misbehave.
            method: Only requests with this method.
            path: Only requests under this path (``/instances`` means ``/api/v1/instances``
                and what is below it; ``/_storage`` is the attachment storage).
            code: Answer with the API's envelope for this error code, with its documented
                message and suggestion (``support-tickets/creation-failed``,
                ``global/quota-exceeded``, ...); ``status`` defaults to the code's.

        Returns:
            The fault; ``hits`` counts the requests it has affected.

        Raises:
            ValueError: ``code`` is one the fake does not know and ``status`` is not given.

        API: none (it changes how the fake answers).
        """
        if code is not None:
            status, envelope = coded_error(code, status)
            body = envelope if body is None else body
        fault = Fault(
            method=method,
            path=None if path is None else full_path(path),
            times=times,
            status=status,
            body=body,
            headers=dict(headers or {}),
            delay=delay,
            drop=drop,
            truncate=truncate,
        )
        with self._dispatcher.lock:
            self._dispatcher.faults.append(fault)
        return fault

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order of arrival, with its answer.

        Each one's ``at`` is when it arrived, on ``clock``. A request whose connection a
        fault dropped is there with ``status`` 0.
        """
        return self._dispatcher.recorded

    def count(self, method: str, path: str, *, status: int | None = None) -> int:
        """How many answered requests had this method, path and (if given) status.

        ``cloud.count("POST", "/instance-operations/launch", status=200)`` is how many
        launches succeeded; without ``status``, how many arrived (dropped ones and those the
        rate limits refused included).

        Args:
            method: The HTTP method.
            path: The path, with or without the ``/api/v1`` prefix.
            status: Only answers with this status.

        Returns:
            The number of such requests.

        API: none.
        """
        path = full_path(path)
        return sum(
            1
            for r in self.requests
            if r.method == method.upper()
            and r.path == path
            and (status is None or r.status == status)
        )
