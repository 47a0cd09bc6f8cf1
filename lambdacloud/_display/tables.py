"""Several values laid out together: tables and cards, as HTML and as aligned text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdacloud._display.cells import (
    MAX_CELL,
    MAX_DETAIL,
    cell,
    cell_html,
    escape,
    header,
    is_number,
    text_of,
)


def caption(text: str) -> str:
    """A table's caption, left-aligned whatever the page's stylesheet says."""
    return f'<caption style="text-align:left">{escape(text)}</caption>'


def table_html(
    title: str, columns: list[str], rows: list[dict[str, Any]], more: str | None = None
) -> str:
    """Rows as one ``<table>``: a header cell per column, numbers right-aligned by column.

    A column is numeric when every value in it that is not ``None`` is a number. No cell
    wraps (the frame scrolls instead). ``more`` is a last row that spans the table.
    """
    numeric = {
        column: any(row.get(column) is not None for row in rows)
        and all(is_number(row.get(column)) for row in rows if row.get(column) is not None)
        for column in columns
    }
    head = "".join(
        cell("th", escape(header(column)), number=numeric[column], scope="col")
        for column in columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            cell("td", cell_html(row.get(column), MAX_CELL), number=numeric[column])
            for column in columns
        )
        + "</tr>"
        for row in rows
    )
    if more is not None:
        colspan = str(len(columns))
        body += f"<tr>{cell('td', escape(more), kind='lc-more', colspan=colspan)}</tr>"
    return (
        f'<table class="lc-list">{caption(title)}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


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
