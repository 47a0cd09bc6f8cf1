"""Argument checks that run before any request, with the API document's constraints.

Every failure is a ``ValidationError`` naming the argument. The
messages never repeat a value that may be secret (``user_data``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lambdacloud.errors import ValidationError

HOSTNAME = re.compile(r"[a-z0-9][0-9a-z-]{0,62}")
TAG_KEY = re.compile(r"[a-z][a-z0-9-:]+")
TAG_KEY_RESERVED_PREFIX = "lambda-ai-"
TAG_KEY_MAX = 55
TAG_VALUE_MAX = 128
FILESYSTEM_NAME = re.compile(r"[a-zA-Z]+[0-9a-zA-Z-]*")
MOUNT_POINT = re.compile(r"(/home|/lambda/nfs|/data)[/a-zA-Z0-9-]*")
MOUNT_POINT_MAX = 256
USER_DATA_MAX_BYTES = 1024 * 1024


def check_text(
    argument: str,
    value: Any,
    *,
    min_length: int = 0,
    max_length: int | None = None,
    pattern: re.Pattern[str] | None = None,
) -> str:
    """``value`` if it is a string within the limits, else a ``ValidationError``."""
    if not isinstance(value, str):
        raise ValidationError(argument, f"expected a string, got {type(value).__name__}")
    if len(value) < min_length:
        raise ValidationError(
            argument, "must not be empty" if min_length == 1 else f"needs {min_length}+ characters"
        )
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            argument, f"is {len(value)} characters long; the API allows at most {max_length}"
        )
    if pattern is not None and pattern.fullmatch(value) is None:
        raise ValidationError(
            argument, f"{value!r} does not match the API's pattern {pattern.pattern}"
        )
    return value


def check_tags(argument: str, tags: Any) -> dict[str, str]:
    """``tags`` as a new dict, if it is a mapping of keys and values the API accepts."""
    if not isinstance(tags, Mapping):
        raise ValidationError(argument, f"expected a dict of str to str, got {type(tags).__name__}")
    checked = {}
    for key, value in tags.items():
        check_text(f"{argument} key", key, max_length=TAG_KEY_MAX, pattern=TAG_KEY)
        if key.startswith(TAG_KEY_RESERVED_PREFIX):
            raise ValidationError(
                argument,
                f"key {key!r}: keys starting with {TAG_KEY_RESERVED_PREFIX!r} are reserved",
            )
        checked[key] = check_text(f"{argument}[{key!r}]", value, max_length=TAG_VALUE_MAX)
    return checked


def check_user_data(argument: str, value: Any) -> str:
    """``value`` if it is text of at most 1 MiB encoded; the message never shows the content."""
    if not isinstance(value, str):
        raise ValidationError(argument, f"expected a string, got {type(value).__name__}")
    size = len(value.encode("utf-8"))
    if size > USER_DATA_MAX_BYTES:
        raise ValidationError(
            argument, f"is {size} bytes; the API accepts at most {USER_DATA_MAX_BYTES} (1 MB)"
        )
    return value
