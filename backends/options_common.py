"""Bond and bridge options (core.options) in the backends: the warning for every option
a backend does not write, and the declaration it makes of what it does.

A backend declares in ``CARRIES`` "bond-options" and/or "bridge-options" when it writes
every option of that kind (bridge-options includes a port's path cost and priority), or
"option:<kernel name>" (``option:min_links``) for each one it writes when it cannot write
them all.  VLAN filtering (a bridge's vlan-filtering and vlans, a port's vlans and pvid) is
its own kind, "bridge-vlans": "bridge-options" does not include it.  Every option set on
an interface the backend does not declare becomes a render warning naming it and its
value: nothing goes silently.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ifsmith.core.model import Interface
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

KINDS = ("bond-options", "bridge-options", "bridge-vlans")


def carried(carries: Collection[str], options: AnyOptions, field: str) -> bool:
    """Whether a backend that declares ``carries`` writes this option."""
    if isinstance(options, BondOptions):
        kind = "bond-options"
    elif any(s.field == field and s.group == "vlans" for s in options.SPECS):
        kind = "bridge-vlans"
    else:
        kind = "bridge-options"
    return kind in carries or f"option:{field}" in carries


def _all_options(interfaces: Sequence[Interface]) -> Iterator[tuple[str, str, AnyOptions]]:
    """(interface, what, options) for every bond's, bridge's and bridge port's options."""
    for top in interfaces:
        for iface, master in top.walk():
            if iface.bond is not None and iface.bond.options:
                yield iface.name, "bond option", iface.bond.options
            if iface.bridge is not None and iface.bridge.options:
                yield iface.name, "bridge option", iface.bridge.options
            if master is not None and master.bridge is not None and iface.port_options:
                yield iface.name, f"bridge port option (in {master.name})", iface.port_options


def lost_options(
    name: str, carries: Collection[str], interfaces: Sequence[Interface]
) -> Iterator[tuple[str, str]]:
    """(interface, message) for every option set that backend ``name`` does not write."""
    for owner, what, options in _all_options(interfaces):
        for spec, value in options.items():
            if not carried(carries, options, spec.field):
                yield owner, (
                    f"{what} {spec.attr}={spec.text(value)} not written: {name} does not "
                    "carry it"
                )


# ---------------------------------------------------------------------------------------
# The bonding driver's own option syntax (sysfs names, ``name=value``): ifcfg-rh's
# BONDING_OPTS, SUSE's BONDING_MODULE_OPTS, netifrc's ``<name>_<bond>`` variables.

SYSFS_NAMES = tuple(spec.field for spec in BOND_SPECS)


def sysfs_pairs(options: BondOptions) -> list[tuple[str, str | None]]:
    """(name, value) of every bond option, None where it is not set."""
    out: list[tuple[str, str | None]] = []
    for spec in BOND_SPECS:
        value = getattr(options, spec.field)
        if value is None:
            out.append((spec.field, None))
        elif spec.kind == "bool":
            out.append((spec.field, "1" if value else "0"))
        else:
            out.append((spec.field, spec.text(value)))
    return out


def read_sysfs(opts: Mapping[str, str], bad: Callable[[str], None]) -> BondOptions:
    """The bond options of ``name=value`` text already split (the driver takes a choice
    by name or by number, a boolean as 0/1); what is not a value is ``bad`` and left out."""
    values: dict[str, Any] = {}
    for spec in BOND_SPECS:
        text = opts.get(spec.field)
        if text is None or text == "":
            continue
        if spec.kind == "bool":
            text = {"0": "off", "1": "on"}.get(text, text)
        elif spec.kind == "choice" and text.isdigit() and int(text) < len(spec.choices):
            text = spec.choices[int(text)]
        try:
            values[spec.field] = spec.parse(text)
        except ValueError as exc:
            bad(f"{spec.field}={text!r}: {exc}")
    return BondOptions(**values)


