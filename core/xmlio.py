"""libvirt interface XML <-> model.

One parse function and one format function per element, as libvirt's interface_conf.c
has them.  Output is canonical and byte-identical to libvirt's formatter
(``virInterfaceDefFormat``): two-space indent, single-quoted attributes, and the element
order libvirt writes.  What libvirt does not model (bond xmit_hash_policy and lacp_rate,
extra ARP targets, VLAN reorder_hdr, a label) is written as attributes in the ``ifsmith:``
namespace; ``core.xmlschema`` removes them for tools that validate against libvirt's
schema.  What the model does not carry (an unknown attribute, element or text) is refused
with its name and line, never dropped; numbers are checked against their real range first.

The parser is hardened: no DTD, no entities, no network access, no huge trees.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar
from xml.sax.saxutils import escape as _escape

from lxml import etree

from ifsmith.core.errors import IfsmithError
from ifsmith.core.model import (
    BOND_MS_MAX,
    FORWARD_DELAY_MAX,
    LINK_SPEED_MAX,
    MTU_MAX,
    MTU_MIN,
    U32_MAX,
    VLAN_TAG_MAX,
    VLAN_TAG_MIN,
    ArpMon,
    ArpValidate,
    Bond,
    BondMode,
    Bridge,
    Carrier,
    Dns,
    Family,
    IfType,
    Interface,
    IpAddress,
    LacpRate,
    Link,
    LinkState,
    MiiMon,
    Protocol,
    Route,
    StartMode,
    Vlan,
    XmitHashPolicy,
    prefix_max,
)
from ifsmith.core.names import shown, xml_unsafe
from ifsmith.core.options import AnyOptions, BondOptions, BridgeOptions, PortOptions

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
        _known(ctx, root, (), ("interface",))
        return [_parse_top(ctx, el) for el in _children(root, "interface")]
    if root.tag != "interface":
        found = _qname(root, root.tag)
        raise XmlError(f"{source}:{root.sourceline}: expected <interface>, found <{found}>")
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
        tag = _qname(el, el.tag)
        where = f"<{tag}>" if name is None else f"<{tag} name='{_value(name)}'>"
        return XmlError(f"{self.source}:{el.sourceline}: {where}: {message}")


def _local(tag: object) -> str:
    text = str(tag)
    return text.split("}", 1)[1] if text.startswith("{") else text


def _qname(el: etree._Element, key: object) -> str:
    """A tag or attribute name as the document wrote it (``ifsmith:min-links``)."""
    text = str(key)
    if not text.startswith("{"):
        return text
    uri, local = text[1:].split("}", 1)
    prefix = next((p for p, u in el.nsmap.items() if u == uri and p), None)
    return f"{prefix}:{local}" if prefix else text


def _value(text: str, limit: int = 40) -> str:
    """A value from the document, safe to print and not too long to read."""
    text = shown(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        raise ctx.error(
            el, f"invalid {_qname(el, attr)}='{_value(value)}' (expected one of: {allowed})"
        ) from None


_DIGITS = re.compile(r"\s*0*([0-9]+)\s*")


def _uint(
    ctx: _Ctx,
    el: etree._Element,
    attr: str,
    low: int,
    high: int,
    *,
    required: bool = False,
    why: str = "",
) -> int | None:
    """An integer attribute within its real range (``why`` says where the range comes from)."""
    value = el.get(attr)
    if value is None:
        if required:
            raise ctx.error(el, f"missing attribute '{_qname(el, attr)}'")
        return None
    name = _qname(el, attr)
    found = _DIGITS.fullmatch(value)
    if found is None:
        raise ctx.error(el, f"{name}='{_value(value)}' is not a non-negative integer")
    digits = found.group(1)
    # Compare the length first: int() of thousands of digits is refused by Python itself.
    if len(digits) > len(str(high)) or not low <= int(digits) <= high:
        note = f" ({why})" if why else ""
        raise ctx.error(el, f"{name}='{_value(value)}' is outside {low}-{high}{note}")
    return int(digits)


def _yesno(ctx: _Ctx, el: etree._Element, attr: str, yes: str, no: str) -> bool | None:
    value = el.get(attr)
    if value is None:
        return None
    if value == yes:
        return True
    if value == no:
        return False
    raise ctx.error(
        el, f"invalid {_qname(el, attr)}='{_value(value)}' (expected '{yes}' or '{no}')"
    )


def _known(
    ctx: _Ctx,
    el: etree._Element,
    attrs: Iterable[str] = (),
    children: Iterable[str] = (),
) -> None:
    """Refuse what the model would lose: an attribute, a child element or text that this
    element does not carry (an ``ifsmith:`` extension of a later version, a typo, an element
    of another namespace).  libvirt's own parser skips such things without a word."""
    allowed = set(attrs)
    for attr in el.attrib:
        if attr not in allowed:
            value = _value(str(el.get(attr)))
            raise ctx.error(
                el, f"unknown attribute {_qname(el, attr)}='{value}' (ifsmith does not carry it)"
            )
    tags = set(children)
    _refuse_text(ctx, el, el.text)
    for child in el:
        if not isinstance(child.tag, str):
            continue
        if child.tag not in tags:
            inside = _qname(el, el.tag)
            raise ctx.error(
                child, f"unknown element inside <{inside}> (ifsmith does not carry it)"
            )
        _refuse_text(ctx, el, child.tail)


