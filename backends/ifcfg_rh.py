"""RHEL/Fedora ifcfg files (/etc/sysconfig/network-scripts/ifcfg-NAME), initscripts or NM.

One file per device, bond slaves and bridge ports included (``MASTER=``/``SLAVE=``,
``BRIDGE=``), the keys netcf's redhat-get.xsl wrote and NetworkManager's ifcfg-rh plugin
reads.  Rendering merges into the file that already describes a device (found by
``DEVICE=``, whatever the file is called) and touches only the keys below; everything
else (NM_CONTROLLED, UUID, NAME, ETHTOOL_OPTS, comments) stays byte for byte.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import TypeVar

from ifsmith.backends import DhcpClient, ReadResult, ifcfg_rh_bridge, nm_vlans, options_common
from ifsmith.backends.bash import (
    IGNORED_SUFFIXES,
    Listed,
    ShellFile,
    carry_changes,
    check_name,
    is_true,
    merge_options,
    parse_options,
    quote_bash,
    slot_names,
    yes_no,
)
from ifsmith.backends.bash import (
    nest as nest_listed,
)
from ifsmith.backends.ifcfg_routes import (
    KINDS,
    key_form,
    merge_routes,
    put_dns,
    with_routes_and_dns,
)
from ifsmith.backends.route_text import lost_on_enslaving
from ifsmith.core.files import FileView, HostFiles, Rendering, RenderWarning
from ifsmith.core.host import Host
from ifsmith.core.model import (
    ArpMon,
    ArpValidate,
    Bond,
    BondMode,
    Bridge,
    Carrier,
    Family,
    FlatInterface,
    IfType,
    Interface,
    IpAddress,
    LacpRate,
    MiiMon,
    Protocol,
    StartMode,
    Vlan,
    XmitHashPolicy,
    flatten,
)
from ifsmith.core.options import PortOptions
from ifsmith.core.xmlio import format_seconds

NAME = "ifcfg-rh"
# See backends.render; the files: ifcfg_routes; bond options: backends.options_common.
CARRIES = frozenset({"routes", "dns", "bond-options", "bridge-options", "bridge-vlans"})

_Put = Callable[[str, str | None], None]
_Bad = Callable[[str, str], None]  # (key, why): a problem with one key's value
_Why = Callable[[str], None]
_E = TypeVar("_E", ArpValidate, XmitHashPolicy, LacpRate)
DIR = PurePosixPath("/etc/sysconfig/network-scripts")
LABEL = "# ifsmith-label: "

_TYPES = {IfType.ETHERNET: "Ethernet", IfType.BOND: "Bond", IfType.BRIDGE: "Bridge",
          IfType.VLAN: "Vlan"}  # fmt: skip
_IP4_KEY = re.compile(r"(IPADDR|PREFIX|NETMASK)(\d*)")
# Every BONDING_OPTS option the model carries; the others are the admin's and are kept.
BOND_OPTIONS = ("mode", "primary", "miimon", "downdelay", "updelay", "use_carrier",
                "arp_interval", "arp_ip_target", "arp_validate", "xmit_hash_policy",
                "lacp_rate", *options_common.SYSFS_NAMES)  # fmt: skip
_XMIT_NUMBERS = list(XmitHashPolicy)
_VALIDATE_NUMBERS = [ArpValidate.NONE, ArpValidate.ACTIVE, ArpValidate.BACKUP, ArpValidate.ALL]


def detect(host: Host) -> bool:
    """RHEL-style network-scripts with at least one ifcfg file besides the loopback."""
    files = HostFiles(host)
    if files.read(PurePosixPath("/etc/SUSE-brand")) is not None:
        return False
    return any(n.startswith("ifcfg-") and n != "ifcfg-lo" for n in files.listdir(DIR))


# ---------------------------------------------------------------------------------------
# The files on disk.


@dataclass
class IfcfgFile:
    """One parsed ifcfg file and the device it describes."""

    path: PurePosixPath
    shell: ShellFile
    device: str


def ifcfg_files(existing: FileView) -> list[IfcfgFile]:
    """Every ifcfg file of the directory (backups skipped), in file-name order."""
    found = []
    for fname in existing.listdir(DIR):
        if not fname.startswith("ifcfg-") or fname.endswith(IGNORED_SUFFIXES):
            continue
        path = DIR / fname
        shell = ShellFile.parse(existing.read(path), str(path))
        found.append(IfcfgFile(path, shell, device_name(shell, fname[len("ifcfg-") :])))
    return found


def device_name(shell: ShellFile, suffix: str) -> str:
    """DEVICE=, else a VLAN's PHYSDEV.VLAN_ID (as NetworkManager names it), else the suffix."""
    device = shell.get("DEVICE")
    if device:
        return device
    physdev, vid = shell.get("PHYSDEV"), shell.get("VLAN_ID")
    if physdev and vid and (is_true(shell.get("VLAN")) or shell.get("TYPE") == "Vlan"):
        return f"{physdev}.{vid}"
    return suffix


