"""Bond, bridge and bridge-port options in the forms, as ``name=value`` text.

Every option of core.options' tables (and a bond's xmit-hash-policy and lacp-rate) is one
``name=value`` word, named as the XML attribute is: ``min-links=2 ad-select=bandwidth``.
One line per bridge port holds the port's: ``eth0 path-cost=100 vlans=10,20 pvid=10``
(VLAN lists take commas inside a word).  Text keeps a form small (each widget adds to the
time a form takes to open) and names every option the same way the XML, ``dumpxml`` and
the warnings do.  What does not parse is a FieldError naming the word; nothing set in the
definition is lost by editing it: the form shows every option it has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ifsmith.core.model import LACP_RATE_MODES, XMIT_HASH_MODES, Interface
from ifsmith.core.options import AnyOptions, BondOptions, PortOptions, Spec
from ifsmith.tui.widgets.field import FieldError
from ifsmith.tui.widgets.routelist import NumberedLines

BOND_OPTIONS, BRIDGE_OPTIONS, BRIDGE_VLANS, PORT_OPTIONS = (
    "bond-options", "bridge-options", "bridge-vlans", "port-options"
)  # fmt: skip


def _word(spec: Spec, value: object) -> str:
    text = spec.text(value)  # type: ignore[arg-type]
    if spec.kind == "vlans":
        text = text.replace(" ", ",")
    return f"{spec.attr}={text}"


def options_text(options: AnyOptions, extra: Mapping[str, str | None] | None = None) -> str:
    """``extra`` (name → value, set ones only) then every set option, as words."""
    words = [f"{k}={v}" for k, v in (extra or {}).items() if v is not None]
    words += [_word(spec, value) for spec, value in options.items()]
    return " ".join(words)


def parse_options(
    field: str,
    text: str,
    kind: type[AnyOptions],
    extra: Sequence[str] = (),
    skip: Sequence[str] = (),
) -> tuple[Any, dict[str, str]]:
    """The options of ``name=value`` words and the values of the ``extra`` names;
    FieldError (for row ``field``) naming a word that is not one.  ``skip``: option
    names this field does not take (they have a field of their own)."""
    specs = {spec.attr: spec for spec in kind.SPECS if spec.attr not in skip}
    values: dict[str, Any] = {}
    extras: dict[str, str] = {}
    for word in text.split():
        name, eq, value = word.partition("=")
        if not eq or not value:
            raise FieldError(field, f"'{word[:30]}': write name=value, e.g. {_example(specs)}")
        if name in extra:
            extras[name] = value
            continue
        spec = specs.get(name)
        if spec is None:
            known = ", ".join([*extra, *specs])
            raise FieldError(field, f"unknown option '{name[:30]}' (known: {known})")
        if spec.field in values:
            raise FieldError(field, f"{name} is given twice")
        try:
            text = value.replace(",", " ") if spec.kind == "vlans" else value
            values[spec.field] = spec.parse(text)
        except ValueError as exc:
            raise FieldError(field, f"{name}={value[:30]}: {exc}") from None
    return kind(**values), extras


def _example(specs: Mapping[str, Spec]) -> str:
    first = next(iter(specs.values()), None)
    if first is None:
        return "name=value"
    sample = first.default if first.default is not None else first.low or 1
    return _word(first, sample)


def ports_text(ports: Sequence[Interface]) -> str:
    """One line per port that has options: ``eth0 path-cost=100 pvid=10``."""
    return "\n".join(
        f"{port.name} {options_text(port.port_options)}" for port in ports if port.port_options
    )


def parse_ports(field: str, text: str, ports: Sequence[str]) -> dict[str, PortOptions]:
    """Port name → its options, from one line each; FieldError naming a line whose port
    is not among the bridge's ``ports`` or whose words are not options."""
    out: dict[str, PortOptions] = {}
    for number, line in enumerate(text.splitlines(), 1):
        name, _sep, rest = line.strip().partition(" ")
        if not name:
            continue
        if name not in ports:
            shown = ", ".join(ports) or "none picked"
            raise FieldError(field, f"line {number}: {name[:30]} is not a port (ports: {shown})")
        if name in out:
            raise FieldError(field, f"line {number}: {name} is given twice")
        try:
            out[name], _ = parse_options(field, rest, PortOptions)
        except FieldError as exc:
            raise FieldError(field, f"line {number} ({name}): {exc.message}") from None
    return out


# The bond options outside the table, and the modes they apply to (as core.checks holds).
_EXTRA_MODES = {"xmit-hash-policy": XMIT_HASH_MODES, "lacp-rate": LACP_RATE_MODES}


def bond_takes(mode: str | None) -> str:
    """The option names a bond of this mode takes (None: the kernel's, balance-rr), for
    the line under the bond form's options: each shown only where it applies."""
    effective = mode or "balance-rr"
    names = [n for n, modes in _EXTRA_MODES.items() if effective in modes]
    names += [s.attr for s in BondOptions.SPECS if s.modes is None or effective in s.modes]
    return f"{effective} takes: {' '.join(names)}"


def bond_extra(xmit: object, lacp: object) -> dict[str, str | None]:
    """A bond's two options that live outside the table, as the XML names them."""
    return {
        "xmit-hash-policy": str(xmit) if xmit is not None else None,
        "lacp-rate": str(lacp) if lacp is not None else None,
    }


class PortList(NumberedLines):
    """A bridge's port options, one port a line."""

    ROWS = 3

    def __init__(self) -> None:
        super().__init__(PORT_OPTIONS, "one port a line: eth0 path-cost=100 vlans=10,20 pvid=10")
