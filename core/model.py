"""The interface model: what libvirt's interface XML expresses, plus ifsmith's extensions.

Every value is a frozen dataclass; nothing here is ever mutated.  A change is a new
value (``dataclasses.replace``).  The shape follows the XML: a bridge holds its ports and
a bond its slaves as nested ``Interface`` values, exactly as libvirt nests them, so an
interface document maps onto one ``Interface`` and back without loss.

Live state (what the kernel runs) is described by ``LiveHost``/``LiveLink``: those carry
what netlink reports (index, kind, master, operstate...) and are converted into
``Interface`` values for ``dumpxml`` by ``core.live``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

from ifsmith.core.bridge_vlans import Membership
from ifsmith.core.options import BondOptions, BridgeOptions, PortOptions

# The real ranges of the model's numbers: what the kernel accepts.  The XML parser checks
# them before anything else (core.xmlio), core.checks again for values built elsewhere.
U32_MAX = 2**32 - 1
INT_MAX = 2**31 - 1
# IPv4's minimum; the loopback's 64 KiB, the largest MTU the kernel shows.
MTU_MIN, MTU_MAX = 68, 65536
VLAN_TAG_MIN, VLAN_TAG_MAX = 1, 4094  # 0 and 4095 are reserved (802.1Q)
# miimon, updelay, downdelay, arp_interval (ms): bonding's bond_intmax_tbl, 0..INT_MAX.
BOND_MS_MAX = INT_MAX
LINK_SPEED_MAX = U32_MAX  # Mbit/s, ethtool's u32
# A bridge's forward delay travels as a u32 count of centiseconds (IFLA_BR_FORWARD_DELAY);
# with STP on the kernel accepts only 2-30 s (BR_MIN/MAX_FORWARD_DELAY).
FORWARD_DELAY_MAX = U32_MAX / 100
STP_FORWARD_DELAY_MIN, STP_FORWARD_DELAY_MAX = 2.0, 30.0


def prefix_max(family: Family) -> int:
    """The longest prefix of a family: 32 for IPv4, 128 for IPv6."""
    return 32 if family is Family.IPV4 else 128


class IfType(enum.StrEnum):
    ETHERNET = "ethernet"
    BOND = "bond"
    BRIDGE = "bridge"
    VLAN = "vlan"


class StartMode(enum.StrEnum):
    ONBOOT = "onboot"
    NONE = "none"
    HOTPLUG = "hotplug"


class LinkState(enum.StrEnum):
    """RFC 2863 operational states, as libvirt and the kernel's operstate name them."""

    UNKNOWN = "unknown"
    NOTPRESENT = "notpresent"
    DOWN = "down"
    LOWERLAYERDOWN = "lowerlayerdown"
    TESTING = "testing"
    DORMANT = "dormant"
    UP = "up"


class BondMode(enum.StrEnum):
    BALANCE_RR = "balance-rr"
    ACTIVE_BACKUP = "active-backup"
    BALANCE_XOR = "balance-xor"
    BROADCAST = "broadcast"
    LACP = "802.3ad"
    BALANCE_TLB = "balance-tlb"
    BALANCE_ALB = "balance-alb"

    @property
    def number(self) -> int:
        """The kernel's numeric mode (``mode=1`` is active-backup)."""
        return list(BondMode).index(self)

    @classmethod
    def parse(cls, text: str) -> BondMode:
        """A mode by name or by the kernel's number (``1``, ``active-backup``)."""
        text = text.strip()
        if text.isdigit() and int(text) < len(cls):
            return list(cls)[int(text)]
        return cls(text)


# Modes in which the kernel honours bond ``primary``.
PRIMARY_MODES = frozenset({BondMode.ACTIVE_BACKUP, BondMode.BALANCE_TLB, BondMode.BALANCE_ALB})
# The modes that take ifsmith:xmit-hash-policy and ifsmith:lacp-rate (core.checks).
XMIT_HASH_MODES = frozenset({BondMode.BALANCE_XOR, BondMode.LACP, BondMode.BALANCE_TLB})
LACP_RATE_MODES = frozenset({BondMode.LACP})