def _by_device(files: list[IfcfgFile]) -> dict[str, IfcfgFile]:
    by: dict[str, IfcfgFile] = {}
    for f in files:
        # ifcfg-NAME wins over another file that happens to claim the same DEVICE.
        if f.device not in by or f.path.name == f"ifcfg-{f.device}":
            by[f.device] = f
    return by


# ---------------------------------------------------------------------------------------
# Rendering.


def render(interfaces: Sequence[Interface], existing: FileView) -> Rendering:
    """ifcfg files for these interfaces and their subordinates, merged into what exists.

    A device's file changes only where its definition changes: the file is rendered from
    what it defines and from what is wanted, and only the keys that differ are written.
    Routes go to route-IF/route6-IF and DNS to DNS1…/DOMAIN (see ``ifcfg_routes``); a NIC
    that becomes a slave or port leaves them to its master's definition, and gives it the
    route lines the model does not hold.
    """
    flat = flatten(list(interfaces))
    for f in flat:
        check_name(f.name)
    found = ifcfg_files(existing) if existing.listdir(DIR) else []
    by = _by_device(found)
    # Read from the files parsed here (before any edit): each file is parsed once.
    defined = {d.name: d for d in flatten(_read(found, existing).interfaces)} if found else {}
    paths: dict[str, PurePosixPath] = {}
    shells: dict[str, ShellFile] = {}
    warnings: list[RenderWarning] = []
    # A port's VLAN list depends on its bridge's default pvid too.
    defaults = {g.name: nm_vlans.default_pvid(g.interface.bridge) for g in flat}
    defaults_was = {d.name: nm_vlans.default_pvid(d.interface.bridge) for d in defined.values()}
    for f in flat:
        known = by.get(f.name)
        was = defined.get(f.name)
        master = defaults.get(f.master) if f.master is not None else None
        master_was = defaults_was.get(was.master) if was and was.master is not None else None
        if known is not None and was is not None and (was, master_was) == (f, master):
            # Unchanged: its file stays; rendering it once still gives its warnings.
            path, shell = known.path, known.shell
            render_device(shell.copy(), f, warnings, master)
        elif known is not None and was is not None:
            path, shell = known.path, known.shell
            before, after = shell.copy(), shell.copy()
            render_device(before, was, [], master_was)
            render_device(after, f, warnings, master)
            carry_changes(shell, before, after, quote_bash, f.name, [(LABEL, True)])
        else:
            path = known.path if known is not None else DIR / f"ifcfg-{f.name}"
            shell = known.shell if known is not None else ShellFile(str(path))
            render_device(shell, f, warnings, master)
        shells[f.name], paths[f.name] = shell, path
    files: dict[PurePosixPath, bytes] = {}  # route files
    removed: set[PurePosixPath] = set()
    _route_files(flat, existing, files, removed)
    tops = {i.name: i for i in interfaces}
    for f in flat:
        was = defined.get(f.name)
        if f.master is not None and was is not None and was.master is None:
            removed |= _hand_over(f, shells, existing, files, warnings, removed)
            for what in lost_on_enslaving(was.interface, tops.get(f.top)):
                warnings.append(RenderWarning(f.name, f"{what} removed: a slave or port has "
                                              f"no routes or DNS, and {f.top} does not take "
                                              "it over", NAME))  # fmt: skip
    files.update({paths[name]: shell.to_bytes() for name, shell in shells.items()})
    return Rendering(NAME, files, removed=frozenset(removed), warnings=tuple(warnings))


def _route_files(
    flat: list[FlatInterface], existing: FileView, files: dict[PurePosixPath, bytes],
    removed: set[PurePosixPath],
) -> None:  # fmt: skip
    """route-IF and route6-IF of every device, changed only where their routes change."""
    for f in flat:
        for kind, family in KINDS.items():
            path = DIR / f"{kind}-{f.name}"
            data = existing.read(path)
            old = data.decode("utf-8", errors="surrogateescape") if data is not None else None
            proto = f.interface.protocol(family) if f.master is None else None
            new = merge_routes(old, proto.routes if proto is not None else (), f.name)
            if new is None and old is not None:
                removed.add(path)
            elif new is not None and new != old:
                files[path] = new.encode("utf-8", errors="surrogateescape")


# What a NIC's file says about the host's addressing beyond the model: DNS servers and
# search domains.  When the NIC becomes a slave or port they belong to its master.
_DNS_KEY = re.compile(r"DNS\d+|DOMAIN")


