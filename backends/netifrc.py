"""Gentoo netifrc: one shared /etc/conf.d/net, sourced by OpenRC's net.lo (/bin/sh).

Variables carry the interface as a suffix, with every character outside [A-Za-z0-9_]
turned into ``_`` (netifrc's ``shell_var``): ``config_eth0``, ``config_eth0_42``.
Lists are newline-separated inside one double-quoted value (``config_eth0="a\\nb"``).

- addresses/DHCP: ``config_X`` ("192.0.2.5/24", "dhcp", "dhcpv6", "null");
  gateways: ``routes_X`` ("default via GW"); peerdns off: ``dhcp_X="nodns"``
- static routes: more ``routes_X`` lines ("10.20.0.0/16 via 192.0.2.254 metric 100", either
  family; netifrc adds ``dev X``); DNS: ``dns_servers_X``, ``dns_search_X`` (space-separated;
  ``dns_domain_X`` reads as the search list where there is no ``dns_search_X``)
- ``mtu_X``, ``mac_X`` (macchanger module)
- bond (net/bonding.sh): ``slaves_X``, and each sysfs option as ``<option>_X``:
  ``mode_X``, ``miimon_X``, ``arp_ip_target_X`` (space-separated), ``primary_X``…
- bridge (net/bridge.sh): ``bridge_X="ports"`` (set, even empty, makes X a bridge),
  sysfs options ``bridge_stp_state_X``, ``bridge_forward_delay_X`` (centiseconds, USER_HZ),
  the other bridge options and a port's ``brport_path_cost_P`` / ``brport_priority_P``:
  backends.netifrc_bridge
- VLAN (net/vlan.sh): ``vlans_PARENT="42"``; a name other than ``PARENT.42`` in
  ``PARENT_vlan42_name``; ``PARENT_vlan42_flags="reorder_hdr off"`` (ip link's words)
- start on boot: the service ``net.X`` (a symlink to net.lo in /etc/init.d) in the
  default runlevel.  That is not in this file: a render warns when the links differ.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from ifsmith.backends import DhcpClient, ReadResult, netifrc_bridge, options_common
from ifsmith.backends.bash import (
    Listed,
    ShellFile,
    carry_changes,
    check_name,
    nest,
    quote_double,
)
from ifsmith.backends.ifcfg_rh import BOND_OPTIONS, bond_options, read_bond_options
from ifsmith.backends.route_text import (
    family_of,
    lost_on_enslaving,
    parse_route,
    route_words,
    safe_search,
    safe_servers,
)
from ifsmith.core.files import FileView, HostFiles, Rendering, RenderWarning, UnsafeValue
from ifsmith.core.host import Host
from ifsmith.core.model import (
    Bridge,
    Dns,
    Family,
    FlatInterface,
    IfType,
    Interface,
    IpAddress,
    Protocol,
    Route,
    StartMode,
    Vlan,
    flatten,
)
from ifsmith.core.xmlio import address_family

NAME = "netifrc"
CARRIES = frozenset({"routes", "dns", "bond-options", *netifrc_bridge.CARRIES})  # backends.render
CONF = PurePosixPath("/etc/conf.d/net")
INITD = PurePosixPath("/etc/init.d")
RUNLEVELS = (PurePosixPath("/etc/runlevels/default"), PurePosixPath("/etc/runlevels/boot"))

# Per-interface variable prefixes an interface owns (removed by undefine).  Longest first,
# so "bridge_stp_state_br0" is not taken for "bridge_" + "stp_state_br0".
_PREFIXES = sorted(
    {"config", "routes", "mtu", "mac", "slaves", "bridge", "bridge_add", "bridge_force",
     "brctl", "bridge_stp_state", "bridge_forward_delay", "stp_state", "forward_delay",
     "dhcp", "dhcpcd", "dhclient", "udhcpc", "fallback", "fallback_routes", "metric",
     "txqueuelen", "carrier_timeout", "dad_timeout", "modules", "ifdown", "rules",
     "rules6", "dns_servers", "dns_domain", "dns_search", "dns_options", "type",
     "subsume", *BOND_OPTIONS, *netifrc_bridge.PREFIXES},
    key=len, reverse=True,
)  # fmt: skip
_Put = Callable[[str, str | None], None]
_MAC = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")


def ifvar(name: str) -> str:
    """netifrc's ``shell_var``: the interface name as a variable-name suffix."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def label_prefix(name: str) -> str:
    return f"# ifsmith-label {name}: "


