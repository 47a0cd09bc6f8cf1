"""What instances cost and which have outlived their expiry, from what the objects hold."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from lambdacloud.instances.instance import Instance

#: The statuses of a machine that is billed: it runs, or boots.
BILLED = frozenset({"booting", "active", "unhealthy"})


def burn_rate(instances: Iterable[Instance]) -> Decimal:
    """Dollars per hour of the instances that are running or booting."""
    return sum((i.price_per_hour for i in instances if str(i.status) in BILLED), start=Decimal(0))


def expired(instances: Iterable[Instance], now: datetime) -> list[Instance]:
    """The instances past their expiry tag that are not yet terminating."""
    return [
        i
        for i in instances
        if i.expires_at is not None
        and i.expires_at <= now
        and str(i.status) not in ("terminating", "terminated")
    ]
