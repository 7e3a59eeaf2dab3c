"""Bond and bridge options (core.options) in systemd-networkd's files: ``[Bond]`` and
``[Bridge]`` of the .netdev, a bridge port's ``[Bridge] Cost=``/``Priority=`` in its
.network (systemd.netdev(5), systemd.network(5)); VLAN lists and pvids are
``[BridgeVLAN]`` sections (backends.networkd_bridgevlan).  Every option has a key; the kernel's
one count of peer notifications is ``GratuitousARP=`` for num_grat_arp and num_unsol_na."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ifsmith.core.options import (
    BOND_SPECS,
    BRIDGE_SPECS,
    PORT_SPECS,
    AnyOptions,
    BondOptions,
    BridgeOptions,
    PortOptions,
    Spec,
)

Settings = dict[tuple[str, str], list[str]]

# option → (section, key); the values are the XML's except as _TO_FILE/_FROM_FILE say.
BOND_KEYS: dict[str, tuple[str, str]] = {
    "min_links": ("Bond", "MinLinks"),
    "ad_select": ("Bond", "AdSelect"),
    "ad_actor_sys_prio": ("Bond", "AdActorSystemPriority"),
    "ad_user_port_key": ("Bond", "AdUserPortKey"),
    "ad_actor_system": ("Bond", "AdActorSystem"),
    "all_slaves_active": ("Bond", "AllSlavesActive"),
    "fail_over_mac": ("Bond", "FailOverMACPolicy"),
    "primary_reselect": ("Bond", "PrimaryReselectPolicy"),
    "num_grat_arp": ("Bond", "GratuitousARP"),
    "num_unsol_na": ("Bond", "GratuitousARP"),
    "arp_all_targets": ("Bond", "ARPAllTargets"),
    "lp_interval": ("Bond", "LearnPacketIntervalSec"),
    "packets_per_slave": ("Bond", "PacketsPerSlave"),
    "resend_igmp": ("Bond", "ResendIGMP"),
    "tlb_dynamic_lb": ("Bond", "DynamicTransmitLoadBalancing"),
    "peer_notif_delay": ("Bond", "PeerNotifyDelaySec"),
}
BRIDGE_KEYS: dict[str, tuple[str, str]] = {
    "priority": ("Bridge", "Priority"),
    "hello_time": ("Bridge", "HelloTimeSec"),
    "max_age": ("Bridge", "MaxAgeSec"),
    "ageing_time": ("Bridge", "AgeingTimeSec"),
    "multicast_snooping": ("Bridge", "MulticastSnooping"),
    "vlan_filtering": ("Bridge", "VLANFiltering"),  # its VLAN lists: networkd_bridgevlan
}
PORT_KEYS: dict[str, tuple[str, str]] = {
    "path_cost": ("Bridge", "Cost"),
    "port_priority": ("Bridge", "Priority"),
}


def _to_file(spec: Spec, value: object) -> str:
    if spec.kind == "bool":
        return "yes" if value else "no"
    if spec.field == "peer_notif_delay":
        return f"{value}ms"
    return spec.text(value)  # type: ignore[arg-type]


def settings(options: AnyOptions) -> Settings:
    """The keys of every option of this kind: set ones with their value, others removed."""
    keys, _specs = _table(options)
    out: Settings = {key: [] for key in keys.values()}
    for spec, value in options.items():
        if spec.field in keys:  # the rest: options_common's warning names it
            out[keys[spec.field]] = [_to_file(spec, value)]
    return out


def _table(options: AnyOptions) -> tuple[dict[str, tuple[str, str]], tuple[Spec, ...]]:
    if isinstance(options, BondOptions):
        return BOND_KEYS, BOND_SPECS
    if isinstance(options, BridgeOptions):
        return BRIDGE_KEYS, BRIDGE_SPECS
    return PORT_KEYS, PORT_SPECS


def read(
    get: Callable[[str, str], str | None],
    kind: type[BondOptions] | type[BridgeOptions] | type[PortOptions],
    where: str,
    problems: list[str],
    timespan: Callable[[str], float],
) -> Any:
    """The options a unit's keys say (``get(section, key)``); a value that is not one is
    a problem naming it, and left out."""
    keys, specs = _table(kind())
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.field == "num_unsol_na" or spec.field not in keys:
            continue  # the same key as num_grat_arp: read once, as that
        section, key = keys[spec.field]
        text = get(section, key)
        if not text:
            continue
        try:
            values[spec.field] = spec.parse(_from_file(spec, text.strip(), timespan))
        except ValueError as exc:
            problems.append(f"{where}: [{section}] {key}={text} not understood ({exc}); ignored")
    return kind(**values)


_TRUE = ("1", "yes", "y", "true", "t", "on")
_FALSE = ("0", "no", "n", "false", "f", "off")


def _from_file(spec: Spec, text: str, timespan: Callable[[str], float]) -> str:
    if spec.kind == "bool":
        if text.lower() in _TRUE:
            return "on"
        if text.lower() in _FALSE:
            return "off"
        raise ValueError("not a boolean")
    if spec.field == "peer_notif_delay":
        return str(round(timespan(text) * 1000))
    if spec.field == "lp_interval":
        return str(round(timespan(text)))
    if spec.kind == "seconds":
        return repr(timespan(text))
    return text
