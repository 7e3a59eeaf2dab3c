"""The details pane's text, repainted without a layout pass when its height stays.

Textual's Static asks for a layout of the whole screen on every update, and a layout waits
for the next frame tick: moving the cursor showed the details ~30 ms after the tree.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget


class Details(Widget):
    """Lines of text; ``show`` replaces them."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.text = Text()
        self._height = 1

    def _lines(self, text: Text, width: int) -> int:
        return len(text.wrap(self.app.console, max(width, 1))) if text else 1

    def show(self, text: Text) -> None:
        """Show ``text``; a layout only when it takes a different number of lines."""
        height = self._lines(text, self.size.width)
        self.text = text
        self.refresh(layout=height != self._height)
        self._height = height

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._height = self._lines(self.text, width)
        return self._height

    def render(self) -> Text:
        return self.text
