"""A yes/no question before something that cannot be undone (dropping pending changes)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class Ask(ModalScreen[bool]):
    """QUESTION with the button YES (focused: Enter takes it) and Cancel; y / n / Escape."""

    DEFAULT_CSS = """
    Ask { align: center middle; }
    Ask > Vertical {
        width: 64; max-width: 100%; height: auto;
        border: solid $warning; background: $surface; padding: 0 1;
    }
    Ask .ask-buttons { height: 1; align-horizontal: right; margin-top: 1; }
    Ask .ask-buttons Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("y", "yes", "Yes", show=False),
        Binding("ctrl+s", "yes", "Yes", show=False),
        Binding("n", "no", "No", show=False),
        Binding("escape", "no", "Cancel"),
    ]
    AUTO_FOCUS = "#yes"

    def __init__(self, question: str, yes: str) -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="ask-question")
            with Horizontal(classes="ask-buttons"):
                yield Button(self.yes, id="yes", variant="error", compact=True)
                yield Button("Cancel", id="no", compact=True)

    @on(Button.Pressed, "#yes")
    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)