def _hand_over(f: FlatInterface, shells: dict[str, ShellFile], existing: FileView,
               files: dict[PurePosixPath, bytes], warnings: list[RenderWarning],
               gone: set[PurePosixPath]) -> set[PurePosixPath]:  # fmt: skip
    """Move a new slave's or port's DNS keys and route files to its master."""
    assert f.master is not None
    port, master = shells[f.name], shells[f.master]

    def warn(message: str) -> None:
        warnings.append(RenderWarning(f.master or "", message, NAME))

    dns = [(k, v) for k, v in port.items() if _DNS_KEY.fullmatch(k)]
    mine = [(k, v) for k, v in master.items() if _DNS_KEY.fullmatch(k)]
    for key, _value in dns:
        port.remove(key)
    if dns and mine and mine != dns:
        shown = " ".join(f"{k}={v}" for k, v in dns)
        warn(f"{shown} of {f.name} not moved here: {f.master} has "
             + " ".join(f"{k}={v}" for k, v in mine))  # fmt: skip
    elif dns and not mine:
        for key, value in dns:
            master.set(key, value, quote_bash, f"{f.master}: {key}")
    removed: set[PurePosixPath] = set()
    for kind in ("route", "route6"):
        # What is left of the port's file: the lines the model does not hold.
        path, target = DIR / f"{kind}-{f.name}", DIR / f"{kind}-{f.master}"
        data = None if path in gone else files.pop(path, None) or existing.read(path)
        if data is None:
            continue
        removed.add(path)
        text = data.decode("utf-8", errors="surrogateescape")
        moved = re.sub(rf"(\bdev\s+){re.escape(f.name)}\b", rf"\g<1>{f.master}", text)
        ours = files.get(target)
        if existing.read(target) is None and (ours is None or not key_form(text)):
            files[target] = (ours or b"") + moved.encode("utf-8", errors="surrogateescape")
        else:
            warn(f"routes of {f.name} not moved here ({target} exists): "
                 + "; ".join(ln.strip() for ln in text.splitlines() if ln.strip()))  # fmt: skip
    return removed


def render_device(shell: ShellFile, f: FlatInterface, warnings: list[RenderWarning],
                  default_pvid: int | None = None) -> None:  # fmt: skip
    """Set the modeled keys of one device's file (``default_pvid``: a bridge port's
    bridge's, nm_vlans.default_pvid); leave every other line alone."""
    iface = f.interface
    name = iface.name

    def put(key: str, value: str | None) -> None:
        shell.set(key, value, quote_bash, f"{name}: {key}")

    shell.set_comment(LABEL, iface.label)
    put("DEVICE", name)
    put("TYPE", _TYPES[iface.type])
    put("BONDING_MASTER", "yes" if iface.type == IfType.BOND else None)
    put("ONBOOT", {StartMode.ONBOOT: "yes", StartMode.NONE: "no", StartMode.HOTPLUG: "no",
                   None: None}[f.start_mode])  # fmt: skip
    put("HOTPLUG", "yes" if f.start_mode == StartMode.HOTPLUG else None)
    put("MTU", None if f.mtu is None else str(f.mtu))
    _render_mac(shell, iface, put)
    _render_ipv4(shell, iface if f.master is None else None, put)
    _render_ipv6(shell, iface if f.master is None else None, put)
    put_dns(shell, name, iface.dns if f.master is None else None, put)
    _render_bond(shell, iface, put)
    put("STP", None if iface.bridge is None else {True: "on", False: "off", None: None}[
        iface.bridge.stp])  # fmt: skip
    put("DELAY", None if iface.bridge is None or iface.bridge.delay is None
        else format_seconds(iface.bridge.delay))  # fmt: skip
    bridge = f.master if f.master_type == IfType.BRIDGE else None
    ifcfg_rh_bridge.render(shell, iface, bridge, put,
                           lambda m: warnings.append(RenderWarning(name, m, NAME)),
                           default_pvid)  # fmt: skip
    _render_vlan(shell, iface, put, warnings)
    put("MASTER", f.master if f.master_type == IfType.BOND else None)
    put("SLAVE", "yes" if f.master_type == IfType.BOND else None)
    put("BRIDGE", f.master if f.master_type == IfType.BRIDGE else None)


def _render_mac(shell: ShellFile, iface: Interface, put: _Put) -> None:
    # HWADDR binds the file to a NIC (libvirt: the mac identifies an ethernet); MACADDR
    # sets the address, which is what a mac on a virtual device means.  An admin's own
    # choice of MACADDR on a NIC is kept, and so is the file's mac when none is given
    # (libvirt's XML has none for a bond, bridge or VLAN).
    if iface.mac is None:
        return
    use_hw = iface.type == IfType.ETHERNET and not (
        shell.get("MACADDR") and not shell.get("HWADDR")
    )
    put("HWADDR", iface.mac if use_hw else None)
    put("MACADDR", None if use_hw else iface.mac)


