"""libvirt interface XML <-> model.

One parse function and one format function per element, as libvirt's interface_conf.c
has them.  Output is canonical and byte-identical to libvirt's formatter
(``virInterfaceDefFormat``): two-space indent, single-quoted attributes, and the element
order libvirt writes.  What libvirt does not model (bond xmit_hash_policy and lacp_rate,
extra ARP targets, VLAN reorder_hdr, a label) is written as attributes in the ``ifsmith:``
namespace; ``strip_extensions`` removes them for tools that validate against libvirt's
schema.

The parser is hardened: no DTD, no entities, no network access, no huge trees.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar
from xml.sax.saxutils import escape as _escape

from lxml import etree

from ifsmith.core.errors import IfsmithError
from ifsmith.core.model import (
    ArpMon,
    ArpValidate,
    Bond,
    BondMode,
    Bridge,
    Carrier,
    Family,
    IfType,
    Interface,
    IpAddress,
    LacpRate,
    Link,
    LinkState,
    MiiMon,
    Protocol,
    StartMode,
    Vlan,
    XmitHashPolicy,
)

NS = "https://ifsmith.dev/xml/interface/1"
_X = "{" + NS + "}"
MAX_BYTES = 16 * 1024 * 1024


class XmlError(IfsmithError):
    """The document is not well-formed, unsafe, or does not describe an interface."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def load_tree(data: bytes, source: str = "<input>") -> etree._Element:
    """Parse untrusted bytes into an element tree, refusing DTDs and entities."""
    if len(data) > MAX_BYTES:
        raise XmlError(f"{source}: document larger than {MAX_BYTES} bytes")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        line = data[: data.find(b"<!")].count(b"\n") + 1
        raise XmlError(f"{source}:{line}: DOCTYPE and entity declarations are not accepted")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        raise XmlError(f"{source}:{line}: not well-formed XML: {exc.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise XmlError(f"{source}: DOCTYPE and entity declarations are not accepted")
    return root


def parse(data: bytes | str, source: str = "<input>") -> list[Interface]:
    """The interfaces of one document: ``<interface>`` or ``<interfaces>`` wrapping several."""
    if isinstance(data, str):
        data = data.encode()
    root = load_tree(data, source)
    ctx = _Ctx(source)
    if root.tag == "interfaces":
        return [_parse_top(ctx, el) for el in _children(root, "interface")]
    if root.tag != "interface":
        raise XmlError(f"{source}:{root.sourceline}: expected <interface>, found <{root.tag}>")
    return [_parse_top(ctx, root)]


def parse_file(path: str | Path) -> list[Interface]:
    """Read and parse an interface document from a file (``-`` is standard input)."""
    if str(path) == "-":
        import sys

        return parse(sys.stdin.buffer.read(), "<stdin>")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise XmlError(f"{path}: {exc.strerror}") from None
    return parse(data, str(path))


# ---------------------------------------------------------------------------------------
# Parsing: one function per element.


class _Ctx:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, el: etree._Element, message: str) -> XmlError:
        name = el.get("name")
        where = f"<{_local(el.tag)}>" if name is None else f"<{_local(el.tag)} name='{name}'>"
        return XmlError(f"{self.source}:{el.sourceline}: {where}: {message}")


def _local(tag: object) -> str:
    text = str(tag)
    return text.split("}", 1)[1] if text.startswith("{") else text


def _line(el: etree._Element) -> int | None:
    line = el.sourceline
    return line if isinstance(line, int) else None


def _children(el: etree._Element, tag: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and c.tag == tag]


def _child(ctx: _Ctx, el: etree._Element, tag: str) -> etree._Element | None:
    found = _children(el, tag)
    if len(found) > 1:
        raise ctx.error(found[1], f"<{tag}> given more than once")
    return found[0] if found else None


_E = TypeVar("_E")


def _enum(ctx: _Ctx, el: etree._Element, attr: str, kind: Callable[[str], _E]) -> _E | None:
    value = el.get(attr)
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        members: list[object] = list(kind) if isinstance(kind, enum.EnumMeta) else []
        allowed = ", ".join(str(v) for v in members)
        raise ctx.error(el, f"invalid {attr}='{value}' (expected one of: {allowed})") from None


def _uint(ctx: _Ctx, el: etree._Element, attr: str, *, required: bool = False) -> int | None:
    value = el.get(attr)
    if value is None:
        if required:
            raise ctx.error(el, f"missing attribute '{attr}'")
        return None
    if not value.strip().isdigit():
        raise ctx.error(el, f"{attr}='{value}' is not a non-negative integer")
    return int(value)


