"""The ifsmith TUI: the live interfaces as a tree, with details of the selection.

Built by ``make_app(host=…, source=…)`` so tests hand it a fixed fake source.  The live
state comes from a ``LiveSource`` (never netlink directly); changes arrive from a worker
that follows the source's change stream and re-reads the snapshot, debounced.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.widgets import Footer, Header, Static

from ifsmith.core.host import Host
from ifsmith.core.model import IfType, Interface, LinkState, LiveHost, LiveLink
from ifsmith.tui.pending import Layout, Pending, layout
from ifsmith.tui.screens.changes import LIVE_ONLY
from ifsmith.tui.session import SessionApp
from ifsmith.tui.source import LiveSource, NetnsSource
from ifsmith.tui.standing import Standing, standing
from ifsmith.tui.widgets.details import Details
from ifsmith.tui.widgets.linktree import LinkTree, Row
from ifsmith.tui.widgets.routes import route_facts
from ifsmith.tui.widgets.rowlabels import (
    defined_label,
    kind_label,
    measure,
    pending_label,
    pending_mark,
    prefix_width,
    row_label,
    state_label,
)
from ifsmith.tui.widgets.search import SearchLine

if TYPE_CHECKING:
    from textual.driver import Driver as TextualDriver

    from ifsmith.core.probe import Target
    from ifsmith.tui.screens.apply import ApplyChoice
    from ifsmith.tui.screens.form_base import InterfaceForm

# (key, action, footer label, shown in the footer, what it does — for help and the palette),
# in footer order; keys of one group sit together under one label (GROUPS), so the whole
# footer fits 80 columns.
KEYS: list[tuple[str, str, str, bool, str]] = [
    ("e", "edit", "Edit", True, "edit the selected interface (ethernet, bond, bridge, VLAN)"),
    ("b", "new_bond", "Bond", True, "new bond from free ethernets"),
    ("B", "new_bridge", "Bridge", True, "new bridge (also g)"),
    ("v", "new_vlan", "VLAN", True, "new VLAN on a parent"),
    ("d", "delete", "Del", True, "delete the selected interface (pending)"),
    ("i", "bridge_this", "Bridge it", True, "put the selected interface into a new bridge"),
    ("u", "unbridge", "Unbridge", True, "take the only port out of the selected bridge"),
    ("c", "changes", "Review", True, "review pending changes: XML and files per backend"),
    (
        "equals_sign",
        "drift",
        "Review",
        True,
        "defined vs running: the selection's differences (tree: ~ differ, d defined only, "
        "r running only)",
    ),
    ("a", "apply", "Apply", True, "apply pending changes with automatic rollback"),
    ("x", "export", "Export", True, "write the pending XML (or the selection's) to a file"),
    ("o", "import", "Import", True, "read an XML file into the pending changes"),
    ("question_mark", "help", "Help", True, "this help"),
    ("q", "quit", "Quit", True, "quit (asks first when changes are pending)"),
    ("g", "new_bridge", "Bridge", False, "new bridge"),
    ("r", "refresh", "Refresh", False, "re-read the live state"),
    ("l", "toggle_loopback", "Loopback", False, "show or hide loopback"),
    ("slash", "search", "Search", False, "filter the tree by name (Enter keeps, Esc clears)"),
    ("m", "messages", "Messages", False, "every message and error of this session, with time"),
]
NEW = Binding.Group("New", compact=True)
BRIDGING = Binding.Group("Bridge/un", compact=True)
XML_FILES = Binding.Group("XML file", compact=True)
REVIEW = Binding.Group("Review", compact=True)
GROUPS = {"b": NEW, "B": NEW, "v": NEW, "i": BRIDGING, "u": BRIDGING,
          "c": REVIEW, "equals_sign": REVIEW, "x": XML_FILES, "o": XML_FILES}  # fmt: skip


def read_only_reason() -> str | None:
    """Why this process may not change the network, or None."""
    from ifsmith.core.host import root_check_skipped

    if os.geteuid() != 0 and not root_check_skipped():
        return "not root"
    return None


class IfsmithApp(SessionApp):
    """The main screen: interface tree on the left, details on the right."""

    # Every screen's stylesheet up front: a screen bringing a new one makes Textual restyle
    # the whole app when it first opens.
    CSS_PATH = [
        "app.tcss",
        "screens/forms.tcss",
        "screens/changes.tcss",
        "screens/apply.tcss",
        "screens/dialogs.tcss",
        "screens/help.tcss",
    ]
    TITLE = "ifsmith"
    BINDINGS = [
        Binding(
            key,
            action,
            label,
            show=show,
            tooltip=what,
            group=GROUPS.get(key),
            # / takes the keys typed after it at once (check_action: on the tree only).
            priority=key == "slash",
        )
        for key, action, label, show, what in KEYS
    ] + [Binding("escape", "clear_search", "Clear the filter", show=False)]

    show_loopback: reactive[bool] = reactive(False)

    def __init__(
        self,
        host: Host,
        source: LiveSource,
        read_only: str | None = None,
        unmakeable: dict[IfType, str] | None = None,
    ) -> None:
        super().__init__()
        # Over ssh and on the console, smooth scrolling is frames nobody wants: End on
        # 2,000 links rendered the tree a dozen times.
        self.animation_level = "none"
        self.host = host
        self.source = source
        self.live = LiveHost()
        self.pending = Pending()
        self.read_only = read_only
        self.backend = LIVE_ONLY
        self.backend_names: list[str] = []
        self._debounce: object | None = None
        self.forms: dict[IfType, InterfaceForm] = {}
        self._labels: dict[str, tuple[LiveLink, str, Text]] = {}
        self.footer = Footer(compact=True)
        self._status: Text | None = None  # the status line's text as shown
        self._all_rows: tuple[tuple[object, ...], list[Row]] | None = None
        self._prepared = False
        self._view: tuple[tuple[LiveHost, Pending, list[Interface]], Layout] | None = None
        # What the host's files define (read once at start-up through the detected
        # stack) and each interface's standing against the live state.
        self.defined: list[Interface] = []
        self.definitions_read = False
        self.standing = Standing()
        # Kinds this kernel cannot make, with the reason (``tui.kinds``): not offered.
        self.unmakeable: dict[IfType, str] = dict(unmakeable or {})

    def get_driver_class(self) -> type[TextualDriver]:
        from textual.drivers.linux_driver import LinuxDriver

        driver = super().get_driver_class()
        if driver is LinuxDriver:  # not headless tests, not a driver named by TEXTUAL_DRIVER
            from ifsmith.tui.driver import Driver

            return Driver
        return driver

    def compose(self) -> ComposeResult:
        yield Header(icon="*")
        with Horizontal(id="main"):
            yield LinkTree(self.update_details, id="tree")
            with VerticalScroll(id="details"):
                yield Details(id="details-text")
        yield SearchLine(self.close_search)
        yield Static(self._status_text(), id="status")
        yield self.footer

    def _status_text(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"netns {self.host.netns}" if self.host.netns else "this namespace")
        if self.search:  # before the root: a long path must not hide it at 80 columns
            text.append(f"  filter '{self.search}' (/ change, esc clear)", style="bold")
        if not self.host.is_real_root:
            text.append(f"  root {self.host.root}")
        if self.pending:
            n = len(self.pending)
            text.append(
                f"  {n} pending change{'s' if n != 1 else ''} (c review, a apply)",
                style="bold yellow",
            )
        if self.read_only:
            text.append(f"  read-only: {self.read_only}; apply is disabled", style="bold red")
        return text

    def on_mount(self) -> None:
        from ifsmith.tui.widgets.console import is_linux_console

        if self.console.color_system in (None, "standard"):
            # The Linux console renders only the 8 basic colours (textual#5907).
            self.theme = "ansi-dark"
        if is_linux_console():
            self.add_class("linux-console")  # app.tcss: only glyphs its font has
        if self.no_color:
            self.add_class("no-color")  # app.tcss: styles that say what colour said
        self.sub_title = self.host.netns or ""
        if self.unmakeable:
            self.notify("\n".join(self.unmakeable.values()), title="not offered", timeout=10)
        self.reload()
        self.follow_changes()
        self.detect_backend()

    def on_resize(self, event: events.Resize) -> None:
        # Every key fits 80 columns; the palette's hint (ctrl+p, also in help) only where
        # there is room beside them.
        self.footer.show_command_palette = event.size.width >= 100
        # Below 100 columns the tree takes three fifths: an address beside a full state.
        self.set_class(event.size.width < 100, "narrow")

    @work(exclusive=True, group="snapshot", thread=True)
    def reload(self) -> None:
        live = self.source.snapshot()
        # Drift is computed here, off the UI thread: a few ms per hundred definitions.
        marks = standing(self.defined, live) if self.definitions_read else None
        self.call_from_thread(self.show, live, marks)

    @work(exclusive=True, group="backend", thread=True)
    def detect_backend(self) -> None:
        from ifsmith import backends

        names = backends.available()
        detected = backends.detect(self.host)
        defined: list[Interface] = []
        problems: list[str] = []
        if detected is not None:
            from ifsmith.core.errors import IfsmithError
            from ifsmith.core.files import HostFiles

            try:
                defined, problems = backends.get(detected).read_report(HostFiles(self.host))
            except (IfsmithError, OSError, ValueError) as exc:
                problems = [f"{detected}: the files could not be read: {exc}"]
        self.call_from_thread(self._backends_known, names, detected, defined, problems)

    def _backends_known(
        self, names: list[str], detected: str | None, defined: list[Interface], problems: list[str]
    ) -> None:
        self.backend_names = names
        if self.backend == LIVE_ONLY:  # the detected stack: Apply writes its files first
            self.backend = detected or LIVE_ONLY
        if detected is not None:
            self.defined = defined
            self.definitions_read = True
            self.reload()  # the tree again, with the marks
        if problems:
            shown = "\n".join(problems[:5]) + (
                f"\n(+{len(problems) - 5} more)" if len(problems) > 5 else ""
            )
            self.notify(shown, title=f"{detected}: lines not used", severity="warning", timeout=10)

    @work(exclusive=True, group="monitor")
    async def follow_changes(self) -> None:
        async for _change in self.source.changes():
            # Bursts (a bond with 8 slaves is dozens of events) become one re-read.
            if self._debounce is not None:
                self._debounce.stop()  # type: ignore[attr-defined]
            self._debounce = self.set_timer(0.1, self.reload)

    # -- the tree -------------------------------------------------------------------

    def show(self, live: LiveHost, marks: Standing | None = None) -> None:
        """Show a snapshot (with its standing): the tree updated in place, the details,
        the status line."""
        self.live = live
        if marks is not None:
            self.standing = marks
        self.query_one("#tree", LinkTree).show(self.rows(live), filtered=bool(self.search))
        self.update_details()
        text = self._status_text()
        if text != self._status:  # Static.update lays out the whole screen again
            self._status = text
            self.query_one("#status", Static).update(text)
        if live.links and not self._prepared:
            self._prepared = True
            self.call_after_refresh(self.prepare)

    def rows(self, live: LiveHost) -> list[Row]:
        """The tree's rows: the host as it will be once the pending changes apply, each
        slave, port and VLAN under what holds it, pending new ones among the live; only
        what the search keeps (a match, what holds one, and what a match holds)."""
        view = self.view(live)
        wanted = self.search.lower()
        # The unfiltered rows of this view, kept: Esc on a filter shows them again.
        key = (view, self.standing, self.show_loopback)
        if not wanted and self._all_rows is not None:
            if all(a is b for a, b in zip(self._all_rows[0], key, strict=True)):
                return self._all_rows[1]
        children = view.children()
        links = live.by_name()
        marks = {c.name: "-" for c in self.pending.changes if c.is_deletion}
        for name in view.defined:
            marks[name] = "*" if name in links or name in self.standing.marks else "+"
        stand = self.standing
        hidden = () if self.show_loopback else view.loopback

        # Which rows show, at which depth: (name, prefix width, its children shown).
        shown: list[tuple[str, int, tuple[str, ...]]] = []

        def keep(name: str, depth: int, matched: bool) -> bool:
            matched = matched or wanted in name.lower()
            at = len(shown)
            shown.append((name, 0, ()))
            kids = tuple(c for c in children.get(name, ()) if keep(c, depth + 1, matched))
            if not (matched or kids):
                del shown[at:]
                return False
            shown[at] = (name, prefix_width(depth, bool(kids)), kids)
            return True

        for name in view.top():
            if name not in hidden:
                keep(name, 0, not wanted)

        def columns_of(name: str) -> tuple[str, str, str]:
            """Name with its mark, kind, state: what the columns must hold."""
            link = links.get(name)
            if link is not None:
                return name + marks.get(name, ""), kind_label(link), state_label(link)
            pending = view.defined.get(name)
            if pending is not None:
                return name + pending_mark(stand.mark(name)), str(pending.type), "pending"
            return name + marks.get(name, ""), str(view.types[name]), "not running"

        columns = measure([(prefix, *columns_of(name)) for name, prefix, _k in shown])
        by_name = {name: (prefix, kids) for name, prefix, kids in shown}
        labels: dict[str, tuple[LiveLink, str, Text]] = {}
        widths = f"{columns.name},{columns.kind},{columns.state},"

        def label(link: LiveLink, mark: str, prefix: int) -> Text:
            # The same link (often the same object) keeps its label: making 2,000 was
            # most of the cost of a re-read or of showing loopback.
            marked = f"{mark}{stand.mark(link.name) or ''}{widths}{prefix}"
            known = self._labels.get(link.name)
            if known is not None and known[1] == marked and (known[0] is link or known[0] == link):
                text = known[2]
            else:
                text = row_label(link, mark, stand.mark(link.name), columns, prefix)
            labels[link.name] = (link, marked, text)
            return text

        def row(name: str) -> Row:
            prefix, names = by_name[name]
            kids = tuple(row(child) for child in names)
            link = links.get(name)
            if link is not None:
                return Row(name, label(link, marks.get(name, ""), prefix), kids)
            pending = view.defined.get(name)
            if pending is not None:
                return Row(name, pending_label(pending, stand.mark(name), columns, prefix), kids)
            text = defined_label(name, view.types[name], marks.get(name, ""), columns, prefix)
            return Row(name, text, kids)

        rows = [row(name) for name in view.top() if name in by_name]
        if wanted:
            # Filtered: the hidden rows' labels are kept for when the filter goes.
            self._labels.update(labels)
        else:
            self._labels = labels
            self._all_rows = (key, rows)
        if not rows and wanted:
            return [Row(None, Text(f"no interface matches '{self.search}'", style="dim"))]
        return rows or [Row(None, Text("no interfaces", style="dim"))]

    def view(self, live: LiveHost | None = None) -> Layout:
        """The host once the pending changes apply (kept while live, pending and the
        definitions stay)."""
        key = (self.live if live is None else live, self.pending, self.defined)
        if self._view is None or any(a is not b for a, b in zip(self._view[0], key, strict=True)):
            self._view = (key, layout(*key))
        return self._view[1]

    def selected(self) -> str | None:
        """The name under the tree's cursor."""
        tree = self.query_one("#tree", LinkTree)
        return tree.cursor_node.data if tree.cursor_node is not None else None

    def update_details(self) -> None:
        """Show the selection in the details pane."""
        details = self.query_one("#details-text", Details)
        name = self.selected()
        change = self.pending.get(name) if name else None
        if change is not None and change.interface is not None:
            details.show(pending_details(change.interface))
            return
        link = self.live.link(name) if name else None
        if name is None:
            details.show(Text())
        elif link is not None:
            details.show(details_text(link, self.live, self.standing, self.definition(name)))
        elif (nested := self.view().defined.get(name)) is not None:  # inside a pending one
            details.show(pending_details(nested))
        else:
            details.show(defined_details(self.definition(name), self.standing.describe(name)))

    def action_refresh(self) -> None:
        self.reload()

    def action_toggle_loopback(self) -> None:
        self.show_loopback = not self.show_loopback

    def watch_show_loopback(self) -> None:
        if self.is_mounted:
            self.show(self.live)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "search":  # a priority key: in a form's field, / is a character
            return self.screen is self.screen_stack[0] and isinstance(self.focused, LinkTree)
        return True

    def show_tree(self) -> None:
        self.show(self.live)

    def focus_tree(self) -> None:
        self.screen.set_focus(self.query_one("#tree", LinkTree))

    def pending_count(self) -> int:
        return len(self.pending)

    # -- pending changes ------------------------------------------------------------

    def set_pending(self, pending: Pending) -> None:
        """Replace the pending set and show it."""
        self.pending = pending
        self.show(self.live)

    def discard(self, name: str) -> None:
        self.set_pending(self.pending.discard(name))

    def discard_all(self) -> None:
        self.set_pending(Pending())

    def definition(self, name: str) -> Interface | None:
        """What an admin edits: the pending definition, else the files' one, else one
        derived from what the kernel runs (leases as ``<dhcp/>``)."""
        from ifsmith.core.definition import definition_of

        change = self.pending.get(name)
        if change is not None:
            return change.interface
        return definition_of(self.defined, self.live, name)

    def known_names(self) -> set[str]:
        return {lnk.name for lnk in self.live.links} | {
            i.name for d in (*self.defined, *self.pending.definitions) for i, _m in d.walk()
        }

    def form(self, kind: IfType) -> InterfaceForm:
        """The form of this kind: one each, made on first use and refilled after."""
        from ifsmith.tui.screens.forms import FORMS

        form = self.forms.get(kind)
        if form is None:
            form = self.forms[kind] = FORMS[kind](self.live)
            self.install_screen(form, f"form-{kind}")  # installed: kept when closed
        return form

    @work(exclusive=True, group="prepare")
    async def prepare(self) -> None:
        """Compose and lay out the forms while the admin reads the tree, one at a time
        (keys are answered in between): the first opening of a form cost 70–120 ms with
        2,000 links, the next ones ~30."""
        for kind in IfType:
            if kind not in self.forms:  # else opened already (and loaded) by the admin
                form = self.form(kind)
                await AwaitMount(form, self._register(self, form))
                if not (self.screen_stack and form.is_attached and form.is_running):
                    return  # the app is closing
                # Not when opened meanwhile (filled then), nor while its fields are still
                # being composed (a loaded system: load() fills it when it opens).
                if not form.is_current and form.query("#fields"):
                    form.fill()
                    # The layout at the terminal's size: the pickers measure their options.
                    form._refresh_layout(self.size)
            await asyncio.sleep(0)
        from ifsmith.tui.screens.apply import kept_apply_dialog

        # The Apply dialog too (Review, with a footer of its own, is kept once opened).
        for screen in (kept_apply_dialog(self),):
            if not screen.is_attached:
                await AwaitMount(screen, self._register(self, screen))
                if not (self.screen_stack and screen.is_running):
                    return  # the app is closing
                screen._refresh_layout(self.size)
        # What is alive now (Textual, the widgets, the first tree, the forms) lives as long
        # as the app: the collector need not walk it again.  Its full passes took 10–30 ms
        # with 2,000 links, and landed in the middle of a key's answer.
        gc.freeze()

    def open_form(self, kind: IfType, original: Interface | None) -> None:
        others = self.pending.discard(original.name) if original is not None else self.pending
        form = self.form(kind)
        form.load(self.live, original, others, self.known_names(), self.selected(), self.defined)

        def done(result: Interface | None) -> None:
            if result is not None:
                pending = self.pending
                # Subordinates now nested in this definition are no longer separate changes;
                # what a slave or port cannot keep of its own is said, not just gone.
                gave_up = []
                for sub, master in result.walk():
                    change = pending.get(sub.name) if master is not None else None
                    if change is not None:
                        pending = pending.discard(sub.name)
                        own = change.interface
                        if own is not None and (own.protocols or own.mtu or own.start_mode):
                            gave_up.append(sub.name)
                self.set_pending(pending.define(result))
                self.notify(f"{result.name}: pending (c to review, a to apply)")
                if gave_up:
                    self.notify(
                        f"{', '.join(gave_up)}: pending addressing, MTU and start mode "
                        f"dropped; {result.name} sets them now",
                        severity="warning",
                    )

        self.push_screen(form, done)

    def action_edit(self) -> None:
        name = self.selected()
        if name is None:
            return
        if self.refuse_held(name):
            return
        original = self.definition(name)
        if original is None:
            self.notify(
                f"{name} is marked for deletion; discard that change first", severity="warning"
            )
            return
        self.open_form(original.type, original)

    def refuse_held(self, name: str) -> bool:
        """Say so when a bond or bridge holds ``name`` (live, or once pending changes
        apply): it is changed through that master."""
        view = self.view()
        master = view.masters.get(name)
        if master is None:
            return False
        role = "slave" if view.types.get(master) is IfType.BOND else "port"
        self.notify(f"{name} is a {role} of {master}: edit {master}", severity="warning")
        return True

    def cannot_make(self, kind: IfType) -> bool:
        """Say so when this kernel cannot make ``kind`` (then no form is offered)."""
        why = self.unmakeable.get(kind)
        if why is not None:
            self.notify(why, severity="warning")
        return why is not None

    def action_new_bond(self) -> None:
        if not self.cannot_make(IfType.BOND):
            self.open_form(IfType.BOND, None)

    def action_new_bridge(self) -> None:
        if not self.cannot_make(IfType.BRIDGE):
            self.open_form(IfType.BRIDGE, None)

    def action_new_vlan(self) -> None:
        if not self.cannot_make(IfType.VLAN):
            self.open_form(IfType.VLAN, None)

    def action_delete(self) -> None:
        name = self.selected()
        if name is None:
            return
        if self.live.link(name) is None and name not in self.standing.marks:
            if self.pending.get(name) is None and self.refuse_held(name):
                return  # only pending, inside another definition
            self.set_pending(self.pending.discard(name))  # only ever pending: forget it
            self.notify(f"{name}: pending definition discarded")
            return
        self.set_pending(self.pending.delete(name))
        self.notify(f"{name}: deletion pending (c to review, a to apply)")

    def action_bridge_this(self) -> None:
        from ifsmith.tui.cmd_txn import bridge_of
        from ifsmith.tui.screens.dialogs import BridgeThis

        name = self.selected()
        original = self.definition(name) if name else None
        if name is None or original is None or self.cannot_make(IfType.BRIDGE):
            return
        if original.type is IfType.BRIDGE or name in self.view().masters:
            self.notify(f"{name} cannot become a bridge port here", severity="warning")
            return

        def done(result: tuple[str, bool] | None) -> None:
            if result is not None:
                bridge, stp = result
                link = self.live.link(name)
                bridged = bridge_of(original, bridge, stp, None, link.mac if link else None)
                self.set_pending(self.pending.discard(name).define(bridged))
                self.notify(f"{bridge}: pending, with {name} as its port")

        self.push_screen(BridgeThis(name, self.known_names()), done)

    def action_unbridge(self) -> None:
        name = self.selected()
        bridge = self.definition(name) if name else None
        if name is None or bridge is None or bridge.bridge is None:
            self.notify("select a bridge to unbridge", severity="warning")
            return
        if len(bridge.bridge.ports) != 1:
            self.notify(
                f"{name} has {len(bridge.bridge.ports)} ports; unbridge needs exactly one",
                severity="warning",
            )
            return
        port = dataclasses.replace(
            bridge.bridge.ports[0],
            start_mode=bridge.start_mode,
            mtu=bridge.mtu,
            protocols=bridge.protocols,
        )
        self.set_pending(self.pending.delete(name).define(port))
        self.notify(f"{name}: removal pending; {port.name} takes its addresses")

    def action_changes(self) -> None:
        from ifsmith.tui.screens.changes import review_screen

        self.push_screen(review_screen(self))

    def action_drift(self) -> None:
        from ifsmith.tui.screens.dialogs import TextDialog

        name = self.selected()
        if name is None:
            return
        lines = self.standing.lines.get(name, [])
        body = "\n".join(lines) if lines else "no differences"
        self.push_screen(TextDialog(f"{name}: {self.standing.describe(name, hint='')}", body))

    def action_export(self) -> None:
        from ifsmith.tui.screens.dialogs import PathDialog

        name = self.selected()
        several = len(self.pending.definitions) > 1
        if self.pending.definitions:
            what, default = "the pending definitions", "ifsmith-pending.xml"
        elif name is not None and self.definition(name) is not None:
            what, default = f"{name}'s definition", f"{name}.xml"
        else:
            self.notify("nothing to export", severity="warning")
            return

        def done(path: str | None) -> None:
            if path is None:
                return
            if several and (path.endswith("/") or Path(path).is_dir()):
                self.export_each(Path(path))
                return
            try:
                Path(path).write_text(self.export_xml(name))
            except OSError as exc:
                self.notify(f"{path}: {exc.strerror}", severity="error")
                return
            if several:
                self.notify(
                    f"wrote {what} to {path} (ifsmith import/apply read it); virsh "
                    "iface-define takes one interface a file: export to a directory "
                    "(ending in /) for one file each",
                    timeout=15,
                )
            else:
                self.notify(f"wrote {what} to {path}")

        title = f"Export {what}"
        if several:
            title += "\n(a directory/ writes one NAME.xml each, for virsh iface-define)"
        self.push_screen(PathDialog(title, default), done)

    def export_each(self, folder: Path) -> None:
        """One file per pending definition, as ``virsh iface-define`` takes them."""
        from ifsmith.core.xmlio import to_xml

        written = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for iface in self.pending.definitions:
                (folder / f"{iface.name}.xml").write_text(to_xml(iface))
                written.append(f"{iface.name}.xml")
        except OSError as exc:
            self.notify(f"{exc.filename or folder}: {exc.strerror}", severity="error")
            return
        self.notify(
            f"wrote {', '.join(written)} to {folder}; for each: virsh iface-define "
            f"{folder}/NAME.xml",
            timeout=15,
        )

    def export_xml(self, name: str | None) -> str:
        """The pending definitions as a document, else the selection's definition."""
        from ifsmith.core.xmlio import to_document, to_xml

        if self.pending.definitions:
            return to_document(self.pending.definitions)
        iface = self.definition(name) if name is not None else None
        assert iface is not None
        return to_xml(iface)

    def action_import(self) -> None:
        from ifsmith.tui.screens.dialogs import PathDialog

        self.push_screen(
            PathDialog("Import interface XML into the pending changes"), self.import_file
        )

    def import_file(self, path: str | None) -> None:
        """Parse and check a file; add it to the pending set or say what is wrong."""
        from ifsmith.core.checks import check, errors
        from ifsmith.core.errors import IfsmithError
        from ifsmith.core.xmlio import parse_file

        if path is None:
            return
        try:
            interfaces = parse_file(path)
        except (IfsmithError, OSError) as exc:
            self.notify(f"{path}: {exc}", severity="error", timeout=10)
            return
        bad = errors(check(interfaces, self.known_names()))
        if bad:
            self.notify(
                "\n".join(str(p) for p in bad[:5]), title=path, severity="error", timeout=10
            )
            return
        from ifsmith.core.definition import keep_defined

        # Absent is not "off": a document silent about the start mode keeps the files'.
        self.set_pending(self.pending.replace_all(keep_defined(interfaces, self.defined)))
        self.notify(f"{path}: {len(interfaces)} definition(s) pending")

    # -- apply ----------------------------------------------------------------------

    def action_apply(self) -> None:
        if self.read_only:
            self.notify(f"read-only ({self.read_only}): apply is disabled", severity="error")
            return
        if not self.pending:
            self.notify("nothing pending to apply", severity="warning")
            return
        self.prepare_apply(self.pending, self.backend)

    def prepare_apply(self, pending: Pending, backend: str) -> None:
        """Ask at once: the dialog plans, finds the probe targets and renders the files of
        the backend chosen there (BACKEND, the detected stack, first) in its workers."""
        from ifsmith.tui.screens.apply import apply_dialog

        def confirmed(choice: ApplyChoice | None) -> None:
            if choice is not None and choice.live is not None:
                targets = [*choice.targets, *choice.extra]
                self.start_apply(pending, choice.backend, choice.live, targets,
                                 choice.confirm_timeout)  # fmt: skip

        self.push_screen(apply_dialog(self, backend), confirmed)

    @work(thread=True, exclusive=True, group="apply")
    def start_apply(
        self,
        pending: Pending,
        backend: str,
        live: LiveHost,
        targets: list[Target],
        timeout: float,
    ) -> None:
        """Checkpoint and start the watchdog, then follow it on the progress screen."""
        from ifsmith.core import txn as txnmod
        from ifsmith.core.errors import IfsmithError
        from ifsmith.core.probe import unique
        from ifsmith.core.resolver import for_change
        from ifsmith.tui.screens.apply import ApplyProgress, activation, settle_for
        from ifsmith.tui.screens.changes import pending_xml, render_pending

        defs = pending.definitions
        try:
            rendering = (
                render_pending(self.host, backend, pending) if backend != LIVE_ONLY else None
            )
            mode = activation(backend, self.host)
            # DNS for the running resolver, as `ifsmith apply` hands it (kernel activation).
            dns = (for_change(self.host, defs, self.defined, pending.deletions)[0]
                   if mode == "kernel" else None)  # fmt: skip
            request = txnmod.Request(
                action="apply",
                names=[d.name for d in defs],
                desired_xml=pending_xml(pending) or "<interfaces/>\n",
                rendering=rendering,
                backend=None if backend == LIVE_ONLY else backend,
                activate=mode,
                confirm_timeout=timeout,
                settle=settle_for(defs, before=live),
                probes=[t.to_json() for t in unique(targets)],
                remove=pending.deletions,
                resolver=dns,
            )
            txn = txnmod.begin(self.host, request, live)
        except (IfsmithError, ValueError, OSError) as exc:
            self.call_from_thread(self.notify, f"not applied: {exc}", severity="error", timeout=10)
            return
        self.call_from_thread(self.push_screen, ApplyProgress(self.host, txn), self.applied)

    def applied(self, state: str | None) -> None:
        if state == "committed":
            self.pending = Pending()
        self.reload()
        self.detect_backend()  # the files changed (or went back): their definitions again

    # -- help and the command palette -----------------------------------------------

    def action_help(self) -> None:
        from ifsmith.tui.screens.help import HelpScreen

        shown = {"question_mark": "?", "equals_sign": "="}
        shown["slash"] = "/"
        keys = [(shown.get(k, k), what) for k, _a, _l, _s, what in KEYS]
        keys += [("ctrl+p", "command palette"), ("arrows", "move"), ("esc", "close a form")]
        mode = (
            f"Read-only: {self.read_only}; apply is disabled."
            if self.read_only
            else "You are root: apply is enabled."
        )
        if self.unmakeable:
            mode += "\nNot offered: " + "; ".join(self.unmakeable.values()) + "."
        self.push_screen(HelpScreen(keys, mode))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        seen = set()
        for _key, action, label, _show, what in KEYS:
            if action in seen or action in ("quit", "help"):
                continue
            seen.add(action)
            yield SystemCommand(label, what, getattr(self, f"action_{action}"))


