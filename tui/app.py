"""The ifsmith TUI: the live interfaces as a tree, with details of the selection.

Built by ``make_app(host=…, source=…)`` so tests hand it a fixed fake source.  The live
state comes from a ``LiveSource`` (never netlink directly); changes arrive from a worker
that follows the source's change stream and re-reads the snapshot, debounced.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Footer, Header, Static, Tree
from textual.widgets.tree import TreeNode

from ifsmith.core.host import Host
from ifsmith.core.model import LinkState, LiveHost, LiveLink
from ifsmith.tui.source import LiveSource, NetnsSource

STATE_STYLE = {
    LinkState.UP: "green",
    LinkState.DOWN: "red",
    LinkState.LOWERLAYERDOWN: "yellow",
    LinkState.DORMANT: "yellow",
    LinkState.TESTING: "yellow",
    LinkState.NOTPRESENT: "red",
    LinkState.UNKNOWN: "",
}


def kind_label(link: LiveLink) -> str:
    """The type as an admin names it: bond, bridge, vlan 100, veth, ethernet."""
    if link.vlan_tag is not None:
        return f"vlan {link.vlan_tag}"
    if link.is_loopback:
        return "loopback"
    return link.kind or "ethernet"


def row_label(link: LiveLink) -> Text:
    """One tree row: name, type, link state in colour, global addresses."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{link.name:<16}", style="bold")
    text.append(f"{kind_label(link):<10}")
    state = str(link.operstate) if link.admin_up else "admin-down"
    text.append(
        f"{state:<15}", style=STATE_STYLE.get(link.operstate, "") if link.admin_up else "dim"
    )
    addresses = [str(a) for a in link.addresses if a.scope != "link"]
    if addresses:
        text.append(" ".join(addresses))
    return text


def tree_order(live: LiveHost, show_loopback: bool) -> list[tuple[LiveLink, list[LiveLink]]]:
    """Top-level links with their children; loopback only when asked for."""
    children = tree_children(live)
    placed = {c.name for kids in children.values() for c in kids}
    return [
        (link, children.get(link.name, []))
        for link in live.links
        if link.name not in placed and (show_loopback or not link.is_loopback)
    ]


def tree_children(live: LiveHost) -> dict[str, list[LiveLink]]:
    """Children by holder: ports and slaves under masters, VLANs under their parent.

    A VLAN with a master of its own (a bridge port) sits under that master.
    """
    by_name = live.by_name()
    children: dict[str, list[LiveLink]] = {}
    for link in live.links:
        if link.master in by_name:
            children.setdefault(link.master or "", []).append(link)
        elif link.vlan_tag is not None and link.parent in by_name:
            children.setdefault(link.parent or "", []).append(link)
    return children


