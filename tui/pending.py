"""The pending changes: new or changed definitions and deletions, in the order made.

Like Proxmox's pending network changes: edits collect here and nothing touches the host
until the admin applies them.  A ``Pending`` is a value; every edit returns a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ifsmith.core.model import Interface


@dataclass(frozen=True)
class Change:
    """One pending change: ``interface`` is the new definition, None for a deletion."""

    name: str
    interface: Interface | None

    @property
    def is_deletion(self) -> bool:
        return self.interface is None

    def describe(self) -> str:
        """One line for lists: "define bond0 (bond)" or "delete eth2"."""
        if self.interface is None:
            return f"delete {self.name}"
        return f"define {self.name} ({self.interface.type})"


@dataclass(frozen=True)
class Pending:
    """An ordered set of changes, one per interface name; the latest edit of a name wins."""

    changes: tuple[Change, ...] = ()

    def define(self, interface: Interface) -> Pending:
        """Add or replace the definition of ``interface.name`` (it keeps its place)."""
        return self._put(Change(interface.name, interface))

    def delete(self, name: str) -> Pending:
        """Mark ``name`` for deletion; a definition that was only pending just goes away."""
        return self._put(Change(name, None))

    def replace_all(self, interfaces: list[Interface]) -> Pending:
        """Define several interfaces at once (an imported document)."""
        pending = self
        for iface in interfaces:
            pending = pending.define(iface)
        return pending

    def discard(self, name: str) -> Pending:
        """Forget the pending change of one interface."""
        return Pending(tuple(c for c in self.changes if c.name != name))

    def _put(self, change: Change) -> Pending:
        names = [c.name for c in self.changes]
        if change.name in names:
            at = names.index(change.name)
            return Pending((*self.changes[:at], change, *self.changes[at + 1 :]))
        return Pending((*self.changes, change))

    def get(self, name: str) -> Change | None:
        return next((c for c in self.changes if c.name == name), None)

    @property
    def definitions(self) -> list[Interface]:
        """The new and changed definitions, in order."""
        return [c.interface for c in self.changes if c.interface is not None]

    @property
    def deletions(self) -> list[str]:
        return [c.name for c in self.changes if c.interface is None]

    @property
    def names(self) -> list[str]:
        """Every interface a change touches: the definitions' nested ones too."""
        out: list[str] = []
        for change in self.changes:
            if change.interface is None:
                out.append(change.name)
            else:
                out.extend(i.name for i, _m in change.interface.walk())
        return out

    def __len__(self) -> int:
        return len(self.changes)

    def __bool__(self) -> bool:
        return bool(self.changes)
