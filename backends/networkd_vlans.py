"""VLAN-aware bridges in systemd-networkd's files: ``[Bridge] VLANFiltering=`` and
``DefaultPVID=`` in the bridge's .netdev (systemd.netdev(5)); ``[BridgeVLAN]`` sections
with ``VLAN=``, ``PVID=`` and ``EgressUntagged=`` in a port's .network, and in the
bridge's own .network for the bridge device itself (systemd.network(5); networkd sends
a bridge's list with BRIDGE_FLAGS_SELF).  systemd 252 keys; one section per VLAN range,
as the manual's example writes them.  How a port's "no pvid" is said: backends.bridge_vlans.
"""

from __future__ import annotations

from ifsmith.backends.bridge_vlans import Listing
from ifsmith.backends.systemd_ini import Line, UnitFile
from ifsmith.core.options import VlanRanges, parse_vlans

SECTION = "BridgeVLAN"


def _ids(uf: UnitFile, key: str, where: str, problems: list[str]) -> frozenset[int]:
    out: set[int] = set()
    for word in uf.get_list(SECTION, key):
        try:
            for low, high in parse_vlans(word):
                out.update(range(low, high + 1))
        except ValueError as exc:
            problems.append(f"{where}: [{SECTION}] {key}={word} not understood ({exc}); ignored")
    return frozenset(out)


def listing(uf: UnitFile, where: str, problems: list[str]) -> Listing:
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


def _wanted(ranges: VlanRanges, pvid: int | None) -> Listing:
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