def detect(host: Host) -> bool:
    """OpenRC's netifrc: /etc/init.d/net.lo (or a /etc/conf.d/net) is present."""
    return host.path(INITD / "net.lo").exists() or host.path(CONF).exists()


def _parse(existing: FileView) -> ShellFile:
    return ShellFile.parse(existing.read(CONF), str(CONF), multiline=True)


# ---------------------------------------------------------------------------------------
# Rendering.


def render(interfaces: Sequence[Interface], existing: FileView) -> Rendering:
    """/etc/conf.d/net with these interfaces' variables set and everything else kept."""
    flat = flatten(list(interfaces))
    owners: dict[str, str] = {}
    for f in flat:
        check_name(f.name)
        v = ifvar(f.name)
        if owners.setdefault(v, f.name) != f.name:
            raise UnsafeValue(f"{f.name}: refused: netifrc cannot tell it from "
                              f"{owners[v]} (both are _{v} in /etc/conf.d/net)")  # fmt: skip
    original = _parse(existing)  # parsed once: the reading, the edit and the hand-over
    sh = original.copy()
    # Render from the file's own reading and from what is wanted; only the variables the
    # two disagree on change, so an unchanged definition rewrites no line.
    defined = {d.name: d for d in flatten(_read(original, existing).interfaces)}
    warnings: list[RenderWarning] = []
    defined_flat = [defined[f.name] for f in flat if f.name in defined]
    if defined_flat:
        before, after = sh.copy(), sh.copy()
        _render_all(before, defined_flat, [], owners)
        _render_all(after, flat, warnings, owners)
        labels = [(label_prefix(f.name), False) for f in flat]
        carry_changes(sh, before, after, quote_double, str(CONF), labels)
    else:
        _render_all(sh, flat, warnings, owners)
    tops = {i.name: i for i in interfaces}
    for f in flat:
        was = defined.get(f.name)
        if f.master is not None and was is not None and was.master is None:
            _hand_over(sh, original, f.name, f.master, warnings)
            for what in lost_on_enslaving(was.interface, tops.get(f.top)):
                warnings.append(RenderWarning(f.name, f"{what} removed: a slave or port has "
                                              f"no routes or DNS, and {f.top} does not take "
                                              "it over", NAME))  # fmt: skip
    warnings += _start_mode_warnings(flat, existing)
    return Rendering(NAME, {CONF: sh.to_bytes()}, warnings=tuple(warnings))


# A NIC's variables about the host's addressing beyond the model (its route lines the
# model does not hold, dns_options): when it becomes a slave or port they belong to its
# master.
_HANDED_OVER = ("routes", "dns_servers", "dns_search", "dns_domain", "dns_options")


def _hand_over(sh: ShellFile, original: ShellFile, port: str, master: str,
               warnings: list[RenderWarning]) -> None:  # fmt: skip
    """Move a new slave's or port's routes and DNS variables to its master's."""
    pv, mv = ifvar(port), ifvar(master)
    for prefix in _HANDED_OVER:
        value = sh.get(f"{prefix}_{pv}")
        if value is None:
            continue
        sh.remove(f"{prefix}_{pv}")
        had = original.get(f"{prefix}_{mv}")
        if had is None:
            # Routes add to the master's own (its default route came with the addressing).
            mine = sh.get(f"{prefix}_{mv}")
            merged = value if mine is None else "\n".join([mine, value])
            sh.set(f"{prefix}_{mv}", merged, quote_double, f"{master}: {prefix}_{mv}")
        elif had != value:
            shown = value.replace("\n", "; ")
            warnings.append(RenderWarning(master, f"{prefix}_{pv}={shown} of {port} not moved "
                                          f"here: {master} has {prefix}_{mv}", NAME))  # fmt: skip


