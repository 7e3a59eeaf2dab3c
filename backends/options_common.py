"""Bond and bridge options (core.options) in the backends: the warning for every option
a backend does not write, and the declaration it makes of what it does.

A backend declares in ``CARRIES`` "bond-options" and/or "bridge-options" when it writes
every option of that kind (bridge-options includes a port's path cost and priority), or
"option:<kernel name>" (``option:min_links``) for each one it writes when it cannot write
them all.  Every option set on an interface the backend does not declare becomes a
render warning naming it and its value: nothing goes silently.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from ifsmith.core.model import Interface
from ifsmith.core.options import AnyOptions, BondOptions

KINDS = ("bond-options", "bridge-options")


def carried(carries: Collection[str], options: AnyOptions, field: str) -> bool:
    """Whether a backend that declares ``carries`` writes this option."""
    kind = "bond-options" if isinstance(options, BondOptions) else "bridge-options"
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
