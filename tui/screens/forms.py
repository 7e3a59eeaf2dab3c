"""Forms for ethernet, bond, bridge and VLAN definitions (modal screens).

Each form builds an ``Interface`` from its widgets as the admin types and validates it with
core.checks; every problem is shown beside the field it concerns and OK stays disabled
while any is an error.  The form dismisses with the new definition (or None on Esc).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static

from ifsmith.core.checks import Problem, check
from ifsmith.core.model import (
    ArpMon,
    ArpValidate,
    Bond,
    BondMode,
    Bridge,
    Carrier,
    Family,
    IfType,
    Interface,
    LiveHost,
    MiiMon,
    StartMode,
    Vlan,
)
from ifsmith.tui.widgets.field import (
    FieldError,
    IpSettings,
    field_row,
    parse_float,
    parse_int,
    select,
    text_input,
)

START_MODES = [("on boot", "onboot"), ("manual (none)", "none"), ("hotplug", "hotplug")]

# Words in a core.checks message → the field it is about (first match wins).
FIELD_WORDS: list[tuple[str, str]] = [
    ("MTU", "mtu"),
    ("MAC", "mac"),
    ("VLAN tag", "tag"),
    ("parent", "parent"),
    ("primary", "primary"),
    ("arpmon", "arp-interval"),
    ("ARP", "arp-interval"),
    ("miimon", "miimon-freq"),
    ("updelay", "miimon-freq"),
    ("slave", "slaves"),
    ("port", "ports"),
    ("name", "name"),
    ("defined twice", "name"),
]


def without_live_state(iface: Interface) -> Interface:
    """A definition from a live interface: no ``<link>`` state anywhere in it."""
    bond, bridge = iface.bond, iface.bridge
    if bond is not None:
        bond = dataclasses.replace(bond, slaves=tuple(map(without_live_state, bond.slaves)))
    if bridge is not None:
        bridge = dataclasses.replace(bridge, ports=tuple(map(without_live_state, bridge.ports)))
    return dataclasses.replace(iface, link=None, bond=bond, bridge=bridge)


class InterfaceForm(ModalScreen[Interface | None]):
    """What every form shares: layout, live validation, OK/Cancel, Esc."""

    CSS_PATH = "forms.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("ctrl+s", "ok", "OK"),
    ]
    KIND = IfType.ETHERNET

    def __init__(
        self,
        live: LiveHost,
        original: Interface | None = None,
        others: Iterable[Interface] = (),
        known: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.live = live
        self.original = original
        self.others = list(others)  # other pending definitions (their slaves are taken)
        self.known = set(known)
        self.problems: dict[str, str] = {}

    @property
    def title_text(self) -> str:
        verb = "Edit" if self.original is not None else "New"
        name = f" {self.original.name}" if self.original is not None else ""
        return f"{verb} {self.KIND}{name}"

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(self.title_text, id="form-title")
            with VerticalScroll(id="fields"):
                yield from self.fields()
                yield from self.ip_fields()
            yield Label("", id="form-problem")
            with Horizontal(id="buttons"):
                yield Button("OK", id="ok", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    # -- building blocks ------------------------------------------------------------

    def fields(self) -> Iterable[Widget]:
        raise NotImplementedError

    def common_fields(self) -> Iterable[Widget]:
        """Start mode and MTU: top-level settings every type has."""
        o = self.original
        mode = str(o.start_mode) if o is not None and o.start_mode else "onboot"
        yield field_row("start mode", select("start", START_MODES, mode), "start")
        mtu = str(o.mtu) if o is not None and o.mtu else ""
        yield field_row("MTU", text_input("mtu", mtu, "default"), "mtu")

    def ip_fields(self) -> Iterable[Widget]:
        o = self.original
        yield IpSettings(Family.IPV4, o.ipv4 if o else None)
        yield IpSettings(Family.IPV6, o.ipv6 if o else None)

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    def choice(self, field: str) -> str | None:
        value = self.query_one(f"#{field}", Select).value
        return value if isinstance(value, str) else None

    def common(self, name: str) -> Interface:
        """An interface of this form's type with start mode, MTU and IP settings."""
        protocols = []
        for settings in self.query(IpSettings):
            proto = settings.protocol()
            if proto is not None:
                protocols.append(proto)
        start = self.choice("start")
        return Interface(
            type=self.KIND,
            name=name,
            start_mode=StartMode(start) if start else None,
            mtu=parse_int("mtu", self.value("mtu"), "MTU"),
            protocols=tuple(protocols),
            label=self.original.label if self.original is not None else None,
        )

    def build(self) -> Interface:
        """The definition the widgets describe; FieldError for a value that does not parse."""
        raise NotImplementedError

    # -- validation -----------------------------------------------------------------

    def on_mount(self) -> None:
        self.validate()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    def changed(self) -> None:
        self.validate()

    def validate(self) -> Interface | None:
        """Build, check, show each problem beside its field; OK only while valid."""
        for settings in self.query(IpSettings):
            settings.sync_enabled()
        problems: dict[str, tuple[str, bool]] = {}
        iface = None
        try:
            iface = self.build()
        except FieldError as exc:
            problems[exc.field] = (exc.message, True)
        if iface is not None:
            for problem in self.check(iface):
                field = self.field_of(problem, iface)
                is_error = problem.severity == "error"
                if field not in problems or (is_error and not problems[field][1]):
                    prefix = "" if is_error else "warning: "
                    problems[field] = (prefix + problem.message, is_error)
        shown = set()
        for label in self.query(".field-error").results(Label):
            field = (label.id or "").removeprefix("err-")
            message, is_error = problems.get(field, ("", False))
            label.update(message)
            label.set_class(bool(message), "shown")
            label.set_class(not is_error, "warning")
            if message:
                shown.add(field)
        rest = [m for f, (m, _e) in problems.items() if f not in shown]
        self.query_one("#form-problem", Label).update("\n".join(rest))
        bad = any(is_error for _m, is_error in problems.values())
        self.query_one("#ok", Button).disabled = bad
        self.problems = {f: m for f, (m, _e) in problems.items()}
        return None if bad else iface

    def check(self, iface: Interface) -> list[Problem]:
        problems = check([iface], self.known)
        if self.original is None and iface.name in self.known:
            problems.insert(0, Problem(iface.name, f"{iface.name} exists already; pick a new name"))
        return problems

    def next_free(self, prefix: str) -> str:
        """The first unused name like bond0, bond1, ... (a default for new interfaces)."""
        n = 0
        while f"{prefix}{n}" in self.known:
            n += 1
        return f"{prefix}{n}"

    def field_of(self, problem: Problem, iface: Interface) -> str:
        """Which row a problem belongs to: per family for addresses, else by its words."""
        for proto in iface.protocols:
            alone = dataclasses.replace(iface, protocols=(proto,))
            bare = {
                p.message for p in check([dataclasses.replace(iface, protocols=())], self.known)
            }
            mine = {p.message for p in check([alone], self.known)} - bare
            if problem.message in mine:
                what = "gateway" if "gateway" in problem.message else "addresses"
                return f"{proto.family}-{what}"
        for word, field in FIELD_WORDS:
            if word in problem.message:
                return field
        return "name"

    # -- actions --------------------------------------------------------------------

    @on(Button.Pressed, "#ok")
    def action_ok(self) -> None:
        iface = self.validate()
        if iface is not None:
            self.dismiss(iface)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    # -- what the pickers offer -----------------------------------------------------

    def taken(self) -> set[str]:
        """Names that are slaves or ports in other pending definitions."""
        out = set()
        for other in self.others:
            if self.original is not None and other.name == self.original.name:
                continue
            out |= {i.name for i, master in other.walk() if master is not None}
        return out

    def own_subordinates(self) -> list[str]:
        return [s.name for s in self.original.subordinates] if self.original else []

    def free(self, types: set[IfType]) -> list[str]:
        """Interfaces of these types that have no master (live or pending), loopback aside."""
        taken = self.taken()
        own = self.own_subordinates()
        names = [
            link.name
            for link in self.live.links
            if link.type in types
            and not link.is_loopback
            and (link.master is None or link.name in own)
            and link.name not in taken
        ]
        names += [o.name for o in self.others if o.type in types and o.name not in names]
        mine = self.original.name if self.original else None
        return [n for n in names if n != mine]

    def subordinate(self, name: str) -> Interface:
        """A slave or port as libvirt nests it: pending definition, else the live device."""
        from ifsmith.core.live import interface_from_live

        for other in self.others:
            if other.name == name:
                base = other
                break
        else:
            if self.original is not None:
                for sub in self.original.subordinates:
                    if sub.name == name:
                        return sub
            if self.live.link(name) is None:
                return Interface(IfType.ETHERNET, name)
            base = without_live_state(interface_from_live(self.live, name))
        return dataclasses.replace(
            base, start_mode=None, mtu=None, protocols=(), link=None, label=None
        )

    def name_field(self, default: str = "") -> Widget:
        o = self.original
        name_input = text_input("name", o.name if o else default, f"e.g. {default or 'name'}")
        name_input.disabled = o is not None  # renaming is delete + define
        return field_row("name", name_input, "name")


