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
from typing import Any

from ifsmith.core.model import Interface
from ifsmith.core.options import BOND_SPECS, BRIDGE_SPECS, AnyOptions, BondOptions, BridgeOptions

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
    ours: list[tuple[str, str | None]], old: Mapping[str, str]
) -> list[tuple[str, str | None]]:
    """Our bond option pairs, each one the admin wrote with the same meaning in their
    spelling (``fail_over_mac=1`` for ``active``): an unchanged option changes no byte."""
    out = []
    for name, value in ours:
        before = old.get(name)
        if value is not None and before is not None and before != value and name in SYSFS_NAMES:
            same = read_sysfs({name: before}, lambda _why: None) == read_sysfs(
                {name: value}, lambda _why: None
            )
            value = before if same else value
        out.append((name, value))
    return out


# SUSE's ifcfg-bridge(5) (wicked): BRIDGE_PRIORITY, BRIDGE_HELLOTIME, BRIDGE_MAXAGE and
# BRIDGE_AGEINGTIME (seconds).  Multicast snooping and a port's BRIDGE_PATHCOSTS /
# BRIDGE_PORTPRIORITIES (lists in port order) are not written yet: a warning names them.
SUSE_BRIDGE_KEYS = {
    "priority": "BRIDGE_PRIORITY",
    "hello_time": "BRIDGE_HELLOTIME",
    "max_age": "BRIDGE_MAXAGE",
    "ageing_time": "BRIDGE_AGEINGTIME",
}
SUSE_CARRIES = frozenset(f"option:{name}" for name in SUSE_BRIDGE_KEYS)


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
