"""Bond and bridge options (core.options) in Debian's /etc/network/interfaces: ifenslave's
``bond-<option>`` lines (the bonding driver's own values: names, numbers, 0/1), and
bridge-utils' ``bridge_bridgeprio``, ``bridge_hello``, ``bridge_maxage``, ``bridge_ageing``,
``bridge_mcsnoop`` and ``bridge_vlan_aware yes`` (bridge-utils-interfaces(5)).

A port's options go in the port's own stanza, as ifupdown2 (and Proxmox, and ifupdown-ng
for the VLANs) write them: ``bridge-pathcosts 100``, ``bridge-portprios 10``,
``bridge-vids 10 20 100-199``, ``bridge-pvid 10`` and, for a port without a native VLAN,
``bridge-allow-untagged no``.  bridge-utils' own ``bridge_pathcost PORT COST`` on the
bridge is not written: ifupdown 0.8 passes a hook only the first of repeated keys, so it
sets one port per bridge, and ifupdown2 does not read it.  The bridge's own VLANs (for
``br0.10`` on top) are ``up bridge vlan add vid 10 dev br0 self`` commands: ifupdown2
reads ``bridge-vids`` on a bridge as its ports' default, ifupdown-ng as the bridge's own,
and ifupdown 0.8 not at all, while every flavour runs the command."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ifsmith.backends.options_common import read_sysfs, sysfs_pairs
from ifsmith.core.options import (
    BRIDGE_SPECS,
    PORT_SPECS,
    PVID_NONE,
    BondOptions,
    BridgeOptions,
    PortOptions,
    parse_vlans,
    vlan_text,
)

# The bridge options' keys, as the reader normalizes them ("_" → "-").
BRIDGE_KEYS = {
    "priority": "bridge-bridgeprio",
    "hello_time": "bridge-hello",
    "max_age": "bridge-maxage",
    "ageing_time": "bridge-ageing",
    "multicast_snooping": "bridge-mcsnoop",
    "vlan_filtering": "bridge-vlan-aware",
}
# A port's options, in its own stanza (ifupdown2's names).
PORT_KEYS = {
    "path_cost": "bridge-pathcosts",
    "port_priority": "bridge-portprios",
    "vlans": "bridge-vids",
    "pvid": "bridge-pvid",
}
# Keys of a port's stanza that say its VLANs in other words (read, and replaced on a change).
PORT_OTHER_KEYS = ("bridge-allow-untagged", "bridge-access", "bridge-trunk")
BOND_KEYS = {name: "bond-" + name.replace("_", "-") for name, _v in sysfs_pairs(BondOptions())}
CARRIES = frozenset({"bond-options", "bridge-options", "bridge-vlans"})
# The bridge's own VLANs: "bridge vlan add vid 10 dev br0 self" (either word order).
_SELF_VLAN = re.compile(
    r"(?:/s?bin/|/usr/s?bin/)?bridge vlan add "
    r"(?:vid (?P<vid>\S+) dev (?P<dev>\S+)|dev (?P<dev2>\S+) vid (?P<vid2>\S+)) self"
)


def bond_lines(options: BondOptions) -> list[tuple[str, str]]:
    return [(BOND_KEYS[name], value) for name, value in sysfs_pairs(options) if value is not None]


def read_bond(option: Callable[[str], str | None], name: str, problems: list[str]) -> BondOptions:
    opts = {field: option(key) for field, key in BOND_KEYS.items()}
    found = {k: v.strip() for k, v in opts.items() if v is not None}
    return read_sysfs(found, lambda why: problems.append(f"{name}: bond-{why}; ignored"))


def bridge_lines(options: BridgeOptions) -> list[tuple[str, str]]:
    out = []
    for spec, value in options.items():
        if spec.field not in BRIDGE_KEYS:
            continue  # not written here: options_common's warning names it
        if spec.field == "vlan_filtering":
            text = "yes" if value else "no"  # bridge-utils' hook compares with "yes"
        elif spec.kind == "bool":
            text = "1" if value else "0"
        else:
            text = spec.text(value)
        out.append((BRIDGE_KEYS[spec.field].replace("-", "_"), text))
    return out


def self_vlan_lines(name: str, options: BridgeOptions) -> list[tuple[str, str]]:
    """``up bridge vlan add vid … dev NAME self`` for each of the bridge's own VLAN ranges."""
    ranges = parse_vlans(options.vlans) if options.vlans else ()
    return [("up", f"bridge vlan add vid {vlan_text(((low, high),))} dev {name} self")
            for low, high in ranges]  # fmt: skip


