"""The tree's rows as text: name (with its pending and standing marks), type, state,
addresses, in columns that line up at every depth.

Textual's Tree draws a nested row's guides (``├ ``) and an expandable row's ``▼ `` before
its label, so a label of fixed widths would start its columns further right the deeper it
sits.  ``Columns`` measures every row once (its prefix and name) and each label pads its
name to the same column.  The columns are as wide as their longest entry, so at 80
columns an address still fits beside a full state (``lowerlayerdown``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Span, Text

from ifsmith.core.model import IfType, Interface, LinkState, LiveLink
from ifsmith.tui.standing import DEFINED_ONLY

STATE_STYLE = {
    LinkState.UP: "green",
    LinkState.DOWN: "red",
    LinkState.LOWERLAYERDOWN: "yellow",
    LinkState.DORMANT: "yellow",
    LinkState.TESTING: "yellow",
    LinkState.NOTPRESENT: "red",
    LinkState.UNKNOWN: "",
}

# A pending change marks the name: changed, to be deleted, new.  Plain ASCII, so the
# Linux console and NO_COLOR show it too.
MARKS = {"*": "bold yellow", "-": "bold red strike", "+": "bold green"}

# What Tree draws before a label: a guide per level below the top, ▼/▶ before a row
# that has children (LinkTree.guide_depth and Tree's ICON_NODE are both two cells).
GUIDE = 2
ICON = 2


def kind_label(link: LiveLink) -> str:
    """The type as an admin names it: bond, bridge, vlan 100, veth, ethernet."""
    if link.vlan_tag is not None:
        return f"vlan {link.vlan_tag}"
    if link.is_loopback:
        return "loopback"
    return link.kind or "ethernet"


def state_label(link: LiveLink) -> str:
    """The state column: the operational state, or admin-down."""
    return str(link.operstate) if link.admin_up else "admin-down"


def prefix_width(depth: int, expandable: bool) -> int:
    """The cells Tree draws before the label of a row at ``depth`` (0: top level)."""
    return GUIDE * depth + (ICON if expandable else 0)


@dataclass(frozen=True)
class Columns:
    """Where the columns start: ``name`` counts from the tree's left edge (prefix
    included); ``kind`` and ``state`` are widths, a space after the longest."""

    name: int = 16
    kind: int = 10
    state: int = 15

    def name_width(self, prefix: int) -> int:
        return max(self.name - prefix, 1)


def measure(rows: list[tuple[int, str, str, str]]) -> Columns:
    """The columns for rows of (prefix width, name with its mark, kind, state): two
    spaces after the longest name, one after the others, never narrower than a short
    host's (``eth0``, ``bridge``, ``down``) so a row of two-letter names stays readable."""
    if not rows:
        return Columns()
    return Columns(
        name=max(10, max(prefix + len(name) for prefix, name, _k, _s in rows) + 2),
        kind=max(8, max(len(kind) for _p, _n, kind, _s in rows) + 1),
        state=max(5, max(len(state) for _p, _n, _k, state in rows) + 1),
    )


def row_label(
    link: LiveLink,
    mark: str = "",
    stand: str | None = None,
    columns: Columns = Columns(),
    prefix: int = 0,
) -> Text:
    """One tree row: name (with a pending mark), its standing (defined/running, when the
    files were read), type, link state in colour, addresses."""
    # One Text from the whole line and its spans: appending piece by piece cleans each
    # piece of control codes, and a snapshot of 2,000 links makes 2,000 of these.
    name = f"{link.name + mark:<{columns.name_width(prefix)}}"
    if stand is not None:
        name += f"{stand} "
    kind = f"{kind_label(link):<{columns.kind}}"
    state = f"{state_label(link):<{columns.state}}"
    addresses = " ".join(str(a) for a in link.addresses if a.scope != "link")
    style = STATE_STYLE.get(link.operstate, "") if link.admin_up else "dim"
    at = len(name) + len(kind)
    spans = [Span(0, len(link.name + mark), MARKS.get(mark, "bold"))]
    if style:
        spans.append(Span(at, at + len(state), style))
    return Text(name + kind + state + addresses, spans=spans, no_wrap=True, overflow="ellipsis")


def pending_mark(stand: str | None) -> str:
    """The mark of a definition only the pending set has (``+``), or that the files
    define without it running (``*``, changed)."""
    return "*" if stand == DEFINED_ONLY else "+"


def pending_label(
    iface: Interface, stand: str | None = None, columns: Columns = Columns(), prefix: int = 0
) -> Text:
    """A tree row for a definition that exists only in the pending set (and the files,
    when they define it without it running)."""
    mark = pending_mark(stand)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{iface.name + mark:<{columns.name_width(prefix)}}", style=MARKS[mark])
    if stand is not None:
        text.append(f"{stand if mark == '*' else ' '} ")
    text.append(f"{iface.type:<{columns.kind}}")
    text.append("pending", style="yellow")
    return text


def defined_label(
    name: str, kind: IfType, mark: str, columns: Columns = Columns(), prefix: int = 0
) -> Text:
    """A tree row for an interface the files define that does not run."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{name + mark:<{columns.name_width(prefix)}}", style=MARKS.get(mark, "bold"))
    text.append(f"{DEFINED_ONLY} {kind:<{columns.kind}}")
    text.append("not running", style="dim")
    return text
