"""The tree's search line (``/``), as in less and htop: type to filter the names, Enter
keeps the filter, Esc clears it; and the next match (``n``, ``N``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.binding import Binding
from textual.widgets import Input


class SearchLine(Input):
    """A one-line input under the tree; hidden while no search is being typed.
    ``closed(keep)`` is called by Enter (True) and Esc (False)."""

    # Priority: handled as the key arrives, so a key typed right after Enter already
    # goes to the tree (Textual queues each key for the widget focused at its arrival).
    # Spelt out: Textual shows enter as ⏎, which the console's font lacks.
    BINDINGS = [
        Binding("enter", "close(True)", "Keep the filter", key_display="enter", priority=True),
        Binding("escape", "close(False)", "Clear it", key_display="esc", priority=True),
    ]

    def __init__(self, closed: Callable[[bool], None]) -> None:
        super().__init__(
            placeholder="(part of a name; Enter keeps, Esc clears)", id="search", compact=True
        )
        self.closed = closed
        # Shown by /; until then hidden, and not focusable (Textual's first focus would
        # pick it even hidden).
        self.display = self.can_focus = False

    def action_close(self, keep: bool) -> None:
        self.closed(keep)


def next_match(
    names: Sequence[str | None], at: int, wanted: str, forward: bool = True
) -> tuple[int, bool] | None:
    """The line of the next name after line AT (before it, going back) that contains
    WANTED, case-insensitive, as `n` and `N` find it in less and vim: past the last line
    the search goes on at the first (and back).  With it, whether it went round; None
    when no name matches."""
    wanted = wanted.lower()
    count = len(names)
    step = 1 if forward else -1
    for distance in range(1, count + 1):
        line = at + step * distance
        name = names[line % count]
        if name is not None and wanted in name.lower():
            return line % count, not 0 <= line < count
    return None
