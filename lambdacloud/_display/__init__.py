"""Notebook and IPython displays, and plain-data export, of the library's objects.

- ``cells``: how one value looks, as text or escaped HTML (badges, labels, limits), and
  the inline layout that survives without the stylesheet;
- ``tables``: several values laid out together, as HTML tables and as aligned text;
- ``objects``: ``Displayable`` (cards, rows, ``to_dict()``) and ``ResourceList`` (tables);
- ``style.css``: the one stylesheet, scoped to our own class.
"""

from lambdacloud._display.cells import STYLE, Badge, badge, cell_html, text_of
from lambdacloud._display.objects import MAX_ROWS, Displayable, ResourceList

__all__ = [
    "MAX_ROWS",
    "STYLE",
    "Badge",
    "Displayable",
    "ResourceList",
    "badge",
    "cell_html",
    "text_of",
]
