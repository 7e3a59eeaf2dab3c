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
  syntax: ``VID[-VID] [pvid] [untagged]``, comma-separated).  NetworkManager gives every
  port its bridge's default PVID (``default_pvid``, 1) unless the port names a pvid, so a
  port without one (pvid none) cannot be said: a warning names it.

The admin's other BRIDGING_OPTS words (``hairpin_mode=1``, ``default_pvid=…``) stay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ifsmith.backends import options_common
from ifsmith.backends.bash import ShellFile, merge_options, parse_options
from ifsmith.core.model import Interface
from ifsmith.core.options import (
    PVID_NONE,
    BridgeOptions,
    PortOptions,
    parse_vlans,
    vlan_text,
)

_Put = Callable[[str, str | None], None]
_Why = Callable[[str], None]
_STP_ONLY = ("priority", "hello_time", "max_age")  # NetworkManager: only with STP=yes
_NAMES = frozenset({*options_common.BRIDGE_SYSFS.values(), *options_common.PORT_SYSFS.values()})


def render(shell: ShellFile, iface: Interface, bridge: str | None, put: _Put,
           warn: _Why) -> None:  # fmt: skip
    """BRIDGING_OPTS, BRIDGE_VLANS and BRIDGE_PORT_VLANS of a bridge, of a port of the
    bridge named ``bridge``, or (neither) BRIDGING_OPTS without our words."""
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
    text = merge_options(existing, ours, _NAMES) if existing or ours else ""
    put("BRIDGING_OPTS", text or None)
    bridge_vlans = iface.bridge.options.vlans if iface.bridge is not None else None
    put("BRIDGE_VLANS", _nm_vlans(bridge_vlans, None))
    port = iface.port_options if bridge is not None else None
    pvid = port.pvid if port is not None else None
    if port is not None and pvid == PVID_NONE:
        warn(f"bridge port option (in {bridge}) pvid=none not written: "
             "NetworkManager gives every port its bridge's default PVID unless the port "
             "names one; ifcfg-rh cannot say a port without a native VLAN")  # fmt: skip
        pvid = None
    put("BRIDGE_PORT_VLANS", _nm_vlans(port.vlans if port is not None else None, pvid))


def _range(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def _nm_vlans(vlans: str | None, pvid: int | None) -> str | None:
    """NetworkManager's VLAN list: ranges, the pvid alone as ``N pvid untagged``."""
    items: list[tuple[int, str]] = []
    placed = pvid is None
    for low, high in parse_vlans(vlans) if vlans else ():
        if pvid is not None and low <= pvid <= high:
            if low < pvid:
                items.append((low, _range(low, pvid - 1)))
            items.append((pvid, f"{pvid} pvid untagged"))
            if pvid < high:
                items.append((pvid + 1, _range(pvid + 1, high)))
            placed = True
        else:
            items.append((low, _range(low, high)))
    if not placed and pvid is not None:
        items.append((pvid, f"{pvid} pvid untagged"))
    return ",".join(text for _low, text in sorted(items)) or None


def _read_nm_vlans(text: str, key: str, bad: _Why, port: bool) -> tuple[str | None, int | None]:
    """(canonical VLAN text, pvid) of a NetworkManager VLAN list; flags the model has no
    word for are ``bad`` (and the VLAN kept)."""
    ranges: list[str] = []
    pvid = None
    for item in text.split(","):
        words = item.split()
        if not words:
            continue
        flags = set(words[1:])
        try:
            parse_vlans(words[0])
        except ValueError as exc:
            bad(f"{key}: {item.strip()!r}: {exc}; ignored")
            continue
        if flags - {"pvid", "untagged"}:
            bad(f"{key}: {item.strip()!r}: unknown flag; ignored")
            continue
        ranges.append(words[0])
        if "pvid" in flags and port and "-" not in words[0]:
            pvid = int(words[0])
            if "untagged" not in flags:
                bad(f"{key}: {item.strip()!r}: a pvid that leaves tagged is read as the "
                    "port's native VLAN (untagged both ways)")  # fmt: skip
        elif flags:
            bad(f"{key}: {item.strip()!r}: {' '.join(sorted(flags))} is not modelled "
                "there; read as a tagged VLAN")  # fmt: skip
    if not ranges:
        return None, pvid
    merged = list(parse_vlans(" ".join(ranges)))
    if pvid is not None:
        # The writer cuts a range around its pvid ("100-149,150 pvid untagged,151-199"):
        # join the pieces again.
        at = next(i for i, (low, high) in enumerate(merged) if low <= pvid <= high)
        if at + 1 < len(merged) and merged[at][1] == pvid and merged[at + 1][0] == pvid + 1:
            merged[at : at + 2] = [(merged[at][0], merged[at + 1][1])]
        if at > 0 and merged[at - 1][1] == pvid - 1 and merged[at][0] == pvid:
            merged[at - 1 : at + 1] = [(merged[at - 1][0], merged[at][1])]
    vlans = vlan_text(tuple(merged))
    if pvid is not None and vlans == str(pvid):
        return None, pvid  # "10 pvid untagged" alone: the pvid, no other VLAN
    return vlans, pvid


def read_bridge(sh: ShellFile, bad: _Why) -> BridgeOptions:
    opts = dict(parse_options(sh.get("BRIDGING_OPTS") or ""))
    options: BridgeOptions = options_common.read_bridge_sysfs(
        opts, BridgeOptions, 1, lambda why: bad(f"BRIDGING_OPTS: {why}; ignored")
    )
    vlans, _pvid = _read_nm_vlans(sh.get("BRIDGE_VLANS") or "", "BRIDGE_VLANS", bad, False)
    return replace(options, vlans=vlans)


def read_port(sh: ShellFile, bad: _Why) -> PortOptions:
    opts = dict(parse_options(sh.get("BRIDGING_OPTS") or ""))
    options: PortOptions = options_common.read_bridge_sysfs(
        opts, PortOptions, 1, lambda why: bad(f"BRIDGING_OPTS: {why}; ignored")
    )
    text = sh.get("BRIDGE_PORT_VLANS") or ""
    vlans, pvid = _read_nm_vlans(text, "BRIDGE_PORT_VLANS", bad, True)
    return replace(options, vlans=vlans, pvid=pvid)
