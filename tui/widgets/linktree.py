"""The interface tree, updated in place.

A netlink event re-reads the snapshot; rebuilding 2,000 rows for one changed link took
~0.1 s and lost the scroll position.  ``LinkTree.show`` compares the rows it is given with
the nodes it has: relabels what changed, removes and inserts what came and went, and keeps
the cursor on the same interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode


@dataclass(frozen=True)
class Row:
    """One row of the tree: an interface name (None for a note), its label, its children."""

    name: str | None
    label: Text
    children: tuple[Row, ...] = ()


class LinkTree(Tree[str]):
    """Interfaces with their slaves, ports and VLANs below them."""

    def __init__(
        self,
        moved: Callable[[], None] = lambda: None,
        *,
        id: str | None = None,  # noqa: A002 (Textual's name)
    ) -> None:
        self.moved = moved
        super().__init__("interfaces", id=id)
        self.show_root = False
        self.guide_depth = 2

    def get_label_width(self, node: TreeNode[str]) -> int:
        # Tree measures every row's width (its horizontal extent) by rendering the label:
        # 35 ms for 2,000 rows on each change.  The label's own length and the icon do.
        width = node.label.cell_len
        if node.allow_expand:
            width += cell_len(self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE)
        return width

    def watch_cursor_line(self, previous_line: int, line: int) -> None:
        super().watch_cursor_line(previous_line, line)
        # At once, not through NodeHighlighted: a message is handled after the tree's
        # frame, and the details then waited for the next frame tick (~25 ms).
        if self.is_mounted:
            self.moved()

    def show(self, rows: list[Row]) -> None:
        """Make the tree show ``rows``, keeping the cursor on the same interface."""
        selected = self.cursor_node.data if self.cursor_node is not None else None
        nodes: dict[str, TreeNode[str]] = {}
        self._sync(self.root, rows, nodes)
        _ = self.last_line  # lays the lines out again, so each node knows its line
        node = nodes.get(selected) if selected is not None else None
        if node is not None and node.line != self.cursor_line:
            self.move_cursor(node)
        elif self.cursor_node is None and rows:
            self.cursor_line = 0

    def _sync(
        self,
        parent: TreeNode[str],
        rows: tuple[Row, ...] | list[Row],
        nodes: dict[str, TreeNode[str]],
    ) -> None:
        children = list(parent.children)
        wanted = [row.name for row in rows]
        if [child.data for child in children] != wanted:
            children = self._arrange(parent, rows)
        for node, row in zip(children, rows, strict=True):
            if node.label != row.label:
                node.set_label(row.label)
            if node.allow_expand != bool(row.children):
                node.allow_expand = bool(row.children)
                node.expand()
            if row.name is not None:
                nodes[row.name] = node
            self._sync(node, row.children, nodes)

    def _arrange(
        self, parent: TreeNode[str], rows: tuple[Row, ...] | list[Row]
    ) -> list[TreeNode[str]]:
        """Remove the nodes no row wants and insert the missing ones, in the rows' order."""
        wanted = {row.name for row in rows}
        kept: dict[str | None, TreeNode[str]] = {}
        for child in list(parent.children):
            if child.data in wanted and child.data not in kept:
                kept[child.data] = child
            else:
                child.remove()
        if [c.data for c in parent.children] != [r.name for r in rows if r.name in kept]:
            parent.remove_children()  # the order changed: rare enough to start over
            kept = {}
        out = []
        for at, row in enumerate(rows):
            node = kept.get(row.name)
            if node is None:
                # Each row before this one is in place, so ``at`` is where this one goes.
                before = at if at < len(parent.children) else None
                node = parent.add(
                    row.label, row.name, before=before, expand=True, allow_expand=bool(row.children)
                )
            out.append(node)
        return out
