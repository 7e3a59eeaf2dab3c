"""Forms for ethernet, bond, bridge and VLAN definitions (modal screens).

Each form builds an ``Interface`` from its widgets as the admin types and validates it with
core.checks; every problem is shown beside the field it concerns and OK stays disabled
while any is an error.  The form dismisses with the new definition (or None on Esc).

A form is composed once and reused: ``load`` fills it with another interface.  Textual
takes ~0.1 s to compose and style a form's widgets, refilling one takes a few ms.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, SelectionList, Static, TextArea

from ifsmith.core.checks import Problem, check
from ifsmith.core.model import (
    PRIMARY_MODES,
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
from ifsmith.tui.pending import Pending, layout
from ifsmith.tui.widgets.field import (
    Choice,
    FieldError,
    IpSettings,
    Picker,
    Tick,
    field_row,
    parse_float,
    parse_int,
    text_input,
)
from ifsmith.tui.widgets.routelist import RoutesDns
from ifsmith.tui.widgets.routes import problem_field

START_MODES = [("on boot", "onboot"), ("manual (none)", "none"), ("hotplug", "hotplug")]
# A setting the loaded definition leaves out: offered so that OK keeps it left out.
UNSET = ("(not set)", "")

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

# The kind in a title, as the rest of the TUI writes it: "New VLAN", "New bond".
KIND_WORDS = {IfType.ETHERNET: "ethernet", IfType.BOND: "bond", IfType.BRIDGE: "bridge",
              IfType.VLAN: "VLAN"}  # fmt: skip

MODES = [(str(m), str(m)) for m in BondMode]
MONITORS = [("MII (miimon)", "miimon"), ("ARP (arpmon)", "arpmon")]
NO_PRIMARY = ("(none)", "")
NOTHING_PENDING = Pending()

# What a form's filling must not report as the admin's edits.
FILL_MESSAGES = (
    Input.Changed, Choice.Changed, Checkbox.Changed, SelectionList.SelectedChanged,
    TextArea.Changed,
)  # fmt: skip


def offer(picker: Picker, names: list[str], chosen: Iterable[str]) -> None:
    """Offer ``names`` in a picker, ``chosen`` ticked in their order (a bond's slave order
    is its primary's fallback); unchanged offers are left alone."""
    ticked = list(dict.fromkeys(chosen))
    offered = [(n, n, n in ticked) for n in names]
    if picker.offered == offered:
        picker.deselect_all()
    else:
        picker.offered = offered
        picker.clear_options()
        picker.add_options([(n, n, False) for n in names])
        picker.refresh(layout=True)  # its height follows the number of options
    for name in ticked:  # ticked one by one: the picker's selection keeps this order
        picker.select(name)
    picker.highlighted = 0 if offered else None  # as a new form's: at the top


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
        live: LiveHost | None = None,
        original: Interface | None = None,
        pending: Pending = NOTHING_PENDING,
        known: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.problems: dict[str, str] = {}
        self._error_labels: dict[str, Label] = {}
        self.load(live or LiveHost(), original, pending, known)
        self.heading = Static("", id="form-title")
        self.name_input = text_input("name")
        self.start = Choice("start", START_MODES, "onboot")
        self.mtu = text_input("mtu", "", "default")
        self.ip = [IpSettings(Family.IPV4), IpSettings(Family.IPV6)]
        self.routes_dns = RoutesDns()  # top level: a form never edits a slave or port
        self.form_problem = Label("", id="form-problem")
        self.ok = Button("OK", id="ok", variant="primary", compact=True)

    def load(
        self,
        live: LiveHost,
        original: Interface | None,
        pending: Pending = NOTHING_PENDING,
        known: Iterable[str] = (),
        selected: str | None = None,
        files: Sequence[Interface] = (),
    ) -> None:
        """Show ``original`` (None: a new interface) against this live state, the other
        pending changes (``pending`` without the original's own) and the host's ``files``
        (their definitions); ``selected`` is the tree's selection, a new VLAN's parent
        when it can be one."""
        self.live = live
        self.original = original
        self.filled = False  # this load is not shown in the widgets yet
        # The host once the other changes apply: what is free, what a VLAN can sit on.
        self.view = layout(live, pending, files)
        self.known = set(known)
        self.selected = selected
        if self.is_mounted:
            self.fill()

    @property
    def title_text(self) -> str:
        verb = "Edit" if self.original is not None else "New"
        name = f" {self.original.name}" if self.original is not None else ""
        return f"{verb} {KIND_WORDS[self.KIND]}{name}"

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield self.heading
            # Not focusable itself: the first field takes the focus, and a focused field
            # scrolls into view.
            with VerticalScroll(id="fields", can_focus=False):
                yield from self.fields()
                for settings in self.ip:
                    yield from settings.rows()
                yield from self.routes_dns.rows()
            yield self.form_problem
            with Horizontal(id="buttons"):
                yield self.ok
                yield Button("Cancel", id="cancel", compact=True)

    # -- building blocks ------------------------------------------------------------

    def fields(self) -> Iterable[Widget]:
        """The rows before the IP settings."""
        raise NotImplementedError

    def common_fields(self) -> list[Widget]:
        """Start mode and MTU: top-level settings every type has."""
        return [
            *field_row("start mode", self.start),
            *field_row("MTU", self.mtu),
        ]

    def name_field(self) -> list[Widget]:
        return field_row("name", self.name_input)

    def fill(self) -> None:
        """Show the loaded interface in every widget, then validate (once its fields are
        composed: until then ``on_screen_resume`` does it when the form shows)."""
        if not self.query("#fields"):
            if self.is_current:
                self.call_after_refresh(self.fill)  # shown already: as soon as it is made
            return
        self.filled = True
        o = self.original
        with self.prevent(*FILL_MESSAGES):
            self.heading.update(self.title_text)
            self.name_input.value = o.name if o is not None else self.default_name()
            self.name_input.disabled = o is not None  # renaming is delete + define
            unset = o is not None and o.start_mode is None
            self.start.set_options(
                [UNSET, *START_MODES] if unset else START_MODES,
                str(o.start_mode) if o is not None and o.start_mode else "" if unset else "onboot",
            )
            self.mtu.value = str(o.mtu) if o is not None and o.mtu else ""
            self.fill_fields()
            for settings in self.ip:
                settings.fill(o.protocol(settings.family) if o is not None else None)
            self.routes_dns.fill(o)
        self.query_one("#fields", VerticalScroll).scroll_home(animate=False)
        first = next((w for w in self.focus_chain if not w.disabled), None)
        self.set_focus(first)
        self.validate()

    def fill_fields(self) -> None:
        """Fill the rows of this form's type."""

    def default_name(self) -> str:
        return ""

    def choice(self, widget: Choice) -> str | None:
        return widget.value or None

    def common(self, name: str) -> Interface:
        """An interface of this form's type with start mode, MTU and IP settings; what the
        form has no field for (label, a bond's or bridge's MAC) as the original had it."""
        protocols = [p for p in (s.protocol() for s in self.ip) if p is not None]
        start = self.choice(self.start)
        o = self.original
        iface = Interface(
            type=self.KIND,
            name=name,
            start_mode=StartMode(start) if start else None,
            mtu=parse_int("mtu", self.mtu.value, "MTU"),
            mac=o.mac if o is not None else None,
            protocols=tuple(protocols),
            label=o.label if o is not None else None,
            dns=o.dns if o is not None else None,
        )
        return self.routes_dns.apply(iface)

    def build(self) -> Interface:
        """The definition the widgets describe; FieldError for a value that does not parse."""
        raise NotImplementedError

    # -- validation -----------------------------------------------------------------

    def on_mount(self) -> None:
        # Opened: filled now.  Made in the background (IfsmithApp.prepare): filled there,
        # unless the app closes first.
        if self.is_current:
            self.fill()

    def on_screen_resume(self) -> None:
        # Opened while it was being made in the background (a loaded machine): neither
        # load() nor on_mount could fill it then.
        if not self.filled:
            self.fill()

    @on(Input.Changed)
    @on(Choice.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    @on(TextArea.Changed)
    def changed(self) -> None:
        self.validate()

    def validate(self) -> Interface | None:
        """Build, check, show each problem beside its field; OK only while valid."""
        for settings in self.ip:
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
        hidden = self.hidden_fields()
        for field in [*problems, *self._error_labels]:
            message, is_error = problems.get(field, ("", False))
            label = self.error_label(field, make=bool(message))
            if label is None:
                continue  # no row of that name: the message goes below the fields
            if message and field not in hidden:
                shown.add(field)
            if label.shows != (message, is_error):  # type: ignore[attr-defined]
                label.shows = (message, is_error)  # type: ignore[attr-defined]
                # Inline style and display, not classes: a class change restyles widgets.
                label.update(Content.styled(message, "$error" if is_error else "$warning"))
            label.display = field in shown
        rest = "\n".join(m for f, (m, _e) in problems.items() if f not in shown)
        if str(self.form_problem.content) != rest:
            self.form_problem.update(rest)
        bad = any(is_error for _m, is_error in problems.values())
        self.ok.disabled = bad
        self.problems = {f: m for f, (m, _e) in problems.items()}
        return None if bad else iface

    def error_label(self, field: str, make: bool) -> Label | None:
        """The line under a field for its problem, made when the field first has one.

        Made on demand: most fields never have a problem, and every widget a form holds
        adds to the time it takes to open.
        """
        label = self._error_labels.get(field)
        if label is None and make:
            widget = next(iter(self.query(f"#fields > #{field}")), None)
            if widget is None:
                return None
            label = Label("", id=f"err-{field}", classes="field-error")
            label.shows = ("", False)  # type: ignore[attr-defined]
            self.query_one("#fields", VerticalScroll).mount(label, after=widget)
            self._error_labels[field] = label
        return label

    def hidden_fields(self) -> set[str]:
        """Fields whose rows are hidden now (their messages too)."""
        return set()

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
        field = problem_field(problem.message)  # routes, DNS
        if field is not None:
            return field
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

    def own_subordinates(self) -> list[str]:
        return [s.name for s in self.original.subordinates] if self.original else []

    def free(self, types: set[IfType]) -> list[str]:
        """What a slave or port of this interface can be once the other pending changes
        apply: interfaces of these types that nothing else holds, its own ones kept (also
        those only its definition has), never itself or what sits on it."""
        own = self.own_subordinates()
        mine = self.original.name if self.original else None
        inside = {i.name for i, _m in self.original.walk()} if self.original else set()
        names = [
            n
            for n in self.view.free(types, keep=own)
            if n not in inside or n in own
            if mine is None or self.view.parents.get(n) != mine
        ]
        return names + [n for n in own if n not in names]

    def subordinate(self, name: str) -> Interface:
        """A slave or port as libvirt nests it: as the original has it, else its pending
        definition, else the live device."""
        from ifsmith.core.definition import derive

        if self.original is not None:
            for sub in self.original.subordinates:
                if sub.name == name:
                    return sub
        base = self.view.defined.get(name)
        if base is None:
            if self.live.link(name) is None:
                return Interface(IfType.ETHERNET, name)
            base = derive(self.live, name)
        return dataclasses.replace(
            base, start_mode=None, mtu=None, protocols=(), link=None, label=None
        )


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
        bond = Bond(
            mode=BondMode(mode) if mode else None,
            miimon=miimon,
            arpmon=arpmon,
            slaves=tuple(self.subordinate(n) for n in slaves),
            primary_slave=primary,
        )
        if old is not None:
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
        self.stp = Tick("spanning tree", False, id="stp", compact=True)
        self.delay = text_input("delay", "", "seconds")
        self.port_list = Picker("ports")
        yield from self.name_field()
        yield from self.common_fields()
        yield from field_row("STP", self.stp)
        yield from field_row("forward delay", self.delay)
        yield from field_row("ports", self.port_list)

    def default_name(self) -> str:
        return self.next_free("br")

    def fill_fields(self) -> None:
        br = self.original.bridge if self.original is not None else None
        self.stp.value = bool(br.stp) if br and br.stp is not None else False
        self.delay.value = "" if br is None or br.delay is None else f"{br.delay:g}"
        kinds = {IfType.ETHERNET, IfType.BOND, IfType.VLAN}
        offer(self.port_list, self.free(kinds), self.own_subordinates())

    def build(self) -> Interface:
        iface = self.common(self.name_input.value.strip())
        bridge = Bridge(
            stp=self.stp.value,
            delay=parse_float("delay", self.delay.value, "forward delay"),
            ports=tuple(self.subordinate(n) for n in self.port_list.selected),
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


FORMS: dict[IfType, type[InterfaceForm]] = {
    IfType.ETHERNET: EthernetForm,
    IfType.BOND: BondForm,
    IfType.BRIDGE: BridgeForm,
    IfType.VLAN: VlanForm,
}
