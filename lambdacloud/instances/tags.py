"""The tags the library writes on every instance it launches, and reads back.

``lambdacloud:launch-token`` — a random token (a uuid4 hex), unique to one launch: the API
has no idempotency key, so a launch whose answer was lost (a timeout, a 5xx, Ctrl-C in the
middle of the request) is found by its token rather than launched again.
``lambdacloud:launched-at`` — when it was launched, UTC, to the second.
``lambdacloud:expires-at`` — when ``sweep()`` may terminate it (``max_runtime=``).

Keys follow the API's rule (``^[a-z][a-z0-9-:]+$``, at most 55 characters) and avoid its
reserved ``lambda-ai-`` prefix; the values are far under its 128 characters.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timezone

from lambdacloud.errors import ValidationError

PREFIX = "lambdacloud:"
TOKEN = PREFIX + "launch-token"
LAUNCHED_AT = PREFIX + "launched-at"
EXPIRES_AT = PREFIX + "expires-at"
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def new_token() -> str:
    """A launch token: 32 random hex digits."""
    return uuid.uuid4().hex


def stamp(moment: datetime) -> str:
    """A UTC time, to the second, as the tags hold it (``2026-12-03T08:00:00Z``)."""
    return moment.astimezone(timezone.utc).strftime(_FORMAT)


def read_time(tags: Mapping[str, str], key: str) -> datetime | None:
    """The time a tag holds, or ``None`` when it is absent or not one of ours."""
    value = tags.get(key)
    if value is None:
        return None
    try:
        return datetime.strptime(value, _FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def check_user_tags(tags: Mapping[str, str]) -> None:
    """Refuse tags of the user's that would take the library's keys.

    Raises:
        ValidationError: A key starts with ``lambdacloud:``.
    """
    for key in tags:
        if isinstance(key, str) and key.startswith(PREFIX):
            raise ValidationError(
                "tags", f"key {key!r}: keys starting with {PREFIX!r} are the library's own"
            )


def library_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The library's own tags among ``tags``."""
    return {key: value for key, value in tags.items() if key.startswith(PREFIX)}
