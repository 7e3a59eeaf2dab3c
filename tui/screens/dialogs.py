"""Small dialogs: a name for "bridge this interface", a file path for export/import,
lines to read."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from ifsmith.core.checks import name_problem
from ifsmith.tui.widgets.field import Tick


class BridgeThis(ModalScreen[tuple[str, bool] | None]):
    """virsh iface-bridge: the new bridge's name and STP; the NIC becomes its port."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "ok", "OK", show=False)]

    def __init__(self, interface: str, taken: set[str]) -> None:
        super().__init__()
        self.interface = interface
        self.taken = taken

    def compose(self) -> ComposeResult:
        default = ("br" + self.interface)[:15]
        with Vertical(classes="small-dialog"):
            yield Static(
                f"Bridge {self.interface}: its addresses move to the new bridge",
                classes="dialog-title",
            )
            with Horizontal(classes="dialog-line"):
                yield Label("bridge name", classes="caption")
                yield Input(default, id="bridge-name", compact=True)
            yield Tick("spanning tree (STP)", True, id="bridge-stp", compact=True)
            yield Label("", id="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="ok", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def problem(self) -> str | None:
        name = self.query_one("#bridge-name", Input).value.strip()
        if name in self.taken:
            return f"{name} exists already"
        return name_problem(name)

    @on(Input.Changed)
    def typed(self) -> None:
        problem = self.problem()
        self.query_one("#dialog-problem", Label).update(problem or "")
        self.query_one("#ok", Button).disabled = problem is not None

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted)
    def action_ok(self) -> None:
        if self.problem() is None:
            name = self.query_one("#bridge-name", Input).value.strip()
            self.dismiss((name, self.query_one("#bridge-stp", Checkbox).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PathDialog(ModalScreen[str | None]):
    """Ask for a file path (export or import)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "ok", "OK", show=False)]

    def __init__(self, title: str, default: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="small-dialog"):
            yield Static(self.title_text, classes="dialog-title")
            with Horizontal(classes="dialog-line"):
                yield Label("file", classes="caption")
                yield Input(self.default, id="path", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="ok", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted)
    def action_ok(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if path:
            self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class TextDialog(ModalScreen[None]):
    """A title and lines to read (defined vs running); Esc, Enter or = closes it."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "close", "Close", show=False),
        Binding("equals_sign", "close", "Close", show=False),
        Binding("ctrl+s", "close", "Close", show=False),
    ]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="small-dialog"):
            yield Static(self.title_text, classes="dialog-title")
            with VerticalScroll(id="dialog-body"):
                yield Static(self.body, id="dialog-text", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A question with two answers: ``y`` or ctrl+s says yes; ``n`` or Esc says no (the
    focused No button takes Enter: a stray Enter keeps what is at stake)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "no", "No"),
        Binding("n", "no", "No", show=False),
        Binding("y", "yes", "Yes", show=False),
        Binding("ctrl+s", "yes", "Yes", show=False),
    ]

    def __init__(self, title: str, body: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="small-dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(self.body, id="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes_label, id="yes", variant="warning", compact=True)
                yield Button(self.no_label, id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # Enter on the default keeps what is pending

    @on(Button.Pressed, "#yes")
    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)