def _render_all(sh: ShellFile, flat: list[FlatInterface], warnings: list[RenderWarning],
                owners: dict[str, str]) -> None:  # fmt: skip
    """Every device's variables, and the VLAN lists of their parents."""
    vlans: dict[str, list[Interface]] = {}
    for f in flat:
        render_device(sh, f, warnings)
        if f.interface.vlan is not None:
            parent = f.interface.vlan.parent or _parent_from_name(f.name)
            if parent is None:
                warnings.append(RenderWarning(f.name, "VLAN without a parent interface", NAME))
                continue
            check_name(parent)
            vlans.setdefault(parent, []).append(f.interface)
    for parent, members in vlans.items():
        _render_vlans(sh, parent, members)
        if sh.get(f"config_{ifvar(parent)}") is None and parent not in owners:
            message = (f"has no config_{ifvar(parent)}: netifrc creates its VLANs when "
                       f"net.{parent} starts")
            warnings.append(RenderWarning(parent, message, NAME))


def render_device(sh: ShellFile, f: FlatInterface, warnings: list[RenderWarning]) -> None:
    """Set one device's variables in the shared file."""
    iface, v = f.interface, ifvar(f.name)

    def put(prefix: str, value: str | None) -> None:
        sh.set(f"{prefix}_{v}", value, quote_double, f"{f.name}: {prefix}_{v}")

    sh.set_comment(label_prefix(f.name), iface.label, first=False)
    top = iface if f.master is None else None
    put("config", _config(top))
    put("routes", _routes(sh.get(f"routes_{v}"), top, f.name))
    _put_dns(sh, v, top, put)
    dhcp_opts = [w for w in (sh.get(f"dhcp_{v}") or "").split() if w != "nodns"]
    if top is not None and top.ipv4 is not None and top.ipv4.dhcp and top.ipv4.peerdns is False:
        dhcp_opts.append("nodns")
    put("dhcp", " ".join(dhcp_opts) or None)
    if top is not None and top.ipv6 is not None and not top.ipv6.autoconf:
        warnings.append(RenderWarning(f.name, "IPv6 autoconf off cannot be written in "
                                      "/etc/conf.d/net; the kernel's accept_ra/autoconf "
                                      "sysctls decide (/etc/sysctl.d)", NAME))  # fmt: skip
    put("mtu", None if f.mtu is None else str(f.mtu))
    # Without a mac (libvirt's XML has none for a bond, bridge or VLAN) the file keeps its
    # own, a macchanger mode ("random-ending") included.
    if iface.mac is not None:
        put("mac", iface.mac)
    _render_bond(sh, iface, put)
    _render_bridge(sh, iface, put)
    netifrc_bridge.render(sh, iface, v, f.master_type == IfType.BRIDGE, put,
                          lambda m: warnings.append(RenderWarning(f.name, m, NAME)))  # fmt: skip


def _config(iface: Interface | None) -> str:
    if iface is None:
        return "null"  # a slave or port: no addressing, and no DHCP by default
    lines = [str(a) for p in iface.protocols for a in p.addresses]
    if iface.ipv4 is not None and iface.ipv4.dhcp:
        lines.append("dhcp")
    if iface.ipv6 is not None and iface.ipv6.dhcp:
        lines.append("dhcpv6")
    return "\n".join(lines) or "null"


def _routes(old: str | None, iface: Interface | None, name: str) -> str | None:
    """The default routes and the model's routes, each in the place of the file's line it
    replaces (a route by its destination); the file's lines the model does not hold
    (``-net … gw …``, a ``table``) stay as written."""
    defaults: list[str] = []
    wanted: dict[str, str] = {}  # destination → line
    for p in iface.protocols if iface is not None else ():
        if p.gateway:
            if address_family(p.gateway) is None:
                raise UnsafeValue(f"{iface.name if iface else ''}: gateway {p.gateway!r} "
                                  "is not an IP address")  # fmt: skip
            defaults.append(f"default via {p.gateway}")
        for r in p.routes:
            wanted.setdefault(r.destination, " ".join(route_words(name, r)))
    lines: list[str] = []
    for line in (old or "").split("\n"):
        if not line.strip():
            continue
        route = parse_route(line.split(), name)
        if _is_default(line):
            if defaults:
                lines.append(defaults.pop(0))
        elif route is None:
            lines.append(line)
        elif route.destination in wanted:
            now = wanted.pop(route.destination)
            lines.append(line if parse_route(now.split(), name) == route else now)
    return "\n".join([*lines, *defaults, *wanted.values()]) or None


