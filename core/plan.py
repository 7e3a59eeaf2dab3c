"""Plans: the ordered kernel operations that make the live state match what is wanted.

Pure: a plan is computed from values (desired interfaces, a LiveHost snapshot) and never
reads the kernel itself.  Both directions use one engine: ``make_plan`` turns interface
definitions into device specs, ``restore_plan`` turns a saved snapshot into device specs
(for rollback), and ``diff`` orders the operations between specs and the current state.

What a spec leaves as None is not managed: the plan neither sets nor resets it, so
interfaces and settings the definitions do not mention are never touched or flapped.

The rules the order follows:
- deletes first (a changed bond mode, VLAN tag or parent, or a changed type recreate the
  device: the kernel changes none of them in place), then releases, then creates (bonds,
  VLANs after their parents, bridges), settings, enslaving (a bond slave is set down
  first, as the bonding driver wants), ups (slaves and ports before their masters);
- addresses are added before old ones are removed, and default routes are replaced
  (NLM_F_REPLACE) before then: moving eth0's address to a new bridge br0 leaves no moment
  without the address or the default route (removing a device's last IPv4 address
  silently flushes its routes).  A moved IPv6 address skips DAD: it was this host's;
- ``start_mode none`` means defined, not started: created (down) if missing, never
  brought up, never taken down; ``start_plan``/``stop_plan`` do that (virsh iface-start
  and iface-destroy).  A device left down gets no default route (the kernel refuses one)
  and no IPv6 address (the kernel drops them when a device goes down);
- DHCP or SLAAC: no client is run; the addresses and default route the kernel has (a
  lease) are kept, only the static addresses listed are added;
- a VLAN-aware bridge (core.bridge_vlans): VLAN filtering is a bridge setting, so it is on
  before any VLAN is set; a port's VLANs are set once it is in the bridge (a port that
  joins starts from the kernel's default, pvid 1 untagged), the bridge's own after it
  exists.  The VLANs of a filtering bridge's ports and its own are made exactly what the
  definitions say: ids added (or their flags changed) before others are removed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace

from ifsmith.core import bridge_vlans, plan_options
from ifsmith.core.bridge_vlans import Membership
from ifsmith.core.errors import PlanError
from ifsmith.core.live import live_routes
from ifsmith.core.model import (
    PRIMARY_MODES,
    ArpValidate,
    BondMode,
    Carrier,
    Family,
    IfType,
    Interface,
    LacpRate,
    LiveHost,
    LiveLink,
    Protocol,
    Route,
    StartMode,
    XmitHashPolicy,
    flatten,
)
from ifsmith.core.options import BondOptions, BridgeOptions, PortOptions
from ifsmith.core.routes import canonical_route, same_route

# ---------------------------------------------------------------------------------------
# Device specs: what one device should look like; None = leave as it is.


@dataclass(frozen=True)
class BondSpec:
    mode: BondMode | None = None
    miimon: int | None = None
    updelay: int | None = None
    downdelay: int | None = None
    use_carrier: bool | None = None
    arp_interval: int | None = None
    arp_targets: tuple[str, ...] | None = None
    arp_validate: ArpValidate | None = None
    primary: str | None = None
    xmit_hash_policy: XmitHashPolicy | None = None
    lacp_rate: LacpRate | None = None
    extra: BondOptions = field(default_factory=BondOptions)  # core.options

    def options(self) -> dict[str, object]:
        """The options that are set, by kernel option name (mode excluded)."""
        names = (
            "miimon", "updelay", "downdelay", "use_carrier", "arp_interval", "arp_targets",
            "arp_validate", "primary", "xmit_hash_policy", "lacp_rate",
        )  # fmt: skip
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


@dataclass(frozen=True)
class BridgeSpec:
    stp: bool | None = None
    forward_delay: float | None = None  # seconds
    extra: BridgeOptions = field(default_factory=BridgeOptions)  # core.options


@dataclass(frozen=True)
class VlanSpec:
    parent: str
    tag: int
    reorder_hdr: bool | None = None


@dataclass(frozen=True)
class Addr:
    family: Family
    address: str
    prefix: int

    def __str__(self) -> str:
        return f"{self.address}/{self.prefix}"


@dataclass(frozen=True)
class DeviceSpec:
    """One device as wanted.  ``kind`` "ethernet" means: exists already, never created."""

    name: str
    kind: str
    bond: BondSpec | None = None
    bridge: BridgeSpec | None = None
    vlan: VlanSpec | None = None
    master: str | None = None
    manage_master: bool = True
    mtu: int | None = None
    mac: str | None = None
    up: bool | None = None
    # Per family: the exact static addresses wanted, or absent = leave that family alone.
    addresses: dict[Family, tuple[Addr, ...]] = field(default_factory=dict)
    # Families whose extra (possibly dynamic) addresses are kept: DHCP/SLAAC configured.
    keep_extra: frozenset[Family] = frozenset()
    # Per family: the default gateway through this device, None = no default route here.
    gateways: dict[Family, str | None] = field(default_factory=dict)
    # Addresses that are leases, with the (valid, preferred) seconds left: they are added
    # as leases again, so they expire unless a DHCP client renews them.
    leases: dict[Addr, tuple[int, int]] = field(default_factory=dict)
    # Per family: the exact static routes wanted (ifsmith:route), or absent = leave alone.
    routes: dict[Family, tuple[Route, ...]] = field(default_factory=dict)
    # As a bridge port: its STP path cost and priority (None: leave as it is).
    port: PortOptions = field(default_factory=PortOptions)
    # As a port of a filtering bridge, or as such a bridge itself: its VLANs, exactly
    # (None: leave them as they are).
    vlans: Membership | None = None


# ---------------------------------------------------------------------------------------
# Operations.


@dataclass(frozen=True)
class Op:
    name: str

    def describe(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class CreateLink(Op):
    kind: str
    bond: BondSpec | None = None
    bridge: BridgeSpec | None = None
    vlan: VlanSpec | None = None
    peer: str | None = None  # veth peer, when recreating a saved veth pair

    def describe(self) -> str:
        text = f"create {self.kind} {self.name}"
        if self.bond is not None:
            if self.bond.mode is not None:
                text += f" mode {self.bond.mode}"
            # The kernel's defaults (no delays, carrier on, ARP off) would only be noise.
            shown = {
                k: v for k, v in self.bond.options().items() if _BOND_DEFAULTS.get(k, ...) != v
            }
            text += "".join(f" {k} {_show(v)}" for k, v in shown.items())
            text += plan_options.words(self.bond.extra)
        if self.bridge is not None:
            text += _bridge_words(self.bridge)
        if self.vlan is not None:
            text += f" on {self.vlan.parent} tag {self.vlan.tag}"
            if self.vlan.reorder_hdr is not None:
                text += f" reorder_hdr {_show(self.vlan.reorder_hdr)}"
        if self.peer:
            text += f" peer {self.peer}"
        return text


_BOND_DEFAULTS: dict[str, object] = {
    "updelay": 0, "downdelay": 0, "use_carrier": True, "arp_interval": 0, "arp_targets": (),
    "arp_validate": ArpValidate.NONE,
}  # fmt: skip


def _bridge_words(bridge: BridgeSpec) -> str:
    text = ""
    if bridge.stp is not None:
        text += f" stp {_show(bridge.stp)}"
    if bridge.forward_delay is not None:
        text += f" forward_delay {bridge.forward_delay:g}s"
    return text + plan_options.words(bridge.extra)


@dataclass(frozen=True)
class DeleteLink(Op):
    def describe(self) -> str:
        return f"delete {self.name}"


@dataclass(frozen=True)
class SetBond(Op):
    bond: BondSpec

    def describe(self) -> str:
        opts = " ".join(f"{k} {_show(v)}" for k, v in self.bond.options().items())
        opts += plan_options.words(self.bond.extra)
        return f"set bond {self.name} {opts.strip()}".rstrip()


@dataclass(frozen=True)
class SetBridge(Op):
    bridge: BridgeSpec

    def describe(self) -> str:
        return f"set bridge {self.name}{_bridge_words(self.bridge)}"


@dataclass(frozen=True)
class SetPort(Op):
    """A bridge port's STP path cost and priority (after it is enslaved)."""

    port: PortOptions

    def describe(self) -> str:
        return f"set bridge port {self.name}{plan_options.words(self.port)}"


