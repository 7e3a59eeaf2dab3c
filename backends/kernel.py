"""The kernel activator: carries out a Plan through rtnetlink.

Each operation is one RTM_* request with an acknowledgement, sent on one socket opened
inside the Host's namespace, in the plan's order; the first refusal stops the run with a
message naming the interface and the operation.  Requests are encoded here with
``struct`` (like ``ip -batch`` does in C) rather than through pyroute2's generic message
classes, which cost more per message than the kernel spends on most of them; pyroute2's
netns machinery is not needed either, core.live opens the socket inside the namespace.

Deletes are idempotent (a device or address already gone is fine), so a rollback can be
repeated.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from ifsmith.core.bridge_vlans import Membership
from ifsmith.core.errors import IfsmithError
from ifsmith.core.host import Host
from ifsmith.core.live import (
    IFLA_BOND_AD_LACP_RATE,
    IFLA_BOND_ARP_INTERVAL,
    IFLA_BOND_ARP_IP_TARGET,
    IFLA_BOND_ARP_VALIDATE,
    IFLA_BOND_DOWNDELAY,
    IFLA_BOND_MIIMON,
    IFLA_BOND_MODE,
    IFLA_BOND_PRIMARY,
    IFLA_BOND_UPDELAY,
    IFLA_BOND_USE_CARRIER,
    IFLA_BOND_XMIT_HASH_POLICY,
    IFLA_BR_FORWARD_DELAY,
    IFLA_BR_STP_STATE,
    IFLA_EXT_MASK,
    IFLA_IFNAME,
    IFLA_INFO_DATA,
    IFLA_INFO_KIND,
    IFLA_LINK,
    IFLA_LINKINFO,
    IFLA_MASTER,
    IFLA_MTU,
    IFLA_VLAN_FLAGS,
    IFLA_VLAN_ID,
    NLMSG_ERROR,
    RTEXT_FILTER_SKIP_STATS,
    RTM_DELLINK,
    RTM_GETLINK,
    RTM_NEWLINK,
    VLAN_FLAG_REORDER_HDR,
    DumpInterrupted,
    HeldLease,
    held_leases,
    netlink_socket,
)
from ifsmith.core.model import ArpValidate, Family, LacpRate, XmitHashPolicy
from ifsmith.core.options import BondOptions, BridgeOptions, PortOptions, without_defaults
from ifsmith.core.options_netlink import (
    AF_BRIDGE,
    BRIDGE_FLAGS_MASTER,
    BRIDGE_FLAGS_SELF,
    IFLA_AF_SPEC,
    IFLA_BRIDGE_FLAGS,
    IFLA_INFO_SLAVE_DATA,
    IFLA_INFO_SLAVE_KIND,
    encode_all,
    encode_vlans,
)
from ifsmith.core.plan import (
    AddAddress,
    AddRoute,
    BondSpec,
    BridgeSpec,
    CreateLink,
    DelAddress,
    DelDefaultRoute,
    DeleteLink,
    DelRoute,
    Op,
    Plan,
    SetBond,
    SetBridge,
    SetBridgeVlans,
    SetDefaultRoute,
    SetMac,
    SetMaster,
    SetMtu,
    SetPort,
    SetUp,
    SetVlanFlags,
)

if TYPE_CHECKING:
    from ifsmith.backends.kernel_addresses import Ledger

NAME = "kernel"

RTM_SETLINK = 19
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE = 0x100, 0x200, 0x400
RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE = 20, 21, 24, 25
IFLA_ADDRESS = 1
IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_CACHEINFO = 1, 2, 4, 6
IFA_F_NODAD = 0x02
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY = 1, 4, 5, 6
RT_TABLE_MAIN, RTPROT_STATIC, RTN_UNICAST, RT_SCOPE_LINK = 254, 4, 1, 253
IFF_UP = 0x1
VETH_INFO_PEER = 1
NLA_F_NESTED = 0x8000

_HDR = struct.Struct("=IHHII")
_IFINFO = struct.Struct("=BxHiII")
_IFADDR = struct.Struct("=BBBBI")
_RTMSG = struct.Struct("=BBBBBBBBI")

_FAMILY = {Family.IPV4: socket.AF_INET, Family.IPV6: socket.AF_INET6}
_XMIT = list(XmitHashPolicy)
_VALIDATE = list(ArpValidate)


class KernelError(IfsmithError):
    """The kernel refused an operation."""


def attr(kind: int, payload: bytes) -> bytes:
    """One rtattr, padded to 4 bytes."""
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def nested(kind: int, *attrs: bytes) -> bytes:
    return attr(kind | NLA_F_NESTED, b"".join(attrs))


def u8(kind: int, value: int) -> bytes:
    return attr(kind, struct.pack("=B", value))


def u16(kind: int, value: int) -> bytes:
    return attr(kind, struct.pack("=H", value))


def u32(kind: int, value: int) -> bytes:
    return attr(kind, struct.pack("=I", value))


def string(kind: int, value: str) -> bytes:
    return attr(kind, value.encode() + b"\0")


class Netlink:
    """One rtnetlink socket in a namespace, sending requests one at a time with acks."""

    def __init__(self, host: Host) -> None:
        self.sock = netlink_socket(host.netns)
        self.seq = 0
        self.indexes: dict[str, int] = {}
        self.leases: dict[tuple[int, bytes], HeldLease] | None = None
        self.ledger: Ledger | None = None  # the plan's addresses (backends.kernel_addresses)

    def close(self) -> None:
        self.sock.close()

    def request(self, msg_type: int, flags: int, body: bytes) -> bytes:
        """Send one request; return the reply (for GET) or raise OSError from the ack."""
        self.seq += 1
        header = _HDR.pack(_HDR.size + len(body), msg_type, NLM_F_REQUEST | flags, self.seq, 0)
        self.sock.send(header + body)
        while True:
            data = self.sock.recv(1 << 16)
            offset = 0
            while offset + _HDR.size <= len(data):
                length, kind, _f, seq, _pid = _HDR.unpack_from(data, offset)
                if seq == self.seq:
                    if kind == NLMSG_ERROR:
                        (code,) = struct.unpack_from("=i", data, offset + _HDR.size)
                        if code:
                            raise OSError(-code, os.strerror(-code))
                        return b""
                    return data[offset : offset + length]
                offset += (length + 3) & ~3

    def index(self, name: str) -> int:
        """The ifindex of a device by name (cached until a create or delete)."""
        if name not in self.indexes:
            body = _IFINFO.pack(0, 0, 0, 0, 0) + string(IFLA_IFNAME, name)
            body += u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)
            try:
                reply = self.request(RTM_GETLINK, 0, body)
            except OSError as exc:
                if exc.errno == errno.ENODEV:
                    raise KernelError(f"{name}: no such device") from None
                raise
            self.indexes[name] = _IFINFO.unpack_from(reply, _HDR.size)[2]
        return self.indexes[name]

    def lease(self, family: int, raw: bytes, index: int) -> HeldLease | None:
        """This address where another device holds it with a finite lifetime: a lease
        moving to a bridge or bond keeps what is left of it (and its broadcast), so it
        still expires if no client renews it (and dhclient-script's BOUND, which only adds,
        finds it complete).  None for a permanent address.  One dump, on first use: the
        plan adds an address before removing it from the device it leaves."""
        if self.leases is None:
            self.seq += 1
            try:
                self.leases = held_leases(self.sock, self.seq)
            except DumpInterrupted:
                self.leases = {}  # addresses changing meanwhile: added without lifetimes, as before
        held = self.leases.get((family, raw))
        return held if held is not None and held.index != index else None

    def link_body(self, name: str, *attrs: bytes, flags: int = 0, change: int = 0) -> bytes:
        return _IFINFO.pack(0, 0, self.index(name), flags, change) + b"".join(attrs)


def bond_data(net: Netlink, bond: BondSpec, with_mode: bool) -> bytes:
    """IFLA_INFO_DATA for a bond: the options the spec sets."""
    out = b""
    if with_mode and bond.mode is not None:
        out += u8(IFLA_BOND_MODE, bond.mode.number)
    if bond.miimon is not None:
        out += u32(IFLA_BOND_MIIMON, bond.miimon)
    if bond.updelay is not None:
        out += u32(IFLA_BOND_UPDELAY, bond.updelay)
    if bond.downdelay is not None:
        out += u32(IFLA_BOND_DOWNDELAY, bond.downdelay)
    if bond.use_carrier is not None:
        out += u8(IFLA_BOND_USE_CARRIER, int(bond.use_carrier))
    if bond.arp_interval is not None:
        out += u32(IFLA_BOND_ARP_INTERVAL, bond.arp_interval)
    if bond.arp_targets is not None:
        targets = b"".join(attr(i, socket.inet_aton(t)) for i, t in enumerate(bond.arp_targets))
        out += attr(IFLA_BOND_ARP_IP_TARGET | NLA_F_NESTED, targets)
    if bond.arp_validate is not None:
        out += u32(IFLA_BOND_ARP_VALIDATE, _VALIDATE.index(bond.arp_validate))
    if bond.primary is not None:
        out += u32(IFLA_BOND_PRIMARY, net.index(bond.primary))
    if bond.xmit_hash_policy is not None:
        out += u8(IFLA_BOND_XMIT_HASH_POLICY, _XMIT.index(bond.xmit_hash_policy))
    if bond.lacp_rate is not None:
        out += u8(IFLA_BOND_AD_LACP_RATE, int(bond.lacp_rate is LacpRate.FAST))
    extra = without_defaults(bond.extra) if with_mode else bond.extra  # a new bond has them
    return out + _options(extra)


def _options(options: BondOptions | BridgeOptions | PortOptions) -> bytes:
    """The options as IFLA_BOND_* / IFLA_BR_* / IFLA_BRPORT_* attributes (in the
    kernel's attribute order; the kernel applies a bond's in its own fixed order, mode and
    miimon first)."""
    return b"".join(attr(number, payload) for number, payload in encode_all(options))


def bridge_data(bridge: BridgeSpec) -> bytes:
    out = b""
    if bridge.forward_delay is not None:
        # The kernel keeps forward delay in clock_t (USER_HZ = 100).
        out += u32(IFLA_BR_FORWARD_DELAY, round(bridge.forward_delay * 100))
    if bridge.stp is not None:
        out += u32(IFLA_BR_STP_STATE, int(bridge.stp))
    return out + _options(bridge.extra)


def _create(net: Netlink, op: CreateLink) -> None:
    info = string(IFLA_INFO_KIND, op.kind)
    extra = b""
    if op.kind == "bond" and op.bond is not None:
        data = bond_data(net, op.bond, with_mode=True)
        info += nested(IFLA_INFO_DATA, data) if data else b""
    elif op.kind == "bridge" and op.bridge is not None:
        # A new bridge filters no VLANs: "off" is not sent, which a kernel without VLAN
        # filtering would refuse.
        options = op.bridge.extra
        options = replace(options, vlan_filtering=options.vlan_filtering or None)
        data = bridge_data(replace(op.bridge, extra=options))
        info += nested(IFLA_INFO_DATA, data) if data else b""
    elif op.kind == "vlan" and op.vlan is not None:
        data = u16(IFLA_VLAN_ID, op.vlan.tag)
        if op.vlan.reorder_hdr is not None:
            flags = VLAN_FLAG_REORDER_HDR if op.vlan.reorder_hdr else 0
            data += attr(IFLA_VLAN_FLAGS, struct.pack("=II", flags, VLAN_FLAG_REORDER_HDR))
        info += nested(IFLA_INFO_DATA, data)
        extra = u32(IFLA_LINK, net.index(op.vlan.parent))
    elif op.kind == "veth" and op.peer:
        peer = _IFINFO.pack(0, 0, 0, 0, 0) + string(IFLA_IFNAME, op.peer)
        info += nested(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer))
    body = _IFINFO.pack(0, 0, 0, 0, 0) + string(IFLA_IFNAME, op.name) + extra
    body += nested(IFLA_LINKINFO, info)
    net.request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, body)


def _delete(net: Netlink, op: DeleteLink) -> None:
    try:
        net.request(RTM_DELLINK, NLM_F_ACK, net.link_body(op.name))
    except KernelError:
        pass  # already gone
    except OSError as exc:
        if exc.errno != errno.ENODEV:
            raise
    net.indexes.clear()  # a veth's peer goes with it


def _set_bond(net: Netlink, op: SetBond) -> None:
    info = string(IFLA_INFO_KIND, "bond") + nested(
        IFLA_INFO_DATA, bond_data(net, op.bond, with_mode=False)
    )
    body = net.link_body(op.name, nested(IFLA_LINKINFO, info))
    try:
        net.request(RTM_NEWLINK, NLM_F_ACK, body)
    except OSError as exc:
        if exc.errno not in (errno.EBUSY, errno.EPERM, errno.EINVAL):
            raise
        # Some options (lacp_rate) change only while the bond is down.
        net.request(RTM_NEWLINK, NLM_F_ACK, net.link_body(op.name, flags=0, change=IFF_UP))
        net.request(RTM_NEWLINK, NLM_F_ACK, body)
        net.request(RTM_NEWLINK, NLM_F_ACK, net.link_body(op.name, flags=IFF_UP, change=IFF_UP))


def _set_bridge(net: Netlink, op: SetBridge) -> None:
    info = string(IFLA_INFO_KIND, "bridge") + nested(IFLA_INFO_DATA, bridge_data(op.bridge))
    net.request(RTM_NEWLINK, NLM_F_ACK, net.link_body(op.name, nested(IFLA_LINKINFO, info)))


def _set_port(net: Netlink, op: SetPort) -> None:
    """A bridge port's options: IFLA_INFO_SLAVE_DATA of kind "bridge" (what
    ``ip link set PORT type bridge_slave cost N priority N`` sends)."""
    info = string(IFLA_INFO_SLAVE_KIND, "bridge")
    info += nested(IFLA_INFO_SLAVE_DATA, _options(op.port))
    net.request(RTM_NEWLINK, NLM_F_ACK, net.link_body(op.name, nested(IFLA_LINKINFO, info)))


def _set_bridge_vlans(net: Netlink, op: SetBridgeVlans) -> None:
    """``bridge vlan add`` then ``bridge vlan del`` for a port (master) or the bridge itself
    (self): AF_BRIDGE requests whose IFLA_AF_SPEC holds the VLAN entries, each one message
    however many VLANs.  Removing a VLAN that is not there is no error (the kernel says
    nothing), so a rollback can be repeated."""
    where = u16(IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_SELF if op.own else BRIDGE_FLAGS_MASTER)
    index = net.index(op.name)
    if op.add:
        spec = nested(IFLA_AF_SPEC, where + encode_vlans(op.add))
        net.request(RTM_SETLINK, NLM_F_ACK, _IFINFO.pack(AF_BRIDGE, 0, index, 0, 0) + spec)
    if op.remove:
        gone = Membership(tagged=op.remove)
        spec = nested(IFLA_AF_SPEC, where + encode_vlans(gone))
        # The family is what makes this a VLAN delete: RTM_DELLINK of family 0 deletes
        # the device itself.
        net.request(RTM_DELLINK, NLM_F_ACK, _IFINFO.pack(AF_BRIDGE, 0, index, 0, 0) + spec)


def _set_vlan_flags(net: Netlink, op: SetVlanFlags) -> None:
    flags = VLAN_FLAG_REORDER_HDR if op.reorder_hdr else 0
    data = attr(IFLA_VLAN_FLAGS, struct.pack("=II", flags, VLAN_FLAG_REORDER_HDR))
    info = string(IFLA_INFO_KIND, "vlan") + nested(IFLA_INFO_DATA, data)
    net.request(RTM_NEWLINK, NLM_F_ACK, net.link_body(op.name, nested(IFLA_LINKINFO, info)))


def _set_master(net: Netlink, op: SetMaster) -> None:
    if op.master is None:
        try:
            net.index(op.name)
        except KernelError:
            return  # releasing a device that is gone (with its deleted parent) is done
    master = net.index(op.master) if op.master else 0
    net.request(RTM_NEWLINK, NLM_F_ACK, net.link_body(op.name, u32(IFLA_MASTER, master)))


def _set_mtu(net: Netlink, op: SetMtu) -> None:
    net.request(RTM_NEWLINK, NLM_F_ACK, net.link_body(op.name, u32(IFLA_MTU, op.mtu)))


def _set_mac(net: Netlink, op: SetMac) -> None:
    mac = bytes(int(b, 16) for b in op.mac.split(":"))
    net.request(RTM_NEWLINK, NLM_F_ACK, net.link_body(op.name, attr(IFLA_ADDRESS, mac)))


def _set_up(net: Netlink, op: SetUp) -> None:
    flags = IFF_UP if op.up else 0
    net.request(RTM_NEWLINK, NLM_F_ACK, net.link_body(op.name, flags=flags, change=IFF_UP))


def _address_body(
    net: Netlink, name: str, family: Family, address: str, prefix: int, flags: int = 0
) -> bytes:
    fam = _FAMILY[family]
    raw = socket.inet_pton(fam, address)
    body = _IFADDR.pack(fam, prefix, flags, 0, net.index(name)) + attr(IFA_LOCAL, raw)
    return body + attr(IFA_ADDRESS, raw)


def _add_address(net: Netlink, op: AddAddress) -> None:
    a = op.addr
    flags = IFA_F_NODAD if op.nodad else 0
    body = _address_body(net, op.name, a.family, a.address, a.prefix, flags)
    # A lease stays a lease (finite lifetime, not permanent): what is left of it where
    # another device holds it now (with its broadcast), else the lifetime the plan saved
    # (a rollback putting a lease back).
    held = net.lease(_FAMILY[a.family], socket.inet_pton(_FAMILY[a.family], a.address),
                     net.index(op.name))  # fmt: skip
    lifetime = held.lifetime if held is not None else op.lifetime
    if lifetime is not None:
        valid, preferred = lifetime  # struct ifa_cacheinfo: preferred, valid, stamps
        body += attr(IFA_CACHEINFO, struct.pack("=IIII", preferred, valid, 0, 0))
    if held is not None and held.broadcast is not None:
        body += attr(IFA_BROADCAST, held.broadcast)
    try:
        net.request(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, body)
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise


def _del_address(net: Netlink, op: DelAddress) -> None:
    a = op.addr

    def delete() -> None:
        try:
            net.request(
                RTM_DELADDR, NLM_F_ACK, _address_body(net, op.name, a.family, a.address, a.prefix)
            )
        except OSError as exc:
            if exc.errno not in (errno.EADDRNOTAVAIL, errno.ENOENT, errno.ENODEV):
                raise

    if a.family is Family.IPV4:
        # Deleting a subnet's primary IPv4 address can take the addresses that stay with it.
        from ifsmith.backends import kernel_addresses

        kernel_addresses.delete_ipv4(net, op, delete)
    else:
        delete()


def _route_body(net: Netlink, name: str, family: Family, gateway: str | None) -> bytes:
    fam = _FAMILY[family]
    body = _RTMSG.pack(fam, 0, 0, 0, RT_TABLE_MAIN, RTPROT_STATIC, 0, RTN_UNICAST, 0)
    body += u32(RTA_OIF, net.index(name))
    if gateway is not None:
        body += attr(RTA_GATEWAY, socket.inet_pton(fam, gateway))
    return body


def _static_route_body(net: Netlink, op: AddRoute | DelRoute, *, protocol: int) -> bytes:
    """A route to a network through a device: gatewayed (scope universe) or, without a
    gateway, on-link (IPv4 scope link, as ``ip route add NET dev IF``)."""
    fam = _FAMILY[op.family]
    r = op.route
    scope = RT_SCOPE_LINK if r.gateway is None and op.family is Family.IPV4 else 0
    body = _RTMSG.pack(fam, r.prefix, 0, 0, RT_TABLE_MAIN, protocol, scope, RTN_UNICAST, 0)
    body += attr(RTA_DST, socket.inet_pton(fam, r.address))
    body += u32(RTA_OIF, net.index(op.name))
    if r.gateway is not None:
        body += attr(RTA_GATEWAY, socket.inet_pton(fam, r.gateway))
    if r.metric is not None:
        body += u32(RTA_PRIORITY, r.metric)
    return body


def _add_static_route(net: Netlink, op: AddRoute) -> None:
    body = _static_route_body(net, op, protocol=RTPROT_STATIC)
    net.request(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE, body)


def _del_static_route(net: Netlink, op: DelRoute) -> None:
    # Protocol 0 matches whoever added it; without a metric, the kernel takes any.
    _delete_route(net, lambda: _static_route_body(net, op, protocol=0))


def _set_route(net: Netlink, op: SetDefaultRoute) -> None:
    body = _route_body(net, op.name, op.family, op.gateway)
    net.request(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, body)


def _del_route(net: Netlink, op: DelDefaultRoute) -> None:
    _delete_route(net, lambda: _route_body(net, op.name, op.family, op.gateway))


def _delete_route(net: Netlink, body: Callable[[], bytes]) -> None:
    """Delete the route BODY describes; one already gone is no error (its address or
    device went first: the body cannot even name the device then)."""
    try:
        net.request(RTM_DELROUTE, NLM_F_ACK, body())
    except KernelError:
        pass
    except OSError as exc:
        if exc.errno not in (errno.ESRCH, errno.ENOENT, errno.ENODEV):
            raise


_HANDLERS: dict[type[Op], Callable[[Netlink, object], None]] = {
    CreateLink: _create,  # type: ignore[dict-item]
    DeleteLink: _delete,  # type: ignore[dict-item]
    SetBond: _set_bond,  # type: ignore[dict-item]
    SetBridge: _set_bridge,  # type: ignore[dict-item]
    SetPort: _set_port,  # type: ignore[dict-item]
    SetBridgeVlans: _set_bridge_vlans,  # type: ignore[dict-item]
    SetVlanFlags: _set_vlan_flags,  # type: ignore[dict-item]
    SetMaster: _set_master,  # type: ignore[dict-item]
    SetMtu: _set_mtu,  # type: ignore[dict-item]
    SetMac: _set_mac,  # type: ignore[dict-item]
    SetUp: _set_up,  # type: ignore[dict-item]
    AddAddress: _add_address,  # type: ignore[dict-item]
    DelAddress: _del_address,  # type: ignore[dict-item]
    SetDefaultRoute: _set_route,  # type: ignore[dict-item]
    DelDefaultRoute: _del_route,  # type: ignore[dict-item]
    AddRoute: _add_static_route,  # type: ignore[dict-item]
    DelRoute: _del_static_route,  # type: ignore[dict-item]
}


# The kernel module that makes each kind of device (``ip link add type KIND``).
MODULES = {"bond": "bonding", "vlan": "8021q", "bridge": "bridge", "veth": "veth",
           "macvlan": "macvlan", "dummy": "dummy"}  # fmt: skip


def missing_kind(kind: str) -> str:
    """The reason for EOPNOTSUPP from a create: the kernel has no driver for the kind (the
    module is not loaded and could not be loaded on demand, or is not built)."""
    module = MODULES.get(kind, kind)
    return (
        f"this kernel cannot make a {kind} (module {module} not loaded: try "
        f"`modprobe {module}`; it may not be built for this kernel)"
    )


NO_VLAN_FILTERING = (
    "this kernel's bridge has no VLAN filtering (built without CONFIG_BRIDGE_VLAN_FILTERING)"
)


def _filters_vlans(op: Op) -> bool:
    """Does the operation need the bridge's VLAN filtering?"""
    if isinstance(op, SetBridgeVlans):
        return True
    bridge = op.bridge if isinstance(op, CreateLink | SetBridge) else None
    return bridge is not None and bridge.extra.vlan_filtering is not None


