"""Bond and bridge options in the backends (issue 10): every backend writes the options it
declares (``CARRIES``: "bond-options", "bridge-options" or "option:<kernel name>") in its
format's idiom and reads them back; every other set option is a render warning naming it
and its value — never a silent drop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ifsmith import backends
from ifsmith.backends import options_common
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Interface
from ifsmith.core.options import AnyOptions, Spec
from ifsmith.core.xmlio import parse
from tests.test_bond_options import ACTIVE_BACKUP, LACP, RR, TLB
from tests.test_bridge_options import FULL as BRIDGE


def docs() -> list[Interface]:
    # The bridge's port is a bond0 over eth1 of its own: this bond is bond1 over eth5+6.
    lacp = LACP.replace("'bond0'", "'bond1'").replace("'eth0'", "'eth5'")
    return [*parse(lacp.replace("'eth1'", "'eth6'")), *parse(BRIDGE)]


def each_option(interfaces: list[Interface]) -> Iterator[tuple[str, AnyOptions, Spec, object]]:
    """(interface, its options of one kind, spec, value) of every option set."""
    for top in interfaces:
        for iface, master in top.walk():
            for options in (
                iface.bond.options if iface.bond else None,
                iface.bridge.options if iface.bridge else None,
                iface.port_options if master is not None and master.bridge else None,
            ):
                for spec, value in options.items() if options is not None else ():
                    yield iface.name, options, spec, value


def options_of(interfaces: list[Interface]) -> dict[str, object]:
    """Every set option, by interface and XML name."""
    return {f"{n} {spec.attr}": value for n, _o, spec, value in each_option(interfaces)}


@pytest.mark.parametrize("name", backends.available())
def test_every_option_is_written_or_named_in_a_warning(name: str) -> None:
    backend = backends.get(name)
    carries = frozenset(getattr(backend, "CARRIES", ()))
    interfaces = docs()
    rendering = backends.render(backend, interfaces, MemoryFiles())
    said = "\n".join(str(w) for w in rendering.warnings)
    read = options_of(backend.read_files(MemoryFiles(dict(rendering.files))))
    for owner, options, spec, value in each_option(interfaces):
        text = f"{spec.attr}={spec.text(value)} not written: {name}"  # type: ignore[arg-type]
        if not options_common.carried(carries, options, spec.field):
            assert text in said, (spec.attr, said)
            continue
        assert text not in said
        got = read.get(f"{owner} {spec.attr}")
        if got != value and spec.kind == "seconds":
            # A format that keeps whole seconds (NetworkManager) says so.
            assert f"is whole seconds; {value} written as" in said
            continue
        assert got == value, (owner, spec)


@pytest.mark.parametrize("name", backends.available())
@pytest.mark.parametrize("doc", [LACP, ACTIVE_BACKUP, TLB, RR, BRIDGE])
def test_what_a_backend_carries_reads_back_and_renders_again_byte_for_byte(
    name: str, doc: str
) -> None:
    backend = backends.get(name)
    carries = frozenset(getattr(backend, "CARRIES", ()))
    interfaces = parse(doc)
    first = backends.render(backend, interfaces, MemoryFiles())
    files = MemoryFiles(dict(first.files))
    again = backend.read_files(files)
    wanted = {
        k: v
        for k, v in options_of(interfaces).items()
        if any(k.endswith(" " + s) for s in _carried_attrs(carries))
    }
    said = "\n".join(str(w) for w in first.warnings)
    for key, value in list(wanted.items()):
        if f"is whole seconds; {value} written as" in said:
            del wanted[key]  # rounded, and the warning says so (tested above)
    got = {k: v for k, v in options_of(again).items() if k in wanted}
    # networkd's GratuitousARP= and netplan's gratuitous-arp are the kernel's one count
    # for both: read back as num-grat-arp alone.
    for key in [k for k in wanted if k.endswith(" num-unsol-na")]:
        if BOND_KEYS_SHARED.get(name) and got.get(key.replace("unsol-na", "grat-arp")):
            del wanted[key]
    assert got == wanted
    second = backends.render(backend, again, files)
    assert {p: d for p, d in second.files.items() if d != files.read(p)} == {}


BOND_KEYS_SHARED = {"networkd": True, "netplan": True}


def _carried_attrs(carries: frozenset[str]) -> list[str]:
    from ifsmith.core.options import BOND_SPECS, BRIDGE_SPECS, PORT_SPECS

    out = []
    for kind, specs in (
        ("bond-options", BOND_SPECS),
        ("bridge-options", (*BRIDGE_SPECS, *PORT_SPECS)),
    ):
        for spec in specs:
            if kind in carries or f"option:{spec.field}" in carries:
                out.append(spec.attr)
    return out
