"""systemd-networkd: ``.netdev`` and ``.network`` files under ``/etc/systemd/network``.

A virtual device (bond, bridge, VLAN) is a ``.netdev`` (``[NetDev] Name=``/``Kind=``); every
device's configuration is a ``.network`` whose ``[Match] Name=`` names it.  Rendering edits
the files that already define an interface — the first in lexical order, as networkd picks
them; one found under /run or /lib is copied to /etc under the same name, which shadows it —
and creates ``10-ifsmith-<name>.network``/``.netdev`` otherwise.  Every setting ifsmith does
not model, every comment and every unknown section stays.  A VLAN is attached by its
parent's ``VLAN=`` list, so the parent's ``.network`` is edited (or created bare) too.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TypeVar

from ifsmith.backends import ReadResult, networkd_dhcpid
from ifsmith.backends import bridge_vlans as bv
from ifsmith.backends import networkd_bridgevlan as nv
from ifsmith.backends import networkd_options as no
from ifsmith.backends import networkd_routes as nr
from ifsmith.backends.systemd_ini import Line, Section, UnitFile, UnitView, check_token
from ifsmith.core.checks import mac_problem, name_problem
from ifsmith.core.files import FileView, HostFiles, Rendering, RenderWarning, UnsafeValue
from ifsmith.core.host import Host
from ifsmith.core.model import (
    PRIMARY_MODES,
    ArpMon,
    ArpValidate,
    Bond,
    BondMode,
    Bridge,
    Carrier,
    Dns,
    Family,
    FlatInterface,
    IfType,
    Interface,
    IpAddress,
    LacpRate,
    LiveHost,
    MiiMon,
    Protocol,
    Route,
    StartMode,
    Vlan,
    XmitHashPolicy,
    flatten,
)
from ifsmith.core.names import PLAIN_NAME
from ifsmith.core.options import PVID_NONE, BondOptions, BridgeOptions, PortOptions, parse_vlans

NAME = "networkd"
CARRIES = frozenset({"routes", "dns", "bond-options", "bridge-options", "bridge-vlans"})
WRITES_DHCP_IDENTITY = True  # [DHCPv4] ClientIdentifier= / IAID=
DIRECTORY = PurePosixPath("/etc/systemd/network")
# networkd's search path, highest priority first: a name in /etc shadows the same name below.
SEARCH_PATH = (
    DIRECTORY,
    PurePosixPath("/run/systemd/network"),
    PurePosixPath("/usr/local/lib/systemd/network"),
    PurePosixPath("/usr/lib/systemd/network"),
    PurePosixPath("/lib/systemd/network"),
)
PREFIX = "10-ifsmith-"
LABEL = re.compile(r"^#\s*ifsmith-label:\s*(\".*\")\s*$")
_KINDS = {"bond": IfType.BOND, "bridge": IfType.BRIDGE, "vlan": IfType.VLAN}
# [Match] keys that test the host, not the link (systemd.network(5)): such a file is a
# default for some hosts (containers, VMs), not this host's definition of the name.
_HOST_CONDITIONS = (
    "Host", "Virtualization", "KernelCommandLine", "KernelVersion", "Credential",
    "Architecture", "Firmware",
)  # fmt: skip
# What makes a [Match] Name= word a pattern: fnmatch's globs and escapes, a leading "!".
_GLOB = re.compile(r"[*?\[\]\\]|^!")
_TIME_UNITS = {
    "us": 1e-6,
    "usec": 1e-6,
    "ms": 1e-3,
    "msec": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}
_TRUE = ("1", "yes", "y", "true", "t", "on")
_FALSE = ("0", "no", "n", "false", "f", "off")

log = logging.getLogger(__name__)


def parse_bool(text: str | None) -> bool | None:
    """systemd's boolean (``1/yes/true/on``, ``0/no/false/off``), None when absent or neither."""
    if text is None:
        return None
    low = text.strip().lower()
    return True if low in _TRUE else False if low in _FALSE else None


def parse_timespan(text: str, default_unit: float = 1.0) -> float:
    """A systemd time span (``100ms``, ``1min 30s``, a bare number in ``default_unit``) in s."""
    total = 0.0
    parts = re.findall(r"([0-9]+(?:\.[0-9]*)?)\s*([a-z]*)", text.strip().lower())
    if not parts or re.sub(r"[0-9.\sa-z]", "", text.lower()):
        raise ValueError(text)
    for number, unit in parts:
        if unit and unit not in _TIME_UNITS:
            raise ValueError(text)
        total += float(number) * (_TIME_UNITS[unit] if unit else default_unit)
    return total


def parse_bytes(text: str) -> int:
    """``MTUBytes=``: a number with an optional K/M/G suffix (base 1024)."""
    m = re.fullmatch(r"\s*([0-9]+)\s*([KMG]?)\s*", text)
    if not m:
        raise ValueError(text)
    return int(m.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2)]


# ---------------------------------------------------------------------------------------
# Loading the files.


@dataclass
class Unit:
    """One effective ``.network``/``.netdev``: its main file (edited) and drop-ins (read)."""

    path: PurePosixPath
    view: UnitView  # what systemd reads: the main file with its drop-ins
    dropins: list[UnitFile] = field(default_factory=list)
    data: bytes = b""  # the main file's bytes, parsed only when it is edited
    parsed: UnitFile | None = None

    @property
    def unit(self) -> UnitFile:
        """The main file, to edit."""
        if self.parsed is None:
            self.parsed = UnitFile.parse(self.data, str(self.path))
        return self.parsed

    @property
    def match_name(self) -> str | None:
        """The one literal ``[Match] Name=`` of a .network (None for globs or several, and
        for a file networkd applies only under a condition of the host, such as systemd's
        own 80-container-host0.network: it is not what this host defines for the name)."""
        if self.conditions:
            return None
        names = self.view.get_list("Match", "Name")
        if len(names) == 1 and not _GLOB.search(names[0]):
            return names[0]
        return None

    @property
    def conditions(self) -> list[str]:
        """The ``[Match]`` keys about the host rather than the link (Virtualization=, …)."""
        keys = self.view.keys("Match")
        return [k for k in _HOST_CONDITIONS if k in keys]

    @property
    def netdev_name(self) -> str | None:
        return self.view.get("NetDev", "Name")