def self_vlan(command: str, name: str) -> str | None:
    """The VLAN (or range) of a ``bridge vlan add … dev NAME self`` command, else None."""
    m = _SELF_VLAN.fullmatch(command.strip())
    if m is None or (m.group("dev") or m.group("dev2")) != name:
        return None
    return m.group("vid") or m.group("vid2")


def port_lines(options: PortOptions) -> list[tuple[str, str]]:
    """A bridge port's lines in its own stanza (ifupdown2's keys)."""
    out = []
    for spec, value in options.items():
        if spec.field == "pvid" and value == PVID_NONE:
            out.append(("bridge-allow-untagged", "no"))
        else:
            out.append((PORT_KEYS[spec.field], spec.text(value)))
    return out


_PVID = next(spec for spec in PORT_SPECS if spec.field == "pvid")


def ifupdown2_only(options: BridgeOptions, ports: Sequence[PortOptions]) -> str | None:
    """The warning for a bridge with lines ifupdown 0.8 does not apply (bridge-utils' hook
    has no multicast snooping; the ports' lines are ifupdown2's), or None."""
    keys = sorted({key for port in ports for key, _v in port_lines(port)})
    said = [f"its ports' {', '.join(keys)} lines"] if keys else []
    if options.multicast_snooping is not None:
        said.insert(0, "its bridge_mcsnoop line")
    if not said:
        return None
    verb = "is" if said == ["its bridge_mcsnoop line"] else "are"
    return (f"{' and '.join(said)} {verb} read by ifupdown2 (and ifupdown-ng for the ports' "
            "VLANs), not by Debian's ifupdown 0.8 with bridge-utils: there they apply only "
            "live, through ifsmith's kernel activator")  # fmt: skip


def read_port(option: Callable[[str], str | None], name: str, problems: list[str]) -> PortOptions:
    """A port's options from its stanza; ``bridge-access N`` (ifupdown2) is the port's
    pvid alone, ``bridge-trunk`` another name for ``bridge-vids``."""
    values: dict[str, Any] = {}
    for spec in PORT_SPECS:
        key = PORT_KEYS[spec.field]
        text = option(key)
        if text is None and spec.field == "vlans":
            key, text = "bridge-trunk", option("bridge-trunk")
        if text is None:
            continue
        try:
            values[spec.field] = spec.parse(text.strip())
        except ValueError as exc:
            problems.append(f"{name}: {key} {text!r}: {exc}; ignored")
    access = option("bridge-access")
    if access is not None:
        try:
            values["pvid"] = _PVID.parse(access.strip())
            values.pop("vlans", None)
        except ValueError as exc:
            problems.append(f"{name}: bridge-access {access!r}: {exc}; ignored")
    untagged = option("bridge-allow-untagged")
    if untagged is not None and untagged.strip().lower() in ("no", "off", "0"):
        values["pvid"] = PVID_NONE
    return PortOptions(**values)


def read_self_vlans(commands: Sequence[str], name: str, problems: list[str]) -> str | None:
    """The bridge's own VLANs from its ``bridge vlan add … self`` commands."""
    found = [v for c in commands if (v := self_vlan(c, name)) is not None]
    if not found:
        return None
    try:
        return vlan_text(parse_vlans(" ".join(found)))
    except ValueError as exc:
        problems.append(f"{name}: bridge vlan add … self: {exc}; ignored")
        return None


def read_bridge(
    option: Callable[[str], str | None], name: str, problems: list[str]
) -> BridgeOptions:
    values: dict[str, Any] = {}
    for spec in BRIDGE_SPECS:
        if spec.field not in BRIDGE_KEYS:
            continue
        text = option(BRIDGE_KEYS[spec.field])
        if text is None:
            continue
        text = text.strip()
        if spec.kind == "bool":
            text = {"1": "on", "0": "off", "yes": "on", "no": "off"}.get(text.lower(), text)
        try:
            values[spec.field] = spec.parse(text)
        except ValueError as exc:
            key = BRIDGE_KEYS[spec.field].replace("-", "_")
            problems.append(f"{name}: {key} {text!r}: {exc}; ignored")
    return BridgeOptions(**values)
