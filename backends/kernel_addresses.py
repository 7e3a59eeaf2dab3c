"""The kernel activator's addresses: deleting a subnet's primary IPv4 address without losing
the addresses that stay in it, and the check, after a plan, that every address it leaves
in place is there.

The kernel makes an IPv4 address added in the subnet of one already there a *secondary* of
that *primary*; deleting the primary deletes its secondaries with it, unless
``net.ipv4.conf.IF.promote_secondaries`` is 1 (then one of them becomes the primary).  A
fresh namespace has 0, and so does a host without systemd's sysctl defaults.  A plan adds
an address before it removes the one it replaces, so replacing 192.0.2.4/24 by
192.0.2.6/24 made .6 a secondary of .4 and removing .4 took both.  Before deleting an
address whose subnet keeps others, the activator turns promote_secondaries on for that
interface, deletes, and puts the previous value back: the addresses that stay never leave.

Called by backends.kernel (which imports this module when a plan runs); the requests go
on its socket.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from ifsmith.backends.kernel import (
    _HDR,
    _IFADDR,
    _IFINFO,
    NLM_F_ACK,
    RTM_SETLINK,
    KernelError,
    Netlink,
    nested,
    u32,
)
from ifsmith.core.live import (
    IFA_ADDRESS,
    IFA_LOCAL,
    IFLA_EXT_MASK,
    RTEXT_FILTER_SKIP_STATS,
    RTM_GETADDR,
    RTM_GETLINK,
    DumpInterrupted,
    _attrs,
    _dump,
)
from ifsmith.core.model import Family
from ifsmith.core.options_netlink import IFLA_AF_SPEC
from ifsmith.core.plan import AddAddress, DelAddress, DeleteLink, Op, SetUp

IFLA_INET_CONF = 1  # in IFLA_AF_SPEC → AF_INET: the devconf values, index N at N - 1
# include/uapi/linux/ip.h: IPV4_DEVCONF_FORWARDING = 1, ..., ARP_IGNORE, PROMOTE_SECONDARIES
IPV4_DEVCONF_PROMOTE_SECONDARIES = 20
_DUMP_TRIES = 5

_FAMILY = {Family.IPV4: socket.AF_INET, Family.IPV6: socket.AF_INET6}


class Key(NamedTuple):
    """An address as the kernel holds it: family, address bytes, prefix length."""

    family: int
    raw: bytes
    prefix: int

    @classmethod
    def of(cls, op: AddAddress | DelAddress) -> Key:
        fam = _FAMILY[op.addr.family]
        return cls(fam, socket.inet_pton(fam, op.addr.address), op.addr.prefix)

    def __str__(self) -> str:
        return f"{socket.inet_ntop(self.family, self.raw)}/{self.prefix}"


@dataclass
class Ledger:
    """What a plan adds and deletes, and what the kernel held when the first IPv4 address
    went: one dump per plan, so a plan removing a thousand addresses reads them once."""

    leaving: set[tuple[str, Key]] = field(default_factory=set)
    adding: dict[str, set[Key]] = field(default_factory=dict)
    found: dict[int, set[Key]] | None = None  # IPv4 addresses by ifindex
    staying: dict[str, set[Key]] = field(default_factory=dict)  # found, less leaving
    subnets: dict[str, dict[tuple[int, int], set[Key]]] = field(default_factory=dict)
    promote: dict[int, int | None] = field(default_factory=dict)  # the setting before

    @classmethod
    def of(cls, operations: Iterable[Op]) -> Ledger:
        ledger = cls()
        for op in operations:
            if isinstance(op, DelAddress):
                ledger.leaving.add((op.name, Key.of(op)))
            elif isinstance(op, AddAddress) and op.addr.family is Family.IPV4:
                ledger.adding.setdefault(op.name, set()).add(Key.of(op))
        return ledger

    def found_on(self, net: Netlink, index: int) -> set[Key]:
        if self.found is None:
            self.found = {}
            for fam, prefix, at, raw in _dump_addresses(net, socket.AF_INET):
                self.found.setdefault(at, set()).add(Key(fam, raw, prefix))
        return self.found.get(index, set())


def _dump_addresses(net: Netlink, family: int = 0) -> list[tuple[int, int, int, bytes]]:
    """(family, prefix, ifindex, address bytes) of every address of the family (0: all),
    read again while the kernel says addresses changed during the dump."""
    for _ in range(_DUMP_TRIES):
        net.seq += 1
        try:
            dumped = _dump(net.sock, RTM_GETADDR, _IFADDR.pack(family, 0, 0, 0, 0), net.seq)
        except DumpInterrupted:
            continue
        out = []
        for msg in dumped:
            fam, prefix, _flags, _scope, at = _IFADDR.unpack_from(msg, _HDR.size)
            a = _attrs(msg, _HDR.size + _IFADDR.size, len(msg))
            span = a.get(IFA_LOCAL) or a.get(IFA_ADDRESS)
            if span is not None:
                out.append((fam, prefix, at, msg[span[0] : span[1]]))
        return out
    raise KernelError("the addresses kept changing while they were read")


def promote_secondaries(net: Netlink, index: int) -> int | None:
    """The device's promote_secondaries (IFLA_AF_SPEC → AF_INET → IFLA_INET_CONF), or None
    when the kernel gives no IPv4 settings for it."""
    body = _IFINFO.pack(0, 0, index, 0, 0) + u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)
    reply = net.request(RTM_GETLINK, 0, body)
    span: tuple[int, int] | None = (_HDR.size + _IFINFO.size, len(reply))
    for kind in (IFLA_AF_SPEC, socket.AF_INET, IFLA_INET_CONF):
        assert span is not None
        span = _attrs(reply, span[0], span[1]).get(kind)
        if span is None:
            return None
    assert span is not None
    at = span[0] + 4 * (IPV4_DEVCONF_PROMOTE_SECONDARIES - 1)
    if at + 4 > span[1]:
        return None
    return int(struct.unpack_from("=I", reply, at)[0])


def set_promote_secondaries(net: Netlink, index: int, value: int) -> None:
    """What ``sysctl -w net.ipv4.conf.IF.promote_secondaries=VALUE`` does, over rtnetlink."""
    conf = nested(IFLA_INET_CONF, u32(IPV4_DEVCONF_PROMOTE_SECONDARIES, value))
    spec = nested(IFLA_AF_SPEC, nested(socket.AF_INET, conf))
    net.request(RTM_SETLINK, NLM_F_ACK, _IFINFO.pack(0, 0, index, 0, 0) + spec)


def _subnet(key: Key) -> tuple[int, int]:
    """An IPv4 address's prefix length and network number: the kernel makes addresses
    that share both primary and secondaries."""
    return key.prefix, int.from_bytes(key.raw, "big") >> (32 - key.prefix)


def delete_ipv4(net: Netlink, op: DelAddress, delete: Callable[[], None]) -> None:
    """Run DELETE (the RTM_DELADDR of OP) so that no address of its subnet that the plan
    keeps goes with it: where one may be there (found before the first deletion, or
    added by the plan), with promote_secondaries on for the interface meanwhile.  (On
    for a secondary too: deleting a secondary promotes nothing.)"""
    if net.ledger is None:
        net.ledger = Ledger()  # operations run without a plan: none known to leave
    ledger = net.ledger
    index = net.index(op.name)
    gone = Key.of(op)
    if op.name not in ledger.subnets:  # the device's first deletion
        found = ledger.found_on(net, index)
        ledger.staying[op.name] = {k for k in found if (op.name, k) not in ledger.leaving}
        subnets = ledger.subnets[op.name] = {}
        for key in found | ledger.adding.get(op.name, set()):
            subnets.setdefault(_subnet(key), set()).add(key)
    beside = ledger.subnets[op.name].get(_subnet(gone), set())
    if not any(k != gone and (op.name, k) not in ledger.leaving for k in beside):
        delete()
        return
    if index not in ledger.promote:
        ledger.promote[index] = promote_secondaries(net, index)
    was = ledger.promote[index]
    if was != 0:  # already on, or unknown (the check after the plan will tell)
        delete()
        return
    set_promote_secondaries(net, index, 1)
    try:
        delete()
    finally:
        set_promote_secondaries(net, index, was)


def expected(operations: Iterable[Op], ledger: Ledger | None) -> dict[str, set[Key]]:
    """The addresses that must be on each device once the operations ran: those they
    add, and the IPv4 ones found beside those they delete, less those they remove (with
    their device; IPv6 ones also with a device set down: the kernel drops them)."""
    staying = ledger.staying if ledger is not None else {}
    want = {name: set(keys) for name, keys in staying.items()}
    for op in operations:
        if isinstance(op, AddAddress):
            want.setdefault(op.name, set()).add(Key.of(op))
        elif isinstance(op, DelAddress):
            want.get(op.name, set()).discard(Key.of(op))
        elif isinstance(op, DeleteLink):
            want.pop(op.name, None)
        elif isinstance(op, SetUp) and not op.up and op.name in want:
            want[op.name] = {k for k in want[op.name] if k.family != socket.AF_INET6}
    return want


def check(net: Netlink, operations: Iterable[Op]) -> None:
    """Raise KernelError naming every address that should be there after the operations
    and is not (one dump of the namespace's addresses)."""
    want = {name: keys for name, keys in expected(operations, net.ledger).items() if keys}
    if not want:
        return
    present = {(at, Key(fam, raw, prefix)) for fam, prefix, at, raw in _dump_addresses(net)}
    missing = []
    for name in sorted(want):
        try:
            index = net.index(name)
        except KernelError:
            index = -1  # the device is gone, and its addresses with it
        missing += [
            f"{name}: address {key} is missing after the change"
            for key in sorted(want[name], key=str)
            if (index, key) not in present
        ]
    if missing:
        raise KernelError("; ".join(missing))
