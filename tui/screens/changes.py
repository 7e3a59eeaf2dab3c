"""The Changes screen: the pending set, its XML, and each backend's files as a diff.

The backend list has every available one plus "live only"; the detected one is chosen
first.  Discarding a change here updates the app's pending set at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
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
    rendering = backends.render(backend, pending.definitions, files)
    if pending.deletions:
        gone = backend.undefine(pending.deletions, files)
        rendering = dataclasses.replace(
            rendering,
            files={**rendering.files, **gone.files},
            removed=rendering.removed | gone.removed,
        )
    return rendering


def backend_choices(names: list[str], backend: str) -> list[tuple[str, str]]:
    """A backend chooser's options: every available backend, "live only", and BACKEND
    (first) should it be neither."""
    options = [(n, n) for n in names] + [(LIVE_ONLY, LIVE_ONLY)]
    if backend not in dict(options):
        options.insert(0, (backend, backend))
    return options


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
        highlighted(diff, "diff")
        if diff
        else Text("the files on disk already say this", style="dim")
    )
    return Group(*parts)


def highlighted(code: str, lexer: str) -> Text:
    """CODE coloured as Syntax does, as plain Text: made once (in a worker), it is not
    lexed again each time the screen lays it out or draws it."""
    return Syntax(code, lexer, theme="ansi_dark").highlight(code)


class ChangesScreen(ModalScreen[None]):
    """Review the pending changes: XML, files per backend, discard one or all, apply.

    The backend chosen here is a preview: it never changes which files Apply writes (the
    Apply dialog says that, and lets the admin choose there).  The screen shows at once;
    each backend's diff is rendered once per pending set, in a thread, and kept."""

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
        # Per backend, the diff for one pending set (a new set starts afresh).
        self.diffs: dict[str, RenderableType] = {}
        self.diffs_of: Pending | None = None
        self.xml_of: Pending | None = None
        self.composed = False  # its widgets are mounted (load then updates them)

    def load(self, backend_names: list[str], backend: str) -> ChangesScreen:
        """Ready the (kept) screen for another opening: the preview starts again from the
        detected stack's files."""
        self.backend_names = backend_names
        self.backend = backend
        if self.composed:
            select = self.query_one("#backend", Select)
            options = self.backend_options()
            with self.prevent(Select.Changed):
                if options != self.options_shown:
                    select.set_options(options)
                    self.options_shown = options
                select.value = backend
        return self

    def backend_options(self) -> list[tuple[str, str]]:
        return backend_choices(self.backend_names, self.backend)

    @property
    def pending(self) -> Pending:
        return self.app.pending  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        with Vertical(id="changes"):
            yield Static("Pending changes", id="changes-title")
            with Horizontal(id="changes-top"):
                yield OptionList(id="change-list", compact=True)
                with Vertical(id="backend-box"):
                    yield Label("preview files of")
                    self.options_shown = self.backend_options()
                    yield Select(
                        self.options_shown,
                        value=self.backend,
                        id="backend",
                        compact=True,
                        allow_blank=False,
                    )
                    yield Label("(a preview: Apply asks)", id="backend-hint")
            with VerticalScroll(id="changes-body"):
                yield Static(id="deletions")
                # The files first: switching the backend shows its effect at once.
                yield Static(id="diff")
                yield Static(id="xml")
        yield Footer()

    def on_mount(self) -> None:
        self.composed = True

    def on_screen_resume(self) -> None:
        # At every opening (the screen is kept between them): the pending set as it is.
        self.refresh_changes()

    def refresh_changes(self) -> None:
        """Show the pending set as it is now (XML and diff follow from a thread)."""
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
        if self.xml_of is not self.pending:
            self.xml_of = None
            self.query_one("#xml", Static).update(
                Text("rendering…", style="dim") if self.pending.definitions else ""
            )
            self.show_xml(self.pending)
        self.refresh_diff()

    @work(thread=True, exclusive=True, group="changes-xml")
    def show_xml(self, pending: Pending) -> None:
        xml = pending_xml(pending)
        shown = highlighted(xml, "xml") if xml else ""
        self.app.call_from_thread(self._xml_ready, pending, shown)

    def _xml_ready(self, pending: Pending, shown: RenderableType) -> None:
        if pending is self.pending:
            self.xml_of = pending
            self.query_one("#xml", Static).update(shown)

    def refresh_diff(self) -> None:
        diff = self.query_one("#diff", Static)
        if not self.pending:
            diff.update("")
            return
        if self.diffs_of is not self.pending:
            self.diffs, self.diffs_of = {}, self.pending
        cached = self.diffs.get(self.backend)
        if cached is not None:
            diff.update(Group(Text(f"{self.backend}:", style="bold"), cached, Text("")))
            return
        diff.update(Text(f"{self.backend}: rendering…\n", style="dim"))
        self.render_diff(self.backend, self.pending)

    @work(thread=True, group="changes-diff")
    def render_diff(self, backend: str, pending: Pending) -> None:
        shown = files_diff(self.host, backend, pending)
        self.app.call_from_thread(self._diff_ready, backend, pending, shown)

    def _diff_ready(self, backend: str, pending: Pending, shown: RenderableType) -> None:
        if pending is not self.diffs_of:
            return  # rendered for a set that has changed since
        self.diffs[backend] = shown
        if backend == self.backend and pending is self.pending:
            self.refresh_diff()

    @on(Select.Changed, "#backend")
    def backend_chosen(self, event: Select.Changed) -> None:
        # A preview only: what Apply writes is chosen in the Apply dialog.
        value = event.select.value  # as it is now: a change posted earlier may be stale
        if isinstance(value, str) and value != self.backend:
            self.backend = value
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
        from ifsmith.tui.screens.ask import Ask

        n = len(self.pending)
        if not n:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.discard_all()  # type: ignore[attr-defined]
                self.refresh_changes()

        what = f"all {n} pending changes" if n > 1 else "the pending change"
        self.app.push_screen(Ask(f"Drop {what}? This cannot be undone.", "Drop"), answered)

    def action_apply(self) -> None:
        self.dismiss(None)
        self.app.action_apply()  # type: ignore[attr-defined]

    def action_close(self) -> None:
        self.dismiss(None)


REVIEW = "review"  # the name the kept Review screen is installed under


def review_screen(app: App[Any]) -> ChangesScreen:
    """The app's one Review screen, loaded for an opening with the app's backends and
    detected stack."""
    names: list[str] = getattr(app, "backend_names", [])
    backend: str = getattr(app, "backend", LIVE_ONLY)
    return kept_review_screen(app).load(names, backend)


def kept_review_screen(app: App[Any]) -> ChangesScreen:
    """The app's one Review screen as it is; ``review_screen`` loads it for an opening."""
    host: Host = getattr(app, "host")  # noqa: B009 - the IfsmithApp's, typed loosely here
    return kept(app, REVIEW, ChangesScreen, lambda: ChangesScreen(host, [], LIVE_ONLY))


_S = TypeVar("_S", bound=Screen[Any])


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