def keep_spelling(
    ours: list[tuple[str, str | None]],
    old: Mapping[str, str],
    read: Callable[[Mapping[str, str], Callable[[str], None]], object] = read_sysfs,
    names: Collection[str] = SYSFS_NAMES,
) -> list[tuple[str, str | None]]:
    """Our option pairs, each one the admin wrote with the same meaning in their spelling
    (``fail_over_mac=1`` for ``active``): an unchanged option changes no byte.  ``read``
    turns pairs into options (bond options by default), ``names`` are the ones it reads."""
    out = []
    for name, value in ours:
        before = old.get(name)
        if value is not None and before is not None and before != value and name in names:
            same = read({name: before}, lambda _why: None) == read({name: value}, lambda _why: None)
            value = before if same else value
        out.append((name, value))
    return out


# ---------------------------------------------------------------------------------------
# The bridge driver's own option names (its sysfs files, ``name=value``): ifcfg-rh's
# BRIDGING_OPTS (NetworkManager's ifcfg-rh reader: times in whole seconds) and netifrc's
# ``bridge_<name>_<bridge>`` / ``brport_<name>_<port>`` (bridge.sh echoes them into sysfs:
# times in centiseconds).  A port's priority is sysfs' brport/priority.

BRIDGE_SYSFS = {
    "priority": "priority",
    "hello_time": "hello_time",
    "max_age": "max_age",
    "ageing_time": "ageing_time",
    "multicast_snooping": "multicast_snooping",
    "vlan_filtering": "vlan_filtering",
}
PORT_SYSFS = {"path_cost": "path_cost", "port_priority": "priority"}


def _sysfs_table(
    kind: type[BridgeOptions] | type[PortOptions],
) -> tuple[dict[str, str], tuple[Spec, ...]]:
    if kind is BridgeOptions:
        return BRIDGE_SYSFS, BRIDGE_SPECS
    return PORT_SYSFS, PORT_SPECS


def bridge_sysfs_pairs(
    options: BridgeOptions | PortOptions, per_second: int, warn: Callable[[str], None]
) -> list[tuple[str, str | None]]:
    """(sysfs name, value) of every bridge or port option these names carry, None where
    unset; a time is written as a whole number of 1/``per_second`` seconds (``warn`` names
    a value that had to be rounded)."""
    table, specs = _sysfs_table(type(options))
    out: list[tuple[str, str | None]] = []
    for spec in specs:
        if spec.field not in table:
            continue  # not a sysfs option: options_common's warning names it
        value = getattr(options, spec.field)
        name = table[spec.field]
        if value is None:
            out.append((name, None))
        elif spec.kind == "bool":
            out.append((name, "1" if value else "0"))
        elif spec.kind == "seconds":
            whole = round(float(value) * per_second)
            if whole != float(value) * per_second:
                unit = "seconds" if per_second == 1 else f"1/{per_second} seconds"
                warn(f"bridge option {spec.attr}: {name} is whole {unit}; {spec.text(value)} "
                     f"written as {whole}")  # fmt: skip
            out.append((name, str(whole)))
        else:
            out.append((name, spec.text(value)))
    return out


def read_bridge_sysfs(
    opts: Mapping[str, str],
    kind: type[BridgeOptions] | type[PortOptions],
    per_second: int,
    bad: Callable[[str], None],
) -> Any:
    """The bridge (or port) options of ``name=value`` pairs already split, a time in whole
    1/``per_second`` seconds; what is not a value is ``bad`` and left out."""
    table, specs = _sysfs_table(kind)
    values: dict[str, Any] = {}
    for spec in specs:
        name = table.get(spec.field)
        text = opts.get(name) if name is not None else None
        if text is None or not text.strip():
            continue
        text = text.strip()
        given = text
        try:
            if spec.kind == "bool":
                text = {"0": "off", "1": "on"}.get(text, text)
            elif spec.kind == "seconds":
                if not text.isdigit():
                    raise ValueError(f"not a whole number of 1/{per_second} seconds"
                                     if per_second != 1 else "not a whole number of seconds")
                text = str(int(text) / per_second)
            values[spec.field] = spec.parse(text)
        except ValueError as exc:
            bad(f"{name}={given!r}: {exc}")
    return kind(**values)