def _yesno(ctx: _Ctx, el: etree._Element, attr: str, yes: str, no: str) -> bool | None:
    value = el.get(attr)
    if value is None:
        return None
    if value == yes:
        return True
    if value == no:
        return False
    raise ctx.error(el, f"invalid {attr}='{value}' (expected '{yes}' or '{no}')")


def _parse_top(ctx: _Ctx, el: etree._Element) -> Interface:
    return _parse_interface(ctx, el, top=True)


def _parse_interface(ctx: _Ctx, el: etree._Element, *, top: bool) -> Interface:
    type_ = _enum(ctx, el, "type", IfType)
    if type_ is None:
        raise ctx.error(el, "missing attribute 'type' (ethernet, bond, bridge or vlan)")
    name = el.get("name")
    if name is None:
        raise ctx.error(el, "missing attribute 'name'")
    start = _child(ctx, el, "start")
    mtu = _child(ctx, el, "mtu")
    mac = _child(ctx, el, "mac")
    link = _child(ctx, el, "link")
    if not top:
        for sub in (start, mtu):
            if sub is not None:
                raise ctx.error(sub, f"<{sub.tag}> is only allowed on the top-level interface")
    if mac is not None and type_ is not IfType.ETHERNET:
        raise ctx.error(
            mac, f"<mac> is only allowed on an ethernet interface; a {type_}'s MAC is the"
            " ifsmith:mac attribute"
        )
    xmac = el.get(_X + "mac")
    if xmac is not None and type_ is IfType.ETHERNET:
        raise ctx.error(el, "an ethernet's MAC is libvirt's <mac address=...>, not ifsmith:mac")
    iface = Interface(
        type=type_,
        name=name,
        start_mode=_enum(ctx, start, "mode", StartMode) if start is not None else None,
        mtu=_uint(ctx, mtu, "size", required=True) if mtu is not None else None,
        mac=_parse_mac(ctx, mac) if mac is not None else xmac,
        link=_parse_link(ctx, link) if link is not None else None,
        protocols=tuple(_parse_protocol(ctx, p) for p in _children(el, "protocol")),
        bond=_parse_bond(ctx, el, type_),
        bridge=_parse_bridge(ctx, el, type_),
        vlan=_parse_vlan(ctx, el, type_),
        label=el.get(_X + "label"),
        line=_line(el),
    )
    _refuse_unknown(ctx, el, {"start", "mtu", "mac", "link", "protocol", "bond", "bridge", "vlan"})
    return iface


def _refuse_unknown(ctx: _Ctx, el: etree._Element, known: set[str]) -> None:
    for child in el:
        if not isinstance(child.tag, str):
            continue
        if child.tag not in known:
            raise ctx.error(child, f"unknown element inside <{_local(el.tag)}>")


def _parse_mac(ctx: _Ctx, el: etree._Element) -> str:
    address = el.get("address")
    if address is None:
        raise ctx.error(el, "missing attribute 'address'")
    return address


def _parse_link(ctx: _Ctx, el: etree._Element) -> Link:
    return Link(state=_enum(ctx, el, "state", LinkState), speed=_uint(ctx, el, "speed"))


def _parse_protocol(ctx: _Ctx, el: etree._Element) -> Protocol:
    family = _enum(ctx, el, "family", Family)
    if family is None:
        raise ctx.error(el, "missing attribute 'family' (ipv4 or ipv6)")
    dhcp = _child(ctx, el, "dhcp")
    autoconf = _child(ctx, el, "autoconf")
    route = _child(ctx, el, "route")
    if autoconf is not None and family is Family.IPV4:
        raise ctx.error(autoconf, "<autoconf/> is only allowed for family='ipv6'")
    addresses = []
    for ip in _children(el, "ip"):
        address = ip.get("address")
        if address is None:
            raise ctx.error(ip, "missing attribute 'address'")
        addresses.append(IpAddress(address, _uint(ctx, ip, "prefix")))
    gateway = None
    if route is not None:
        gateway = route.get("gateway")
        if gateway is None:
            raise ctx.error(route, "missing attribute 'gateway'")
    _refuse_unknown(ctx, el, {"dhcp", "autoconf", "ip", "route"})
    client_id, iaid = _dhcp_identity(ctx, dhcp, family) if dhcp is not None else (None, None)
    return Protocol(
        family=family,
        dhcp=dhcp is not None,
        peerdns=_yesno(ctx, dhcp, "peerdns", "yes", "no") if dhcp is not None else None,
        autoconf=autoconf is not None,
        addresses=tuple(addresses),
        gateway=gateway,
        line=_line(el),
        client_id=client_id,
        iaid=iaid,
    )