class IfsmithApp(App[int]):
    """The main screen: interface tree on the left, details on the right."""

    CSS_PATH = "app.tcss"
    TITLE = "ifsmith"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("r", "refresh", "Refresh"),
        Binding("l", "toggle_loopback", "Loopback"),
        Binding("question_mark", "help", "Help"),
    ]

    show_loopback: reactive[bool] = reactive(False)

    def __init__(self, host: Host, source: LiveSource) -> None:
        super().__init__()
        self.host = host
        self.source = source
        self.live = LiveHost()
        self._debounce: object | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            tree: Tree[str] = Tree("interfaces", id="tree")
            tree.show_root = False
            tree.guide_depth = 2
            yield tree
            with VerticalScroll(id="details"):
                yield Static("", id="details-text")
        yield Static(self._status_text(), id="status")
        yield Footer()

    def _status_text(self) -> str:
        where = f"netns {self.host.netns}" if self.host.netns else "this namespace"
        mode = "" if os.geteuid() == 0 else "  read-only: not root"
        return f"{where}{mode}"

    def on_mount(self) -> None:
        if self.console.color_system in (None, "standard"):
            # The Linux console renders only the 8 basic colours (textual#5907).
            self.theme = "ansi-dark"
        self.sub_title = self.host.netns or ""
        self.reload()
        self.follow_changes()

    @work(exclusive=True, group="snapshot", thread=True)
    def reload(self) -> None:
        live = self.source.snapshot()
        self.call_from_thread(self.show, live)

    @work(exclusive=True, group="monitor")
    async def follow_changes(self) -> None:
        async for _change in self.source.changes():
            # Bursts (a bond with 8 slaves is dozens of events) become one re-read.
            if self._debounce is not None:
                self._debounce.stop()  # type: ignore[attr-defined]
            self._debounce = self.set_timer(0.1, self.reload)

    def show(self, live: LiveHost) -> None:
        """Rebuild the tree from a snapshot, keeping the selection."""
        self.live = live
        tree = self.query_one("#tree", Tree)
        selected = tree.cursor_node.data if tree.cursor_node is not None else None
        tree.clear()
        for link, children in tree_order(live, self.show_loopback):
            node = tree.root.add(row_label(link), data=link.name, expand=True)
            self._add_children(node, children, live)
        if not tree.root.children:
            tree.root.add_leaf(Text("no interfaces", style="dim"))
        self._select(tree, selected)
        self.update_details()

    def _add_children(
        self, node: TreeNode[str], children: Iterable[LiveLink], live: LiveHost
    ) -> None:
        order = tree_children(live)
        for child in children:
            grandchildren = order.get(child.name, [])
            if grandchildren:
                sub = node.add(row_label(child), data=child.name, expand=True)
                self._add_children(sub, grandchildren, live)
            else:
                node.add_leaf(row_label(child), data=child.name)

    def _select(self, tree: Tree[str], name: str | None) -> None:
        if name is None:
            tree.cursor_line = 0
            return
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            if node is not None and node.data == name:
                tree.move_cursor(node)
                return

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        self.update_details()

    def update_details(self) -> None:
        tree = self.query_one("#tree", Tree)
        details = self.query_one("#details-text", Static)
        name = tree.cursor_node.data if tree.cursor_node is not None else None
        link = self.live.link(name) if name else None
        if link is None:
            details.update("")
            return
        details.update(details_text(link, self.live))

    def action_refresh(self) -> None:
        self.reload()

    def action_toggle_loopback(self) -> None:
        self.show_loopback = not self.show_loopback

    def watch_show_loopback(self) -> None:
        if self.is_mounted:
            self.show(self.live)

    def action_help(self) -> None:
        self.notify(
            "q quit · r refresh · l show/hide loopback · arrows move · ctrl+p commands",
            title="Keys",
        )


def details_text(link: LiveLink, live: LiveHost) -> Text:
    """The details pane: the facts an admin looks for, then the live XML."""
    from ifsmith.core.live import interface_from_live
    from ifsmith.core.xmlio import to_xml

    text = Text()
    facts = [
        ("name", link.name),
        ("type", kind_label(link)),
        ("state", f"{link.operstate} ({'up' if link.admin_up else 'admin down'})"),
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
    text.append("\n")
    text.append(to_xml(interface_from_live(live, link.name)), style="cyan")
    return text


def make_app(host: Host | None = None, source: LiveSource | None = None) -> IfsmithApp:
    """The app for a Host (default: this namespace), reading from ``source``."""
    host = host or Host()
    return IfsmithApp(host, source or NetnsSource(host))


def run(host: Host, sandbox: bool = False) -> int:
    """Start the TUI (``ifsmith`` without a command)."""
    if sandbox:
        from ifsmith.core.errors import IfsmithError

        raise IfsmithError("--sandbox is not available yet in this build")
    app = make_app(host)
    # A closed ssh session sends SIGHUP; Textual does not handle it.  Exit cleanly.
    signal.signal(signal.SIGHUP, lambda *_: app.exit(0))
    return app.run() or 0