def failure(op: Op, reason: str) -> str:
    """The admin's message for a refused operation, naming the interface first."""
    if isinstance(op, SetMaster) and op.master is not None:
        return f"{op.master}: cannot enslave {op.name}: {reason}"
    return f"{op.name}: cannot {op.describe()}: {reason}"


def apply(host: Host, plan: Plan, progress: Callable[[Op], None] | None = None) -> None:
    """Carry out the plan's operations in order; stop at the first the kernel refuses."""
    if plan.is_empty:
        return
    from ifsmith.backends import kernel_addresses

    net = Netlink(host)
    try:
        net.ledger = kernel_addresses.Ledger.of(plan.operations)
        run(net, plan.operations, progress)
        # An address the kernel dropped (a subnet's primary taking its secondaries) would
        # otherwise go unnoticed until the probes, or not at all.
        kernel_addresses.check(net, plan.operations)
    finally:
        net.close()


def run(net: Netlink, operations: Iterable[Op], progress: Callable[[Op], None] | None) -> None:
    for op in operations:
        if progress is not None:
            progress(op)
        try:
            _HANDLERS[type(op)](net, op)
        except KernelError as exc:
            raise KernelError(failure(op, str(exc))) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if exc.errno == errno.EOPNOTSUPP and _filters_vlans(op):
                reason = NO_VLAN_FILTERING
            elif isinstance(op, CreateLink) and exc.errno == errno.EOPNOTSUPP:
                reason = missing_kind(op.kind)
            raise KernelError(failure(op, reason)) from None
        if isinstance(op, CreateLink | DeleteLink):
            net.indexes.pop(op.name, None)


def activate(host: Host, names: Iterable[str]) -> list[list[str]]:
    """The kernel activator runs no commands: ``apply`` does the work in-process."""
    return []