class Carrier(enum.StrEnum):
    """How miimon sees link: MII/ethtool ioctls (use_carrier=0) or netif_carrier_ok (=1)."""

    IOCTL = "ioctl"
    NETIF = "netif"


class ArpValidate(enum.StrEnum):
    NONE = "none"
    ACTIVE = "active"
    BACKUP = "backup"
    ALL = "all"


class XmitHashPolicy(enum.StrEnum):
    LAYER2 = "layer2"
    LAYER3_4 = "layer3+4"
    LAYER2_3 = "layer2+3"
    ENCAP2_3 = "encap2+3"
    ENCAP3_4 = "encap3+4"
    VLAN_SRCMAC = "vlan+srcmac"


class LacpRate(enum.StrEnum):
    SLOW = "slow"
    FAST = "fast"


class Family(enum.StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"


@dataclass(frozen=True)
class IpAddress:
    """One static address; ``prefix`` is None when the XML leaves it out."""

    address: str
    prefix: int | None = None

    def __str__(self) -> str:
        return self.address if self.prefix is None else f"{self.address}/{self.prefix}"


@dataclass(frozen=True)
class Route:
    """A static route through the interface (ifsmith extension ``<ifsmith:route>``, the
    shape of libvirt's network-XML route): to ADDRESS/PREFIX via GATEWAY, or on-link when
    the gateway is None.  libvirt's own ``<route gateway>`` stays the default route."""

    address: str
    prefix: int
    gateway: str | None = None
    metric: int | None = None
    line: int | None = field(default=None, compare=False)

    @property
    def destination(self) -> str:
        return f"{self.address}/{self.prefix}"

    def __str__(self) -> str:
        via = f" via {self.gateway}" if self.gateway else " on-link"
        metric = f" metric {self.metric}" if self.metric is not None else ""
        return f"{self.destination}{via}{metric}"


@dataclass(frozen=True)
class Dns:
    """The resolver settings of a top-level interface (ifsmith extension ``<ifsmith:dns>``):
    name servers (either family) and search domains, in order."""

    servers: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)

    def __bool__(self) -> bool:
        return bool(self.servers or self.search)


@dataclass(frozen=True)
class Protocol:
    """One ``<protocol family=…>``: DHCP, SLAAC (IPv6 only), static addresses, a gateway,
    static routes.

    An IPv6 protocol with nothing set means link-local only, as in libvirt.
    """

    family: Family
    dhcp: bool = False
    peerdns: bool | None = None
    autoconf: bool = False
    addresses: tuple[IpAddress, ...] = ()
    gateway: str | None = None
    line: int | None = field(default=None, compare=False)
    routes: tuple[Route, ...] = ()  # ifsmith extension
    # The DHCPv4 client's identity (ifsmith:client-id / ifsmith:iaid on <dhcp>), as the
    # stack's files name it: a client identifier kind (mac, duid, ...) or its exact bytes
    # (hex, colon-separated), and the IAID a DUID-based identifier is made with.  None:
    # the stack's default.  Carried to the bridge that takes a DHCP NIC's lease.
    client_id: str | None = None
    iaid: str | None = None


@dataclass(frozen=True)
class Link:
    """Live link status (``<link state speed>``); ignored on input, as libvirt does."""

    state: LinkState | None = None
    speed: int | None = None  # Mbit/s


@dataclass(frozen=True)
class MiiMon:
    freq: int
    downdelay: int = 0
    updelay: int = 0
    carrier: Carrier | None = None
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ArpMon:
    """ARP monitoring.  libvirt holds one target; extra ones ride in the ifsmith namespace."""

    interval: int
    targets: tuple[str, ...] = ()
    validate: ArpValidate | None = None
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Bond:
    """A bond's settings and its slaves in order; the first slave is the primary."""

    mode: BondMode | None = None
    miimon: MiiMon | None = None
    arpmon: ArpMon | None = None
    slaves: tuple[Interface, ...] = ()
    xmit_hash_policy: XmitHashPolicy | None = None  # ifsmith extension
    lacp_rate: LacpRate | None = None  # ifsmith extension
    line: int | None = field(default=None, compare=False)
    # ifsmith extension: an explicit primary; without it libvirt's rule applies (first slave).
    primary_slave: str | None = None
    # ifsmith extension: every other bonding option (core.options); unset = kernel default.
    options: BondOptions = field(default_factory=BondOptions)

    @property
    def primary(self) -> str | None:
        """The primary slave, in modes where the kernel has one: explicit, else the first."""
        if self.primary_slave is not None:
            return self.primary_slave
        if self.slaves and self.mode in PRIMARY_MODES:
            return self.slaves[0].name
        return None


