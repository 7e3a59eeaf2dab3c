"""The netlink encoding of the bond and bridge options (core.options): which IFLA_BOND_*,
IFLA_BR_* and IFLA_BRPORT_* attribute carries each, in which width and numbering, and a
bridge's VLANs (core.bridge_vlans) as IFLA_BRIDGE_VLAN_INFO entries.  Read by core.live
(decoding, with ``struct.unpack_from``) and backends.kernel (encoding), so the two cannot
disagree."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from ifsmith.core.bridge_vlans import PVID, UNTAGGED, Membership, ranges_text
from ifsmith.core.options import (
    BOND_SPECS,
    BRIDGE_SPECS,
    PORT_SPECS,
    BondOptions,
    BridgeOptions,
    OptValue,
    PortOptions,
    Spec,
    parse_vlans,
)

IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 4, 5


@dataclass(frozen=True)
class Wire:
    """One option on the wire: attribute number and width ("u8", "u16", "u32", "mac");
    ``scale`` turns the model's value into the kernel's (seconds → centiseconds)."""

    number: int
    width: str
    scale: int = 1


BOND_WIRE: dict[str, Wire] = {
    "arp_all_targets": Wire(10, "u32"),
    "primary_reselect": Wire(12, "u8"),
    "fail_over_mac": Wire(13, "u8"),
    "resend_igmp": Wire(15, "u32"),
    "num_grat_arp": Wire(16, "u8"),  # IFLA_BOND_NUM_PEER_NOTIF: one count for both
    "num_unsol_na": Wire(16, "u8"),
    "all_slaves_active": Wire(17, "u8"),
    "min_links": Wire(18, "u32"),
    "lp_interval": Wire(19, "u32"),
    "packets_per_slave": Wire(20, "u32"),
    "ad_select": Wire(22, "u8"),
    "ad_actor_sys_prio": Wire(24, "u16"),
    "ad_user_port_key": Wire(25, "u16"),
    "ad_actor_system": Wire(26, "mac"),
    "tlb_dynamic_lb": Wire(27, "u8"),
    "peer_notif_delay": Wire(28, "u32"),
}
BRIDGE_WIRE: dict[str, Wire] = {
    "hello_time": Wire(2, "u32", 100),
    "max_age": Wire(3, "u32", 100),
    "ageing_time": Wire(4, "u32", 100),
    "priority": Wire(6, "u16"),
    "multicast_snooping": Wire(23, "u8"),
    "vlan_filtering": Wire(7, "u8"),  # IFLA_BR_VLAN_FILTERING
}
PORT_WIRE: dict[str, Wire] = {
    "port_priority": Wire(2, "u16"),  # IFLA_BRPORT_PRIORITY
    "path_cost": Wire(3, "u32"),  # IFLA_BRPORT_COST
}

_FORMATS = {"u8": "=B", "u16": "=H", "u32": "=I"}

# Bond options the kernel refuses to set at all outside these modes (bond_options.c's
# unsuppmodes): a rollback or a fresh bond must leave them out in other modes.
KERNEL_MODES: dict[str, frozenset[str]] = {
    "ad_actor_sys_prio": frozenset({"802.3ad"}),
    "ad_user_port_key": frozenset({"802.3ad"}),
    "ad_actor_system": frozenset({"802.3ad"}),
    "packets_per_slave": frozenset({"balance-rr"}),
    "tlb_dynamic_lb": frozenset({"balance-tlb", "balance-alb"}),
}
ZERO_MAC = "00:00:00:00:00:00"


def _decode(
    spec: Spec, wire: Wire, msg: bytes, span: tuple[int, int]
) -> OptValue | None:
    start, end = span
    if wire.width == "mac":
        if end - start != 6:
            return None
        return ":".join(f"{b:02x}" for b in msg[start:end])
    fmt = _FORMATS[wire.width]
    if end - start < struct.calcsize(fmt):
        return None
    number = int(struct.unpack_from(fmt, msg, start)[0])
    if spec.kind == "bool":
        return bool(number)
    if spec.kind == "choice":
        return spec.choices[number] if number < len(spec.choices) else None
    if spec.kind == "seconds":
        return number / wire.scale
    return number


def _decoded(
    specs: tuple[Spec, ...], wires: dict[str, Wire], msg: bytes, d: dict[int, tuple[int, int]]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in specs:
        wire = wires.get(spec.field)  # VLAN sets are not link attributes (AF_BRIDGE)
        if wire is not None and wire.number in d:
            value = _decode(spec, wire, msg, d[wire.number])
            if value is not None:
                values[spec.field] = value
    return values


def decode_bond(msg: bytes, d: dict[int, tuple[int, int]]) -> BondOptions:
    """The options of a bond's IFLA_INFO_DATA (attribute → payload span)."""
    return BondOptions(**_decoded(BOND_SPECS, BOND_WIRE, msg, d))


IFLA_BR_TOPOLOGY_CHANGE = 14


