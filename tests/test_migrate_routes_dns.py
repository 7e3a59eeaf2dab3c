"""A migration between any two formats keeps static routes and DNS (issue 10: "test: every
pair").  The files of format A, read as an admin's host would be read, rendered as format B
and read back from B: the routes and the resolver settings are the same.  A backend that
does not carry them yet must say so by name for each one (backends.render) — never a quiet
loss."""

from __future__ import annotations

import itertools

import pytest

from ifsmith import backends
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Interface
from ifsmith.core.xmlio import parse
from tests.lab_xml import routes_dns_doc

DOC = routes_dns_doc(
    "bond",
    "bond0",
    """\
  <bond mode='active-backup'>
    <miimon freq='100'/>
    <interface type='ethernet' name='eth0'/>
    <interface type='ethernet' name='eth1'/>
  </bond>
""",
)

NAMES = backends.available()


def carries(name: str, what: str) -> bool:
    return what in getattr(backends.get(name), "CARRIES", ())


def routes_and_dns(interfaces: list[Interface]) -> tuple[object, object]:
    (bond0,) = [i for i in interfaces if i.name == "bond0"]
    routes = {p.family: {(str(r), r.metric) for r in p.routes} for p in bond0.protocols}
    dns = (bond0.dns.servers, bond0.dns.search) if bond0.dns else None
    return routes, dns


@pytest.mark.parametrize(("a", "b"), list(itertools.permutations(NAMES, 2)))
def test_a_migration_keeps_routes_and_dns(a: str, b: str) -> None:
    source, target = backends.get(a), backends.get(b)
    files_a = backends.render(source, parse(DOC), MemoryFiles({})).files
    read_a = source.read_files(MemoryFiles(files_a))
    rendering = backends.render(target, read_a, MemoryFiles({}))
    read_b = target.read_files(MemoryFiles(rendering.files))
    said = "\n".join(str(w) for w in rendering.warnings)
    want_routes, want_dns = routes_and_dns(parse(DOC))
    got_routes, got_dns = routes_and_dns(read_b)
    for what, want, got in (("routes", want_routes, got_routes), ("dns", want_dns, got_dns)):
        if carries(a, what) and carries(b, what):
            assert got == want, f"{a} → {b}: {what}\n{said}"
        elif carries(a, what):
            # Read from A, but B cannot write them: a warning names each one.
            assert f"does not carry {'static routes' if what == 'routes' else 'resolver'}" in said
