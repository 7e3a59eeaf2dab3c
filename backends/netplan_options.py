"""Bond and bridge options (core.options) in netplan's ``parameters:`` (netplan's YAML
reference): the options netplan has a key for; the others (ad-actor-*, ad-user-port-key,
tlb-dynamic-lb, peer-notif-delay, multicast snooping) are a render warning naming them.
``gratuitous-arp`` is the kernel's one count of peer notifications (num_grat_arp and
num_unsol_na).  A bridge port's path cost and priority are the bridge's ``path-cost`` and
``port-priority`` mappings, port → value (``path-cost: {eth0: 100}``).  netplan has no VLAN
filtering (canonical/netplan pull request 540 is not merged): a VLAN-aware bridge's
values stay render warnings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ifsmith.core.options import (
    BOND_SPECS,
    BRIDGE_SPECS,
    PORT_SPECS,
    BondOptions,
    BridgeOptions,
    PortOptions,
    Spec,
)

BOND_KEYS = {
    "min_links": "min-links",
    "ad_select": "ad-select",
    "all_slaves_active": "all-slaves-active",
    "arp_all_targets": "arp-all-targets",
    "fail_over_mac": "fail-over-mac-policy",
    "num_grat_arp": "gratuitous-arp",
    "num_unsol_na": "gratuitous-arp",
    "packets_per_slave": "packets-per-slave",
    "primary_reselect": "primary-reselect-policy",
    "resend_igmp": "resend-igmp",
    "lp_interval": "learn-packet-interval",
}
# Other spellings netplan takes for the same key (newer names; an old typo).
BOND_ALIASES = {
    "all-slaves-active": ("all-members-active",),
    "packets-per-slave": ("packets-per-member",),
    "gratuitous-arp": ("gratuitious-arp",),
}
BRIDGE_KEYS = {
    "priority": "priority",
    "hello_time": "hello-time",
    "max_age": "max-age",
    "ageing_time": "ageing-time",
}
# A port's options: the bridge's parameters, a mapping of port (netplan id) → value.
PORT_KEYS = {"path_cost": "path-cost", "port_priority": "port-priority"}
CARRIES = frozenset(f"option:{name}" for name in (*BOND_KEYS, *BRIDGE_KEYS, *PORT_KEYS))
PARAMS = frozenset(
    {
        *BOND_KEYS.values(),
        *(a for v in BOND_ALIASES.values() for a in v),
        *BRIDGE_KEYS.values(),
        *PORT_KEYS.values(),
    }
)


def _text(spec: Spec, value: Any) -> str:
    return ("true" if value else "false") if spec.kind == "bool" else spec.text(value)


def params(options: BondOptions | BridgeOptions) -> dict[str, str]:
    """``parameters:`` keys → scalar text (written plain) for the options netplan has."""
    keys = BOND_KEYS if isinstance(options, BondOptions) else BRIDGE_KEYS
    return {keys[s.field]: _text(s, v) for s, v in options.items() if s.field in keys}


def read(
    kind: type[BondOptions] | type[BridgeOptions],
    found: dict[str, Any],
    where: str,
    problems: list[str],
    timespan: Callable[[str], float],
) -> Any:
    """The options of a bond's or bridge's ``parameters:`` mapping."""
    bond = kind is BondOptions
    keys = BOND_KEYS if bond else BRIDGE_KEYS
    values: dict[str, Any] = {}
    for spec in BOND_SPECS if bond else BRIDGE_SPECS:
        key = keys.get(spec.field)
        if key is None or spec.field == "num_unsol_na":
            continue
        raw = next(
            (found[k] for k in (key, *BOND_ALIASES.get(key, ())) if found.get(k) is not None),
            None,
        )
        if raw is None:
            continue
        text = str(raw).strip()
        if spec.kind == "bool":
            text = {"true": "on", "false": "off", "yes": "on", "no": "off"}.get(text.lower(), text)
        elif spec.kind == "seconds":
            try:
                text = repr(timespan(text))
            except ValueError:
                pass
        try:
            values[spec.field] = spec.parse(text)
        except ValueError as exc:
            problems.append(f"{where}: parameters.{key} {raw!r}: {exc}; ignored")
    return kind(**values)


def port_params(ports: list[tuple[str, PortOptions]]) -> dict[str, dict[str, str]]:
    """``path-cost``/``port-priority`` → {port's netplan id: value} for the ports that set
    them (a mapping no port sets is left out)."""
    out: dict[str, dict[str, str]] = {}
    for ident, options in ports:
        for spec, value in options.items():
            if spec.field in PORT_KEYS:
                out.setdefault(PORT_KEYS[spec.field], {})[ident] = spec.text(value)
    return out


def read_ports(found: dict[str, Any], where: str, problems: list[str]) -> dict[str, PortOptions]:
    """Port (netplan id) → its options, from a bridge's ``parameters:`` mappings."""
    values: dict[str, dict[str, Any]] = {}
    for spec in PORT_SPECS:
        key = PORT_KEYS.get(spec.field)
        raw = found.get(key) if key is not None else None
        if raw is None:
            continue
        if not isinstance(raw, dict):
            problems.append(f"{where}: parameters.{key} is not a mapping of ports; ignored")
            continue
        for ident, text in raw.items():
            try:
                values.setdefault(str(ident), {})[spec.field] = spec.parse(str(text).strip())
            except ValueError as exc:
                problems.append(f"{where}: parameters.{key}.{ident} {text!r}: {exc}; ignored")
    return {ident: PortOptions(**v) for ident, v in values.items()}