def _render_ipv4(shell: ShellFile, iface: Interface | None, put: _Put) -> None:
    proto = iface.ipv4 if iface is not None else None
    written: set[str] = set()
    if proto is not None:
        put("BOOTPROTO", "dhcp" if proto.dhcp else "none")
        put("PEERDNS", yes_no(proto.peerdns) if proto.dhcp else None)
        for n, addr in zip(_address_slots(shell, len(proto.addresses)), proto.addresses,
                           strict=True):  # fmt: skip
            put(f"IPADDR{n}", addr.address)
            written.add(f"IPADDR{n}")
            if addr.prefix is not None:
                # Keep the admin's NETMASK style where the slot already uses it.
                key = (f"NETMASK{n}" if shell.get(f"NETMASK{n}") and not shell.get(f"PREFIX{n}")
                       else f"PREFIX{n}")  # fmt: skip
                value = (str(ipaddress.IPv4Network(f"0.0.0.0/{addr.prefix}").netmask)
                         if key.startswith("NETMASK") else str(addr.prefix))  # fmt: skip
                put(key, value)
                written.add(key)
        put("GATEWAY", proto.gateway)
    else:
        put("BOOTPROTO", None)
        put("PEERDNS", None)
        put("GATEWAY", None)
    for key in shell.keys():
        if _IP4_KEY.fullmatch(key) and key not in written:
            shell.remove(key)


def _address_slots(shell: ShellFile, count: int) -> list[str]:
    """IPADDR suffixes for ``count`` addresses: the file's own in the reader's order
    (IPADDR, IPADDR0, IPADDR1…), then new numbers after them."""
    own = sorted({m.group(2) for k in shell.keys() if (m := _IP4_KEY.fullmatch(k))
                  and m.group(1) == "IPADDR" and shell.get(k)},
                 key=lambda n: -1 if n == "" else int(n))  # fmt: skip
    start = max((int(n) for n in own if n), default=0) + 1
    fresh = itertools.chain([] if own else [""], (str(i) for i in itertools.count(start)))
    return slot_names(own, count, fresh)


def _render_ipv6(shell: ShellFile, iface: Interface | None, put: _Put) -> None:
    proto = iface.ipv6 if iface is not None else None
    if proto is None:
        # NetworkManager writes IPV6INIT=no; leaving that "no" in place changes nothing.
        if is_true(shell.get("IPV6INIT")) is not False:
            put("IPV6INIT", None)
        for key in ("IPV6_AUTOCONF", "DHCPV6C", "IPV6ADDR", "IPV6ADDR_SECONDARIES",
                    "IPV6_DEFAULTGW"):  # fmt: skip
            put(key, None)
        return
    put("IPV6INIT", "yes")
    put("IPV6_AUTOCONF", yes_no(proto.autoconf))
    put("DHCPV6C", yes_no(proto.dhcp))
    addrs = [str(a) for a in proto.addresses]
    put("IPV6ADDR", addrs[0] if addrs else None)
    put("IPV6ADDR_SECONDARIES", " ".join(addrs[1:]) or None)
    put("IPV6_DEFAULTGW", proto.gateway)


def bond_options(bond: Bond) -> list[tuple[str, str | None]]:
    """The modeled bonding options, in netcf's order (mode, primary, monitoring, rest)."""
    mii, arp = bond.miimon, bond.arpmon
    carrier = None if mii is None or mii.carrier is None else (
        "0" if mii.carrier == Carrier.IOCTL else "1")  # fmt: skip
    return [
        ("mode", bond.mode.value if bond.mode else None),
        ("primary", bond.primary),
        ("miimon", str(mii.freq) if mii else None),
        ("downdelay", str(mii.downdelay) if mii and mii.downdelay else None),
        ("updelay", str(mii.updelay) if mii and mii.updelay else None),
        ("use_carrier", carrier),
        ("arp_interval", str(arp.interval) if arp else None),
        ("arp_ip_target", ",".join(arp.targets) if arp and arp.targets else None),
        ("arp_validate", arp.validate.value if arp and arp.validate else None),
        ("xmit_hash_policy", bond.xmit_hash_policy.value if bond.xmit_hash_policy else None),
        ("lacp_rate", bond.lacp_rate.value if bond.lacp_rate else None),
        *options_common.sysfs_pairs(bond.options),
    ]


def merged_bond_options(existing: str | None, bond: Bond | None) -> str | None:
    """BONDING_OPTS with our options replaced and the admin's others kept, or None."""
    ours: list[tuple[str, str | None]] = (
        bond_options(bond) if bond is not None else [(n, None) for n in BOND_OPTIONS]
    )
    old = dict(parse_options(existing or ""))
    if bond is not None and bond.mode is not None and "mode" in old:
        # mode=4 and mode=802.3ad are the same: keep the admin's spelling.
        try:
            if BondMode.parse(old["mode"]) == bond.mode:
                ours[0] = ("mode", old["mode"])
        except ValueError:
            pass
    ours = options_common.keep_spelling(ours, old)
    text = merge_options(existing, ours, BOND_OPTIONS)
    return text or None


def _render_bond(shell: ShellFile, iface: Interface, put: _Put) -> None:
    put("BONDING_OPTS", merged_bond_options(shell.get("BONDING_OPTS"), iface.bond))