@dataclass(frozen=True)
class Bridge:
    stp: bool | None = None
    delay: float | None = None  # forward delay, seconds
    ports: tuple[Interface, ...] = ()
    line: int | None = field(default=None, compare=False)
    # ifsmith extension: priority, timers, multicast snooping (core.options).
    options: BridgeOptions = field(default_factory=BridgeOptions)


@dataclass(frozen=True)
class Vlan:
    tag: int
    parent: str | None = None
    reorder_hdr: bool | None = None  # ifsmith extension
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Interface:
    """One interface as libvirt's ``<interface>`` describes it.

    ``start_mode``, ``mtu`` and ``protocols`` belong to the top level; subordinates (bond
    slaves, bridge ports) inherit start mode and MTU from it.  ``line`` is where the element
    was read from, for messages; it takes no part in equality.
    """

    type: IfType
    name: str
    start_mode: StartMode | None = None
    mtu: int | None = None
    mac: str | None = None
    link: Link | None = None
    protocols: tuple[Protocol, ...] = ()
    bond: Bond | None = None
    bridge: Bridge | None = None
    vlan: Vlan | None = None
    label: str | None = None  # ifsmith extension: the interface's role, e.g. "storage uplink"
    line: int | None = field(default=None, compare=False)
    dns: Dns | None = None  # ifsmith extension, top level only
    # ifsmith extension: a bridge port's STP path cost and priority (core.options).
    port_options: PortOptions = field(default_factory=PortOptions)

    def protocol(self, family: Family) -> Protocol | None:
        """The ``<protocol>`` of one family, if configured."""
        return next((p for p in self.protocols if p.family == family), None)

    @property
    def ipv4(self) -> Protocol | None:
        return self.protocol(Family.IPV4)

    @property
    def ipv6(self) -> Protocol | None:
        return self.protocol(Family.IPV6)

    @property
    def subordinates(self) -> tuple[Interface, ...]:
        """Direct children: a bond's slaves or a bridge's ports."""
        if self.bond is not None:
            return self.bond.slaves
        if self.bridge is not None:
            return self.bridge.ports
        return ()

    def walk(self) -> Iterator[tuple[Interface, Interface | None]]:
        """This interface and every nested one, each with its master (None at the top)."""
        yield self, None
        for sub in self.subordinates:
            for iface, master in sub.walk():
                yield iface, (self if master is None else master)


def flatten(interfaces: tuple[Interface, ...] | list[Interface]) -> list[FlatInterface]:
    """Every interface of the documents, nested ones included, each knowing its master.

    Subordinates inherit the top level's start mode and MTU, as libvirt and netcf do; this
    is the per-device view that distro files and the kernel need.
    """
    flat: list[FlatInterface] = []
    for top in interfaces:
        for iface, master in top.walk():
            flat.append(
                FlatInterface(
                    interface=iface,
                    master=master.name if master is not None else None,
                    master_type=master.type if master is not None else None,
                    start_mode=top.start_mode,
                    mtu=top.mtu if iface is not top and iface.mtu is None else iface.mtu,
                    top=top.name,
                )
            )
    return flat


@dataclass(frozen=True)
class FlatInterface:
    """One device of a flattened document: the interface, its master, inherited settings."""

    interface: Interface
    master: str | None
    master_type: IfType | None
    start_mode: StartMode | None
    mtu: int | None
    top: str

    @property
    def name(self) -> str:
        return self.interface.name


# ---------------------------------------------------------------------------------------
# Live state as netlink reports it.


@dataclass(frozen=True)
class LiveAddress:
    family: Family
    address: str
    prefix: int
    scope: str = "global"  # "global", "link", "host", "site"
    # A lease or SLAAC address (finite lifetime, IFA_F_PERMANENT unset), and where it came
    # from: "dhcp" or "autoconf".  Not part of equality: the same address is the same.
    dynamic: bool = field(default=False, compare=False)
    origin: str | None = field(default=None, compare=False)
    # What is left of a dynamic address's (valid, preferred) lifetime, in seconds.
    lifetime: tuple[int, int] | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.address}/{self.prefix}"


