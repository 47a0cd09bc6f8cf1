"""Base classes shared by every resource module: bound resources and their managers.

A manager (``client.instances``) is the only place that knows a resource's paths; it sends
through its client's ``Api``. A resource (``Instance``) holds the manager that built it and
delegates its actions to it: ``instance.terminate()`` is ``client.instances.terminate(instance)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import attrs

from lambdacloud._api import Api
from lambdacloud._display import MAX_ROWS, Displayable, ResourceList
from lambdacloud.errors import LambdaCloudError, MalformedResponseError, ValidationError

T = TypeVar("T")
M = TypeVar("M")
R = TypeVar("R", bound="Resource[Any]")


class ApiEnum(str, Enum):
    """A string enum of API values: compares, hashes and prints as its value.

    Fields typed ``SomeEnum | str`` keep values the enum does not know yet as plain
    strings, so ``instance.status == "active"`` works for known and new values alike.
    """

    def __str__(self) -> str:
        return str(self.value)

    def __hash__(self) -> int:
        return str.__hash__(self)


@attrs.define(eq=False, kw_only=True)
class Resource(Displayable, Generic[M]):
    """An object in the account, with an ``id``, bound to the manager of the client that
    fetched it (``M``).

    Two resources are equal when they are the same kind of object with the same id,
    whatever state each copy was read in. Nothing here touches the network except the
    methods that say so (``refresh()`` and the actions of each subclass).
    """

    id: str
    _manager: M | None = attrs.field(init=False, default=None, repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Resource):
            return NotImplemented
        return _kind(type(self)) is _kind(type(other)) and self.id == other.id

    def __hash__(self) -> int:
        return hash((_kind(type(self)), self.id))

    def _bound(self) -> M:
        """The manager to delegate to."""
        if self._manager is None:
            raise LambdaCloudError(
                f"This {type(self).__name__} is not bound to a client: "
                "use the objects the client's managers return."
            )
        return self._manager

    def _replace_state(self: R, fresh: R) -> R:
        """Take every field of ``fresh`` (the same object, read again) and return self."""
        for field in attrs.fields(type(fresh)):
            if field.init:
                setattr(self, field.name, getattr(fresh, field.name))
        return self


def _kind(cls: type) -> type:
    """The resource class directly below ``Resource`` (a generated key is still a key)."""
    below = [c for c in cls.__mro__[: cls.__mro__.index(Resource)] if c is not Generic]
    return below[-1] if below else cls


class Manager:
    """Holds its client's ``Api``; subclasses know one resource's paths.

    Args:
        api: The client's package-internal face.
    """

    def __init__(self, api: Api) -> None:
        self._api = api

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._api.request(method, path, **kwargs)

    def _structure(self, data: Any, cls: type[T], what: str) -> T:
        return self._api.structure(data, cls, what)

    def _structure_list(self, data: Any, item: type[T], what: str) -> ResourceList[T]:
        """A JSON array of ``item`` as a ``ResourceList`` (a list that renders as a table)."""
        return ResourceList(self._structure(data, list[item], what), item)  # type: ignore[valid-type]


def id_of(obj: Resource[Any] | str, argument: str) -> str:
    """The id of a resource or an id string, checked; the error names ``argument``."""
    value = obj.id if isinstance(obj, Resource) else obj
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(argument, f"expected an object or a non-empty id, got {obj!r}")
    return value


def as_list(
    objs: Resource[Any] | str | Iterable[Resource[Any] | str], argument: str
) -> list[Resource[Any] | str]:
    """One object or id, or several, as a non-empty list."""
    if isinstance(objs, (Resource, str)):
        return [objs]
    if not isinstance(objs, Iterable):
        raise ValidationError(
            argument, f"expected an object, an id or a list of them, got {objs!r}"
        )
    items = list(objs)
    if not items:
        raise ValidationError(argument, "expected at least one object or id")
    return items


def ids_of(objs: Resource[Any] | str | Iterable[Resource[Any] | str], argument: str) -> list[str]:
    """Ids of one or several resources, in order, without duplicates; at least one."""
    return list(dict.fromkeys(id_of(obj, argument) for obj in as_list(objs, argument)))


def path_segment(value: str) -> str:
    """``value`` escaped for use as one path segment (an id cannot climb the path)."""
    return quote(value, safe="")


Fetch = Callable[[str | None], tuple[list[T], str | None]]


class Paged(Iterator[T], Generic[T]):
    """A paged listing: an iterator over every item of every page, that shows its first page.

    The first page is read when the listing is made — one request, at the call — so that a
    notebook can display it without touching the network; each further page is read only
    when iteration reaches it. Iterate (``for event in listing``, ``list(listing)``) for
    every item; as with any iterator, what was read is not read again.

    In a notebook the listing displays its first page as a table, saying when more pages
    are available; the display does not change as you iterate.

    Attributes:
        first_page: The items of the first page (a ``ResourceList``).
        more: Whether the API has pages after the first.
    """

    def __init__(self, fetch: Fetch[T], what: str, kind: type[T]) -> None:
        items, token = fetch(None)
        self.first_page: ResourceList[T] = ResourceList(items, kind)
        self.more = bool(token)
        self._what = what
        self._items = _follow(fetch, items, token, what)

    def __iter__(self) -> Paged[T]:
        return self

    def __next__(self) -> T:
        return next(self._items)

    def __repr__(self) -> str:
        more = ", more available" if self.more else ""
        return f"<Paged {self._what}: {len(self.first_page)} on the first page{more}>"

    def _repr_html_(self) -> str:
        page = self.first_page
        return page._html(self._title(), self._more(), self._empty())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("<Paged ...>" if cycle else self.first_page._text(self._more(), self._empty()))

    def _title(self) -> str:
        count = self.first_page._count()
        return f"{count} on the first page, more available" if self.more else count

    def _more(self) -> str | None:
        """The table's last line: rows left out, and pages not read yet."""
        hidden = len(self.first_page) - MAX_ROWS
        notes = [f"… {hidden} more on the first page" if hidden > 0 else ""]
        if self.more:
            notes.append("… more available: iterate over the listing to read every page")
        return "; ".join(filter(None, notes)) or None

    def _empty(self) -> str:
        noun = self.first_page._noun()
        if self.more:
            return f"No {noun} on the first page; more available: iterate to read every page."
        return f"No {noun}."


def _follow(fetch: Fetch[T], items: list[T], token: str | None, what: str) -> Iterator[T]:
    """The first page's items, then every further page's, each read when reached.

    Raises:
        MalformedResponseError: The API returned a token it returned before; following
            it would loop forever.
    """
    seen: set[str] = set()
    yield from items
    while token:
        if token in seen:
            raise MalformedResponseError(
                f"The API returned the same page token twice while listing {what}; stopping "
                "instead of looping forever"
            )
        seen.add(token)
        items, token = fetch(token)
        yield from items