def _render_vlan(shell: ShellFile, iface: Interface, put: _Put,
                 warnings: list[RenderWarning]) -> None:  # fmt: skip
    vlan = iface.vlan
    flags = [t for t in re.split(r"[\s,]+", shell.get("VLAN_FLAGS") or "") if t]
    flags = [t for t in flags if t not in ("REORDER_HDR", "NO_REORDER_HDR")]
    if vlan is None:
        for key in ("VLAN", "PHYSDEV", "VLAN_ID", "REORDER_HDR"):
            put(key, None)
        if shell.get("VLAN_FLAGS") is not None:
            put("VLAN_FLAGS", ",".join(flags) or None)
        return
    parent = vlan.parent
    if parent is None:
        m = re.fullmatch(r"(.+)\.(\d+)", iface.name)
        parent = m.group(1) if m else None
        if parent is None:
            warnings.append(RenderWarning(iface.name, "VLAN without a parent interface", NAME))
    elif iface.name not in (f"{parent}.{vlan.tag}", f"vlan{vlan.tag}"):
        warnings.append(RenderWarning(
            iface.name,
            f"initscripts without NetworkManager finds the VLAN id only in names like "
            f"{parent}.{vlan.tag} or vlan{vlan.tag}; VLAN_ID={vlan.tag} is written for "
            "NetworkManager", NAME))  # fmt: skip
    if parent is not None:
        check_name(parent)
    put("VLAN", "yes")
    put("PHYSDEV", parent)
    put("VLAN_ID", str(vlan.tag))
    put("REORDER_HDR", yes_no(vlan.reorder_hdr))
    # NetworkManager ignores a lone REORDER_HDR=no; its own writer adds the flag too.
    if vlan.reorder_hdr is False:
        flags.append("NO_REORDER_HDR")
    if flags or shell.get("VLAN_FLAGS") is not None:
        put("VLAN_FLAGS", ",".join(flags) or None)


# ---------------------------------------------------------------------------------------
# Reading.


@dataclass
class _Device:
    iface: Interface
    file: IfcfgFile
    master: str | None = None
    master_kind: IfType | None = None
    primary: str | None = None


def read_files(existing: FileView) -> list[Interface]:
    """The top-level interfaces the ifcfg files describe, nested like the XML."""
    return read_report(existing).interfaces


def read(host: Host) -> list[Interface]:
    """``read_files`` on the host's own files."""
    return read_files(HostFiles(host))


def read_report(existing: FileView) -> ReadResult:
    """Read every ifcfg file; problems are collected per line/file, never raised."""
    return _read(ifcfg_files(existing), existing)


def _read(found: list[IfcfgFile], existing: FileView) -> ReadResult:
    """What the parsed files say (they are only read)."""
    problems: list[str] = []
    devices: dict[str, _Device] = {}
    listed = set(existing.listdir(DIR)) if found else set()
    for f in found:
        problems.extend(str(p) for p in f.shell.problems)
        dev = device_from_file(f, problems)
        if dev is None:
            continue
        dev.iface = with_routes_and_dns(dev.iface, f.shell, existing, DIR, problems, listed)
        if dev.iface.name in devices:
            problems.append(f"{f.path}: {dev.iface.name} is also described by "
                            f"{devices[dev.iface.name].file.path}; ignored")  # fmt: skip
            continue
        devices[dev.iface.name] = dev
    return ReadResult(nest(devices, problems), problems)


def device_from_file(f: IfcfgFile, problems: list[str]) -> _Device | None:
    """One device as its file describes it, subordinates not yet attached."""
    sh = f.shell
    name = f.device
    if name == "lo" or ":" in name:
        return None  # the loopback and IP aliases are not interfaces of the model

    def bad(key: str, why: str) -> None:
        problems.append(f"{f.path}:{sh.line_of(key)}: {key}: {why}")

    type_ = _device_type(sh)
    if type_ is None:
        problems.append(f"{f.path}: TYPE={sh.get('TYPE')} is not an ethernet, bond, bridge "
                        "or VLAN; skipped")  # fmt: skip
        return None
    try:
        check_name(name)
    except ValueError as exc:
        problems.append(f"{f.path}: {exc}; skipped")
        return None
    onboot, hotplug = is_true(sh.get("ONBOOT")), is_true(sh.get("HOTPLUG"))
    start = None
    if onboot is not None:
        start = StartMode.ONBOOT if onboot else StartMode.HOTPLUG if hotplug else StartMode.NONE
    iface = Interface(
        type=type_,
        name=name,
        start_mode=start,
        mtu=_int(sh, "MTU", bad),
        mac=sh.get("MACADDR") or sh.get("HWADDR") or None,
        protocols=tuple(p for p in (_read_ipv4(sh, bad), _read_ipv6(sh, bad)) if p),
        label=sh.comment_value(LABEL),
    )
    dev = _Device(iface, f)
    if type_ == IfType.BOND:
        bond, dev.primary = read_bond_options(sh.get("BONDING_OPTS") or "",
                                              lambda why: bad("BONDING_OPTS", why))  # fmt: skip
        dev.iface = replace(iface, bond=bond)
    elif type_ == IfType.BRIDGE:
        delay = None
        if sh.get("DELAY"):
            try:
                delay = float(sh.get("DELAY") or "")
            except ValueError:
                bad("DELAY", "not a number of seconds")
        options = ifcfg_rh_bridge.read_bridge(sh, lambda why: bad("BRIDGE", why))
        dev.iface = replace(iface, bridge=Bridge(stp=is_true(sh.get("STP")), delay=delay,
                                                 options=options))  # fmt: skip
    elif type_ == IfType.VLAN:
        vlan = _read_vlan(sh, name, bad)
        if vlan is None:
            return None
        dev.iface = replace(iface, vlan=vlan)
    if sh.get("MASTER"):
        dev.master, dev.master_kind = sh.get("MASTER"), IfType.BOND
    elif sh.get("BRIDGE"):
        dev.master, dev.master_kind = sh.get("BRIDGE"), IfType.BRIDGE
        port = ifcfg_rh_bridge.read_port(sh, lambda why: bad("BRIDGE", why))
        dev.iface = replace(dev.iface, port_options=port)
    return dev


