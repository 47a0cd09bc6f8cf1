"""How the library's objects look in a notebook and in IPython, and as plain data.

Every model mixes in ``Displayable``: ``_repr_html_`` (a card for one object),
``_repr_pretty_`` (the same as text) and ``to_dict()``. Managers return a
``ResourceList``, a real ``list`` that renders as one table with a row per item.

The rules: every value is escaped; no JavaScript and no external assets, only an inline
style scoped to our own class, coloured through CSS variables (JupyterLab's where they
exist) so dark themes work; never a secret (fields marked ``SECRET`` are masked, URLs
lose their query); and nothing here touches the network — it renders what the object holds.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from enum import Enum
from typing import Any, ClassVar, SupportsIndex, TypeVar, overload
from urllib.parse import urlsplit, urlunsplit

import attrs

from lambdacloud._redaction import MIN_RUN, spellings

T = TypeVar("T")

#: Field metadata key marking a secret: ``HIDDEN`` or ``URL``.
SECRET = "lambdacloud.secret"
#: A secret never shown, only said to exist.
HIDDEN = "hidden"
#: A URL whose query (a token, a signature) is a secret: shown without it.
URL = "url"

#: Rows of a list shown before the rest is summed up.
MAX_ROWS = 50
#: Characters of one value shown in a table cell, and in a card.
MAX_CELL = 80
MAX_DETAIL = 300

_MASK = "•••••• (hidden)"
#: Characters a terminal would act on (escape sequences, carriage returns): never shown.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

#: Status words by the colour of their badge; anything else is neutral.
_TONES = {
    "good": {"active", "available", "success", "uploaded", "solved", "confirm_solved"},
    "busy": {"booting", "terminating", "pending", "open", "on_hold"},
    "bad": {"unhealthy", "preempted", "failed", "failure", "deactivated"},
}

STYLE = """<style>
.lambdacloud-display {
  --lc-border: var(--jp-border-color2, rgba(127, 127, 127, 0.35));
  --lc-muted: var(--jp-ui-font-color2, rgba(127, 127, 127, 0.95));
  --lc-good: rgba(46, 160, 67, 0.28);
  --lc-busy: rgba(212, 160, 23, 0.32);
  --lc-bad: rgba(218, 54, 51, 0.32);
  --lc-off: rgba(127, 127, 127, 0.22);
  color: var(--jp-content-font-color1, inherit);
  font-family: var(--jp-ui-font-family, inherit);
  font-size: var(--jp-ui-font-size1, 13px);
}
.lambdacloud-display table { border-collapse: collapse; margin: 2px 0; }
.lambdacloud-display caption { caption-side: top; text-align: left; font-weight: 600;
  padding: 2px 8px; color: var(--lc-muted); }
.lambdacloud-display th, .lambdacloud-display td { text-align: left; vertical-align: top;
  padding: 3px 10px; border-bottom: 1px solid var(--lc-border); background: transparent; }
