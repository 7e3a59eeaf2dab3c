"""Form building blocks: a field with its problem message, a one-line choice, IP settings.

Forms lay their fields out on a two-column grid (caption | widget) with each field's
problem message on the line below it: three widgets a field.  Nested row containers and
Textual's Select (six widgets each) made a bond form 150 widgets that took ~0.45 s to open,
because Textual styles and lays out every one of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, OptionList, SelectionList
from textual.widgets.option_list import OptionDoesNotExist

from ifsmith.core.model import Family, IpAddress, Protocol


class FieldError(ValueError):
    """A value that cannot be parsed; ``field`` names the row whose message shows it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def field_row(caption: str, widget: Widget, group: str = "") -> list[Widget]:
    """Caption and widget of one field, for a form's grid (the form adds the line for the
    field's problem below them when it first has one).

    ``group`` is a class on both, so a form can hide rows together.
    """
    label = Label(caption, classes="caption")
    if group:
        label.add_class(group)
        widget.add_class(group)
    return [label, widget]


def hint(words: str) -> str:
    """A placeholder in parentheses: without colour it must not read as a value."""
    return f"({words})" if words else ""


def text_input(field: str, value: str = "", placeholder: str = "") -> Input:
    """A compact one-line input whose id is the field name; its placeholder in
    parentheses (NO_COLOR shows it in the same colour as a value)."""
    return Input(value, placeholder=hint(placeholder), id=field, compact=True)


def parse_int(field: str, text: str, what: str) -> int | None:
    """An optional whole number from an input; FieldError naming ``what`` otherwise."""
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise FieldError(field, f"{what} must be a whole number, not '{text}'") from None


def parse_float(field: str, text: str, what: str) -> float | None:
    """An optional number of seconds (or the like) from an input."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise FieldError(field, f"{what} must be a number, not '{text}'") from None


class Choice(Widget, can_focus=True):
    """One value out of a list, on one line: ←/→ or space step through it, Enter or a click
    opens the whole list.  One widget, where Textual's Select is six."""

    BINDINGS = [
        Binding("left", "step(-1)", "Previous", show=False),
        Binding("right,space", "step(1)", "Next", show=False),
        Binding("enter", "pick", "List", show=False),
    ]

    class Changed(Message):
        """The value changed (by the admin or by the form)."""

        def __init__(self, choice: Choice, value: str) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, field: str, options: list[tuple[str, str]], value: str = "") -> None:
        super().__init__(id=field)
        self._options = list(options)
        self._value = self._valid(value)

    def _valid(self, value: str) -> str:
        values = [v for _label, v in self._options]
        if value in values or not values:
            return value
        return values[0]

    @property
    def options(self) -> list[tuple[str, str]]:
        """(label, value) pairs in the order offered."""
        return list(self._options)

    @property
    def value(self) -> str:
        return self._value

    @value.setter
    def value(self, value: str) -> None:
        value = self._valid(value)
        if value != self._value:
            self._value = value
            self.refresh()
            self.post_message(self.Changed(self, value))

    def set_options(self, options: Iterable[tuple[str, str]], value: str | None = None) -> None:
        """Offer other options; keep the value when it is still offered (else the first)."""
        self._options = list(options)
        self.value = self._valid(self._value if value is None else value)
        self.refresh()

    def render(self) -> Text:
        label = next((lbl for lbl, v in self._options if v == self._value), self._value)
        width = max(self.size.width - 2, len(label))
        # ▼ is in the VGA/CP437 set that Linux console fonts carry.
        return Text(f"{label:<{width}} ▼", no_wrap=True, overflow="ellipsis")

    def action_step(self, delta: int) -> None:
        values = [v for _label, v in self._options]
        if values:
            at = values.index(self._value) if self._value in values else 0
            self.value = values[(at + delta) % len(values)]

    def action_pick(self) -> None:
        def picked(value: str | None) -> None:
            if value is not None:
                self.value = value

        self.app.push_screen(ChoiceList(self._options, self._value), picked)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.focus()
        self.action_pick()