def _device_type(sh: ShellFile) -> IfType | None:
    t = (sh.get("TYPE") or "").lower()
    if t == "bond" or is_true(sh.get("BONDING_MASTER")) or sh.get("BONDING_OPTS"):
        return IfType.BOND
    if t == "bridge":
        return IfType.BRIDGE
    if t == "vlan" or is_true(sh.get("VLAN")):
        return IfType.VLAN
    if t in ("", "ethernet"):
        return IfType.ETHERNET
    return None


def _int(sh: ShellFile, key: str, bad: _Bad) -> int | None:
    value = sh.get(key)
    if not value:
        return None
    if value.strip().isdigit():
        return int(value)
    bad(key, f"{value!r} is not a number; ignored")
    return None


def _read_ipv4(sh: ShellFile, bad: _Bad) -> Protocol | None:
    from ifsmith.core.model import Family

    dhcp = (sh.get("BOOTPROTO") or "").lower() in ("dhcp", "bootp")
    slots: list[tuple[int, str]] = []
    for key in sh.keys():
        m = _IP4_KEY.fullmatch(key)
        if m and m.group(1) == "IPADDR" and sh.get(key):
            slots.append((-1 if m.group(2) == "" else int(m.group(2)), m.group(2)))
    addresses = []
    for _, n in sorted(set(slots)):
        addr = sh.get(f"IPADDR{n}") or ""
        try:
            ipaddress.IPv4Address(addr)
        except ValueError:
            bad(f"IPADDR{n}", f"{addr!r} is not an IPv4 address; ignored")
            continue
        prefix = None
        if sh.get(f"PREFIX{n}"):
            text = sh.get(f"PREFIX{n}") or ""
            if text.isdigit() and int(text) <= 32:
                prefix = int(text)
            else:
                bad(f"PREFIX{n}", f"{text!r} is not a prefix length; ignored")
        elif sh.get(f"NETMASK{n}"):
            try:
                prefix = ipaddress.IPv4Network(f"0.0.0.0/{sh.get(f'NETMASK{n}')}").prefixlen
            except ValueError:
                bad(f"NETMASK{n}", "not a netmask; ignored")
        addresses.append(IpAddress(addr, prefix))
    if not dhcp and not addresses:
        return None
    gateway = sh.get("GATEWAY") or None
    if gateway is not None:
        try:
            ipaddress.IPv4Address(gateway)
        except ValueError:
            bad("GATEWAY", f"{gateway!r} is not an IPv4 address; ignored")
            gateway = None
    return Protocol(Family.IPV4, dhcp=dhcp, peerdns=is_true(sh.get("PEERDNS")) if dhcp else None,
                    addresses=tuple(addresses), gateway=gateway)  # fmt: skip


def _read_ipv6(sh: ShellFile, bad: _Bad) -> Protocol | None:
    from ifsmith.core.model import Family

    if not is_true(sh.get("IPV6INIT")):
        return None
    forwarding = bool(is_true(sh.get("IPV6FORWARDING")))
    autoconf = is_true(sh.get("IPV6_AUTOCONF"))
    addresses = []
    texts = [sh.get("IPV6ADDR") or "", *(sh.get("IPV6ADDR_SECONDARIES") or "").split()]
    key = "IPV6ADDR"
    for text in texts:
        if text:
            addr, _, prefix = text.partition("/")
            try:
                ipaddress.IPv6Address(addr)
                if prefix and not (prefix.isdigit() and int(prefix) <= 128):
                    raise ValueError(prefix)
                addresses.append(IpAddress(addr, int(prefix) if prefix else None))
            except ValueError:
                bad(key, f"{text!r} is not an IPv6 address; ignored")
        key = "IPV6ADDR_SECONDARIES"
    gateway = (sh.get("IPV6_DEFAULTGW") or "").partition("%")[0] or None
    return Protocol(Family.IPV6, dhcp=bool(is_true(sh.get("DHCPV6C"))),
                    autoconf=(not forwarding) if autoconf is None else autoconf,
                    addresses=tuple(addresses), gateway=gateway)  # fmt: skip


