"""The `?` screen: every key, what it does, and the current mode."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """Keys and a word on how changes flow: edit → pending → review → apply → keep."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
        Binding("ctrl+s", "close", "Close", show=False),
    ]

    def __init__(self, keys: list[tuple[str, str]], mode: str) -> None:
        super().__init__()
        self.keys = keys
        self.mode = mode

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, what in self.keys:
            table.add_row(key, what)
        with Vertical(id="help-box"):
            yield Static("ifsmith keys", id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(table)
                yield Static(
                    "\nEdits collect as pending changes; nothing touches the host until you "
                    "apply. Apply starts a watchdog that rolls the change back unless the "
                    "probes still answer and you press Keep in time.\n\n" + self.mode,
                    id="help-text",
                )

    def action_close(self) -> None:
        self.dismiss(None)
