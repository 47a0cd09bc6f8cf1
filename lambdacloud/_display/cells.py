"""How one value looks in a table cell or a card: as text, or as escaped HTML.

Labels for the library's objects, words for booleans, ``—`` for nothing, a coloured badge
for a status; control characters never reach a terminal, and every value is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime, timezone
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
        return f'<span class="lc-badge lc-{value.tone}">{escape(value.text)}</span>'
    return escape(text_of(value, limit))


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def frame(inner: str) -> str:
    """Display markup in our scoped container, with the stylesheet."""
    return f'<div class="lambdacloud-display">{STYLE}{inner}</div>'


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
