"""A VLAN-aware bridge's VLANs as the kernel keeps them (issue 10), and how they meet the
model's options: each port's VLANs, and the bridge's own ("self": what a VLAN interface
br0.10 on top of the bridge sends and receives through it).

The kernel keeps, per port and for the bridge itself, a set of VLAN ids, each leaving
tagged or untagged, and at most one pvid: the VLAN that untagged frames coming in belong
to (``bridge vlan show``).  The model (core.options) says less, on purpose:

- a port's ``vlans`` leave tagged; its ``pvid`` leaves untagged (the native VLAN of an
  access port, or of a trunk); ``pvid`` unset is the kernel's default pvid 1 that every
  new port gets, ``pvid='none'`` is no untagged VLAN at all;
- the bridge's own ``vlans`` are tagged on the bridge device, beside the default pvid 1
  (untagged) that the kernel gives a new bridge and that the model keeps: the bridge's own
  untagged traffic (an address on br0 itself) stays in VLAN 1, as every port's does until
  its pvid is changed.  VLAN 1 in the bridge's ``vlans`` changes nothing.

A pvid that leaves tagged, or an untagged VLAN that is not the pvid, cannot be said in
the XML: ``oddities`` names them (the live view shows the nearest it can say beside that
note), and a rollback restores them as they were.

This module knows nothing of netlink (core.options_netlink decodes and encodes) nor of
the model's interfaces; the model's LiveLink carries a ``Membership``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ifsmith.core.options import PVID_NONE, BridgeOptions, PortOptions, parse_vlans, vlan_text

# struct bridge_vlan_info's flags (linux/if_bridge.h) that a membership is made of.
PVID, UNTAGGED = 0x2, 0x4


def ids_text(ids: Iterable[int]) -> str:
    """The canonical text of a set of VLAN ids, neighbours joined: "10 20-29 31"."""
    return ranges_text((v, v) for v in sorted(set(ids)))


def ranges_text(ranges: Iterable[tuple[int, int]]) -> str:
    """Inclusive ranges in ascending order as canonical text, touching ones joined."""
    merged: list[tuple[int, int]] = []
    for low, high in ranges:
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return vlan_text(tuple(merged))


def _ids(text: str) -> list[int]:
    return [v for low, high in parse_vlans(text) for v in range(low, high + 1)] if text else []


@dataclass(frozen=True)
class Membership:
    """The VLANs of one bridge port (or of the bridge itself) as the kernel keeps them:
    ids leaving tagged and untagged (canonical text, "" for none) and the pvid (0: none),
    which is one of them."""

    tagged: str = ""
    untagged: str = ""
    pvid: int = 0

    def flags(self) -> dict[int, int]:
        """VLAN id → its PVID and UNTAGGED flags."""
        out = dict.fromkeys(_ids(self.tagged), 0)
        out.update(dict.fromkeys(_ids(self.untagged), UNTAGGED))
        if self.pvid:
            out[self.pvid] = out.get(self.pvid, 0) | PVID
        return out

    @classmethod
    def from_flags(cls, flags: dict[int, int]) -> Membership:
        return cls(
            tagged=ids_text(v for v, f in flags.items() if not f & UNTAGGED),
            untagged=ids_text(v for v, f in flags.items() if f & UNTAGGED),
            pvid=next((v for v, f in flags.items() if f & PVID), 0),
        )

    def __bool__(self) -> bool:
        return bool(self.tagged or self.untagged or self.pvid)

    def words(self) -> str:
        """``10 20 tagged, 1 untagged, pvid 1``: as ``bridge vlan show`` would list it."""
        flags = self.flags()
        parts = []
        tagged = ids_text(v for v, f in flags.items() if not f & (UNTAGGED | PVID))
        untagged = ids_text(v for v, f in flags.items() if f & UNTAGGED and not f & PVID)
        if tagged:
            parts.append(f"{tagged} tagged")
        if untagged:
            parts.append(f"{untagged} untagged")
        if self.pvid:
            how = "untagged" if flags[self.pvid] & UNTAGGED else "tagged"
            parts.append(f"{self.pvid} pvid {how}")
        return ", ".join(parts) or "none"


# What the kernel gives every new port and a new bridge (its default_pvid, 1).
DEFAULT = Membership(untagged="1", pvid=1)


# ---------------------------------------------------------------------------------------
# The model's options ↔ memberships.


def port_membership(options: PortOptions) -> Membership:
    """A port's VLANs as its options define them: ``vlans`` tagged, the pvid (1 when
    unset) untagged; pvid none: no untagged VLAN."""
    pvid = 1 if options.pvid is None else options.pvid
    tagged = set(_ids(options.vlans or "")) - {pvid}
    return Membership(ids_text(tagged), str(pvid) if pvid else "", pvid)


def bridge_membership(options: BridgeOptions) -> Membership:
    """The bridge's own VLANs as its options define them: ``vlans`` tagged beside the
    default pvid 1, untagged."""
    tagged = set(_ids(options.vlans or "")) - {1}
    return Membership(ids_text(tagged), "1", 1)


def port_options(membership: Membership) -> PortOptions:
    """The nearest a port's options can say of its VLANs: the pvid (unset when 1), and
    ``vlans`` for every other VLAN, with the pvid among them (as the checks want)."""
    pvid = membership.pvid
    others = set(membership.flags()) - {pvid}
    vlans = ids_text(others | ({pvid} if pvid not in (0, 1) else set())) if others else None
    return PortOptions(vlans=vlans, pvid=None if pvid == 1 else (pvid or PVID_NONE))


def bridge_vlans(membership: Membership) -> str | None:
    """The bridge's own ``vlans`` option: its VLANs besides the untagged default 1."""
    flags = membership.flags()
    others = [v for v in flags if not (v == 1 and flags[v] & UNTAGGED)]
    return ids_text(others) or None


