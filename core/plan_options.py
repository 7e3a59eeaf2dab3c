"""The plan's part for bond, bridge and bridge-port options (core.options): what differs
between wanted and running, what a mode lets the kernel set, how an operation reads.

None in a wanted option means "leave it as it is", as everywhere in the plan's specs; a
rollback's spec (from a snapshot) sets every value the kernel reported.
"""

from __future__ import annotations

from typing import Any, TypeVar

from ifsmith.core.options import AnyOptions, BondOptions, BridgeOptions, PortOptions
from ifsmith.core.options_netlink import KERNEL_MODES, ZERO_MAC

_T = TypeVar("_T", BondOptions, BridgeOptions, PortOptions)


def changed(wanted: _T, running: _T | None) -> _T:
    """The wanted options whose value the kernel does not run yet."""
    keep: dict[str, Any] = {}
    for spec, value in wanted.items():
        current = getattr(running, spec.field) if running is not None else None
        if spec.kind == "seconds" and isinstance(current, float):
            if abs(float(value) - current) < 0.005:
                continue
        elif value == current:
            continue
        keep[spec.field] = value
    return type(wanted)(**keep)


def link_options(options: _T) -> _T:
    """The options that are link attributes: without the sets of VLANs, which are not
    (core.bridge_vlans and the plan's SetBridgeVlans carry those)."""
    keep: dict[str, Any] = {
        spec.field: value for spec, value in options.items() if spec.kind not in _SETS
    }
    return type(options)(**keep)


_SETS = frozenset({"vlans", "pvid"})


def fit_mode(options: BondOptions, mode: str | None) -> BondOptions:
    """The options without those the kernel refuses to set at all in this mode (a
    snapshot reports some of them in every mode), nor an all-zero ad_actor_system (the
    kernel's "none", which it does not take back)."""
    effective = str(mode) if mode is not None else "balance-rr"
    keep: dict[str, Any] = {
        spec.field: value
        for spec, value in options.items()
        if spec.field not in KERNEL_MODES or effective in KERNEL_MODES[spec.field]
    }
    if keep.get("ad_actor_system") == ZERO_MAC:
        del keep["ad_actor_system"]
    return BondOptions(**keep)


def needs_recreate(wanted: BondOptions, running: BondOptions | None) -> bool:
    """fail_over_mac changes only on a bond without slaves, and an ad_actor_system goes
    back to none only with a new bond: recreating does both (the plan re-adds slaves)."""
    if running is None:
        return False
    if wanted.fail_over_mac is not None and wanted.fail_over_mac != running.fail_over_mac:
        return True
    return wanted.ad_actor_system == ZERO_MAC and running.ad_actor_system not in (None, ZERO_MAC)


def words(options: AnyOptions) -> str:
    """`` min_links 2 ad_select bandwidth``: the options as an operation describes them."""
    text = ""
    for spec, value in options.items():
        shown = ("on" if value else "off") if spec.kind == "bool" else spec.text(value)
        unit = "s" if spec.kind == "seconds" else ""
        text += f" {spec.field} {shown}{unit}"
    return text