def read_bond_options(text: str, bad: _Why) -> tuple[Bond, str | None]:
    """A Bond (no slaves yet) and the primary slave's name, from BONDING_OPTS text."""
    opts = dict(parse_options(text))
    mode = None
    if "mode" in opts:
        try:
            mode = BondMode.parse(opts["mode"])
        except ValueError:
            bad(f"unknown bond mode {opts['mode']!r}")

    def num(name: str) -> int | None:
        v = opts.get(name)
        if v is None:
            return None
        if v.isdigit():
            return int(v)
        bad(f"{name}={v!r} is not a number")
        return None

    miimon = arpmon = None
    freq = num("miimon")
    if freq:
        carrier = {"0": Carrier.IOCTL, "1": Carrier.NETIF}.get(opts.get("use_carrier", ""))
        miimon = MiiMon(freq, downdelay=num("downdelay") or 0, updelay=num("updelay") or 0,
                        carrier=carrier)  # fmt: skip
    interval = num("arp_interval")
    if interval:
        targets: list[str] = []
        for word, value in parse_options(text):
            if word == "arp_ip_target":
                targets.extend(t.lstrip("+") for t in value.split(",") if t)
        validate = _enum_or_number(opts.get("arp_validate"), ArpValidate, _VALIDATE_NUMBERS,
                                   "arp_validate", bad)  # fmt: skip
        arpmon = ArpMon(interval, tuple(targets), validate)
    xmit = _enum_or_number(opts.get("xmit_hash_policy"), XmitHashPolicy, _XMIT_NUMBERS,
                           "xmit_hash_policy", bad)  # fmt: skip
    lacp = _enum_or_number(opts.get("lacp_rate"), LacpRate, [LacpRate.SLOW, LacpRate.FAST],
                           "lacp_rate", bad)  # fmt: skip
    options = options_common.read_sysfs(opts, bad)
    return Bond(mode=mode, miimon=miimon, arpmon=arpmon, xmit_hash_policy=xmit,
                lacp_rate=lacp, options=options), opts.get("primary") or None  # fmt: skip


def _enum_or_number(
    value: str | None, kind: type[_E], numbers: list[_E], name: str, bad: _Why
) -> _E | None:
    if value is None:
        return None
    if value.isdigit() and int(value) < len(numbers):
        return numbers[int(value)]
    try:
        return kind(value)
    except ValueError:
        bad(f"{name}={value!r} is not one ifsmith models; ignored")
        return None


def _read_vlan(sh: ShellFile, name: str, bad: _Bad) -> Vlan | None:
    parent = sh.get("PHYSDEV") or None
    tag_text = sh.get("VLAN_ID")
    m = re.fullmatch(r"(.+)\.(\d+)", name) or re.fullmatch(r"vlan(\d+)", name)
    if not tag_text and m:
        tag_text = m.group(m.lastindex or 1)
    if parent is None and m and m.lastindex == 2:
        parent = m.group(1)
    if not tag_text or not tag_text.strip().isdigit() or int(tag_text) > 4095:
        bad("VLAN_ID", f"no VLAN id for {name}; skipped")
        return None
    reorder = is_true(sh.get("REORDER_HDR"))
    for flag in re.split(r"[\s,]+", sh.get("VLAN_FLAGS") or ""):
        if flag == "REORDER_HDR":
            reorder = True
        elif flag == "NO_REORDER_HDR":
            reorder = False
    return Vlan(tag=int(tag_text), parent=parent, reorder_hdr=reorder)


def nest(devices: dict[str, _Device], problems: list[str]) -> list[Interface]:
    """Attach slaves and ports to their masters; what is left is the top level."""
    children: dict[str, list[_Device]] = {}
    for dev in devices.values():
        if dev.master is None:
            continue
        master = devices.get(dev.master)
        if master is None:
            problems.append(f"{dev.file.path}: {dev.iface.name}: its master {dev.master} has "
                            "no ifcfg file; read as a top-level interface")  # fmt: skip
            dev.master = None
            continue
        if dev.master_kind == IfType.BOND and master.iface.type == IfType.ETHERNET:
            # netcf's rule: a device some file names as MASTER is a bond.
            master.iface = replace(master.iface, type=IfType.BOND, bond=Bond())
        if master.iface.type != dev.master_kind:
            problems.append(f"{dev.file.path}: {dev.iface.name}: {dev.master} is a "
                            f"{master.iface.type}, not a {dev.master_kind}; ignored")  # fmt: skip
            dev.master = None
            continue
        children.setdefault(dev.master, []).append(dev)
    for name, kids in children.items():
        if devices[name].iface.type == IfType.BRIDGE:
            ports = ifcfg_rh_bridge.with_pvids(devices[name].file.shell,
                                               tuple(k.iface for k in kids))  # fmt: skip
            for kid, port in zip(kids, ports, strict=True):
                kid.iface = port

    listed = {
        name: Listed(
            # A port read as a top-level interface has no bridge to carry its options.
            dev.iface if dev.master is not None else replace(dev.iface, port_options=PortOptions()),
            [k.iface.name for k in children.get(name, [])],
            dev.primary,
        )
        for name, dev in devices.items()
    }
    return nest_listed(listed, problems, str(DIR))


