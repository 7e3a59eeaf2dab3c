"""The Changes screen: the pending set, its XML, and each backend's files as a diff.

The backend list has every available one plus "live only"; the detected one is chosen
first.  Discarding a change here updates the app's pending set at once.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from ifsmith.core.host import Host
from ifsmith.tui.pending import Pending
from ifsmith.tui.preview import LIVE_ONLY, Preview, preview, xml_shown
from ifsmith.tui.screens.kept import KeptScreen, kept
from ifsmith.tui.widgets.keyfooter import KeyFooter
from ifsmith.tui.widgets.prerendered import Lines, Prerendered, prerender


def backend_choices(names: list[str], backend: str) -> list[tuple[str, str]]:
    """A backend chooser's options: every available backend, "live only", and BACKEND
    (first) should it be neither."""
    options = [(n, n) for n in names] + [(LIVE_ONLY, LIVE_ONLY)]
    if backend not in dict(options):
        options.insert(0, (backend, backend))
    return options


class ChangesScreen(KeptScreen[None]):
    """Review the pending changes: XML, files per backend, discard one or all, apply.

    The backend chosen here is a preview: it never changes which files Apply writes (the
    Apply dialog says that, and lets the admin choose there).  The screen shows at once:
    each backend's diff and the XML are made in threads — the detected stack's already
    when the pending set changes (``prepare``) — rendered into lines there, and kept per
    pending set while the files they were made from stay as they were (``preview``)."""

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
        # Per backend, the preview of one pending set (a new set starts afresh) and its
        # lines; the backends being made for that set.
        self.diffs: dict[str, tuple[Preview, Lines]] = {}
        self.diffs_of: Pending | None = None
        self.asked: set[str] = set()
        # The XML's lines, the pending set they show, the set being made.
        self.xml: Lines | None = None
        self.xml_of: Pending | None = None
        self.xml_asked: Pending | None = None
        self.listed: Pending | None = None  # the pending set the list of changes shows
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
                yield Prerendered(id="deletions")
                # The files first: switching the backend shows its effect at once.
                yield Prerendered(id="diff")
                yield Prerendered(id="xml")
        yield KeyFooter()

    def on_mount(self) -> None:
        # Not when the app is closing while it composes the screen (its widgets go).
        self.composed = self.app.is_running

    def on_screen_resume(self) -> None:
        # At every opening (the screen is kept between them): the pending set as it is.
        self.refresh_changes()

    def refresh_changes(self) -> None:
        """Show the pending set as it is now (what is not made yet follows from threads)."""
        self.list_changes()
        self.prepare()
        self.show_diff()
        self.show_xml()

    def list_changes(self) -> None:
        """The list of changes and the deletions, for the pending set as it is."""
        if self.listed is self.pending:
            return  # listed already (each update lays the screen out again)
        self.listed = self.pending
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

    def lay_out_ahead(self) -> None:
        """While the screen is not shown: fill it and lay it out for the pending set now,
        so that laying out a new list, diff and XML (50 ms) is not the opening key's work."""
        if self.composed and self.is_attached and self not in self.app.screen_stack:
            self.list_changes()
            self.show_diff()
            self.show_xml()
            self._refresh_layout(self.app.size)

    def body_width(self) -> int:
        """The width the diff and XML are shown at (a guess before the screen is laid out:
        the screen's padding and the scroll bar's gutter less than the terminal's)."""
        width = self.query_one("#diff").size.width if self.composed else 0
        return width or max(self.app.size.width - 4, 20)

    def prepare(self) -> None:
        """Start making what is not made yet for the pending set as it is: its XML and the
        chosen backend's diff, each in a thread.  The app calls this when the pending set
        changes; a preview whose files changed since is made again."""
        pending = self.pending
        backend = self.backend
        if self.diffs_of is not pending:
            self.diffs, self.diffs_of, self.asked = {}, pending, set()
        kept = self.diffs.get(backend)
        if kept is not None and not kept[0].holds(self.host, pending):
            del self.diffs[backend]  # a file it was made from has changed
        if pending and backend not in self.diffs and backend not in self.asked:
            self.asked.add(backend)
            self.render_diff(backend, pending, self.body_width())
        if pending.definitions and self.xml_asked is not pending:
            self.xml_asked = pending
            self.render_xml(pending, self.body_width())

    @work(thread=True, group="changes-diff")
    def render_diff(self, backend: str, pending: Pending, width: int) -> None:
        made = preview(self.host, backend, pending)
        self.app.call_from_thread(self._diff_ready, made, prerender(made.shown, width))

    def _diff_ready(self, made: Preview, lines: Lines) -> None:
        if made.pending is not self.diffs_of:
            return  # made for a set that has changed since
        self.asked.discard(made.backend)
        self.diffs[made.backend] = (made, lines)
        if self.composed and made.backend == self.backend:
            self.show_diff()
            self.lay_out_ahead()

    def show_diff(self) -> None:
        diff = self.query_one("#diff", Prerendered)
        kept = self.diffs.get(self.backend) if self.diffs_of is self.pending else None
        if not self.pending:
            diff.update("")
        elif kept is None:
            diff.update(Text(f"{self.backend}: rendering…\n", style="dim"))
        elif diff.content is not kept[1].renderable:  # an update lays the screen out again
            diff.show(kept[1])

    @work(thread=True, exclusive=True, group="changes-xml")
    def render_xml(self, pending: Pending, width: int) -> None:
        lines = prerender(xml_shown(pending), width)
        self.app.call_from_thread(self._xml_ready, pending, lines)

    def _xml_ready(self, pending: Pending, lines: Lines) -> None:
        if pending is self.pending:
            self.xml, self.xml_of = lines, pending
            if self.composed:
                self.show_xml()
                self.lay_out_ahead()

    def show_xml(self) -> None:
        xml = self.query_one("#xml", Prerendered)
        if self.xml is not None and self.xml_of is self.pending:
            if xml.content is not self.xml.renderable:
                xml.show(self.xml)
        else:
            xml.update(Text("rendering…", style="dim") if self.pending.definitions else "")

    @on(Select.Changed, "#backend")
    def backend_chosen(self, event: Select.Changed) -> None:
        # A preview only: what Apply writes is chosen in the Apply dialog.
        value = event.select.value  # as it is now: a change posted earlier may be stale
        if isinstance(value, str) and value != self.backend:
            self.backend = value
            self.prepare()
            self.show_diff()

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
