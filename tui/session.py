"""What the main app does for the whole session, apart from interfaces: the tree's search
line (``/``), the message log (``m``), asking before ``q`` drops pending changes, and a
command palette and title the Linux console's font can draw.

``IfsmithApp`` is one of these; it says how many changes are pending (``pending_count``)
and shows the tree again when the filter changes (``show_tree``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import App
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.widgets import Input

from ifsmith.tui.widgets.search import SearchLine

if TYPE_CHECKING:
    from ifsmith.tui.screens.messages import Note


class SessionApp(App[int]):
    """Search, messages, a guarded quit; the interfaces are the subclass's."""

    # The tree's filter (``/``): names containing it, case-insensitive; "" shows all.
    search: reactive[str] = reactive("", init=False)

    def __init__(self) -> None:
        super().__init__()
        self.notes: list[Note] = []  # every notification of the session (m lists them)

    def pending_count(self) -> int:
        """How many changes quitting would drop."""
        return 0

    def show_tree(self) -> None:
        """Show the tree again (the filter changed)."""

    def focus_tree(self) -> None:
        """Give the focus back to the tree (the search line closed)."""

    def watch_search(self) -> None:
        if self.is_mounted:
            self.show_tree()

    def action_search(self) -> None:
        line = self.query_one(SearchLine)
        line.display = line.can_focus = True
        line.value = self.search
        # At once, not Widget.focus's next turn: the next key typed is the line's.
        self.screen.set_focus(line)

    @on(Input.Changed, "#search")
    def search_typed(self, event: Input.Changed) -> None:
        if self.query_one(SearchLine).display:  # else Enter or Esc decided already
            self.search = event.value.strip()

    def close_search(self, keep: bool) -> None:
        """Enter (keep the filter) or Esc (clear it): the line goes, the tree has the keys.

        Called from the key itself, so a key typed right after goes to the tree."""
        line = self.query_one(SearchLine)
        self.search = line.value.strip() if keep else ""
        line.display = line.can_focus = False
        self.focus_tree()

    def action_clear_search(self) -> None:
        self.close_search(keep=False)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a toast and keep it in the session's message log (``m``)."""
        from ifsmith.tui.screens.messages import Note

        self.notes.append(Note(message, title, severity))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def action_messages(self) -> None:
        from ifsmith.tui.screens.messages import MessagesScreen

        self.push_screen(MessagesScreen(self.notes))

    async def action_quit(self) -> None:
        """Quit; with changes pending, only once the admin says to drop them."""
        n = self.pending_count()
        if not n:
            self.exit(0)
            return
        from ifsmith.tui.screens.dialogs import ConfirmDialog

        changes = f"{n} pending change{'s' if n != 1 else ''}"

        def answered(drop: bool | None) -> None:
            if drop:
                self.exit(0)

        self.push_screen(
            ConfirmDialog(
                f"Quit and drop {changes}?",
                "None of them has touched the host yet. Export them first (x) to keep them "
                "as XML.\ny or ctrl+s quits, n or Esc stays.",
                yes="Quit",
                no="Stay",
            ),
            answered,
        )

    def action_command_palette(self) -> None:
        """Textual's palette, its placeholder in ASCII (its own ends in "…", which the
        Linux console's font lacks)."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(
                CommandPalette(placeholder="Search for commands...", id="--command-palette")
            )

    def format_title(self, title: str, sub_title: str) -> Content:
        """ "ifsmith - NETNS": Textual's em dash is not in the console's font."""
        if not sub_title:
            return Content(title)
        return Content.assemble(title, (" - ", "dim"), (sub_title, "dim"))
