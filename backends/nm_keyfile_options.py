"""Bridge and bridge-port options (core.options) in NetworkManager keyfiles:
``[bridge] priority``, ``hello-time``, ``max-age``, ``ageing-time`` (whole seconds),
``multicast-snooping``, and a port profile's ``[bridge-port] path-cost`` and ``priority``
(nm-settings-keyfile(5)).  Bond options are ``[bond]`` keys by the driver's own names
(backends.options_common).

VLAN filtering: ``[bridge] vlan-filtering``, ``vlan-default-pvid`` (0 for none; how a
port's "no pvid" is said: backends.bridge_vlans) and the bridge device's own ``vlans``; a
port's ``[bridge-port] vlans``.  A list is NetworkManager's "$vid [pvid] [untagged]"
entries joined by commas, sorted as nmcli writes them: "10 pvid untagged,20,100-199"
(nm-settings-nmcli(5)).  NetworkManager sets a port's list as it stands, the bridge's
default pvid added only where the list has no pvid entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ifsmith.backends import bridge_vlans as bv
from ifsmith.core.model import Bridge
from ifsmith.core.options import (
    BRIDGE_SPECS,
    PORT_SPECS,
    PVID_NONE,
    BridgeOptions,
    PortOptions,
    VlanRanges,
    parse_vlans,
)

Keys = dict[tuple[str, str], str | None]
BRIDGE_KEYS = {
    "priority": ("bridge", "priority"),
    "hello_time": ("bridge", "hello-time"),
    "max_age": ("bridge", "max-age"),
    "ageing_time": ("bridge", "ageing-time"),
    "multicast_snooping": ("bridge", "multicast-snooping"),
    "vlan_filtering": ("bridge", "vlan-filtering"),
}
PORT_KEYS = {
    "path_cost": ("bridge-port", "path-cost"),
    "port_priority": ("bridge-port", "priority"),
}


def keys(options: BridgeOptions | PortOptions, warn: Callable[[str], None]) -> Keys:
    """The keys of every option of this kind (None: not set, the key goes)."""
    table = BRIDGE_KEYS if isinstance(options, BridgeOptions) else PORT_KEYS
    out: Keys = {key: None for key in table.values()}
    for spec, value in options.items():
        if spec.field not in table:
            continue  # not written here: options_common's warning names it
        if spec.kind == "bool":
            text = "true" if value else "false"
        elif spec.kind == "seconds":
            text = str(round(float(value)))
            if float(text) != float(value):
                warn(f"NetworkManager's {table[spec.field][1]} is whole seconds; {value} "
                     f"written as {text}")  # fmt: skip
        else:
            text = spec.text(value)
        out[table[spec.field]] = text
    return out


def read(
    get: Callable[[str, str], str | None],
    kind: type[BridgeOptions] | type[PortOptions],
    where: str,
    problems: list[str],
) -> Any:
    table = BRIDGE_KEYS if kind is BridgeOptions else PORT_KEYS
    values: dict[str, Any] = {}
    for spec in BRIDGE_SPECS if kind is BridgeOptions else PORT_SPECS:
        if spec.field not in table:
            continue
        group, key = table[spec.field]
        text = get(group, key)
        if text is None or not text.strip():
            continue
        text = text.strip()
        if spec.kind == "bool":
            text = {"true": "on", "false": "off", "yes": "on", "no": "off", "1": "on",
                    "0": "off"}.get(text.lower(), text)  # fmt: skip
        try:
            values[spec.field] = spec.parse(text)
        except ValueError as exc:
            problems.append(f"{where}: {group}.{key}={text!r}: {exc}; ignored")
    return kind(**values)


# ---------------------------------------------------------------------------------------
# VLAN lists.


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


def bridge_vlan_keys(bridge: Bridge) -> Keys:
    """A VLAN-filtering bridge's default pvid and own VLANs (nothing for another bridge:
    an admin's keys of a bridge that does not filter stay)."""
    if not bridge.options.vlan_filtering:
        return {}
    default = bv.default_pvid(bridge, additive=False)
    text = bridge.options.vlans
    ranges = parse_vlans(text) if text else ()
    return {
        ("bridge", "vlan-default-pvid"): "0" if default == PVID_NONE else None,
        ("bridge", "vlans"): vlan_list(ranges, bv.self_pvid(default)),
    }


def port_vlan_keys(options: PortOptions, master: Bridge | None) -> Keys:
    """A bridge port's own VLAN list under its bridge's default pvid."""
    default = bv.default_pvid(master, additive=False)
    ranges = parse_vlans(options.vlans) if options.vlans else ()
    return {("bridge-port", "vlans"): vlan_list(ranges, bv.port_pvid(options, default))}


def default_pvid(
    get: Callable[[str, str], str | None], where: str, problems: list[str]
) -> int | None:
    """A VLAN-filtering bridge profile's vlan-default-pvid (None: unset, or not filtering)."""
    if (get("bridge", "vlan-filtering") or "").strip().lower() not in ("true", "yes", "1"):
        return None
    text = get("bridge", "vlan-default-pvid")
    try:
        return bv.parse_default(text)
    except ValueError as exc:
        problems.append(f"{where}: bridge.vlan-default-pvid={text!r}: {exc}; ignored")
        return None


def read_port_vlans(
    get: Callable[[str, str], str | None], where: str, problems: list[str]
) -> tuple[str | None, int | None]:
    """A port profile's (vlans, pvid); a pvid its list leaves out is its bridge's
    (the reader fills it in, knowing the bridge, and adds the pvid to the port's VLANs:
    bridge_vlans.with_pvids)."""
    text = get("bridge-port", "vlans")
    if not text or not text.strip():
        return None, None
    return bv.reading(*read_vlan_list(text, where, problems), where, problems)


def read_bridge_vlans(
    get: Callable[[str, str], str | None], default: int | None, where: str, problems: list[str]
) -> str | None:
    """A VLAN-filtering bridge profile's own VLANs."""
    text = get("bridge", "vlans") or ""
    listed, pvid, untagged = read_vlan_list(text, where, problems)
    return bv.self_reading(listed, pvid, untagged, default, where, problems)
