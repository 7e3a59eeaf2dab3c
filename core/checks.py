"""Semantic validation: what the schema cannot say.

``check`` never raises for bad input; it returns every problem, each naming the interface,
the line of its element and what is wrong, e.g.
``bond0 (line 7): slave eth3 is already a port of br0``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from ifsmith.core.model import (
    BOND_MS_MAX,
    FORWARD_DELAY_MAX,
    LACP_RATE_MODES,
    MTU_MAX,
    MTU_MIN,
    PRIMARY_MODES,
    STP_FORWARD_DELAY_MAX,
    STP_FORWARD_DELAY_MIN,
    VLAN_TAG_MAX,
    VLAN_TAG_MIN,
    XMIT_HASH_MODES,
    Bond,
    BondMode,
    Family,
    IfType,
    Interface,
    Protocol,
    prefix_max,
)
from ifsmith.core.names import IFNAMSIZ, name_problem, shown
from ifsmith.core.options import bond_problems, bridge_problems, port_problems

__all__ = ["IFNAMSIZ", "MTU_MAX", "MTU_MIN", "Problem", "check", "errors", "name_problem"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    interface: str
    message: str
    line: int | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        name = shown(self.interface)
        where = f"{name} (line {self.line})" if self.line else name
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{where}: {self.message}"


def errors(problems: Sequence[Problem]) -> list[Problem]:
    """Only the problems that make a document invalid."""
    return [p for p in problems if p.severity == "error"]


def mac_problem(mac: str) -> str | None:
    """Why a MAC address cannot be set on an interface, or None."""
    parts = mac.split(":")
    if len(parts) != 6 or not all(1 <= len(p) <= 2 for p in parts):
        return f"'{mac}' is not a MAC address (six hex bytes separated by ':')"
    try:
        octets = [int(p, 16) for p in parts]
    except ValueError:
        return f"'{mac}' is not a MAC address (six hex bytes separated by ':')"
    if octets[0] & 1:
        return f"MAC {mac} is a multicast address; an interface needs a unicast one"
    if not any(octets):
        return f"MAC {mac} is all zeros"
    return None


def check(
    interfaces: Sequence[Interface], known_names: Collection[str] = (), *, offline: bool = False
) -> list[Problem]:
    """Every semantic problem of a set of interface definitions.

    ``known_names`` are interfaces that exist elsewhere (live or in the configuration), so a
    VLAN's parent may be one of them instead of being defined in the same document.
    ``offline``: the documents are for another machine (validate, render, diff for a
    --root), so a VLAN parent found nowhere is a warning, not an error.
    """
    return list(_check(interfaces, set(known_names), offline))


def _check(interfaces: Sequence[Interface], known: set[str], offline: bool) -> Iterator[Problem]:
    defined: dict[str, Interface] = {}
    owner: dict[str, tuple[str, str]] = {}  # subordinate → (master, "slave" | "port")
    for top in interfaces:
        yield from _check_top(top)
        for iface, master in top.walk():
            yield from _check_interface(iface, master)
            if iface.name in defined and master is None:
                yield Problem(top.name, f"interface {iface.name} is defined twice", top.line)
            elif iface.name in defined and defined[iface.name].type is not iface.type:
                yield Problem(
                    iface.name,
                    f"is a {defined[iface.name].type} elsewhere but a {iface.type} here",
                    iface.line,
                )
            defined.setdefault(iface.name, iface)
            if master is None:
                continue
            role = "slave" if master.type is IfType.BOND else "port"
            if iface.name in owner:
                other, other_role = owner[iface.name]
                yield Problem(
                    master.name,
                    f"{role} {iface.name} is already a{'n' if other_role[0] in 'aeiou' else ''}"
                    f" {other_role} of {other}",
                    iface.line,
                )
            else:
                owner[iface.name] = (master.name, role)
    # An interface defined at the top level and also used as a slave/port of another one.
    for top in interfaces:
        if top.name in owner and top.subordinates == () and top.protocols:
            owner_name, role = owner[top.name]
            yield Problem(
                top.name,
                f"is a {role} of {owner_name} and cannot carry addresses",
                top.line,
            )
    for top in interfaces:
        for iface, _master in top.walk():
            parent = iface.vlan.parent if iface.vlan is not None else None
            if parent is not None and parent not in defined and parent not in known:
                yield Problem(
                    iface.name,
                    f"VLAN parent {shown(parent)} is neither defined here nor present on "
                    + ("this host; it must exist on the target" if offline else "the host"),
                    iface.vlan.line if iface.vlan else iface.line,
                    "warning" if offline else "error",
                )
            if parent is not None and parent == iface.name:
                yield Problem(iface.name, "a VLAN cannot be its own parent", iface.line)


def _check_top(top: Interface) -> Iterator[Problem]:
    if top.mtu is not None and not MTU_MIN <= top.mtu <= MTU_MAX:
        yield Problem(top.name, f"MTU {top.mtu} is outside {MTU_MIN}-{MTU_MAX}", top.line)
    families = [p.family for p in top.protocols]
    for family in set(families):
        if families.count(family) > 1:
            yield Problem(top.name, f"<protocol family='{family}'> given twice", top.line)
    for proto in top.protocols:
        yield from _check_protocol(top, proto)
    yield from dns_problems(top)


def _check_interface(iface: Interface, master: Interface | None) -> Iterator[Problem]:
    problem = name_problem(iface.name)
    if problem:
        yield Problem(iface.name, problem, iface.line)
    if iface.mac is not None:
        problem = mac_problem(iface.mac)
        if problem:
            yield Problem(iface.name, problem, iface.line)
    if master is not None and iface.protocols:
        role = "slave" if master.type is IfType.BOND else "port"
        yield Problem(
            iface.name,
            f"is a {role} of {master.name}; a {role} carries no addresses "
            f"(put them on {master.name})",
            iface.protocols[0].line or iface.line,
        )
    if iface.bond is not None:
        yield from _check_bond(iface)
    if iface.bridge is not None:
        for port in iface.bridge.ports:
            if port.type is IfType.BRIDGE:
                yield Problem(
                    iface.name, f"port {port.name} is a bridge; bridges do not nest", port.line
                )
            if port.name == iface.name:
                yield Problem(iface.name, "a bridge cannot be its own port", port.line)
    if iface.vlan is not None and not VLAN_TAG_MIN <= iface.vlan.tag <= VLAN_TAG_MAX:
        yield Problem(
            iface.name,
            f"VLAN tag {iface.vlan.tag} is outside {VLAN_TAG_MIN}-{VLAN_TAG_MAX} "
            "(0 and 4095 are reserved by 802.1Q)",
            iface.vlan.line,
        )
    if iface.bridge is not None:
        yield from _check_delay(iface)
    yield from _check_options(iface)
    if iface.vlan is not None and iface.vlan.parent is None:
        yield Problem(iface.name, "the VLAN names no parent interface", iface.vlan.line)


def _check_delay(iface: Interface) -> Iterator[Problem]:
    bridge = iface.bridge
    if bridge is None or bridge.delay is None:
        return
    delay, line = bridge.delay, bridge.line or iface.line
    if not 0 <= delay <= FORWARD_DELAY_MAX:
        yield Problem(
            iface.name,
            f"forward delay {delay:g} s is outside 0-{FORWARD_DELAY_MAX:.2f} s "
            "(the kernel keeps a 32-bit count of centiseconds)",
            line,
        )
        return
    if abs(delay * 100 - round(delay * 100)) > 1e-6:
        yield Problem(
            iface.name,
            f"forward delay {delay:g} s is finer than the kernel's 0.01 s; "
            f"it becomes {round(delay * 100) / 100:g} s",
            line,
            "warning",
        )
    if bridge.stp and not STP_FORWARD_DELAY_MIN <= delay <= STP_FORWARD_DELAY_MAX:
        yield Problem(
            iface.name,
            f"forward delay {delay:g} s is outside {STP_FORWARD_DELAY_MIN:g}-"
            f"{STP_FORWARD_DELAY_MAX:g} s, which the kernel requires while STP is on",
            line,
            "warning",
        )


def _check_options(iface: Interface) -> Iterator[Problem]:
    """The bond, bridge and bridge-port options (core.options): ranges and modes."""
    found: list[tuple[str, Severity, int | None]] = []
    if iface.bond is not None:
        bond = iface.bond
        miimon = bond.miimon.freq if bond.miimon is not None else None
        for message, severity in bond_problems(bond.options, bond.mode, bond.primary, miimon):
            found.append((message, severity, bond.line))
    if iface.bridge is not None:
        bridge = iface.bridge
        for message, severity in bridge_problems(bridge.options, bridge.stp, bridge.delay):
            found.append((message, severity, bridge.line))
        for port in bridge.ports:
            for message, severity in port_problems(
                port.port_options, bridge.options.vlan_filtering
            ):
                found.append((f"port {port.name}: {message}", severity, port.line))
    for message, severity, line in found:
        yield Problem(iface.name, message, line or iface.line, severity)


def _check_bond(iface: Interface) -> Iterator[Problem]:
    bond = iface.bond
    assert bond is not None
    line = bond.line or iface.line
    if not bond.slaves:
        yield Problem(iface.name, "a bond needs at least one slave", line)
    for slave in bond.slaves:
        if slave.type is not IfType.ETHERNET:
            yield Problem(
                iface.name,
                f"slave {slave.name} is a {slave.type}; bond slaves must be ethernet",
                slave.line,
            )
        if slave.name == iface.name:
            yield Problem(iface.name, "a bond cannot be its own slave", slave.line)
    if bond.miimon is not None and bond.arpmon is not None:
        yield Problem(iface.name, "use miimon or arpmon, not both", line)
    if bond.arpmon is not None:
        arp = bond.arpmon
        if not arp.targets:
            yield Problem(iface.name, "arpmon needs at least one target address", arp.line)
        for target in arp.targets:
            if not _is_address(target, Family.IPV4):
                yield Problem(
                    iface.name, f"arpmon target '{target}' is not an IPv4 address", arp.line
                )
        if arp.interval == 0:
            yield Problem(iface.name, "arpmon interval must be above 0 ms", arp.line)
        if bond.mode in (BondMode.LACP, BondMode.BALANCE_TLB, BondMode.BALANCE_ALB):
            yield Problem(
                iface.name,
                f"the kernel does not support ARP monitoring in mode {bond.mode}; use miimon",
                arp.line,
            )
    for what, value, mon_line in _bond_numbers(bond):
        if not 0 <= value <= BOND_MS_MAX:
            yield Problem(
                iface.name,
                f"{what} {value} ms is outside 0-{BOND_MS_MAX} (the bonding driver's limit)",
                mon_line or line,
            )
    if bond.miimon is not None:
        mii = bond.miimon
        if mii.freq == 0 and (mii.updelay or mii.downdelay):
            yield Problem(iface.name, "updelay/downdelay need a miimon frequency", mii.line)
        for what, value in (("updelay", mii.updelay), ("downdelay", mii.downdelay)):
            if mii.freq and value % mii.freq:
                yield Problem(
                    iface.name,
                    f"miimon {what} {value} is not a multiple of freq {mii.freq}; "
                    "the kernel rounds it down",
                    mii.line,
                    "warning",
                )
    if bond.lacp_rate is not None and bond.mode not in LACP_RATE_MODES:
        yield Problem(iface.name, "lacp_rate applies only to mode 802.3ad", line)
    if bond.xmit_hash_policy is not None and bond.mode not in XMIT_HASH_MODES:
        yield Problem(
            iface.name,
            "xmit_hash_policy applies only to modes balance-xor, 802.3ad and balance-tlb",
            line,
        )
    if bond.primary_slave is not None:
        if bond.mode not in PRIMARY_MODES:
            modes = ", ".join(sorted(PRIMARY_MODES))
            yield Problem(
                iface.name,
                f"primary {bond.primary_slave} is only possible in modes {modes}, "
                f"not {bond.mode or 'balance-rr (the default)'}",
                line,
            )
        if bond.primary_slave not in {s.name for s in bond.slaves}:
            yield Problem(
                iface.name, f"primary {bond.primary_slave} is not one of the slaves", line
            )


def _bond_numbers(bond: Bond) -> list[tuple[str, int, int | None]]:
    """The bond's millisecond values, each with its name and line."""
    found = []
    if bond.miimon is not None:
        mii = bond.miimon
        for what, value in (("miimon freq", mii.freq), ("updelay", mii.updelay)):
            found.append((what, value, mii.line))
        found.append(("downdelay", mii.downdelay, mii.line))
    if bond.arpmon is not None:
        found.append(("arpmon interval", bond.arpmon.interval, bond.arpmon.line))
    return found