@dataclass
class Config:
    networks: list[Unit] = field(default_factory=list)
    netdevs: list[Unit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def network_for(self) -> dict[str, Unit]:
        """Interface name → the first .network (lexical order) that names exactly it."""
        out: dict[str, Unit] = {}
        for u in self.networks:
            name = u.match_name
            if name is not None and name not in out:
                out[name] = u
        return out

    def netdev_for(self) -> dict[str, Unit]:
        out: dict[str, Unit] = {}
        for u in self.netdevs:
            name = u.netdev_name
            if name is not None and name not in out:
                out[name] = u
        return out


def load(existing: FileView) -> Config:
    """Every effective .network and .netdev with its drop-ins merged, in lexical order."""
    config = Config()
    mains: dict[str, PurePosixPath] = {}
    dropins: dict[str, dict[str, PurePosixPath]] = {}
    for directory in SEARCH_PATH:
        for fname in existing.listdir(directory):
            if fname.startswith("."):
                continue
            if fname.endswith((".network", ".netdev")):
                mains.setdefault(fname, directory / fname)
            elif fname.endswith((".network.d", ".netdev.d")):
                for conf in existing.listdir(directory / fname):
                    if conf.endswith(".conf"):
                        found = dropins.setdefault(fname[:-2], {})
                        found.setdefault(conf, directory / fname / conf)
    for fname in sorted(mains):
        path = mains[fname]
        data = existing.read(path)
        if data is None:
            continue
        extra = []
        for conf in sorted(dropins.get(fname, {})):
            dpath = dropins[fname][conf]
            ddata = existing.read(dpath)
            if ddata is not None:
                extra.append(UnitFile.parse(ddata, str(dpath)))
        view = UnitView.parse(data, str(path), extra)
        config.problems += view.problems
        (config.networks if fname.endswith(".network") else config.netdevs).append(
            Unit(path, view, extra, data)
        )
    return config


# ---------------------------------------------------------------------------------------
# Reading.


def read_files(existing: FileView) -> list[Interface]:
    """What the files say, as top-level interfaces; problems are logged as warnings."""
    return read_report(existing).logged(log)


def read(host: Host) -> list[Interface]:
    """What the host's networkd files say."""
    return read_files(HostFiles(host))


def read_report(existing: FileView) -> ReadResult:
    """The interfaces the files define and what was skipped, with reasons."""
    config = load(existing)
    return interfaces_of(config, list(config.problems))


@dataclass
class _Read:
    iface: Interface
    master: str | None = None
    primary: bool = False
    vlans: list[str] = field(default_factory=list)
    default_pvid: int | None = None  # a VLAN-filtering bridge's [Bridge] DefaultPVID=


def interfaces_of(config: Config, problems: list[str]) -> ReadResult:
    """Units → interfaces nested like the XML (ports inside their master)."""
    netdevs = config.netdev_for()
    networks = config.network_for()
    records: dict[str, _Read] = {}
    for u in config.networks:
        if u.conditions:
            problems.append(
                f"{u.path}: [Match] holds only under {', '.join(c + '=' for c in u.conditions)};"
                " not read as an interface definition"
            )
        elif u.match_name is None:
            problems.append(
                f"{u.path}: [Match] is not one literal Name=; not an interface definition"
            )
    for name in list(netdevs) + [n for n in networks if n not in netdevs]:
        rec = _record(name, netdevs.get(name), networks.get(name), problems)
        if rec is not None:
            records[name] = rec
    parents = {v: n for n, r in records.items() for v in r.vlans}
    children: dict[str, list[str]] = {}
    for name, rec in records.items():
        if rec.iface.vlan is not None:
            parent = parents.get(name)
            if parent is None:
                problems.append(f"{name}: no .network lists it in VLAN=; its parent is unknown")
            rec.iface = replace(rec.iface, vlan=replace(rec.iface.vlan, parent=parent))
        if rec.master is None:
            continue
        master = records.get(rec.master)
        if master is None or master.iface.type not in (IfType.BOND, IfType.BRIDGE):
            problems.append(f"{name}: master {rec.master} is not a configured bond or bridge")
            rec.master = None
            continue
        children.setdefault(rec.master, []).append(name)

    def nest(name: str, top: bool, seen: frozenset[str]) -> Interface:
        rec = records[name]
        iface = rec.iface
        subs = tuple(nest(s, False, seen | {name}) for s in children.get(name, ()) if s not in seen)
        if iface.bond is not None:
            primary = next((s for s in children.get(name, ()) if records[s].primary), None)
            mode = iface.bond.mode
            if subs and primary == subs[0].name and mode in PRIMARY_MODES:
                primary = None  # libvirt's rule: the first slave
            iface = replace(iface, bond=replace(iface.bond, slaves=subs, primary_slave=primary))
        elif iface.bridge is not None:
            subs = bv.with_pvids(subs, rec.default_pvid)  # as the bridge's default says
            iface = replace(iface, bridge=replace(iface.bridge, ports=subs))
        if not top and (as_port(iface).protocols or iface.dns or nr.wanted_routes(iface.protocols)):
            problems.append(f"{name}: IP settings of a port are not modelled; kept as written")
        return iface if top else replace(iface, start_mode=None, protocols=(), dns=None)

    tops = [n for n, r in records.items() if r.master is None]
    return ReadResult([nest(n, True, frozenset()) for n in tops], problems)


def _label(units: Iterable[Unit | None], problems: list[str]) -> str | None:
    for u in units:
        if u is None:
            continue
        for text in u.view.preamble:
            m = LABEL.match(text.strip())
            if m:
                try:
                    value = json.loads(m.group(1))
                except ValueError:
                    problems.append(f"{u.path}: unreadable label comment ignored")
                    continue
                if isinstance(value, str):
                    return value
    return None


def _record(
    name: str, netdev: Unit | None, network: Unit | None, problems: list[str]
) -> _Read | None:
    iftype = IfType.ETHERNET
    bond = bridge = vlan = None
    mtu: int | None = None
    mac: str | None = None
    default_pvid = None
    if netdev is not None:
        nd = netdev.view
        kind = nd.get("NetDev", "Kind") or ""
        if kind in _KINDS:
            iftype = _KINDS[kind]
        else:
            problems.append(f"{netdev.path}: {name}: Kind={kind} is not modelled; read as ethernet")
        mtu = _num(netdev, "NetDev", "MTUBytes", parse_bytes, problems)
        mac = nd.get("NetDev", "MACAddress")
        if iftype == IfType.BOND:
            bond = _bond(netdev, problems)
        elif iftype == IfType.BRIDGE:
            delay = _num(netdev, "Bridge", "ForwardDelaySec", parse_timespan, problems)
            options = no.read(nd.get, BridgeOptions, str(netdev.path), problems, parse_timespan)
            bridge = Bridge(stp=parse_bool(nd.get("Bridge", "STP")), delay=delay, options=options)
            if options.vlan_filtering:
                default_pvid = nv.default_pvid(nd, str(netdev.path), problems)
        elif iftype == IfType.VLAN:
            tag = _num(netdev, "VLAN", "Id", int, problems)
            if tag is None:
                problems.append(f"{netdev.path}: VLAN {name} without Id=; skipped")
                return None
            vlan = Vlan(tag, reorder_hdr=parse_bool(nd.get("VLAN", "ReorderHeader")))
    rec = _Read(Interface(iftype, name), default_pvid=default_pvid)
    start = StartMode.ONBOOT
    protocols: tuple[Protocol, ...] = ()
    dns = None
    port_options = PortOptions()
    if network is not None:
        nw = network.view
        mtu = _num(network, "Link", "MTUBytes", parse_bytes, problems) or mtu
        mac = nw.get("Link", "MACAddress") or mac
        policy = (nw.get("Link", "ActivationPolicy") or "").strip()
        if policy in ("manual", "down", "always-down"):
            start = StartMode.NONE
        elif parse_bool(nw.get("Link", "RequiredForOnline")) is False:
            start = StartMode.HOTPLUG
        rec.master = nw.get("Network", "Bond") or nw.get("Network", "Bridge") or None
        rec.primary = parse_bool(nw.get("Network", "PrimarySlave")) is True
        rec.vlans = nw.get_list("Network", "VLAN")
        protocols = _protocols(network, problems)
        dns = nr.read_dns(network.view, str(network.path), problems)
        if nw.get("Network", "Bridge"):
            port_options = no.read(nw.get, PortOptions, str(network.path), problems, parse_timespan)
    if mac is not None and mac_problem(mac) is not None:
        problems.append(f"{name}: MACAddress={mac} not understood; ignored")
        mac = None
    if network is not None:  # [BridgeVLAN]: a port's VLANs, or a bridge's own
        where = str(network.path)
        if network.view.get("Network", "Bridge"):
            port_options = nv.read_port(network.view, port_options, where, problems)
        elif bridge is not None:
            bridge = nv.read_bridge(network.view, bridge, default_pvid, where, problems)
    rec.iface = Interface(
        iftype,
        name,
        start_mode=start,
        mtu=mtu,
        mac=mac.lower() if mac else None,
        protocols=protocols,
        bond=bond,
        bridge=bridge,
        vlan=vlan,
        label=_label((network, netdev), problems),
        dns=dns,
        port_options=port_options,
    )
    return rec


_T = TypeVar("_T")


def _num(
    u: Unit, section: str, key: str, kind: Callable[[str], _T], problems: list[str]
) -> _T | None:
    text = u.view.get(section, key)
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        problems.append(f"{u.path}: [{section}] {key}={text} not understood; ignored")
        return None


def _enum(u: Unit, key: str, kind: Callable[[str], _T], problems: list[str]) -> _T | None:
    return _num(u, "Bond", key, kind, problems)


def _ms(text: str) -> int:
    return round(parse_timespan(text) * 1000)


def _bond(u: Unit, problems: list[str]) -> Bond:
    miimon = arpmon = None
    freq = _num(u, "Bond", "MIIMonitorSec", _ms, problems)
    if freq:
        miimon = MiiMon(
            freq,
            downdelay=_num(u, "Bond", "DownDelaySec", _ms, problems) or 0,
            updelay=_num(u, "Bond", "UpDelaySec", _ms, problems) or 0,
        )
    interval = _num(u, "Bond", "ARPIntervalSec", _ms, problems)
    if interval:
        arpmon = ArpMon(
            interval,
            tuple(u.view.get_list("Bond", "ARPIPTargets")),
            _enum(u, "ARPValidate", ArpValidate, problems),
        )
    return Bond(
        mode=_enum(u, "Mode", BondMode.parse, problems) or BondMode.BALANCE_RR,
        miimon=miimon,
        arpmon=arpmon,
        xmit_hash_policy=_enum(u, "TransmitHashPolicy", XmitHashPolicy, problems),
        lacp_rate=_enum(u, "LACPTransmitRate", LacpRate, problems),
        options=no.read(u.view.get, BondOptions, str(u.path), problems, parse_timespan),
    )


def _address(text: str) -> IpAddress | None:
    """``Address=``: an address with a prefix; None for pools (0.0.0.0/n) and garbage."""
    addr, _, plen = text.strip().partition("/")
    try:
        ip = ipaddress.ip_address(addr)
        if plen:
            prefix = int(plen)
            if not 0 <= prefix <= ip.max_prefixlen:  # (what ip_network would refuse)
                return None
        elif ip.version == 6:
            prefix = 128
        else:  # networkd assumes the classful prefix, with a warning
            first = int(ip) >> 24
            prefix = 8 if first < 128 else 16 if first < 192 else 24 if first < 224 else 32
    except ValueError:
        return None
    if ip.is_unspecified:
        return None
    return IpAddress(str(ip), prefix)


def _default_gateways(u: Unit) -> list[str]:
    """Gateways of ``[Route]`` sections that are default routes (no or a default Destination)."""
    out = []
    for s in u.view.named("Route"):
        gw = next(iter(s.values("Gateway")[-1:]), None)
        dest = next(iter(s.values("Destination")[-1:]), "")
        if gw and dest in ("", "0.0.0.0/0", "::/0", "default"):
            out.append(gw)
    return out


def _protocols(u: Unit, problems: list[str]) -> tuple[Protocol, ...]:
    nw = u.view
    dhcp = (nw.get("Network", "DHCP") or "no").strip().lower()
    dhcp4 = dhcp in ("yes", "ipv4", "both", "v4", "true", "1", "on")
    dhcp6 = dhcp in ("yes", "ipv6", "both", "v6", "true", "1", "on")
    addresses: list[IpAddress] = []
    texts = nw.get_list("Network", "Address")
    for s in nw.named("Address"):
        if s.values("Peer") and any(_address(p) is None for p in s.values("Peer")):
            problems.append(f"{u.path}: [Address] with an invalid Peer= ignored")
            continue
        texts += s.values("Address")[-1:]
    for text in texts:
        address = _address(text)
        if address is None:
            problems.append(f"{u.path}: Address={text} is not a static address; ignored")
        elif address not in addresses:
            addresses.append(address)
    gateways = [g for g in nw.get_list("Network", "Gateway") + _default_gateways(u)]
    ll = (nw.get("Network", "LinkLocalAddressing") or "ipv6").strip().lower()
    ll6 = ll in ("ipv6", "yes", "true", "1", "on", "fallback")
    if ll in ("ipv4", "yes", "true", "1", "on", "fallback", "ipv4-fallback"):
        problems.append(f"{u.path}: IPv4 link-local addressing is not modelled")
    ra = parse_bool(nw.get("Network", "IPv6AcceptRA"))
    out: list[Protocol] = []
    for family in (Family.IPV4, Family.IPV6):
        version = 4 if family == Family.IPV4 else 6
        mine = tuple(a for a in addresses if (6 if ":" in a.address else 4) == version)
        gws = []
        for g in gateways:
            try:
                if ipaddress.ip_address(g).version == version:
                    gws.append(str(ipaddress.ip_address(g)))
            except ValueError:
                if not g.startswith("_"):
                    problems.append(f"{u.path}: Gateway={g} is not an address; ignored")
        on_dhcp = dhcp4 if version == 4 else dhcp6
        section = "DHCPv4" if version == 4 else "DHCPv6"
        usedns = parse_bool(nw.get(section, "UseDNS"))
        if usedns is None and version == 4:
            usedns = parse_bool(nw.get("DHCP", "UseDNS"))
        if not on_dhcp:
            usedns = None  # without DHCP it says nothing (nor can the XML say it)
        autoconf = version == 6 and (ra is True or (ra is None and ll6))
        present = on_dhcp or mine or gws or (version == 6 and (ll6 or autoconf))
        if not present:
            continue
        cid, iaid = (None, None)
        if on_dhcp and version == 4:
            cid, iaid = networkd_dhcpid.read_identity(nw, str(u.path), problems)
        out.append(
            Protocol(
                family,
                dhcp=on_dhcp,
                peerdns=usedns,
                autoconf=autoconf,
                addresses=mine,
                gateway=gws[0] if gws else None,
                client_id=cid,
                iaid=iaid,
            )
        )
    routes = nr.read_routes(nw, str(u.path), problems)
    return tuple(nr.with_routes(out, routes))


# ---------------------------------------------------------------------------------------
# Rendering.


def _name(owner: str, what: str, value: str) -> str:
    problem = name_problem(value) or networkd_name_problem(value)
    if problem is not None:
        raise UnsafeValue(f"{owner}: {what} {value!r}: {problem}")
    return check_token(owner, what, value)


def networkd_name_problem(name: str) -> str | None:
    """Why networkd would ignore or misread a name the kernel takes, or None.

    systemd's ``ifname_valid_full`` ignores names with non-ASCII, ``%`` or only digits and
    the names "all"/"default"; in ``[Match] Name=`` a glob, an escape or a leading "!"
    would turn the name into a pattern matching other interfaces.
    """
    if PLAIN_NAME.fullmatch(name) and not name.isdigit() and name not in ("all", "default"):
        return None  # no glob, escape, "!", "%" or non-ASCII character: the common case
    if any(not 32 < ord(ch) < 127 for ch in name):
        return "networkd accepts only ASCII letters, digits and punctuation in a name"
    if "%" in name:
        return "networkd refuses '%' in a name"
    if name.isdigit():
        return "networkd refuses all-digit names (they read as an interface index)"
    if name in ("all", "default"):
        return f"networkd refuses '{name}' (a /proc/sys/net/*/conf directory)"
    if _GLOB.search(name):
        return "in networkd's [Match] Name= it would be a pattern matching other interfaces"
    return None


def _ip(owner: str, what: str, value: str) -> str:
    try:
        text = str(ipaddress.ip_address(value))
    except ValueError:
        raise UnsafeValue(f"{owner}: {what} {value!r} is not an IP address") from None
    # Python accepts any IPv6 scope id ("fe80::1%<anything>"), newlines included.
    return check_token(owner, what, text)


def _mac(owner: str, value: str) -> str:
    problem = mac_problem(value)
    if problem is not None:
        raise UnsafeValue(f"{owner}: {problem}")
    return value.lower()


def _ms_text(ms: int) -> str:
    return f"{int(ms)}ms"


def seconds_text(value: float) -> str:
    """A float of seconds without a needless ``.0`` (``15``, ``2.5``)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


Settings = dict[tuple[str, str], list[str]]  # (section, key) → lines' values; [] = remove


def netdev_settings(iface: Interface, warn: Callable[[str], None]) -> Settings:
    """The ``.netdev`` of a virtual device, setting by setting."""
    name = iface.name
    s: Settings = {
        ("NetDev", "Name"): [name],
        ("NetDev", "Kind"): [iface.type.value],
        ("NetDev", "MTUBytes"): [str(int(iface.mtu))] if iface.mtu is not None else [],
        ("NetDev", "MACAddress"): [_mac(name, iface.mac)] if iface.mac else [],
    }
    if iface.bond is not None:
        s.update(bond_settings(name, iface.bond, warn))
    if iface.bridge is not None:
        br = iface.bridge
        s[("Bridge", "STP")] = [] if br.stp is None else ["yes" if br.stp else "no"]
        s[("Bridge", "ForwardDelaySec")] = [] if br.delay is None else [seconds_text(br.delay)]
        s.update(no.settings(br.options))
        if br.options.vlan_filtering:  # an admin's DefaultPVID= of a bridge not filtering stays
            none = bv.default_pvid(br, additive=True) == PVID_NONE
            s[("Bridge", "DefaultPVID")] = ["none"] if none else []
    if iface.vlan is not None:
        v = iface.vlan
        s[("VLAN", "Id")] = [str(int(v.tag))]
        s[("VLAN", "ReorderHeader")] = [] if v.reorder_hdr is None else [_yes(v.reorder_hdr)]
    return s


def _yes(value: bool) -> str:
    return "yes" if value else "no"


_BOND_KEYS = (
    "Mode",
    "MIIMonitorSec",
    "UpDelaySec",
    "DownDelaySec",
    "ARPIntervalSec",
    "ARPIPTargets",
    "ARPValidate",
    "TransmitHashPolicy",
    "LACPTransmitRate",
)


def bond_settings(name: str, bond: Bond, warn: Callable[[str], None]) -> Settings:
    """``[Bond]`` of a bond's .netdev (the primary is a port's ``PrimarySlave=``)."""
    s: Settings = {("Bond", k): [] for k in _BOND_KEYS}
    s[("Bond", "Mode")] = [(bond.mode or BondMode.BALANCE_RR).value]
    if bond.miimon is not None:
        mii = bond.miimon
        s[("Bond", "MIIMonitorSec")] = [_ms_text(mii.freq)]
        s[("Bond", "UpDelaySec")] = [_ms_text(mii.updelay)] if mii.updelay else []
        s[("Bond", "DownDelaySec")] = [_ms_text(mii.downdelay)] if mii.downdelay else []
        if mii.carrier == Carrier.IOCTL:
            warn("networkd has no use_carrier setting; the kernel's netif carrier is used")
    if bond.arpmon is not None:
        arp = bond.arpmon
        s[("Bond", "ARPIntervalSec")] = [_ms_text(arp.interval)]
        if arp.targets:
            targets = " ".join(_ip(name, "ARP target", t) for t in arp.targets)
            s[("Bond", "ARPIPTargets")] = [targets]
        if arp.validate is not None:
            s[("Bond", "ARPValidate")] = [arp.validate.value]
    if bond.xmit_hash_policy is not None:
        s[("Bond", "TransmitHashPolicy")] = [bond.xmit_hash_policy.value]
    if bond.lacp_rate is not None:
        s[("Bond", "LACPTransmitRate")] = [bond.lacp_rate.value]
    s.update(no.settings(bond.options))
    return s


def network_settings(fi: FlatInterface, primary: bool, warn: Callable[[str], None]) -> Settings:
    """The ``.network`` of one device, setting by setting (VLAN= lists are added apart)."""
    iface = fi.interface
    name = iface.name
    s: Settings = {
        # A port's own MTU only: the bond driver gives its slaves the bond's MTU anyway.
        ("Link", "MTUBytes"): [str(int(iface.mtu))] if iface.mtu is not None else [],
        ("Link", "MACAddress"): [_mac(name, iface.mac)] if iface.mac else [],
        ("Link", "ActivationPolicy"): [],
        ("Link", "RequiredForOnline"): [],
        ("Network", "Bond"): [],
        ("Network", "Bridge"): [],
        ("Network", "PrimarySlave"): [],
        ("Network", "DHCP"): [],
        ("Network", "Address"): [],
        ("Network", "Gateway"): [],
        ("Network", "IPv6AcceptRA"): [],
        ("DHCP", "UseDNS"): [],
        ("DHCPv4", "UseDNS"): [],
        ("DHCPv6", "UseDNS"): [],
        **{key: [] for key in networkd_dhcpid.KEYS},
    }
    if fi.start_mode == StartMode.NONE:
        s[("Link", "ActivationPolicy")] = ["manual"]
        s[("Link", "RequiredForOnline")] = ["no"]  # a link left down must not hold up boot
    elif fi.start_mode == StartMode.HOTPLUG:
        s[("Link", "RequiredForOnline")] = ["no"]
    if fi.master is not None:
        key = "Bond" if fi.master_type == IfType.BOND else "Bridge"
        s[("Network", key)] = [_name(name, "master", fi.master)]
        s[("Network", "PrimarySlave")] = ["yes"] if primary else []
        s[("Network", "LinkLocalAddressing")] = ["no"]
        if fi.master_type == IfType.BRIDGE:
            s.update(no.settings(iface.port_options))
        return s
    v4, v6 = iface.ipv4, iface.ipv6
    dhcp4 = v4 is not None and v4.dhcp
    dhcp6 = v6 is not None and v6.dhcp
    if dhcp4 or dhcp6:
        s[("Network", "DHCP")] = ["yes" if dhcp4 and dhcp6 else "ipv4" if dhcp4 else "ipv6"]
    s[("Network", "LinkLocalAddressing")] = ["ipv6" if v6 is not None else "no"]
    for proto in (v4, v6):
        if proto is None:
            continue
        for a in proto.addresses:
            text = _ip(name, "address", a.address)
            if a.prefix is None:
                warn(f"address {a.address} has no prefix; networkd assumes one")
            s[("Network", "Address")].append(text if a.prefix is None else f"{text}/{a.prefix}")
        if proto.gateway:
            s[("Network", "Gateway")].append(_ip(name, "gateway", proto.gateway))
        if proto.peerdns is not None:
            section = "DHCPv4" if proto.family == Family.IPV4 else "DHCPv6"
            s[(section, "UseDNS")] = [_yes(proto.peerdns)]
        if proto.dhcp and proto.family == Family.IPV4:
            s.update(
                networkd_dhcpid.identity_settings(proto.client_id, proto.iaid, iface.mac, warn)
            )
    if v6 is not None:
        s[("Network", "IPv6AcceptRA")] = [_yes(v6.autoconf)]
    dns = iface.dns or Dns()
    s[("Network", "DNS")] = [_ip(name, "DNS server", a) for a in dns.servers]
    s[("Network", "Domains")] = [check_token(name, "search domain", d) for d in dns.search]
    return s


# Settings that are lists of one value per line: edited line by line.
_LISTS: dict[tuple[str, str], Callable[[str], object]] = {
    ("Network", "Address"): lambda v: _address(v) or v,
    ("Network", "Gateway"): lambda v: _canonical_ip(v),
    ("Network", "DNS"): nr.canonical_dns,
    ("Network", "Domains"): lambda v: tuple(d.rstrip(".") for d in v.split()),
}


def _canonical_ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return text


def apply_settings(uf: UnitFile, settings: Settings) -> None:
    """Set our settings in a unit file; empty lists remove the key; sections emptied go."""
    if not uf.sections and not uf.preamble:
        _fill_new(uf, settings)
        return
    present = {(s.name, ln.key) for s in uf.sections for ln in s.lines if ln.key is not None}
    holding = [s for s in uf.sections if any(ln.key is not None for ln in s.lines)]
    for (section, key), values in settings.items():
        if (section, key) in _LISTS:
            uf.set_each(section, key, values, _LISTS[(section, key)])
        elif values or (section, key) in present:  # most settings remove an absent key
            uf.set_all(section, key, values)
    uf.drop_empty({sec for sec, _k in settings}, only=holding)


def _fill_new(uf: UnitFile, settings: Settings) -> None:
    """``apply_settings`` on an empty file, without searching it for each key: the same
    lines in the same places (a section where its first key comes, each key's lines where
    set_all would put them), at a fraction of the cost for thousands of new files."""
    sections: dict[str, Section] = {}
    for (section, key), values in settings.items():
        if not values:
            continue
        target = sections.get(section)
        if target is None:
            target = sections[section] = uf.add_section(section)
        at = len(target.lines)
        while at > 0 and not target.lines[at - 1].text.strip():
            at -= 1
        target.lines[at:at] = [Line(f"{key}={v}\n", key, f"{v}\n".strip()) for v in values]


Reading = Callable[[UnitFile], object]


def apply_keeping(
    uf: UnitFile,
    settings: Settings,
    reading: Reading | None,
    forced: frozenset[tuple[str, str]] = frozenset(),
) -> None:
    """Set our settings, but leave a setting as the file has it where the file then reads
    the same: ``DHCP=true`` for ``yes``, ``1s`` for ``1000ms``, a default left unwritten,
    an admin's ``RequiredForOnline=routable``.  The definition is the truth; only what
    reads differently is changed.  ``reading`` is None for a new file; ``forced`` settings
    are written whatever the reading says."""
    if reading is None:
        apply_settings(uf, settings)
        return
    original = uf.copy()
    target_file = original.copy()
    apply_settings(target_file, settings)
    changed = [key for key in settings
               if key not in forced and _lines_of(original, key) != _lines_of(target_file, key)]
    if not changed:  # no line of ours differs: the edit is the whole answer (and cheap)
        uf.preamble, uf.sections = target_file.preamble, target_file.sections
        return
    target = reading(target_file)
    kept: set[tuple[str, str]] = set()
    for key in changed:
        trial = original.copy()
        apply_settings(trial, {k: v for k, v in settings.items() if k not in kept and k != key})
        if reading(trial) == target:
            kept.add(key)
    apply_settings(uf, {k: v for k, v in settings.items() if k not in kept})


def _lines_of(uf: UnitFile, key: tuple[str, str]) -> list[str]:
    return [ln.text for s in uf.named(key[0]) for ln in s.lines if ln.key == key[1]]


def _owned_sections(
    uf: UnitFile, settings: Settings, routes: list[Route], warn: Callable[[str], None]
) -> None:
    """Keep ``[Address]``/``[Route]`` sections that say what we say; drop the ones that differ.

    A kept section is left as the admin wrote it (``Label=``, ``Metric=`` stay) and our own
    line for it is left out.  A dropped one with settings beyond the address or gateway is
    named in a warning; sections ifsmith does not model (other routes, pools) stay.  The
    static routes found in the file are taken off ``routes``: what is left is to be added.
    """
    addresses = settings[("Network", "Address")]
    gateways = settings[("Network", "Gateway")]
    keep: list[Section] = []
    for sec in uf.sections:
        if sec.name == "Route" and not nr.keep_route_section(sec, routes, warn):
            nr.carry_comments(sec, keep, uf)
            continue
        if sec.name == "Address":
            value = next(iter(sec.values("Address")[-1:]), "")
            address = _address(value)
            extra = sorted(set(sec.keys()) - {"Address"})
            if address is None or str(address) in addresses:
                if address is not None:
                    addresses.remove(str(address))
                keep.append(sec)
            elif extra:
                warn(f"[Address] {value} with {extra} removed")
            continue
        gw = _default_gateway(sec)
        if gw is not None:
            extra = sorted(set(sec.keys()) - {"Gateway", "Destination"})
            if _canonical_ip(gw) in gateways:
                gateways.remove(_canonical_ip(gw))
                keep.append(sec)
            elif extra:
                warn(f"[Route] Gateway={gw} with {extra} removed")
            continue
        keep.append(sec)
    uf.sections = keep


def _default_gateway(sec: Section) -> str | None:
    """The gateway of a ``[Route]`` that is a default route (no or a default Destination)."""
    if sec.name != "Route":
        return None
    gw = next(iter(sec.values("Gateway")[-1:]), None)
    dest = next(iter(sec.values("Destination")[-1:]), "")
    return gw if gw and dest in ("", "0.0.0.0/0", "::/0", "default") else None


# [Network] lists that belong to an interface with addresses, not to a port.
_HANDED_OVER = ("DNS", "Domains")


def hand_over(
    port: UnitFile, master: UnitFile, master_name: str, warn: Callable[[str], None]
) -> None:
    """A port keeps no IP settings.  What the model holds of them (addresses, gateways,
    static routes, DNS) is the master's to say (see ``port_losses``); what it does not
    hold — a ``DNS=``/``Domains=`` entry or a ``[Route]`` ifsmith does not model — moves to
    the master's .network, unless the master routes that destination otherwise: then a
    warning names what went."""
    for key in _HANDED_OVER:
        if not any(k == key for s in port.named("Network") for k in s.keys()):
            continue
        mine = nr.unmodelled(port, key)
        port.remove("Network", key)
        theirs = master.get_list("Network", key)
        missing = [t for t in mine if t not in theirs]
        if missing:
            master.set_all("Network", key, [*_lines_of_key(master, key), " ".join(missing)])
    routes = [
        s
        for s in port.sections
        if s.name == "Route" and _default_gateway(s) is None and nr.section_route(s)[1]
    ]
    port.sections = [s for s in port.sections if s.name not in ("Address", "Route")]
    for sec in routes:
        dest = next(iter(sec.values("Destination")[-1:]), "")
        mine_lines = sorted(ln.text for ln in sec.lines if ln.key is not None)
        same_dest = [r for r in master.named("Route") if dest in r.values("Destination")]
        if any(
            sorted(ln.text for ln in r.lines if ln.key is not None) == mine_lines for r in same_dest
        ):
            continue  # the master has this very route
        if same_dest:
            text = " ".join(ln.text.strip() for ln in sec.lines if ln.key is not None)
            warn(f"[Route] {text} removed (a port has no routes); {master_name} routes {dest}")
            continue
        if (
            master.sections
            and master.sections[-1].lines
            and master.sections[-1].lines[-1].text.strip()
        ):
            master.sections[-1].lines.append(Line("\n"))
        master.sections.append(sec)


def _lines_of_key(uf: UnitFile, key: str) -> list[str]:
    return [ln.value for s in uf.named("Network") for ln in s.lines if ln.key == key]


def port_losses(
    was: tuple[Protocol, ...], master: Interface | None, warn: Callable[[str], None]
) -> None:
    """Name the addresses, gateways and DHCP a NIC loses by becoming a port that its master
    does not take over: the files said them, so they do not go silently."""
    theirs = {p.family: p for p in (master.protocols if master is not None else ())}
    for proto in was:
        other = theirs.get(proto.family) or Protocol(proto.family)
        lost = [f"address {a}" for a in proto.addresses if a not in other.addresses]
        if proto.gateway and other.gateway != proto.gateway:
            lost.append(f"gateway {proto.gateway}")
        if proto.dhcp and not other.dhcp:
            lost.append(f"{proto.family.value} DHCP")
        for what in lost:
            warn(f"{what} removed: a port has no IP settings, and its master does not take it")


@dataclass
class _Out:
    """Files being rendered: edited unit files by target path."""

    config: Config
    files: dict[PurePosixPath, UnitFile] = field(default_factory=dict)
    taken: set[str] | None = None  # file names in use, computed once
    patterns: list[Unit] | None = None  # .network files whose [Match] is not one literal Name=

    def network_name(self, name: str, warn: Callable[[str], None]) -> str:
        """A new .network's file name that networkd reaches before any file that may match.

        networkd applies the first .network (in file-name order) that matches a link, so a
        ``05-lan.network`` with ``Name=en*`` would hide ``10-ifsmith-eno1.network``.
        """
        fname = f"{PREFIX}{name}.network"
        before = self.shadowing(name, fname)
        if not before:
            return fname
        early = f"00-ifsmith-{name}.network"
        if all(early < b for b in before):
            return early
        warn(f"{before[0]} may match it and comes first: networkd would apply that file")
        return fname

    def shadowing(self, name: str, fname: str) -> list[str]:
        """Names of .network files before ``fname`` whose [Match] may take the link."""
        if self.patterns is None:
            self.patterns = [u for u in self.config.networks if u.match_name is None]
        return [u.path.name for u in self.patterns if u.path.name < fname and _may_match(u, name)]

    def unit(self, existing: Unit | None, fname: str) -> tuple[PurePosixPath, UnitFile, bool]:
        """The unit file to edit (copied to /etc when it lives elsewhere) and whether it is new."""
        if existing is None:
            path = DIRECTORY / fname
            if path in self.files:
                return path, self.files[path], False
            if self.taken is None:
                self.taken = {u.path.name for u in self.config.networks + self.config.netdevs}
            if fname in self.taken:
                raise UnsafeValue(f"{fname} exists but does not define this interface")
            uf = UnitFile()
            self.files[path] = uf
            return path, uf, True
        path = DIRECTORY / existing.path.name
        if path not in self.files:
            self.files[path] = existing.unit
        return path, self.files[path], False


def _warner(warnings: list[RenderWarning], name: str) -> Callable[[str], None]:
    """A function that records a warning about one interface."""

    def warn(message: str) -> None:
        warnings.append(RenderWarning(name, message, NAME))

    return warn


def _may_match(u: Unit, name: str) -> bool:
    """Could this .network apply to the link? Match keys other than Name= are not known
    before the link exists, so they count as matching."""
    from fnmatch import fnmatchcase

    patterns = u.view.get_list("Match", "Name")
    if not patterns:
        return True
    negated = patterns[0].startswith("!")
    if negated:
        patterns = [patterns[0][1:], *patterns[1:]]
    # systemd's fnmatch takes a backslash as an escape; fnmatchcase has none: close enough
    # for an ordering decision, which only ever errs towards the earlier name.
    hit = any(fnmatchcase(name, pat) for pat in patterns)
    return hit != negated


def _set_label(uf: UnitFile, label: str | None) -> None:
    uf.preamble = [ln for ln in uf.preamble if not LABEL.match(ln.text.strip())]
    if label is not None:
        # ASCII JSON keeps newlines, control and Unicode line separators inside one line.
        uf.preamble.insert(0, Line(f"# ifsmith-label: {json.dumps(label)}\n"))


def render(interfaces: Sequence[Interface], existing: FileView) -> Rendering:
    """A .netdev per virtual device and a .network per device, merged into existing files."""
    config = load(existing)
    networks = config.network_for()
    netdevs = config.netdev_for()
    out = _Out(config)
    warnings: list[RenderWarning] = []
    flat = flatten(list(interfaces))
    vlan_children: dict[str, list[str]] = {}
    for fi in flat:
        vlan = fi.interface.vlan
        if vlan is not None:
            if vlan.parent is None:
                raise UnsafeValue(f"{fi.name}: VLAN without a parent interface")
            parent = _name(fi.name, "VLAN parent", vlan.parent)
            vlan_children.setdefault(parent, []).append(fi.name)
    primaries = {i.bond.primary for top in interfaces for i, _m in top.walk() if i.bond is not None}
    masters = {i.name: i for top in interfaces for i, _m in top.walk()}
    implicit_primaries = {
        i.bond.slaves[0].name
        for i in masters.values()
        if i.bond is not None and i.bond.slaves and i.bond.primary_slave is None
    }
    rendered: dict[str, PurePosixPath] = {}
    for fi in flat:
        name = _name(fi.name, "interface name", fi.name)
        iface = fi.interface
        warn = _warner(warnings, name)
        found_nd = netdevs.get(name)
        netdev = found_nd  # an unmodelled kind (dummy) read as ethernet: read, not edited
        if iface.type != IfType.ETHERNET:
            nd_path, nd, _new = out.unit(found_nd, f"{PREFIX}{name}.netdev")
            for other in ("Bond", "Bridge", "VLAN"):
                if other.lower() != iface.type.value:
                    nd.sections = [s for s in nd.sections if s.name != other]
            reading = None if found_nd is None else _netdev_reading(name, found_nd)
            apply_keeping(nd, netdev_settings(iface, warn), reading)
            dropins = found_nd.dropins if found_nd is not None else []
            netdev = Unit(nd_path, UnitView.of(nd, dropins), dropins, parsed=nd)
        elif found_nd is not None:
            warn(f"{found_nd.path} makes it a virtual device; left in place")
        found = networks.get(name)
        fname = found.path.name if found else out.network_name(name, warn)
        if found is not None and (before := out.shadowing(name, fname)):
            warn(f"{before[0]} may match it and comes before {fname}: networkd applies that one")
        path, nw, new = out.unit(found, fname)
        if new:
            nw.set("Match", "Name", name)
        _set_label(nw, iface.label)
        port = fi.master is not None
        settings = network_settings(fi, port and name in primaries, warn)
        already = found is not None and port and fi.master in _masters_named(found)
        if already:  # its own IP settings the model cannot hold: as the files say
            for key in _PORT_OWN:
                del settings[key]
        if fi.master is None:
            for kind in ("Bond", "Bridge"):
                master = found.view.get("Network", kind) if found is not None else None
                if master and master not in netdevs:
                    del settings[("Network", kind)]  # not a configured master: not modelled
            routes = nr.wanted_routes(iface.protocols)
            for dropin in found.dropins if found is not None else []:
                for rs in nr.read_routes(UnitView.of(dropin), "", []).values():
                    routes = [r for r in routes if r not in rs]  # a drop-in's: it says them
            _owned_sections(nw, settings, routes, warn)
            for dns_key in ("DNS", "Domains"):
                values = settings[("Network", dns_key)]
                settings[("Network", dns_key)] = nr.dns_lines(None if new else nw, dns_key, values)
        elif found is not None and not already:  # a NIC becoming a port
            was = _protocols(found, [])
            port_losses(was, masters.get(fi.master), warn)
            top = masters.get(fi.master)
            theirs = (top.protocols, top.dns) if top is not None else ((), None)
            nr.losses(was, nr.read_dns(found.view, "", []), theirs, warn)
            hand_over(nw, out.files[rendered[fi.master]], fi.master, warn)
        if port and found is not None and fi.name in implicit_primaries:
            del settings[("Network", "PrimarySlave")]  # libvirt's first slave: as written
        reading = None if found is None else _network_reading(name, netdev, found, port)
        apply_keeping(nw, settings, reading, _PORT_FORCED if port else frozenset())
        _bridge_vlans(nw, iface, masters.get(fi.master) if fi.master is not None else None)
        if fi.master is None:
            nr.add_route_sections(nw, routes, name)
        if (
            new
            and found_nd is not None
            and name not in vlan_children
            and _says_nothing(name, netdev, path, nw)
        ):
            del out.files[path]  # a .netdev without a .network stays so
            continue
        rendered[name] = path
    for parent, vlans in vlan_children.items():
        existing_unit = networks.get(parent)
        if existing_unit is not None:
            fname = existing_unit.path.name
        elif parent in rendered:
            fname = rendered[parent].name
        else:
            fname = out.network_name(parent, _warner(warnings, parent))
        path, nw, new = out.unit(existing_unit, fname)
        if new:
            nw.set("Match", "Name", parent)
            nw.set("Network", "LinkLocalAddressing", "no")
            warnings.append(
                RenderWarning(parent, "not configured; a bare .network lists its VLANs", NAME)
            )
        dropins = existing_unit.dropins if existing_unit is not None else []
        # A set: 4,094 VLANs on one parent.  Drop-ins count: they may list them too.
        listed = set(UnitView.of(nw, dropins).get_list("Network", "VLAN"))
        missing = [v for v in vlans if v not in listed]
        if missing:  # added after the list as it stands, one line each
            nw.set_each("Network", "VLAN", [*_vlan_lines(nw), *missing])
    files = {path: uf.dumps() for path, uf in out.files.items()}
    changed = {p for p, data in files.items() if existing.read(p) != data}
    warnings += _dropin_warnings(config, rendered, changed)
    return Rendering(backend=NAME, files=files, warnings=tuple(warnings))


def _bridge_vlans(nw: UnitFile, iface: Interface, master: Interface | None) -> None:
    """A bridge port's ``[BridgeVLAN]`` sections, or a VLAN-filtering bridge's own; any
    other device's go."""
    text: str | None = None
    pvid = None
    if master is not None and master.bridge is not None:
        default = bv.default_pvid(master.bridge, additive=True)
        text, pvid = iface.port_options.vlans, bv.port_pvid(iface.port_options, default)
    elif iface.bridge is not None and iface.bridge.options.vlan_filtering:
        text = iface.bridge.options.vlans
        pvid = bv.self_pvid(bv.default_pvid(iface.bridge, additive=True))
    nv.apply(nw, parse_vlans(text) if text else (), pvid)


