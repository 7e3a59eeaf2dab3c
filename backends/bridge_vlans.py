"""VLAN-aware bridges (core.options' "bridge-vlans") for the formats that write a
bridge's default pvid and per-device VLAN lists: systemd-networkd and NetworkManager.

The model says a port's VLANs (tagged) and its pvid (untagged in and out; ``none`` for
none; unset for the kernel's default, 1).  Neither format can say "no pvid" for one port:
both give every new port the bridge's default pvid (networkd ``[Bridge] DefaultPVID=``,
NetworkManager ``bridge.vlan-default-pvid``).  So a port without a pvid makes the bridge's
default none, and every other port then says its pvid itself, 1 where the model leaves it
unset (read back as unset: under a default of none, a port's own 1 is what unset means).
networkd only adds VLANs to a port (systemd 252), so under a default of 1 a port whose
pvid is another VLAN would keep VLAN 1 as well: there any such port makes the default
none too.  The bridge device itself takes the default as well: under a default of none it
says the kernel's 1 (pvid, untagged) in its own list.  A default pvid an admin wrote
(``DefaultPVID=5``) is the pvid of every port whose list says none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ifsmith.core.model import Bridge, Interface
from ifsmith.core.options import PVID_NONE, PortOptions, VlanRanges, vlan_ids, vlan_text

Listing = tuple[frozenset[int], int | None, frozenset[int]]  # listed, pvid, untagged
KERNEL_PVID = 1  # the kernel's default_pvid, which every new port (and the bridge) takes


def default_pvid(bridge: Bridge | None, additive: bool) -> int | None:
    """The default pvid a bridge's file must say: PVID_NONE when one of its ports has no
    pvid (or, where the format only adds VLANs, a pvid other than 1); None for the
    kernel's own default."""
    if bridge is None or not bridge.options.vlan_filtering:
        return None
    for port in bridge.ports:
        pvid = port.port_options.pvid
        if pvid == PVID_NONE or (additive and pvid not in (None, KERNEL_PVID)):
            return PVID_NONE
    return None


def port_pvid(options: PortOptions, default: int | None) -> int | None:
    """The pvid a port's own VLAN list says under the bridge's ``default``: its own, or
    the kernel's 1 where it leaves it unset and the bridge gives none; None: nothing."""
    if options.pvid == PVID_NONE:
        return None
    if options.pvid is None:
        return KERNEL_PVID if default == PVID_NONE else None
    return options.pvid


def self_pvid(default: int | None) -> int | None:
    """The pvid the bridge device's own VLAN list says: the kernel's 1 under a default of
    none (the model says none for the bridge itself); None: nothing."""
    return KERNEL_PVID if default == PVID_NONE else None


def read_pvid(pvid: int | None, default: int | None) -> int | None:
    """A port's pvid in the model from the one its own list says (None: none) under its
    bridge's ``default``: the bridge's where it says none (unset for 1), and unset where it
    says the kernel's 1 under a default of none (``port_pvid`` writes unset so)."""
    if pvid is None:
        return None if default in (None, KERNEL_PVID) else default
    if pvid == KERNEL_PVID and default == PVID_NONE:
        return None
    return pvid


def with_pvids(ports: tuple[Interface, ...], default: int | None) -> tuple[Interface, ...]:
    """A bridge's ports as read, each pvid as ``read_pvid`` says under the bridge's
    default, and among the port's VLANs where it has a list (a list entry of its own in
    NetworkManager, a bridge's default in either format)."""
    out = []
    for port in ports:
        options = port.port_options
        pvid = read_pvid(options.pvid, default)
        vlans = options.vlans
        if pvid not in (None, PVID_NONE) and vlans is not None:
            vlans = vlan_text(ranges_of(vlan_ids(vlans) | {pvid}))
        if (pvid, vlans) != (options.pvid, options.vlans):
            port = replace(port, port_options=replace(options, pvid=pvid, vlans=vlans))
        out.append(port)
    return tuple(out)


def parse_default(text: str | None) -> int | None:
    """A default pvid as a file says it: a VLAN id, or 0/none for none; None if unset or
    the kernel's own 1 (an admin's explicit 1 reads as unset, and stays as written).
    ``ValueError`` for anything else."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if text.lower() in ("none", "0"):
        return PVID_NONE
    if not text.isdigit() or not 1 <= int(text) <= 4094:
        raise ValueError("expected a VLAN id 1-4094 or none")
    return None if int(text) == KERNEL_PVID else int(text)


def ranges_of(ids: Iterable[int]) -> VlanRanges:
    """Sorted inclusive ranges covering exactly these ids."""
    out: list[tuple[int, int]] = []
    for vid in sorted(set(ids)):
        if out and vid == out[-1][1] + 1:
            out[-1] = (out[-1][0], vid)
        else:
            out.append((vid, vid))
    return tuple(out)


def reading(
    listed: frozenset[int],
    pvid: int | None,
    untagged: frozenset[int],
    where: str,
    problems: list[str],
) -> tuple[str | None, int | None]:
    """(vlans, pvid) of what a device's list says: ``listed`` VLANs, a ``pvid``, the
    ``untagged`` ones.  The model has one untagged VLAN, the pvid: another untagged VLAN
    reads as tagged, a pvid that leaves tagged as untagged — each a problem naming it."""
    extra = untagged - {pvid} if pvid is not None else untagged
    if extra:
        problems.append(
            f"{where}: VLAN {vlan_text(ranges_of(extra))} leaves untagged but is not the pvid;"
            " ifsmith's one untagged VLAN is the pvid: read as tagged"
        )
    if pvid is not None and pvid not in untagged:
        problems.append(
            f"{where}: pvid {pvid} leaves tagged; ifsmith's pvid is untagged in and out: "
            "read as untagged"
        )
    vids = listed | extra
    return (vlan_text(ranges_of(vids)) if vids else None), pvid


def self_reading(
    listed: frozenset[int],
    pvid: int | None,
    untagged: frozenset[int],
    default: int | None,
    where: str,
    problems: list[str],
) -> str | None:
    """The bridge device's own VLANs from its list; its untagged VLAN is the kernel's
    (1) as ``self_pvid`` writes it, anything else a problem naming it."""
    expected = self_pvid(default)
    if expected is not None and pvid == expected and untagged == {expected}:
        pvid, untagged = None, frozenset()
    elif pvid is not None or untagged:
        problems.append(
            f"{where}: the bridge's own untagged VLAN (pvid {pvid}) is not modelled; its "
            "VLANs read as tagged"
        )
        listed |= untagged | ({pvid} if pvid is not None else set())
        pvid, untagged = None, frozenset()
    elif default == PVID_NONE:
        problems.append(
            f"{where}: the bridge itself has no untagged VLAN (its default pvid is none): "
            "not modelled"
        )
    return reading(listed, pvid, untagged, where, problems)[0]