@dataclass(frozen=True)
class SetBridgeVlans(Op):
    """A bridge port's VLANs (``bridge vlan add|del dev PORT vid … master``), or the
    bridge's own (``… self``): entries added with their flags (or re-flagged), ids removed."""

    add: Membership
    remove: str = ""
    own: bool = False

    def describe(self) -> str:
        steps = [f"add {self.add.words()}"] if self.add else []
        if self.remove:
            steps.append(f"remove {self.remove}")
        what = f"bridge {self.name} own" if self.own else f"bridge port {self.name}"
        return f"set {what} vlans: {'; '.join(steps)}"


@dataclass(frozen=True)
class SetVlanFlags(Op):
    reorder_hdr: bool

    def describe(self) -> str:
        return f"set vlan {self.name} reorder_hdr {'on' if self.reorder_hdr else 'off'}"


@dataclass(frozen=True)
class SetMaster(Op):
    master: str | None

    def describe(self) -> str:
        return (
            f"set {self.name} master {self.master}" if self.master else f"set {self.name} nomaster"
        )


@dataclass(frozen=True)
class SetMtu(Op):
    mtu: int

    def describe(self) -> str:
        return f"set {self.name} mtu {self.mtu}"


@dataclass(frozen=True)
class SetMac(Op):
    mac: str

    def describe(self) -> str:
        return f"set {self.name} address {self.mac}"


@dataclass(frozen=True)
class SetUp(Op):
    up: bool

    def describe(self) -> str:
        return f"set {self.name} {'up' if self.up else 'down'}"


@dataclass(frozen=True)
class AddAddress(Op):
    addr: Addr
    # An IPv6 address moving from another device of this host already passed duplicate
    # address detection; repeating it would leave the address unusable (tentative) for
    # a second or two after it left the old device.
    nodad: bool = False
    lifetime: tuple[int, int] | None = None  # (valid, preferred) seconds: a lease

    def describe(self) -> str:
        lease = f" (lease, {self.lifetime[0]} s left)" if self.lifetime else ""
        return f"add address {self.addr} to {self.name}" + (" nodad" if self.nodad else "") + lease


@dataclass(frozen=True)
class DelAddress(Op):
    addr: Addr

    def describe(self) -> str:
        return f"remove address {self.addr} from {self.name}"