def _vlan_lines(uf: UnitFile) -> list[str]:
    return [ln.value for s in uf.named("Network") for ln in s.lines if ln.key == "VLAN"]


def _masters_named(u: Unit) -> set[str | None]:
    return {u.view.get("Network", "Bond"), u.view.get("Network", "Bridge")} - {None}


def _netdev_reading(name: str, u: Unit) -> Reading:
    """How a .netdev reads (with its drop-ins), for ``apply_keeping``."""

    def reading(uf: UnitFile) -> object:
        return _record(name, Unit(u.path, UnitView.of(uf, u.dropins), parsed=uf), None, [])

    return reading


def _says_nothing(name: str, netdev: Unit | None, path: PurePosixPath, nw: UnitFile) -> bool:
    """Does this new .network read as no .network at all (nothing to configure)?"""
    new = _record(name, netdev, Unit(path, UnitView.of(nw), parsed=nw), [])
    return new == _record(name, netdev, None, [])


def _network_reading(name: str, netdev: Unit | None, u: Unit, port: bool) -> Reading:
    """How a .network reads (with its drop-ins); a port reads as ``as_port`` says."""

    def reading(uf: UnitFile) -> object:
        rec = _record(name, netdev, Unit(u.path, UnitView.of(uf, u.dropins), parsed=uf), [])
        if rec is not None and port:
            rec.iface = as_port(rec.iface)
        return rec

    return reading


