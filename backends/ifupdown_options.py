"""Bond and bridge options (core.options) in Debian's /etc/network/interfaces: ifenslave's
``bond-<option>`` lines (the bonding driver's own values: names, numbers, 0/1), and
bridge-utils' ``bridge_bridgeprio``, ``bridge_hello``, ``bridge_maxage``, ``bridge_ageing``
and ``bridge_mcsnoop`` (bridge-utils-interfaces(5)).  A port's path cost and priority
(``bridge_pathcost PORT N``) are not written yet: a render warning names them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ifsmith.backends.options_common import read_sysfs, sysfs_pairs
from ifsmith.core.options import BRIDGE_SPECS, BondOptions, BridgeOptions

# The bridge options' keys, as the reader normalizes them ("_" → "-").
BRIDGE_KEYS = {
    "priority": "bridge-bridgeprio",
    "hello_time": "bridge-hello",
    "max_age": "bridge-maxage",
    "ageing_time": "bridge-ageing",
    "multicast_snooping": "bridge-mcsnoop",
}
BOND_KEYS = {name: "bond-" + name.replace("_", "-") for name, _v in sysfs_pairs(BondOptions())}
CARRIES = frozenset({"bond-options", *(f"option:{name}" for name in BRIDGE_KEYS)})


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
        text = ("1" if value else "0") if spec.kind == "bool" else spec.text(value)
        out.append((BRIDGE_KEYS[spec.field].replace("-", "_"), text))
    return out


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
