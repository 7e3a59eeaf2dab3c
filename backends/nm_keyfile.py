"""NetworkManager keyfiles: ``/etc/NetworkManager/system-connections/*.nmconnection``.

One connection profile per device.  Rendering edits the profile that already names the
interface (keeping its uuid, id, comments and every key ifsmith does not model, and
rewriting only the keys whose value changes) and creates ``<name>.nmconnection``
otherwise, with a uuid derived from the name so that the same XML always renders the same
bytes.  Keys are written as NetworkManager 1.42 writes them
(``master``/``slave-type``, the gateway beside the first address), so ``nmcli`` normalisation
leaves them alone.  Files are mode 0600: NetworkManager ignores group- or world-readable ones.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TypeVar

from ifsmith.backends import ReadResult, nm_dhcpid, options_common
from ifsmith.backends import bridge_vlans as bv
from ifsmith.backends import networkd_routes as nr
from ifsmith.backends import nm_keyfile_options as nko
from ifsmith.backends import nm_keyfile_routes as nkr
from ifsmith.backends.keyfile_ini import KeyFile, unescape
from ifsmith.core.checks import name_problem
from ifsmith.core.dhcpid import client_id_problem, iaid_problem
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
    Family,
    FlatInterface,
    IfType,
    Interface,
    IpAddress,
    LacpRate,
    LiveHost,
    MiiMon,
    Protocol,
    StartMode,
    Vlan,
    XmitHashPolicy,
    flatten,
)
from ifsmith.core.options import BridgeOptions, PortOptions

NAME = "nm-keyfile"
CARRIES = frozenset({"routes", "dns", "bond-options", "bridge-options", "bridge-vlans"})
WRITES_DHCP_IDENTITY = True  # ipv4.dhcp-client-id / dhcp-iaid
DIRECTORY = PurePosixPath("/etc/NetworkManager/system-connections")
SUFFIX = ".nmconnection"
MODE = 0o600
# uuid5 namespace for profiles ifsmith creates: the same name always gets the same uuid.
UUID_NAMESPACE = uuid.UUID("6f1b6a5e-3c0e-4f44-9b7a-1f5c2a8e0d11")

log = logging.getLogger(__name__)

_TYPES = {
    "ethernet": IfType.ETHERNET,
    "802-3-ethernet": IfType.ETHERNET,
    "bond": IfType.BOND,
    "bridge": IfType.BRIDGE,
    "vlan": IfType.VLAN,
}
_TYPE_NAMES = {
    IfType.ETHERNET: "ethernet",
    IfType.BOND: "bond",
    IfType.BRIDGE: "bridge",
    IfType.VLAN: "vlan",
}
_ETHERNET_GROUPS = ("ethernet", "802-3-ethernet")
_LABEL = re.compile(r"^#\s*label:\s*(\".*\")\s*$")
_ADDRESS_KEY = re.compile(r"^address(?:es)?(\d*)$")
# nm_keyfile_utils_ignore_filename skips names with these endings; create_filename appends
# "_" so that a profile named like them is still loaded.
_IGNORED_ENDINGS = (
    ".bak",
    ".orig",
    ".rej",
    ".rpmnew",
    ".rpmsave",
    ".rpmorig",
    ".swp",
    ".pem",
    ".der",
    ".key",
    ".p12",
    ".crt",
    ".cer",
    ".tmp",
    ".dpkg-old",
    ".dpkg-new",
    ".dpkg-tmp",
    ".dpkg-dist",
    ".dpkg-bak",
)
_BOND_KEYS = (
    "mode",
    "miimon",
    "updelay",
    "downdelay",
    "use_carrier",
    "arp_interval",
    "arp_ip_target",
    "arp_validate",
    "primary",
    "xmit_hash_policy",
    "lacp_rate",
    *options_common.SYSFS_NAMES,  # every other option, by the driver's name and syntax
)


def create_filename(connection_id: str) -> str:
    """The file name NetworkManager gives a profile (nm_keyfile_utils_create_filename)."""
    name = connection_id.replace("/", "_")
    if name.startswith("."):
        name = "_" + name[1:]
    if name.endswith("~"):
        name = name[:-1] + "_"
    if name.lower().endswith(_IGNORED_ENDINGS) or re.search(r"\.[0-9A-Za-z]{6}$", name):
        name += "_"  # also g_file_set_contents' temporary ".XXXXXX" names
    return name + SUFFIX


def profile_uuid(name: str) -> str:
    """The uuid of a profile ifsmith creates for an interface: stable across renders."""
    return str(uuid.uuid5(UUID_NAMESPACE, name))


# ---------------------------------------------------------------------------------------
# Reading.


@dataclass
class Profile:
    path: PurePosixPath
    keyfile: KeyFile

    def get(self, group: str, key: str) -> str | None:
        if group == "ethernet":
            values = [self.keyfile.get(g, key) for g in _ETHERNET_GROUPS]
            return next((v for v in values if v is not None), None)
        return self.keyfile.get(group, key)

    @property
    def type(self) -> str | None:
        return self.get("connection", "type")

    @property
    def ifname(self) -> str | None:
        name = self.get("connection", "interface-name") or self.get("vlan", "interface-name")
        parent, tag = self.get("vlan", "parent"), self.get("vlan", "id")
        if name is None and self.type == "vlan" and parent and tag:
            return f"{parent}.{tag}"  # NetworkManager's default name for a VLAN
        return name

    @property
    def master(self) -> str | None:
        return self.get("connection", "controller") or self.get("connection", "master")

    @property
    def port_type(self) -> str | None:
        return self.get("connection", "port-type") or self.get("connection", "slave-type")


@dataclass
class Profiles:
    items: list[Profile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def for_interface(self) -> dict[str, Profile]:
        """Interface name → its profile (the first by file name when several name it)."""
        out: dict[str, Profile] = {}
        for p in self.items:
            name = p.ifname
            if name is None:
                continue
            if name in out:
                self.problems.append(f"{p.path}: {name} already has {out[name].path}; ignored")
                continue
            out[name] = p
        return out


def load(existing: FileView) -> Profiles:
    """Every keyfile in system-connections (NetworkManager's own ignore rules applied)."""
    profiles = Profiles()
    for fname in existing.listdir(DIRECTORY):
        if not fname.endswith(SUFFIX) or fname.startswith("."):
            continue
        path = DIRECTORY / fname
        data = existing.read(path)
        if data is None:
            continue
        kf = KeyFile.parse(data, str(path))
        profiles.problems += kf.problems
        profiles.items.append(Profile(path, kf))
    return profiles


def read_files(existing: FileView) -> list[Interface]:
    """What the keyfiles say, as top-level interfaces; problems are logged as warnings."""
    return read_report(existing).logged(log)


def read(host: Host) -> list[Interface]:
    """What the host's keyfiles say."""
    return read_files(HostFiles(host))


def read_report(existing: FileView) -> ReadResult:
    """The interfaces the keyfiles define and what was skipped, with reasons."""
    profiles = load(existing)
    return interfaces_of(profiles.items, profiles.problems)


def interfaces_of(items: list[Profile], problems: list[str]) -> ReadResult:
    """Profiles → interfaces nested like the XML (ports inside their master)."""
    problems = list(problems)
    by_name: dict[str, tuple[Profile, Interface]] = {}
    for p in items:
        iface = _interface(p, problems)
        if iface is None:
            continue
        if iface.name in by_name:
            problems.append(
                f"{p.path}: {iface.name} already defined by {by_name[iface.name][0].path}; ignored"
            )
            continue
        by_name[iface.name] = (p, iface)
    # A master is named by interface name, connection id or uuid.
    alias: dict[str, str] = {}
    for name, (p, _i) in by_name.items():
        for ref in (p.get("connection", "uuid"), p.get("connection", "id"), name):
            if ref:
                alias.setdefault(ref, name)
    children: dict[str, list[str]] = {}
    masters: dict[str, str] = {}
    for name, (p, _i) in by_name.items():
        ref = p.master
        if ref is None:
            continue
        master = alias.get(ref)
        if master is None or master == name:
            problems.append(f"{p.path}: {name}: master {ref!r} has no profile; read as top level")
            continue
        masters[name] = master
        children.setdefault(master, []).append(name)

    def nest(name: str, top: bool, seen: frozenset[str]) -> Interface:
        iface = by_name[name][1]
        subs = tuple(nest(s, False, seen | {name}) for s in children.get(name, ()) if s not in seen)
        if iface.bond is not None:
            bond = replace(iface.bond, slaves=subs)
            if subs and bond.primary_slave == subs[0].name and bond.mode in PRIMARY_MODES:
                bond = replace(bond, primary_slave=None)  # libvirt's rule: the first slave
            iface = replace(iface, bond=bond)
        elif iface.bridge is not None:
            p = by_name[name][0]
            subs = bv.with_pvids(subs, nko.default_pvid(p.get, str(p.path), []))
            iface = replace(iface, bridge=replace(iface.bridge, ports=subs))
        elif subs:
            problems.append(f"{name}: ports {[s.name for s in subs]} of a {iface.type} ignored")
        if top:
            return iface
        return replace(iface, start_mode=None, protocols=(), dns=None)

    tops = [n for n in by_name if n not in masters or masters[n] not in by_name]
    return ReadResult([nest(n, True, frozenset()) for n in tops], problems)


def _bool(text: str | None) -> bool | None:
    if text is None:
        return None
    return text.strip().lower() in ("true", "yes", "1", "on")


_E = TypeVar("_E")


def _parse(
    p: Profile, group: str, key: str, kind: Callable[[str], _E], problems: list[str]
) -> _E | None:
    text = p.get(group, key)
    if text is None or text == "":
        return None
    try:
        return kind(text.strip())
    except ValueError:
        problems.append(f"{p.path}: {group}.{key}={text!r} not understood; ignored")
        return None


def _interface(p: Profile, problems: list[str]) -> Interface | None:
    type_text = p.type
    iftype = _TYPES.get(type_text or "")
    if iftype is None:
        problems.append(f"{p.path}: connection type {type_text!r} is not modelled; skipped")
        return None
    name = p.ifname
    if name is None:
        problems.append(
            f"{p.path}: no interface-name: a profile that matches by MAC or "
            "for any device is not an interface definition; skipped"
        )
        return None
    autoconnect = _bool(p.get("connection", "autoconnect"))
    mac = p.get("ethernet", "cloned-mac-address") or p.get("ethernet", "mac-address")
    if mac is not None and not re.match(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$", mac):
        if re.match(r"^(\d+;){6}$", mac):  # the old "0;17;34;51;68;85;" format
            mac = ":".join(f"{int(b):02x}" for b in mac.split(";")[:6])
        else:
            mac = None
    label = None
    for entry in p.keyfile.preamble:
        m = _LABEL.match(entry.text.strip())
        if m:
            try:
                label = json.loads(m.group(1))
            except ValueError:
                problems.append(f"{p.path}: unreadable label comment ignored")
    bond = bridge = vlan = None
    if iftype == IfType.BOND:
        bond = _bond(p, problems)
    elif iftype == IfType.BRIDGE:
        stp = _bool(p.get("bridge", "stp"))
        options = nko.read(p.get, BridgeOptions, str(p.path), problems)
        if options.vlan_filtering:
            default = nko.default_pvid(p.get, str(p.path), problems)
            vlans = nko.read_bridge_vlans(p.get, default, str(p.path), problems)
            options = replace(options, vlans=vlans)
        bridge = Bridge(
            stp=True if stp is None else stp,  # NetworkManager's default is on
            delay=_parse(p, "bridge", "forward-delay", float, problems),
            options=options,
        )
    elif iftype == IfType.VLAN:
        tag = _parse(p, "vlan", "id", int, problems)
        if tag is None:
            problems.append(f"{p.path}: VLAN without an id; skipped")
            return None
        flags = _parse(p, "vlan", "flags", int, problems) or 0  # missing reads as 0 in NM
        vlan = Vlan(tag=tag, parent=p.get("vlan", "parent"), reorder_hdr=bool(flags & 1))
    return Interface(
        type=iftype,
        name=name,
        start_mode=StartMode.NONE if autoconnect is False else StartMode.ONBOOT,
        mtu=_parse(p, "ethernet", "mtu", int, problems) or None,
        mac=mac.lower() if mac else None,
        protocols=_protocols(p, problems),
        bond=bond,
        bridge=bridge,
        vlan=vlan,
        label=label if isinstance(label, str) else None,
        dns=nkr.read_dns(p.keyfile, str(p.path), problems),
        port_options=_port_options(p, problems),
    )


def _port_options(p: Profile, problems: list[str]) -> PortOptions:
    if p.port_type != "bridge":
        return PortOptions()
    options: PortOptions = nko.read(p.get, PortOptions, str(p.path), problems)
    vlans, pvid = nko.read_port_vlans(p.get, str(p.path), problems)
    return replace(options, vlans=vlans, pvid=pvid)


def _bond(p: Profile, problems: list[str]) -> Bond:
    options = {k: p.get("bond", k) for k in _BOND_KEYS}
    extra = p.get("bond", "options")  # very old keyfiles: options=mode=1,miimon=100
    if extra:
        for item in extra.split(","):
            k, _, v = item.partition("=")
            options.setdefault(k.strip(), v.strip())

    def num(key: str) -> int | None:
        text = options.get(key)
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            problems.append(f"{p.path}: bond.{key}={text!r} is not a number; ignored")
            return None

    def enum(key: str, kind: Callable[[str], _E]) -> _E | None:
        text = options.get(key)
        if not text:
            return None
        try:
            return kind(text)
        except ValueError:
            problems.append(f"{p.path}: bond.{key}={text!r} not understood; ignored")
            return None

    miimon = arpmon = None
    freq = num("miimon")
    if freq:
        carrier = None
        if options.get("use_carrier") is not None:
            carrier = Carrier.NETIF if options["use_carrier"] in ("1", "true") else Carrier.IOCTL
        miimon = MiiMon(freq, num("downdelay") or 0, num("updelay") or 0, carrier)
    interval = num("arp_interval")
    if interval:
        targets = tuple(t for t in (options.get("arp_ip_target") or "").split(",") if t)
        arpmon = ArpMon(interval, targets, enum("arp_validate", ArpValidate))
    mode = enum("mode", BondMode.parse) or BondMode.BALANCE_RR  # NetworkManager's default
    primary = options.get("primary") or None
    return Bond(
        mode=mode,
        miimon=miimon,
        arpmon=arpmon,
        xmit_hash_policy=enum("xmit_hash_policy", XmitHashPolicy),
        options=options_common.read_sysfs(
            {k: v for k, v in options.items() if v is not None},
            lambda why: problems.append(f"{p.path}: bond.{why}; ignored"),
        ),
        lacp_rate=enum("lacp_rate", _lacp_rate),
        primary_slave=primary,
    )


def _lacp_rate(text: str) -> LacpRate:
    return {"0": LacpRate.SLOW, "1": LacpRate.FAST}.get(text) or LacpRate(text)


def _protocols(p: Profile, problems: list[str]) -> tuple[Protocol, ...]:
    out: list[Protocol] = []
    for family, group in ((Family.IPV4, "ipv4"), (Family.IPV6, "ipv6")):
        method = p.get(group, "method") or "auto"  # NetworkManager normalises to auto
        if method in ("disabled", "ignore"):
            for key in [k for k in p.keyfile.keys(group) if nkr.ROUTE_KEY.match(k)]:
                problems.append(f"{p.path}: {group}.{key} with method {method} is not used")
            continue
        addresses, gateway = _addresses(p, group, family, problems)
        gateway = p.get(group, "gateway") or gateway
        gateway = gateway or nkr.default_gateway(p.keyfile, group, family)
        peerdns = _bool(p.get(group, "ignore-auto-dns"))
        dhcp = method == "dhcp" or (family == Family.IPV4 and method == "auto")
        autoconf = family == Family.IPV6 and method == "auto"
        if method not in ("auto", "dhcp", "manual", "link-local", "shared"):
            problems.append(f"{p.path}: {group}.method={method} not modelled; read as manual")
        if family == Family.IPV4 and method == "link-local":
            continue
        cid, iaid = _dhcp_identity(p, problems) if dhcp and family == Family.IPV4 else (None, None)
        out.append(
            Protocol(
                family,
                dhcp=dhcp,
                autoconf=autoconf,
                peerdns=None if peerdns is None else not peerdns,
                addresses=tuple(addresses),
                gateway=gateway,
                routes=tuple(nkr.read_routes(p.keyfile, group, family, str(p.path), problems)),
                client_id=cid,
                iaid=iaid,
            )
        )
    return tuple(out)


def _dhcp_identity(p: Profile, problems: list[str]) -> tuple[str | None, str | None]:
    """``ipv4.dhcp-client-id`` and ``ipv4.dhcp-iaid`` (core/dhcpid.py); a value the
    model cannot hold (a client-id sent as text) stays as written, with a warning."""
    out: list[str | None] = []
    for key, problem in (("dhcp-client-id", client_id_problem), ("dhcp-iaid", iaid_problem)):
        value = p.get("ipv4", key)
        if value is not None and problem(value) is not None:
            problems.append(f"{p.path}: ipv4.{key}={value} not modelled; left as written")
            value = None
        out.append(value.lower() if value is not None else None)
    return out[0], out[1]


def _addresses(
    p: Profile, group: str, family: Family, problems: list[str]
) -> tuple[list[IpAddress], str | None]:
    """``addressN``/``addressesN`` (``a/p,gw`` or the old ``a;p;gw;``), in index order."""
    keyed: list[tuple[int, int, str]] = []
    for order, key in enumerate(p.keyfile.keys(group)):
        m = _ADDRESS_KEY.match(key)
        if m:
            keyed.append((int(m.group(1) or 0), order, key))
    out: list[IpAddress] = []
    gateway = None
    for _n, _o, key in sorted(keyed):
        raw = p.get(group, key) or ""
        for item in [i for i in raw.split(";;")] if ";;" in raw else [raw]:
            address, gw = _address(item)
            if address is None:
                problems.append(f"{p.path}: {group}.{key}={raw!r} is not an address; ignored")
                continue
            version = ipaddress.ip_address(address.address).version
            if (version == 4) != (family == Family.IPV4):
                problems.append(f"{p.path}: {group}.{key}: {address} is of the other family")
                continue
            if address not in out:
                out.append(address)
            gateway = gateway or gw
    return out, gateway


def _address(text: str) -> tuple[IpAddress | None, str | None]:
    text = text.strip().rstrip(";")
    if ";" in text:  # legacy: address;prefix;gateway
        parts = text.split(";")
        text = f"{parts[0]}/{parts[1]}" + (f",{parts[2]}" if len(parts) > 2 and parts[2] else "")
    addr_part, _, gw = text.partition(",")
    addr, _, plen = addr_part.partition("/")
    try:
        ip = ipaddress.ip_address(addr.strip())
        prefix = None
        if plen:
            if plen.isdigit():
                prefix = int(plen)
            else:  # a dotted netmask, as some old files have
                prefix = ipaddress.IPv4Network(f"0.0.0.0/{plen}").prefixlen
        if prefix is None:
            prefix = 32 if ip.version == 4 else 128  # NetworkManager's default
        gateway = str(ipaddress.ip_address(gw.strip())) if gw.strip() else None
    except ValueError:
        return None, None
    if gateway in ("0.0.0.0", "::"):
        gateway = None
    return IpAddress(str(ip), prefix), gateway


# ---------------------------------------------------------------------------------------
# Rendering.


def _check_name(owner: str, what: str, value: str) -> str:
    problem = name_problem(value)
    if problem is not None:
        raise UnsafeValue(f"{owner}: {what} {value!r}: {problem}")
    return value


def _check_ip(owner: str, what: str, value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise UnsafeValue(f"{owner}: {what} {value!r} is not an IP address") from None


def _seconds(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


Keys = dict[tuple[str, str], str | None]  # (group, key) → value; None = remove


def profile_keys(
    fi: FlatInterface,
    warn: Callable[[str], None],
    gateway_keys: frozenset[str] = frozenset(),
    search_groups: frozenset[str] = frozenset(),
    master: Interface | None = None,
) -> Keys:
    """What the keyfile of one device says, key by key (None: the key must not be there).

    A key left out is one the model is silent about: the profile keeps what it has.
    ``gateway_keys`` names the groups (``ipv4``, ``ipv6``) whose profile writes its gateway
    as ``gateway=`` rather than beside the first address; ``search_groups`` those that hold
    ``dns-search`` (static routes are not keys: ``nkr.apply_routes`` merges them).
    ``master`` is a port's master: a bridge port's VLAN list depends on its bridge's.
    """
    iface = fi.interface
    name = _check_name(iface.name, "interface name", iface.name)
    keys: Keys = {
        ("connection", "type"): _TYPE_NAMES[iface.type],
        ("connection", "interface-name"): name,
        ("connection", "autoconnect"): "false" if fi.start_mode == StartMode.NONE else None,
        ("connection", "master"): None,
        ("connection", "slave-type"): None,
    }
    if fi.start_mode == StartMode.HOTPLUG:
        warn("NetworkManager has no hotplug start mode; the profile autoconnects")
    if fi.master is not None:
        keys[("connection", "master")] = _check_name(name, "master", fi.master)
        keys[("connection", "slave-type")] = "bond" if fi.master_type == IfType.BOND else "bridge"
        if fi.master_type == IfType.BRIDGE:
            keys.update(nko.keys(iface.port_options, warn))
            bridge = master.bridge if master is not None else None
            keys.update(nko.port_vlan_keys(iface.port_options, bridge))
    keys[("ethernet", "mtu")] = str(int(iface.mtu)) if iface.mtu is not None else None
    if iface.mac is not None:
        # Without a mac (libvirt's XML has none for a bond, bridge or VLAN) the profile
        # keeps the one it has.
        if not re.match(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$", iface.mac):
            raise UnsafeValue(f"{name}: MAC {iface.mac!r} is not a MAC address")
        mac_key = "mac-address" if iface.type == IfType.ETHERNET else "cloned-mac-address"
        keys[("ethernet", "mac-address")] = None
        keys[("ethernet", "cloned-mac-address")] = None
        keys[("ethernet", mac_key)] = iface.mac.upper()
    if iface.bond is not None:
        keys.update(_bond_keys(name, iface.bond))
    if iface.bridge is not None:
        br = iface.bridge
        # Always explicit: NetworkManager's default is STP on, the kernel's (and ifupdown's) off.
        keys[("bridge", "stp")] = "true" if br.stp else "false"
        delay = None
        if br.delay is not None:
            seconds, message = nm_forward_delay(br.delay)
            delay = str(seconds)
            if message is not None:
                warn(message)
        keys[("bridge", "forward-delay")] = delay
        keys.update(nko.keys(br.options, warn))
        keys.update(nko.bridge_vlan_keys(br))
    if iface.vlan is not None:
        vlan = iface.vlan
        if vlan.parent is None:
            raise UnsafeValue(f"{name}: VLAN without a parent interface")
        keys[("vlan", "id")] = str(int(vlan.tag))
        keys[("vlan", "parent")] = _check_name(name, "VLAN parent", vlan.parent)
        # A missing flags key reads as 0 in NetworkManager: always write it.
        keys[("vlan", "flags")] = "0" if vlan.reorder_hdr is False else "1"
    if fi.master is None:
        keys.update(_ip_keys(name, iface, warn, gateway_keys))
        enabled = {
            g: keys.get((g, "method")) not in ("disabled", "ignore") for g in ("ipv4", "ipv6")
        }
        keys.update(nkr.dns_keys(iface.dns, enabled, search_groups, nkr.dns_value(name), warn))
        for family, group in nkr.GROUPS:
            proto = iface.protocol(family)
            if proto is not None and proto.routes and not enabled[group]:
                for route in proto.routes:
                    warn(f"route {route} not written: NetworkManager takes no routes with"
                         f" {group} method disabled (no address or DHCP)")  # fmt: skip
    return keys


# NetworkManager's bridge.forward-delay: whole seconds, 2 to 30 (nm-setting-bridge.c);
# it refuses a profile with any other value.
NM_FORWARD_DELAY = (2, 30)


def nm_forward_delay(delay: float) -> tuple[int, str | None]:
    """The forward delay NetworkManager can take for DELAY seconds, and a warning naming
    DELAY where that is not DELAY (libvirt's and virsh iface-bridge's usual 0 is one)."""
    low, high = NM_FORWARD_DELAY
    whole = round(delay)
    seconds = min(max(whole, low), high)
    if seconds == delay:
        return seconds, None
    if seconds == whole:
        return seconds, (f"NetworkManager's forward-delay is whole seconds; {delay} written "
                         f"as {seconds}")  # fmt: skip
    return seconds, (f"NetworkManager cannot set a bridge forward delay of {delay:g} s (its range "
                     f"is {low} to {high} s); written as {seconds}")  # fmt: skip


def _bond_keys(name: str, bond: Bond) -> Keys:
    keys: Keys = {("bond", k): None for k in _BOND_KEYS}
    keys[("bond", "mode")] = (bond.mode or BondMode.BALANCE_RR).value
    if bond.miimon is not None:
        mii = bond.miimon
        keys[("bond", "miimon")] = str(int(mii.freq))
        keys[("bond", "updelay")] = str(int(mii.updelay)) if mii.updelay else None
        keys[("bond", "downdelay")] = str(int(mii.downdelay)) if mii.downdelay else None
        if mii.carrier is not None:
            keys[("bond", "use_carrier")] = "1" if mii.carrier == Carrier.NETIF else "0"
    if bond.arpmon is not None:
        arp = bond.arpmon
        keys[("bond", "arp_interval")] = str(int(arp.interval))
        if arp.targets:
            keys[("bond", "arp_ip_target")] = ",".join(
                _check_ip(name, "ARP target", t) for t in arp.targets
            )
        if arp.validate is not None:
            keys[("bond", "arp_validate")] = arp.validate.value
    if bond.primary is not None and (bond.mode in PRIMARY_MODES or bond.primary_slave):
        keys[("bond", "primary")] = _check_name(name, "bond primary", bond.primary)
    if bond.xmit_hash_policy is not None:
        keys[("bond", "xmit_hash_policy")] = bond.xmit_hash_policy.value
    if bond.lacp_rate is not None:
        keys[("bond", "lacp_rate")] = bond.lacp_rate.value
    for option, value in options_common.sysfs_pairs(bond.options):
        if value is not None:
            keys[("bond", option)] = value
    return keys


def _ip_keys(
    name: str, iface: Interface, warn: Callable[[str], None], gateway_keys: frozenset[str]
) -> Keys:
    keys: Keys = {}
    for family, group in ((Family.IPV4, "ipv4"), (Family.IPV6, "ipv6")):
        proto = iface.protocol(family)
        keys[(group, "gateway")] = None
        if proto is None:
            keys[(group, "method")] = "disabled"
            continue
        if family == Family.IPV4:
            method = "auto" if proto.dhcp else ("manual" if proto.addresses else "disabled")
        elif proto.autoconf:
            method = "auto"
            if proto.dhcp:
                warn(
                    "NetworkManager's ipv6 method auto runs DHCPv6 only when router "
                    "advertisements ask for it"
                )
        elif proto.dhcp:
            method = "dhcp"
        else:
            method = "manual" if proto.addresses else "link-local"
        keys[(group, "method")] = method
        gateway = _check_ip(name, "gateway", proto.gateway) if proto.gateway else None
        own_key = not proto.addresses or group in gateway_keys
        if gateway is not None and own_key:
            keys[(group, "gateway")] = gateway  # without addresses: NM may refuse it
        for n, address in enumerate(proto.addresses, 1):
            text = _check_ip(name, "address", address.address)
            full = 32 if family == Family.IPV4 else 128  # NetworkManager's default prefix
            text += f"/{address.prefix if address.prefix is not None else full}"
            if n == 1 and gateway is not None and not own_key:
                text += f",{gateway}"
            keys[(group, f"address{n}")] = text
        # Without an explicit peerdns (the XML has none outside <dhcp>) the profile keeps
        # its ignore-auto-dns.
        if proto.peerdns is not None:
            keys[(group, "ignore-auto-dns")] = "false" if proto.peerdns else "true"
        if family == Family.IPV4 and proto.dhcp:
            # The DHCP client's identity (core/dhcpid.py): NetworkManager takes the model's
            # kinds and bytes as they are.
            keys[(group, "dhcp-client-id")] = proto.client_id
            keys[(group, "dhcp-iaid")] = proto.iaid
    return keys


def _apply(kf: KeyFile, keys: Keys, was: Keys | None, iface_type: IfType) -> None:
    """Set the keys that changed since ``was`` (what the profile said; None: unknown).

    A key whose value the model did not change is left exactly as written (its spelling,
    place and defaults), so an unchanged round trip rewrites no line.
    """
    changed = keys if was is None else {k: v for k, v in keys.items() if was.get(k) != v}
    for other in ("bond", "bridge", "vlan"):
        if other != _TYPE_NAMES[iface_type] and kf.group(other) is not None:
            kf.remove_group(other)
    eth_group = next((g for g in _ETHERNET_GROUPS if kf.group(g) is not None), "ethernet")
    uses_controller = (
        kf.get("connection", "controller") is not None
        or kf.get("connection", "port-type") is not None
    )
    for group in ("ipv4", "ipv6"):
        # Addresses the profile had and the definition no longer has (a NIC that lost
        # its addressing: method disabled) are not in ``keys`` at all: they go too.
        dropped = was is None or any(
            g == group and _ADDRESS_KEY.match(k) and (g, k) not in keys for g, k in was
        )
        if dropped or any(
            g == group and (_ADDRESS_KEY.match(k) or k == "gateway") for g, k in changed
        ):
            # Addresses are rewritten as address1..N: old spellings of them must go.
            for key in kf.keys(group):
                if _ADDRESS_KEY.match(key) and (group, key) not in keys:
                    kf.remove(group, key)
    for (group, key), value in changed.items():
        if group == "ethernet":
            group = eth_group
        if group == "connection" and uses_controller:
            key = {"master": "controller", "slave-type": "port-type"}.get(key, key)
        if value is None:
            kf.remove(group, key)
            if group == "connection" and key in ("master", "slave-type"):
                kf.remove(group, {"master": "controller", "slave-type": "port-type"}[key])
        else:
            kf.set(group, key, value)


# Keys of a profile's [ipv4]/[ipv6] that the model does not carry but that belong to the
# host's addressing: when a NIC becomes a port they move to its master's profile.
_MOVABLE = re.compile(
    r"^(dns(-search|-options|-priority)?|route\d+(_options)?|route-metric|"
    r"route-table|routing-rule\d+|dhcp-hostname|dhcp-client-id|dhcp-iaid|may-fail|"
    r"never-default)$"
)
# Keys that only describe how the port itself would have been addressed: nothing to keep.
_PORT_IRRELEVANT = frozenset({"method", "gateway", "ignore-auto-dns", "addr-gen-mode"})


@dataclass
class _Move:
    """An IP key a new port's profile gave up, to be kept by its master."""

    port: str
    master: str
    group: str
    key: str
    raw: str


def _give_up_ip(kf: KeyFile, port: str, master: str, warn: Callable[[str], None]) -> list[_Move]:
    """Drop a new port's [ipv4]/[ipv6]; the keys worth keeping go to its master."""
    moves: list[_Move] = []
    for group in ("ipv4", "ipv6"):
        g = kf.group(group)
        for entry in g.entries if g is not None else []:
            key = entry.key
            if key is None or key in _PORT_IRRELEVANT or _ADDRESS_KEY.match(key):
                continue
            if nkr.modelled(kf, group, key):
                continue  # the model's: the master says it (``nr.losses`` names what goes)
            if _MOVABLE.match(key):
                moves.append(_Move(port, master, group, key, entry.raw))
            else:
                warn(f"a port has no {group} settings: {group}.{key}={unescape(entry.raw)} dropped")
        kf.remove_group(group)
    return moves


def _renumbered(moves: list[_Move], profiles: dict[str, KeyFile]) -> list[_Move]:
    """A port's routes that move to its master (those ifsmith does not model) take the
    master's next free ``routeN``, their options with them: the master's own stay."""
    out = []
    renamed: dict[tuple[str, str, str], str] = {}
    top: dict[tuple[str, str], int] = {}
    for move in moves:
        m = nkr.OPTIONS_KEY.match(move.key)
        route_key = m.group(1) if m else move.key
        if not nkr.ROUTE_KEY.match(route_key):
            out.append(move)
            continue
        ident = (move.port, move.group, route_key)
        if ident not in renamed:
            kf = profiles[move.master]
            where = (move.master, move.group)
            if where not in top:
                numbers = [nkr.ROUTE_KEY.match(k) for k in kf.keys(move.group)]
                top[where] = max((int(n.group(1) or 0) for n in numbers if n), default=0)
            top[where] += 1
            renamed[ident] = f"route{top[where]}"
        new = renamed[ident] + ("_options" if m else "")
        out.append(replace(move, key=new))
    return out


def _take_over(kf: KeyFile, move: _Move, warn: Callable[[str], None]) -> None:
    """Put a port's former IP key into its master's profile, unless the master says otherwise."""
    value = unescape(move.raw)
    what = f"{move.group}.{move.key}={value} of {move.port}"
    mine = kf.get(move.group, move.key)
    if mine == value:
        return
    if mine is not None:
        warn(f"{what} not moved here: {move.master} has {move.group}.{move.key}={mine}")
        return
    if (kf.get(move.group, "method") or "auto") in ("disabled", "ignore"):
        warn(f"{what} dropped: {move.master} has {move.group} disabled")
        return
    kf.set_raw(move.group, move.key, move.raw)


def _new_keyfile(name: str, label: str | None) -> KeyFile:
    kf = KeyFile()
    kf.add_group("connection")
    kf.set("connection", "id", name)
    kf.set("connection", "uuid", profile_uuid(name))
    _set_label(kf, label)
    return kf


def _set_label(kf: KeyFile, label: str | None) -> None:
    from ifsmith.backends.keyfile_ini import Entry

    kf.preamble = [e for e in kf.preamble if not _LABEL.match(e.text.strip())]
    if label is not None:
        # JSON keeps newlines and control characters inside one comment line.
        kf.preamble.insert(0, Entry(f"# label: {json.dumps(label, ensure_ascii=False)}\n"))


def render(interfaces: Sequence[Interface], existing: FileView) -> Rendering:
    """One keyfile per device, merged into the profile that already names it.

    Only what the model changes is written: a key keeps its bytes while the value it
    stands for is unchanged.  A NIC that becomes a port gives up its [ipv4]/[ipv6]; DNS,
    routes and the like move to its master's profile where that does not set them, and a
    warning names each value that cannot move.
    """
    profiles = load(existing)
    by_name = profiles.for_interface()
    defined = {f.name: f for f in flatten(interfaces_of(profiles.items, []).interfaces)}
    taken = {p.path for p in profiles.items}
    warnings: list[RenderWarning] = []
    edited: dict[str, tuple[PurePosixPath, KeyFile]] = {}
    moves: list[_Move] = []
    masters = {i.name: i for top in interfaces for i, _m in top.walk()}
    for fi in flatten(list(interfaces)):
        name = fi.name

        def warn(message: str, name: str = name) -> None:
            warnings.append(RenderWarning(name, message, NAME))

        profile = by_name.get(name)
        was: Keys | None = None
        if profile is not None:
            kf, path = profile.keyfile, profile.path
            _set_label(kf, fi.interface.label)
            gateway_keys = frozenset(g for g in ("ipv4", "ipv6") if kf.get(g, "gateway"))
            search_groups = frozenset(g for g in ("ipv4", "ipv6") if kf.get(g, "dns-search"))
            read = defined.get(name)
            read_master = defined.get(read.master) if read and read.master else None
            was = _keys_of(read, gateway_keys, search_groups, read_master)
        else:
            kf = _new_keyfile(name, fi.interface.label)
            path = DIRECTORY / create_filename(name)
            if path in taken:
                path = DIRECTORY / create_filename(f"{name}-{profile_uuid(name)[:8]}")
            gateway_keys = search_groups = frozenset()
        master = masters.get(fi.master) if fi.master is not None else None
        keys = profile_keys(fi, warn, gateway_keys, search_groups, master)
        if fi.master is not None and (was is None or was.get(("connection", "master")) is None):
            before = defined.get(name)
            if before is not None and before.master is None:
                top = masters.get(fi.master)
                theirs = (top.protocols, top.dns) if top is not None else ((), None)
                nr.losses(before.interface.protocols, before.interface.dns, theirs, warn)
            moves += _give_up_ip(kf, name, fi.master, warn)
        kept_dns = nkr.unmodelled_dns(kf) if fi.master is None else {}
        _apply(kf, keys, was, fi.interface.type)
        if fi.master is None:
            nkr.merge_routes_and_dns(kf, fi.interface, kept_dns, warn)
        if (
            profile is None
            and fi.interface.type == IfType.ETHERNET
            and kf.group("ethernet") is None
        ):
            kf.add_group("ethernet")
        edited[name] = (path, kf)
    for move in _renumbered(moves, {n: kf for n, (_p, kf) in edited.items()}):

        def warn_master(message: str, master: str = move.master) -> None:
            warnings.append(RenderWarning(master, message, NAME))

        _take_over(edited[move.master][1], move, warn_master)
    files = {path: kf.dumps() for path, kf in edited.values()}
    return Rendering(backend=NAME, files=files, warnings=tuple(warnings), mode=MODE)


def _keys_of(
    defined: FlatInterface | None,
    gateway_keys: frozenset[str],
    search_groups: frozenset[str],
    master: FlatInterface | None = None,
) -> Keys | None:
    """The keys a profile's own reading renders to: the baseline a change is measured from."""
    if defined is None:
        return None
    try:
        theirs = master.interface if master is not None else None
        return profile_keys(defined, lambda _m: None, gateway_keys, search_groups, theirs)
    except UnsafeValue:
        return None


def undefine(names: Sequence[str], existing: FileView) -> Rendering:
    """Remove the profiles of these interfaces and of their ports."""
    profiles = load(existing)
    by_name = profiles.for_interface()
    interfaces, _ = interfaces_of(profiles.items, [])
    doomed = set(names)
    for top in interfaces:
        for iface, _m in top.walk():
            if iface.name in names:
                doomed |= {i.name for i, _mm in iface.walk()}
    removed = frozenset(by_name[n].path for n in doomed if n in by_name)
    missing = sorted(n for n in names if n not in by_name)
    warnings = tuple(RenderWarning(n, "no keyfile names this interface", NAME) for n in missing)
    return Rendering(backend=NAME, removed=removed, warnings=warnings, mode=MODE)


# ---------------------------------------------------------------------------------------
# The host.


def _daemon_running() -> bool:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "NetworkManager":
                    return True
            except OSError:
                continue
    return False


def detect(host: Host) -> bool:
    """Keyfiles name an interface (and, on the real root, NetworkManager runs)."""
    if host.is_real_root:
        return _daemon_running()
    return any(p.ifname for p in load(HostFiles(host)).items)


def dhcp_identity(host: Host, iface: Interface, live: LiveHost) -> Interface:
    """IFACE with the DHCPv4 client identifier its running client uses where its profile
    names none and the bridge would not send it anyway (see backends/nm_dhcpid.py)."""
    return nm_dhcpid.with_running_identity(host, iface, live)


def activate(host: Host, names: Sequence[str]) -> list[list[str]]:
    """``nmcli connection load`` each file, then ``nmcli connection up`` masters before ports."""
    profiles = load(HostFiles(host))
    by_name = profiles.for_interface()
    interfaces, _ = interfaces_of(profiles.items, [])
    order: list[str] = []
    for top in interfaces:
        for iface in _pre_order(top):
            if top.name in names or iface.name in names:
                order.append(iface.name)
    order += [n for n in names if n not in order]
    argv: list[list[str]] = []
    for name in order:
        if name in by_name:
            argv.append(["nmcli", "connection", "load", str(host.path(by_name[name].path))])
    for name in order:
        if name in by_name:
            ref = by_name[name].get("connection", "uuid") or by_name[name].get("connection", "id")
            argv.append(
                [
                    "nmcli",
                    "connection",
                    "up",
                    "uuid" if by_name[name].get("connection", "uuid") else "id",
                    ref or name,
                ]
            )
    return argv


def _pre_order(iface: Interface) -> Iterator[Interface]:
    yield iface
    for sub in iface.subordinates:
        yield from _pre_order(sub)