def _is_address(text: str, family: Family) -> bool:
    if "%" in text:
        # Python accepts any IPv6 scope id ("fe80::1%anything"), and whatever follows the
        # "%" would reach the distro files: no scope ids in definitions.
        return False
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    return ip.version == (4 if family is Family.IPV4 else 6)


def _check_protocol(iface: Interface, proto: Protocol) -> Iterator[Problem]:
    line = proto.line or iface.line
    max_prefix = prefix_max(proto.family)
    networks = []
    for ip in proto.addresses:
        if not _is_address(ip.address, proto.family):
            yield Problem(iface.name, f"'{ip.address}' is not an {proto.family} address", line)
            continue
        if ip.prefix is not None and not 0 < ip.prefix <= max_prefix:
            yield Problem(
                iface.name,
                f"prefix /{ip.prefix} of {ip.address} is outside 1-{max_prefix}",
                line,
            )
            continue
        address = ipaddress.ip_address(ip.address)
        if address.is_multicast or address.is_unspecified:
            yield Problem(iface.name, f"{ip.address} cannot be assigned to an interface", line)
            continue
        prefix = ip.prefix if ip.prefix is not None else max_prefix
        networks.append(ipaddress.ip_interface(f"{ip.address}/{prefix}").network)
    seen = set()
    for ip in proto.addresses:
        if ip.address in seen:
            yield Problem(iface.name, f"address {ip.address} is listed twice", line)
        seen.add(ip.address)
    if proto.gateway is not None:
        if not _is_address(proto.gateway, proto.family):
            yield Problem(
                iface.name, f"gateway '{proto.gateway}' is not an {proto.family} address", line
            )
        else:
            gw = ipaddress.ip_address(proto.gateway)
            local = proto.family is Family.IPV6 and gw.is_link_local
            if networks and not local and not any(gw in net for net in networks):
                yield Problem(
                    iface.name,
                    f"gateway {proto.gateway} is outside every configured subnet "
                    f"({', '.join(str(n) for n in networks)})",
                    line,
                    "warning",
                )
            if not networks and not proto.dhcp and not proto.autoconf and not local:
                yield Problem(
                    iface.name,
                    f"gateway {proto.gateway} given without any address to reach it",
                    line,
                    "warning",
                )
    yield from _check_routes(iface, proto, networks)


