"""One labelled form field with its problem message beside it, and IP settings.

``field_row`` wraps any input widget; ``FieldError`` is what a form's builder raises for a
value it cannot even parse (a tag that is not a number), naming the field it belongs to.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Select

from ifsmith.core.model import Family, IpAddress, Protocol


class FieldError(ValueError):
    """A value that cannot be parsed; ``field`` names the row whose message shows it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def field_row(caption: str, widget: Widget, field: str) -> Vertical:
    """A caption, the widget and (below it, shown only when set) its problem message."""
    return Vertical(
        Horizontal(Label(caption, classes="caption"), widget, classes="field-line"),
        Label("", id=f"err-{field}", classes="field-error"),
        classes="field",
        id=f"row-{field}",
    )


def text_input(field: str, value: str = "", placeholder: str = "") -> Input:
    """A compact one-line input whose id is the field name."""
    return Input(value, placeholder=placeholder, id=field, compact=True)


def select(
    field: str, options: list[tuple[str, str]], value: str, blank: bool = False
) -> Select[str]:
    """A compact drop-down whose id is the field name."""
    return Select(options, value=value, id=field, compact=True, allow_blank=blank)


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


METHODS = {
    Family.IPV4: [("none", "none"), ("DHCP", "dhcp"), ("static", "static")],
    Family.IPV6: [
        ("link-local only", "none"),
        ("DHCPv6", "dhcp"),
        ("autoconf (SLAAC)", "autoconf"),
        ("static", "static"),
    ],
}


class IpSettings(Vertical):
    """Method (none/DHCP/autoconf/static), addresses and gateway of one address family."""

    def __init__(self, family: Family, protocol: Protocol | None) -> None:
        super().__init__(classes="ip-settings", id=f"ip-{family}")
        self.family = family
        self.initial = protocol

    def compose(self) -> ComposeResult:
        f = self.family
        p = self.initial
        if p is None:
            method = "none"
        elif p.addresses:
            method = "static"
        elif p.dhcp:
            method = "dhcp"
        elif p.autoconf:
            method = "autoconf"
        else:
            method = "none"
        # libvirt says an empty IPv6 protocol means link-local only; no protocol means off.
        options = METHODS[f]
        if f is Family.IPV6 and p is None:
            options = [("off", "off"), *options]
            method = "off"
        yield field_row(
            f"{'IPv4' if f is Family.IPV4 else 'IPv6'}",
            select(f"{f}-method", options, method),
            f"{f}-method",
        )
        addresses = " ".join(str(a) for a in p.addresses) if p else ""
        example = "192.0.2.10/24" if f is Family.IPV4 else "2001:db8::10/64"
        yield field_row(
            "  addresses", text_input(f"{f}-addresses", addresses, example), f"{f}-addresses"
        )
        yield field_row(
            "  gateway",
            text_input(f"{f}-gateway", (p.gateway or "") if p else ""),
            f"{f}-gateway",
        )

    def method(self) -> str:
        value = self.query_one(f"#{self.family}-method", Select).value
        return str(value) if isinstance(value, str) else "none"

    def sync_enabled(self) -> None:
        """Addresses and gateway only mean something for a static method."""
        static = self.method() == "static"
        for what in ("addresses", "gateway"):
            self.query_one(f"#{self.family}-{what}", Input).disabled = not static

    def protocol(self) -> Protocol | None:
        """The ``<protocol>`` these settings describe (None: the family is off)."""
        f = self.family
        method = self.method()
        if method == "off" or (method == "none" and f is Family.IPV4):
            return None
        if method in ("none", "dhcp", "autoconf"):
            return Protocol(f, dhcp=method == "dhcp", autoconf=method == "autoconf")
        addresses = []
        for token in self.query_one(f"#{f}-addresses", Input).value.replace(",", " ").split():
            address, _, prefix = token.partition("/")
            if prefix and not prefix.isdigit():
                raise FieldError(f"{f}-addresses", f"'{token}': the prefix must be a number")
            addresses.append(IpAddress(address, int(prefix) if prefix else None))
        if not addresses:
            raise FieldError(f"{f}-addresses", "a static method needs at least one address")
        gateway = self.query_one(f"#{f}-gateway", Input).value.strip() or None
        return Protocol(f, addresses=tuple(addresses), gateway=gateway)