def _refuse_text(ctx: _Ctx, el: etree._Element, text: str | None) -> None:
    if text is not None and text.strip():
        raise ctx.error(el, f"text '{_value(text.strip())}' is not part of the format")


def _parse_top(ctx: _Ctx, el: etree._Element) -> Interface:
    return _parse_interface(ctx, el, top=True)


_INTERFACE_CHILDREN = (
    *("start", "mtu", "mac", "link", "protocol", "bond", "bridge", "vlan"),
    _X + "dns",
)


def _parse_interface(
    ctx: _Ctx, el: etree._Element, *, top: bool, port: bool = False
) -> Interface:
    port_attrs = _option_attrs(PortOptions)
    if not port:
        for attr in port_attrs:
            if el.get(attr) is not None:
                raise ctx.error(
                    el, f"{_qname(el, attr)} applies only to a port's <interface> inside <bridge>"
                )
    _known(ctx, el, ("type", "name", _X + "label", _X + "mac", *port_attrs), _INTERFACE_CHILDREN)
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
    return Interface(
        type=type_,
        name=name,
        start_mode=_parse_start(ctx, start) if start is not None else None,
        mtu=_parse_mtu(ctx, mtu) if mtu is not None else None,
        mac=_parse_mac(ctx, mac) if mac is not None else xmac,
        link=_parse_link(ctx, link) if link is not None else None,
        protocols=tuple(_parse_protocol(ctx, p) for p in _children(el, "protocol")),
        bond=_parse_bond(ctx, el, type_),
        bridge=_parse_bridge(ctx, el, type_),
        vlan=_parse_vlan(ctx, el, type_),
        label=el.get(_X + "label"),
        line=_line(el),
        dns=_parse_dns(ctx, el, top),
        port_options=_parse_options(ctx, el, PortOptions),
    )


def _option_attrs(kind: type[AnyOptions]) -> tuple[str, ...]:
    """The ``ifsmith:`` attributes of one kind of options (core.options' table)."""
    return tuple(_X + spec.attr for spec in kind.SPECS)


_O = TypeVar("_O", BondOptions, BridgeOptions, PortOptions)


def _parse_options(ctx: _Ctx, el: etree._Element, kind: type[_O]) -> _O:
    """The options an element carries as ``ifsmith:`` attributes, each typed and within
    its real range (core.options says which)."""
    values: dict[str, object] = {}
    for spec in kind.SPECS:
        text = el.get(_X + spec.attr)
        if text is None:
            continue
        try:
            values[spec.field] = spec.parse(text)
        except ValueError as exc:
            name = _qname(el, _X + spec.attr)
            raise ctx.error(el, f"invalid {name}='{_value(text)}': {exc}") from None
    return kind(**values)  # type: ignore[arg-type]


def _format_options(options: AnyOptions) -> str:
    return "".join(
        f" ifsmith:{spec.attr}='{_q(spec.text(value))}'" for spec, value in options.items()
    )


def _parse_start(ctx: _Ctx, el: etree._Element) -> StartMode | None:
    _known(ctx, el, ("mode",))
    return _enum(ctx, el, "mode", StartMode)


def _parse_mtu(ctx: _Ctx, el: etree._Element) -> int | None:
    _known(ctx, el, ("size",))
    why = "IPv4's minimum to the loopback's 64 KiB"
    return _uint(ctx, el, "size", MTU_MIN, MTU_MAX, required=True, why=why)


