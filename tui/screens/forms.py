"""Forms for ethernet, bond, bridge and VLAN definitions (modal screens); what they share
is tui/screens/form_base.py's ``InterfaceForm``."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from typing import TypeVar

from textual import on
from textual.widget import Widget
from textual.widgets import Input

from ifsmith.core.model import (
    PRIMARY_MODES,
    ArpMon,
    ArpValidate,
    Bond,
    BondMode,
    Bridge,
    Carrier,
    IfType,
    Interface,
    LacpRate,
    MiiMon,
    Vlan,
    XmitHashPolicy,
)
from ifsmith.core.options import BondOptions, BridgeOptions, PortOptions, spec
from ifsmith.tui.screens.form_base import NO_PRIMARY, UNSET, InterfaceForm, offer
from ifsmith.tui.widgets.field import (
    Choice,
    FieldError,
    Picker,
    Tick,
    field_row,
    parse_float,
    parse_int,
    text_input,
)
from ifsmith.tui.widgets.options import (
    BOND_OPTIONS,
    BRIDGE_OPTIONS,
    BRIDGE_VLANS,
    PORT_OPTIONS,
    PortList,
    bond_extra,
    options_text,
    parse_options,
    parse_ports,
    ports_text,
)

_E = TypeVar("_E", bound=enum.Enum)
MODES = [(str(m), str(m)) for m in BondMode]
MONITORS = [("MII (miimon)", "miimon"), ("ARP (arpmon)", "arpmon")]

__all__ = ["FORMS", "BondForm", "BridgeForm", "EthernetForm", "InterfaceForm", "VlanForm"]


class EthernetForm(InterfaceForm):
    """An ethernet NIC: start mode, MTU, MAC, IPv4/IPv6."""

    KIND = IfType.ETHERNET

    def fields(self) -> Iterable[Widget]:
        self.mac = text_input("mac", "", "keep the NIC's own")
        yield from self.name_field()
        yield from self.common_fields()
        yield from field_row("MAC", self.mac)

    def fill_fields(self) -> None:
        o = self.original
        self.mac.value = o.mac if o is not None and o.mac else ""

    def build(self) -> Interface:
        iface = self.common(self.name_input.value.strip())
        return dataclasses.replace(iface, mac=self.mac.value.strip() or None)


class BondForm(InterfaceForm):
    """A bond: mode, link monitoring, slaves picked from free ethernets, primary, IP."""

    KIND = IfType.BOND

    def fields(self) -> Iterable[Widget]:
        self.mode = Choice("mode", MODES)
        self.monitor = Choice("monitor", MONITORS)
        self.mii_freq = text_input("miimon-freq")
        self.mii_updelay = text_input("miimon-updelay")
        self.mii_downdelay = text_input("miimon-downdelay")
        self.mii_carrier = Choice("miimon-carrier", [UNSET, *[(str(c), str(c)) for c in Carrier]])
        self.arp_interval = text_input("arp-interval")
        self.arp_targets = text_input("arp-targets", "", "IPv4 addresses")
        self.arp_validate = Choice(
            "arp-validate", [UNSET, *[(str(v), str(v)) for v in ArpValidate]]
        )
        self.slave_list = Picker("slaves")
        self.primary = Choice("primary", [NO_PRIMARY])
        self.options = text_input(BOND_OPTIONS, "", "kernel defaults; e.g. min-links=2")
        yield from self.name_field()
        yield from self.common_fields()
        yield from field_row("mode", self.mode)
        yield from field_row("link monitor", self.monitor)
        yield from field_row("  frequency ms", self.mii_freq, "mii")
        yield from field_row("  updelay ms", self.mii_updelay, "mii")
        yield from field_row("  downdelay ms", self.mii_downdelay, "mii")
        yield from field_row("  carrier", self.mii_carrier, "mii")
        yield from field_row("  interval ms", self.arp_interval, "arp")
        yield from field_row("  targets", self.arp_targets, "arp")
        yield from field_row("  validate", self.arp_validate, "arp")
        yield from field_row("slaves", self.slave_list)
        yield from field_row("primary", self.primary)
        yield from field_row("options", self.options)

    def default_name(self) -> str:
        return self.next_free("bond")

    def fill_fields(self) -> None:
        bond = self.original.bond if self.original is not None else None
        if bond is None:
            self.mode.set_options(MODES, str(BondMode.ACTIVE_BACKUP))
            self.monitor.set_options(MONITORS, "miimon")
        else:
            mode = str(bond.mode) if bond.mode else ""
            self.mode.set_options(MODES if mode else [UNSET, *MODES], mode)
            monitor = "arpmon" if bond.arpmon else "miimon" if bond.miimon else ""
            self.monitor.set_options([*MONITORS, UNSET] if not monitor else MONITORS, monitor)
        mii = bond.miimon if bond and bond.miimon else MiiMon(100)
        self.mii_freq.value = str(mii.freq)
        self.mii_updelay.value = str(mii.updelay)
        self.mii_downdelay.value = str(mii.downdelay)
        self.mii_carrier.value = str(mii.carrier or "")
        arp = bond.arpmon if bond and bond.arpmon else ArpMon(1000)
        self.arp_interval.value = str(arp.interval)
        self.arp_targets.value = " ".join(arp.targets)
        self.arp_validate.value = str(arp.validate or "")
        own = self.own_subordinates()
        offer(self.slave_list, self.free({IfType.ETHERNET}), own)
        self.primary.set_options(self.primary_options(own), (bond.primary or "") if bond else "")
        self.options.value = (
            options_text(bond.options, bond_extra(bond.xmit_hash_policy, bond.lacp_rate))
            if bond is not None
            else ""
        )

    def has_primary(self) -> bool:
        """Whether the chosen mode has a primary slave (active-backup, tlb, alb)."""
        mode = self.choice(self.mode)
        return mode is not None and BondMode(mode) in PRIMARY_MODES

    def primary_options(self, slaves: list[str]) -> list[tuple[str, str]]:
        """The slaves by name; "(none)" too where the mode has no primary (or no slave)."""
        names = [(n, n) for n in slaves]
        return names if self.has_primary() and names else [NO_PRIMARY, *names]

    def hidden_fields(self) -> set[str]:
        mii = {"miimon-freq", "miimon-updelay", "miimon-downdelay", "miimon-carrier"}
        arp = {"arp-interval", "arp-targets", "arp-validate"}
        return {"miimon": arp, "arpmon": mii}.get(self.monitor.value, mii | arp)

    def slaves(self) -> list[str]:
        return list(self.slave_list.selected)

    def validate(self) -> Interface | None:
        for widget in self.query(".mii"):
            widget.display = self.monitor.value == "miimon"
        for widget in self.query(".arp"):
            widget.display = self.monitor.value == "arpmon"
        options = self.primary_options(self.slaves())
        if self.primary.options != options:
            with self.prevent(Choice.Changed):
                # The primary shown stays while it is offered, else the first slave's.
                self.primary.set_options(options)
        return super().validate()

    def build(self) -> Interface:
        iface = self.common(self.name_input.value.strip())
        miimon = arpmon = None
        if self.monitor.value == "arpmon":
            interval = parse_int("arp-interval", self.arp_interval.value, "interval") or 0
            validate = self.choice(self.arp_validate)
            targets = tuple(self.arp_targets.value.replace(",", " ").split())
            arpmon = ArpMon(interval, targets, ArpValidate(validate) if validate else None)
        elif self.monitor.value == "miimon":
            carrier = self.choice(self.mii_carrier)
            miimon = MiiMon(
                parse_int("miimon-freq", self.mii_freq.value, "frequency") or 0,
                parse_int("miimon-downdelay", self.mii_downdelay.value, "downdelay") or 0,
                parse_int("miimon-updelay", self.mii_updelay.value, "updelay") or 0,
                Carrier(carrier) if carrier else None,
            )
        mode = self.choice(self.mode)
        slaves = self.slaves()
        old = self.original.bond if self.original is not None else None
        primary = self.choice(self.primary)
        # The first slave is the primary unless one is named: named only when it is not
        # the first, or the definition named it.
        implicit = slaves[0] if slaves and self.has_primary() else None
        if primary == implicit and (old is None or old.primary_slave != primary):
            primary = None
        options, extra = parse_options(
            BOND_OPTIONS, self.options.value, BondOptions, ("xmit-hash-policy", "lacp-rate")
        )
        bond = Bond(
            mode=BondMode(mode) if mode else None,
            miimon=miimon,
            arpmon=arpmon,
            slaves=tuple(self.subordinate(n) for n in slaves),
            primary_slave=primary,
            xmit_hash_policy=_enum_word(XmitHashPolicy, "xmit-hash-policy", extra),
            lacp_rate=_enum_word(LacpRate, "lacp-rate", extra),
            options=options,
        )
        return dataclasses.replace(iface, bond=bond)


class BridgeForm(InterfaceForm):
    """A bridge: STP, forward delay, ports picked from free ethernets, bonds and VLANs, IP."""

    KIND = IfType.BRIDGE

    def fields(self) -> Iterable[Widget]:
        self.stp = Tick("spanning tree", False, id="stp", compact=True)
        self.delay = text_input("delay", "", "seconds")
        self.port_list = Picker("ports")
        self.options = text_input(BRIDGE_OPTIONS, "", "kernel defaults; e.g. priority=4096")
        self.filtering = Tick("filter VLANs", False, id="vlan-filtering", compact=True)
        self.vlans = text_input(BRIDGE_VLANS, "", "the bridge's own: e.g. 10 20 100-199")
        self.port_options = PortList()
        yield from self.name_field()
        yield from self.common_fields()
        yield from field_row("STP", self.stp)
        yield from field_row("forward delay", self.delay)
        yield from field_row("ports", self.port_list)
        yield from field_row("options", self.options)
        yield from field_row("VLAN-aware", self.filtering)
        yield from field_row("bridge VLANs", self.vlans)
        yield from field_row("port options", self.port_options)

    def default_name(self) -> str:
        return self.next_free("br")

    def fill_fields(self) -> None:
        br = self.original.bridge if self.original is not None else None
        self.stp.value = bool(br.stp) if br and br.stp is not None else False
        self.delay.value = "" if br is None or br.delay is None else f"{br.delay:g}"
        kinds = {IfType.ETHERNET, IfType.BOND, IfType.VLAN}
        offer(self.port_list, self.free(kinds), self.own_subordinates())
        options = br.options if br is not None else BridgeOptions()
        own = dataclasses.replace(options, vlan_filtering=None, vlans=None)
        self.options.value = options_text(own)
        self.filtering.value = bool(options.vlan_filtering)
        self.vlans.value = options.vlans or ""
        self.port_options.load_text(ports_text(br.ports) if br is not None else "")

    def build(self) -> Interface:
        iface = self.common(self.name_input.value.strip())
        old = self.original.bridge if self.original is not None else None
        options, _ = parse_options(
            BRIDGE_OPTIONS, self.options.value, BridgeOptions, skip=("vlan-filtering", "vlans")
        )
        vlans = None
        if self.vlans.value.strip():
            try:
                vlans = spec(BridgeOptions, "vlans").parse(self.vlans.value.replace(",", " "))
            except ValueError as exc:
                raise FieldError(BRIDGE_VLANS, str(exc)) from None
        # Off where the definition said nothing stays unsaid (absent is not "off").
        said_off = old is not None and old.options.vlan_filtering is False
        filtering = True if self.filtering.value else (False if said_off else None)
        options = dataclasses.replace(options, vlan_filtering=filtering, vlans=vlans)
        names = list(self.port_list.selected)
        per_port = parse_ports(PORT_OPTIONS, self.port_options.text, names)
        ports = []
        for name in names:
            port = self.subordinate(name)
            ports.append(dataclasses.replace(port, port_options=per_port.get(name, PortOptions())))
        bridge = Bridge(
            stp=self.stp.value,
            delay=parse_float("delay", self.delay.value, "forward delay"),
            ports=tuple(ports),
            options=options,
        )
        return dataclasses.replace(iface, bridge=bridge)


class VlanForm(InterfaceForm):
    """A VLAN: parent, tag, a name that follows parent.tag until the admin changes it."""

    KIND = IfType.VLAN

    def fields(self) -> Iterable[Widget]:
        self.parent_choice = Choice("parent", [])
        self.tag = text_input("tag", "", "1-4094")
        self.auto_name = False
        yield from field_row("parent", self.parent_choice)
        yield from field_row("tag", self.tag)
        yield from self.name_field()
        yield from self.common_fields()

    def fill_fields(self) -> None:
        v = self.original.vlan if self.original is not None else None
        view = self.view
        slaves = view.slaves()
        mine = self.original.name if self.original is not None else None
        parents = [
            name
            for name, kind in view.types.items()
            if kind is not IfType.VLAN
            and name not in view.loopback
            and name not in view.deleted
            and name not in slaves
            and name != mine
        ]
        if v is not None and v.parent:
            parent = v.parent
        else:
            near = self.selected if self.selected in parents else None
            parent = near or (parents[0] if parents else "")
        if parent and parent not in parents:
            parents.append(parent)
        self.parent_choice.set_options([(n, n) for n in parents], parent)
        self.tag.value = str(v.tag) if v else ""
        self.auto_name = self.original is None

    @on(Input.Changed, "#name")
    def name_typed(self, event: Input.Changed) -> None:
        # Once the admin types a name of their own, stop following parent.tag.
        if event.value != self.default_name():
            self.auto_name = False

    def default_name(self) -> str:
        parent, tag = self.parent_choice.value, self.tag.value.strip()
        return f"{parent}.{tag}" if parent and tag else ""

    def validate(self) -> Interface | None:
        if self.auto_name:
            default = self.default_name()
            if self.name_input.value != default:
                with self.name_input.prevent(Input.Changed):
                    self.name_input.value = default
        return super().validate()

    def build(self) -> Interface:
        iface = self.common(self.name_input.value.strip())
        tag = parse_int("tag", self.tag.value, "tag")
        if tag is None:
            raise FieldError("tag", "the VLAN needs a tag (1-4094)")
        old = self.original.vlan if self.original is not None else None
        vlan = Vlan(tag, self.choice(self.parent_choice), old.reorder_hdr if old else None)
        return dataclasses.replace(iface, vlan=vlan)


def _enum_word(kind: type[_E], name: str, extra: dict[str, str]) -> _E | None:
    """The value of ``name=`` in a form's options, as its enum; FieldError if none."""
    text = extra.get(name)
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        choices = ", ".join(str(v) for v in kind)  # type: ignore[attr-defined]
        raise FieldError(BOND_OPTIONS, f"{name}={text[:30]}: expected one of: {choices}") from None


FORMS: dict[IfType, type[InterfaceForm]] = {
    IfType.ETHERNET: EthernetForm,
    IfType.BOND: BondForm,
    IfType.BRIDGE: BridgeForm,
    IfType.VLAN: VlanForm,
}
