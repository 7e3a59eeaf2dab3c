"""The pending changes: new or changed definitions and deletions, in the order made.

Like Proxmox's pending network changes: edits collect here and nothing touches the host
until the admin applies them.  A ``Pending`` is a value; every edit returns a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ifsmith.core.model import IfType, Interface, LiveHost


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


@dataclass(frozen=True)
class Layout:
    """The host as it will be once the pending changes apply: each interface's type and
    what holds it (the bond or bridge it is a slave or port of, else a VLAN's parent).

    Live links come first in the kernel's order, then the names only the files define,
    then those only pending definitions have, in the order made.  A pending definition wins
    over the live state: a master it redefines without a live slave lets that slave go; a
    deleted master holds nothing.  What does not run stands where the files put it.
    """

    types: dict[str, IfType]
    masters: dict[str, str]  # slave or port → its bond or bridge
    holders: dict[str, str]  # masters, and VLANs (without one) → their parent
    parents: dict[str, str]  # VLAN → its parent
    defined: dict[str, Interface]  # pending definitions by name, nested ones too
    deleted: frozenset[str]
    loopback: frozenset[str]
    # Running, free in the kernel, but a slave or port in the files: not free to take.
    claimed: dict[str, str] = field(default_factory=dict)

    def children(self) -> dict[str, list[str]]:
        """Names by holder: a definition's slaves or ports in its order, then the rest."""
        out: dict[str, list[str]] = {}
        for name, holder in self.holders.items():
            out.setdefault(holder, []).append(name)
        for holder, names in out.items():
            iface = self.defined.get(holder)
            if iface is not None and len(names) > 1:
                order = {s.name: at for at, s in enumerate(iface.subordinates)}
                names.sort(key=lambda n: order.get(n, len(order)))  # stable for the rest
        return out

    def top(self) -> list[str]:
        """Names nothing holds, in order (a holder that is not there holds nothing)."""
        return [n for n in self.types if self.holders.get(n) not in self.types]

    def free(self, types: set[IfType], keep: Iterable[str] = ()) -> list[str]:
        """Interfaces of these types that no bond or bridge holds (``keep``'s excepted),
        neither loopback nor deleted: what a new slave or port can be."""
        kept = set(keep)
        return [
            name
            for name, kind in self.types.items()
            if kind in types
            and name not in self.loopback
            and name not in self.deleted
            and ((name not in self.masters and name not in self.claimed) or name in kept)
        ]

    def slaves(self) -> set[str]:
        """Names that are slaves of a bond (running, pending or in the files)."""
        held = {**self.claimed, **self.masters}
        return {n for n, m in held.items() if self.types.get(m) is IfType.BOND}


def layout(live: LiveHost, pending: Pending, files: Sequence[Interface] = ()) -> Layout:
    """Where every interface stands once ``pending`` applies to ``live``; ``files`` are
    the host's definitions (they place what does not run)."""
    deleted = frozenset(pending.deletions)
    defined: dict[str, Interface] = {}
    masters: dict[str, str] = {}
    for top in pending.definitions:
        for iface, master in top.walk():
            defined[iface.name] = iface
            if master is not None:
                masters[iface.name] = master.name
    types = {link.name: link.type for link in live.links}
    parents: dict[str, str] = {}
    claimed: dict[str, str] = {}
    for top in files:
        for iface, master in top.walk():
            if iface.name in defined:
                continue  # redefined: placed below
            if iface.name in types:  # running: placed as it runs
                if master is not None and master.name not in defined:
                    claimed[iface.name] = master.name
                continue
            types[iface.name] = iface.type
            if iface.vlan is not None and iface.vlan.parent is not None:
                parents[iface.name] = iface.vlan.parent
            if master is not None and master.name not in deleted:
                held = defined.get(master.name)
                if held is None or any(s.name == iface.name for s in held.subordinates):
                    masters[iface.name] = master.name
    types.update((name, iface.type) for name, iface in defined.items())
    for link in live.links:
        if link.vlan_tag is not None and link.parent is not None:
            parents[link.name] = link.parent
        master = link.master
        if master is None or link.name in defined or master in deleted:
            continue
        holder = defined.get(master)
        if holder is not None and all(s.name != link.name for s in holder.subordinates):
            continue  # its master is redefined without it
        masters[link.name] = master
    for name, iface in defined.items():
        if iface.vlan is not None and iface.vlan.parent is not None:
            parents[name] = iface.vlan.parent
    holders = {**{n: p for n, p in parents.items() if p in types}, **masters}
    return Layout(
        types=types,
        masters=masters,
        holders=_without_cycles(holders),
        parents=parents,
        defined=defined,
        deleted=deleted,
        loopback=frozenset(link.name for link in live.links if link.is_loopback),
        claimed={n: m for n, m in claimed.items() if n not in masters and m not in deleted},
    )


def _without_cycles(holders: dict[str, str]) -> dict[str, str]:
    """Holders with any cycle broken (a VLAN on a bridge it is a port of would hide both)."""
    out = dict(holders)
    for start in holders:
        seen = {start}
        name = start
        while name in out:
            name = out[name]
            if name in seen:
                del out[name]  # broken here: this one goes to the top
                break
            seen.add(name)
    return out