def oddities(membership: Membership, own: bool = False) -> list[str]:
    """What the XML cannot say about these VLANs (``own``: the bridge's own), in words."""
    flags = membership.flags()
    out = []
    pvid = membership.pvid
    if own and pvid != 1:
        out.append(f"its own pvid is {pvid or 'none'}, not 1")
    if pvid and not flags[pvid] & UNTAGGED:
        out.append(f"pvid {pvid} leaves tagged")
    stray = ids_text(v for v, f in flags.items() if f & UNTAGGED and v != pvid)
    if stray:
        out.append(f"VLAN {stray} leaves untagged without being the pvid")
    return out


# ---------------------------------------------------------------------------------------
# Differences.


def changes(wanted: Membership, current: Membership) -> tuple[Membership, str]:
    """What turns ``current`` into ``wanted``: the entries to add (new ids, and ids whose
    flags change: adding sets them exactly), and the ids to remove (text, "" for none)."""
    want, have = wanted.flags(), current.flags()
    add = {v: f for v, f in want.items() if have.get(v) != f}
    return Membership.from_flags(add), ids_text(v for v in have if v not in want)


def drift(wanted: Membership, running: Membership) -> list[str]:
    """``vlans 30 running, not defined`` for each way the running VLANs differ."""
    want, have = wanted.flags(), running.flags()
    out = []
    missing = ids_text(v for v in want if v not in have)
    extra = ids_text(v for v in have if v not in want)
    if missing:
        out.append(f"vlans {missing} defined, not running")
    if extra:
        out.append(f"vlans {extra} running, not defined")
    if wanted.pvid != running.pvid:
        out.append(f"pvid {wanted.pvid or 'none'} defined, {running.pvid or 'none'} running")
    for kind, mask in (("untagged", UNTAGGED), ("tagged", 0)):
        other = "tagged" if mask else "untagged"
        differ = ids_text(
            v for v in want if v in have and want[v] & UNTAGGED == mask != have[v] & UNTAGGED
        )
        if differ:
            out.append(f"vlans {differ} leave {kind} defined, {other} running")
    return out