# What an existing port's .network says about its own IP (the model has none for a port).
_PORT_OWN = (
    ("Network", "LinkLocalAddressing"),
    ("Network", "DHCP"),
    ("Network", "Address"),
    ("Network", "Gateway"),
    ("Network", "IPv6AcceptRA"),
    ("DHCP", "UseDNS"),
    ("DHCPv4", "UseDNS"),
    ("DHCPv6", "UseDNS"),
    *networkd_dhcpid.KEYS,
)
# A new port's link-local addressing goes off even though the model has no IP for it.
# and its DHCP client's identity goes with DHCP= (to the master, through the model).
_PORT_FORCED = frozenset({("Network", "LinkLocalAddressing"), *networkd_dhcpid.KEYS})


def as_port(iface: Interface) -> Interface:
    """What of a port's own settings the model holds: no start mode (the top's rules), and
    of its IP settings only what must go (addresses, gateways, DHCP); how it treats router
    advertisements or link-local addresses is its own, left as the files say."""
    kept = tuple(
        Protocol(p.family, dhcp=p.dhcp, addresses=p.addresses, gateway=p.gateway)
        for p in iface.protocols
        if p.dhcp or p.addresses or p.gateway
    )
    return replace(iface, start_mode=None, protocols=kept, dns=None)


