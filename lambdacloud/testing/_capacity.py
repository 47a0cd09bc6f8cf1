"""Capacity on the fake cloud: steady counts, windows that open and close, refused launches.

The real API's hardest problem is scarce GPUs: capacity for a type shows up in a region for a
minute or so and is gone, and a launch against capacity that is listed can still be refused
(about 3 times in 11, observed). Everything here runs on the fake's clock, so a rehearsal of
"wait for an H100" takes no real time and, with a seed, goes the same way every time.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lambdacloud.testing import _catalog

Pair = tuple[str, str]
#: The capacity scenarios ``FakeLambdaCloud(capacity=...)`` knows.
SCENARIOS = ("steady", "scarce", "none")


@dataclass
class CapacityWindow:
    """A stretch of fake time during which a type can be launched in a region.

    Times are seconds on the fake's clock, the same scale as ``cloud.clock()`` and
    ``RecordedRequest.at``, so "how long after the window opened did the launch arrive" is
    ``request.at - window.opens_at``.

    Attributes:
        instance_type: The type's name.
        region: The region's code.
        opens_at: When launches can start to succeed.
        closes_at: When whatever is left of it disappears.
        count: How many machines it offers.
        taken_at: When each launch it served arrived.
        instance_ids: The instances it served, in the same order.
        scheduled: Made by ``capacity_window()`` (``False``: by the random mode).
        held: Machines launched from it that still run (a terminated one gives its place
            back while the window is open).
    """

    instance_type: str
    region: str
    opens_at: float
    closes_at: float
    count: int = 1
    taken_at: list[float] = field(default_factory=list)
    instance_ids: list[str] = field(default_factory=list)
    scheduled: bool = True
    held: int = 0

    def is_open(self, now: float) -> bool:
        """Whether it is open at ``now`` (on the fake clock).

        Args:
            now: A time on the fake clock.

        Returns:
            ``opens_at <= now < closes_at``.

        API: none.
        """
        return self.opens_at <= now < self.closes_at

    @property
    def caught(self) -> bool:
        """Whether any launch succeeded from it."""
        return bool(self.taken_at)

    def remaining(self, now: float) -> int:
        """How many more machines it offers at ``now``: none unless it is open.

        Args:
            now: A time on the fake clock.

        Returns:
            ``count`` less the machines launched from it that still run, while it is open.

        API: none.
        """
        return self.count - self.held if self.is_open(now) else 0


@dataclass
class _RandomMode:
    seed: int
    pairs: list[Pair]
    mean_gap: float
    lasts: float
    count: int
    refusal_rate: float
    origin: float
    refusals: random.Random
    streams: dict[Pair, random.Random] = field(default_factory=dict)
    #: Where each pair's schedule has been drawn up to (the close of its last window).
    drawn_to: dict[Pair, float] = field(default_factory=dict)


class Capacity:
    """How many machines each (type, region) can launch, now: steady counts plus open
    windows, less what the windows' launches still hold."""

    def __init__(
        self, clock: Callable[[], float], *, types: Iterable[str], regions: Iterable[str]
    ) -> None:
        self.clock = clock
        self.types = set(types)
        self.regions = set(regions)
        self.steady: dict[Pair, int] = dict(_catalog.CAPACITY)
        self.windows: list[CapacityWindow] = []
        self.refusals_due = 0
        self.random: _RandomMode | None = None

    def check(self, instance_type: str, region: str) -> Pair:
        """The pair, once both are known.

        Raises:
            ValueError: An unknown type or region.
        """
        if instance_type not in self.types:
            raise ValueError(f"unknown instance type {instance_type!r}")
        if region not in self.regions:
            raise ValueError(f"unknown region {region!r}")
        return instance_type, region

    def scenario(self, name: str, seed: int | None) -> None:
        """Start from a named scenario: ``steady``, ``scarce`` or ``none``."""
        if name == "scarce":
            self.go_random(seed=seed)
        elif name == "none":
            self.steady = {}
        elif name != "steady":
            raise ValueError(f"capacity must be one of {', '.join(SCENARIOS)}, not {name!r}")

    def set_steady(self, instance_type: str, region: str, count: int) -> None:
        self.steady[self.check(instance_type, region)] = count

    def refuse_more(self, n: int) -> None:
        if n < 0:
            raise ValueError("n cannot be negative")
        self.refusals_due += n

    def available(self, instance_type: str, region: str) -> int:
        now = self.clock()
        self._draw(now)
        pair = (instance_type, region)
        opened = sum(w.remaining(now) for w in self.windows if _pair(w) == pair)
        return self.steady.get(pair, 0) + opened

    def refuse(self) -> bool:
        """Whether a launch that capacity allows is refused all the same."""
        if self.refusals_due > 0:
            self.refusals_due -= 1
            return True
        mode = self.random
        return mode is not None and mode.refusals.random() < mode.refusal_rate

    def take(self, instance_type: str, region: str, instance_id: str) -> CapacityWindow | None:
        """Use one machine: from the open window that closes first, else the steady count.

        Returns:
            The window it came from, or ``None`` for the steady count.
        """
        now = self.clock()
        pair = (instance_type, region)
        opened = [w for w in self.windows if _pair(w) == pair and w.remaining(now) > 0]
        if opened:
            window = min(opened, key=lambda w: w.closes_at)
            window.held += 1
            window.taken_at.append(now)
            window.instance_ids.append(instance_id)
            return window
        self.steady[pair] = self.steady.get(pair, 0) - 1
        return None

    def give_back(self, instance_type: str, region: str, window: CapacityWindow | None) -> None:
        """A machine is free again: in its window (gone if it has closed) or the steady count."""
        if window is not None:
            window.held -= 1
        else:
            pair = (instance_type, region)
            self.steady[pair] = self.steady.get(pair, 0) + 1

    def schedule(
        self, instance_type: str, region: str, *, opens_at: float, lasts: float, count: int
    ) -> CapacityWindow:
        for name, bad in (("opens_at", opens_at < 0), ("lasts", lasts <= 0), ("count", count < 1)):
            if bad:
                raise ValueError(
                    f"{name} is out of range: need opens_at >= 0, lasts > 0, count >= 1"
                )
        self.check(instance_type, region)
        opens = self.clock() + opens_at
        window = CapacityWindow(instance_type, region, opens, opens + lasts, count)
        self.windows.append(window)
        return window

    def go_random(
        self,
        *,
        seed: int | None,
        pairs: Iterable[Pair] | None = None,
        mean_gap: float = 300.0,
        lasts: float = 60.0,
        count: int = 1,
        refusal_rate: float = 3 / 11,
    ) -> int:
        """Capacity comes and goes at random per pair; the steady counts are set to 0."""
        if mean_gap <= 0 or lasts <= 0 or count < 1 or not 0 <= refusal_rate <= 1:
            raise ValueError("need mean_gap > 0, lasts > 0, count >= 1, 0 <= refusal_rate <= 1")
        offered = _catalog.OFFERED if pairs is None else pairs
        chosen_pairs = [self.check(*pair) for pair in offered]
        chosen = seed if seed is not None else secrets.randbelow(2**32)
        self.random = _RandomMode(
            seed=chosen,
            pairs=chosen_pairs,
            mean_gap=mean_gap,
            lasts=lasts,
            count=count,
            refusal_rate=refusal_rate,
            origin=self.clock(),
            # One stream per purpose and pair: a schedule does not depend on the order in
            # which pairs are looked at, nor on how many launches were tried.
            refusals=random.Random(f"{chosen}/refusals"),
        )
        for pair in self.random.pairs:
            self.random.streams[pair] = random.Random(f"{chosen}/{pair[0]}/{pair[1]}")
            self.random.drawn_to[pair] = self.random.origin
        self.steady = dict.fromkeys(self.steady, 0)
        return chosen

    def listing(self) -> list[CapacityWindow]:
        """Scheduled windows, and random ones that have opened by now, by opening time."""
        now = self.clock()
        self._draw(now)
        shown = [w for w in self.windows if w.scheduled or w.opens_at <= now]
        return sorted(shown, key=lambda w: (w.opens_at, w.instance_type, w.region))

    def _draw(self, now: float) -> None:
        """Draw each pair's random windows until one opens after ``now``."""
        mode = self.random
        if mode is None:
            return
        for pair in mode.pairs:
            stream = mode.streams[pair]
            while mode.drawn_to[pair] <= now:
                opens = mode.drawn_to[pair] + stream.expovariate(1.0 / mode.mean_gap)
                closes = opens + stream.uniform(0.5 * mode.lasts, 1.5 * mode.lasts)
                self.windows.append(
                    CapacityWindow(*pair, opens, closes, mode.count, scheduled=False)
                )
                mode.drawn_to[pair] = closes


def _pair(window: CapacityWindow) -> Pair:
    return window.instance_type, window.region
