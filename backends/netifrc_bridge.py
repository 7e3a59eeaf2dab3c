"""Bridge and bridge-port options in Gentoo's /etc/conf.d/net, as netifrc's net/bridge.sh
applies them: for every file in /sys/class/net/BRIDGE/bridge/ it echoes
``bridge_<file>_<bridge>`` into it, and for every file in a port's brport/ directory
``brport_<file>_<port>`` (the unprefixed ``<file>_<name>`` is still read, with a warning).
So the values are sysfs': priority, hello_time / max_age / ageing_time in centiseconds,
multicast_snooping and vlan_filtering as 0/1; a port's path_cost and priority.

sysfs has no file for a VLAN list or a port's pvid (those are netlink's bridge VLAN
entries): a bridge's own VLANs and a port's VLANs and pvid cannot be said here, and the
render warning of backends.options_common names each one."""

from __future__ import annotations

from collections.abc import Callable

from ifsmith.backends import options_common
from ifsmith.backends.bash import ShellFile
from ifsmith.core.model import Interface
from ifsmith.core.options import BridgeOptions, PortOptions

CARRIES = frozenset({"bridge-options", "option:vlan_filtering"})
PER_SECOND = 100  # sysfs keeps the bridge's times as centiseconds (USER_HZ)
_BRIDGE_NAMES = tuple(options_common.BRIDGE_SYSFS.values())
_PORT_NAMES = tuple(options_common.PORT_SYSFS.values())
# Variable prefixes these options own (for netifrc's key splitting and undefine).
PREFIXES = frozenset({
    *(f"bridge_{n}" for n in _BRIDGE_NAMES), *(f"brport_{n}" for n in _PORT_NAMES),
    *_BRIDGE_NAMES, *_PORT_NAMES,
})  # fmt: skip

_Put = Callable[[str, str | None], None]


def render(sh: ShellFile, iface: Interface, v: str, port: bool, put: _Put,
           warn: Callable[[str], None]) -> None:  # fmt: skip
    """``bridge_*_V`` of a bridge and ``brport_*_V`` of a bridge port (``port``); where the
    device was one and is no longer, its variables go."""
    br = iface.bridge
    if br is not None:
        _put_all(sh, v, "bridge", options_common.bridge_sysfs_pairs(br.options, PER_SECOND, warn),
                 put)  # fmt: skip
    elif sh.get(f"bridge_{v}") is not None:
        for name in _BRIDGE_NAMES:
            put(f"bridge_{name}", None)
    if port:
        pairs = options_common.bridge_sysfs_pairs(iface.port_options, PER_SECOND, warn)
        _put_all(sh, v, "brport", pairs, put)
    else:
        for name in _PORT_NAMES:
            put(f"brport_{name}", None)


def _put_all(sh: ShellFile, v: str, prefix: str, pairs: list[tuple[str, str | None]],
             put: _Put) -> None:  # fmt: skip
    for name, value in pairs:
        # The unprefixed spelling is a deprecated alias: it stays while its value does.
        if value is None or sh.get(f"{name}_{v}") != value or sh.get(f"{prefix}_{name}_{v}"):
            put(f"{prefix}_{name}", value)
            put(name, None)


def _pairs(sh: ShellFile, v: str, prefix: str, names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for name in names:
        value = sh.get(f"{prefix}_{name}_{v}") or sh.get(f"{name}_{v}")
        if value:
            out[name] = value
    return out


def read_bridge(sh: ShellFile, v: str, bad: Callable[[str], None]) -> BridgeOptions:
    """A bridge's options from ``bridge_<name>_V`` (or the old ``<name>_V``)."""
    options: BridgeOptions = options_common.read_bridge_sysfs(
        _pairs(sh, v, "bridge", _BRIDGE_NAMES), BridgeOptions, PER_SECOND, bad
    )
    return options


def read_port(sh: ShellFile, v: str, bad: Callable[[str], None]) -> PortOptions:
    """A port's options from ``brport_<name>_V`` (or the old ``<name>_V``)."""
    options: PortOptions = options_common.read_bridge_sysfs(
        _pairs(sh, v, "brport", _PORT_NAMES), PortOptions, PER_SECOND, bad
    )
    return options