def _dropin_warnings(
    config: Config, rendered: dict[str, PurePosixPath], changed: set[PurePosixPath]
) -> list[RenderWarning]:
    """Drop-ins override the main file: say so for the files we changed."""
    out = []
    for u in config.networks + config.netdevs:
        name = u.match_name if u.path.suffix == ".network" else u.netdev_name
        if name in rendered and u.dropins and DIRECTORY / u.path.name in changed:
            message = f"drop-ins of {u.path.name} may override what ifsmith wrote"
            out.append(RenderWarning(name, message, NAME))
    return out


def undefine(names: Sequence[str], existing: FileView) -> Rendering:
    """Remove the files of these interfaces and of their subordinates (in /etc)."""
    config = load(existing)
    interfaces, _ = interfaces_of(config, [])
    doomed = set(names)
    for top in interfaces:
        for iface, _m in top.walk():
            if iface.name in names:
                doomed |= {i.name for i, _mm in iface.walk()}
    removed: set[PurePosixPath] = set()
    warnings: list[RenderWarning] = []
    found: set[str] = set()
    files: dict[PurePosixPath, bytes] = {}
    for mapping in (config.network_for(), config.netdev_for()):
        for name, u in mapping.items():
            if name not in doomed:
                continue
            found.add(name)
            if u.path.parent == DIRECTORY:
                removed.add(u.path)
            else:
                message = f"{u.path} is not under {DIRECTORY}; left in place"
                warnings.append(RenderWarning(name, message, NAME))
    for u in config.networks:  # parents stop listing removed VLANs
        vlans = u.unit.get_list("Network", "VLAN")
        if u.path not in removed and set(vlans) & doomed and u.path.parent == DIRECTORY:
            u.unit.set_all("Network", "VLAN", [v for v in vlans if v not in doomed])
            files[u.path] = u.unit.dumps()
    warnings += [
        RenderWarning(n, "no networkd file names this interface", NAME)
        for n in sorted(set(names) - found)
    ]
    return Rendering(
        backend=NAME, files=files, removed=frozenset(removed), warnings=tuple(warnings)
    )


