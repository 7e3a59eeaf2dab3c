"""The tree's search line (``/``), as in less and htop: type to filter the names, Enter
keeps the filter, Esc clears it."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class SearchLine(Input):
    """A one-line input under the tree; hidden while no search is being typed."""

    BINDINGS = [
        Binding("enter", "submit", "Keep the filter"),
        Binding("escape", "clear", "Clear it"),
    ]

    class Cleared(Message):
        """Esc: the filter is gone."""

    def __init__(self) -> None:
        super().__init__(
            placeholder="(part of a name; Enter keeps, Esc clears)", id="search", compact=True
        )
        # Shown by /; until then hidden, and not focusable (Textual's first focus would
        # pick it even hidden).
        self.display = self.can_focus = False

    def action_clear(self) -> None:
        self.post_message(self.Cleared())
