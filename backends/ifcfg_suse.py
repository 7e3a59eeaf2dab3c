"""SUSE ifcfg files for wicked (/etc/sysconfig/network/ifcfg-NAME, ifroute-NAME).

wicked reads these files itself, with no escape processing (a quote runs to the next
identical quote), while older scripts ``source`` them: every value is written
``KEY='value'`` and a value that would need escaping is refused.  Default gateways go to
``ifroute-NAME`` (``default GATEWAY - NAME``) with the static routes (``suse_routes``); the
lines the model does not hold are kept.  DNS is host-wide (netconfig's config file).
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from ifsmith.backends import ReadResult, options_common
from ifsmith.backends.bash import (
    IGNORED_SUFFIXES,
    Listed,
    ShellFile,
    carry_changes,
    check_name,
    nest,
    quote_single,
    slot_names,
)
from ifsmith.backends.ifcfg_rh import merged_bond_options, read_bond_options
from ifsmith.backends.route_text import family_of, lost_on_enslaving
from ifsmith.backends.suse_routes import (
    CONFIG,
    dns_owner,
    global_route_problems,
    merge_lines,
    parse_line,
    read_dns,
    render_dns,
)
from ifsmith.backends.suse_routes import read_routes as read_ifroute
from ifsmith.core.files import FileView, HostFiles, Rendering, RenderWarning, UnsafeValue
from ifsmith.core.host import Host
from ifsmith.core.model import (
    Bridge,
    Family,
    FlatInterface,
    IfType,
    Interface,
    IpAddress,
    Protocol,
    StartMode,
    Vlan,
    flatten,
)
from ifsmith.core.options import PortOptions
from ifsmith.core.xmlio import address_family, format_seconds

NAME = "ifcfg-suse"
# See backends.render and suse_routes; the options: backends.options_common.
CARRIES = frozenset({"routes", "dns", "bond-options", *options_common.SUSE_CARRIES})
DIR = PurePosixPath("/etc/sysconfig/network")
ROUTES = DIR / "routes"
LABEL = "# ifsmith-label: "

_Put = Callable[[str, str | None], None]
_Warn = Callable[[str], None]
_Why = Callable[[str], None]

_START = {StartMode.ONBOOT: "auto", StartMode.NONE: "manual", StartMode.HOTPLUG: "hotplug"}
_START_READ = {"auto": StartMode.ONBOOT, "onboot": StartMode.ONBOOT, "on": StartMode.ONBOOT,
               "boot": StartMode.ONBOOT, "nfsroot": StartMode.ONBOOT,
               "manual": StartMode.NONE, "off": StartMode.NONE,
               "hotplug": StartMode.HOTPLUG, "ifplugd": StartMode.HOTPLUG}  # fmt: skip
_ADDR_KEY = re.compile(r"(IPADDR|PREFIXLEN|NETMASK)(_?[A-Za-z0-9_]*)")
_SLAVE_KEY = re.compile(r"BONDING_SLAVE_?(\w*)")


def detect(host: Host) -> bool:
    """A SUSE system whose network config lives in ifcfg files (wicked's layout)."""
    files = HostFiles(host)
    ifcfgs = [n for n in files.listdir(DIR) if n.startswith("ifcfg-") and n != "ifcfg-lo"]
    return bool(ifcfgs) or host.path("/usr/sbin/wicked").exists()


def _path(name: str) -> PurePosixPath:
    return DIR / f"ifcfg-{name}"


# ---------------------------------------------------------------------------------------
# Rendering.


def render(interfaces: Sequence[Interface], existing: FileView) -> Rendering:
    """ifcfg (and ifroute) files for these interfaces, merged into what exists.

    A device's files change only where its definition changes: each file is rendered
    from what it defines and from what is wanted, and only the keys that differ are
    written.  A NIC that becomes a slave or port gives its routes to its master.
    """
    flat = flatten(list(interfaces))
    for f in flat:
        check_name(f.name)
    listed = [n for n in existing.listdir(DIR) if n.startswith("ifcfg-")]
    parsed: dict[PurePosixPath, ShellFile] = {}  # each file parsed once, by the reading
    tops = _read(existing, parsed).interfaces if listed else []
    defined = {d.name: d for d in flatten(tops)}
    wanted = {i.name: i for i in interfaces}
    files: dict[PurePosixPath, bytes] = {}
    removed: set[PurePosixPath] = set()
    warnings: list[RenderWarning] = []
    for f in flat:
        path = _path(f.name)
        data = existing.read(path)
        shell = parsed.get(path) or ShellFile.parse(data, str(path), dialect="wicked")
        was = defined.get(f.name)
        if was is not None and was == f:
            # Unchanged: its file stays; rendering it once still gives its warnings.
            render_device(shell.copy(), f, warnings)
        elif was is not None:
            before, after = shell.copy(), shell.copy()
            render_device(before, was, [])
            render_device(after, f, warnings)
            carry_changes(shell, before, after, quote_single, f.name, [(LABEL, True)])
        else:
            render_device(shell, f, warnings)
        if data is not None or not shell.is_empty():
            files[path] = shell.to_bytes()
        if f.master is None and (was is None or _gateways(was) != _gateways(f)):
            route = _render_routes(f.interface, existing, keep=was is None)
            if route is not None:
                files[route[0]] = route[1]
        if f.master is not None and was is not None and was.master is None:
            removed |= _hand_over_routes(f, existing, files, warnings)
            for what in lost_on_enslaving(was.interface, wanted.get(f.top)):
                warnings.append(RenderWarning(f.name, f"{what} removed: a slave or port has "
                                              f"no routes or DNS, and {f.top} does not take "
                                              "it over", NAME))  # fmt: skip
    config, note = render_dns(interfaces, flat, tops, existing)
    if config is not None and note is not None:
        files[CONFIG] = config
        warnings.append(RenderWarning(interfaces[0].name if interfaces else "", note, NAME))
    return Rendering(NAME, files, removed=frozenset(removed), warnings=tuple(warnings))


def _gateways(f: FlatInterface) -> list[object]:
    """What ifroute-IF says of the interface: its default gateways and static routes."""
    return [(p.gateway, p.routes) for p in f.interface.protocols]


def _hand_over_routes(f: FlatInterface, existing: FileView, files: dict[PurePosixPath, bytes],
                      warnings: list[RenderWarning]) -> set[PurePosixPath]:  # fmt: skip
    """A new slave's or port's own routes (ifroute-NIC) go to its master's ifroute file."""
    assert f.master is not None
    path, target = DIR / f"ifroute-{f.name}", DIR / f"ifroute-{f.master}"
    data = existing.read(path)
    if data is None:
        return set()
    text = data.decode("utf-8", errors="surrogateescape")
    # Default routes are the model's gateways and the static routes are the model's: they
    # moved with the addressing already (or are named as lost).
    lines = [ln for ln in text.splitlines()
             if ln.strip() and not ln.lstrip().startswith("#") and not _is_default(ln)
             and parse_line(ln, f.name) is None]  # fmt: skip
    moved = []
    for line in lines:
        words = line.split()
        if len(words) > 3 and words[3] == f.name:
            words[3] = f.master
        moved.append(" ".join(words))
    if lines and existing.read(target) is None:
        added = "".join(ln + "\n" for ln in moved).encode(errors="surrogateescape")
        files[target] = files.get(target, b"") + added
    elif lines:
        warnings.append(RenderWarning(f.master, f"routes of {f.name} not moved here ({target} "
                                      "exists): " + "; ".join(lines), NAME))  # fmt: skip
    return {path}


def render_device(shell: ShellFile, f: FlatInterface, warnings: list[RenderWarning]) -> None:
    """Set the modeled keys of one device's file; leave every other line alone."""
    iface = f.interface
    name = iface.name

    def put(key: str, value: str | None) -> None:
        shell.set(key, value, quote_single, f"{name}: {key}")

    def warn(message: str) -> None:
        warnings.append(RenderWarning(name, message, NAME))

    shell.set_comment(LABEL, iface.label)
    put("STARTMODE", _START.get(f.start_mode) if f.start_mode else None)
    top = iface if f.master is None else None
    put("BOOTPROTO", _bootproto(top, warn))
    _render_addresses(shell, top, put)
    put("MTU", None if f.mtu is None else str(f.mtu))
    if iface.mac is not None:  # none (libvirt's XML for a bond, bridge, VLAN): keep the file's
        put("LLADDR", iface.mac)
    bond = iface.bond
    put("BONDING_MASTER", "yes" if bond is not None else None)
    slaves = bond.slaves if bond else ()
    own = _slave_keys(shell)
    last = max((_suffix_order(k)[0] for k in own if _suffix_order(k)[0] < 1 << 30), default=-1)
    slave_keys = slot_names(own, len(slaves),
                            (f"BONDING_SLAVE_{i}" for i in itertools.count(last + 1)))  # fmt: skip
    for key in shell.keys():
        if _SLAVE_KEY.fullmatch(key) and key not in slave_keys:
            shell.remove(key)
    for key, slave in zip(slave_keys, slaves, strict=True):
        put(key, slave.name)
    put("BONDING_MODULE_OPTS", merged_bond_options(shell.get("BONDING_MODULE_OPTS"), bond))
    br = iface.bridge
    put("BRIDGE", "yes" if br is not None else None)
    put("BRIDGE_PORTS", None if br is None else " ".join(p.name for p in br.ports))
    put("BRIDGE_STP", None if br is None or br.stp is None else ("on" if br.stp else "off"))
    put("BRIDGE_FORWARDDELAY", None if br is None or br.delay is None
        else format_seconds(br.delay))  # fmt: skip
    for key, text in options_common.suse_bridge_values(br.options if br else None).items():
        put(key, text)
    for key, text in options_common.suse_port_lists(br.ports if br else ()).items():
        put(key, text)
    vlan = iface.vlan
    parent = None
    if vlan is not None:
        parent = vlan.parent or _parent_from_name(name)
        if parent is None:
            warn("VLAN without a parent interface")
        else:
            check_name(parent)
        if vlan.reorder_hdr is not None:
            warn("VLAN reorder_hdr cannot be expressed in SUSE ifcfg (wicked has no such key); "
                 "the kernel default (on) applies")  # fmt: skip
    put("ETHERDEVICE", parent)
    put("VLAN_ID", str(vlan.tag) if vlan is not None else None)


def _parent_from_name(name: str) -> str | None:
    m = re.fullmatch(r"(.+)\.\d+", name)
    return m.group(1) if m else None


def _bootproto(iface: Interface | None, warn: _Warn) -> str:
    if iface is None:
        return "none"  # a bond slave or bridge port: no addressing (ifcfg-bonding(5))
    v4, v6 = iface.ipv4, iface.ipv6
    words = []
    if any(p.addresses for p in iface.protocols):
        words.append("static")
    dhcp4, dhcp6 = bool(v4 and v4.dhcp), bool(v6 and v6.dhcp)
    if dhcp4 or dhcp6:
        words.append("dhcp" if dhcp4 and dhcp6 else "dhcp4" if dhcp4 else "dhcp6")
    if v6 is not None and v6.autoconf:
        words.append("auto6")
    if v4 is not None and v4.dhcp and v4.peerdns is not None:
        warn("DHCP peerdns is not per interface in SUSE ifcfg (netconfig's "
             "NETCONFIG_DNS_POLICY in /etc/sysconfig/network/config decides)")  # fmt: skip
    if v6 is not None and not v6.autoconf:
        warn("IPv6 autoconf off cannot be written in ifcfg; the kernel's accept_ra/autoconf "
             "sysctls decide (set them in /etc/sysconfig/network/ifsysctl-"
             f"{iface.name})")
    if not words:
        return "static" if iface.protocols else "none"
    return "+".join(words)


def _render_addresses(shell: ShellFile, iface: Interface | None, put: _Put) -> None:
    addresses = [a for p in (iface.protocols if iface else ()) for a in p.addresses]
    own = [k for k in shell.keys() if k.startswith("IPADDR") and _ADDR_KEY.fullmatch(k)
           and shell.get(k)]  # fmt: skip
    fresh = (f"IPADDR_{i}" if i else "IPADDR" for i in itertools.count())
    written = set()
    for key, addr in zip(slot_names(own, len(addresses), fresh), addresses, strict=True):
        written.add(key)
        sfx = key[len("IPADDR") :]
        style = next((k for k in (f"PREFIXLEN{sfx}", f"NETMASK{sfx}") if shell.get(k)), None)
        if style is None or "/" in (shell.get(key) or "/") or addr.prefix is None:
            put(key, str(addr))
            continue
        # Keep the slot's own style: the prefix (or netmask) in a key of its own.
        put(key, addr.address)
        if style.startswith("NETMASK") and address_family(addr.address) == Family.IPV4:
            put(style, str(ipaddress.IPv4Network(f"0.0.0.0/{addr.prefix}").netmask))
        else:
            style = f"PREFIXLEN{sfx}"
            put(style, str(addr.prefix))
        written.add(style)
    for key in shell.keys():
        if _ADDR_KEY.fullmatch(key) and key not in written:
            shell.remove(key)


def _render_routes(
    iface: Interface, existing: FileView, keep: bool = False
) -> tuple[PurePosixPath, bytes] | None:
    path = DIR / f"ifroute-{iface.name}"
    old = existing.read(path)
    gateways = [p.gateway for p in iface.protocols if p.gateway]
    routes = [r for p in iface.protocols for r in p.routes]
    if old is None and not gateways and not routes:
        return None
    lines = [] if old is None else old.decode("utf-8", errors="surrogateescape").splitlines()
    new: dict[Family | None, str] = {}
    for gw in gateways:
        if address_family(gw) is None:
            raise UnsafeValue(f"{iface.name}: gateway {gw!r} is not an IP address")
        new[address_family(gw)] = f"default {gw} - {iface.name}"
    kept = []
    for line in lines:  # a default route is replaced where it stands, family by family
        words = line.split()
        if not _is_default(line):
            kept.append(line)
        elif (family := address_family(words[1]) if len(words) > 1 else None) in new:
            kept.append(new.pop(family))
    kept += new.values()
    kept = merge_lines(kept, routes, iface.name, keep)
    return path, "".join(ln + "\n" for ln in kept).encode("utf-8", errors="surrogateescape")


def _is_default(line: str) -> bool:
    words = line.split()
    return bool(words) and words[0] in ("default", "0.0.0.0/0", "::/0", "0.0.0.0")


# ---------------------------------------------------------------------------------------
# Reading.


def read_files(existing: FileView) -> list[Interface]:
    """The top-level interfaces the ifcfg files describe, nested like the XML."""
    return read_report(existing).interfaces


def read(host: Host) -> list[Interface]:
    """``read_files`` on the host's own files."""
    return read_files(HostFiles(host))


def read_report(existing: FileView) -> ReadResult:
    """Read every ifcfg file and the routes; problems are collected, never raised."""
    return _read(existing, {})


def _read(existing: FileView, parsed: dict[PurePosixPath, ShellFile]) -> ReadResult:
    """``read_report``, keeping each ifcfg file it parses in PARSED (never edited here)."""
    problems: list[str] = []
    devices: dict[str, Listed] = {}
    port_options: dict[tuple[str, str], PortOptions] = {}  # (bridge, port) → its options
    for fname in existing.listdir(DIR):
        if not fname.startswith("ifcfg-") or fname.endswith(IGNORED_SUFFIXES):
            continue
        name = fname[len("ifcfg-") :]
        if name == "lo":
            continue
        path = DIR / fname
        try:
            check_name(name)
        except UnsafeValue as exc:
            problems.append(f"{path}: {exc}; skipped")
            continue
        shell = parsed[path] = ShellFile.parse(existing.read(path), str(path), dialect="wicked")
        problems.extend(str(p) for p in shell.problems)
        dev = _device(name, shell, _reporter(problems, str(path)), port_options)
        if dev is not None:
            devices[name] = dev
    gateways = _read_routes(existing, devices, problems)
    _read_static_routes(existing, devices, problems)
    for name, gws in gateways.items():
        dev = devices[name]
        protos = list(dev.iface.protocols)
        for family, gw in gws.items():
            i = next((k for k, p in enumerate(protos) if p.family == family), None)
            if i is None:
                protos.append(Protocol(family, gateway=gw))
            else:
                protos[i] = replace(protos[i], gateway=gw)
        dev.iface = replace(dev.iface, protocols=tuple(protos))
    tops = options_common.with_port_options(nest(devices, problems, str(DIR)), port_options)
    owner = dns_owner(tops)
    dns = read_dns(existing)
    if owner is not None and dns:
        tops = [replace(t, dns=dns) if t is owner else t for t in tops]
    return ReadResult(tops, problems)


def _read_static_routes(existing: FileView, devices: dict[str, Listed],
                        problems: list[str]) -> None:  # fmt: skip
    """Each device's ifroute-IF routes into its protocols (the host-wide routes file's
    are reported)."""
    data = existing.read(ROUTES)
    if data is not None:
        global_route_problems(data.decode("utf-8", "replace"), ROUTES, problems)
    for name, dev in devices.items():
        path = DIR / f"ifroute-{name}"
        data = existing.read(path)
        if data is None:
            continue
        routes = read_ifroute(data.decode("utf-8", "replace"), name, path, problems)
        protos = list(dev.iface.protocols)
        for family in (Family.IPV4, Family.IPV6):
            mine = tuple(r for r in routes if family_of(r) == family)
            if not mine:
                continue
            i = next((k for k, p in enumerate(protos) if p.family == family), None)
            if i is None:
                protos.append(Protocol(family, routes=mine))
            else:
                protos[i] = replace(protos[i], routes=mine)
        protos.sort(key=lambda p: p.family != Family.IPV4)
        dev.iface = replace(dev.iface, protocols=tuple(protos))


def _reporter(problems: list[str], where: str) -> _Why:
    return lambda why: problems.append(f"{where}: {why}")


def _device(name: str, sh: ShellFile, bad: _Why,
            port_options: dict[tuple[str, str], PortOptions]) -> Listed | None:  # fmt: skip
    def val(key: str) -> str | None:
        return sh.get(key) or None  # wicked treats KEY='' as unset

    start = None
    if val("STARTMODE"):
        start = _START_READ.get((val("STARTMODE") or "").lower())
        if start is None:
            bad(f"STARTMODE={val('STARTMODE')!r} is not one ifsmith models; ignored")
    mtu = None
    if val("MTU"):
        if (val("MTU") or "").isdigit():
            mtu = int(val("MTU") or "")
        else:
            bad(f"MTU={val('MTU')!r} is not a number; ignored")
    words = set((val("BOOTPROTO") or "static").lower().split("+"))
    addresses: dict[Family, list[IpAddress]] = {Family.IPV4: [], Family.IPV6: []}
    for key in sh.keys():
        m = _ADDR_KEY.fullmatch(key)
        if not m or m.group(1) != "IPADDR" or not val(key):
            continue
        text = val(key) or ""
        addr, _, prefix = text.partition("/")
        if not prefix:
            prefix = val(f"PREFIXLEN{m.group(2)}") or ""
            mask = val(f"NETMASK{m.group(2)}")
            if not prefix and mask:
                try:
                    prefix = str(ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen)
                except ValueError:
                    bad(f"NETMASK{m.group(2)}: {mask!r} is not a netmask; ignored")
        family = address_family(addr)
        if family is None or (prefix and not prefix.isdigit()):
            bad(f"{key}: {text!r} is not an address; ignored")
            continue
        addresses[family].append(IpAddress(addr, int(prefix) if prefix else None))
    protocols = []
    dhcp4 = bool(words & {"dhcp", "dhcp4"})
    if dhcp4 or addresses[Family.IPV4]:
        protocols.append(Protocol(Family.IPV4, dhcp=dhcp4, addresses=tuple(addresses[Family.IPV4])))
    dhcp6 = bool(words & {"dhcp", "dhcp6"})
    if dhcp6 or "auto6" in words or addresses[Family.IPV6]:
        protocols.append(Protocol(Family.IPV6, dhcp=dhcp6, autoconf="auto6" in words,
                                  addresses=tuple(addresses[Family.IPV6])))  # fmt: skip
    iface = Interface(IfType.ETHERNET, name, start_mode=start, mtu=mtu, mac=val("LLADDR"),
                      protocols=tuple(protocols), label=sh.comment_value(LABEL))  # fmt: skip
    slaves: list[str] = []
    ports: list[str] = []
    primary = None
    slave_keys = _slave_keys(sh)
    if (val("BONDING_MASTER") or "").lower() == "yes" or slave_keys:
        opts = val("BONDING_MODULE_OPTS") or ""
        bond, primary = read_bond_options(opts, lambda why: bad(f"BONDING_MODULE_OPTS: {why}"))
        iface = replace(iface, type=IfType.BOND, bond=bond)
        slaves = [val(k) or "" for k in slave_keys]
    elif (val("BRIDGE") or "").lower() == "yes":
        delay = None
        if val("BRIDGE_FORWARDDELAY"):
            try:
                delay = float(val("BRIDGE_FORWARDDELAY") or "")
            except ValueError:
                bad("BRIDGE_FORWARDDELAY: not a number of seconds; ignored")
        stp = {"on": True, "yes": True, "off": False, "no": False}.get(
            (val("BRIDGE_STP") or "").lower())
        options = options_common.read_suse_bridge(val, bad)
        iface = replace(iface, type=IfType.BRIDGE,
                        bridge=Bridge(stp=stp, delay=delay, options=options))  # fmt: skip
        ports = (val("BRIDGE_PORTS") or "").split()
        for port, port_opts in options_common.read_suse_ports(val, ports, bad).items():
            port_options[(name, port)] = port_opts
    elif val("ETHERDEVICE") or val("VLAN_ID") or (val("VLAN") or "").lower() == "yes":
        tag_text = val("VLAN_ID") or (re.search(r"(\d+)$", name) or [""])[0]
        if not tag_text.isdigit() or int(tag_text) > 4095:
            bad(f"no VLAN id for {name}; skipped")
            return None
        parent = val("ETHERDEVICE") or _parent_from_name(name)
        iface = replace(iface, type=IfType.VLAN, vlan=Vlan(int(tag_text), parent))
    return Listed(iface, slaves + ports, primary)


def _slave_keys(sh: ShellFile) -> list[str]:
    """The BONDING_SLAVE keys with a value, in the order wicked takes them."""
    return sorted((k for k in sh.keys() if _SLAVE_KEY.fullmatch(k) and sh.get(k)),
                  key=_suffix_order)  # fmt: skip


def _suffix_order(key: str) -> tuple[int, str]:
    m = _SLAVE_KEY.fullmatch(key)
    suffix = m.group(1) if m else key
    return (int(suffix), "") if suffix.isdigit() else (1 << 30, suffix)


def _read_routes(existing: FileView, devices: dict[str, Listed],
                 problems: list[str]) -> dict[str, dict[Family, str]]:  # fmt: skip
    """Default gateways per interface from ``routes`` and ``ifroute-NAME``."""
    found: dict[str, dict[Family, str]] = {}
    sources = [(ROUTES, None)] + [(DIR / f"ifroute-{n}", n) for n in devices]
    for path, owner in sources:
        data = existing.read(path)
        if data is None:
            continue
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            words = line.split("#", 1)[0].split()
            if not words or not _is_default(words[0]):
                continue
            gw = words[1] if len(words) > 1 else "-"
            family = address_family(gw)
            if family is None:
                problems.append(f"{path}:{number}: default route without a gateway; ignored")
                continue
            dev = words[3] if len(words) > 3 and words[3] != "-" else owner
            if dev is None:
                dev = _device_for_gateway(gw, devices)
            if dev in devices:
                found.setdefault(dev, {})[family] = gw
            else:
                problems.append(f"{path}:{number}: default route via {gw} names no configured "
                                "interface; ignored")  # fmt: skip
    return found


def _device_for_gateway(gw: str, devices: dict[str, Listed]) -> str | None:
    """The interface whose own subnet holds the gateway (a ``routes`` line with ``-``)."""
    ip = ipaddress.ip_address(gw)
    for name, dev in devices.items():
        for p in dev.iface.protocols:
            for a in p.addresses:
                if a.prefix is not None and ip in ipaddress.ip_interface(str(a)).network:
                    return name
    return None


# ---------------------------------------------------------------------------------------
# Removing and activating.


def undefine(names: Sequence[str], existing: FileView) -> Rendering:
    """Remove the ifcfg/ifroute files of these interfaces and of their slaves and ports."""
    removed: set[PurePosixPath] = set()
    warnings = []
    todo = list(names)
    while todo:
        name = todo.pop()
        check_name(name)
        path = _path(name)
        data = existing.read(path)
        if data is None:
            if name in names:
                warnings.append(RenderWarning(name, "no ifcfg file describes it", NAME))
            continue
        if path in removed:
            continue
        removed.add(path)
        if existing.read(DIR / f"ifroute-{name}") is not None:
            removed.add(DIR / f"ifroute-{name}")
        sh = ShellFile.parse(data, str(path), dialect="wicked")
        todo.extend(v for k, v in sh.items() if _SLAVE_KEY.fullmatch(k) and v)
        todo.extend((sh.get("BRIDGE_PORTS") or "").split())
    return Rendering(NAME, removed=frozenset(removed), warnings=tuple(warnings))


def activate(host: Host, names: Sequence[str]) -> list[list[str]]:
    """``wicked ifreload``: applies changed and removed configs, slaves and ports included."""
    for name in names:
        check_name(name)
    return [["wicked", "ifreload", *names]] if names else []

