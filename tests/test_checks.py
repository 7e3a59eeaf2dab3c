"""Semantic validation: each rule, with the message an admin would read."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ifsmith.core.checks import Problem, check, errors, mac_problem, name_problem
from ifsmith.core.xmlio import parse


def problems(doc: str, known: tuple[str, ...] = ()) -> list[str]:
    return [str(p) for p in check(parse(doc.encode()), known)]


def bond(name: str, slaves: list[str], extra: str = "", mode: str = "active-backup") -> str:
    ifs = "".join(f"<interface type='ethernet' name='{s}'/>" for s in slaves)
    return (
        f"<interface type='bond' name='{name}'><bond mode='{mode}' {extra}>{ifs}</bond>"
        "</interface>"
    )


def test_slave_in_a_bond_and_a_bridge_is_refused_with_line() -> None:
    doc = (
        "<interfaces>\n"
        + bond("bond0", ["eth3"])
        + "\n<interface type='bridge' name='br0'><bridge>\n"
        "<interface type='ethernet' name='eth3'/>\n</bridge></interface>\n</interfaces>"
    )
    assert problems(doc) == ["br0 (line 4): port eth3 is already a slave of bond0"]


def test_slave_in_two_bonds_is_refused() -> None:
    doc = "<interfaces>" + bond("bond0", ["eth0"]) + bond("bond1", ["eth0"]) + "</interfaces>"
    assert any("slave eth0 is already a slave of bond0" in p for p in problems(doc))


def test_valid_bond_bridge_vlan_document_has_no_problems() -> None:
    doc = (
        "<interfaces>"
        + bond("bond0", ["eth0", "eth1"], mode="802.3ad")
        + "<interface type='vlan' name='bond0.100'><vlan tag='100'>"
        "<interface name='bond0'/></vlan></interface>"
        "<interface type='bridge' name='br100'>"
        "<protocol family='ipv4'><ip address='192.0.2.1' prefix='24'/>"
        "<route gateway='192.0.2.254'/></protocol>"
        "<bridge stp='off'><interface type='vlan' name='bond0.100'><vlan tag='100'>"
        "<interface name='bond0'/></vlan></interface></bridge></interface>"
        "</interfaces>"
    )
    # bond0.100 defined at the top and again as a port: the same interface, used once.
    assert problems(doc) == []


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("eth0", True),
        ("a" * 15, True),
        ("a" * 16, False),
        ("", False),
        (".", False),
        ("..", False),
        ("a/b", False),
        ("a:b", False),
        ("a b", False),
        ("a\tb", False),
        ("é" * 7, True),  # 14 bytes
        ("é" * 8, False),  # 16 bytes
        ("$(x)", True),  # the kernel accepts it; backends must quote or refuse it
    ],
)
def test_kernel_name_rules(name: str, ok: bool) -> None:
    assert (name_problem(name) is None) == ok


def test_bad_names_are_reported_for_the_interface() -> None:
    assert problems("<interface type='ethernet' name='eth0:1'/>") == [
        "eth0:1 (line 1): interface name 'eth0:1' contains ':', which the kernel refuses"
    ]


@pytest.mark.parametrize(
    ("mac", "ok"),
    [
        ("52:54:00:12:34:56", True),
        ("01:00:5e:00:00:01", False),  # multicast
        ("00:00:00:00:00:00", False),
        ("52:54:00:12:34", False),
        ("zz:54:00:12:34:56", False),
    ],
)
def test_mac_must_be_unicast(mac: str, ok: bool) -> None:
    assert (mac_problem(mac) is None) == ok


def test_bond_slave_must_be_ethernet() -> None:
    doc = (
        "<interface type='bond' name='bond0'><bond>"
        "<interface type='vlan' name='eth0.5'><vlan tag='5'><interface name='eth0'/></vlan>"
        "</interface></bond></interface>"
    )
    assert "bond0 (line 1): slave eth0.5 is a vlan; bond slaves must be ethernet" in problems(doc)


def test_arpmon_needs_ipv4_target_and_not_in_lacp() -> None:
    doc = bond("bond0", ["eth0"], mode="802.3ad").replace(
        "<interface type='ethernet'", "<arpmon interval='100' target='2001:db8::1'/>"
        "<interface type='ethernet'", 1
    )
    found = problems(doc)
    assert any("arpmon target '2001:db8::1' is not an IPv4 address" in p for p in found)
    assert any("does not support ARP monitoring in mode 802.3ad" in p for p in found)


def test_primary_only_in_modes_that_have_one() -> None:
    ok = bond("bond0", ["eth0", "eth1"], "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' "
              "ifsmith:primary='eth1'")
    assert problems(ok) == []
    bad = ok.replace("active-backup", "balance-rr")
    assert any("primary eth1 is only possible in modes" in p for p in problems(bad))
    missing = ok.replace("ifsmith:primary='eth1'", "ifsmith:primary='eth7'")
    assert any("primary eth7 is not one of the slaves" in p for p in problems(missing))


def test_lacp_rate_only_in_802_3ad() -> None:
    doc = bond("bond0", ["eth0"], "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' "
               "ifsmith:lacp-rate='fast'")
    assert any("lacp_rate applies only to mode 802.3ad" in p for p in problems(doc))


def test_vlan_tag_range_and_parent_must_exist() -> None:
    doc = "<interface type='vlan' name='v'>\n<vlan tag='10'><interface name='eth9'/></vlan>" \
          "</interface>"
    assert problems(doc) == [
        "v (line 2): VLAN parent eth9 is neither defined here nor present on the host",
    ]
    assert problems(doc, known=("eth9",)) == []
    # A form (or a backend's reader) builds the model without the parser: same range.
    vlan = parse(doc.encode())[0]
    assert vlan.vlan is not None
    for tag in (0, 4095):
        bad = replace(vlan, vlan=replace(vlan.vlan, tag=tag))
        assert [str(p) for p in check([bad], ("eth9",))] == [
            f"v (line 2): VLAN tag {tag} is outside 1-4094 (0 and 4095 are reserved by 802.1Q)"
        ]


def test_vlan_parent_found_nowhere_is_a_warning_offline() -> None:
    doc = "<interface type='vlan' name='v'>\n<vlan tag='10'><interface name='eth9'/></vlan>" \
          "</interface>"
    found = check(parse(doc.encode()), offline=True)
    assert [str(p) for p in found] == [
        "warning: v (line 2): VLAN parent eth9 is neither defined here nor present on this "
        "host; it must exist on the target"
    ]
    assert errors(found) == []


def test_no_addresses_on_a_bridge_port_defined_separately() -> None:
    doc = (
        "<interfaces><interface type='ethernet' name='eth0'><protocol family='ipv4'>"
        "<ip address='192.0.2.5' prefix='24'/></protocol></interface>"
        "<interface type='bridge' name='br0'><bridge><interface type='ethernet' name='eth0'/>"
        "</bridge></interface></interfaces>"
    )
    assert any("eth0" in p and "port of br0 and cannot carry addresses" in p
               for p in problems(doc))


@pytest.mark.parametrize("mtu", ["67", "65537"])
def test_mtu_range(mtu: str) -> None:
    doc = "<interface type='ethernet' name='eth0'><mtu size='1500'/></interface>"
    iface = replace(parse(doc.encode())[0], mtu=int(mtu))  # as a form builds it
    assert [str(p) for p in check([iface])] == [f"eth0 (line 1): MTU {mtu} is outside 68-65536"]


def test_addresses_prefixes_and_gateways() -> None:
    doc = (
        "<interface type='ethernet' name='eth0'>\n"
        "<protocol family='ipv4'><ip address='192.0.2.300' prefix='24'/>"
        "<ip address='192.0.2.5' prefix='0'/><ip address='198.51.100.5' prefix='24'/>"
        "<route gateway='203.0.113.1'/></protocol>\n"
        "<protocol family='ipv6'><ip address='192.0.2.1' prefix='64'/></protocol></interface>"
    )
    found = check(parse(doc.encode()))
    text = [str(p) for p in found]
    assert "eth0 (line 2): '192.0.2.300' is not an ipv4 address" in text
    assert "eth0 (line 2): prefix /0 of 192.0.2.5 is outside 1-32" in text
    assert (
        "warning: eth0 (line 2): gateway 203.0.113.1 is outside every configured subnet "
        "(198.51.100.0/24)" in text
    )
    assert "eth0 (line 3): '192.0.2.1' is not an ipv6 address" in text
    warning = next(p for p in found if "gateway" in p.message)
    assert warning.severity == "warning" and warning not in errors(found)


def test_problem_without_line_prints_only_the_name() -> None:
    assert str(Problem("eth0", "broken")) == "eth0: broken"


def test_ipv6_scope_ids_are_refused_everywhere() -> None:
    doc = (
        "<interface type='ethernet' name='eth0'><protocol family='ipv6'>"
        "<ip address='fe80::5%eth0' prefix='64'/><route gateway='fe80::1%x'/></protocol>"
        "</interface>"
    )
    found = problems(doc)
    assert any("'fe80::5%eth0' is not an ipv6 address" in p for p in found)
    assert any("gateway 'fe80::1%x' is not an ipv6 address" in p for p in found)