@dataclass(frozen=True)
class LiveBond:
    mode: BondMode
    miimon: int = 0
    updelay: int = 0
    downdelay: int = 0
    use_carrier: bool = True
    arp_interval: int = 0
    arp_targets: tuple[str, ...] = ()
    arp_validate: ArpValidate = ArpValidate.NONE
    primary: str | None = None
    active_slave: str | None = None
    xmit_hash_policy: XmitHashPolicy | None = None
    lacp_rate: LacpRate | None = None
    options: BondOptions = field(default_factory=BondOptions)  # as the kernel reports them


@dataclass(frozen=True)
class LiveBridge:
    stp: bool = False
    forward_delay: float = 15.0  # seconds
    options: BridgeOptions = field(default_factory=BridgeOptions)  # as the kernel reports them


@dataclass(frozen=True)
class LiveRoute:
    """A route of the main table: a default route, or a route to a network that someone
    (an admin, a daemon, a lease) added — the kernel's own subnet routes are not read."""

    family: Family
    dst: str  # "default" or "a.b.c.d/n"
    gateway: str | None
    ifname: str | None
    metric: int | None = None
    # Who added it, from rtm_protocol: "static" (ip route, networkd, NetworkManager …),
    # "dhcp" (a lease's classless routes) or "ra" (a router advertisement).
    origin: str = "static"


@dataclass(frozen=True)
class LiveLink:
    """One kernel link, decoded from RTM_NEWLINK plus its addresses."""

    index: int
    name: str
    kind: str  # rtnetlink IFLA_INFO_KIND: "bond", "bridge", "vlan", "veth", "" for hardware
    mac: str | None = None
    mtu: int | None = None
    admin_up: bool = False
    operstate: LinkState = LinkState.UNKNOWN
    carrier: bool | None = None
    speed: int | None = None  # Mbit/s, from sysfs where the driver reports it
    master: str | None = None
    parent: str | None = None  # IFLA_LINK: a VLAN's (or macvlan's, veth's) lower device
    vlan_tag: int | None = None
    vlan_reorder_hdr: bool | None = None
    bond: LiveBond | None = None
    bridge: LiveBridge | None = None
    addresses: tuple[LiveAddress, ...] = ()
    is_loopback: bool = False
    # A bridge port's STP settings (IFLA_BRPORT_*), as the kernel reports them.
    port_options: PortOptions = field(default_factory=PortOptions)
    # The path cost the bridge would give it by itself (from its speed): a cost that
    # differs was set by someone.
    port_default_cost: int | None = field(default=None, compare=False)
    # A bridge port's VLANs, or a bridge's own (core.bridge_vlans); None where the kernel
    # has no VLAN filtering, or the link is neither.
    vlans: Membership | None = None

    @property
    def type(self) -> IfType:
        """The libvirt type: bond, bridge, vlan, or ethernet for everything else."""
        if self.kind in ("bond", "bridge", "vlan"):
            return IfType(self.kind)
        return IfType.ETHERNET


@dataclass(frozen=True)
class LiveHost:
    """A snapshot of one network namespace."""

    links: tuple[LiveLink, ...] = ()
    routes: tuple[LiveRoute, ...] = ()

    def link(self, name: str) -> LiveLink | None:
        return next((lnk for lnk in self.links if lnk.name == name), None)

    def by_name(self) -> dict[str, LiveLink]:
        return {lnk.name: lnk for lnk in self.links}

    def static_routes(self, ifname: str) -> list[LiveRoute]:
        """The routes to networks through one link that are not a lease's or an RA's."""
        return [
            r for r in self.routes
            if r.ifname == ifname and r.dst != "default" and r.origin == "static"
        ]  # fmt: skip

    def gateways(self, ifname: str) -> dict[Family, str]:
        """Default gateways through one link, by family."""
        return {
            r.family: r.gateway
            for r in self.routes
            if r.dst == "default" and r.ifname == ifname and r.gateway is not None
        }