def _dhcp_identity(
    ctx: _Ctx, dhcp: etree._Element, family: Family
) -> tuple[str | None, str | None]:
    """``ifsmith:client-id`` and ``ifsmith:iaid`` of a ``<dhcp>`` (DHCPv4 only)."""
    from ifsmith.core.dhcpid import client_id_problem, iaid_problem

    out: list[str | None] = []
    for attr, problem in (("client-id", client_id_problem), ("iaid", iaid_problem)):
        value = dhcp.get(_X + attr)
        if value is not None and family is not Family.IPV4:
            raise ctx.error(dhcp, f"ifsmith:{attr} is only allowed for family='ipv4'")
        why = problem(value) if value is not None else None
        if why is not None:
            raise ctx.error(dhcp, f"ifsmith:{attr}: {why}")
        out.append(value.lower() if value is not None else None)
    return out[0], out[1]


def _parse_bond(ctx: _Ctx, el: etree._Element, type_: IfType) -> Bond | None:
    bond = _child(ctx, el, "bond")
    if bond is None:
        if type_ is IfType.BOND:
            raise ctx.error(el, "a bond needs a <bond> element with its slaves")
        return None
    if type_ is not IfType.BOND:
        raise ctx.error(bond, f"<bond> inside an interface of type '{type_}'")
    miimon = _child(ctx, bond, "miimon")
    arpmon = _child(ctx, bond, "arpmon")
    if miimon is not None and arpmon is not None:
        raise ctx.error(arpmon, "a bond takes <miimon> or <arpmon>, not both")
    _refuse_unknown(ctx, bond, {"miimon", "arpmon", "interface"})
    return Bond(
        mode=_enum(ctx, bond, "mode", BondMode),
        miimon=_parse_miimon(ctx, miimon) if miimon is not None else None,
        arpmon=_parse_arpmon(ctx, arpmon) if arpmon is not None else None,
        slaves=tuple(_parse_interface(ctx, s, top=False) for s in _children(bond, "interface")),
        xmit_hash_policy=_enum(ctx, bond, _X + "xmit-hash-policy", XmitHashPolicy),
        lacp_rate=_enum(ctx, bond, _X + "lacp-rate", LacpRate),
        line=_line(bond),
        primary_slave=bond.get(_X + "primary"),
    )


def _parse_miimon(ctx: _Ctx, el: etree._Element) -> MiiMon:
    return MiiMon(
        freq=_uint(ctx, el, "freq", required=True) or 0,
        downdelay=_uint(ctx, el, "downdelay") or 0,
        updelay=_uint(ctx, el, "updelay") or 0,
        carrier=_enum(ctx, el, "carrier", Carrier),
        line=_line(el),
    )


def _parse_arpmon(ctx: _Ctx, el: etree._Element) -> ArpMon:
    target = el.get("target")
    if target is None:
        raise ctx.error(el, "missing attribute 'target'")
    extra = (el.get(_X + "targets") or "").split()
    return ArpMon(
        interval=_uint(ctx, el, "interval", required=True) or 0,
        targets=(target, *extra),
        validate=_enum(ctx, el, "validate", ArpValidate),
        line=_line(el),
    )


def _parse_bridge(ctx: _Ctx, el: etree._Element, type_: IfType) -> Bridge | None:
    bridge = _child(ctx, el, "bridge")
    if bridge is None:
        if type_ is IfType.BRIDGE:
            raise ctx.error(el, "a bridge needs a <bridge> element (it may be empty)")
        return None
    if type_ is not IfType.BRIDGE:
        raise ctx.error(bridge, f"<bridge> inside an interface of type '{type_}'")
    delay_text = bridge.get("delay")
    delay = None
    if delay_text is not None:
        try:
            delay = float(delay_text)
        except ValueError:
            raise ctx.error(bridge, f"delay='{delay_text}' is not a number of seconds") from None
        if not 0 <= delay < 1e6:
            raise ctx.error(bridge, f"delay='{delay_text}' is out of range")
    _refuse_unknown(ctx, bridge, {"interface"})
    return Bridge(
        stp=_yesno(ctx, bridge, "stp", "on", "off"),
        delay=delay,
        ports=tuple(_parse_interface(ctx, p, top=False) for p in _children(bridge, "interface")),
        line=_line(bridge),
    )


