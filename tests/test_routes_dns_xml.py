"""Static routes and DNS in the XML (issue 10): ``<ifsmith:route>`` inside ``<protocol>`` and
``<ifsmith:dns>`` on a top-level interface — parsed, written canonically (byte-stable),
validated by our schema, stripped for libvirt's, checked for meaning; and never dropped by
a backend without a warning naming them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ifsmith import backends
from ifsmith.core.checks import check, errors
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Dns, Family, IfType, Interface, IpAddress, Protocol, Route
from ifsmith.core.xmlio import XmlError, parse, to_xml
from ifsmith.core.xmlschema import schema_problems, strip_extensions
from tests.lab_xml import routes_dns_doc

DOC = routes_dns_doc("ethernet", "eth0")


def test_routes_and_dns_parse_and_write_back_byte_for_byte() -> None:
    (iface,) = parse(DOC)
    v4, v6 = iface.protocols
    assert v4.gateway == "192.0.2.1"  # libvirt's <route> stays the default route
    assert [str(r) for r in v4.routes] == [
        "10.20.0.0/16 via 192.0.2.254 metric 100",
        "198.51.100.0/24 on-link",
    ]
    assert [str(r) for r in v6.routes] == ["2001:db8:1::/48 via fe80::1"]
    assert iface.dns == Dns(("192.0.2.53", "2001:db8::53"), ("example.com", "corp.example.com"))
    assert to_xml(iface) == DOC
    assert check([iface]) == []


def test_our_schema_takes_them_and_libvirt_gets_a_document_without(anchors: Path) -> None:
    assert schema_problems(DOC.encode()) == []
    stripped = strip_extensions(DOC.encode())
    assert b"ifsmith" not in stripped and b"route gateway" in stripped
    libvirt = anchors / "libvirt/src/conf/schemas/interface.rng"
    assert schema_problems(stripped, libvirt) == []
    # What is left keeps its layout: no blank lines where the extensions were.
    assert b"\n  \n" not in stripped and b"  </protocol>" in stripped


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            "<protocol family='ipv4'><ifsmith:route prefix='16'/></protocol>",
            "missing attribute 'address'",
        ),
        (
            "<protocol family='ipv4'><ifsmith:route address='10.0.0.0'/></protocol>",
            "missing attribute 'prefix'",
        ),
        (
            "<protocol family='ipv4'><ifsmith:route address='10.0.0.0' prefix='x'/></protocol>",
            "prefix='x' is not a non-negative integer",
        ),
        ("<ifsmith:dns/>", "needs servers="),
        ("<ifsmith:dns servers='192.0.2.1'/><ifsmith:dns servers='192.0.2.2'/>", "more than once"),
    ],
)
def test_malformed_routes_and_dns_name_the_element(doc: str, message: str) -> None:
    text = (
        "<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='ethernet'"
        f" name='eth0'>{doc}</interface>"
    )
    with pytest.raises(XmlError, match=message):
        parse(text, "f.xml")


def test_dns_on_a_bridge_port_is_refused() -> None:
    text = (
        "<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='bridge'"
        " name='br0'><bridge><interface type='ethernet' name='eth0'>"
        "<ifsmith:dns servers='192.0.2.1'/></interface></bridge></interface>"
    )
    with pytest.raises(XmlError, match="only allowed on the top-level interface"):
        parse(text)


def eth0(*routes: Route, dhcp: bool = False, dns: Dns | None = None) -> Interface:
    proto = Protocol(
        Family.IPV4,
        dhcp=dhcp,
        addresses=() if dhcp else (IpAddress("192.0.2.10", 24),),
        routes=routes,
    )
    return Interface(IfType.ETHERNET, "eth0", protocols=(proto,), dns=dns)


@pytest.mark.parametrize(
    ("iface", "message"),
    [
        (eth0(Route("10.20.0.1", 16, "192.0.2.254")), "host bits set; the network is 10.20.0.0/16"),
        (eth0(Route("10.20.0.0", 33)), "prefix is outside 0-32"),
        (eth0(Route("2001:db8::", 64)), "is not an ipv4 network"),
        (eth0(Route("10.20.0.0", 16, "2001:db8::1")), "is not an ipv4 address"),
        (
            eth0(Route("10.20.0.0", 16, "203.0.113.1")),
            "gateway 203.0.113.1 is not reachable through eth0 (outside 192.0.2.0/24)",
        ),
        (eth0(Route("10.20.0.0", 16, metric=2**32)), "metric 4294967296 exceeds 32 bits"),
        (eth0(Route("10.20.0.0", 16), Route("10.20.0.0", 16)), "is given twice"),
        (eth0(dns=Dns(("192.0.2.53", "resolver"))), "DNS server 'resolver' is not an IP"),
        (eth0(dns=Dns(search=("exa mple",))), "search domain 'exa mple' is not a domain"),
        (eth0(dns=Dns(search=("-bad.example",))), "is not a domain name"),
    ],
)
def test_meaning_is_checked_with_clear_messages(iface: Interface, message: str) -> None:
    assert any(message in p.message for p in errors(check([iface]))), check([iface])


def test_reachable_gateways_pass() -> None:
    # Through an on-link route of the interface, or a lease whose subnet is not known here.
    assert check([eth0(Route("198.51.100.0", 24), Route("10.0.0.0", 8, "198.51.100.1"))]) == []
    assert check([eth0(Route("10.0.0.0", 8, "203.0.113.1"), dhcp=True)]) == []
    four = Dns(("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"))
    (warning,) = check([eth0(dns=four)])
    assert warning.severity == "warning" and "uses the first three" in warning.message


@pytest.mark.parametrize("name", backends.available())
def test_a_backend_that_does_not_carry_them_says_so(name: str) -> None:
    """Rule 2: a route or DNS server the backend does not write is a warning naming it."""
    backend = backends.get(name)
    (iface,) = parse(DOC)
    rendering = backends.render(backend, [iface], MemoryFiles({}))
    written = b"".join(d for d in rendering.files.values() if d is not None).decode()
    said = "\n".join(str(w) for w in rendering.warnings)
    carries = set(getattr(backend, "CARRIES", ()))
    for text in ("10.20.0.0", "198.51.100.0", "2001:db8:1::"):
        assert text in written if "routes" in carries else f"route {text}" in said
    for text in ("192.0.2.53", "corp.example.com"):
        assert text in written if "dns" in carries else text in said


def test_iface_bridge_moves_routes_and_dns_to_the_bridge_and_unbridge_back() -> None:
    from ifsmith.tui.cmd_txn import bridge_of

    nic = eth0(Route("198.51.100.0", 24), dns=Dns(("192.0.2.53",)))
    bridged = bridge_of(nic, "br0", False, None)
    assert bridged.dns == nic.dns and bridged.protocols == nic.protocols
    assert bridged.bridge is not None
    (port,) = bridged.bridge.ports
    assert port.dns is None and port.protocols == ()
    assert check([bridged]) == []