def _put_dns(sh: ShellFile, v: str, top: Interface | None, put: _Put) -> None:
    """``dns_servers_X`` and ``dns_search_X`` (netifrc's system module); a file's own
    ``dns_domain_X`` stays while it says the search list."""
    dns = top.dns if top is not None and top.dns else Dns()
    name = top.name if top is not None else v
    put("dns_servers", " ".join(safe_servers(name, dns)) or None)
    search = safe_search(name, dns)
    domain = sh.get(f"dns_domain_{v}")
    if sh.get(f"dns_search_{v}") is None and domain is not None and search == domain.split()[:1]:
        return
    put("dns_search", " ".join(search) or None)
    put("dns_domain", None)


def _is_default(line: str) -> bool:
    words = line.split()
    return bool(words) and words[0] in ("default", "0.0.0.0/0", "::/0")


def _render_bond(sh: ShellFile, iface: Interface, put: _Put) -> None:
    bond = iface.bond
    if bond is None:
        # mode_X is also the wireless mode: clear bond options only where X was a bond.
        if sh.get(f"slaves_{ifvar(iface.name)}") is not None:
            put("slaves", None)
            for name in BOND_OPTIONS:
                put(name, None)
        return
    put("slaves", " ".join(s.name for s in bond.slaves))
    for name, value in bond_options(bond):
        put(name, value.replace(",", " ") if value and name == "arp_ip_target" else value)


def _render_bridge(sh: ShellFile, iface: Interface, put: _Put) -> None:
    br, v = iface.bridge, ifvar(iface.name)
    if br is None:
        if sh.get(f"bridge_{v}") is not None:
            for prefix in ("bridge", "bridge_stp_state", "bridge_forward_delay"):
                put(prefix, None)
        return
    # Set even when empty: that is what makes netifrc create a bridge with no port.
    put("bridge", " ".join(p.name for p in br.ports))
    stp = None if br.stp is None else ("1" if br.stp else "0")
    delay = None if br.delay is None else str(round(br.delay * 100))
    for name, value in (("stp_state", stp), ("forward_delay", delay)):
        # The unprefixed spellings are deprecated aliases: one stays while its value does.
        if value is None or sh.get(f"{name}_{v}") != value or sh.get(f"bridge_{name}_{v}"):
            put(f"bridge_{name}", value)
            put(name, None)
    # A port that is itself a bond or another device's VLAN must exist before bridge.sh
    # adds it: depend on the service that creates it.
    needs = (sh.get(f"rc_net_{v}_need") or "").split()
    for port in br.ports:
        creator = port.name if port.type == IfType.BOND else (
            (port.vlan.parent or _parent_from_name(port.name)) if port.vlan else None)  # fmt: skip
        if creator and f"net.{creator}" not in needs:
            needs.append(f"net.{creator}")
    if needs:
        sh.set(f"rc_net_{v}_need", " ".join(needs), quote_double, f"{iface.name}: rc_net_need")


def _render_vlans(sh: ShellFile, parent: str, members: list[Interface]) -> None:
    pv = ifvar(parent)
    tags = (sh.get(f"vlans_{pv}") or "").split()
    known = set(tags)
    for vlan in members:
        assert vlan.vlan is not None
        tag = str(vlan.vlan.tag)
        if tag not in known:
            tags.append(tag)
            known.add(tag)
        what = f"{vlan.name}: {pv}_vlan{tag}"
        default = vlan.name == f"{parent}.{tag}"
        sh.set(f"{pv}_vlan{tag}_name", None if default else vlan.name, quote_double, what)
        flags = _flag_pairs(sh.get(f"{pv}_vlan{tag}_flags"))
        flags.pop("reorder_hdr", None)
        if vlan.vlan.reorder_hdr is not None:
            flags["reorder_hdr"] = "on" if vlan.vlan.reorder_hdr else "off"
        text = " ".join(f"{k} {val}" for k, val in flags.items()) or None
        sh.set(f"{pv}_vlan{tag}_flags", text, quote_double, what)
    sh.set(f"vlans_{pv}", " ".join(tags), quote_double, f"{parent}: vlans_{pv}")


