"""The footer of keys, made again only when the keys it shows change.

Textual's Footer makes all its keys anew (~17 widgets, each styled) whenever a screen's
bindings may have changed: focus moving, a dialog opening over the screen or closing.
That was 20-40 ms of the UI thread in each of `c` and `a`, for the same keys.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's Footer, recomposed only when what it would show differs."""

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        self._shown: object = None  # what the keys were composed from

    def _keys(self) -> object:
        """Everything ``Footer.compose`` reads that can change."""
        active = self.screen.active_bindings
        keys = tuple(
            (binding.key, binding.action, binding.description, binding.group, enabled, tooltip)
            for _node, binding, enabled, tooltip in active.values()
            if binding.show
        )
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        shown_palette = None if palette is None else palette[1:]
        return (keys, self.compact, self.show_command_palette, shown_palette)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if (
            self._bindings_ready
            and self.is_attached
            and screen is self.screen
            and self._keys() == self._shown
        ):
            return  # the same keys: nothing to make again
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        yield from super().compose()