def _parse_vlan(ctx: _Ctx, el: etree._Element, type_: IfType) -> Vlan | None:
    vlan = _child(ctx, el, "vlan")
    if vlan is None:
        if type_ is IfType.VLAN:
            raise ctx.error(el, "a vlan needs a <vlan tag='…'> element")
        return None
    if type_ is not IfType.VLAN:
        raise ctx.error(vlan, f"<vlan> inside an interface of type '{type_}'")
    parent_el = _child(ctx, vlan, "interface")
    parent = parent_el.get("name") if parent_el is not None else None
    if parent_el is not None and parent is None:
        raise ctx.error(parent_el, "the VLAN's parent <interface> needs a name")
    _refuse_unknown(ctx, vlan, {"interface"})
    return Vlan(
        tag=_uint(ctx, vlan, "tag", required=True) or 0,
        parent=parent,
        reorder_hdr=_yesno(ctx, vlan, _X + "reorder-hdr", "on", "off"),
        line=_line(vlan),
    )


# ---------------------------------------------------------------------------------------
# Formatting: libvirt's virInterfaceDefDevFormat and friends, element by element.


def _q(value: str) -> str:
    """An attribute value as libvirt's virBufferEscapeString writes it (single quotes)."""
    # Whitespace other than a space must be a character reference, or a parser turns it
    # into a space (attribute-value normalisation) and a label would not round-trip.
    return _escape(
        value, {"'": "&apos;", '"': "&quot;", "\n": "&#10;", "\t": "&#9;", "\r": "&#13;"}
    )


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def add(self, text: str) -> None:
        self.lines.append("  " * self.depth + text)


def to_xml(iface: Interface) -> str:
    """One interface as libvirt formats it (with the ifsmith namespace when extensions are used)."""
    out = _Out()
    _format_interface(out, iface, top=True, ns=_uses_extensions(iface))
    return "\n".join(out.lines) + "\n"


def to_document(interfaces: Sequence[Interface]) -> str:
    """One interface as ``<interface>``; several wrapped in ifsmith's ``<interfaces>``."""
    if len(interfaces) == 1:
        return to_xml(interfaces[0])
    out = _Out()
    ns = any(_uses_extensions(i) for i in interfaces)
    out.add(f"<interfaces xmlns:ifsmith='{NS}'>" if ns else "<interfaces>")
    out.depth += 1
    for iface in interfaces:
        _format_interface(out, iface, top=True, ns=False)
    out.depth -= 1
    out.add("</interfaces>")
    return "\n".join(out.lines) + "\n"


def _uses_extensions(iface: Interface) -> bool:
    for sub, _master in iface.walk():
        if sub.label is not None or (sub.mac is not None and sub.type is not IfType.ETHERNET):
            return True
        if any(p.client_id is not None or p.iaid is not None for p in sub.protocols):
            return True
        if sub.bond is not None and (
            sub.bond.xmit_hash_policy is not None
            or sub.bond.lacp_rate is not None
            or sub.bond.primary_slave is not None
            or (sub.bond.arpmon is not None and len(sub.bond.arpmon.targets) > 1)
        ):
            return True
        if sub.vlan is not None and sub.vlan.reorder_hdr is not None:
            return True
    return False


def _format_interface(out: _Out, iface: Interface, *, top: bool, ns: bool) -> None:
    attrs = f"type='{iface.type}' name='{_q(iface.name)}'"
    if ns:
        attrs = f"xmlns:ifsmith='{NS}' " + attrs
    if iface.label is not None:
        attrs += f" ifsmith:label='{_q(iface.label)}'"
    if iface.mac is not None and iface.type is not IfType.ETHERNET:
        attrs += f" ifsmith:mac='{_q(iface.mac)}'"
    out.add(f"<interface {attrs}>")
    out.depth += 1
    if top:
        if iface.start_mode is not None:
            out.add(f"<start mode='{iface.start_mode}'/>")
        if iface.mtu is not None:
            out.add(f"<mtu size='{iface.mtu}'/>")
        for proto in iface.protocols:
            _format_protocol(out, proto)
    if iface.type is not IfType.BRIDGE and iface.link is not None:
        _format_link(out, iface.link)
    if iface.type is IfType.ETHERNET and iface.mac is not None:
        out.add(f"<mac address='{_q(iface.mac)}'/>")
    if iface.bridge is not None:
        _format_bridge(out, iface.bridge)
    if iface.bond is not None:
        _format_bond(out, iface.bond)
    if iface.vlan is not None:
        _format_vlan(out, iface.vlan)
    out.depth -= 1
    out.add("</interface>")


def _format_link(out: _Out, link: Link) -> None:
    if not link.speed and link.state is None:
        return
    text = "<link"
    if link.speed:
        text += f" speed='{link.speed}'"
    if link.state is not None:
        text += f" state='{link.state}'"
    out.add(text + "/>")