class EthernetForm(InterfaceForm):
    """An ethernet NIC: start mode, MTU, MAC, IPv4/IPv6."""

    KIND = IfType.ETHERNET

    def fields(self) -> Iterable[Widget]:
        yield self.name_field()
        yield from self.common_fields()
        mac = self.original.mac if self.original is not None and self.original.mac else ""
        yield field_row("MAC", text_input("mac", mac, "keep the NIC's own"), "mac")

    def build(self) -> Interface:
        iface = self.common(self.value("name").strip())
        return dataclasses.replace(iface, mac=self.value("mac").strip() or None)


class BondForm(InterfaceForm):
    """A bond: mode, link monitoring, slaves picked from free ethernets, primary, IP."""

    KIND = IfType.BOND

    def fields(self) -> Iterable[Widget]:
        bond = self.original.bond if self.original is not None else None
        yield self.name_field(self.next_free("bond"))
        yield from self.common_fields()
        mode = str(bond.mode) if bond and bond.mode else str(BondMode.ACTIVE_BACKUP)
        yield field_row("mode", select("mode", [(str(m), str(m)) for m in BondMode], mode), "mode")
        monitor = "arpmon" if bond and bond.arpmon else "miimon"
        yield field_row(
            "link monitor",
            select("monitor", [("MII (miimon)", "miimon"), ("ARP (arpmon)", "arpmon")], monitor),
            "monitor",
        )
        mii = bond.miimon if bond and bond.miimon else MiiMon(100)
        with_mii = [
            field_row("  frequency ms", text_input("miimon-freq", str(mii.freq)), "miimon-freq"),
            field_row(
                "  updelay ms", text_input("miimon-updelay", str(mii.updelay)), "miimon-updelay"
            ),
            field_row(
                "  downdelay ms",
                text_input("miimon-downdelay", str(mii.downdelay)),
                "miimon-downdelay",
            ),
            field_row(
                "  carrier",
                select(
                    "miimon-carrier",
                    [("netif (default)", "netif"), ("ioctl", "ioctl")],
                    str(mii.carrier or "netif"),
                ),
                "miimon-carrier",
            ),
        ]
        yield Vertical(*with_mii, id="miimon-box")
        arp = bond.arpmon if bond and bond.arpmon else ArpMon(1000)
        with_arp = [
            field_row(
                "  interval ms", text_input("arp-interval", str(arp.interval)), "arp-interval"
            ),
            field_row(
                "  targets",
                text_input("arp-targets", " ".join(arp.targets), "IPv4 addresses"),
                "arp-targets",
            ),
            field_row(
                "  validate",
                select(
                    "arp-validate",
                    [(str(v), str(v)) for v in ArpValidate],
                    str(arp.validate or "none"),
                ),
                "arp-validate",
            ),
        ]
        yield Vertical(*with_arp, id="arpmon-box")
        chosen = set(self.own_subordinates())
        picker: SelectionList[str] = SelectionList(
            *[(n, n, n in chosen) for n in self.free({IfType.ETHERNET})],
            id="slaves",
            compact=True,
        )
        yield field_row("slaves", picker, "slaves")
        primary = bond.primary_slave if bond else None
        yield field_row(
            "primary",
            Select(
                [(n, n) for n in self.own_subordinates()],
                value=primary or Select.NULL,
                id="primary",
                compact=True,
                prompt="(first slave)",
            ),
            "primary",
        )

    def slaves(self) -> list[str]:
        return list(self.query_one("#slaves", SelectionList).selected)

    def validate(self) -> Interface | None:
        arp = self.choice("monitor") == "arpmon"
        self.query_one("#miimon-box").display = not arp
        self.query_one("#arpmon-box").display = arp
        primary = self.query_one("#primary", Select)
        slaves = self.slaves()
        current = primary.value
        if [str(v) for _p, v in primary._options if v != Select.NULL] != slaves:
            primary.set_options([(n, n) for n in slaves])
            if isinstance(current, str) and current in slaves:
                primary.value = current
        return super().validate()

    def build(self) -> Interface:
        iface = self.common(self.value("name").strip())
        if self.choice("monitor") == "arpmon":
            interval = parse_int("arp-interval", self.value("arp-interval"), "interval") or 0
            validate = self.choice("arp-validate")
            targets = tuple(self.value("arp-targets").replace(",", " ").split())
            miimon, arpmon = (
                None,
                ArpMon(interval, targets, ArpValidate(validate) if validate != "none" else None),
            )
        else:
            carrier = self.choice("miimon-carrier")
            miimon, arpmon = (
                MiiMon(
                    parse_int("miimon-freq", self.value("miimon-freq"), "frequency") or 0,
                    parse_int("miimon-downdelay", self.value("miimon-downdelay"), "downdelay") or 0,
                    parse_int("miimon-updelay", self.value("miimon-updelay"), "updelay") or 0,
                    Carrier(carrier) if carrier == "ioctl" else None,
                ),
                None,
            )
        mode = self.choice("mode")
        bond = Bond(
            mode=BondMode(mode) if mode else None,
            miimon=miimon,
            arpmon=arpmon,
            slaves=tuple(Interface(IfType.ETHERNET, n) for n in self.slaves()),
            primary_slave=self.choice("primary"),
        )
        if self.original is not None and self.original.bond is not None:
            old = self.original.bond
            bond = dataclasses.replace(
                bond,
                xmit_hash_policy=old.xmit_hash_policy,
                lacp_rate=old.lacp_rate if bond.mode is BondMode.LACP else None,
            )
        return dataclasses.replace(iface, bond=bond)


