"""libvirt interface XML: parsing, canonical output, hardening, schemas."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ifsmith.core.model import (
    ArpMon,
    Bond,
    BondMode,
    Family,
    IfType,
    Interface,
    IpAddress,
    LacpRate,
    Protocol,
    StartMode,
    Vlan,
    XmitHashPolicy,
)
from ifsmith.core.xmlio import XmlError, parse, to_document, to_xml
from ifsmith.core.xmlschema import schema_problems, strip_extensions


def libvirt_samples(anchors: Path) -> list[Path]:
    return sorted((anchors / "libvirt/tests/interfaceschemadata").glob("*.xml"))


def netcf_samples(anchors: Path) -> list[Path]:
    return [
        p for p in sorted((anchors / "netcf/tests/interface").glob("*.xml"))
        if p.name != "schemas.xml"
    ]


def libvirt_rng(anchors: Path) -> Path:
    return anchors / "libvirt/src/conf/schemas/interface.rng"


def test_every_libvirt_sample_round_trips_byte_for_byte(anchors: Path) -> None:
    samples = libvirt_samples(anchors)
    assert len(samples) == 19
    for sample in samples:
        text = sample.read_text()
        [iface] = parse(text.encode(), str(sample))
        assert to_xml(iface) == text, sample.name


def test_every_netcf_sample_round_trips_to_an_equal_model(anchors: Path) -> None:
    samples = netcf_samples(anchors)
    assert len(samples) == 21
    for sample in samples:
        interfaces = parse(sample.read_bytes(), str(sample))
        assert parse(to_document(interfaces)) == interfaces, sample.name


def test_our_output_validates_against_libvirt_schema_and_ours(anchors: Path) -> None:
    for sample in libvirt_samples(anchors) + netcf_samples(anchors):
        out = to_document(parse(sample.read_bytes())).encode()
        assert schema_problems(out, libvirt_rng(anchors)) == [], sample.name
        assert schema_problems(out) == [], sample.name


def extended_bond() -> Interface:
    return Interface(
        type=IfType.BOND,
        name="bond0",
        start_mode=StartMode.ONBOOT,
        label="storage uplink",
        protocols=(Protocol(Family.IPV4, addresses=(IpAddress("192.0.2.10", 24),)),),
        bond=Bond(
            mode=BondMode.LACP,
            arpmon=None,
            slaves=(
                Interface(IfType.ETHERNET, "eth0"),
                Interface(IfType.ETHERNET, "eth1"),
            ),
            xmit_hash_policy=XmitHashPolicy.LAYER3_4,
            lacp_rate=LacpRate.FAST,
        ),
    )


def test_extensions_round_trip_and_strip_to_a_libvirt_valid_document(anchors: Path) -> None:
    bond = extended_bond()
    vlan = Interface(
        IfType.VLAN, "bond0.100", vlan=Vlan(100, "bond0", reorder_hdr=False), label="tenant"
    )
    arp = dataclasses.replace(
        bond,
        name="bond1",
        label=None,
        protocols=(),
        bond=Bond(
            mode=BondMode.ACTIVE_BACKUP,
            arpmon=ArpMon(200, ("192.0.2.1", "192.0.2.2")),
            slaves=(Interface(IfType.ETHERNET, "eth2"),),
            primary_slave="eth2",
        ),
    )
    for iface in (bond, vlan, arp):
        text = to_xml(iface)
        assert "xmlns:ifsmith=" in text
        assert parse(text) == [iface]
        assert schema_problems(text.encode()) == []
        assert schema_problems(strip_extensions(text.encode()), libvirt_rng(anchors)) == []
    doc = to_document([bond, vlan, arp])
    assert parse(doc) == [bond, vlan, arp]
    assert doc.startswith("<interfaces xmlns:ifsmith=")


def test_a_document_without_extensions_declares_no_namespace() -> None:
    iface = Interface(IfType.ETHERNET, "eth0", start_mode=StartMode.NONE)
    assert to_xml(iface) == (
        "<interface type='ethernet' name='eth0'>\n  <start mode='none'/>\n</interface>\n"
    )


def test_label_with_quotes_and_markup_is_escaped() -> None:
    iface = Interface(IfType.ETHERNET, "eth0", label="a'b\"<c>&d\nline two\tx\r")
    assert parse(to_xml(iface)) == [iface]


@pytest.mark.parametrize(
    "doc",
    [
        b'<!DOCTYPE interface [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<interface type='ethernet' name='&x;'/>",
        b'<!DOCTYPE lol [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<interface type='ethernet' name='&b;'/>",
        b'<!DOCTYPE interface SYSTEM "http://example.invalid/x.dtd"><interface/>',
    ],
)
def test_doctype_and_entities_are_refused(doc: bytes) -> None:
    with pytest.raises(XmlError, match="DOCTYPE"):
        parse(doc)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (b"<interface type='ethernet' name='eth0'>", "line 1|:1:"),
        (b"<interface name='eth0'/>", "missing attribute 'type'"),
        (b"<interface type='wifi' name='w0'/>", "invalid type='wifi'"),
        (b"<interface type='bond' name='b0'/>", "needs a <bond>"),
        (
            b"<interface type='bond' name='b0'>\n<bond mode='lacp'/>\n</interface>",
            ":2: <bond>: invalid mode='lacp'",
        ),
        (
            b"<interface type='ethernet' name='e'>\n<mtu size='-1'/></interface>",
            ":2: <mtu>: size='-1' is not a non-negative integer",
        ),
        (b"<network/>", "expected <interface>"),
        (
            b"<interface type='ethernet' name='e'><frobnicate/></interface>",
            "<frobnicate>: unknown element",
        ),
    ],
)
def test_bad_documents_name_line_and_element(doc: bytes, message: str) -> None:
    with pytest.raises(XmlError, match=message):
        parse(doc, "f.xml")


def test_subordinate_start_mode_is_refused() -> None:
    doc = (
        b"<interface type='bridge' name='br0'><bridge>\n"
        b"<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>"
        b"</bridge></interface>"
    )
    with pytest.raises(XmlError, match="only allowed on the top-level"):
        parse(doc)
