"""NetworkManager's bridge VLAN lists, one syntax for its keyfiles (``[bridge] vlans``,
``[bridge-port] vlans``) and its ifcfg-rh plugin (``BRIDGE_VLANS``, ``BRIDGE_PORT_VLANS``):
"$vid[-$vid] [pvid] [untagged]" entries joined by commas, sorted as nmcli writes them:
"10 pvid untagged,20,100-199" (nm-settings-nmcli(5)).  Both formats say the bridge's
default pvid (keyfile ``bridge.vlan-default-pvid``, ifcfg-rh BRIDGING_OPTS
``default_pvid=``; 0 for none) and follow backends.bridge_vlans' rule for it."""

from __future__ import annotations

from ifsmith.backends import bridge_vlans as bv
from ifsmith.core.model import Bridge
from ifsmith.core.options import PVID_NONE, PortOptions, VlanRanges, parse_vlans

NONE = "0"  # NetworkManager's default pvid for none


def vlan_list(ranges: VlanRanges, pvid: int | None) -> str | None:
    """NetworkManager's list of these tagged ranges and this pvid (untagged), the pvid's
    entry split out of the range that holds it; None for an empty list."""
    entries: list[tuple[int, str]] = []
    for low, high in ranges:
        parts = [(low, high)]
        if pvid is not None and low <= pvid <= high:
            parts = [(low, pvid - 1), (pvid + 1, high)]
        for a, b in parts:
            if a <= b:
                entries.append((a, str(a) if a == b else f"{a}-{b}"))
    if pvid is not None:
        entries.append((pvid, f"{pvid} pvid untagged"))
    return ",".join(text for _vid, text in sorted(entries)) or None


def read_vlan_list(text: str, where: str, problems: list[str]) -> bv.Listing:
    """(listed, pvid, untagged) of a list, the pvid's entry not among the listed."""
    listed: set[int] = set()
    untagged: set[int] = set()
    pvid: int | None = None
    for entry in text.split(","):
        words = entry.split()
        if not words:
            continue
        try:
            ((low, high),) = parse_vlans(words[0])
            flags = {w.lower() for w in words[1:]}
            if flags - {"pvid", "untagged"}:
                raise ValueError(f"flags are pvid and untagged, not {' '.join(words[1:])}")
            if "pvid" in flags and low != high:
                raise ValueError("a pvid is one VLAN id")
        except ValueError as exc:
            problems.append(f"{where}: VLAN entry {entry.strip()!r}: {exc}; ignored")
            continue
        ids = set(range(low, high + 1))
        if "pvid" in flags:
            pvid = low
        else:
            listed |= ids
        if "untagged" in flags:
            untagged |= ids
    return frozenset(listed), pvid, frozenset(untagged)


def default_pvid(bridge: Bridge | None) -> int | None:
    """The default pvid a bridge's profile says (backends.bridge_vlans): PVID_NONE where a
    port has no pvid; None: the kernel's own.  NetworkManager sets a port's list as it
    stands, so a port's pvid other than 1 needs no other default."""
    return bv.default_pvid(bridge, additive=False)


def default_text(bridge: Bridge) -> str | None:
    """A VLAN-filtering bridge's default pvid as NetworkManager says it: 0 where
    backends.bridge_vlans says none; None: the kernel's own (the setting goes)."""
    return NONE if default_pvid(bridge) == PVID_NONE else None


def bridge_list(bridge: Bridge) -> str | None:
    """The bridge device's own list: its VLANs, and the kernel's 1 under a default of none."""
    text = bridge.options.vlans
    ranges = parse_vlans(text) if text else ()
    return vlan_list(ranges, bv.self_pvid(default_pvid(bridge)))


def port_list(options: PortOptions, default: int | None) -> str | None:
    """A bridge port's own list under its bridge's ``default`` pvid (``default_pvid``)."""
    ranges = parse_vlans(options.vlans) if options.vlans else ()
    return vlan_list(ranges, bv.port_pvid(options, default))


def read_default(text: str | None, where: str, problems: list[str]) -> int | None:
    """A VLAN-filtering bridge's default pvid as written (None: unset or the kernel's 1)."""
    try:
        return bv.parse_default(text)
    except ValueError as exc:
        problems.append(f"{where}={text!r}: {exc}; ignored")
        return None


def read_port_list(
    text: str | None, where: str, problems: list[str]
) -> tuple[str | None, int | None]:
    """A port's (vlans, pvid) from its list; a pvid the list leaves out is its bridge's
    (the reader fills it in, knowing the bridge, and adds the pvid to the port's VLANs:
    bridge_vlans.with_pvids)."""
    if not text or not text.strip():
        return None, None
    return bv.reading(*read_vlan_list(text, where, problems), where, problems)


def read_bridge_list(
    text: str | None, default: int | None, where: str, problems: list[str]
) -> str | None:
    """A bridge device's own VLANs from its list under its ``default`` pvid."""
    listed, pvid, untagged = read_vlan_list(text or "", where, problems)
    return bv.self_reading(listed, pvid, untagged, default, where, problems)