class BridgeForm(InterfaceForm):
    """A bridge: STP, forward delay, ports picked from free ethernets, bonds and VLANs, IP."""

    KIND = IfType.BRIDGE

    def fields(self) -> Iterable[Widget]:
        br = self.original.bridge if self.original is not None else None
        yield self.name_field(self.next_free("br"))
        yield from self.common_fields()
        stp = bool(br.stp) if br and br.stp is not None else False
        yield field_row("STP", Checkbox("spanning tree", stp, id="stp", compact=True), "stp")
        delay = "" if br is None or br.delay is None else f"{br.delay:g}"
        yield field_row("forward delay", text_input("delay", delay, "seconds"), "delay")
        chosen = set(self.own_subordinates())
        kinds = {IfType.ETHERNET, IfType.BOND, IfType.VLAN}
        picker: SelectionList[str] = SelectionList(
            *[(n, n, n in chosen) for n in self.free(kinds)], id="ports", compact=True
        )
        yield field_row("ports", picker, "ports")

    def build(self) -> Interface:
        iface = self.common(self.value("name").strip())
        ports = tuple(self.subordinate(n) for n in self.query_one("#ports", SelectionList).selected)
        bridge = Bridge(
            stp=self.query_one("#stp", Checkbox).value,
            delay=parse_float("delay", self.value("delay"), "forward delay"),
            ports=ports,
        )
        return dataclasses.replace(iface, bridge=bridge)