@dataclass(frozen=True)
class SetDefaultRoute(Op):
    family: Family
    gateway: str

    def describe(self) -> str:
        return f"set default route ({self.family}) via {self.gateway} dev {self.name}"


@dataclass(frozen=True)
class DelDefaultRoute(Op):
    family: Family
    gateway: str | None

    def describe(self) -> str:
        via = f" via {self.gateway}" if self.gateway else ""
        return f"remove default route ({self.family}){via} dev {self.name}"


@dataclass(frozen=True)
class AddRoute(Op):
    family: Family
    route: Route

    def describe(self) -> str:
        return f"add route ({self.family}) {self.route} dev {self.name}"


@dataclass(frozen=True)
class DelRoute(Op):
    family: Family
    route: Route

    def describe(self) -> str:
        return f"remove route ({self.family}) {self.route} dev {self.name}"


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "none"
    return str(value)


@dataclass(frozen=True)
class Plan:
    """Ordered kernel operations; empty when the kernel already matches."""

    operations: tuple[Op, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.operations

    @property
    def touched(self) -> frozenset[str]:
        """Every interface an operation changes."""
        return frozenset(op.name for op in self.operations)

    def describe(self) -> list[str]:
        return [op.describe() for op in self.operations]


# ---------------------------------------------------------------------------------------
# Interface definitions → specs.


def specs_from_interfaces(desired: Sequence[Interface]) -> list[DeviceSpec]:
    """One spec per device of the definitions, subordinates inheriting start mode and MTU.

    ``start_mode none`` means "defined, not started": the plan does not bring it up (and
    does not take it down either; ``stop_plan`` does that).
    """
    specs: dict[str, DeviceSpec] = {}
    flats = flatten(list(desired))
    filtering = {
        f.name for f in flats if f.interface.bridge and f.interface.bridge.options.vlan_filtering
    }
    for flat in flats:
        iface = flat.interface
        up = None if flat.start_mode is StartMode.NONE else True
        spec = DeviceSpec(
            name=iface.name,
            kind="ethernet" if iface.type is IfType.ETHERNET else str(iface.type),
            bond=_bond_spec(iface) if iface.bond is not None else None,
            bridge=(
                BridgeSpec(
                    stp=iface.bridge.stp,
                    forward_delay=iface.bridge.delay,
                    extra=plan_options.link_options(iface.bridge.options),
                )
                if iface.bridge is not None
                else None
            ),
            vlan=(
                VlanSpec(iface.vlan.parent or "", iface.vlan.tag, iface.vlan.reorder_hdr)
                if iface.vlan is not None
                else None
            ),
            master=flat.master,
            mtu=flat.mtu,
            mac=iface.mac,
            up=up,
            port=(
                plan_options.link_options(iface.port_options)
                if flat.master_type is IfType.BRIDGE
                else PortOptions()
            ),
            vlans=_vlans_wanted(iface, flat.master, filtering),
        )
        spec = _with_addressing(spec, iface, subordinate=flat.master is not None)
        previous = specs.get(iface.name)
        if previous is not None:
            # Defined at the top and again as a port: the definitions merge, the master
            # comes from wherever it is given.
            spec = _merge(previous, spec)
        specs[iface.name] = spec
    return list(specs.values())


def _vlans_wanted(iface: Interface, master: str | None, filtering: set[str]) -> Membership | None:
    """The VLANs of a filtering bridge (its own) or of a port of one, as defined."""
    if iface.name in filtering and iface.bridge is not None:
        return bridge_vlans.bridge_membership(iface.bridge.options)
    if master in filtering:
        return bridge_vlans.port_membership(iface.port_options)
    return None


def _merge(a: DeviceSpec, b: DeviceSpec) -> DeviceSpec:
    return replace(
        a,
        bond=a.bond or b.bond,
        bridge=a.bridge or b.bridge,
        vlan=a.vlan or b.vlan,
        master=a.master or b.master,
        mtu=a.mtu if a.mtu is not None else b.mtu,
        mac=a.mac or b.mac,
        addresses={**b.addresses, **a.addresses} if a.master is None else b.addresses,
        keep_extra=a.keep_extra | b.keep_extra,
        gateways={**b.gateways, **a.gateways},
        port=a.port or b.port,
        vlans=a.vlans if a.vlans is not None else b.vlans,
    )


def _bond_spec(iface: Interface) -> BondSpec:
    bond = iface.bond
    assert bond is not None
    mii, arp = bond.miimon, bond.arpmon
    # The kernel refuses even arp_interval=0 in modes without ARP monitoring.
    return _fit_mode(
        BondSpec(
            mode=bond.mode or BondMode.BALANCE_RR,
            miimon=mii.freq if mii is not None else (0 if arp is not None else None),
            updelay=mii.updelay if mii is not None else None,
            downdelay=mii.downdelay if mii is not None else None,
            use_carrier=(mii.carrier is not Carrier.IOCTL) if mii is not None else None,
            # miimon and arpmon exclude each other: choosing one switches the other off.
            arp_interval=arp.interval if arp is not None else (0 if mii is not None else None),
            arp_targets=arp.targets if arp is not None else (() if mii is not None else None),
            arp_validate=(
                (arp.validate or ArpValidate.NONE)
                if arp is not None
                else (ArpValidate.NONE if mii is not None else None)
            ),
            primary=bond.primary,
            xmit_hash_policy=bond.xmit_hash_policy,
            lacp_rate=bond.lacp_rate,
            extra=bond.options,
        )
    )


_NO_ARP_MODES = frozenset({BondMode.LACP, BondMode.BALANCE_TLB, BondMode.BALANCE_ALB})


def _fit_mode(bond: BondSpec) -> BondSpec:
    """Drop the options the bond's mode does not have: the kernel refuses setting them at
    all (even ``arp_interval 0`` in 802.3ad), and a snapshot may still report them."""
    mode = bond.mode
    if mode in _NO_ARP_MODES:
        bond = replace(bond, arp_interval=None, arp_validate=None)
        if not bond.arp_targets:
            bond = replace(bond, arp_targets=None)
    if mode not in PRIMARY_MODES:
        bond = replace(bond, primary=None)
    if mode is not BondMode.LACP:
        bond = replace(bond, lacp_rate=None)
    return replace(bond, extra=plan_options.fit_mode(bond.extra, mode))


def _with_addressing(spec: DeviceSpec, iface: Interface, *, subordinate: bool) -> DeviceSpec:
    """The spec with the addresses and gateways the definition asks for."""
    addresses: dict[Family, tuple[Addr, ...]] = {}
    gateways: dict[Family, str | None] = {}
    keep: set[Family] = set()
    for family in (Family.IPV4, Family.IPV6):
        proto = iface.protocol(family)
        if subordinate or proto is None:
            # A port or slave carries no addresses; no <protocol> means no addressing.
            addresses[family] = ()
            gateways[family] = None
            continue
        max_prefix = 32 if family is Family.IPV4 else 128
        addresses[family] = tuple(
            Addr(family, _canonical(a.address), a.prefix if a.prefix is not None else max_prefix)
            for a in proto.addresses
        )
        if proto.dhcp or proto.autoconf:
            keep.add(family)
        if proto.gateway is not None:
            gateways[family] = _canonical(proto.gateway)
        elif not (proto.dhcp or proto.autoconf):
            gateways[family] = None
    routes = {
        family: _canonical_routes(iface.protocol(family), subordinate)
        for family in (Family.IPV4, Family.IPV6)
    }
    return replace(
        spec, addresses=addresses, gateways=gateways, keep_extra=frozenset(keep), routes=routes
    )


def _canonical_routes(proto: Protocol | None, subordinate: bool) -> tuple[Route, ...]:
    """The routes as the live view shows them (they are compared with it)."""
    if subordinate or proto is None:
        return ()
    return tuple(canonical_route(r) for r in proto.routes)


def _canonical(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


# ---------------------------------------------------------------------------------------
# Saved live state → specs (rollback).


def specs_from_live(saved: LiveHost, names: Collection[str]) -> list[DeviceSpec]:
    """Specs that put the named devices back exactly as a snapshot saw them."""
    by_name = saved.by_name()
    specs = []
    for name in names:
        link = by_name.get(name)
        if link is None:
            continue
        specs.append(_spec_from_link(link, saved))
    return specs


def _spec_from_link(link: LiveLink, live: LiveHost) -> DeviceSpec:
    bond = None
    if link.bond is not None:
        b = link.bond
        bond = _fit_mode(BondSpec(
            mode=b.mode, miimon=b.miimon, updelay=b.updelay, downdelay=b.downdelay,
            use_carrier=b.use_carrier, arp_interval=b.arp_interval, arp_targets=b.arp_targets,
            arp_validate=b.arp_validate, primary=b.primary,
            xmit_hash_policy=b.xmit_hash_policy, lacp_rate=b.lacp_rate, extra=b.options,
        ))  # fmt: skip
    bridge = (
        BridgeSpec(
            stp=link.bridge.stp,
            forward_delay=link.bridge.forward_delay,
            extra=link.bridge.options,
        )
        if link.bridge is not None
        else None
    )
    master = live.link(link.master) if link.master else None
    vlan = (
        VlanSpec(link.parent or "", link.vlan_tag, link.vlan_reorder_hdr)
        if link.vlan_tag is not None
        else None
    )
    addresses: dict[Family, tuple[Addr, ...]] = {}
    for family in (Family.IPV4, Family.IPV6):
        addresses[family] = tuple(
            Addr(a.family, a.address, a.prefix)
            for a in link.addresses
            if a.family is family and a.scope == "global"
        )
    leases = {
        Addr(a.family, a.address, a.prefix): a.lifetime
        for a in link.addresses
        if a.scope == "global" and a.lifetime is not None
    }
    gws = live.gateways(link.name)
    return DeviceSpec(
        name=link.name,
        kind=link.kind or "ethernet",
        bond=bond,
        bridge=bridge,
        vlan=vlan,
        master=link.master,
        mtu=link.mtu,
        mac=link.mac if link.kind in ("", "veth") else None,
        up=link.admin_up,
        addresses=addresses,
        gateways={f: gws.get(f) for f in (Family.IPV4, Family.IPV6)},
        leases=leases,
        routes={f: live_routes(live, link.name, f) for f in (Family.IPV4, Family.IPV6)},
        port=link.port_options if master is not None and master.kind == "bridge" else PortOptions(),
        vlans=link.vlans if "bridge" in (link.kind, master.kind if master else None) else None,
    )


# ---------------------------------------------------------------------------------------
# The engine.


def make_plan(desired: Sequence[Interface], live: LiveHost, remove: Sequence[str] = ()) -> Plan:
    """The operations that make the kernel run these definitions (and remove ``remove``)."""
    specs = specs_from_interfaces(desired)
    for spec in specs:
        link = live.link(spec.name)
        if spec.kind == "ethernet" and link is None:
            raise PlanError(f"{spec.name}: no such network device on this host")
        if spec.vlan is not None and not spec.vlan.parent:
            raise PlanError(f"{spec.name}: the VLAN names no parent")
    return diff(_carry_leases(specs, live, remove), live, remove=remove)


def _carry_leases(
    specs: list[DeviceSpec], live: LiveHost, remove: Sequence[str]
) -> list[DeviceSpec]:
    """A DHCP (or SLAAC) device takes, live, the leases of the devices it replaces, and
    the default route through them: a master those of the NICs that become its ports or
    slaves (it answers with the NIC's MAC, so its own client renews the same lease), a
    port set free that of its master being removed (iface-unbridge).  The session does
    not drop while the client renews."""
    out = []
    for spec in specs:
        addresses, gateways, leases = dict(spec.addresses), dict(spec.gateways), dict(spec.leases)
        donors = [
            s.name
            for s in specs
            if s.master == spec.name and (lnk := live.link(s.name)) and lnk.master != spec.name
        ]
        own = live.link(spec.name)
        if own is not None and own.master is not None and own.master in remove and not spec.master:
            donors.append(own.master)
        for donor in donors:
            link = live.link(donor)
            if link is None:
                continue
            for family in spec.keep_extra:
                have = addresses.get(family, ())
                dynamic = [
                    a
                    for a in link.addresses
                    if a.family is family and a.dynamic and a.scope == "global"
                ]
                leased = [Addr(family, _canonical(a.address), a.prefix) for a in dynamic]
                leases.update(
                    (addr, a.lifetime)
                    for addr, a in zip(leased, dynamic, strict=True)
                    if a.lifetime is not None
                )
                addresses[family] = (*have, *(a for a in leased if a not in have))
                gateway = live.gateways(donor).get(family)
                if leased and gateway is not None and family not in gateways:
                    gateways[family] = _canonical(gateway)
        out.append(replace(spec, addresses=addresses, gateways=gateways, leases=leases))
    return out


def restore_plan(saved: LiveHost, current: LiveHost, names: Collection[str]) -> Plan:
    """Put the named devices back as ``saved`` had them; delete those it did not have.

    Devices the snapshot knew are recreated if gone (with their settings, masters,
    addresses, routes, MTU, MAC and up/down); named devices it did not know (created
    since) are deleted.
    """
    known = saved.by_name()
    remove = [n for n in names if n not in known and current.link(n) is not None]
    # Masters and parents of the named devices must come back too.
    wanted = set(n for n in names if n in known)
    for name in list(wanted):
        link = known[name]
        for other in (link.master, link.parent if link.vlan_tag is not None else None):
            if other is not None and other in known:
                wanted.add(other)
    specs = specs_from_live(saved, sorted(wanted, key=lambda n: known[n].index))
    return diff(specs, current, remove=remove, peers=_veth_peers(saved))


def _veth_peers(live: LiveHost) -> dict[str, str]:
    return {
        lnk.name: lnk.parent for lnk in live.links if lnk.kind == "veth" and lnk.parent is not None
    }


def start_plan(names: Collection[str], desired: Sequence[Interface], live: LiveHost) -> Plan:
    """``ifsmith start``: bring the named definitions up (creating them as needed)."""
    chosen = [replace(i, start_mode=StartMode.ONBOOT) for i in desired if i.name in names]
    missing = set(names) - {i.name for i in chosen}
    if missing:
        raise PlanError(f"no definition for {', '.join(sorted(missing))}")
    return make_plan(chosen, live)


# The kinds of device ifsmith makes (and so may delete, and make again on rollback).
# Everything else is hardware to it — a NIC, or a veth whose peer it could not recreate —
# and is only unconfigured.
MADE_KINDS = frozenset({"bond", "bridge", "vlan"})


def is_made(link: LiveLink) -> bool:
    """A device ifsmith creates and deletes (bond, bridge, VLAN), not hardware."""
    return link.kind in MADE_KINDS


def stop_plan(names: Collection[str], live: LiveHost) -> Plan:
    """``ifsmith stop`` (virsh iface-destroy, ifdown): a bond, bridge or VLAN is deleted
    (its VLANs first; ports and slaves are set free), any other device loses its
    addresses and default routes and is taken down."""
    ops: list[Op] = []
    for name in names:
        link = live.link(name)
        if link is None:
            raise PlanError(f"no interface named {name}")
        if is_made(link):
            ops.extend(DeleteLink(n) for n in dependents_first(name, live))
        else:
            ops.extend(unconfigure(link, live, release=False))
    return Plan(tuple(_dedupe(ops)))


def dependents_first(name: str, live: LiveHost) -> list[str]:
    """NAME and the VLANs (macvlans) stacked on it, the topmost first: the deletes that
    the kernel's own delete of NAME implies, spelled out so a rollback knows them."""
    order = [name]
    for n in sorted(_with_dependents({name}, live) - {name}):
        order.insert(0, n)
    # A VLAN on a VLAN: deeper ones first.
    depth = {n: _depth(n, live) for n in order}
    return sorted(order, key=lambda n: -depth[n])


def _depth(name: str, live: LiveHost) -> int:
    link, depth = live.link(name), 0
    while link is not None and link.kind in ("vlan", "macvlan", "macvtap") and depth < 16:
        link, depth = live.link(link.parent or ""), depth + 1
    return depth


def unconfigure(link: LiveLink, live: LiveHost, *, release: bool = True) -> list[Op]:
    """What deleting a NIC means (ifdown): out of its bond or bridge, its addresses and
    default routes removed, down.  The device itself stays."""
    ops: list[Op] = []
    if release and link.master is not None:
        ops.append(SetMaster(link.name, None))
    for a in link.addresses:
        if a.scope == "global":
            ops.append(DelAddress(link.name, Addr(a.family, _canonical(a.address), a.prefix)))
    for family, gateway in live.gateways(link.name).items():
        ops.append(DelDefaultRoute(link.name, family, gateway))
    if link.admin_up:
        ops.append(SetUp(link.name, False))
    return ops


_CREATE_RANK = {"bond": 0, "vlan": 1, "bridge": 2}


def diff(
    specs: Sequence[DeviceSpec],
    live: LiveHost,
    remove: Sequence[str] = (),
    peers: dict[str, str] | None = None,
) -> Plan:
    """Ordered operations from the current state to the specs."""
    by_name = live.by_name()
    peers = peers or {}
    wanted = {s.name: s for s in specs}
    deletes: list[Op] = []
    creates: list[Op] = []
    settings: list[Op] = []
    releases: list[Op] = []
    enslave: list[Op] = []
    port_ops: list[Op] = []
    vlan_ops: list[Op] = []
    ups: list[Op] = []
    downs: list[Op] = []
    addr_add: list[Op] = []
    addr_del: list[Op] = []
    routes: list[Op] = []
    recreated: set[str] = set()
    held = {(a.family, _canonical(a.address)) for lnk in live.links for a in lnk.addresses}

    # A removed bond, bridge or VLAN is deleted, a removed NIC unconfigured (below).  A
    # bridge goes only once the addresses that move off it are in place elsewhere
    # (iface-unbridge: eth0 has br0's address before br0 goes; its ports stay up when
    # set free).  A bond goes first: the driver takes its slaves down as it lets them go.
    late: list[Op] = []
    unconfigured: list[str] = []
    for name in remove:
        link = by_name.get(name)
        if link is None or name in wanted:
            continue
        if not is_made(link):
            unconfigured.append(name)
            continue
        for n in dependents_first(name, live):
            if n not in wanted:
                (late if link.kind == "bridge" and n == name else deletes).append(DeleteLink(n))
    for spec in specs:
        link = by_name.get(spec.name)
        if link is not None and _must_recreate(spec, link):
            deletes.append(DeleteLink(spec.name))
            recreated.add(spec.name)
    # Deleting a device takes its VLANs (and macvlans) with it: they are gone too, and are
    # created again where the specs still want them.
    gone = _with_dependents({op.name for op in deletes + late}, live)
    recreated |= gone
    kinds = {n: link.kind for n, link in by_name.items()}
    by_name = {
        n: _released(link, kinds) if link.master in gone else link
        for n, link in by_name.items()
        if n not in gone
    }

    for name in unconfigured:
        for op in unconfigure(by_name[name], live):
            if isinstance(op, SetMaster):
                releases.append(op)
            elif isinstance(op, DelAddress):
                addr_del.append(op)
            elif isinstance(op, DelDefaultRoute):
                routes.append(op)
            else:
                downs.append(op)

    created_peers: set[str] = set()
    for spec in _creation_order(specs):
        link = by_name.get(spec.name)
        if link is None:
            if spec.kind == "ethernet":
                continue
            if spec.name in created_peers:
                continue
            peer = peers.get(spec.name) if spec.kind == "veth" else None
            if spec.kind == "veth" and peer is None:
                # Its peer lived in another namespace: a new veth would pair with a stray
                # peer here, cut from its LAN.  Left missing (a rollback reports it).
                continue
            if peer is not None and peer in by_name and peer not in recreated:
                # The surviving end of a veth pair cannot be re-paired: recreate both.
                deletes.append(DeleteLink(peer))
                recreated.add(peer)
            creates.append(
                CreateLink(spec.name, spec.kind, spec.bond, spec.bridge, spec.vlan, peer)
            )
            if peer is not None:
                created_peers.add(peer)
    fresh = {op.name for op in creates} | created_peers

    for spec in specs:
        link = None if spec.name in fresh else by_name.get(spec.name)
        if link is None and spec.name not in fresh:
            continue  # hardware that is missing (or a veth that cannot be made again)
        settings.extend(_setting_ops(spec, link, _fresh_mtu(spec, by_name, fresh)))
        # Masters: a bond slave must be down while it is enslaved.
        current_master = link.master if link is not None else None
        if current_master in fresh:
            current_master = None  # its master is deleted and recreated: released
        if spec.manage_master and spec.master != current_master:
            if current_master is not None:
                releases.append(SetMaster(spec.name, None))
            if spec.master is not None:
                master_spec = wanted.get(spec.master)
                master_kind = (
                    master_spec.kind
                    if master_spec
                    else (by_name[spec.master].kind if spec.master in by_name else "")
                )
                if master_kind == "bond" and (link is None or link.admin_up):
                    enslave.append(SetUp(spec.name, False))
                enslave.append(SetMaster(spec.name, spec.master))
        # A port that joins its bridge now starts from the bridge's defaults.
        stays = link is not None and spec.master == current_master
        if spec.port:
            running_port = link.port_options if link is not None and stays else None
            port = plan_options.changed(spec.port, running_port)
            if port:
                port_ops.append(SetPort(spec.name, port))
        if spec.vlans is not None:
            own = spec.kind == "bridge"
            running = link.vlans if link is not None and (own or stays) else None
            if running is None:
                running = bridge_vlans.DEFAULT  # new, or new in the bridge
            add, remove = bridge_vlans.changes(spec.vlans, running)
            if add or remove:
                vlan_ops.append(SetBridgeVlans(spec.name, add, remove, own))
        needs_up_again = any(isinstance(op, SetUp) and op.name == spec.name for op in enslave)
        is_up = link.admin_up if link is not None else False
        if spec.up is True and (not is_up or needs_up_again):
            ups.append(SetUp(spec.name, True))
        elif spec.up is False and is_up:
            downs.append(SetUp(spec.name, False))
        if spec.up is None and needs_up_again and is_up:
            ups.append(SetUp(spec.name, True))
        ends_up = spec.up is True or (spec.up is None and is_up)
        adds, dels = _address_ops(spec, link, held)
        if not ends_up:
            # A device left down (start mode none) gets no IPv6 addresses: the kernel drops
            # them whenever the device goes down, so they come with the start plan.
            adds = [op for op in adds if op.addr.family is not Family.IPV6]
        addr_add.extend(adds)
        addr_del.extend(dels)
        if ends_up:
            # The kernel refuses a route through a device that is down: its default
            # route, too, waits for the start plan.
            routes.extend(_route_ops(spec, live, fresh))

    # A new default route replaces the one through another device: say so, so that device
    # is part of the plan (and of its checkpoint and rollback).
    for op in list(routes):
        if isinstance(op, SetDefaultRoute):
            for route in live.routes:
                if (
                    route.family is op.family
                    and route.dst == "default"
                    and route.ifname not in (None, op.name)
                    and route.ifname not in wanted
                ):
                    routes.append(DelDefaultRoute(route.ifname or "", op.family, route.gateway))

    # Slaves and ports the definitions dropped from a master they manage.
    for spec in specs:
        if spec.kind not in ("bond", "bridge") or spec.name in fresh:
            continue
        for link in by_name.values():
            if link.master == spec.name and wanted.get(link.name, None) is None:
                releases.append(SetMaster(link.name, None))

    # (sorted from a copy: while list.sort runs, the list it sorts looks empty, and a VLAN
    # would not find the bridge it sits on among the creates.)
    made = list(creates)
    creates.sort(key=lambda op: _create_rank(op, made))
    ups = _order_ups(ups, wanted)
    # New addresses and default routes go in before old ones leave: removing a device's
    # last IPv4 address silently flushes its routes (the default route with them), so the
    # replacement default route must already be in place when the address moves.
    route_set = [op for op in routes if isinstance(op, (SetDefaultRoute, AddRoute))]
    route_del = [op for op in routes if not isinstance(op, (SetDefaultRoute, AddRoute))]
    ops = (
        deletes + releases + creates + settings + enslave + port_ops + vlan_ops + ups + addr_add
        + route_set
        + late + addr_del + route_del + downs
    )  # fmt: skip
    return Plan(tuple(_dedupe(ops)))


def _released(link: LiveLink, kinds: dict[str, str]) -> LiveLink:
    """A port or slave after its master is deleted: free, and down if it was a bond's."""
    # The bonding driver closes a slave it releases; a bridge leaves its ports up.
    down = kinds.get(link.master or "") == "bond"
    return replace(link, master=None, admin_up=False if down else link.admin_up)


def _with_dependents(names: set[str], live: LiveHost) -> set[str]:
    """The names plus every link stacked on them (IFLA_LINK parents), transitively."""
    result = set(names)
    changed = True
    while changed:
        changed = False
        for link in live.links:
            if link.name not in result and link.kind in ("vlan", "macvlan", "macvtap"):
                if link.parent in result:
                    result.add(link.name)
                    changed = True
    return result


def _dedupe(ops: Iterable[Op]) -> list[Op]:
    seen: set[Op] = set()
    out = []
    for op in ops:
        if op in seen and not isinstance(op, SetUp):
            continue
        seen.add(op)
        out.append(op)
    return out


def _creation_order(specs: Sequence[DeviceSpec]) -> list[DeviceSpec]:
    """Bonds, then VLANs, then bridges; a VLAN after its parent when that is created too."""
    return sorted(specs, key=lambda s: _CREATE_RANK.get(s.kind, 3))


def _create_rank(op: CreateLink | Op, creates: Sequence[Op]) -> int:
    if not isinstance(op, CreateLink):
        return 9
    rank = _CREATE_RANK.get(op.kind, 3) * 10
    if op.vlan is not None:
        parent = next(
            (c for c in creates if isinstance(c, CreateLink) and c.name == op.vlan.parent), None
        )
        if parent is not None:
            rank = max(rank, _create_rank(parent, creates) + 1)
    return rank


def _order_ups(ups: list[Op], wanted: dict[str, DeviceSpec]) -> list[Op]:
    """Slaves and ports before their masters, parents before their VLANs."""

    def depth(name: str, seen: frozenset[str] = frozenset()) -> int:
        spec = wanted.get(name)
        if spec is None or name in seen:
            return 0
        below = [s.name for s in wanted.values() if s.master == name]
        if spec.vlan is not None:
            below.append(spec.vlan.parent)
        return 1 + max((depth(b, seen | {name}) for b in below), default=0)

    return sorted(ups, key=lambda op: depth(op.name))


def _must_recreate(spec: DeviceSpec, link: LiveLink) -> bool:
    """A device whose type, VLAN id/parent or bond mode cannot be changed in place."""
    if spec.kind == "ethernet":
        return False
    if (link.kind or "ethernet") != spec.kind:
        if spec.kind in ("bond", "bridge", "vlan") or link.kind in ("bond", "bridge", "vlan"):
            return True
    if spec.vlan is not None and (
        link.vlan_tag != spec.vlan.tag or link.parent != spec.vlan.parent
    ):
        return True
    # Changing a bond's mode needs it down and without slaves: recreating is the same
    # effect, and the plan re-adds its slaves and addresses.
    if (
        spec.bond is not None
        and link.bond is not None
        and plan_options.needs_recreate(spec.bond.extra, link.bond.options)
    ):
        return True
    return bool(
        spec.bond is not None
        and link.bond is not None
        and spec.bond.mode is not None
        and spec.bond.mode != link.bond.mode
    )


def _fresh_mtu(spec: DeviceSpec, live: dict[str, LiveLink], fresh: set[str]) -> int | None:
    """The MTU the kernel gives a device this plan creates, where it is known for sure."""
    if spec.kind in ("bond", "veth"):
        return 1500
    if spec.vlan is not None:
        # A VLAN starts with its parent's MTU as it is at creation time (before the
        # plan's settings run): 1500 for a parent created by this plan too.
        parent = live.get(spec.vlan.parent)
        return 1500 if spec.vlan.parent in fresh or parent is None else parent.mtu
    # A bridge's MTU follows its ports until it is set explicitly: always set it.
    return None


def _setting_ops(spec: DeviceSpec, link: LiveLink | None, fresh_mtu: int | None) -> list[Op]:
    ops: list[Op] = []
    if link is not None and spec.bond is not None:
        current = link.bond
        changed = {
            k: v
            for k, v in spec.bond.options().items()
            if current is None or _bond_value(current, k) != v
        }
        extra = plan_options.changed(spec.bond.extra, current.options if current else None)
        if changed or extra:
            bond_spec = BondSpec(**changed, extra=extra)  # type: ignore[arg-type]
            ops.append(SetBond(spec.name, bond_spec))
    if link is not None and spec.bridge is not None:
        current_br = link.bridge
        stp = spec.bridge.stp
        delay = spec.bridge.forward_delay
        if current_br is not None:
            stp = None if stp == current_br.stp else stp
            if delay is not None and abs(delay - current_br.forward_delay) < 0.005:
                delay = None
        extra_br = plan_options.changed(
            spec.bridge.extra, current_br.options if current_br is not None else None
        )
        if stp is not None or delay is not None or extra_br:
            ops.append(SetBridge(spec.name, BridgeSpec(stp, delay, extra_br)))
    if link is not None and spec.vlan is not None and spec.vlan.reorder_hdr is not None:
        if link.vlan_reorder_hdr != spec.vlan.reorder_hdr:
            ops.append(SetVlanFlags(spec.name, spec.vlan.reorder_hdr))
    current_mtu = link.mtu if link is not None else fresh_mtu
    if spec.mtu is not None and current_mtu != spec.mtu:
        ops.append(SetMtu(spec.name, spec.mtu))
    if spec.mac is not None and (link is None or (link.mac or "").lower() != spec.mac.lower()):
        ops.append(SetMac(spec.name, spec.mac.lower()))
    return ops


def _bond_value(bond: object, option: str) -> object:
    return getattr(bond, option, None)


def _address_ops(
    spec: DeviceSpec, link: LiveLink | None, held: set[tuple[Family, str]]
) -> tuple[list[AddAddress], list[Op]]:
    adds: list[AddAddress] = []
    dels: list[Op] = []
    present = {
        Addr(a.family, _canonical(a.address), a.prefix)
        for a in (link.addresses if link is not None else ())
        if a.scope == "global"
    }
    for family, wanted in spec.addresses.items():
        for addr in wanted:
            if addr not in present:
                moved = family is Family.IPV6 and (family, addr.address) in held
                adds.append(
                    AddAddress(spec.name, addr, nodad=moved, lifetime=spec.leases.get(addr))
                )
        if family in spec.keep_extra:
            continue
        for addr in sorted(present, key=str):
            if addr.family is family and addr not in wanted:
                dels.append(DelAddress(spec.name, addr))
    return adds, dels


def _route_ops(spec: DeviceSpec, live: LiveHost, fresh: set[str]) -> list[Op]:
    ops: list[Op] = []
    current = {} if spec.name in fresh else live.gateways(spec.name)
    for family, gateway in spec.gateways.items():
        now = current.get(family)
        if gateway is not None and now != gateway:
            ops.append(SetDefaultRoute(spec.name, family, gateway))
        elif gateway is None and now is not None:
            ops.append(DelDefaultRoute(spec.name, family, now))
    for family, wanted in spec.routes.items():
        running = () if spec.name in fresh else live_routes(live, spec.name, family)
        for route in wanted:
            if not any(same_route(route, r) for r in running):
                ops.append(AddRoute(spec.name, family, route))
        for r in running:
            if not any(same_route(route, r) for route in wanted):
                ops.append(DelRoute(spec.name, family, r))
    return ops
