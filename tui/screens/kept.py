"""Screens made once and kept between openings (Review, the Apply dialog).

Textual styles every widget of a screen again each time it is pushed: 40-90 ms of the UI
thread for Review or the Apply dialog, for styles that had not changed.  A kept screen is
styled again only when what its styles depend on changed since it was last styled: the
app's CSS (a theme change counts it), the app's classes (``narrow``, ``no-color``) and
pseudo-classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.screen import ModalScreen, Screen

_R = TypeVar("_R")
_S = TypeVar("_S", bound=Screen[Any])


class KeptScreen(ModalScreen[_R]):
    """A modal screen shown many times: restyled on opening only when needed."""

    def __init__(self) -> None:
        super().__init__()
        self._styled_for: object = None  # what the styles were last worked out for

    def _style_inputs(self) -> object:
        app = self.app
        # Textual counts its CSS changes (a theme, a reparse) in _css_update_count.
        count = getattr(app, "_css_update_count", None)
        return (count, frozenset(app.classes), frozenset(app.get_pseudo_classes()), app.theme)

    def _on_mount(self, event: events.Mount) -> None:
        self._styled_for = self._style_inputs()  # styled as it was mounted

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler, which restyles when told to.
        inputs = self._style_inputs()
        if event.refresh_styles and inputs == self._styled_for:
            event.refresh_styles = False
        self._styled_for = inputs


def kept(app: App[Any], name: str, kind: type[_S], make: Callable[[], _S]) -> _S:
    """The app's screen NAME, made by MAKE and installed on first use (so closing it keeps
    it, composed, for the next opening)."""
    if app.is_screen_installed(name):
        screen = app.get_screen(name)
        assert isinstance(screen, kind)
        return screen
    screen = make()
    app.install_screen(screen, name)
    return screen
