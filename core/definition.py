"""An interface's definition (what the host's files say) with its live state beside it.

The definition is what an admin edits; the kernel's state fills only what the files are
silent about.  Pure functions over model values: the files are read by a backend and the
kernel by ``core.live`` before they get here.

- ``definition_of``: the files' definition of an interface, else one derived from the live
  state in which a lease stays ``<dhcp/>`` and a SLAAC address ``<autoconf/>``.
- ``with_live``: the definition with live facts that configure nothing (link state and
  speed), for ``dumpxml``; ``running_note`` says what runs in one comment line.
- ``keep_defined``: an applied document silent about the start mode keeps the files' mode.
- ``drift``: each difference between a definition and the running state, one line each.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Collection, Iterator, Sequence

from ifsmith.core import bridge_vlans, options
from ifsmith.core.live import interface_from_live, live_routes, vlan_notes
from ifsmith.core.model import (
    PRIMARY_MODES,
    Family,
    FlatInterface,
    IfType,
    Interface,
    IpAddress,
    LiveAddress,
    LiveHost,
    LiveLink,
    Protocol,
    Route,
    StartMode,
    flatten,
)
from ifsmith.core.routes import same_route


def find(defined: Sequence[Interface], name: str) -> tuple[Interface, Interface] | None:
    """The defined interface named ``name`` (top level or nested) and its top-level one."""
    for top in defined:
        for iface, _master in top.walk():
            if iface.name == name:
                return iface, top
    return None


def definition_of(defined: Sequence[Interface], live: LiveHost, name: str) -> Interface | None:
    """What an admin edits: the files' definition, else one derived from the live state."""
    found = find(defined, name)
    if found is not None:
        return found[0]
    if live.link(name) is None:
        return None
    return derive(live, name)


def derive(live: LiveHost, name: str) -> Interface:
    """A definition for an interface the files do not define, from what the kernel runs.

    A lease stays a lease: addresses the kernel marks dynamic become ``<dhcp/>`` (IPv6:
    ``<dhcp/>`` or ``<autoconf/>`` as the address's origin says), never a static copy, and
    the default route of a family that came by DHCP or SLAAC is not pinned as a gateway.
    """
    return _without_link_state(_leases_as_dhcp(interface_from_live(live, name), live))


def _leases_as_dhcp(iface: Interface, live: LiveHost) -> Interface:
    link = live.link(iface.name)
    protocols = iface.protocols
    if link is not None and iface.protocols:
        protocols = tuple(_protocol_from_live(p, link) for p in iface.protocols)
    return dataclasses.replace(iface, protocols=protocols)


def _protocol_from_live(proto: Protocol, link: LiveLink) -> Protocol:
    dynamic = [a for a in link.addresses if a.family is proto.family and a.dynamic]
    if not dynamic:
        return proto
    leased = {(a.address, a.prefix) for a in dynamic}
    origins = {a.origin for a in dynamic}
    dhcp = "dhcp" in origins
    autoconf = proto.family is Family.IPV6 and "autoconf" in origins
    return dataclasses.replace(
        proto,
        dhcp=dhcp or proto.dhcp,
        autoconf=autoconf or proto.autoconf,
        addresses=tuple(a for a in proto.addresses if (a.address, a.prefix) not in leased),
        # The router came with the lease (or the router advertisement).
        gateway=None,
    )


def _without_link_state(iface: Interface) -> Interface:
    bond, bridge = iface.bond, iface.bridge
    if bond is not None:
        bond = dataclasses.replace(bond, slaves=tuple(map(_without_link_state, bond.slaves)))
    if bridge is not None:
        bridge = dataclasses.replace(bridge, ports=tuple(map(_without_link_state, bridge.ports)))
    return dataclasses.replace(iface, link=None, bond=bond, bridge=bridge)


def with_live(iface: Interface, live: LiveHost) -> Interface:
    """The definition with the live facts that configure nothing: each running device's
    ``<link state speed>`` (libvirt's parser and ifsmith's ignore it on input)."""
    link = live.link(iface.name)
    state = None
    if link is not None and iface.type is not IfType.BRIDGE:
        state = interface_from_live(live, iface.name).link
    bond, bridge = iface.bond, iface.bridge
    if bond is not None:
        bond = dataclasses.replace(bond, slaves=tuple(with_live(s, live) for s in bond.slaves))
    if bridge is not None:
        bridge = dataclasses.replace(bridge, ports=tuple(with_live(p, live) for p in bridge.ports))
    return dataclasses.replace(iface, link=state, bond=bond, bridge=bridge)