def decode_bridge(msg: bytes, d: dict[int, tuple[int, int]]) -> BridgeOptions:
    """A bridge's options.  While STP reports a topology change, the kernel's ageing time
    is the short one it uses meanwhile (twice the forward delay), not the bridge's
    setting: it is left unknown then."""
    values = _decoded(BRIDGE_SPECS, BRIDGE_WIRE, msg, d)
    change = d.get(IFLA_BR_TOPOLOGY_CHANGE)
    if change is not None and change[1] > change[0] and msg[change[0]]:
        values.pop("ageing_time", None)
    return BridgeOptions(**values)


def decode_port(msg: bytes, d: dict[int, tuple[int, int]]) -> PortOptions:
    """A bridge port's options from its IFLA_INFO_SLAVE_DATA."""
    return PortOptions(**_decoded(PORT_SPECS, PORT_WIRE, msg, d))


def encode(spec: Spec, wire: Wire, value: OptValue) -> tuple[int, bytes]:
    """(attribute number, payload) for one option value."""
    if wire.width == "mac":
        return wire.number, bytes(int(part, 16) for part in str(value).split(":"))
    if spec.kind == "choice":
        number = spec.choices.index(str(value))
    elif spec.kind == "seconds":
        number = round(float(value) * wire.scale)
    else:
        number = int(value)
    return wire.number, struct.pack(_FORMATS[wire.width], number)


def encode_all(options: BondOptions | BridgeOptions | PortOptions) -> list[tuple[int, bytes]]:
    """Every set option as (attribute number, payload), each attribute once."""
    wires = {BondOptions: BOND_WIRE, BridgeOptions: BRIDGE_WIRE, PortOptions: PORT_WIRE}[
        type(options)
    ]
    out: dict[int, bytes] = {}
    for spec, value in options.items():
        if spec.field not in wires:  # VLAN sets go by AF_BRIDGE, not as link attributes
            continue
        number, payload = encode(spec, wires[spec.field], value)
        out.setdefault(number, payload)
    return sorted(out.items())


def default_path_cost(speed: int | None) -> int:
    """The path cost the bridge gives a port from its speed in Mbit/s (br_if.c
    port_cost), until someone sets one."""
    costs = {10000: 2, 5000: 3, 2500: 4, 1000: 4, 100: 19, 10: 100}
    if speed is None or speed <= 0:
        return 100
    if speed > 10000:
        return 1
    return costs.get(speed, 100)


# ---------------------------------------------------------------------------------------
# A bridge's VLANs: RTM_GETLINK/RTM_SETLINK/RTM_DELLINK of family AF_BRIDGE carry them in
# IFLA_AF_SPEC as struct bridge_vlan_info {u16 flags; u16 vid} (linux/if_bridge.h), a
# range as two entries flagged RANGE_BEGIN and RANGE_END.

AF_BRIDGE = 7
IFLA_AF_SPEC = 26
IFLA_BRIDGE_FLAGS, IFLA_BRIDGE_VLAN_INFO = 0, 2
BRIDGE_FLAGS_MASTER, BRIDGE_FLAGS_SELF = 1, 2
RANGE_BEGIN, RANGE_END = 0x8, 0x10
RTEXT_FILTER_BRVLAN_COMPRESSED = 1 << 2
_ENTRY = struct.Struct("=HH")
_RTA = struct.Struct("=HH")


def decode_vlans(msg: bytes, start: int, end: int) -> Membership:
    """The VLANs of one IFLA_AF_SPEC payload (compressed ranges, as dumped with
    RTEXT_FILTER_BRVLAN_COMPRESSED)."""
    tagged: list[tuple[int, int]] = []
    untagged: list[tuple[int, int]] = []
    pvid, begin, offset = 0, 0, start
    while offset + 4 <= end:
        length, kind = _RTA.unpack_from(msg, offset)
        if length < 4:
            break
        if kind & 0x3FFF == IFLA_BRIDGE_VLAN_INFO and length >= 8:
            flags, vid = _ENTRY.unpack_from(msg, offset + 4)
            if flags & RANGE_BEGIN:
                begin = vid
            else:
                low = begin if flags & RANGE_END and begin else vid
                begin = 0
                (untagged if flags & UNTAGGED else tagged).append((low, vid))
                if flags & PVID:
                    pvid = vid
        offset += (length + 3) & ~3
    return Membership(ranges_text(sorted(tagged)), ranges_text(sorted(untagged)), pvid)


def encode_vlans(add: Membership) -> bytes:
    """IFLA_BRIDGE_VLAN_INFO entries (as rtattrs) that add these VLANs with their flags:
    ranges where the ids run on, the pvid on its own (the kernel takes no pvid range)."""
    out = b""
    pvid_flags = PVID
    for text, flags in ((add.tagged, 0), (add.untagged, UNTAGGED)):
        for low, high in parse_vlans(text) if text else ():
            pieces = [(low, high)]
            if low <= add.pvid <= high:
                pieces = [(low, add.pvid - 1), (add.pvid + 1, high)]
                pvid_flags |= flags
            for first, last in pieces:
                if first == last:
                    out += _entry(flags, first)
                elif first < last:
                    out += _entry(flags | RANGE_BEGIN, first) + _entry(flags | RANGE_END, last)
    if add.pvid:
        out += _entry(pvid_flags, add.pvid)
    return out


def _entry(flags: int, vid: int) -> bytes:
    return _RTA.pack(8, IFLA_BRIDGE_VLAN_INFO) + _ENTRY.pack(flags, vid)
