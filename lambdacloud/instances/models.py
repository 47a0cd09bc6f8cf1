"""The values an instance is made of: its status, its available actions, its image, and the
defaults of waiting for it."""

from __future__ import annotations

import attrs

from lambdacloud._display import Displayable
from lambdacloud._resource import ApiEnum

#: How long a wait lasts by default, its first pause between polls, and its longest.
DEFAULT_TIMEOUT = 20 * 60.0
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_POLL_INTERVAL = 10.0


class InstanceStatus(ApiEnum):
    """The lifecycle of an instance. The API may add statuses: those stay plain strings."""

    BOOTING = "booting"
    ACTIVE = "active"
    UNHEALTHY = "unhealthy"
    TERMINATING = "terminating"
    TERMINATED = "terminated"
    PREEMPTED = "preempted"


@attrs.frozen(kw_only=True)
class ActionAvailability(Displayable):
    """Whether an action (restart, terminate, ...) can be taken on an instance now.

    Attributes:
        available: Whether it can.
        reason_code: Why not, as a code (``vm-has-not-launched``...), when it cannot.
        reason_description: Why not, in words.
    """

    available: bool
    reason_code: str | None = None
    reason_description: str | None = None

    def _display_label(self) -> str:
        if self.available:
            return "available"
        why = self.reason_description or self.reason_code
        return f"unavailable ({why})" if why else "unavailable"


@attrs.frozen(kw_only=True)
class InstanceActions(Displayable):
    """The availability of each action on an instance; ``None`` where the API does not say
    (``power_cycle`` is newer than API 1.8, ``cold_reboot`` is deprecated).

    Attributes:
        migrate: Moving it to another host.
        rebuild: Reinstalling it from its image.
        restart: Restarting it.
        cold_reboot: A cold reboot (deprecated).
        power_cycle: A power cycle.
        terminate: Terminating it.
    """

    migrate: ActionAvailability | None = None
    rebuild: ActionAvailability | None = None
    restart: ActionAvailability | None = None
    cold_reboot: ActionAvailability | None = None
    power_cycle: ActionAvailability | None = None
    terminate: ActionAvailability | None = None

    def _display_label(self) -> str:
        names = [
            field.name.replace("_", " ")
            for field in attrs.fields(type(self))
            if (action := getattr(self, field.name)) is not None and action.available
        ]
        return ", ".join(names) if names else "none available"


@attrs.frozen(kw_only=True)
class InstanceImage(Displayable):
    """The image an instance was launched from.

    Attributes:
        id: The image's id.
        family: Its family, such as ``lambda-stack-24-04``.
    """

    id: str
    family: str

    def _display_label(self) -> str:
        return self.family or self.id
