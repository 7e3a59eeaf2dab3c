"""The netlink encoding of the bond and bridge options (core.options): which IFLA_BOND_*,
IFLA_BR_* and IFLA_BRPORT_* attribute carries each, in which width and numbering.  Read
by core.live (decoding, with ``struct.unpack_from``) and backends.kernel (encoding), so
the two cannot disagree."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from ifsmith.core.options import (
    BOND_SPECS,
    BRIDGE_SPECS,
    PORT_SPECS,
    BondOptions,
    BridgeOptions,
    OptValue,
    PortOptions,
    Spec,
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