METRIC_MAX = 2**32 - 1


def _check_routes(
    iface: Interface, proto: Protocol, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> Iterator[Problem]:
    """Static routes: a network address of the family, a gateway the interface reaches
    (through one of its subnets, an on-link route of its own, or IPv6 link-local), a metric
    of 32 bits, each destination and metric once."""
    max_prefix = 32 if proto.family is Family.IPV4 else 128
    onlink = list(networks)
    for route in proto.routes:
        if route.gateway is None and _is_address(route.address, proto.family):
            if 0 <= route.prefix <= max_prefix:
                onlink.append(ipaddress.ip_network(route.destination, strict=False))
    seen: set[tuple[str, int | None]] = set()
    for route in proto.routes:
        line = route.line or proto.line or iface.line
        if not _is_address(route.address, proto.family):
            yield Problem(
                iface.name, f"route to '{route.address}' is not an {proto.family} network", line
            )
            continue
        if not 0 <= route.prefix <= max_prefix:
            yield Problem(
                iface.name,
                f"route {route.address}/{route.prefix}: prefix is outside 0-{max_prefix}",
                line,
            )
            continue
        net = ipaddress.ip_network(route.destination, strict=False)
        if str(net.network_address) != str(ipaddress.ip_address(route.address)):
            yield Problem(
                iface.name,
                f"route {route.destination} has host bits set; the network is {net}",
                line,
            )
        if route.metric is not None and route.metric > METRIC_MAX:
            yield Problem(
                iface.name, f"route {route.destination}: metric {route.metric} exceeds 32 bits",
                line,
            )  # fmt: skip
        key = (str(net), route.metric)
        if key in seen:
            yield Problem(iface.name, f"route {route} is given twice", line)
        seen.add(key)
        if route.gateway is None:
            continue
        if not _is_address(route.gateway, proto.family):
            yield Problem(
                iface.name,
                f"route {route.destination}: gateway '{route.gateway}' is not an "
                f"{proto.family} address",
                line,
            )
            continue
        gw = ipaddress.ip_address(route.gateway)
        if proto.family is Family.IPV6 and gw.is_link_local:
            continue
        if any(gw in n for n in onlink):
            continue
        if proto.dhcp or proto.autoconf:
            continue  # the subnet comes from the lease: not known here
        yield Problem(
            iface.name,
            f"route {route.destination}: gateway {route.gateway} is not reachable through "
            f"{iface.name} (outside {', '.join(str(n) for n in networks) or 'every subnet'}); "
            "add an on-link route to it or an address in its subnet",
            line,
        )


def dns_problems(iface: Interface) -> Iterator[Problem]:
    """Resolver settings: addresses for servers, host names for search domains."""
    dns = iface.dns
    if not dns:
        return
    line = dns.line or iface.line
    for server in dns.servers:
        if not (_is_address(server, Family.IPV4) or _is_address(server, Family.IPV6)):
            yield Problem(iface.name, f"DNS server '{server}' is not an IP address", line)
    if len(set(dns.servers)) != len(dns.servers):
        yield Problem(iface.name, "a DNS server is listed twice", line)
    if len(dns.servers) > 3:
        yield Problem(
            iface.name,
            f"{len(dns.servers)} DNS servers: the C library's resolver uses the first three",
            line,
            "warning",
        )
    for domain in dns.search:
        if not _is_domain(domain):
            yield Problem(iface.name, f"search domain '{domain}' is not a domain name", line)


def _is_domain(text: str) -> bool:
    name = text[:-1] if text.endswith(".") else text
    if not name or len(name) > 253:
        return False
    return all(
        0 < len(label) <= 63
        and label[0] != "-"
        and label[-1] != "-"
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in label)
        for label in name.split(".")
    )
