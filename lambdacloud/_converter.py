"""Every rule for turning API payloads into library objects, in one cattrs converter.

Production converters ignore unknown keys and keep unknown enum values as plain strings,
so a newer server never breaks an older client. Tests use ``strict=True``: unknown keys
and enum values fail, which keeps the payload fixtures honest.

A field can carry its own hook in ``metadata={STRUCTURE: hook}`` (tags arrive as a list of
``{"key", "value"}`` and are a dict on our side). Each ``Client`` gets its
own converter whose hook binds every structured resource to that client.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from lambdacloud.errors import MalformedResponseError

if TYPE_CHECKING:
    from lambdacloud.client import Client

T = TypeVar("T")

#: Field metadata key for a field-specific structure hook ``(value, type) -> value``.
STRUCTURE = "lambdacloud.structure"

_ISO_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*([Zz]|[+-]\d{2}:?\d{2})?"
)


def make_converter(*, client: Client | None = None, strict: bool = False) -> cattrs.Converter:
    """Build a converter; resources it structures are bound to ``client``.

    Args:
        client: The client to attach to every structured resource.
        strict: Fail on unknown keys and unknown enum values (for tests).

    Returns:
        A converter with every hook the models need.
    """
    converter = cattrs.Converter(forbid_extra_keys=strict, detailed_validation=strict)
    for cls, hook in _PRIMITIVES.items():
        converter.register_structure_hook(cls, hook)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook_factory(
        _is_optional, lambda cls: _optional_hook(cls, converter)
    )
    converter.register_structure_hook_factory(
        lambda cls: _open_enum(cls) is not None, lambda cls: _open_enum_hook(cls, strict)
    )
    converter.register_structure_hook_factory(
        _is_array, lambda cls: _array_hook(cls, converter, strict)
    )
    converter.register_structure_hook_factory(
        attrs.has, lambda cls: _attrs_hook(cls, converter, client, strict)
    )
    # Fused hooks for the commonest shapes: one call per value instead of two.
    converter.register_structure_hook_func(lambda cls: cls == str | None, _structure_optional_str)
    converter.register_structure_hook_func(
        lambda cls: cls == list[str], _strict_strings if strict else _strings
    )
    return converter


def structure(converter: cattrs.Converter, data: Any, cls: type[T], what: str) -> T:
    """Structure ``data`` as ``cls``; any failure is a ``MalformedResponseError``.

    Args:
        converter: The converter to use.
        data: The unwrapped ``data`` of a response.
        cls: The type to build.
        what: What the data was meant to be, for the error message.

    Returns:
        The structured object.

    Raises:
        MalformedResponseError: The data does not have the shape the API documents.
    """
    try:
        return converter.structure(data, cls)
    except Exception as exc:
        raise MalformedResponseError(
            f"The API's answer could not be read as {what}: {_describe(exc)}"
        ) from exc


def _attrs_hook(
    cls: type[Any], converter: cattrs.Converter, client: Client | None, strict: bool
) -> Callable[[Any, Any], Any]:
    overrides: dict[str, Any] = {
        field.name: override(struct_hook=field.metadata[STRUCTURE])
        for field in attrs.fields(cls)
        if STRUCTURE in field.metadata
    }
    from_api = getattr(cls, "_from_api", None)
    if from_api is not None:
        return lambda data, _: from_api(data)
    build = make_dict_structure_fn(cls, converter, **overrides)
    if client is None or "_client" not in attrs.fields_dict(cls):
        return build

    def bind(data: Any, _: Any) -> Any:
        obj = build(data, cls)
        obj._client = client
        return obj

    return bind


def _structure_optional_str(value: Any, _: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    raise TypeError(f"expected a string or null, got {type(value).__name__}")


def _strict_strings(value: Any, _: Any) -> list[str]:
    if type(value) is list:
        try:
            "".join(value)  # checks that every item is a string, in C
        except TypeError:
            pass
        else:
            return value.copy()
    raise TypeError("expected a JSON array of strings")


def _strings(value: Any, _: Any) -> list[str]:
    return [] if value is None else _strict_strings(value, _)


def _is_array(cls: Any) -> bool:
    origin = get_origin(cls)
    args = get_args(cls)
    return origin is list or (origin is tuple and len(args) == 2 and args[1] is Ellipsis)


def _array_hook(cls: Any, converter: cattrs.Converter, strict: bool) -> Callable[[Any, Any], Any]:
    """JSON arrays only (cattrs alone would turn ``"ab"`` into ``["a", "b"]``); outside
    tests, ``null`` for an array is read as empty, as servers written in Go tend to send."""
    item_type = get_args(cls)[0]
    structure_item = converter.get_structure_hook(item_type)
    container = list if get_origin(cls) is list else tuple

    def hook(value: Any, _: Any) -> Any:
        if value is None and not strict:
            return container()
        if not isinstance(value, list):
            raise TypeError(f"expected a JSON array, got {type(value).__name__}")
        items = [structure_item(item, item_type) for item in value]
        return items if container is list else tuple(items)

    return hook


def _structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _structure_float(value: Any, _: Any) -> float:
    if type(value) in (int, float):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _structure_bool(value: Any, _: Any) -> bool:
    if type(value) is bool:
        return value
    raise TypeError(f"expected true or false, got {type(value).__name__}")


#: JSON types as they are: cattrs alone would read ``null`` as ``"None"`` and ``"false"`` as True.
_PRIMITIVES: dict[type, Callable[[Any, Any], Any]] = {
    str: _structure_str,
    int: _structure_int,
    float: _structure_float,
    bool: _structure_bool,
}


def _open_enum(cls: Any) -> type[Enum] | None:
    """The enum of an ``SomeEnum | str`` (optionally ``| None``) annotation, else ``None``."""
    if get_origin(cls) not in (Union, types.UnionType):
        return None
    members = [arg for arg in get_args(cls) if arg is not type(None)]
    if len(members) != 2 or str not in members:
        return None
    (other,) = (arg for arg in members if arg is not str)
    if isinstance(other, type) and issubclass(other, Enum):
        return other
    return None


def _open_enum_hook(cls: Any, strict: bool) -> Callable[[Any, Any], Any]:
    """Known values as the enum's members, others kept as strings (refused when strict)."""
    enum = _open_enum(cls)
    assert enum is not None
    members = enum._value2member_map_
    nullable = type(None) in get_args(cls)

    def hook(value: Any, _: Any) -> Any:
        if type(value) is str:
            member = members.get(value)
            if member is not None:
                return member
            if strict:
                raise ValueError(f"{value!r} is not a known {enum.__name__}")
            return value
        if value is None and nullable:
            return None
        raise TypeError(f"expected a string, got {type(value).__name__}")

    return hook


