"""RelaxNG schemas and libvirt's own format: what ``validate`` and ``format --libvirt`` add.

``schema_problems`` judges a document against a schema (ours under core/schema by default,
libvirt's as a test oracle) and reports each complaint led by its element and line.
``without_extensions`` turns an interface into what libvirt's format alone can say, listing
what that leaves out, so nothing is dropped without a word.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from ifsmith.core.model import IfType, Interface
from ifsmith.core.names import shown
from ifsmith.core.options import BondOptions, BridgeOptions, PortOptions
from ifsmith.core.xmlio import _X, _children, _local, _qname, load_tree


def without_extensions(iface: Interface) -> tuple[Interface, list[str]]:
    """The interface as libvirt's format alone can say it, and what that leaves out (one
    line each, e.g. ``bond0: ifsmith:lacp-rate='fast'``)."""
    left: list[str] = []

    def strip(sub: Interface) -> Interface:
        changes: dict[str, object] = {}
        where = shown(sub.name)
        if sub.label is not None:
            left.append(f"{where}: ifsmith:label='{shown(sub.label)}'")
            changes["label"] = None
        if sub.mac is not None and sub.type is not IfType.ETHERNET:
            left.append(f"{where}: ifsmith:mac='{shown(sub.mac)}'")
            changes["mac"] = None
        if sub.dns:
            dns = sub.dns
            said = " ".join(f"{k}='{' '.join(v)}'" for k, v in
                            (("servers", dns.servers), ("search", dns.search)) if v)  # fmt: skip
            left.append(f"{where}: <ifsmith:dns {shown(said)}/>")
            changes["dns"] = None
        if any(p.routes for p in sub.protocols):
            left.extend(f"{where}: <ifsmith:route> {r}" for p in sub.protocols for r in p.routes)
            changes["protocols"] = tuple(dataclasses.replace(p, routes=()) for p in sub.protocols)
        for options in (
            sub.port_options,
            sub.bond.options if sub.bond is not None else None,
            sub.bridge.options if sub.bridge is not None else None,
        ):
            for spec, value in options.items() if options is not None else ():
                left.append(f"{where}: ifsmith:{spec.attr}='{spec.text(value)}'")
        if sub.port_options:
            changes["port_options"] = PortOptions()
        if sub.bond is not None:
            bond = sub.bond
            dropped = {
                "xmit-hash-policy": bond.xmit_hash_policy,
                "lacp-rate": bond.lacp_rate,
                "primary": bond.primary_slave,
            }
            left.extend(
                f"{where}: ifsmith:{k}='{shown(str(v))}'" for k, v in dropped.items() if v
            )
            arpmon = bond.arpmon
            if arpmon is not None and len(arpmon.targets) > 1:
                extra = " ".join(arpmon.targets[1:])
                left.append(f"{where}: ifsmith:targets='{shown(extra)}'")
                arpmon = dataclasses.replace(arpmon, targets=arpmon.targets[:1])
            changes["bond"] = dataclasses.replace(
                bond,
                xmit_hash_policy=None,
                lacp_rate=None,
                primary_slave=None,
                options=BondOptions(),
                arpmon=arpmon,
                slaves=tuple(strip(s) for s in bond.slaves),
            )
        if sub.bridge is not None:
            ports = tuple(strip(p) for p in sub.bridge.ports)
            changes["bridge"] = dataclasses.replace(
                sub.bridge, ports=ports, options=BridgeOptions()
            )
        if sub.vlan is not None and sub.vlan.reorder_hdr is not None:
            on = "on" if sub.vlan.reorder_hdr else "off"
            left.append(f"{where}: ifsmith:reorder-hdr='{on}'")
            changes["vlan"] = dataclasses.replace(sub.vlan, reorder_hdr=None)
        return dataclasses.replace(sub, **changes) if changes else sub  # type: ignore[arg-type]

    return strip(iface), left


SCHEMA_DIR = Path(__file__).parent / "schema"


def strip_extensions(data: bytes) -> bytes:
    """The document without ifsmith's namespace: what libvirt's own schema validates."""
    root = load_tree(data)
    for el in list(root.iter()):
        if isinstance(el.tag, str) and el.tag.startswith(_X):
            parent = el.getparent()
            if parent is not None:
                _drop_keeping_layout(parent, el)
            continue
        for attr in list(el.attrib):
            if str(attr).startswith(_X):
                del el.attrib[attr]
    etree.cleanup_namespaces(root)
    return bytes(etree.tostring(root))


def _drop_keeping_layout(parent: etree._Element, el: etree._Element) -> None:
    """Remove EL, and the indentation before it, so the rest keeps its layout."""
    previous = el.getprevious()
    if previous is not None:
        previous.tail = el.tail
    else:
        parent.text = el.tail
    parent.remove(el)


def schema_problems(data: bytes, schema: Path | None = None) -> list[tuple[int, str]]:
    """(line, message) for every place the document breaks a RelaxNG schema (ours by default).

    Each top-level interface is judged against its own type's pattern (when the schema has
    one), so a VLAN is not reported as "expecting a bond element".
    """
    root = load_tree(data)
    path = schema or SCHEMA_DIR / "interface.rng"
    targets: Iterable[etree._Element] = (
        _children(root, "interface") if root.tag == "interfaces" else [root]
    )
    problems: list[tuple[int, str]] = []
    for el in targets:
        rng = _load_schema(path, el.get("type") or "")
        if not rng.validate(etree.ElementTree(el)):
            problems.extend(_schema_problem(el, e) for e in rng.error_log)
    return problems


_NAMED = re.compile(r"[Ee]lement (\S+?)[, ]|element (\S+)$|attribute (\S+) for element (\S+)")


def _schema_problem(top: etree._Element, entry: etree._LogEntry) -> tuple[int, str]:
    """One RelaxNG complaint led by the element it is about and that element's line (libxml2
    reports some with line 0 and no path: the element is then found by its name)."""
    found: etree._Element | None = None
    if entry.path:
        hits = top.getroottree().xpath(entry.path)
        first = hits[0] if isinstance(hits, list) and hits else None
        found = first if isinstance(first, etree._Element) else None
    match = _NAMED.search(entry.message)
    tag = next((g for g in (match.groups()[::-1] if match else ()) if g), None)
    if found is None and tag is not None:
        named = (e for e in top.iter() if isinstance(e.tag, str) and _local(e.tag) == tag)
        found = next(named, None)
    if not isinstance(found, etree._Element):
        found = top
    line = entry.line or found.sourceline or top.sourceline
    line = line if isinstance(line, int) else 0
    return line, f"<{_qname(found, found.tag)}>: {entry.message} (RelaxNG schema)"


_SCHEMAS: dict[tuple[Path, str], etree.RelaxNG] = {}


def _load_schema(path: Path, type_: str) -> etree.RelaxNG:
    """The schema, narrowed to one interface type where it defines ``<type>-top``."""
    key = (path, type_)
    if key not in _SCHEMAS:
        # The schema is our own (or a test oracle); its includes resolve beside it.
        tree = etree.parse(str(path))
        rng_ns = "{http://relaxng.org/ns/structure/1.0}"
        defined = {d.get("name") for d in tree.getroot().iter(rng_ns + "define")}
        start = tree.getroot().find(rng_ns + "start")
        if f"{type_}-top" in defined and start is not None:
            for child in list(start):
                start.remove(child)
            etree.SubElement(start, rng_ns + "ref", name=f"{type_}-top")
        _SCHEMAS[key] = etree.RelaxNG(tree)
    return _SCHEMAS[key]