def _flag_pairs(text: str | None) -> dict[str, str]:
    words = (text or "").split()
    return dict(zip(words[::2], words[1::2], strict=False))


def _parent_from_name(name: str) -> str | None:
    m = re.fullmatch(r"(.+)\.\d+", name)
    return m.group(1) if m else None


def _start_mode_warnings(flat: list[FlatInterface], existing: FileView) -> list[RenderWarning]:
    """Start on boot lives in OpenRC's runlevels, not in the file: say what to run."""
    services = _Services(existing)
    enabled, scripts = services.enabled, services.scripts
    out = []
    told: set[str] = set()
    for f in flat:
        if f.master is not None or f.start_mode is None:
            continue
        vlan = f.interface.vlan
        # A VLAN is created and started by its parent's service (vlan.sh).
        owner = (vlan.parent or _parent_from_name(f.name) or f.name) if vlan else f.name
        service = f"net.{owner}"
        link = "" if service in scripts else f"ln -s net.lo /etc/init.d/{service}; "
        if vlan is not None and f.start_mode != StartMode.ONBOOT:
            out.append(RenderWarning(f.name, f"start mode {f.start_mode}: netifrc starts every "
                                     f"VLAN with {service} (vlan_start_{ifvar(owner)}=no "
                                     "stops all of them)", NAME))  # fmt: skip
        elif service in told:
            continue
        elif f.start_mode == StartMode.ONBOOT and service not in enabled:
            out.append(RenderWarning(f.name, "start mode onboot is OpenRC's runlevel: run "
                                     f"`{link}rc-update add {service} default`", NAME))  # fmt: skip
        elif f.start_mode == StartMode.NONE and service in enabled:
            out.append(RenderWarning(f.name, "start mode none: run "
                                     f"`rc-update del {service} default`", NAME))  # fmt: skip
        elif f.start_mode == StartMode.HOTPLUG:
            out.append(RenderWarning(f.name, "start mode hotplug has no per-interface setting "
                                     "in netifrc: OpenRC starts net.* on hotplug as rc_hotplug "
                                     "in /etc/rc.conf allows", NAME))  # fmt: skip
        told.add(service)
    return out


# ---------------------------------------------------------------------------------------
# Reading.


def read_files(existing: FileView) -> list[Interface]:
    """The top-level interfaces /etc/conf.d/net describes, nested like the XML."""
    return read_report(existing).interfaces


def read(host: Host) -> list[Interface]:
    """``read_files`` on the host's own files."""
    return read_files(HostFiles(host))


# The first of _PREFIXES (longest first) that a key starts with, "_", then a suffix.
_SPLIT_KEY = re.compile("(" + "|".join(map(re.escape, _PREFIXES)) + ")_(.+)", re.DOTALL)


def _split_key(key: str) -> tuple[str, str] | None:
    m = _SPLIT_KEY.fullmatch(key)
    return (m.group(1), m.group(2)) if m else None


class _Services:
    """The net.* services in /etc/init.d and the runlevels, listed once per read."""

    def __init__(self, existing: FileView) -> None:
        self.enabled = {n for d in RUNLEVELS for n in existing.listdir(d)}
        self.scripts = set(existing.listdir(INITD))


def read_report(existing: FileView) -> ReadResult:
    """Read /etc/conf.d/net and the runlevels; problems are collected, never raised."""
    return _read(_parse(existing), existing)