def running_note(name: str, live: LiveHost) -> str | None:
    """One line on what runs, for a comment above ``dumpxml``'s definition:
    ``eth0 running: up, 10.55.0.123/24 (dhcp lease), gateway 10.55.0.1``."""
    link = live.link(name)
    if link is None:
        return f"{name} is not running"
    parts = ["up" if link.admin_up else "down"]
    if link.mtu is not None:
        parts.append(f"mtu {link.mtu}")
    for a in link.addresses:
        if a.scope == "global":
            parts.append(f"{a} ({_origin_words(a)})" if a.dynamic else str(a))
    for family, gateway in sorted(live.gateways(name).items()):
        parts.append(f"{family} gateway {gateway}")
    if link.master:
        parts.append(f"in {link.master}")
    return f"{name} running: " + ", ".join(parts + vlan_notes(live, name))


def with_running(iface: Interface, live: LiveHost) -> Interface:
    """The definition joined with what the device really runs (iface-bridge moves both):
    static addresses added by hand, and the default route of a family that is not DHCP or
    SLAAC.  Leases stay leases: they are the definition's ``<dhcp/>``, not copies."""
    link = live.link(iface.name)
    if link is None:
        return iface
    gateways = live.gateways(iface.name)
    protocols = []
    for family in (Family.IPV4, Family.IPV6):
        proto = iface.protocol(family)
        static = [
            a
            for a in link.addresses
            if a.family is family and a.scope == "global" and not a.dynamic
        ]
        if proto is None and not static:
            continue
        proto = proto or Protocol(family)
        known = {_key(a.address, a.prefix) for a in proto.addresses}
        extra = tuple(
            IpAddress(a.address, a.prefix) for a in static if _key(a.address, a.prefix) not in known
        )
        gateway = proto.gateway
        if gateway is None and not (proto.dhcp or proto.autoconf):
            gateway = gateways.get(family)
        routes = proto.routes + tuple(
            r for r in live_routes(live, iface.name, family) if not _route_defined(r, proto)
        )
        protocols.append(
            dataclasses.replace(
                proto, addresses=proto.addresses + extra, gateway=gateway, routes=routes
            )
        )
    return dataclasses.replace(iface, protocols=tuple(protocols))


def _route_defined(running: Route, proto: Protocol | None) -> bool:
    """Is this running route one the protocol defines?  A definition without a metric
    takes whatever metric the stack gives (NetworkManager's is the device's)."""
    return any(same_route(route, running) for route in (proto.routes if proto is not None else ()))


def _origin_words(address: LiveAddress) -> str:
    return "SLAAC" if address.origin == "autoconf" else "dhcp lease"


def keep_defined(desired: Sequence[Interface], defined: Sequence[Interface]) -> list[Interface]:
    """Absent is not "off": a top-level interface whose document says nothing about its
    start mode keeps the one its files had (an explicit ``<start mode='none'/>`` turns
    boot activation off)."""
    out = []
    for iface in desired:
        if iface.start_mode is None:
            found = find(defined, iface.name)
            if found is not None:
                old, top = found
                mode = old.start_mode if old is top else None
                if mode is not None:
                    iface = dataclasses.replace(iface, start_mode=mode)
        out.append(iface)
    return out


def boot_off_warnings(
    desired: Sequence[Interface],
    defined: Sequence[Interface],
    live: LiveHost,
    clients: Collection[str] = (),
) -> list[str]:
    """In words, for the plan: boot activation turned off on an interface that carries
    the default route or the path to an ssh client (``clients``: their addresses)."""
    carriers = session_links(live, clients)
    warnings = []
    for iface in desired:
        if iface.start_mode is not StartMode.NONE:
            continue
        found = find(defined, iface.name)
        was = found[0].start_mode if found is not None else None
        if was in (StartMode.NONE, None) and found is not None:
            continue
        why = carriers.get(iface.name)
        if why is None:
            for sub, _m in iface.walk():
                if sub.name in carriers:
                    why = f"{carriers[sub.name]} (through {sub.name})"
                    break
        if why is not None:
            warnings.append(
                f"{iface.name}: boot activation turned off (start mode none); after a "
                f"reboot it stays down, and it carries {why}"
            )
    return warnings


