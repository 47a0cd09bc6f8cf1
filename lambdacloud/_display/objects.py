"""How the library's objects look in a notebook and in IPython, and as plain data.

Every model mixes in ``Displayable``: ``_repr_html_`` (a card for one object),
``_repr_pretty_`` (the same as text) and ``to_dict()``. Managers return a
``ResourceList``, a real ``list`` that renders as one table with a row per item.

The rules: every value is escaped; no JavaScript and no external assets, only our scoped
stylesheet (``style.css``), coloured through CSS variables (JupyterLab's where they exist)
so dark themes work; markup that reads without that stylesheet (an untrusted notebook drops
it): real tables with header cells, layout inline (see ``cells``); never a secret (the
policy is ``lambdacloud._secrets``); and nothing here touches the network — it renders
what the object holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, ClassVar, SupportsIndex, TypeVar, overload

import attrs

from lambdacloud import _secrets
from lambdacloud._display.cells import (
    MAX_DETAIL,
    Badge,
    badge,
    cell,
    cell_html,
    escape,
    frame,
    header,
    plural,
    text_of,
    words,
)
from lambdacloud._display.tables import caption, table_html, text_card, text_table

T = TypeVar("T")

#: Rows of a list shown before the rest is summed up.
MAX_ROWS = 50


class Displayable:
    """Display and plain-data export for the library's attrs classes."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # IPython prefers a class's own __repr__ (attrs writes one into every class) to an
        # inherited _repr_pretty_; a copy in each class comes first.
        if "_repr_pretty_" not in cls.__dict__:
            cls._repr_pretty_ = Displayable._repr_pretty_  # type: ignore[method-assign]

    def _display_row(self) -> dict[str, Any]:
        """The columns of this object's row in a table: ``{field or header: value}``."""
        return dict(_displayed_fields(self))

    #: Fields the row already shows in another form (a card does not repeat them).
    _display_covers: ClassVar[frozenset[str]] = frozenset()

    def _display_details(self) -> dict[str, Any]:
        """Everything a card shows: the row, then every other field that may be shown."""
        row = self._display_row()
        skip = row.keys() | self._display_covers
        rest = {name: value for name, value in _displayed_fields(self) if name not in skip}
        return {**row, **rest}

    def _display_label(self) -> str:
        """This object in a few words, as a cell of another object's table."""
        for name in ("name", "id"):
            value = getattr(self, name, None)
            if isinstance(value, str) and value:
                return value
        return ", ".join(f"{name.replace('_', ' ')} {text_of(v)}" for name, v in self._plain())

    def _display_title(self) -> str:
        kind = words(type(self).__name__)
        for name in ("id", "name"):
            value = getattr(self, name, None)
            if isinstance(value, str) and value:
                return f"{kind} {value}"
        return kind

    def _plain(self) -> list[tuple[str, Any]]:
        return [(field.name, value) for field, value in _shown_fields(self)]

    def _safe_row(self) -> dict[str, Any]:
        """The row, with this object's hidden values masked wherever they appear."""
        return masked(self._display_row(), _secrets.values_of(self))  # type: ignore[no-any-return]

    def _safe_card(self) -> tuple[str, dict[str, Any]]:
        hidden = _secrets.values_of(self)
        return masked(self._display_title(), hidden), masked(self._display_details(), hidden)

    def _repr_html_(self) -> str:
        title, details = self._safe_card()
        rows = "".join(
            "<tr>"
            + cell("th", escape(header(key)), scope="row")
            + cell("td", cell_html(value, MAX_DETAIL), wrap=" " in text_of(value, MAX_DETAIL))
            + "</tr>"
            for key, value in details.items()
        )
        return frame(
            f'<table class="lc-card">{caption(text_of(title))}<tbody>{rows}</tbody></table>'
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        if cycle:
            printer.text(f"{type(self).__name__}(...)")
            return
        printer.text(text_card(*self._safe_card()))

    def to_dict(self) -> dict[str, Any]:
        """This object's fields as plain Python values, for ``pandas`` (or JSON).

        Nested objects become dicts, enums their string values, tuples lists; datetimes
        stay ``datetime`` (convert them for JSON). Secrets are left out (``jupyter_token``,
        a generated private key) and masked wherever else they appear; URLs that carry a
        token or a signature lose it.

        Returns:
            ``{field name: value}``.

        API: none.
        """
        exported = {name: plain(value) for name, value in _exportable_fields(self)}
        return masked(exported, _secrets.values_of(self))  # type: ignore[no-any-return]


class ResourceList(list[T]):
    """A list of the library's objects that renders as one table in a notebook.

    It is a real ``list`` (compare, slice, sort, append as usual); only its display and
    ``to_dicts()`` are added.
    """

    __slots__ = ("_kind",)

    def __init__(self, items: Iterable[T] = (), kind: type | None = None) -> None:
        super().__init__(items)
        self._kind = kind

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> ResourceList[T]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> T | ResourceList[T]:
        if isinstance(index, slice):
            return ResourceList(super().__getitem__(index), self._kind)
        return super().__getitem__(index)

    # What makes a new list from this one keeps it a ResourceList.

    def copy(self) -> ResourceList[T]:
        """A shallow copy, still a ``ResourceList``.

        Returns:
            A new list with the same items.

        API: none.
        """
        return ResourceList(self, self._kind)

    def __add__(self, other: list[T]) -> ResourceList[T]:  # type: ignore[override]
        return ResourceList([*self, *other], self._kind)

    def __radd__(self, other: list[T]) -> ResourceList[T]:
        return ResourceList([*other, *self], self._kind)

    def __mul__(self, times: SupportsIndex) -> ResourceList[T]:
        return ResourceList(list(self) * times, self._kind)

    __rmul__ = __mul__

    def to_dicts(self, *, flat: bool = True) -> list[dict[str, Any]]:
        """Each item as plain data, ready for ``pandas.DataFrame(...)``.

        Args:
            flat: Spread nested objects into dotted columns (``region.name``); with
                ``False``, each row is exactly the item's ``to_dict()``.

        Returns:
            One dict per item, in order, secrets left out as in ``to_dict()``.

        API: none.
        """
        rows = [_row(item) for item in self]
        return [_flatten(row) for row in rows] if flat else rows

    def _noun(self) -> str:
        kinds = {type(item) for item in self} or ({self._kind} if self._kind else set())
        if len(kinds) == 1:
            return plural(next(iter(kinds)).__name__)
        return "items"

    def _table(self) -> tuple[list[str], list[dict[str, Any]]]:
        rows = [
            item._safe_row() if isinstance(item, Displayable) else {"value": item}
            for item in self[:MAX_ROWS]
        ]
        columns: dict[str, None] = {}
        for row in rows:
            columns.update(dict.fromkeys(row))
        return list(columns), rows

    def _count(self) -> str:
        noun = self._noun()
        return f"1 {noun[:-1]}" if len(self) == 1 else f"{len(self)} {noun}"

    def _summary(self) -> str:
        """What the kind of item adds to the caption (the burn rate of instances)."""
        summarize = getattr(self._kind, "_display_summary", None)
        return f" · {summarize(self)}" if summarize is not None and self else ""

    def _more(self) -> str | None:
        """What the table leaves out, if anything."""
        if len(self) <= MAX_ROWS:
            return None
        return f"… {len(self) - MAX_ROWS} more ({self._count()} in all)"

    def _repr_html_(self) -> str:
        return self._html(self._count() + self._summary(), self._more(), f"No {self._noun()}.")

    def _html(self, title: str, more: str | None, empty: str) -> str:
        """The table under ``title``, with ``more`` as its last row; ``empty`` if no item."""
        if not self:
            return frame(f'<p class="lc-empty">{escape(empty)}</p>')
        columns, rows = self._table()
        return frame(table_html(title, columns, rows, more))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        if cycle:
            printer.text("[...]")
        else:
            printer.text(self._text(self._more(), f"[] (no {self._noun()})"))

    def _text(self, more: str | None, empty: str) -> str:
        """The table as aligned text, with ``more`` as its last line; ``empty`` if no item."""
        if not self:
            return empty
        text = text_table(*self._table())
        if more is not None:
            text += f"\n{more}"
        summary = self._summary()
        return f"{text}\n{self._count()}{summary}" if summary else text


def plain(value: Any) -> Any:
    """``value`` as plain Python data (see ``Displayable.to_dict()``)."""
    if isinstance(value, Displayable):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def _shown_fields(obj: Any) -> list[tuple[attrs.Attribute[Any], Any]]:
    """The public fields of ``obj`` with the values a display may show."""
    return [
        (field, _secrets.shown(field, getattr(obj, field.name)))
        for field in attrs.fields(type(obj))
        if not field.name.startswith("_")
    ]


def masked(value: Any, hidden: tuple[str, ...]) -> Any:
    """``value`` with every echo of a secret masked, in nested data too."""
    if not hidden:
        return value
    if isinstance(value, str):
        return _secrets.mask(value, hidden)
    if isinstance(value, Mapping):
        return {key: masked(item, hidden) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(item, hidden) for item in value]
    if isinstance(value, Badge):
        return Badge(_secrets.mask(value.text, hidden), value.tone)
    if isinstance(value, Displayable):
        return masked(value._display_label(), hidden)
    return value


def _displayed_fields(obj: Any) -> list[tuple[str, Any]]:
    """The public fields of ``obj`` for display: statuses as badges, secrets masked."""
    return [
        (field.name, badge(value) if _is_status(field.name, value) else value)
        for field, value in _shown_fields(obj)
    ]


def _is_status(name: str, value: Any) -> bool:
    return name.endswith("status") and isinstance(value, str) and bool(value)


def _exportable_fields(obj: Any) -> list[tuple[str, Any]]:
    """The public fields of ``obj`` for ``to_dict()``: hidden secrets left out."""
    return [
        (field.name, value)
        for field, value in _shown_fields(obj)
        if _secrets.kind_of(field) != _secrets.HIDDEN
    ]


def _row(item: Any) -> dict[str, Any]:
    """An item of a list as a dict: its ``to_dict()``, or ``{"value": item}``."""
    if isinstance(item, Displayable):
        return item.to_dict()
    value = plain(item)
    return dict(value) if isinstance(value, Mapping) else {"value": value}


def _flatten(row: Mapping[str, Any]) -> dict[str, Any]:
    """Nested mappings spread into dotted keys; a key that would clash stays nested."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if not (isinstance(value, Mapping) and all(isinstance(k, str) for k in value)):
            flat[str(key)] = value
            continue
        inner = _flatten(value)
        spread = {f"{key}.{name}": item for name, item in inner.items()}
        if any(name in flat or name in row for name in spread):
            flat[str(key)] = value  # "a.b" beside {"a": {"b": ...}}: no silent overwrite
        else:
            flat.update(spread)  # an empty mapping spreads into no column at all
    return flat
