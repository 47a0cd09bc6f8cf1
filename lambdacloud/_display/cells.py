"""How one value looks in a table cell or a card: as text, or as escaped HTML.

Labels for the library's objects, words for booleans, ``—`` for nothing, a badge for a
status; control characters never reach a terminal, and every value is escaped.

The markup reads on its own. Jupyter drops ``<style>`` from an untrusted notebook (one
reopened from disk) but keeps inline ``style`` attributes of a few plain properties, so
layout travels inline: text cells align left and numbers right (JupyterLab's own stylesheet
right-aligns every cell, with a selector stronger than ours), cells never break inside a
token, and wide tables scroll. A status is always written out, after a glyph that carries
its tone in shape and colour (``● active``); the stylesheet only adds the theme.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

import attrs

#: Characters of one value shown in a table cell, and in a card.
MAX_CELL = 80
MAX_DETAIL = 300

#: Characters a terminal would act on (escape sequences, carriage returns): never shown.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

#: Status words by the colour of their badge; anything else is neutral.
_TONES = {
    "good": {"active", "available", "success", "uploaded", "solved", "confirm_solved"},
    "busy": {"booting", "terminating", "pending", "open", "on_hold"},
    "bad": {"unhealthy", "preempted", "failed", "failure", "deactivated"},
}

#: A status's glyph and its colour, by tone: the shape tells the tone without colour, and
#: the colour (plain hex, which sanitizers keep) reads on light and dark themes alike.
_GLYPHS = {
    "good": ("●", "#2ea043"),
    "busy": ("◐", "#d29922"),
    "bad": ("✖", "#e5534b"),
    "off": ("○", "#8b949e"),
}

#: Text that is a number for alignment: ``$1.29``, ``-3``, ``1,024``, ``24 GiB``, ``95 s``.
_NUMBER = re.compile(r"[-+]?\$?\d[\d,]*(\.\d+)?( ?(GiB|MiB|TiB|KiB|GB|MB|TB|%|s|ms))?")

#: Inline layout (see the module's docstring): alignment, and no break inside a token.
_ALIGN = {False: "text-align:left", True: "text-align:right"}
NOWRAP = "white-space:nowrap"

#: The stylesheet of every display, scoped to our own class (``style.css`` beside this file).
STYLE = f"<style>\n{Path(__file__).with_name('style.css').read_text(encoding='utf-8')}</style>"


class Labelled(Protocol):
    """An object that names itself in a few words (the library's models do)."""

    def _display_label(self) -> str: ...


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
    elif hasattr(value, "_display_label"):
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
        glyph, colour = _GLYPHS.get(value.tone, _GLYPHS["off"])
        return (
            f'<span class="lc-badge lc-{value.tone}" style="{NOWRAP}">'
            f'<span class="lc-glyph" style="color:{colour}">{glyph}</span> '
            f"{escape(value.text)}</span>"
        )
    return escape(text_of(value, limit))


def is_number(value: Any) -> bool:
    """Whether a value aligns as a number: an int, float or Decimal, or text like ``$1.29``."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, Decimal)):
        return True
    return isinstance(value, str) and _NUMBER.fullmatch(value) is not None


def cell(
    tag: str,
    inner: str,
    *,
    number: bool = False,
    wrap: bool = False,
    kind: str = "",
    **attributes: str,
) -> str:
    """One ``<td>`` or ``<th>`` around escaped ``inner``, with its layout inline.

    Args:
        tag: ``td`` or ``th``.
        inner: The cell's content, already escaped.
        number: Right-aligned (class ``lc-num``), else left-aligned (``lc-text``).
        wrap: May wrap between words; by default the cell never wraps (class ``lc-token``).
        kind: One more class, such as ``lc-more``.
        attributes: Further attributes, such as ``scope`` or ``colspan`` (values escaped).
    """
    classes = " ".join(
        filter(None, [kind, "lc-num" if number else "lc-text", "" if wrap else "lc-token"])
    )
    style = _ALIGN[number] + ("" if wrap else f";{NOWRAP}")
    extra = "".join(f' {name}="{escape(value)}"' for name, value in attributes.items())
    return f'<{tag} class="{classes}" style="{style}"{extra}>{inner}</{tag}>'


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def frame(inner: str) -> str:
    """Display markup in our scoped container, with the stylesheet; wide content scrolls."""
    return (
        f'<div class="lambdacloud-display">{STYLE}'
        f'<div class="lc-scroll" style="overflow-x:auto">{inner}</div></div>'
    )


def words(name: str) -> str:
    """``InstanceType`` → ``Instance type``; ``SSHKey`` → ``SSH key``."""
    found = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)
    return " ".join([found[0], *(w if w.isupper() else w.lower() for w in found[1:])])


def plural(name: str) -> str:
    text = words(name)
    lowered = text if text.split()[0].isupper() else text[0].lower() + text[1:]
    return lowered + "s"


def _when(moment: datetime) -> str:
    if moment.tzinfo is not None and moment.utcoffset() == timezone.utc.utcoffset(None):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.isoformat(sep=" ", timespec="seconds")