.lambdacloud-display th { font-weight: 600; }
.lambdacloud-display .lc-more, .lambdacloud-display .lc-empty { color: var(--lc-muted); }
.lambdacloud-display .lc-badge { border-radius: 9px; padding: 0 7px; white-space: nowrap; }
.lambdacloud-display .lc-good { background: var(--lc-good); }
.lambdacloud-display .lc-busy { background: var(--lc-busy); }
.lambdacloud-display .lc-bad { background: var(--lc-bad); }
.lambdacloud-display .lc-off { background: var(--lc-off); }
</style>"""


@attrs.frozen
class Badge:
    """A status shown as a coloured badge (``tone``: good, busy, bad or off)."""

    text: str
    tone: str

    def __str__(self) -> str:
        return self.text


def badge(status: object) -> Badge:
    """The badge of a status word, coloured by what it means."""
    text = text_of(status)
    for tone, words in _TONES.items():
        if text.lower() in words:
            return Badge(text, tone)
    return Badge(text, "off")


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
        kind = _words(type(self).__name__)
        for name in ("id", "name"):
            value = getattr(self, name, None)
            if isinstance(value, str) and value:
                return f"{kind} {value}"
        return kind

    def _plain(self) -> list[tuple[str, Any]]:
        return [(field.name, value) for field, value in _shown_fields(self)]

    def _safe_row(self) -> dict[str, Any]:
        """The row, with this object's hidden values masked wherever they appear."""
        return masked(self._display_row(), _hidden(self))  # type: ignore[no-any-return]

    def _safe_card(self) -> tuple[str, dict[str, Any]]:
        hidden = _hidden(self)
        return masked(self._display_title(), hidden), masked(self._display_details(), hidden)

    def _repr_html_(self) -> str:
        title, details = self._safe_card()
        rows = "".join(
            f"<tr><th>{_escape(header(key))}</th><td>{cell_html(value, MAX_DETAIL)}</td></tr>"
            for key, value in details.items()
        )
        return _frame(
            f"<table><caption>{_escape(text_of(title))}</caption><tbody>{rows}</tbody></table>"
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
        return masked(exported, _hidden(self))  # type: ignore[no-any-return]


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
            return _plural(next(iter(kinds)).__name__)
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

    def _more(self) -> str:
        return f"… {len(self) - MAX_ROWS} more ({self._count()} in all)"

    def _repr_html_(self) -> str:
        if not self:
            return _frame(f'<p class="lc-empty">No {_escape(self._noun())}.</p>')
        columns, rows = self._table()
        head = "".join(f"<th>{_escape(header(column))}</th>" for column in columns)
        body = "".join(
            "<tr>"
            + "".join(f"<td>{cell_html(row.get(column), MAX_CELL)}</td>" for column in columns)
            + "</tr>"
            for row in rows
        )
        if len(self) > MAX_ROWS:
            more = _escape(self._more())
            body += f'<tr><td class="lc-more" colspan="{len(columns)}">{more}</td></tr>'
        caption = self._count()
        return _frame(
            f"<table><caption>{_escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        if cycle:
            printer.text("[...]")
        elif not self:
            printer.text(f"[] (no {self._noun()})")
        else:
            columns, rows = self._table()
            text = text_table(columns, rows)
            if len(self) > MAX_ROWS:
                text += "\n" + self._more()
            printer.text(text)


def header(key: str) -> str:
    """A column or row header for a field name."""
    return _HEADERS.get(key, key.replace("_", " "))


_HEADERS = {
    "price_per_hour": "price / hour",
    "instance_type": "type",
    "gpu_description": "GPU",
    "gpus": "GPUs",
    "vcpus": "vCPUs",
    "regions_with_capacity": "regions with capacity",
}


def text_of(value: Any, limit: int | None = None) -> str:
    """A value as display text: labels for objects, words for booleans, ``—`` for nothing."""
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, Enum):
        text = str(value.value)
    elif isinstance(value, Badge):
        text = value.text
    elif isinstance(value, Displayable):
        text = value._display_label()
    elif isinstance(value, datetime):
        text = _when(value)
    elif isinstance(value, Mapping):
        text = ", ".join(f"{text_of(k)}={text_of(v)}" for k, v in value.items()) or "—"
    elif isinstance(value, (list, tuple, set, frozenset)):
        text = ", ".join(text_of(item) for item in value) or "—"
    else:
        text = str(value)
    text = " ".join(_CONTROL.sub(" ", text).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def cell_html(value: Any, limit: int) -> str:
    """A value as escaped HTML: a badge for statuses, text for everything else."""
    if isinstance(value, Badge):
        return f'<span class="lc-badge lc-{value.tone}">{_escape(value.text)}</span>'
    return _escape(text_of(value, limit))


def text_card(title: str, details: Mapping[str, Any]) -> str:
    """An object as lines of ``header  value`` under its title."""
    width = max((len(header(key)) for key in details), default=0)
    lines = [text_of(title)] + [
        f"  {header(key):<{width}}  {text_of(value, MAX_DETAIL)}" for key, value in details.items()
    ]
    return "\n".join(lines)


def text_table(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """Rows as an aligned text table."""
    cells = [[text_of(row.get(column), MAX_CELL) for column in columns] for row in rows]
    heads = [header(column) for column in columns]
    widths = [max(len(line[i]) for line in [heads, *cells]) for i in range(len(columns))]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in [heads, *cells]
    ]
    return "\n".join(lines)


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


def without_query(url: str | None) -> str | None:
    """A URL without its query and fragment (where tokens and signatures live)."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _MASK
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    hidden = "?…" if parts.query or parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")) + hidden


def _shown_fields(obj: Any) -> list[tuple[attrs.Attribute[Any], Any]]:
    """The public fields of ``obj`` with their display values, secrets masked."""
    shown = []
    for field in attrs.fields(type(obj)):
        if field.name.startswith("_"):
            continue
        value = getattr(obj, field.name)
        secret = field.metadata.get(SECRET)
        if secret == HIDDEN:
            value = _MASK if value else value
        elif secret == URL:
            value = without_query(value)
        shown.append((field, value))
    return shown


def _hidden(obj: Any) -> tuple[str, ...]:
    """The values of ``obj``'s hidden fields, to mask wherever else they appear."""
    return tuple(
        value
        for field in attrs.fields(type(obj))
        if field.metadata.get(SECRET) == HIDDEN
        and isinstance(value := getattr(obj, field.name), str)
        and len(value) >= MIN_RUN  # shorter ones are no secret, and would match anything
    )


def masked(value: Any, hidden: tuple[str, ...]) -> Any:
    """``value`` with every occurrence of a hidden value masked, in nested data too."""
    if not hidden:
        return value
    if isinstance(value, str):
        return _mask_in(value, hidden)
    if isinstance(value, Mapping):
        return {key: masked(item, hidden) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(item, hidden) for item in value]
    if isinstance(value, Badge):
        return Badge(_mask_in(value.text, hidden), value.tone)
    if isinstance(value, Displayable):
        return masked(value._display_label(), hidden)
    return value


def _mask_in(text: str, hidden: tuple[str, ...]) -> str:
    """``text`` with each hidden value, however escaped, replaced by the mask."""
    for secret in hidden:
        for spelling in spellings(secret):
            if spelling and spelling in text:
                text = text.replace(spelling, _MASK)
    return text


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
        if field.metadata.get(SECRET) != HIDDEN
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


def _when(moment: datetime) -> str:
    if moment.tzinfo is not None and moment.utcoffset() == timezone.utc.utcoffset(None):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.isoformat(sep=" ", timespec="seconds")


def _words(name: str) -> str:
    """``InstanceType`` → ``Instance type``; ``SSHKey`` → ``SSH key``."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)
    return " ".join([words[0], *(w if w.isupper() else w.lower() for w in words[1:])])


def _plural(name: str) -> str:
    words = _words(name)
    lowered = words if words.split()[0].isupper() else words[0].lower() + words[1:]
    return lowered + "s"


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _frame(inner: str) -> str:
    return f'<div class="lambdacloud-display">{STYLE}{inner}</div>'