def tick_box(ticked: bool) -> str:
    """A tick box that says its state in glyphs, not only in colour: ``[x]`` or ``[ ]``.

    Textual draws ``▐X▌`` either way, ticked or not, and leaves the difference to colour:
    NO_COLOR, a capture of the screen or a colour-blind admin cannot tell them apart.
    """
    return "[x]" if ticked else "[ ]"


class Tick(Checkbox):
    """A checkbox drawn as ``[x]``/``[ ]``."""

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        box = tick_box(self.value)
        return Content.assemble(box[0], (box[1], style), box[2])


class Picker(SelectionList[str]):
    """Names to tick (slaves, ports): one line each, at most ``ROWS`` shown at a time,
    each with a ``[x]``/``[ ]`` box."""

    ROWS = 6

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        index = self.scroll_offset.y + y
        try:
            value = self.get_option_at_index(index).value
        except OptionDoesNotExist:
            return strip
        if len(segments) < 4:
            return strip
        # SelectionList puts its ▐X▌ in the first three segments (one cell each); the
        # brackets keep the option's index, so a click on them ticks it.
        box = tick_box(value in self._selected)
        plain = (segments[3].style or Style()) + Style(meta={"option": index})
        return Strip(
            [
                Segment(box[0], plain),
                Segment(box[1], segments[1].style),
                Segment(box[2], plain),
                *segments[3:],
            ],
            strip.cell_length,
        )

    def __init__(self, field: str) -> None:
        super().__init__(id=field, compact=True)
        self.offered: list[tuple[str, str, bool]] = []

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # Names are one line each; Textual would measure all 2,000 options to learn that.
        return max(1, min(self.option_count, self.ROWS))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # Tick the option the key was pressed on.  SelectionList ticks the one highlighted
        # when the message is handled: keys that arrive together (typed over a slow ssh
        # link) moved the highlight first, and every space ticked the last option.
        event.stop()
        event.prevent_default()  # not SelectionList's own handler as well
        self.toggle(self.get_option_at_index(event.option_index))