# ---------------------------------------------------------------------------------------
# The host.


def detect(host: Host) -> bool:
    """Files define an interface (and, on the real root, systemd-networkd runs)."""
    config = load(HostFiles(host))
    if host.is_real_root:
        # A running daemon with only systemd's shipped glob matches (80-container-host0,
        # 89-ethernet...) still manages links; one without any .network manages nothing.
        return bool(config.networks) and _daemon_running(host.netns)
    return any(u.match_name for u in config.networks) or bool(config.netdevs)


def _daemon_running(netns: str | None) -> bool:
    """systemd-networkd runs in the host's network namespace."""
    import os
    from pathlib import Path

    target = Path(f"/run/netns/{netns}") if netns else Path("/proc/self/ns/net")
    try:
        want = os.stat(target)
    except OSError:
        return False
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "systemd-network":
                    continue
                st = os.stat(entry / "ns/net")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (want.st_dev, want.st_ino):
                return True
    return False


def dhcp_identity(host: Host, iface: Interface, live: LiveHost) -> Interface:
    """IFACE with the DHCPv4 client identity its running client uses where its files
    name none (see backends/networkd_dhcpid.py)."""
    return networkd_dhcpid.with_running_identity(host, iface, live)


def activate(host: Host, names: Sequence[str]) -> list[list[str]]:
    """``networkctl reload`` (creates new netdevs, rereads files), then reconfigure the links.

    networkd creates a netdev that is missing but never changes or deletes one that exists
    (a bond's mode, a VLAN's id or parent stay as the kernel has them, and a netdev whose
    file is gone stays up).  Deleting changed or removed netdevs (``ip link del``) before
    this runs is the kernel activator's job (backends/kernel.py), not networkd's.
    """
    prefix = ["ip", "netns", "exec", host.netns] if host.netns else []
    tool = shutil.which("networkctl") or "networkctl"
    argv = [[*prefix, tool, "reload"]]
    if names:
        argv.append([*prefix, "sh", "-c", RECONFIGURE_EXISTING, "-", tool, "reconfigure",
                     *_ordered(host, names)])  # fmt: skip
    return argv


# networkd creates a new netdev after `networkctl reload` has returned, and configures it
# itself when it appears; `networkctl reconfigure` fails as a whole on a name it cannot
# resolve yet (seen on a loaded machine: br0.10 not made yet, the change rolled back).  So
# only the links that exist are named, each a positional parameter (nothing interpolated).
RECONFIGURE_EXISTING = (
    'set -f; tool=$1; verb=$2; shift 2; names=""; '
    'for n in "$@"; do if [ -e "/sys/class/net/$n" ]; then names="$names $n"; fi; done; '
    'if [ -n "$names" ]; then exec "$tool" "$verb" $names; fi'
)


def _ordered(host: Host, names: Sequence[str]) -> list[str]:
    """Masters before their ports, then the rest as given."""
    order: list[str] = []
    for top in read_files(HostFiles(host)):
        for iface in _pre_order(top):
            if (top.name in names or iface.name in names) and iface.name not in order:
                order.append(iface.name)
    return order + [n for n in names if n not in order]


def _pre_order(iface: Interface) -> Iterator[Interface]:
    yield iface
    for sub in iface.subordinates:
        yield from _pre_order(sub)