def state_words(link: LiveLink) -> str:
    """The link state for the details pane: "up", or the state with the admin's setting
    ("down (admin up)", "down (admin down)")."""
    if link.admin_up and link.operstate is LinkState.UP:
        return "up"
    return f"{link.operstate} (admin {'up' if link.admin_up else 'down'})"


def defined_details(iface: Interface | None, words: str) -> Text:
    """The details pane for an interface that only the files define: their XML."""
    from ifsmith.core.xmlio import to_xml

    text = Text()
    text.append(f"{'definition':<13}", style="bold")
    text.append(f"{words}\n")
    for label, value in route_facts(iface, None):
        text.append(f"{label:<13}", style="bold")
        text.append(f"{value}\n")
    text.append("\n")
    if iface is not None:
        text.append(to_xml(iface), style="cyan")
    return text


def pending_details(iface: Interface) -> Text:
    """The details pane for a pending definition: its XML."""
    from ifsmith.core.xmlio import to_xml

    text = Text()
    text.append("pending definition (not applied yet)\n\n", style="bold yellow")
    text.append(to_xml(iface), style="cyan")
    return text


def details_text(
    link: LiveLink,
    live: LiveHost,
    marks: Standing | None = None,
    definition: Interface | None = None,
) -> Text:
    """The details pane: the facts an admin looks for, then the XML: the definition with
    the live link state beside it, as ``dumpxml`` shows it (else the live XML)."""
    from ifsmith.core.definition import with_live
    from ifsmith.core.live import interface_from_live
    from ifsmith.core.xmlio import to_xml

    text = Text()
    if marks is not None and marks.known:
        text.append(f"{'definition':<13}", style="bold")
        text.append(f"{marks.describe(link.name)}\n")
    facts = [
        ("name", link.name),
        ("type", kind_label(link)),
        ("state", state_words(link)),
        ("carrier", "-" if link.carrier is None else ("yes" if link.carrier else "no")),
        ("speed", f"{link.speed} Mb/s" if link.speed else "-"),
        ("mtu", str(link.mtu or "-")),
        ("mac", link.mac or "-"),
        ("master", link.master or "-"),
    ]
    if link.parent and link.vlan_tag is not None:
        facts.append(("parent", link.parent))
    if link.bond is not None:
        facts.append(("bond mode", str(link.bond.mode)))
        facts.append(("active slave", link.bond.active_slave or "-"))
    for label, value in facts:
        text.append(f"{label:<13}", style="bold")
        text.append(f"{value}\n")
    for address in link.addresses:
        text.append(f"{'address':<13}", style="bold")
        text.append(f"{address} ({address.scope})\n")
    for family, gateway in live.gateways(link.name).items():
        text.append(f"{'gateway':<13}", style="bold")
        text.append(f"{gateway} ({family})\n")
    for label, value in route_facts(definition, live.static_routes(link.name)):
        text.append(f"{label:<13}", style="bold")
        text.append(f"{value}\n")
    text.append("\n")
    shown = with_live(definition, live) if definition is not None else None
    text.append(to_xml(shown or interface_from_live(live, link.name)), style="cyan")
    return text