def _parse_route(ctx: _Ctx, el: etree._Element, family: Family) -> Route:
    _known(ctx, el, ("address", "prefix", "gateway", "metric"))
    address = el.get("address")
    if address is None:
        raise ctx.error(el, "missing attribute 'address' (the destination network)")
    prefix = _uint(ctx, el, "prefix", 0, prefix_max(family), required=True, why=str(family))
    assert prefix is not None
    return Route(
        address=address,
        prefix=prefix,
        gateway=el.get("gateway"),
        metric=_uint(ctx, el, "metric", 0, U32_MAX, why="32 bits"),
        line=_line(el),
    )


def _parse_dns(ctx: _Ctx, el: etree._Element, top: bool) -> Dns | None:
    dns = _child(ctx, el, _X + "dns")
    if dns is None:
        return None
    if not top:
        raise ctx.error(dns, "<dns> is only allowed on the top-level interface")
    _known(ctx, dns, ("servers", "search"))
    servers = tuple((dns.get("servers") or "").split())
    search = tuple((dns.get("search") or "").split())
    if not servers and not search:
        raise ctx.error(dns, "needs servers='…' or search='…'")
    return Dns(servers=servers, search=search, line=_line(dns))


def _parse_mac(ctx: _Ctx, el: etree._Element) -> str:
    _known(ctx, el, ("address",))
    address = el.get("address")
    if address is None:
        raise ctx.error(el, "missing attribute 'address'")
    return address


def _parse_link(ctx: _Ctx, el: etree._Element) -> Link:
    _known(ctx, el, ("state", "speed"))
    return Link(
        state=_enum(ctx, el, "state", LinkState),
        speed=_uint(ctx, el, "speed", 0, LINK_SPEED_MAX, why="Mbit/s, 32 bits"),
    )