def session_links(live: LiveHost, clients: Collection[str]) -> dict[str, str]:
    """Links that carry the default route or reach an ssh client, with what they carry."""
    carriers: dict[str, str] = {}
    for route in live.routes:
        if route.dst == "default" and route.ifname:
            carriers.setdefault(route.ifname, f"the {route.family} default route")
    for client in clients:
        link = _link_towards(live, client)
        if link is not None:
            carriers[link] = f"the ssh session from {client}"
    return carriers


def _link_towards(live: LiveHost, address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return None
    for link in live.links:
        for a in link.addresses:
            network = ipaddress.ip_interface(f"{a.address}/{a.prefix}").network
            if ip.version == network.version and ip in network:
                return link.name
    family = Family.IPV4 if ip.version == 4 else Family.IPV6
    best: tuple[int, str] | None = None  # the longest static route that holds the address
    for r in live.routes:
        if r.dst != "default" and r.ifname and r.family is family:
            net = ipaddress.ip_network(r.dst, strict=False)
            if ip in net and (best is None or net.prefixlen > best[0]):
                best = (net.prefixlen, r.ifname)
    if best is not None:
        return best[1]
    return next((r.ifname for r in live.routes if r.dst == "default" and r.family is family), None)


# ---------------------------------------------------------------------------------------
# Drift: defined versus running.


def drift(defined: Interface, live: LiveHost) -> list[str]:
    """Each difference between a top-level definition and what runs, one line each
    (``bond0: mtu 9000 defined, 1500 running``); [] when they agree."""
    lines: list[str] = []
    names = set()
    flats = flatten([defined])
    filtering = {
        f.name for f in flats if f.interface.bridge and f.interface.bridge.options.vlan_filtering
    }
    for flat in flats:
        names.add(flat.name)
        lines.extend(_device_drift(flat, live))
        lines.extend(_vlan_drift(flat, live, filtering))
    for link in live.links:
        if link.master in names and link.name not in names:
            lines.append(f"{link.master}: {link.name} is enslaved running, not defined")
    return lines


def _device_drift(flat: FlatInterface, live: LiveHost) -> Iterator[str]:
    iface, name = flat.interface, flat.name
    link = live.link(name)
    if link is None:
        yield f"{name}: defined, not running"
        return
    if link.type is not iface.type:
        yield f"{name}: {iface.type} defined, {link.kind or 'ethernet'} running"
        return
    if flat.master != link.master:
        yield f"{name}: master {flat.master or 'none'} defined, {link.master or 'none'} running"
    if flat.start_mode is StartMode.ONBOOT and flat.master is None and not link.admin_up:
        yield f"{name}: starts at boot, down now"
    if flat.mtu is not None and link.mtu is not None and flat.mtu != link.mtu:
        yield f"{name}: mtu {flat.mtu} defined, {link.mtu} running"
    if iface.mac and link.mac and iface.mac.lower() != link.mac.lower():
        yield f"{name}: mac {iface.mac} defined, {link.mac} running"
    if flat.master is None:
        yield from _address_drift(iface, link, live)
    elif flat.master_type is IfType.BRIDGE and flat.master == link.master:
        for d in options.drift(iface.port_options, link.port_options):
            yield f"{name}: bridge port option {d}"
    yield from _kind_drift(iface, link)


def _vlan_drift(flat: FlatInterface, live: LiveHost, filtering: set[str]) -> Iterator[str]:
    """The VLANs of a filtering bridge (its own) or of a port of one, defined vs running."""
    link = live.link(flat.name)
    if link is None or link.vlans is None:
        return
    iface = flat.interface
    if flat.name in filtering and iface.bridge is not None:
        wanted = bridge_vlans.bridge_membership(iface.bridge.options)
        what = "bridge own"
    elif flat.master in filtering and link.master == flat.master:
        wanted = bridge_vlans.port_membership(iface.port_options)
        what = "bridge port"
    else:
        return
    for d in bridge_vlans.drift(wanted, link.vlans):
        yield f"{flat.name}: {what} {d}"


def _address_drift(iface: Interface, link: LiveLink, live: LiveHost) -> Iterator[str]:
    name = iface.name
    gateways = live.gateways(name)
    for family in (Family.IPV4, Family.IPV6):
        proto = iface.protocol(family)
        running = [a for a in link.addresses if a.family is family and a.scope == "global"]
        wanted = {_key(a.address, a.prefix) for a in proto.addresses} if proto else set()
        have = {_key(a.address, a.prefix): a for a in running}
        for ip in proto.addresses if proto else ():
            if _key(ip.address, ip.prefix) not in have:
                yield f"{name}: address {ip} defined, not running"
        dynamic_ok = proto is not None and (proto.dhcp or proto.autoconf)
        for key, a in have.items():
            if key in wanted or (a.dynamic and dynamic_ok):
                continue
            lease = f" ({_origin_words(a)})" if a.dynamic else ""
            yield f"{name}: address {a}{lease} running, not defined"
        if proto is not None and proto.dhcp and family is Family.IPV4:
            if not any(a.dynamic for a in running):
                yield f"{name}: {family} DHCP defined, no lease running"
        if proto is not None and proto.gateway is not None:
            now = gateways.get(family)
            if now is None or _key(now, None) != _key(proto.gateway, None):
                yield f"{name}: gateway {proto.gateway} defined, {now or 'none'} running"
        elif family in gateways and not dynamic_ok:
            yield f"{name}: gateway {gateways[family]} running, not defined"
        running_routes = live_routes(live, name, family)
        for route in proto.routes if proto is not None else ():
            alone = Protocol(family, routes=(route,))
            if not any(_route_defined(r, alone) for r in running_routes):
                yield f"{name}: route {route} defined, not running"
        for r in running_routes:
            if not _route_defined(r, proto):
                yield f"{name}: route {r} running, not defined"


def _key(address: str, prefix: int | None) -> tuple[str, int | None]:
    try:
        return ipaddress.ip_address(address).compressed, prefix
    except ValueError:
        return address, prefix


def _kind_drift(iface: Interface, link: LiveLink) -> Iterator[str]:
    name = iface.name
    bond, lb = iface.bond, link.bond
    if bond is not None and lb is not None:
        if bond.mode is not None and bond.mode is not lb.mode:
            yield f"{name}: bond mode {bond.mode} defined, {lb.mode} running"
        if bond.miimon is not None and bond.miimon.freq != lb.miimon:
            yield f"{name}: miimon {bond.miimon.freq} defined, {lb.miimon} running"
        if bond.arpmon is not None and bond.arpmon.interval != lb.arp_interval:
            yield f"{name}: arp interval {bond.arpmon.interval} defined, {lb.arp_interval} running"
        primary = bond.primary
        if lb.mode in PRIMARY_MODES and primary is not None and lb.primary not in (None, primary):
            yield f"{name}: primary {primary} defined, {lb.primary} running"
        yield from (f"{name}: bond option {d}" for d in options.drift(bond.options, lb.options))
    bridge, lbr = iface.bridge, link.bridge
    if bridge is not None and lbr is not None:
        if bridge.stp is not None and bridge.stp != lbr.stp:
            yield f"{name}: stp {_on(bridge.stp)} defined, {_on(lbr.stp)} running"
        if (
            bridge.stp is not False
            and bridge.delay is not None
            and abs(bridge.delay - lbr.forward_delay) > 0.01
        ):
            yield (
                f"{name}: forward delay {bridge.delay:g} s defined, {lbr.forward_delay:g} s running"
            )
        for d in options.drift(bridge.options, lbr.options):
            yield f"{name}: bridge option {d}"
    vlan = iface.vlan
    if vlan is not None:
        if link.vlan_tag is not None and vlan.tag != link.vlan_tag:
            yield f"{name}: vlan tag {vlan.tag} defined, {link.vlan_tag} running"
        if vlan.parent is not None and link.parent is not None and vlan.parent != link.parent:
            yield f"{name}: vlan parent {vlan.parent} defined, {link.parent} running"


def _on(value: bool) -> str:
    return "on" if value else "off"


def undefined_running(defined: Sequence[Interface], live: LiveHost) -> list[str]:
    """Links that run configured without a definition: virtual devices, and NICs with
    global addresses (an unconfigured NIC, down or bare, is not drift)."""
    names = {i.name for top in defined for i, _m in top.walk()}
    out = []
    for link in live.links:
        if link.is_loopback or link.name in names or link.master in names:
            continue
        addressed = any(a.scope == "global" for a in link.addresses)
        if link.kind in ("bond", "bridge", "vlan") or addressed:
            what = ", ".join(str(a) for a in link.addresses if a.scope == "global")
            out.append(f"{link.name}: running, not defined" + (f" ({what})" if what else ""))
    return out
