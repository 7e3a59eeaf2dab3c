"""The message log (``m``): every notification and error of the session, with its time.

Toasts vanish after a few seconds; an import's five problems or a kernel's refusal must
stay readable.  The app records each one as it shows it (``Message``), this screen lists
them, newest last.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

LEVEL = {"information": "info", "warning": "warning", "error": "error"}


@dataclass(frozen=True)
class Note:
    """One notification as shown: when, how severe, its title and text."""

    message: str
    title: str = ""
    severity: str = "information"
    at: float = field(default_factory=time.time)

    def line(self) -> Text:
        """``14:02:07 error  /tmp/x.xml: line 3: ...`` (words, not colour, say the level)."""
        text = Text()
        text.append(time.strftime("%H:%M:%S ", time.localtime(self.at)))
        level = LEVEL.get(self.severity, self.severity)
        style = {"error": "bold red", "warning": "bold yellow"}.get(level, "")
        text.append(f"{level:<8}", style=style)
        head = f"{self.title}: " if self.title else ""
        text.append(head + self.message.replace("\n", "\n" + " " * 17))
        return text


class MessagesScreen(ModalScreen[None]):
    """Every message of the session; Esc, Enter, ctrl+s or m closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "close", "Close", show=False),
        Binding("ctrl+s", "close", "Close", show=False),
        Binding("m", "close", "Close", show=False),
    ]

    def __init__(self, notes: list[Note]) -> None:
        super().__init__()
        self.notes = list(notes)

    def compose(self) -> ComposeResult:
        body = (
            Text("\n").join(n.line() for n in self.notes) if self.notes else Text("no messages yet")
        )
        with Vertical(classes="small-dialog", id="messages-box"):
            yield Static(f"Messages of this session ({len(self.notes)})", classes="dialog-title")
            with VerticalScroll(id="messages-body"):
                yield Static(body, id="messages-text")

    def on_mount(self) -> None:
        self.query_one("#messages-body", VerticalScroll).scroll_end(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