def _read(sh: ShellFile, existing: FileView) -> ReadResult:
    """What the parsed file SH (and the runlevels) say."""
    problems = [str(p) for p in sh.problems]
    names: dict[str, str] = {}  # ifvar → real name, where a list tells it
    vlan_of: dict[str, tuple[str, int]] = {}  # vlan name → (parent, tag)
    for key, value in sh.items():
        split = _split_key(key)
        if split and split[0] in ("slaves", "bridge"):
            for n in value.split():
                names.setdefault(ifvar(n), n)
    for key, value in sh.items():
        if key.startswith("vlans_"):
            pv = key[len("vlans_") :]
            parent = names.get(pv, pv)
            for tag in value.split():
                if not tag.isdigit() or int(tag) > 4095:
                    problems.append(f"{CONF}:{sh.line_of(key)}: {key}: {tag!r} is not a VLAN id")
                    continue
                vname = (sh.get(f"{pv}_vlan{tag}_name") or sh.get(f"vlan{tag}_name")
                         or f"{parent}.{tag}")  # fmt: skip
                names[ifvar(vname)] = vname
                vlan_of[vname] = (parent, int(tag))
    found: dict[str, None] = {}  # (ordered, with a set's lookups)
    for key in sh.keys():
        split = _split_key(key)
        if split and split[0] in ("config", "slaves", "bridge", "bridge_force", "mtu", "routes"):
            name = names.get(split[1], split[1])
            if name != "lo":
                found.setdefault(name)
    found.update(dict.fromkeys(vlan_of))
    added: dict[str, list[str]] = {}  # bridge → ports that name it in bridge_add_PORT
    for key, value in sh.items():
        if key.startswith("bridge_add_"):
            added.setdefault(value, []).append(key[len("bridge_add_") :])
    services = _Services(existing)
    devices: dict[str, Listed] = {}
    for name in found:
        try:
            check_name(name)
        except UnsafeValue as exc:
            problems.append(f"{CONF}: {exc}; skipped")
            continue
        devices[name] = _device(sh, name, vlan_of.get(name), services, added, problems)
    port_options = {}  # (bridge, port) → the port's brport_* options
    for name, dev in devices.items():
        for port in dev.subs if dev.iface.bridge is not None else ():
            def report(why: str, port: str = port) -> None:
                problems.append(f"{CONF}: {port}: brport_{why}; ignored")

            opts = netifrc_bridge.read_port(sh, ifvar(port), report)
            if opts:
                port_options[(name, port)] = opts
    tops = nest(devices, problems, str(CONF))
    return ReadResult(options_common.with_port_options(tops, port_options), problems)


def _device(sh: ShellFile, name: str, vlan: tuple[str, int] | None, services: _Services,
            added: dict[str, list[str]], problems: list[str]) -> Listed:  # fmt: skip
    v = ifvar(name)

    def bad(key: str, why: str) -> None:
        problems.append(f"{CONF}:{sh.line_of(key)}: {key}: {why}")

    protocols = _read_config(sh, v, bad, name)
    mtu_text = sh.get(f"mtu_{v}")
    mtu = int(mtu_text) if mtu_text and mtu_text.isdigit() else None
    if mtu_text and mtu is None:
        bad(f"mtu_{v}", "not a number; ignored")
    mac = sh.get(f"mac_{v}") or None
    if mac and not _MAC.fullmatch(mac):
        bad(f"mac_{v}", f"{mac!r} is not an address (macchanger modes are not modeled)")
        mac = None
    start = None
    # A VLAN is started by its parent's service (vlan.sh, vlan_start_PARENT defaults yes).
    service = f"net.{vlan[0] if vlan else name}"
    if vlan is None or (sh.get(f"vlan_start_{ifvar(vlan[0])}") or "yes").lower() != "no":
        if service in services.enabled:
            start = StartMode.ONBOOT
        elif service in services.scripts:
            start = StartMode.NONE
    servers = tuple((sh.get(f"dns_servers_{v}") or "").split())
    search = (sh.get(f"dns_search_{v}") or "").split()
    search = search or (sh.get(f"dns_domain_{v}") or "").split()[:1]
    iface = Interface(IfType.ETHERNET, name, start_mode=start, mtu=mtu, mac=mac,
                      protocols=protocols, label=sh.comment_value(label_prefix(name)),
                      dns=Dns(servers, tuple(search)) or None)  # fmt: skip
    dev = Listed(iface)
    if sh.get(f"slaves_{v}") is not None:
        opts = " ".join(
            f"{o}={(sh.get(f'{o}_{v}') or '').replace(' ', ',')}"
            for o in BOND_OPTIONS if sh.get(f"{o}_{v}")
        )
        bond, dev.primary = read_bond_options(opts, lambda why: bad(f"slaves_{v}", why))
        dev.iface = replace(iface, type=IfType.BOND, bond=bond)
        dev.subs = (sh.get(f"slaves_{v}") or "").split()
    elif sh.get(f"bridge_{v}") is not None or sh.get(f"bridge_force_{v}") is not None:
        stp_text = sh.get(f"bridge_stp_state_{v}") or sh.get(f"stp_state_{v}")
        delay_text = sh.get(f"bridge_forward_delay_{v}") or sh.get(f"forward_delay_{v}")
        delay = int(delay_text) / 100 if delay_text and delay_text.isdigit() else None
        stp = None if not stp_text else stp_text.strip() != "0"
        options = netifrc_bridge.read_bridge(sh, v, lambda why: bad(f"bridge_{v}",
                                                                    f"bridge_{why}; ignored"))
        dev.iface = replace(iface, type=IfType.BRIDGE,
                            bridge=Bridge(stp=stp, delay=delay, options=options))  # fmt: skip
        dev.subs = (sh.get(f"bridge_{v}") or "").split()
        dev.subs += added.get(name, [])
    elif vlan is not None:
        parent, tag = vlan
        flags = _flag_pairs(sh.get(f"{ifvar(parent)}_vlan{tag}_flags")
                            or sh.get(f"vlan{tag}_flags"))  # fmt: skip
        reorder = {"on": True, "off": False}.get(flags.get("reorder_hdr", ""))
        dev.iface = replace(iface, type=IfType.VLAN, vlan=Vlan(tag, parent, reorder))
    return dev


