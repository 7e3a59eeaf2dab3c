"""One harness for every file backend: what an unchanged round trip and a one-field edit write.

The design's test of it all: read the host's files, render them back unchanged (directly,
and through the XML an admin would export and replay) and no file line changes; change one
field and only that field's lines change.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Protocol

from ifsmith.core.files import FileView, MemoryFiles, Rendering
from ifsmith.core.model import Bridge, Family, IfType, Interface, IpAddress
from ifsmith.core.xmlio import parse, to_xml

Files = Mapping[PurePosixPath | str, bytes]


class FileBackend(Protocol):
    def read_files(self, existing: FileView) -> list[Interface]: ...

    def render(self, interfaces: Sequence[Interface], existing: FileView) -> Rendering: ...


def changes(rendering: Rendering, files: MemoryFiles) -> list[str]:
    """Every line a rendering adds or removes, as ``path: -line`` / ``path: +line``.

    A file written with other bytes, created (even empty) or removed counts; a file
    written back with its own bytes does not.
    """
    out: list[str] = []
    for path in rendering.touched:
        old, new = files.read(path), rendering.files.get(path)
        if old == new:
            continue
        if old is None or new is None:
            out.append(f"{path}: {'created' if old is None else 'removed'}")
        a = (old or b"").decode(errors="replace").splitlines(keepends=True)
        b = (new or b"").decode(errors="replace").splitlines(keepends=True)
        for line in difflib.unified_diff(a, b, n=0):
            if line[:1] in "+-" and not line.startswith(("+++", "---")):
                out.append(f"{path.name}: {line.rstrip(chr(10))}")
        if old is not None and new is not None and a == b:
            out.append(f"{path}: bytes differ outside lines (line endings?)")
    return out


def through_xml(interfaces: Sequence[Interface]) -> list[Interface]:
    """The interfaces as ``dumpxml`` exports them and ``define`` reads them back."""
    return [i for top in interfaces for i in parse(to_xml(top))]


def unchanged_round_trip(backend: FileBackend, files: Files) -> dict[str, list[str]]:
    """What rendering the files' own interfaces changes: directly and through the XML."""
    view = MemoryFiles(files)
    interfaces = backend.read_files(view)
    assert interfaces, "the files define no interface"
    return {
        "direct": changes(backend.render(interfaces, view), view),
        "xml": changes(backend.render(through_xml(interfaces), view), view),
    }


def edit(
    backend: FileBackend,
    files: Files,
    change: Callable[[list[Interface]], list[Interface]],
    via_xml: bool = False,
) -> tuple[list[str], Rendering]:
    """The changed lines (and the rendering) after one edit of what the files define,
    made on what they read as, or (``via_xml``) on the XML an admin exports."""
    view = MemoryFiles(files)
    interfaces = backend.read_files(view)
    if via_xml:
        interfaces = through_xml(interfaces)
    rendering = backend.render(change(interfaces), view)
    return changes(rendering, view), rendering


def named(interfaces: Sequence[Interface], name: str) -> Interface:
    """The interface of that name, at any depth."""
    for top in interfaces:
        for iface, _master in top.walk():
            if iface.name == name:
                return iface
    raise KeyError(name)


def replaced(
    interfaces: Sequence[Interface], name: str, change: Callable[[Interface], Interface]
) -> list[Interface]:
    """The interfaces with the one named ``name`` (at any depth) changed."""
    from dataclasses import replace

    def walk(iface: Interface) -> Interface:
        if iface.name == name:
            return change(iface)
        if iface.bond is not None:
            slaves = tuple(walk(s) for s in iface.bond.slaves)
            return replace(iface, bond=replace(iface.bond, slaves=slaves))
        if iface.bridge is not None:
            ports = tuple(walk(p) for p in iface.bridge.ports)
            return replace(iface, bridge=replace(iface.bridge, ports=ports))
        return iface

    return [walk(i) for i in interfaces]


def with_addresses(iface: Interface, family: Family, *addresses: IpAddress) -> Interface:
    """The interface with the static addresses of one family replaced."""
    from dataclasses import replace

    proto = iface.protocol(family)
    assert proto is not None
    others = tuple(p for p in iface.protocols if p.family != family)
    return replace(iface, protocols=(replace(proto, addresses=addresses), *others))


def nic_into_bridge(interfaces: Sequence[Interface], nic: str, bridge: str) -> list[Interface]:
    """Story 1: a NIC becomes the port of a new bridge that takes its addressing (addresses,
    gateways, static routes and DNS, as ``iface-bridge`` does)."""
    old = named(interfaces, nic)
    port = Interface(IfType.ETHERNET, nic, mac=old.mac)
    return [
        Interface(
            IfType.BRIDGE,
            bridge,
            start_mode=old.start_mode,
            mtu=old.mtu,
            protocols=old.protocols,
            dns=old.dns,
            bridge=Bridge(stp=False, ports=(port,)),
        )
    ]


Change = Callable[[list[Interface]], list[Interface]]


def change(name: str, **fields: object) -> Change:
    """An edit: these fields of the interface ``name`` set."""
    from dataclasses import replace

    return lambda interfaces: replaced(interfaces, name, lambda i: replace(i, **fields))  # type: ignore[arg-type]


def change_bond(name: str, **fields: object) -> Change:
    """An edit: these fields of the bond ``name``'s settings set."""
    from dataclasses import replace

    def one(iface: Interface) -> Interface:
        assert iface.bond is not None
        return replace(iface, bond=replace(iface.bond, **fields))  # type: ignore[arg-type]

    return lambda interfaces: replaced(interfaces, name, one)


def change_addresses(name: str, family: Family, *addresses: IpAddress) -> Change:
    """An edit: the static addresses of one family of the interface ``name`` replaced."""
    return lambda interfaces: replaced(
        interfaces, name, lambda i: with_addresses(i, family, *addresses)
    )


def eth1_into_br9(interfaces: list[Interface]) -> list[Interface]:
    """The shapes' story 1: eth1 becomes the only port of a new bridge br9."""
    return nic_into_bridge(interfaces, "eth1", "br9")
