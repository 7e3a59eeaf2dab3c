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
        # Nodes a filter hides, by name, with their subtrees (``_arrange``).
        self._hidden: dict[str, TreeNode[str]] = {}

    def get_label_width(self, node: TreeNode[str]) -> int:
        # Tree measures every row's width (its horizontal extent) by rendering the label:
        # 35 ms for 2,000 rows on each change.  The label's own length and the icon do.
        width = node.label.cell_len
        if node.allow_expand:
            width += cell_len(self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE)
        return width

    def process_label(self, label: str | Text) -> Text:
        # A row's label is one line already: Tree would split (copy) each of 2,000.
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def watch_cursor_line(self, previous_line: int, line: int) -> None:
        super().watch_cursor_line(previous_line, line)
        # At once, not through NodeHighlighted: a message is handled after the tree's
        # frame, and the details then waited for the next frame tick (~25 ms).
        if self.is_mounted:
            self.moved()

    def show(self, rows: list[Row], filtered: bool = False) -> None:
        """Make the tree show ``rows``, keeping the cursor on the same interface;
        ``filtered``: rows a search hides are kept aside to show them again quickly."""
        selected = self.cursor_node.data if self.cursor_node is not None else None
        nodes: dict[str, TreeNode[str]] = {}
        self._sync(self.root, rows, nodes)
        if not filtered and self._hidden:
            self.forget_hidden()
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
        if not rows and not parent._children:
            return  # a leaf that stays one (most rows): nothing to compare
        children = list(parent._children)
        wanted = [row.name for row in rows]
        if [child.data for child in children] != wanted:
            children = self._arrange(parent, rows)
        for node, row in zip(children, rows, strict=True):
            if node.label is not row.label and node.label != row.label:
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
        """Make ``parent``'s children the rows' nodes, in the rows' order: the nodes it
        has are kept, the missing ones taken back from those a filter hid, else made.

        Textual's TreeNode.remove finds each node by a search of its parent's children,
        and add refreshes the whole tree each time: a filter hiding or showing 2,000 rows
        took 0.3-0.5 s that way.  Here the list is rebuilt once and the tree refreshed
        once (Textual 8's TreeNode internals: _children, _parent, _add_node).
        """
        old = {child.data: child for child in parent._children}
        out = []
        for row in rows:
            node = old.pop(row.name, None)
            if node is None:
                hidden = self._hidden.pop(row.name, None) if row.name is not None else None
                if hidden is not None and hidden._parent is parent:
                    node = hidden
                else:
                    node = self._add_node(parent, row.label, row.name, expand=True)
                    node._allow_expand = bool(row.children)
            out.append(node)
        for name, gone in old.items():
            if name is not None:
                self._hidden[name] = gone  # kept for when the filter shows it again
            else:
                self._tree_nodes.pop(gone.id, None)
        parent._children[:] = out
        parent._updates += 1
        self._invalidate()
        return out

    def forget_hidden(self) -> None:
        """Drop the nodes kept for a filter (no filter now: they are gone for good)."""
        for node in self._hidden.values():
            stack = [node]
            while stack:
                gone = stack.pop()
                stack.extend(gone._children)
                self._tree_nodes.pop(gone.id, None)
        self._hidden.clear()