def _format_protocol(out: _Out, proto: Protocol) -> None:
    out.add(f"<protocol family='{proto.family}'>")
    out.depth += 1
    if proto.autoconf:
        out.add("<autoconf/>")
    if proto.dhcp:
        attrs = "" if proto.peerdns is None else f" peerdns='{'yes' if proto.peerdns else 'no'}'"
        if proto.client_id is not None:
            attrs += f" ifsmith:client-id='{_q(proto.client_id)}'"
        if proto.iaid is not None:
            attrs += f" ifsmith:iaid='{_q(proto.iaid)}'"
        out.add(f"<dhcp{attrs}/>")
    for ip in proto.addresses:
        prefix = f" prefix='{ip.prefix}'" if ip.prefix else ""
        out.add(f"<ip address='{_q(ip.address)}'{prefix}/>")
    if proto.gateway is not None:
        out.add(f"<route gateway='{_q(proto.gateway)}'/>")
    out.depth -= 1
    out.add("</protocol>")


def _format_bridge(out: _Out, bridge: Bridge) -> None:
    text = "<bridge"
    if bridge.stp is not None:
        text += f" stp='{'on' if bridge.stp else 'off'}'"
    if bridge.delay is not None:
        text += f" delay='{format_seconds(bridge.delay)}'"
    out.add(text + ">")
    out.depth += 1
    for port in bridge.ports:
        _format_interface(out, port, top=False, ns=False)
    out.depth -= 1
    out.add("</bridge>")


def format_seconds(value: float) -> str:
    """Seconds as short as they can be written: 15, 0.01, 2.5."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _format_bond(out: _Out, bond: Bond) -> None:
    text = "<bond"
    if bond.mode is not None:
        text += f" mode='{bond.mode}'"
    if bond.xmit_hash_policy is not None:
        text += f" ifsmith:xmit-hash-policy='{bond.xmit_hash_policy}'"
    if bond.lacp_rate is not None:
        text += f" ifsmith:lacp-rate='{bond.lacp_rate}'"
    if bond.primary_slave is not None:
        text += f" ifsmith:primary='{_q(bond.primary_slave)}'"
    out.add(text + ">")
    out.depth += 1
    if bond.miimon is not None:
        mii = bond.miimon
        text = f"<miimon freq='{mii.freq}'"
        if mii.downdelay > 0:
            text += f" downdelay='{mii.downdelay}'"
        if mii.updelay > 0:
            text += f" updelay='{mii.updelay}'"
        if mii.carrier is not None:
            text += f" carrier='{mii.carrier}'"
        out.add(text + "/>")
    elif bond.arpmon is not None:
        arp = bond.arpmon
        first = arp.targets[0] if arp.targets else ""
        text = f"<arpmon interval='{arp.interval}' target='{_q(first)}'"
        if arp.validate not in (None, ArpValidate.NONE):
            text += f" validate='{arp.validate}'"
        if len(arp.targets) > 1:
            text += f" ifsmith:targets='{_q(' '.join(arp.targets[1:]))}'"
        out.add(text + "/>")
    for slave in bond.slaves:
        _format_interface(out, slave, top=False, ns=False)
    out.depth -= 1
    out.add("</bond>")


def _format_vlan(out: _Out, vlan: Vlan) -> None:
    text = f"<vlan tag='{vlan.tag}'"
    if vlan.reorder_hdr is not None:
        text += f" ifsmith:reorder-hdr='{'on' if vlan.reorder_hdr else 'off'}'"
    if vlan.parent is None:
        out.add(text + "/>")
        return
    out.add(text + ">")
    out.depth += 1
    out.add(f"<interface name='{_q(vlan.parent)}'/>")
    out.depth -= 1
    out.add("</vlan>")


# ---------------------------------------------------------------------------------------
# Schemas.


SCHEMA_DIR = Path(__file__).parent / "schema"


def strip_extensions(data: bytes) -> bytes:
    """The document without ifsmith's namespace: what libvirt's own schema validates."""
    root = load_tree(data)
    for el in root.iter():
        for attr in list(el.attrib):
            if str(attr).startswith(_X):
                del el.attrib[attr]
    etree.cleanup_namespaces(root)
    return bytes(etree.tostring(root))


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
            problems.extend((e.line, e.message) for e in rng.error_log)
    return problems


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


def address_family(address: str) -> Family | None:
    """The family of an IP address text, or None when it is not an address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return Family.IPV4 if ip.version == 4 else Family.IPV6