# ---------------------------------------------------------------------------------------
# Removing and activating.


def undefine(names: Sequence[str], existing: FileView) -> Rendering:
    """Remove the files (ifcfg, route, route6) of these interfaces and of their slaves and
    ports."""
    files = ifcfg_files(existing)
    by = _by_device(files)
    removed: set[PurePosixPath] = set()
    warnings = []
    todo = list(names)
    while todo:
        name = todo.pop()
        f = by.get(name)
        if f is None:
            if name in names:
                warnings.append(RenderWarning(name, "no ifcfg file describes it", NAME))
            continue
        if f.path in removed:
            continue
        removed.add(f.path)
        removed |= {DIR / f"{k}-{name}" for k in KINDS if existing.read(DIR / f"{k}-{name}")}
        todo.extend(g.device for g in files
                    if name in (g.shell.get("MASTER"), g.shell.get("BRIDGE")))  # fmt: skip
    return Rendering(NAME, removed=frozenset(removed), warnings=tuple(warnings))


def activate(host: Host, names: Sequence[str]) -> list[list[str]]:
    """initscripts' ifdown/ifup, or nmcli where NetworkManager runs and manages the file."""
    files = ifcfg_files(HostFiles(host))
    by = _by_device(files)
    nm_running = host.path("/run/NetworkManager").is_dir()
    argv: list[list[str]] = []
    for name in names:
        f = by.get(name)
        if f is None:
            continue
        family = [f, *_subordinate_files(name, files)]
        if nm_running and is_true(f.shell.get("NM_CONTROLLED")) is not False:
            argv += [["nmcli", "connection", "load", str(g.path)] for g in family]
            # NetworkManager names a profile without NAME= "System <DEVICE>".
            argv += [["nmcli", "connection", "up", "id",
                      g.shell.get("NAME") or f"System {g.device}"] for g in family]  # fmt: skip
        else:
            argv.append(["ifdown", name])
            argv.append(["ifup", name])
            # ifup of a bond enslaves its MASTER= files itself; bridge ports come up alone.
            argv += [["ifup", g.device] for g in family[1:] if g.shell.get("BRIDGE")]
    return argv


def _subordinate_files(name: str, files: list[IfcfgFile]) -> list[IfcfgFile]:
    out = []
    for g in files:
        if name in (g.shell.get("MASTER"), g.shell.get("BRIDGE")):
            out.append(g)
            out.extend(_subordinate_files(g.device, files))
    return out



def dhcp_clients(host: Host, name: str) -> list[DhcpClient]:
    """The dhclient that initscripts' ifup-eth runs for BOOTPROTO=dhcp (and DHCPV6C=yes):
    its lease file (``generate_lease_file_name``: dhclient-DEV.leases if present, else
    dhclient-UUID-DEV.lease), pid file /run/dhclient[6]-DEV.pid and per-device -cf, with
    ``-nw`` instead of ifup-eth's waiting.  ifdown-eth ends it with a plain kill unless
    DHCPRELEASE=yes; ``-x`` does the same (no release)."""
    f = _by_device(ifcfg_files(HostFiles(host))).get(name)
    uuid = (f.shell.get("UUID") or "") if f is not None else ""
    out = []
    for family, ver in ((Family.IPV4, ""), (Family.IPV6, "6")):
        lib = host.path("/var/lib/dhclient")
        leases = lib / f"dhclient{ver}-{name}.leases"
        if not leases.exists():
            leases = lib / f"dhclient{ver}-{uuid}-{name}.lease"
        pid = host.path(f"/run/dhclient{ver}-{name}.pid")
        conf = next((["-cf", str(c)] for c in (host.path(f"/etc/dhcp/dhclient{ver}-{name}.conf"),
                     host.path(f"/etc/dhclient{ver}-{name}.conf"))
                     if c.is_file() and c.stat().st_size), [])  # fmt: skip
        six = ["-6"] if ver else []
        files = [*conf, "-lf", str(leases), "-pf", str(pid)]
        out.append(DhcpClient(family, pid,
                              ["dhclient", *six, "-1", "-q", *files, "-nw", name],
                              ["dhclient", *six, "-x", *files, name], leases))  # fmt: skip
    return out
