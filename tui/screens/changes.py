"""The Changes screen: the pending set, its XML, and each backend's files as a diff.

The backend list has every available one plus "live only"; the detected one is chosen
first.  Discarding a change here updates the app's pending set at once.
"""

from __future__ import annotations

import dataclasses

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from ifsmith.core.files import HostFiles, Rendering, UnsafeValue, unified_diff
from ifsmith.core.host import Host
from ifsmith.tui.pending import Pending

LIVE_ONLY = "live only"


def render_pending(host: Host, backend_name: str, pending: Pending) -> Rendering:
    """The backend's files for the pending set: definitions rendered, deletions undefined."""
    from ifsmith import backends

    backend = backends.get(backend_name)
    files = HostFiles(host)
    rendering = backend.render(pending.definitions, files)
    rendering = dataclasses.replace(
        rendering,
        warnings=rendering.warnings + backends.identity_warnings(backend, pending.definitions),
    )
    if pending.deletions:
        gone = backend.undefine(pending.deletions, files)
        rendering = dataclasses.replace(
            rendering,
            files={**rendering.files, **gone.files},
            removed=rendering.removed | gone.removed,
        )
    return rendering


def pending_xml(pending: Pending) -> str:
    """The pending definitions as one XML document ("" when there are none)."""
    from ifsmith.core.xmlio import to_document

    return to_document(pending.definitions) if pending.definitions else ""


def files_diff(host: Host, backend_name: str, pending: Pending) -> RenderableType:
    """The unified diff a backend's rendering makes against the files on disk."""
    if backend_name == LIVE_ONLY:
        return Text("live only: no configuration files are written", style="dim")
    try:
        rendering = render_pending(host, backend_name, pending)
    except (UnsafeValue, ValueError) as exc:
        return Text(f"{backend_name}: refused: {exc}", style="bold red")
    diff = unified_diff(rendering, HostFiles(host))
    parts: list[RenderableType] = [Text(str(w), style="yellow") for w in rendering.warnings]
    parts.append(
        Syntax(diff, "diff", theme="ansi_dark", word_wrap=True)
        if diff
        else Text("the files on disk already say this", style="dim")
    )
    return Group(*parts)


class ChangesScreen(ModalScreen[None]):
    """Review the pending changes: XML, files per backend, discard one or all, apply."""

    CSS_PATH = "changes.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("x", "discard", "Discard"),
        Binding("X", "discard_all", "Discard all"),
        Binding("a", "apply", "Apply"),
    ]

    def __init__(self, host: Host, backend_names: list[str], backend: str) -> None:
        super().__init__()
        self.host = host
        self.backend_names = backend_names
        self.backend = backend

    @property
    def pending(self) -> Pending:
        return self.app.pending  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        with Vertical(id="changes"):
            yield Static("Pending changes", id="changes-title")
            with Horizontal(id="changes-top"):
                yield OptionList(id="change-list", compact=True)
                with Vertical(id="backend-box"):
                    yield Label("files for")
                    options = [(n, n) for n in self.backend_names] + [(LIVE_ONLY, LIVE_ONLY)]
                    yield Select(
                        options, value=self.backend, id="backend", compact=True, allow_blank=False
                    )
            with VerticalScroll(id="changes-body"):
                yield Static(id="deletions")
                yield Static(id="xml")
                yield Static(id="diff")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_changes()

    def refresh_changes(self) -> None:
        """Show the pending set as it is now."""
        changes = self.query_one("#change-list", OptionList)
        highlighted = changes.highlighted
        changes.clear_options()
        changes.add_options(Option(c.describe(), id=c.name) for c in self.pending.changes)
        if not self.pending:
            changes.add_option(Option("nothing pending", disabled=True))
        else:
            changes.highlighted = min(highlighted or 0, len(self.pending) - 1)
        deletions = self.pending.deletions
        self.query_one("#deletions", Static).update(
            Text("deleted: " + ", ".join(deletions), style="bold red") if deletions else ""
        )
        xml = pending_xml(self.pending)
        self.query_one("#xml", Static).update(
            Syntax(xml, "xml", theme="ansi_dark", word_wrap=True) if xml else ""
        )
        self.refresh_diff()

    def refresh_diff(self) -> None:
        diff = self.query_one("#diff", Static)
        if not self.pending:
            diff.update("")
            return
        diff.update(
            Group(
                Text(f"\n{self.backend}:", style="bold"),
                files_diff(self.host, self.backend, self.pending),
            )
        )

    @on(Select.Changed, "#backend")
    def backend_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.backend = event.value
            self.app.backend = event.value  # type: ignore[attr-defined]
            self.refresh_diff()

    def action_discard(self) -> None:
        changes = self.query_one("#change-list", OptionList)
        if changes.highlighted is None or not self.pending:
            return
        name = changes.get_option_at_index(changes.highlighted).id
        if name is not None:
            self.app.discard(name)  # type: ignore[attr-defined]
            self.refresh_changes()

    def action_discard_all(self) -> None:
        self.app.discard_all()  # type: ignore[attr-defined]
        self.refresh_changes()

    def action_apply(self) -> None:
        self.dismiss(None)
        self.app.action_apply()  # type: ignore[attr-defined]

    def action_close(self) -> None:
        self.dismiss(None)
