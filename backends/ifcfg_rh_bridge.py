"""Bridge and bridge-port options and VLAN filtering in RHEL ifcfg files, as
NetworkManager's ifcfg-rh plugin reads and writes them (nms-ifcfg-rh-reader.c,
nms-ifcfg-rh-writer.c):

- a bridge's ``BRIDGING_OPTS="priority=4096 hello_time=2 max_age=12 ageing_time=600
  multicast_snooping=0 vlan_filtering=1"``: the kernel's sysfs names, times in whole
  seconds (NetworkManager reads integers; initscripts' ifup-eth echoes the values into
  sysfs, where the three times are centiseconds).  NetworkManager reads priority,
  hello_time and max_age only with ``STP=yes``.
- a port's ``BRIDGING_OPTS="priority=10 path_cost=100"`` (sysfs' brport names).
- the bridge's own VLANs, ``BRIDGE_VLANS="10,20"``, and a port's
  ``BRIDGE_PORT_VLANS="10 pvid untagged,20,100-199"`` (NetworkManager's bridge VLAN
  syntax, backends.nm_vlans: ``VID[-VID] [pvid] [untagged]``, comma-separated).
- a VLAN-filtering bridge's default pvid, BRIDGING_OPTS ``default_pvid=`` (0 for none),
  by the rule NetworkManager keyfiles follow too (backends.bridge_vlans): NetworkManager
  gives every port its bridge's default unless the port names a pvid, so a port without
  one makes the default none (``default_pvid=0``) and every other port names its own.
  An admin's ``default_pvid=5`` is the pvid of every port whose list names none.

The admin's other BRIDGING_OPTS words (``hairpin_mode=1``; ``default_pvid=…`` of a bridge
that does not filter) stay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ifsmith.backends import bridge_vlans as bv
from ifsmith.backends import nm_vlans, options_common
from ifsmith.backends.bash import ShellFile, merge_options, parse_options
from ifsmith.core.model import Bridge, Interface
from ifsmith.core.options import BridgeOptions, PortOptions

_Put = Callable[[str, str | None], None]
_Why = Callable[[str], None]
_STP_ONLY = ("priority", "hello_time", "max_age")  # NetworkManager: only with STP=yes
_DEFAULT = "default_pvid"  # NetworkManager's bridge.vlan-default-pvid; 0 for none
_NAMES = frozenset({*options_common.BRIDGE_SYSFS.values(), *options_common.PORT_SYSFS.values()})


def render(shell: ShellFile, iface: Interface, bridge: str | None, put: _Put, warn: _Why,
           default: int | None) -> None:  # fmt: skip
    """BRIDGING_OPTS, BRIDGE_VLANS and BRIDGE_PORT_VLANS of a bridge, of a port of the
    bridge named ``bridge`` (``default``: that bridge's default pvid, nm_vlans.default_pvid,
    which the port's list depends on), or (neither) BRIDGING_OPTS without our words."""
    existing = shell.get("BRIDGING_OPTS")
    options: BridgeOptions | PortOptions | None = None
    if iface.bridge is not None:
        options = iface.bridge.options
        if not iface.bridge.stp:
            for spec, value in options.items():
                if spec.field in _STP_ONLY:
                    warn(f"bridge option {spec.attr}={spec.text(value)}: NetworkManager reads "
                         "it from BRIDGING_OPTS only with STP=yes")  # fmt: skip
    elif bridge is not None:
        options = iface.port_options
    ours = options_common.bridge_sysfs_pairs(options, 1, warn) if options is not None else []
    if options is not None:
        kind = type(options)
        ours = options_common.keep_spelling(
            ours, dict(parse_options(existing or "")),
            lambda opts, bad: options_common.read_bridge_sysfs(opts, kind, 1, bad), _NAMES,
        )  # fmt: skip
    if iface.bridge is not None and iface.bridge.options.vlan_filtering:
        # An admin's default_pvid of a bridge that does not filter stays.
        ours.append((_DEFAULT, _default_word(iface.bridge, existing)))
    text = merge_options(existing, ours, _NAMES) if existing or ours else ""
    put("BRIDGING_OPTS", text or None)
    put("BRIDGE_VLANS", nm_vlans.bridge_list(iface.bridge) if iface.bridge is not None else None)
    port = nm_vlans.port_list(iface.port_options, default) if bridge is not None else None
    put("BRIDGE_PORT_VLANS", port)


def _default_word(bridge: Bridge, existing: str | None) -> str | None:
    """``default_pvid=`` of a VLAN-filtering bridge: 0 where backends.bridge_vlans says
    none; else an admin's number stays as written, as NetworkManager keyfiles keep their
    ``vlan-default-pvid=5`` (each port's list says the pvid it has), and their 0 goes."""
    said = nm_vlans.default_text(bridge)
    before = dict(parse_options(existing or "")).get(_DEFAULT)
    if said is None and before is not None and before.strip().lower() not in ("0", "none"):
        return before
    return said


def default_pvid(sh: ShellFile, bad: _Why) -> int | None:
    """A VLAN-filtering bridge's ``default_pvid=`` (None: unset, the kernel's 1, or not
    filtering)."""
    opts = dict(parse_options(sh.get("BRIDGING_OPTS") or ""))
    if opts.get("vlan_filtering", "").strip() != "1" or _DEFAULT not in opts:
        return None
    problems: list[str] = []
    default = nm_vlans.read_default(opts[_DEFAULT], f"BRIDGING_OPTS: {_DEFAULT}", problems)
    for problem in problems:
        bad(problem)
    return default


def with_pvids(bridge: ShellFile, ports: tuple[Interface, ...]) -> tuple[Interface, ...]:
    """A bridge's ports as read, each pvid as its bridge's default says
    (bridge_vlans.with_pvids)."""
    return bv.with_pvids(ports, default_pvid(bridge, lambda _why: None))


def read_bridge(sh: ShellFile, bad: _Why) -> BridgeOptions:
    opts = dict(parse_options(sh.get("BRIDGING_OPTS") or ""))
    options: BridgeOptions = options_common.read_bridge_sysfs(
        opts, BridgeOptions, 1, lambda why: bad(f"BRIDGING_OPTS: {why}; ignored")
    )
    problems: list[str] = []
    default = default_pvid(sh, problems.append)
    vlans = nm_vlans.read_bridge_list(sh.get("BRIDGE_VLANS"), default, "BRIDGE_VLANS", problems)
    for problem in problems:
        bad(problem)
    return replace(options, vlans=vlans)


def read_port(sh: ShellFile, bad: _Why) -> PortOptions:
    """A port's options and its own list's (vlans, pvid); a pvid the list leaves out is
    its bridge's (``with_pvids``)."""
    opts = dict(parse_options(sh.get("BRIDGING_OPTS") or ""))
    options: PortOptions = options_common.read_bridge_sysfs(
        opts, PortOptions, 1, lambda why: bad(f"BRIDGING_OPTS: {why}; ignored")
    )
    problems: list[str] = []
    text = sh.get("BRIDGE_PORT_VLANS")
    vlans, pvid = nm_vlans.read_port_list(text, "BRIDGE_PORT_VLANS", problems)
    for problem in problems:
        bad(problem)
    return replace(options, vlans=vlans, pvid=pvid)