def make_app(
    host: Host | None = None,
    source: LiveSource | None = None,
    read_only: str | bool | None = True,
    unmakeable: dict[IfType, str] | None = None,
) -> IfsmithApp:
    """The app for a Host (default: this namespace), reading from ``source``.

    ``read_only`` True (the default) decides by the user (not root → read-only); a string
    forces read-only with that reason, None or False allows applying.  ``unmakeable``:
    the kinds this kernel cannot make, with why (``tui.kinds``); not offered.
    """
    host = host or Host()
    reason = read_only_reason() if read_only is True else (read_only or None)
    return IfsmithApp(host, source or NetnsSource(host), reason, unmakeable)


def run(host: Host, sandbox: bool = False) -> int:
    """Start the TUI (``ifsmith`` without a command); ``sandbox`` opens it in a scratch lab."""
    from ifsmith.tui.widgets.console import is_linux_console, use_console_glyphs

    if is_linux_console():
        use_console_glyphs()
    from ifsmith.tui import kinds

    if sandbox:
        from ifsmith.tui.sandbox import sandbox as scratch

        with scratch() as lab:
            # The lab's namespace is ours: the kernel itself says what it can make.
            return _run_app(make_app(lab, unmakeable=kinds.probe(lab.netns or "")))
    return _run_app(make_app(host, unmakeable=kinds.from_modules()))


def _hang_up(app: IfsmithApp) -> None:
    """The terminal is gone: exit cleanly, and for certain within a few seconds.

    Textual's exit writes to the dead terminal and has been seen to hang there; a process
    left behind by a dropped ssh session is worse than skipping the last cleanup.
    """
    import threading

    def force() -> None:
        time.sleep(5)
        os._exit(129)

    threading.Thread(target=force, daemon=True).start()
    app.call_later(app.exit, 0)


def _run_app(app: IfsmithApp) -> int:
    # A closed ssh session sends SIGHUP; Textual does not handle it.  Exit cleanly, so
    # the caller's cleanup (the sandbox's namespaces) still runs.
    previous = signal.signal(signal.SIGHUP, lambda *_: _hang_up(app))
    try:
        return app.run() or 0
    finally:
        signal.signal(signal.SIGHUP, previous)
