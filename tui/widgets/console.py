"""Glyphs for the Linux console (TERM=linux).

Its fonts carry the VGA (CP437) set: box lines, full and half blocks, ▲▼, but not the
eighth blocks (▁▂▃ ▉▊▋) Textual's scrollbars use to place a thumb's ends between cells;
the console draws those as a placeholder.  There, scrollbars move by whole cells.
"""

from __future__ import annotations

import os

from textual.scrollbar import ScrollBar, ScrollBarRender


class WholeCellScrollBar(ScrollBarRender):
    """A scrollbar thumb of whole cells only (reverse-video blanks)."""

    VERTICAL_BARS = [" "]
    HORIZONTAL_BARS = [" "]


def is_linux_console() -> bool:
    return os.environ.get("TERM") == "linux"


def use_console_glyphs() -> None:
    """Every scrollbar of this process draws with glyphs the console font has."""
    ScrollBar.renderer = WholeCellScrollBar
