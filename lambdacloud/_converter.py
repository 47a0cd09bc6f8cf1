"""Every rule for turning the API's JSON into library objects and back, in one cattrs converter.

Responses to objects (``structure``): unknown keys are ignored and unknown enum values kept as
plain strings, so a newer server never breaks an older client; JSON types are checked, not
coerced; ``null`` for an array reads as empty; objects are built from what the server sent as
it sent it (attrs converters and validators check what *users* build, not what the API
says). Each ``Client`` gets its own converter, whose hook binds every resource it builds to
that client. Tests use ``strict=True``: the same hooks, plus "unknown keys are an error", so
the payload fixtures are a contract and the tests prove production.

Objects to requests (``to_api``): attrs objects become JSON objects without their ``None``
fields, tuples become arrays, enums their values.

A field whose JSON shape differs from its Python one names its rule in its metadata
(``api_shape(TAGS)``); the rules themselves live here.

``structure()`` tells the two kinds of failure apart: data that does not have the documented
shape is the server's (``MalformedResponseError``); any other exception is a bug of ours and
propagates as it is.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from lambdacloud._timestamps import parse_datetime
from lambdacloud.errors import MalformedResponseError

T = TypeVar("T")
logger = logging.getLogger("lambdacloud")

_SHAPE_KEY = "lambdacloud.api_shape"
#: Tags: ``{"key": value}`` here, ``[{"key": ..., "value": ...}]`` in the API.
TAGS = "tags"
#: Ids: ``["id"]`` here, ``[{"id": ...}]`` in the API.
ID_OBJECTS = "id_objects"
#: A port range: ``(first, last)`` here, ``[first, last]`` of two JSON integers in the API.
PORT_RANGE = "port_range"

Bind = Callable[[Any], None]


class ShapeError(TypeError):
    """The data does not have the shape the API documents."""


def api_shape(rule: str) -> dict[str, str]:
    """Field metadata naming the rule for a field whose JSON shape differs (``TAGS``...)."""
    return {_SHAPE_KEY: rule}


def make_converter(*, bind: Bind | None = None, strict: bool = False) -> cattrs.Converter:
    """Build a converter.

    Args:
        bind: Called with every object built whose class has a ``_manager`` field (the
            client's resources), to attach it to its client.
        strict: Unknown keys are an error (for tests); nothing else differs.

    Returns:
        A converter with every hook the models need, both directions.
    """
    converter = cattrs.Converter(forbid_extra_keys=strict, detailed_validation=False)
    for cls, hook in _PRIMITIVES.items():
        converter.register_structure_hook(cls, hook)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook_factory(
        _is_optional, lambda cls: _optional_hook(cls, converter)
    )
    converter.register_structure_hook_factory(_is_open_enum, _open_enum_hook)
    converter.register_structure_hook_factory(_is_array, lambda cls: _array_hook(cls, converter))
    converter.register_structure_hook_factory(
        attrs.has, lambda cls: _attrs_hook(cls, converter, bind, strict)
    )
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: _request_hook(cls, converter)
    )
    converter.register_unstructure_hook(Enum, lambda member: member.value)
    converter.register_unstructure_hook(
        tuple, lambda value: [converter.unstructure(v) for v in value]
    )
    return converter


def structure(converter: cattrs.Converter, data: Any, cls: type[T], what: str) -> T:
    """Build ``cls`` from the ``data`` of a response.

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
    except (ShapeError, cattrs.ForbiddenExtraKeysError, RecursionError) as exc:
        text = str(exc) if len(str(exc)) <= 300 else str(exc)[:300] + "…"
        raise MalformedResponseError(
            f"The API's answer could not be read as {what}: {text}"
        ) from exc


def to_api(value: Any) -> Any:
    """A value as the API's JSON: attrs objects without their ``None`` fields, tags as a list."""
    return _REQUESTS.unstructure(value)


def _attrs_hook(
    cls: type[Any], converter: cattrs.Converter, bind: Bind | None, strict: bool
) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    shapes = {
        field.name: _SHAPES[field.metadata[_SHAPE_KEY]][0]
        for field in fields
        if _SHAPE_KEY in field.metadata
    }
    if any(field.validator or field.converter for field in fields):
        build = _as_sent(cls, converter, shapes, strict)
    else:
        overrides: dict[str, Any] = {
            name: override(struct_hook=shape) for name, shape in shapes.items()
        }
        build = make_dict_structure_fn(
            cls, converter, _cattrs_forbid_extra_keys=strict, **overrides
        )
    required = frozenset(
        field.alias for field in fields if field.init and field.default is attrs.NOTHING
    )
    binds = bind is not None and any(field.name == "_manager" for field in fields)
    name = cls.__name__

    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise ShapeError(f"expected a JSON object for {name}, got {_kind(value)}")
        missing = required - value.keys()
        if missing:
            raise ShapeError(f"{name} lacks {', '.join(sorted(missing))}")
        obj = build(value, cls)
        if binds:
            bind(obj)  # type: ignore[misc]
        return obj

    return hook


def _as_sent(
    cls: type[Any],
    converter: cattrs.Converter,
    shapes: dict[str, Callable[[Any, Any], Any]],
    strict: bool,
) -> Callable[[Any, Any], Any]:
    """Build a class whose converters and validators check what users build (a firewall
    rule) from what the server sent, as it sent it: without running them."""
    fields = [field for field in attrs.fields(cls) if field.init]
    known = {field.alias for field in fields}
    hooks = [
        (
            field.name,
            field.alias,
            shapes.get(field.name) or converter.get_structure_hook(field.type),
            field.type,
            field.default,
        )
        for field in fields
    ]

    def build(value: dict[str, Any], _: Any) -> Any:
        if strict and value.keys() - known:
            raise ShapeError(f"unknown keys {sorted(value.keys() - known)} for {cls.__name__}")
        obj = object.__new__(cls)
        for name, alias, hook, kind, default in hooks:
            if alias in value:
                item = hook(value[alias], kind)
            elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                item = default.factory()
            else:
                item = default
            object.__setattr__(obj, name, item)
        return obj

    return build


def _request_hook(cls: type[Any], converter: cattrs.Converter) -> Callable[[Any], Any]:
    """Unstructure an attrs object as a request body: ``None`` fields left out."""
    fields = [field for field in attrs.fields(cls) if not field.name.startswith("_")]
    shapes = {
        field.name: _SHAPES[field.metadata[_SHAPE_KEY]][1]
        for field in fields
        if _SHAPE_KEY in field.metadata
    }

    def hook(obj: Any) -> dict[str, Any]:
        body = {}
        for field in fields:
            value = getattr(obj, field.name)
            if value is None:
                continue
            shape = shapes.get(field.name)
            body[field.name] = shape(value) if shape else converter.unstructure(value)
        return body

    return hook


def _tags_from_api(value: Any, _: Any) -> dict[str, str]:
    """Tags as a dict. They are the user's notes, not the API's structure: one malformed
    entry is left out (logged) rather than making the whole instance unreadable."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise ShapeError("tags: expected a list of {key, value}")
    tags = {}
    for entry in value:
        key = entry.get("key") if isinstance(entry, dict) else None
        tag_value = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not isinstance(tag_value, str):
            logger.info("Left out a malformed tag: expected {key, value} strings")
            continue
        tags[key] = tag_value
    return tags


def _tags_to_api(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in tags.items()]


def _ids_from_api(value: Any, _: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShapeError("expected a list of {id}")
    ids = []
    for entry in value:
        if not isinstance(entry, dict) or type(entry.get("id")) is not str:
            raise ShapeError("expected a list of {id}")
        ids.append(entry["id"])
    return ids


def _ids_to_api(ids: list[str]) -> list[dict[str, str]]:
    return [{"id": value} for value in ids]


def _ports_from_api(value: Any, _: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(type(p) is int for p in value)):
        raise ShapeError("port_range: expected [first, last], two integers")
    return (value[0], value[1])


_SHAPES: dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any], Any]]] = {
    TAGS: (_tags_from_api, _tags_to_api),
    ID_OBJECTS: (_ids_from_api, _ids_to_api),
    PORT_RANGE: (_ports_from_api, list),
}


def _kind(value: Any) -> str:
    return {type(None): "null", bool: "a boolean", str: "a string", list: "an array"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    raise ShapeError(f"expected a string, got {_kind(value)}")


def _structure_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise ShapeError(f"expected an integer, got {_kind(value)}")


def _structure_float(value: Any, _: Any) -> float:
    if type(value) in (int, float):
        return float(value)
    raise ShapeError(f"expected a number, got {_kind(value)}")


def _structure_bool(value: Any, _: Any) -> bool:
    if type(value) is bool:
        return value
    raise ShapeError(f"expected true or false, got {_kind(value)}")


def _structure_any(value: Any, _: Any) -> Any:
    return value


#: JSON types as they are: cattrs alone would read ``null`` as ``"None"`` and ``"false"`` as True.
_PRIMITIVES: dict[Any, Callable[[Any, Any], Any]] = {
    str: _structure_str,
    int: _structure_int,
    float: _structure_float,
    bool: _structure_bool,
    Any: _structure_any,
}


def _is_array(cls: Any) -> bool:
    origin = get_origin(cls)
    return origin is list or origin is tuple


def _array_hook(cls: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """JSON arrays only (cattrs alone would turn ``"ab"`` into ``["a", "b"]``); ``null`` for an
    array is read as empty, as servers written in Go tend to send."""
    args = get_args(cls)
    if get_origin(cls) is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return _pair_hook(args, converter)
    item_type = args[0]
    structure_item = converter.get_structure_hook(item_type)
    container = list if get_origin(cls) is list else tuple

    def hook(value: Any, _: Any) -> Any:
        if value is None:
            return container()
        if not isinstance(value, list):
            raise ShapeError(f"expected an array, got {_kind(value)}")
        items = [structure_item(item, item_type) for item in value]
        return items if container is list else tuple(items)

    return hook


def _pair_hook(types_: tuple[Any, ...], converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """A fixed-length array, such as a port range ``[first, last]``."""
    hooks = [(converter.get_structure_hook(kind), kind) for kind in types_]

    def hook(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list) or len(value) != len(hooks):
            raise ShapeError(f"expected an array of {len(hooks)}, got {_kind(value)}")
        return tuple(build(item, kind) for (build, kind), item in zip(hooks, value, strict=True))

    return hook


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


def _is_open_enum(cls: Any) -> bool:
    return _open_enum(cls) is not None


def _open_enum_hook(cls: Any) -> Callable[[Any, Any], Any]:
    """Known values as the enum's members, others kept as strings."""
    enum = _open_enum(cls)
    assert enum is not None
    members = enum._value2member_map_
    nullable = type(None) in get_args(cls)

    def hook(value: Any, _: Any) -> Any:
        if type(value) is str:
            return members.get(value, value)
        if value is None and nullable:
            return None
        raise ShapeError(f"expected a string, got {_kind(value)}")

    return hook


def _is_optional(cls: Any) -> bool:
    """``X | None`` for one ``X``."""
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
        raise ShapeError(f"expected an ISO 8601 timestamp, got {_kind(value)}")
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise ShapeError(f"{value[:40]!r} is not an ISO 8601 timestamp") from exc


#: The converter for request bodies, which bind nothing.
_REQUESTS = make_converter()