def _parse_protocol(ctx: _Ctx, el: etree._Element) -> Protocol:
    _known(ctx, el, ("family",), ("dhcp", "autoconf", "ip", "route", _X + "route"))
    family = _enum(ctx, el, "family", Family)
    if family is None:
        raise ctx.error(el, "missing attribute 'family' (ipv4 or ipv6)")
    dhcp = _child(ctx, el, "dhcp")
    autoconf = _child(ctx, el, "autoconf")
    route = _child(ctx, el, "route")
    if autoconf is not None and family is Family.IPV4:
        raise ctx.error(autoconf, "<autoconf/> is only allowed for family='ipv6'")
    if dhcp is not None:
        _known(ctx, dhcp, ("peerdns", _X + "client-id", _X + "iaid"))
    if autoconf is not None:
        _known(ctx, autoconf)
    addresses = []
    for ip in _children(el, "ip"):
        _known(ctx, ip, ("address", "prefix"))
        address = ip.get("address")
        if address is None:
            raise ctx.error(ip, "missing attribute 'address'")
        prefix = _uint(ctx, ip, "prefix", 0, prefix_max(family), why=str(family))
        addresses.append(IpAddress(address, prefix))
    gateway = None
    if route is not None:
        _known(ctx, route, ("gateway",))
        gateway = route.get("gateway")
        if gateway is None:
            raise ctx.error(route, "missing attribute 'gateway'")
    client_id, iaid = _dhcp_identity(ctx, dhcp, family) if dhcp is not None else (None, None)
    return Protocol(
        routes=tuple(_parse_route(ctx, r, family) for r in _children(el, _X + "route")),
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


def _typed_child(
    ctx: _Ctx, el: etree._Element, type_: IfType, owner: IfType, missing: str
) -> etree._Element | None:
    """The <bond>, <bridge> or <vlan> child (named as ``owner``), required in an interface
    of that type and refused in any other."""
    found = _child(ctx, el, str(owner))
    if found is None:
        if type_ is owner:
            raise ctx.error(el, missing)
        return None
    if type_ is not owner:
        raise ctx.error(found, f"<{owner}> inside an interface of type '{type_}'")
    return found


def _parse_bond(ctx: _Ctx, el: etree._Element, type_: IfType) -> Bond | None:
    missing = "a bond needs a <bond> element with its slaves"
    bond = _typed_child(ctx, el, type_, IfType.BOND, missing)
    if bond is None:
        return None
    attrs = ("mode", _X + "xmit-hash-policy", _X + "lacp-rate", _X + "primary")
    attrs += _option_attrs(BondOptions)  # type: ignore[assignment]
    _known(ctx, bond, attrs, ("miimon", "arpmon", "interface"))
    miimon = _child(ctx, bond, "miimon")
    arpmon = _child(ctx, bond, "arpmon")
    if miimon is not None and arpmon is not None:
        raise ctx.error(arpmon, "a bond takes <miimon> or <arpmon>, not both")
    return Bond(
        mode=_enum(ctx, bond, "mode", BondMode),
        miimon=_parse_miimon(ctx, miimon) if miimon is not None else None,
        arpmon=_parse_arpmon(ctx, arpmon) if arpmon is not None else None,
        slaves=tuple(_parse_interface(ctx, s, top=False) for s in _children(bond, "interface")),
        xmit_hash_policy=_enum(ctx, bond, _X + "xmit-hash-policy", XmitHashPolicy),
        lacp_rate=_enum(ctx, bond, _X + "lacp-rate", LacpRate),
        line=_line(bond),
        primary_slave=bond.get(_X + "primary"),
        options=_parse_options(ctx, bond, BondOptions),
    )


_MS = "milliseconds; the bonding driver's limit"


def _parse_miimon(ctx: _Ctx, el: etree._Element) -> MiiMon:
    _known(ctx, el, ("freq", "downdelay", "updelay", "carrier"))
    return MiiMon(
        freq=_uint(ctx, el, "freq", 0, BOND_MS_MAX, required=True, why=_MS) or 0,
        downdelay=_uint(ctx, el, "downdelay", 0, BOND_MS_MAX, why=_MS) or 0,
        updelay=_uint(ctx, el, "updelay", 0, BOND_MS_MAX, why=_MS) or 0,
        carrier=_enum(ctx, el, "carrier", Carrier),
        line=_line(el),
    )


def _parse_arpmon(ctx: _Ctx, el: etree._Element) -> ArpMon:
    _known(ctx, el, ("interval", "target", "validate", _X + "targets"))
    interval = _uint(ctx, el, "interval", 0, BOND_MS_MAX, required=True, why=_MS) or 0
    target = el.get("target")
    if target is None:
        raise ctx.error(el, "missing attribute 'target'")
    extra = (el.get(_X + "targets") or "").split()
    return ArpMon(
        interval=interval,
        targets=(target, *extra),
        validate=_enum(ctx, el, "validate", ArpValidate),
        line=_line(el),
    )


_SECONDS = re.compile(r"\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*")


def _parse_bridge(ctx: _Ctx, el: etree._Element, type_: IfType) -> Bridge | None:
    missing = "a bridge needs a <bridge> element (it may be empty)"
    bridge = _typed_child(ctx, el, type_, IfType.BRIDGE, missing)
    if bridge is None:
        return None
    _known(ctx, bridge, ("stp", "delay", *_option_attrs(BridgeOptions)), ("interface",))
    delay_text = bridge.get("delay")
    delay = None
    if delay_text is not None:
        shown_delay = _value(delay_text)
        if _SECONDS.fullmatch(delay_text) is None:
            raise ctx.error(bridge, f"delay='{shown_delay}' is not a number of seconds")
        whole = delay_text.strip().split(".", 1)[0].lstrip("0")
        if len(whole) > len(str(int(FORWARD_DELAY_MAX))) or float(delay_text) > FORWARD_DELAY_MAX:
            raise ctx.error(
                bridge,
                f"delay='{shown_delay}' is outside 0-{format_seconds(FORWARD_DELAY_MAX)} "
                "(seconds; the kernel keeps a 32-bit count of centiseconds)",
            )
        delay = float(delay_text)
    return Bridge(
        stp=_yesno(ctx, bridge, "stp", "on", "off"),
        delay=delay,
        ports=tuple(
            _parse_interface(ctx, p, top=False, port=True) for p in _children(bridge, "interface")
        ),
        line=_line(bridge),
        options=_parse_options(ctx, bridge, BridgeOptions),
    )


def _parse_vlan(ctx: _Ctx, el: etree._Element, type_: IfType) -> Vlan | None:
    vlan = _typed_child(ctx, el, type_, IfType.VLAN, "a vlan needs a <vlan tag='…'> element")
    if vlan is None:
        return None
    _known(ctx, vlan, ("tag", _X + "reorder-hdr"), ("interface",))
    why = "0 and 4095 are reserved by 802.1Q"
    tag = _uint(ctx, vlan, "tag", VLAN_TAG_MIN, VLAN_TAG_MAX, required=True, why=why) or 0
    parent_el = _child(ctx, vlan, "interface")
    parent = None
    if parent_el is not None:
        _known(ctx, parent_el, ("name",))
        parent = parent_el.get("name")
        if parent is None:
            raise ctx.error(parent_el, "the VLAN's parent <interface> needs a name")
    return Vlan(
        tag=tag,
        parent=parent,
        reorder_hdr=_yesno(ctx, vlan, _X + "reorder-hdr", "on", "off"),
        line=_line(vlan),
    )


# ---------------------------------------------------------------------------------------
# Formatting: libvirt's virInterfaceDefDevFormat and friends, element by element.


_NAME = "interface name"


def _q(value: str, what: str = "value") -> str:
    """An attribute value as libvirt's virBufferEscapeString writes it (single quotes).

    A character XML 1.0 cannot carry at all (ESC and the other C0 controls, which a kernel
    interface name may hold) is refused with the value shown escaped, never written into
    a document no reader accepts."""
    bad = xml_unsafe(value)
    if bad is not None:
        hint = " (rename it: ip link set dev OLD name NEW)" if what == _NAME else ""
        held = (
            f"the byte {shown(bad)}, which is not UTF-8"
            if 0xDC80 <= ord(bad) <= 0xDCFF
            else f"{shown(bad)}, a character XML cannot carry"
        )
        raise XmlError(f"cannot write the {what} '{shown(value)}' as XML: it holds {held}{hint}")
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
        if sub.dns or any(p.routes for p in sub.protocols):
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
        if sub.port_options or (sub.bond is not None and sub.bond.options):
            return True
        if sub.bridge is not None and sub.bridge.options:
            return True
    return False


def _format_interface(out: _Out, iface: Interface, *, top: bool, ns: bool) -> None:
    attrs = f"type='{iface.type}' name='{_q(iface.name, _NAME)}'"
    if ns:
        attrs = f"xmlns:ifsmith='{NS}' " + attrs
    if iface.label is not None:
        attrs += f" ifsmith:label='{_q(iface.label)}'"
    if iface.mac is not None and iface.type is not IfType.ETHERNET:
        attrs += f" ifsmith:mac='{_q(iface.mac)}'"
    attrs += _format_options(iface.port_options)
    out.add(f"<interface {attrs}>")
    out.depth += 1
    if top:
        if iface.start_mode is not None:
            out.add(f"<start mode='{iface.start_mode}'/>")
        if iface.mtu is not None:
            out.add(f"<mtu size='{iface.mtu}'/>")
        for proto in iface.protocols:
            _format_protocol(out, proto)
        if iface.dns:
            _format_dns(out, iface.dns)
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
    for route in proto.routes:
        text = f"<ifsmith:route address='{_q(route.address)}' prefix='{route.prefix}'"
        if route.gateway is not None:
            text += f" gateway='{_q(route.gateway)}'"
        if route.metric is not None:
            text += f" metric='{route.metric}'"
        out.add(text + "/>")
    out.depth -= 1
    out.add("</protocol>")


def _format_dns(out: _Out, dns: Dns) -> None:
    text = "<ifsmith:dns"
    if dns.servers:
        text += f" servers='{_q(' '.join(dns.servers))}'"
    if dns.search:
        text += f" search='{_q(' '.join(dns.search))}'"
    out.add(text + "/>")


def _format_bridge(out: _Out, bridge: Bridge) -> None:
    text = "<bridge"
    if bridge.stp is not None:
        text += f" stp='{'on' if bridge.stp else 'off'}'"
    if bridge.delay is not None:
        text += f" delay='{format_seconds(bridge.delay)}'"
    text += _format_options(bridge.options)
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
        text += f" ifsmith:primary='{_q(bond.primary_slave, _NAME)}'"
    text += _format_options(bond.options)
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
    out.add(f"<interface name='{_q(vlan.parent, _NAME)}'/>")
    out.depth -= 1
    out.add("</vlan>")


def address_family(address: str) -> Family | None:
    """The family of an IP address text, or None when it is not an address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return Family.IPV4 if ip.version == 4 else Family.IPV6


# The schema helpers live in core.xmlschema; older imports from here still find them.
_MOVED = ("SCHEMA_DIR", "schema_problems", "strip_extensions", "without_extensions")


def __getattr__(name: str) -> object:
    if name in _MOVED:
        from ifsmith.core import xmlschema

        return getattr(xmlschema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