def _read_config(
    sh: ShellFile, v: str, bad: Callable[[str, str], None], name: str
) -> tuple[Protocol, ...]:
    key = f"config_{v}"
    addresses: dict[Family, list[IpAddress]] = {Family.IPV4: [], Family.IPV6: []}
    dhcp = {Family.IPV4: False, Family.IPV6: False}
    for line in (sh.get(key) or "").split("\n"):
        words = [w for w in line.split() if w != "noop"]
        if not words or words[0] == "null":
            continue
        if words[0] in ("dhcp", "dhcpv6"):
            dhcp[Family.IPV6 if words[0] == "dhcpv6" else Family.IPV4] = True
            continue
        if len(words) >= 3 and words[1] == "netmask":
            words = [f"{words[0]}/{words[2]}"]
        elif not all("/" in w for w in words):
            words = words[:1]  # an address followed by ip(8) options
        for word in words:
            try:
                ip = ipaddress.ip_interface(word)
            except ValueError:
                bad(key, f"{word!r} is not an address; ignored")
                continue
            family = Family.IPV4 if ip.version == 4 else Family.IPV6
            prefix = ip.network.prefixlen if "/" in word else None
            addresses[family].append(IpAddress(str(ip.ip), prefix))
    gateways: dict[Family, str] = {}
    routes: dict[Family, list[Route]] = {Family.IPV4: [], Family.IPV6: []}
    for line in (sh.get(f"routes_{v}") or "").split("\n"):
        words = line.split()
        if words and _is_default(line) and len(words) >= 3 and words[1] in ("via", "gw"):
            gw_family = address_family(words[2])
            if gw_family is not None:
                gateways[gw_family] = words[2]
        route = parse_route(words, name)
        if route is not None:
            routes[family_of(route)].append(route)
    nodns = "nodns" in (sh.get(f"dhcp_{v}") or "").split()
    out = []
    for family in (Family.IPV4, Family.IPV6):
        if dhcp[family] or addresses[family] or family in gateways or routes[family]:
            out.append(Protocol(
                family, dhcp=dhcp[family],
                peerdns=(False if nodns else None) if family == Family.IPV4 and dhcp[family]
                else None,
                # The kernel does SLAAC by default and netifrc does not turn it off.
                autoconf=family == Family.IPV6,
                addresses=tuple(addresses[family]), gateway=gateways.get(family),
                routes=tuple(routes[family])))  # fmt: skip
    return tuple(out)


# ---------------------------------------------------------------------------------------
# Removing and activating.