class ChoiceList(ModalScreen[str | None]):
    """The whole list of a Choice; Enter takes the highlighted one, Esc keeps the old."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "take", "OK", show=False),
    ]

    def __init__(self, options: list[tuple[str, str]], value: str) -> None:
        super().__init__()
        self.values = [v for _label, v in options]
        self.list = OptionList(*[label for label, _v in options], id="choice-list")
        # A fixed height: with "auto", Textual measures every option to size the list.
        self.list.styles.height = min(len(options), 16) + 2
        if value in self.values:
            self.list.highlighted = self.values.index(value)

    def compose(self) -> ComposeResult:
        yield self.list

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.values[event.option_index])

    def action_take(self) -> None:
        at = self.list.highlighted
        self.dismiss(self.values[at] if at is not None else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


METHODS = {
    Family.IPV4: [("none", "none"), ("DHCP", "dhcp"), ("static", "static")],
    # libvirt: no IPv6 protocol is "off"; an empty one is link-local addresses only.
    Family.IPV6: [
        ("off", "off"),
        ("link-local only", "none"),
        ("DHCPv6", "dhcp"),
        ("autoconf (SLAAC)", "autoconf"),
        ("static", "static"),
    ],
}


def method_of(protocol: Protocol | None) -> str:
    """The method a ``<protocol>`` amounts to: off, none, dhcp, autoconf or static."""
    if protocol is None:
        return "off"
    if protocol.addresses:
        return "static"
    if protocol.dhcp:
        return "dhcp"
    return "autoconf" if protocol.autoconf else "none"


class IpSettings:
    """The rows of one address family: method, addresses, gateway (widgets of a form)."""

    def __init__(self, family: Family) -> None:
        self.family = f = family
        self.method = Choice(f"{f}-method", METHODS[f], "none" if f is Family.IPV4 else "off")
        example = "192.0.2.10/24" if f is Family.IPV4 else "2001:db8::10/64"
        self.example = f"e.g. {example}"
        self.addresses = text_input(f"{f}-addresses", "", self.example)
        self.gateway = text_input(f"{f}-gateway")
        # The method and protocol last filled in: kept whole while that method stays.
        self.loaded: tuple[str, Protocol | None] = ("", None)

    def rows(self) -> list[Widget]:
        f = self.family
        return [
            *field_row("IPv4" if f is Family.IPV4 else "IPv6", self.method),
            *field_row("  addresses", self.addresses),
            *field_row("  gateway", self.gateway),
        ]

    def fill(self, protocol: Protocol | None) -> None:
        """Show ``protocol`` (None: the family is off; IPv4 has no "off", only none).

        What one method cannot say (DHCP beside static addresses, DHCPv6 with autoconf,
        peerdns) is named in the method's label and kept while that method stays chosen.
        """
        method = method_of(protocol)
        if method == "off" and self.family is Family.IPV4:
            method = "none"
        self.loaded = (method, protocol)
        options = METHODS[self.family]
        extra = also_of(protocol)
        if extra:
            options = [(f"{lbl} + {extra}" if v == method else lbl, v) for lbl, v in options]
        self.method.set_options(options, method)
        self.addresses.value = " ".join(str(a) for a in protocol.addresses) if protocol else ""
        self.gateway.value = (protocol.gateway or "") if protocol else ""
        self.sync_enabled()

    def sync_enabled(self) -> None:
        """Addresses and gateway only mean something for a static method."""
        static = self.method.value == "static"
        self.addresses.disabled = self.gateway.disabled = not static
        # Said in words too: a disabled field differs from an empty one only in colour.
        self.addresses.placeholder = hint(self.example if static else "static only")
        self.gateway.placeholder = hint("" if static else "static only")

    def protocol(self) -> Protocol | None:
        """The ``<protocol>`` these settings describe (None: the family is off)."""
        f = self.family
        method = self.method.value
        loaded_method, loaded = self.loaded
        if method == loaded_method and loaded is not None:
            # The loaded protocol with what the fields show: all it had beside stays.
            addresses = self.parsed_addresses()
            if method == "static" and not addresses:
                raise FieldError(f"{f}-addresses", "a static method needs at least one address")
            return dataclasses.replace(
                loaded, addresses=addresses, gateway=self.gateway.value.strip() or None
            )
        if method == "off" or (method == "none" and f is Family.IPV4):
            return None
        if method in ("none", "dhcp", "autoconf"):
            return Protocol(f, dhcp=method == "dhcp", autoconf=method == "autoconf")
        addresses = self.parsed_addresses()
        if not addresses:
            raise FieldError(f"{f}-addresses", "a static method needs at least one address")
        return Protocol(f, addresses=addresses, gateway=self.gateway.value.strip() or None)

    def parsed_addresses(self) -> tuple[IpAddress, ...]:
        """The addresses typed, each with its prefix if given."""
        addresses = []
        for token in self.addresses.value.replace(",", " ").split():
            address, _, prefix = token.partition("/")
            if prefix and not prefix.isdigit():
                raise FieldError(
                    f"{self.family}-addresses", f"'{token}': the prefix must be a number"
                )
            addresses.append(IpAddress(address, int(prefix) if prefix else None))
        return tuple(addresses)


def also_of(protocol: Protocol | None) -> str:
    """What a protocol has beside its method (``method_of``): "DHCP", "autoconf", "peerdns no"."""
    if protocol is None:
        return ""
    method = method_of(protocol)
    extra = []
    if protocol.dhcp and method != "dhcp":
        extra.append("DHCP")
    if protocol.autoconf and method != "autoconf":
        extra.append("autoconf")
    if protocol.peerdns is not None:
        extra.append(f"peerdns {'yes' if protocol.peerdns else 'no'}")
    return " + ".join(extra)