# SUSE's ifcfg-bridge(5) (wicked): BRIDGE_PRIORITY, BRIDGE_HELLOTIME, BRIDGE_MAXAGE and
# BRIDGE_AGEINGTIME (seconds), and the ports' BRIDGE_PATHCOSTS / BRIDGE_PORTPRIORITIES:
# lists in BRIDGE_PORTS order, '-' for a port whose value is not set (wicked's
# compat-suse.c reads nothing else).  wicked has no multicast snooping and no VLAN
# filtering: a warning names them.
SUSE_BRIDGE_KEYS = {
    "priority": "BRIDGE_PRIORITY",
    "hello_time": "BRIDGE_HELLOTIME",
    "max_age": "BRIDGE_MAXAGE",
    "ageing_time": "BRIDGE_AGEINGTIME",
}
SUSE_PORT_KEYS = {"path_cost": "BRIDGE_PATHCOSTS", "port_priority": "BRIDGE_PORTPRIORITIES"}
SUSE_CARRIES = frozenset(f"option:{name}" for name in (*SUSE_BRIDGE_KEYS, *SUSE_PORT_KEYS))


def suse_bridge_values(options: BridgeOptions | None) -> dict[str, str | None]:
    """Each SUSE bridge variable with its value, None where unset (the variable goes)."""
    out: dict[str, str | None] = dict.fromkeys(SUSE_BRIDGE_KEYS.values())
    for spec, value in options.items() if options is not None else ():
        if spec.field in SUSE_BRIDGE_KEYS:
            out[SUSE_BRIDGE_KEYS[spec.field]] = spec.text(value)
    return out


def read_suse_bridge(val: Callable[[str], str | None], bad: Callable[[str], None]) -> BridgeOptions:
    values: dict[str, Any] = {}
    for spec in BRIDGE_SPECS:
        key = SUSE_BRIDGE_KEYS.get(spec.field)
        text = val(key) if key is not None else None
        if not text:
            continue
        try:
            values[spec.field] = spec.parse(text.strip())
        except ValueError as exc:
            bad(f"{key}={text!r}: {exc}; ignored")
    return BridgeOptions(**values)


def suse_port_lists(ports: Sequence[Interface]) -> dict[str, str | None]:
    """BRIDGE_PATHCOSTS and BRIDGE_PORTPRIORITIES for these ports (BRIDGE_PORTS order),
    '-' where a port has no value, None where no port has one (the variable goes)."""
    out: dict[str, str | None] = {}
    for field, key in SUSE_PORT_KEYS.items():
        words = [str(v) if (v := getattr(p.port_options, field)) is not None else "-"
                 for p in ports]  # fmt: skip
        out[key] = " ".join(words) if any(w != "-" for w in words) else None
    return out


def read_suse_ports(
    val: Callable[[str], str | None], ports: Sequence[str], bad: Callable[[str], None]
) -> dict[str, PortOptions]:
    """Each port's path cost and priority from the bridge's lists (by BRIDGE_PORTS
    position); a list longer than the ports, or a word that is not a value, is ``bad``."""
    values: dict[str, dict[str, Any]] = {port: {} for port in ports}
    for spec in PORT_SPECS:
        key = SUSE_PORT_KEYS.get(spec.field)
        words = (val(key) or "").split() if key is not None else []
        if len(words) > len(ports):
            bad(f"{key}: {len(words)} values for {len(ports)} BRIDGE_PORTS; the rest ignored")
        for port, word in zip(ports, words, strict=False):
            if word == "-":
                continue
            try:
                values[port][spec.field] = spec.parse(word)
            except ValueError as exc:
                bad(f"{key}: {word!r} for {port}: {exc}; ignored")
    return {port: PortOptions(**v) for port, v in values.items() if v}


def with_port_options(
    tops: Sequence[Interface], options: Mapping[tuple[str, str], PortOptions]
) -> list[Interface]:
    """The interfaces with each bridge port's options set from ``options`` (keyed by
    (bridge, port)): formats that say them on the bridge or by port name, read after the
    ports are nested."""
    if not options:
        return list(tops)

    def visit(iface: Interface) -> Interface:
        if iface.bond is not None:
            return replace(iface, bond=replace(iface.bond, slaves=tuple(
                visit(s) for s in iface.bond.slaves)))  # fmt: skip
        if iface.bridge is not None:
            ports = tuple(
                replace(visit(p), port_options=options.get((iface.name, p.name), p.port_options))
                for p in iface.bridge.ports
            )
            return replace(iface, bridge=replace(iface.bridge, ports=ports))
        return iface

    return [visit(t) for t in tops]