def undefine(names: Sequence[str], existing: FileView) -> Rendering:
    """Remove these interfaces' (and their slaves' and ports') variables from the file."""
    sh = _parse(existing)
    warnings = []
    vlan_parent = _vlan_parents(sh)
    todo = list(names)
    done: set[str] = set()
    while todo:
        name = todo.pop()
        check_name(name)
        if name in done:
            continue
        done.add(name)
        v = ifvar(name)
        owned = [k for k in sh.keys() if (_split_key(k) or ("", ""))[1] == v
                 or k.startswith(f"rc_net_{v}_")]  # fmt: skip
        if not owned and name not in vlan_parent:
            if name in names:
                warnings.append(RenderWarning(name, f"nothing in {CONF} describes it", NAME))
            continue
        todo.extend((sh.get(f"slaves_{v}") or "").split())
        todo.extend((sh.get(f"bridge_{v}") or "").split())
        for key in owned:
            if not key.startswith("vlans_"):
                sh.remove(key)
        sh.set_comment(label_prefix(name), None)
        if name in vlan_parent:
            parent, tag = vlan_parent[name]
            pv = ifvar(parent)
            tags = [t for t in (sh.get(f"vlans_{pv}") or "").split() if t != str(tag)]
            sh.set(f"vlans_{pv}", " ".join(tags) or None, quote_double, f"{parent}: vlans")
            sh.remove(f"{pv}_vlan{tag}_name")
            sh.remove(f"{pv}_vlan{tag}_flags")
    return Rendering(NAME, {CONF: sh.to_bytes()}, warnings=tuple(warnings))


def _vlan_parents(sh: ShellFile) -> dict[str, tuple[str, int]]:
    out = {}
    for key, value in sh.items():
        if key.startswith("vlans_"):
            pv = key[len("vlans_") :]
            for tag in value.split():
                if tag.isdigit():
                    vname = sh.get(f"{pv}_vlan{tag}_name") or f"{pv}.{tag}"
                    out[vname] = (pv, int(tag))
    return out


def activate(host: Host, names: Sequence[str]) -> list[list[str]]:
    """Restart each interface's OpenRC service (a VLAN's is its parent's), linking it first."""
    sh = _parse(HostFiles(host))
    vlan_parent = _vlan_parents(sh)
    scripts = set(HostFiles(host).listdir(INITD))
    argv: list[list[str]] = []
    seen: set[str] = set()
    for name in names:
        check_name(name)
        service = f"net.{vlan_parent[name][0] if name in vlan_parent else name}"
        if service in seen:
            continue
        seen.add(service)
        if service not in scripts:
            argv.append(["ln", "-s", "net.lo", str(INITD / service)])
        argv.append([str(INITD / service), "restart"])
    return argv



def dhcp_clients(host: Host, name: str) -> list[DhcpClient]:
    """The client netifrc's DHCP module runs for NAME: dhcpcd (its preferred module, when
    installed and not excluded) or dhclient, as ``modules`` / ``modules_IF`` in
    /etc/conf.d/net choose.  dhcpcd: ``dhcpcd -b IF`` (in the background at once), pid
    file /run/dhcpcd/IF.pid (dhcpcd 9 and later), stopped with ``dhcpcd -x IF`` (no
    release); its DUID is the host's, nothing to carry.  dhclient: net/dhclient.sh's
    ``-q -1 -pf /run/dhclient-IF.pid IF`` with ``-nw``, stopped with ``-x``."""
    check_name(name)
    sh = _parse(HostFiles(host))
    modules = (sh.get(f"modules_{ifvar(name)}") or sh.get("modules") or "").split()
    dhcpcd = "dhcpcd" in modules or (
        "dhclient" not in modules
        and "!dhcpcd" not in modules
        and any(host.path(d).joinpath("dhcpcd").exists() for d in ("/sbin", "/usr/sbin"))
    )
    if dhcpcd:
        # One dhcpcd serves both families (netifrc's "dhcp" is IPv4's; v6 comes with it).
        pid = host.path(f"/run/dhcpcd/{name}.pid")
        return [DhcpClient(Family.IPV4, pid, ["dhcpcd", "-b", name], ["dhcpcd", "-x", name])]
    pid = host.path(f"/run/dhclient-{name}.pid")
    return [
        DhcpClient(
            Family.IPV4,
            pid,
            ["dhclient", "-q", "-1", "-pf", str(pid), "-nw", name],
            ["dhclient", "-x", "-pf", str(pid), name],
        )
    ]
