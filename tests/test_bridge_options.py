"""Bridge options beyond libvirt's XML (issue 10): STP priority and timers and multicast
snooping on ``<bridge>``, path cost and port priority on a port's ``<interface>`` — parsed
typed and range-checked, written canonically, schema-valid, stripped for libvirt, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from ifsmith.core.checks import check, errors
from ifsmith.core.model import Bridge, IfType, Interface
from ifsmith.core.options import BRIDGE_SPECS, PORT_SPECS, BridgeOptions, PortOptions
from ifsmith.core.xmlio import XmlError, parse, to_xml
from ifsmith.core.xmlschema import schema_problems, strip_extensions

NS = "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' "


def bridge_doc(attrs: str, port_attrs: str = "", stp: str = "on", delay: str = "15") -> str:
    return (
        f"<interface {NS}type='bridge' name='br0'>\n"
        "  <start mode='onboot'/>\n"
        f"  <bridge stp='{stp}' delay='{delay}'{attrs}>\n"
        f"    <interface type='ethernet' name='eth0'{port_attrs}>\n"
        "    </interface>\n"
        "    <interface type='bond' name='bond0' ifsmith:path-cost='4'>\n"
        "      <bond mode='active-backup'>\n"
        "        <interface type='ethernet' name='eth1'>\n"
        "        </interface>\n"
        "      </bond>\n"
        "    </interface>\n"
        "  </bridge>\n"
        "</interface>\n"
    )


FULL = bridge_doc(
    " ifsmith:priority='4096' ifsmith:hello-time='2.5' ifsmith:max-age='12'"
    " ifsmith:ageing-time='0.5' ifsmith:multicast-snooping='off'",
    " ifsmith:path-cost='100' ifsmith:port-priority='10'",
)


def test_options_round_trip_byte_for_byte_and_check_clean() -> None:
    (iface,) = parse(FULL)
    assert iface.bridge is not None
    assert iface.bridge.options == BridgeOptions(
        priority=4096, hello_time=2.5, max_age=12.0, ageing_time=0.5, multicast_snooping=False
    )
    eth0, bond0 = iface.bridge.ports
    assert eth0.port_options == PortOptions(path_cost=100, port_priority=10)
    assert bond0.port_options == PortOptions(path_cost=4)
    assert to_xml(iface) == FULL
    assert check([iface]) == []


def test_old_constructors_mean_kernel_defaults() -> None:
    assert Bridge(stp=True).options == BridgeOptions()
    assert not Interface(IfType.ETHERNET, "eth0").port_options


def test_schema_takes_them_and_libvirt_gets_a_document_without(anchors: Path) -> None:
    assert schema_problems(FULL.encode()) == []
    stripped = strip_extensions(FULL.encode())
    assert b"ifsmith" not in stripped
    assert schema_problems(stripped, anchors / "libvirt/src/conf/schemas/interface.rng") == []


@pytest.mark.parametrize(
    ("attrs", "port", "message"),
    [
        (" ifsmith:priority='65536'", "", "invalid ifsmith:priority='65536': outside 0-65535"),
        (" ifsmith:hello-time='0.5'", "", "hello-time='0.5': outside 1-10 s"),
        (" ifsmith:hello-time='11'", "", "outside 1-10 s"),
        (" ifsmith:max-age='5'", "", "max-age='5': outside 6-40 s"),
        (" ifsmith:max-age='41'", "", "outside 6-40 s"),
        (" ifsmith:ageing-time='x'", "", "not a number of seconds"),
        (" ifsmith:ageing-time='42949673'", "", "outside 0-42949672.95 s"),
        (" ifsmith:multicast-snooping='yes'", "", "expected 'on' or 'off'"),
        ("", " ifsmith:path-cost='0'", "path-cost='0': outside 1-65535"),
        ("", " ifsmith:port-priority='64'", "port-priority='64': outside 0-63"),
    ],
)
def test_bad_values_are_refused_naming_the_attribute(attrs: str, port: str, message: str) -> None:
    doc = bridge_doc(attrs, port)
    with pytest.raises(XmlError) as caught:
        parse(doc)
    assert message in str(caught.value)
    assert schema_problems(doc.encode()) != []


def test_port_options_outside_a_bridge_are_refused() -> None:
    doc = (
        f"<interface {NS}type='ethernet' name='eth0' ifsmith:path-cost='5'>\n"
        "</interface>\n"
    )
    with pytest.raises(XmlError, match="applies only to a port's <interface> inside <bridge>"):
        parse(doc)
    bond = (
        f"<interface {NS}type='bond' name='bond0'>\n"
        "  <bond mode='active-backup'>\n"
        "    <interface type='ethernet' name='eth1' ifsmith:port-priority='5'/>\n"
        "  </bond>\n</interface>\n"
    )
    with pytest.raises(XmlError, match=r"ifsmith:port-priority applies only to a port"):
        parse(bond)


def test_stp_timer_rule_is_a_warning_only_with_stp_on() -> None:
    doc = bridge_doc(" ifsmith:hello-time='4' ifsmith:max-age='6'")
    (iface,) = parse(doc)
    (problem,) = check([iface])
    assert problem.severity == "warning"
    assert "max-age 6 s, hello-time 4 s" in str(problem) and "br0" in str(problem)
    (off,) = parse(bridge_doc(" ifsmith:hello-time='4' ifsmith:max-age='6'", stp="off"))
    assert check([off]) == []


def test_forward_delay_outside_the_stp_range_still_warns() -> None:
    (iface,) = parse(bridge_doc("", delay="1"))
    texts = [str(p) for p in check([iface])]
    assert any("which the kernel requires while STP is on" in t for t in texts), texts


def test_values_built_outside_the_parser_are_range_checked() -> None:
    bad = Interface(
        IfType.BRIDGE, "br0",
        bridge=Bridge(
            options=BridgeOptions(hello_time=0.2, ageing_time=1.234, priority=70000),
            ports=(Interface(IfType.ETHERNET, "eth0", port_options=PortOptions(path_cost=0)),),
        ),
    )  # fmt: skip
    found = check([bad])
    texts = [str(p) for p in errors(found)]
    assert any("hello-time=0.2: outside 1-10 s" in t for t in texts), texts
    assert any("priority=70000: outside 0-65535" in t for t in texts), texts
    assert any("port eth0: bridge port option path-cost=0" in t for t in texts), texts
    warnings = [str(p) for p in found if p.severity == "warning"]
    assert any("ageing-time=1.234: finer than the kernel's 0.01 s" in t for t in warnings)


def test_the_schema_names_every_option_of_the_table() -> None:
    rng = (Path(__file__).parent.parent / "core/schema/interface.rng").read_text()
    for spec in (*BRIDGE_SPECS, *PORT_SPECS):
        assert f'<attribute name="ifs:{spec.attr}">' in rng, spec.attr


def test_format_libvirt_leaves_them_out_and_says_which() -> None:
    from ifsmith.core.xmlschema import without_extensions

    (iface,) = parse(FULL)
    plain, left = without_extensions(iface)
    assert "ifsmith" not in to_xml(plain)
    assert "br0: ifsmith:hello-time='2.5'" in left
    assert "eth0: ifsmith:path-cost='100'" in left and "bond0: ifsmith:path-cost='4'" in left
