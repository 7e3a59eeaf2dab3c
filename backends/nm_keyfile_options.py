"""Bridge and bridge-port options (core.options) in NetworkManager keyfiles:
``[bridge] priority``, ``hello-time``, ``max-age``, ``ageing-time`` (whole seconds),
``multicast-snooping``, and a port profile's ``[bridge-port] path-cost`` and ``priority``
(nm-settings-keyfile(5)).  Bond options are ``[bond]`` keys by the driver's own names
(backends.options_common).

VLAN filtering: ``[bridge] vlan-filtering``, ``vlan-default-pvid`` (0 for none; how a
port's "no pvid" is said: backends.bridge_vlans) and the bridge device's own ``vlans``; a
port's ``[bridge-port] vlans``, in NetworkManager's list syntax (backends.nm_vlans,
shared with ifcfg-rh).  NetworkManager sets a port's list as it stands, the bridge's
default pvid added only where the list has no pvid entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ifsmith.backends import nm_vlans
from ifsmith.core.model import Bridge
from ifsmith.core.options import (
    BRIDGE_SPECS,
    PORT_SPECS,
    BridgeOptions,
    PortOptions,
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
# VLAN lists (backends.nm_vlans, shared with ifcfg-rh).


def bridge_vlan_keys(bridge: Bridge) -> Keys:
    """A VLAN-filtering bridge's default pvid and own VLANs (nothing for another bridge:
    an admin's keys of a bridge that does not filter stay)."""
    if not bridge.options.vlan_filtering:
        return {}
    return {
        ("bridge", "vlan-default-pvid"): nm_vlans.default_text(bridge),
        ("bridge", "vlans"): nm_vlans.bridge_list(bridge),
    }


def port_vlan_keys(options: PortOptions, master: Bridge | None) -> Keys:
    """A bridge port's own VLAN list under its bridge's default pvid."""
    return {("bridge-port", "vlans"): nm_vlans.port_list(options, nm_vlans.default_pvid(master))}


def default_pvid(
    get: Callable[[str, str], str | None], where: str, problems: list[str]
) -> int | None:
    """A VLAN-filtering bridge profile's vlan-default-pvid (None: unset, or not filtering)."""
    if (get("bridge", "vlan-filtering") or "").strip().lower() not in ("true", "yes", "1"):
        return None
    text = get("bridge", "vlan-default-pvid")
    return nm_vlans.read_default(text, f"{where}: bridge.vlan-default-pvid", problems)


def read_port_vlans(
    get: Callable[[str, str], str | None], where: str, problems: list[str]
) -> tuple[str | None, int | None]:
    """A port profile's (vlans, pvid) (nm_vlans.read_port_list)."""
    return nm_vlans.read_port_list(get("bridge-port", "vlans"), where, problems)


def read_bridge_vlans(
    get: Callable[[str, str], str | None], default: int | None, where: str, problems: list[str]
) -> str | None:
    """A VLAN-filtering bridge profile's own VLANs."""
    return nm_vlans.read_bridge_list(get("bridge", "vlans"), default, where, problems)
