"""What every interface form shares (modal screens): layout, live validation, OK/Cancel.

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
    Family,
    IfType,
    Interface,
    LiveHost,
    StartMode,
)
from ifsmith.tui.pending import Pending, layout
from ifsmith.tui.widgets.field import (
    Choice,
    FieldError,
    IpSettings,
    Picker,
    field_row,
    parse_int,
    text_input,
)
from ifsmith.tui.widgets.options import (
    BOND_OPTIONS,
    BRIDGE_OPTIONS,
    BRIDGE_VLANS,
    PORT_OPTIONS,
)
from ifsmith.tui.widgets.routelist import RoutesDns
from ifsmith.tui.widgets.routes import problem_field

START_MODES = [("on boot", "onboot"), ("manual (none)", "none"), ("hotplug", "hotplug")]
# A setting the loaded definition leaves out: offered so that OK keeps it left out.
UNSET = ("(not set)", "")

# Words in a core.checks message → the field it is about (first match wins).
FIELD_WORDS: list[tuple[str, str]] = [
    ("bridge port option", PORT_OPTIONS),
    ("bond option", BOND_OPTIONS),
    ("lacp_rate", BOND_OPTIONS),
    ("xmit_hash_policy", BOND_OPTIONS),
    ("bridge option vlans", BRIDGE_VLANS),
    ("bridge option", BRIDGE_OPTIONS),
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
