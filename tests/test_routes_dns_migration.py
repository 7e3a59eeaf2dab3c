"""A migration between any two backends that carry routes and DNS keeps them (issue 10):
files written by one, read back, written by the other, read back — the same routes, in
either family, and the same DNS.  Every backend that declares ``CARRIES`` takes part."""

from __future__ import annotations

import itertools

import pytest

from ifsmith import backends
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Interface
from ifsmith.core.xmlio import parse
from tests.test_routes_dns_ifupdown import DOC

CARRYING = [
    name
    for name in backends.available()
    if {"routes", "dns"} <= set(getattr(backends.get(name), "CARRIES", ()))
]


def through(name: str, iface: Interface) -> Interface:
    """IFACE written by backend NAME on an empty host and read back."""
    backend = backends.get(name)
    rendering = backends.render(backend, [iface], MemoryFiles())
    lost = [w for w in rendering.warnings if "not written" in w.message]
    assert lost == [], lost
    (back,) = backend.read_files(MemoryFiles(dict(rendering.files)))
    return back


def kept(iface: Interface) -> tuple[object, ...]:
    return (iface.dns, tuple((p.family, p.routes, p.gateway) for p in iface.protocols))


@pytest.mark.parametrize(("source", "target"), list(itertools.permutations(CARRYING, 2)))
def test_a_migration_keeps_routes_and_dns(source: str, target: str) -> None:
    (wanted,) = parse(DOC)
    migrated = through(target, through(source, wanted))
    assert kept(migrated) == kept(wanted)


def test_the_shell_era_backends_all_take_part() -> None:
    assert {"ifupdown", "ifcfg-rh", "ifcfg-suse", "netifrc"} <= set(CARRYING)
