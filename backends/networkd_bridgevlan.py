"""VLAN-aware bridges in systemd-networkd's files: ``[Bridge] VLANFiltering=`` and
``DefaultPVID=`` in the bridge's .netdev (systemd.netdev(5)); ``[BridgeVLAN]`` sections
with ``VLAN=``, ``PVID=`` and ``EgressUntagged=`` in a port's .network, and in the
bridge's own .network for the bridge device itself (systemd.network(5); networkd sends
a bridge's list with BRIDGE_FLAGS_SELF).  systemd 252 keys; one section per VLAN range,
as the manual's example writes them.  How a port's "no pvid" is said: backends.bridge_vlans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from ifsmith.backends import bridge_vlans as bv
from ifsmith.backends.systemd_ini import Line, UnitFile
from ifsmith.core.model import Bridge
from ifsmith.core.options import PVID_NONE, PortOptions, VlanRanges, parse_vlans

SECTION = "BridgeVLAN"


class Unit(Protocol):
    """What reading needs of a unit (a UnitFile, or any indexed view of one)."""

    def get(self, section: str, key: str) -> str | None: ...
    def get_list(self, section: str, key: str) -> list[str]: ...
    def named(self, name: str) -> Sequence[object]: ...


def _ids(uf: Unit, key: str, where: str, problems: list[str]) -> frozenset[int]:
    out: set[int] = set()
    for word in uf.get_list(SECTION, key):
        try:
            for low, high in parse_vlans(word):
                out.update(range(low, high + 1))
        except ValueError as exc:
            problems.append(f"{where}: [{SECTION}] {key}={word} not understood ({exc}); ignored")
    return frozenset(out)


def listing(uf: Unit, where: str, problems: list[str]) -> bv.Listing:
    """What a .network's ``[BridgeVLAN]`` sections say (drop-ins merged into ``uf``):
    ``VLAN=``, ``PVID=``, ``EgressUntagged=``."""
    pvid: int | None = None
    text = uf.get(SECTION, "PVID")
    if text:
        try:
            ((low, high),) = parse_vlans(text)
            if low != high:
                raise ValueError("one VLAN id")
            pvid = low
        except ValueError as exc:
            problems.append(f"{where}: [{SECTION}] PVID={text} not understood ({exc}); ignored")
    return (
        _ids(uf, "VLAN", where, problems),
        pvid,
        _ids(uf, "EgressUntagged", where, problems),
    )


def default_pvid(netdev: Unit, where: str, problems: list[str]) -> int | None:
    """A VLAN-filtering bridge's ``[Bridge] DefaultPVID=`` (None: unset, or the kernel's 1)."""
    text = netdev.get("Bridge", "DefaultPVID")
    try:
        return bv.parse_default(text)
    except ValueError as exc:
        problems.append(f"{where}: [Bridge] DefaultPVID={text} not understood ({exc})")
        return None


def read_port(network: Unit, options: PortOptions, where: str, problems: list[str]) -> PortOptions:
    """A bridge port's options with the VLANs and pvid its sections say (a pvid they leave
    out is the bridge's: bridge_vlans.with_pvids)."""
    vlans, pvid = bv.reading(*listing(network, where, problems), where, problems)
    return replace(options, vlans=vlans, pvid=pvid)


def read_bridge(
    network: Unit, bridge: Bridge, default: int | None, where: str, problems: list[str]
) -> Bridge:
    """A bridge with the VLANs of the bridge device itself its sections say."""
    if default != PVID_NONE and not network.named(SECTION):
        return bridge
    listed, pvid, untagged = listing(network, where, problems)
    vlans = bv.self_reading(listed, pvid, untagged, default, where, problems)
    return replace(bridge, options=replace(bridge.options, vlans=vlans))


def _wanted(ranges: VlanRanges, pvid: int | None) -> bv.Listing:
    listed = frozenset(v for low, high in ranges for v in range(low, high + 1))
    return listed, pvid, frozenset() if pvid is None else frozenset({pvid})


def apply(uf: UnitFile, ranges: VlanRanges, pvid: int | None) -> None:
    """Make a .network's ``[BridgeVLAN]`` sections say these tagged ranges and this pvid
    (untagged); sections that already say it are left as written."""
    if listing(uf, "", []) == _wanted(ranges, pvid):
        return
    uf.sections = [s for s in uf.sections if s.name != SECTION]
    while uf.sections and uf.sections[-1].lines and not uf.sections[-1].lines[-1].text.strip():
        uf.sections[-1].lines.pop()  # the blank lines before the sections that went
    pending = pvid  # in the section of the range that holds it, else one of its own
    for low, high in ranges:
        text = str(low) if low == high else f"{low}-{high}"
        lines = [Line(f"VLAN={text}\n", "VLAN", text)]
        if pending is not None and low <= pending <= high:
            lines += _pvid_lines(pending)
            pending = None
        uf.add_section(SECTION).lines.extend(lines)
    if pending is not None:
        uf.add_section(SECTION).lines.extend(_pvid_lines(pending))


def _pvid_lines(pvid: int) -> list[Line]:
    return [Line(f"PVID={pvid}\n", "PVID", str(pvid)),
            Line(f"EgressUntagged={pvid}\n", "EgressUntagged", str(pvid))]  # fmt: skip