class VlanForm(InterfaceForm):
    """A VLAN: parent, tag, a name that follows parent.tag until the admin changes it."""

    KIND = IfType.VLAN

    def fields(self) -> Iterable[Widget]:
        v = self.original.vlan if self.original is not None else None
        parents = [
            link.name
            for link in self.live.links
            if not link.is_loopback
            and link.type is not IfType.VLAN
            and not self._is_slave(link.master)
        ]
        parents += [
            o.name for o in self.others if o.type is not IfType.VLAN and o.name not in parents
        ]
        parent = v.parent if v and v.parent else (parents[0] if parents else "")
        if parent and parent not in parents:
            parents.append(parent)
        yield field_row("parent", select("parent", [(n, n) for n in parents], parent), "parent")
        yield field_row("tag", text_input("tag", str(v.tag) if v else "", "1-4094"), "tag")
        yield self.name_field()
        yield from self.common_fields()

    def _is_slave(self, master: str | None) -> bool:
        link = self.live.link(master) if master else None
        return link is not None and link.type is IfType.BOND

    def on_mount(self) -> None:
        self.auto_name = self.original is None
        self.validate()

    @on(Input.Changed, "#name")
    def name_typed(self, event: Input.Changed) -> None:
        # Once the admin types a name of their own, stop following parent.tag.
        if event.value != self.default_name():
            self.auto_name = False

    def default_name(self) -> str:
        parent, tag = self.choice("parent") or "", self.value("tag").strip()
        return f"{parent}.{tag}" if parent and tag else ""

    def validate(self) -> Interface | None:
        if getattr(self, "auto_name", False):
            name = self.query_one("#name", Input)
            default = self.default_name()
            if name.value != default:
                with name.prevent(Input.Changed):
                    name.value = default
        return super().validate()

    def build(self) -> Interface:
        iface = self.common(self.value("name").strip())
        tag = parse_int("tag", self.value("tag"), "tag")
        if tag is None:
            raise FieldError("tag", "the VLAN needs a tag (1-4094)")
        old = self.original.vlan if self.original is not None else None
        vlan = Vlan(tag, self.choice("parent"), old.reorder_hdr if old else None)
        return dataclasses.replace(iface, vlan=vlan)


FORMS: dict[IfType, type[InterfaceForm]] = {
    IfType.ETHERNET: EthernetForm,
    IfType.BOND: BondForm,
    IfType.BRIDGE: BridgeForm,
    IfType.VLAN: VlanForm,
}
