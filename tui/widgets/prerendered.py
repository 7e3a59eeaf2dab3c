"""A Static whose lines can be rendered beforehand, in a worker thread.

A Static wraps and renders its whole text each time it is laid out or drawn: for Review's
diff and XML of 10 pending changes (150 lines) that was 20-40 ms of the UI thread per
opening or backend switch.  ``Lines`` made in a thread (``prerender``) let the widget
measure its height by counting them and draw only the lines on screen.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.segment import Segment
from textual import events, work
from textual.geometry import Size
from textual.strip import Strip
from textual.visual import VisualType
from textual.widgets import Static


@dataclass(frozen=True)
class Lines:
    """A renderable as the lines it makes at one width."""

    renderable: RenderableType
    width: int
    strips: tuple[Strip, ...]


def prerender(renderable: RenderableType, width: int) -> Lines:
    """RENDERABLE as lines WIDTH cells wide (wrapped as a Static wraps it).  Safe in a
    thread: it uses a console of its own, not the app's."""
    console = Console(
        width=max(width, 1),
        file=io.StringIO(),
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
    )
    options = console.options.update(highlight=False, width=max(width, 1))
    segments = console.render(renderable, options)
    strips = tuple(
        Strip(line)
        for line in Segment.split_and_crop_lines(
            segments, max(width, 1), include_new_lines=False, pad=False
        )
    )
    return Lines(renderable, width, strips)


class Prerendered(Static):
    """Shows what ``show`` is given: lines rendered for its width are drawn as they are;
    at another width (the terminal resized) it renders as a Static does until a thread
    has rendered them again for the new width.  ``content`` is what it shows, as for a
    Static."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self._lines: Lines | None = None

    def show(self, lines: Lines) -> None:
        """Show LINES (their renderable is the content)."""
        super().update(lines.renderable)
        self._lines = lines
        self._new_height()
        width = self.size.width
        if width and lines.width != width:  # rendered before the terminal was resized
            self._rerender(lines.renderable, width)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        """Show CONTENT rendered here (a short note: "rendering…")."""
        self._lines = None
        super().update(content, layout=layout)
        self._new_height()

    def _new_height(self) -> None:
        # Textual keys its box model cache by a count of layout requests that it does not
        # raise while one is pending: laid out meanwhile (Review lays itself out before it
        # is shown), the widget kept the height of what it showed before (Textual 8).
        self._layout_updates += 1

    def _ready(self, width: int) -> Lines | None:
        """The prerendered lines when they fit WIDTH."""
        lines = self._lines
        return lines if lines is not None and lines.width == width else None

    @property
    def prerendered_width(self) -> int | None:
        """The width the lines shown were rendered for (None: rendered here)."""
        return None if self._lines is None else self._lines.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        lines = self._ready(width)
        if lines is None:
            return super().get_content_height(container, viewport, width)
        return len(lines.strips)

    def on_resize(self, event: events.Resize) -> None:
        lines = self._lines
        if lines is not None and lines.width != event.size.width:
            self._rerender(lines.renderable, event.size.width)

    @work(thread=True, exclusive=True, group="prerender")
    def _rerender(self, renderable: RenderableType, width: int) -> None:
        lines = prerender(renderable, width)
        self.app.call_from_thread(self._rerendered, lines)

    def _rerendered(self, lines: Lines) -> None:
        if self._lines is not None and self._lines.renderable is lines.renderable:
            self.show(lines)  # still what it shows: now at its width

    def render_line(self, y: int) -> Strip:
        lines = self._ready(self.size.width)
        if lines is None:
            return super().render_line(y)
        style = self.visual_style.rich_style
        if y < len(lines.strips):
            return lines.strips[y].apply_style(style)
        return Strip.blank(self.size.width, style)
