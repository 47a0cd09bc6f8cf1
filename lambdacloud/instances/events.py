"""What ``acquire()`` tells ``on_event`` (notifiers, logs): a small typed event for each
capacity read, launch attempt, refusal and launch."""

from __future__ import annotations

import logging
from collections.abc import Callable

import attrs

from lambdacloud._display import Displayable
from lambdacloud.errors import (
    LambdaCloudError,
)
from lambdacloud.instances.instance import Instance

logger = logging.getLogger("lambdacloud")


@attrs.frozen(kw_only=True)
class AcquireEvent(Displayable):
    """Something that happened during ``acquire()``, for ``on_event`` (notifiers, logs).

    Attributes:
        elapsed: Seconds since the acquire began.
    """

    elapsed: float


@attrs.frozen(kw_only=True)
class CapacityRead(AcquireEvent):
    """A read of the capacity.

    Attributes:
        reads: How many reads so far, this one included.
        available: The wanted ``(type, region)`` pairs listed with capacity, best first.
    """

    reads: int
    available: tuple[tuple[str, str], ...]


@attrs.frozen(kw_only=True)
class LaunchAttempt(AcquireEvent):
    """A launch about to be sent.

    Attributes:
        instance_type: The type's name.
        region: The region's code.
        attempt: How many launches so far, this one included.
    """

    instance_type: str
    region: str
    attempt: int


@attrs.frozen(kw_only=True)
class LaunchRefused(AcquireEvent):
    """A launch that did not start a machine; the acquire goes on.

    Attributes:
        instance_type: The type's name.
        region: The region's code.
        reason: Why, in a few words (``insufficient capacity``, ``rate limited``...).
        error: The error the API (or the network) answered with.
    """

    instance_type: str
    region: str
    reason: str
    error: LambdaCloudError = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class Launched(AcquireEvent):
    """A launch that started a machine.

    Attributes:
        instance: The new instance.
    """

    instance: Instance


OnEvent = Callable[[AcquireEvent], object]
