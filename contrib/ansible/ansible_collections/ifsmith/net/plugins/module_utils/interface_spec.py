# Copyright: ifsmith contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One interface described in YAML, written as libvirt interface XML.

Pure: no ifsmith import and no I/O, so it is testable on its own.  The XML it writes is
then read by ifsmith's own parser and checks (the module does that), which refuse what
ifsmith does not carry, naming the element; so this file never judges values itself.
"""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from typing import Any

NS = "https://ifsmith.dev/xml/interface/1"
X = f"{{{NS}}}"
TYPES = ("ethernet", "bond", "bridge", "vlan")

# The keys of bond:, bridge: and vlan: that are libvirt's own; every other key is an
# ifsmith: option attribute named after the kernel's option (min_links -> ifsmith:min-links).
BOND_KEYS = ("mode", "slaves", "miimon", "updelay", "downdelay", "carrier",
             "arp_interval", "arp_targets", "arp_validate")
BRIDGE_KEYS = ("stp", "delay", "ports")
VLAN_KEYS = ("tag", "parent")


ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "type": {"type": "str", "choices": list(TYPES)},
    "start": {"type": "str", "choices": ["onboot", "none", "hotplug"]},
    "mtu": {"type": "int"},
    "mac": {"type": "str"},
    "label": {"type": "str"},
    "addresses": {"type": "list", "elements": "str"},
    "gateway": {"type": "str"},
    "gateway6": {"type": "str"},
    "dhcp": {"type": "bool", "default": False},
    "dhcp6": {"type": "bool", "default": False},
    "autoconf": {"type": "bool", "default": False},
    "routes": {"type": "list", "elements": "dict"},
    "dns": {"type": "dict"},
    "bond": {"type": "dict"},
    "bridge": {"type": "dict"},
    "vlan": {"type": "dict"},
}


class SpecError(ValueError):
    """A description that cannot be written as XML (names the interface and the key)."""


def type_of(spec: dict[str, Any]) -> str:
    """The declared type, else the one its bond:, bridge: or vlan: key implies."""
    declared = spec.get("type")
    implied = [t for t in ("bond", "bridge", "vlan") if spec.get(t) is not None]
    if declared:
        if declared not in TYPES:
            raise SpecError(f"{spec.get('name')}: type {declared!r} is not one of "
                            + ", ".join(TYPES))
        wrong = [t for t in implied if t != declared]
        if wrong:
            raise SpecError(f"{spec.get('name')}: a {declared} has no {wrong[0]}: settings")
        return str(declared)
    if len(implied) > 1:
        raise SpecError(f"{spec.get('name')}: give one of bond:, bridge:, vlan: (or type:)")
    return implied[0] if implied else "ethernet"


def _flag(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list | tuple):  # a VLAN list: [10, 20, "100-199"]
        return " ".join(str(v) for v in value)
    return str(value)


def _options(el: ET.Element, values: dict[str, Any], own: tuple[str, ...]) -> None:
    for key, value in values.items():
        if key not in own and value is not None:
            el.set(X + key.replace("_", "-"), _flag(value))


def _network(text: str, where: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    try:
        return ipaddress.ip_interface(str(text))
    except ValueError:
        raise SpecError(f"{where}: {text!r} is not an address/prefix") from None


def _family(address: str) -> str:
    return "ipv6" if ":" in str(address) else "ipv4"


def _protocols(el: ET.Element, spec: dict[str, Any]) -> None:
    name = spec["name"]
    families: dict[str, ET.Element] = {}

    def protocol(family: str) -> ET.Element:
        if family not in families:
            families[family] = ET.Element("protocol", family=family)
        return families[family]

    if spec.get("dhcp"):
        protocol("ipv4").append(ET.Element("dhcp"))
    if spec.get("autoconf"):
        protocol("ipv6").append(ET.Element("autoconf"))
    if spec.get("dhcp6"):
        protocol("ipv6").append(ET.Element("dhcp"))
    for text in spec.get("addresses") or []:
        address = _network(text, f"{name}: addresses")
        protocol(f"ipv{address.version}").append(ET.Element(
            "ip", address=str(address.ip), prefix=str(address.network.prefixlen)))
    for key, family in (("gateway", "ipv4"), ("gateway6", "ipv6")):
        if spec.get(key):
            if _family(spec[key]) != family:
                raise SpecError(f"{name}: {key} {spec[key]!r} is not an {family} address")
            protocol(family).append(ET.Element("route", gateway=str(spec[key])))
    for route in spec.get("routes") or []:
        if not isinstance(route, dict) or "to" not in route:
            raise SpecError(f"{name}: each of routes needs to: (and optionally via:, metric:)")
        unknown = set(route) - {"to", "via", "metric"}
        if unknown:
            raise SpecError(f"{name}: routes: unknown key {sorted(unknown)[0]!r}")
        to = _network(route["to"], f"{name}: routes")
        attrs = {"address": str(to.ip), "prefix": str(to.network.prefixlen)}
        if route.get("via") is not None:
            attrs["gateway"] = str(route["via"])
        if route.get("metric") is not None:
            attrs["metric"] = str(route["metric"])
        protocol(f"ipv{to.version}").append(ET.Element(X + "route", attrs))
    for family in ("ipv4", "ipv6"):
        if family in families:
            el.append(families[family])


def _bond(el: ET.Element, bond: dict[str, Any], name: str) -> None:
    b = ET.SubElement(el, "bond")
    if bond.get("mode"):
        b.set("mode", str(bond["mode"]))
    _options(b, bond, BOND_KEYS)
    for needs, keys in (("miimon", ("downdelay", "updelay", "carrier")),
                        ("arp_interval", ("arp_targets", "arp_validate"))):
        given = [k for k in keys if bond.get(k) is not None]
        if given and bond.get(needs) is None:
            raise SpecError(f"{name}: bond: {given[0]} needs {needs}")
    if bond.get("miimon") is not None:
        mii = ET.SubElement(b, "miimon", freq=str(bond["miimon"]))
        for key in ("downdelay", "updelay", "carrier"):
            if bond.get(key) is not None:
                mii.set(key, str(bond[key]))
    if bond.get("arp_interval") is not None:  # with miimon too: ifsmith refuses both
        targets = [str(t) for t in bond.get("arp_targets") or []]
        if not targets:
            raise SpecError(f"{name}: bond: arp_interval needs arp_targets")
        arp = ET.SubElement(b, "arpmon", interval=str(bond["arp_interval"]), target=targets[0])
        if bond.get("arp_validate"):
            arp.set("validate", str(bond["arp_validate"]))
        if targets[1:]:
            arp.set(X + "targets", " ".join(targets[1:]))
    for slave in bond.get("slaves") or []:
        ET.SubElement(b, "interface", type="ethernet", name=str(slave))


def _bridge(el: ET.Element, bridge: dict[str, Any], name: str) -> None:
    b = ET.SubElement(el, "bridge")
    if bridge.get("stp") is not None:
        b.set("stp", _flag(bool(bridge["stp"])))
    if bridge.get("delay") is not None:
        b.set("delay", str(bridge["delay"]))
    _options(b, bridge, BRIDGE_KEYS)
    for port in bridge.get("ports") or []:
        spec = {"name": port} if isinstance(port, str) else dict(port)
        if not spec.get("name"):
            raise SpecError(f"{name}: bridge: each port needs a name")
        b.append(_interface(spec, port=True))


def _vlan(el: ET.Element, vlan: dict[str, Any], name: str) -> None:
    if vlan.get("tag") is None or not vlan.get("parent"):
        raise SpecError(f"{name}: vlan: needs tag: and parent:")
    v = ET.SubElement(el, "vlan", tag=str(vlan["tag"]))
    _options(v, vlan, VLAN_KEYS)
    ET.SubElement(v, "interface", name=str(vlan["parent"]))


def _interface(spec: dict[str, Any], port: bool = False) -> ET.Element:
    name = str(spec["name"])
    kind = type_of(spec)
    el = ET.Element("interface", type=kind, name=name)
    if spec.get("label"):
        el.set(X + "label", str(spec["label"]))
    if port:
        # A port's own options (path_cost, port_priority, vlans, pvid ...): every key that is
        # not an interface setting, so a misspelt one is refused by ifsmith, never dropped.
        _options(el, spec, tuple(ARGUMENT_SPEC))
    if spec.get("mac") and kind != "ethernet":
        el.set(X + "mac", str(spec["mac"]))
    if spec.get("start"):
        ET.SubElement(el, "start", mode=str(spec["start"]))
    if spec.get("mtu") is not None:
        ET.SubElement(el, "mtu", size=str(spec["mtu"]))
    if spec.get("mac") and kind == "ethernet":
        ET.SubElement(el, "mac", address=str(spec["mac"]))
    _protocols(el, spec)
    if kind == "bond":
        _bond(el, dict(spec.get("bond") or {}), name)
    elif kind == "bridge":
        _bridge(el, dict(spec.get("bridge") or {}), name)
    elif kind == "vlan":
        _vlan(el, dict(spec.get("vlan") or {}), name)
    dns = spec.get("dns") or {}
    unknown = sorted(set(dns) - {"servers", "search"})
    if unknown:
        raise SpecError(f"{name}: dns: unknown key {unknown[0]!r} (servers, search)")
    if dns.get("servers") or dns.get("search"):
        attrs = {}
        if dns.get("servers"):
            attrs["servers"] = " ".join(str(s) for s in dns["servers"])
        if dns.get("search"):
            attrs["search"] = " ".join(str(s) for s in dns["search"])
        ET.SubElement(el, X + "dns", attrs)
    return el


def to_xml(spec: dict[str, Any]) -> str:
    """The interface XML of one described interface (not yet checked by ifsmith)."""
    if not spec.get("name"):
        raise SpecError("an interface needs a name")
    ET.register_namespace("ifsmith", NS)
    return ET.tostring(_interface(spec), encoding="unicode") + "\n"


def canonical(spec: dict[str, Any]) -> tuple[str, list[str]]:
    """The interface's XML as ifsmith writes it, and the checks' warnings; SpecError
    with ifsmith's message when it refuses the description.  Needs ifsmith."""
    from ifsmith.core.checks import check, errors
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.xmlio import parse, to_document

    name = spec.get("name")
    try:
        interfaces = parse(to_xml(spec), str(name))
    except IfsmithError as exc:
        raise SpecError(str(exc)) from None  # it names the interface ("NAME:1: <vlan>: ...")
    # A VLAN's parent is judged where it is applied (ifsmith_apply checks the whole change
    # against the host): here it may well be described by another task.
    parents = {i.vlan.parent for top in interfaces for i, _m in top.walk() if i.vlan}
    problems = check(interfaces, {p for p in parents if p}, offline=True)
    bad = errors(problems)
    if bad:
        raise SpecError(f"{name} is invalid: " + "; ".join(str(p) for p in bad))
    return to_document(interfaces), [str(p) for p in problems if p not in bad]
