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
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, SupportsIndex, TypeVar, overload
from urllib.parse import urlsplit, urlunsplit

import attrs

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

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{_escape(header(key))}</th><td>{cell_html(value, MAX_DETAIL)}</td></tr>"
            for key, value in self._display_details().items()
        )
        return _frame(
            f"<table><caption>{_escape(self._display_title())}</caption>"
            f"<tbody>{rows}</tbody></table>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        if cycle:
            printer.text(f"{type(self).__name__}(...)")
            return
        printer.text(text_card(self._display_title(), self._display_details()))

    def to_dict(self) -> dict[str, Any]:
        """This object's fields as plain Python values, for JSON or ``pandas``.

        Nested objects become dicts, enums their string values, tuples lists. Secrets are
        left out (``jupyter_token``, a generated private key); URLs that carry a token or
        a signature lose their query.

        Returns:
            ``{field name: value}``.

        API: none.
        """
        return {name: plain(value) for name, value in _exportable_fields(self)}


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

    def to_dicts(self, *, flat: bool = True) -> list[dict[str, Any]]:
        """Each item as plain data, ready for ``pandas.DataFrame(...)``.

        Args:
            flat: Spread nested objects into dotted columns (``region.name``); with
                ``False``, each row is exactly the item's ``to_dict()``.

        Returns:
            One dict per item, in order, secrets left out as in ``to_dict()``.

        API: none.
        """
        rows = [item.to_dict() if isinstance(item, Displayable) else plain(item) for item in self]
        return [_flatten(row) for row in rows] if flat else rows

    def _noun(self) -> str:
        kinds = {type(item) for item in self} or ({self._kind} if self._kind else set())
        if len(kinds) == 1:
            return _plural(next(iter(kinds)).__name__)
        return "items"

    def _table(self) -> tuple[list[str], list[dict[str, Any]]]:
        rows = [
            item._display_row() if isinstance(item, Displayable) else {"value": item}
            for item in self[:MAX_ROWS]
        ]
        columns: dict[str, None] = {}
        for row in rows:
            columns.update(dict.fromkeys(row))
        return list(columns), rows

    def _more(self) -> str:
        return f"… {len(self) - MAX_ROWS} more ({len(self)} {self._noun()} in all)"

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
        caption = f"{len(self)} {self._noun()}"
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
    text = " ".join(text.split())
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
    lines = [title] + [
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
    hidden = "?…" if parts.query else ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) + hidden


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


def _flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and all(isinstance(k, str) for k in value):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
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


def price(cents_per_hour: int | None) -> str | None:
    """US cents per hour as ``$1.29``."""
    if cents_per_hour is None:
        return None
    return f"${Decimal(cents_per_hour).scaleb(-2):.2f}"