def _is_optional(cls: Any) -> bool:
    """``X | None`` for one ``X`` (what cattrs would dispatch again on every value)."""
    if get_origin(cls) not in (Union, types.UnionType):
        return False
    arguments = get_args(cls)
    return len(arguments) == 2 and type(None) in arguments


def _optional_hook(cls: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    (inner,) = (arg for arg in get_args(cls) if arg is not type(None))
    structure_inner = converter.get_structure_hook(inner)

    def hook(value: Any, _: Any) -> Any:
        return None if value is None else structure_inner(value, inner)

    return hook


def _structure_datetime(value: Any, _: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 timestamp, got {type(value).__name__}")
    return parse_datetime(value)


def parse_datetime(text: str, *, assume_utc: bool = True) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp, on Python 3.10 too (``Z``, any fraction length).

    A date alone is its midnight. A timestamp without an offset is taken as UTC, or with
    ``assume_utc=False`` refused.

    Raises:
        ValueError: ``text`` is not such a timestamp.
    """
    match = _ISO_DATETIME.fullmatch(text.strip())
    if match is None:
        raise ValueError("not an ISO 8601 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset is None and not assume_utc:
        raise ValueError("no offset")
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if offset and offset not in ("Z", "z"):
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tz,
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        messages = cattrs.transform_error(exc)
        text = "; ".join(messages[:3])
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:300] + "…"
