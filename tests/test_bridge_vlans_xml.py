"""VLAN-aware bridges in the XML (issue 10): ``ifsmith:vlan-filtering`` and the bridge's own
``ifsmith:vlans`` on ``<bridge>``, a port's ``ifsmith:vlans`` and ``ifsmith:pvid`` —
parsed, written canonically, schema-valid, checked, stripped for libvirt with a word, and
named in a warning by every backend that does not write them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ifsmith.core.checks import check, errors
from ifsmith.core.options import PVID_NONE, BridgeOptions, PortOptions, parse_vlans, vlan_ids
from ifsmith.core.xmlio import XmlError, parse, to_xml
from ifsmith.core.xmlschema import schema_problems, strip_extensions, without_extensions

NS = "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' "


def doc(bridge_attrs: str, eth0: str = "", eth1: str = "") -> str:
    return (
        f"<interface {NS}type='bridge' name='br0'>\n"
        "  <start mode='onboot'/>\n"
        f"  <bridge stp='off'{bridge_attrs}>\n"
        f"    <interface type='ethernet' name='eth0'{eth0}>\n"
        "    </interface>\n"
        f"    <interface type='ethernet' name='eth1'{eth1}>\n"
        "    </interface>\n"
        "  </bridge>\n"
        "</interface>\n"
    )


FULL = doc(
    " ifsmith:vlan-filtering='on' ifsmith:vlans='10 20'",
    " ifsmith:vlans='10 20 100-199' ifsmith:pvid='10'",
    " ifsmith:pvid='none'",
)


def test_a_vlan_aware_bridge_round_trips_byte_for_byte_and_checks_clean() -> None:
    (iface,) = parse(FULL)
    assert iface.bridge is not None
    assert iface.bridge.options == BridgeOptions(vlan_filtering=True, vlans="10 20")
    eth0, eth1 = iface.bridge.ports
    assert eth0.port_options == PortOptions(vlans="10 20 100-199", pvid=10)
    assert eth1.port_options == PortOptions(pvid=PVID_NONE)
    assert to_xml(iface) == FULL
    assert check([iface]) == []
    assert schema_problems(FULL.encode()) == []


def test_vlan_lists_are_written_canonically() -> None:
    (iface,) = parse(
        doc(" ifsmith:vlan-filtering='on'", " ifsmith:vlans='150-250,20 100-199 020 7'")
    )
    assert iface.bridge is not None
    assert iface.bridge.ports[0].port_options.vlans == "7 20 100-250"
    assert "ifsmith:vlans='7 20 100-250'" in to_xml(iface)
    assert parse_vlans("1 4094") == ((1, 1), (4094, 4094))
    assert vlan_ids("10 12-14") == {10, 12, 13, 14}


@pytest.mark.parametrize(
    ("bridge_attrs", "eth0", "message"),
    [
        (" ifsmith:vlan-filtering='yes'", "", "vlan-filtering='yes': expected 'on' or 'off'"),
        (" ifsmith:vlan-filtering='on'", " ifsmith:vlans='0'", "'0' is not a VLAN id 1-4094"),
        (" ifsmith:vlan-filtering='on'", " ifsmith:vlans='4095'", "'4095' is not a VLAN id"),
        (" ifsmith:vlan-filtering='on'", " ifsmith:vlans='20-10'", "range '20-10' runs backwards"),
        (" ifsmith:vlan-filtering='on'", " ifsmith:vlans=''", "no VLAN ids"),
        (" ifsmith:vlan-filtering='on'", " ifsmith:vlans='1" + "0" * 5000 + "'", "not a VLAN id"),
        (
            " ifsmith:vlan-filtering='on'",
            " ifsmith:pvid='4095'",
            "expected a VLAN id 1-4094 or 'none'",
        ),
        (" ifsmith:vlan-filtering='on'", " ifsmith:pvid='99999'", "expected a VLAN id"),
        (" ifsmith:vlans='1-2-3' ifsmith:vlan-filtering='on'", "", "'1-2-3' is not a VLAN id"),
    ],
)
def test_bad_values_are_refused_naming_the_attribute(
    bridge_attrs: str, eth0: str, message: str
) -> None:
    text = doc(bridge_attrs, eth0)
    with pytest.raises(XmlError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert "ifsmith:" in str(caught.value)
    if "backwards" not in message:  # a pattern cannot compare the two ends of a range
        assert schema_problems(text.encode()) != []


@pytest.mark.parametrize(
    ("bridge_attrs", "eth0", "message"),
    [
        (" ifsmith:vlans='10'", "", "vlans='10' needs ifsmith:vlan-filtering='on'"),
        ("", " ifsmith:vlans='10'", "vlans needs the bridge's ifsmith:vlan-filtering='on'"),
        (" ifsmith:vlan-filtering='off'", " ifsmith:pvid='5'", "pvid needs the bridge's"),
        (
            " ifsmith:vlan-filtering='on'",
            " ifsmith:vlans='20 30' ifsmith:pvid='10'",
            "pvid=10 is not among the port's VLANs (vlans='20 30')",
        ),
    ],
)
def test_checks_name_what_makes_no_sense(bridge_attrs: str, eth0: str, message: str) -> None:
    (iface,) = parse(doc(bridge_attrs, eth0))
    texts = [str(p) for p in errors(check([iface]))]
    assert any(message in t for t in texts), texts


def test_a_pvid_alone_or_none_needs_no_vlan_list() -> None:
    (iface,) = parse(
        doc(" ifsmith:vlan-filtering='on'", " ifsmith:pvid='30'", " ifsmith:pvid='none'")
    )
    assert check([iface]) == []


def test_format_libvirt_leaves_them_out_and_says_which(anchors: Path) -> None:
    (iface,) = parse(FULL)
    plain, left = without_extensions(iface)
    assert "ifsmith" not in to_xml(plain)
    assert "br0: ifsmith:vlan-filtering='on'" in left
    assert "br0: ifsmith:vlans='10 20'" in left
    assert "eth0: ifsmith:vlans='10 20 100-199'" in left
    assert "eth1: ifsmith:pvid='none'" in left
    rng = anchors / "libvirt/src/conf/schemas/interface.rng"
    assert schema_problems(strip_extensions(FULL.encode()), rng) == []


def test_every_backend_that_does_not_write_them_names_each_one(tmp_path: Path) -> None:
    """Until a backend declares "bridge-vlans" (or "option:<name>") it says, per value,
    that it drops it."""
    from ifsmith.backends import REGISTRY, get

    src = tmp_path / "br0.xml"
    src.write_text(FULL)
    for name in REGISTRY:
        backend = get(name)
        if "bridge-vlans" in getattr(backend, "CARRIES", ()):
            continue
        rendered = subprocess.run(
            [sys.executable, "-m", "ifsmith.tui", "render", str(src), "--backend", name],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        for what in (
            "vlan-filtering=on",
            "vlans=10 20",
            "vlans=10 20 100-199",
            "pvid=10",
            "pvid=none",
        ):
            field = what.split("=")[0].replace("-", "_")
            if f"option:{field}" in getattr(backend, "CARRIES", ()):
                continue  # the one it writes (netifrc: vlan_filtering)
            assert f"{what} not written: {name} does not carry it" in rendered.stderr, (
                name,
                rendered.stderr,
            )
