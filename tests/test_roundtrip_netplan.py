"""netplan: what the YAML says survives a round trip byte for byte, and one edit is one line.

Each shape is a realistic /etc/netplan as installers, cloud-init and admins write it
(comments, flow lists, four-space indents).  Both paths must leave every file as it is:
``render(read_files(f), f)`` and the XML path (``parse(to_xml(top))`` per top interface,
then render).  An edit of one field must show in a unified diff as exactly that field's
lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from ifsmith.backends import netplan
from ifsmith.core.files import MemoryFiles, Rendering
from ifsmith.core.model import BondMode, Family, Interface, IpAddress, Protocol
from tests import test_roundtrip_networkd as roundtrip

DIR = netplan.DIRECTORY
ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
EXAMPLES = ANCHORS / "netplan/examples"


def files(units: dict[str, str]) -> MemoryFiles:
    """File name → text, in /etc/netplan."""
    return MemoryFiles({DIR / name: text.encode() for name, text in units.items()})


SHAPES: dict[str, MemoryFiles] = {
    "dhcp_cloud_init": files(
        {
            "50-cloud-init.yaml": (
                "# This file is generated from information provided by the datasource.  Changes\n"
                "# to it will not persist across an instance reboot.\n"
                "network:\n"
                "    ethernets:\n"
                "        eth0:\n"
                "            dhcp4: true\n"
                "            match:\n"
                "                macaddress: 52:54:00:12:34:56\n"
                "            set-name: eth0\n"
                "    version: 2\n"
            ),
        }
    ),
    "static_gateway_dns": files(
        {
            "01-netcfg.yaml": (
                "network:\n"
                "  version: 2\n"
                "  renderer: networkd\n"
                "  ethernets:\n"
                "    enp3s0:\n"
                "      addresses:\n"
                "        - 192.0.2.10/24   # the service address\n"
                "      routes:\n"
                "        - to: default\n"
                "          via: 192.0.2.1\n"
                "      nameservers:\n"
                "        search: [example.com]\n"
                "        addresses: [192.0.2.53, 192.0.2.54]\n"
            ),
        }
    ),
    "ipv6": files(
        {
            "10-v6.yaml": (
                "network:\n"
                "  version: 2\n"
                "  ethernets:\n"
                "    eno1:\n"
                "      dhcp6: yes\n"
                "    eno2:\n"
                "      accept-ra: true\n"
                "    eno3:\n"
                '      addresses: ["2001:db8::10/64"]\n'
                '      gateway6: "2001:db8::1"\n'
                "      accept-ra: no\n"
            ),
        }
    ),
    "bond_second_primary": files(
        {
            "01-bond.yaml": (
                "network:\n"
                "  version: 2\n"
                "  ethernets:\n"
                "    eno1: {}\n"
                "    eno2:\n"
                "      optional: true\n"
                "  bonds:\n"
                "    bond0:\n"
                "      interfaces: [eno1, eno2]\n"
                "      dhcp4: true\n"
                "      parameters:\n"
                "        mode: active-backup\n"
                "        primary: eno2\n"
                "        mii-monitor-interval: 100\n"
            ),
        }
    ),
    "bridge_stp": files(
        {
            "02-bridge.yaml": (
                "network:\n"
                "  version: 2\n"
                "  renderer: networkd\n"
                "  ethernets:\n"
                "    enp1s0:\n"
                "      dhcp4: no\n"
                "    enp2s0:\n"
                "      dhcp4: no\n"
                "  bridges:\n"
                "    br0:\n"
                "      interfaces:\n"
                "        - enp1s0\n"
                "        - enp2s0\n"
                "      addresses: [10.1.0.2/16]\n"
                "      routes:\n"
                "        - to: 0.0.0.0/0\n"
                "          via: 10.1.0.1\n"
                "      mtu: 9000\n"
                "      parameters:\n"
                "        stp: true\n"
                "        forward-delay: 4\n"
            ),
        }
    ),
    "vlan_on_bond_under_bridge": files(
        {
            "20-trunk.yaml": (
                "network:\n"
                "  version: 2\n"
                "  ethernets:\n"
                "    eno1: {}\n"
                "    eno2: {}\n"
                "  bonds:\n"
                "    bond0:\n"
                "      interfaces: [eno1, eno2]\n"
                "      link-local: []\n"
                "      parameters:\n"
                "        mode: 802.3ad\n"
                "        lacp-rate: fast\n"
                "        transmit-hash-policy: layer3+4\n"
                "        mii-monitor-interval: 100\n"
                "  vlans:\n"
                "    bond0.100:\n"
                "      id: 100\n"
                "      link: bond0\n"
                "      link-local: []\n"
                "  bridges:\n"
                "    br100:\n"
                "      interfaces: [bond0.100]\n"
                "      addresses: [172.16.100.1/24]\n"
                "      link-local: []\n"
            ),
        }
    ),
    "unmodelled_keys": files(
        {
            "60-uplink.yaml": (
                "# hand-written; see ticket 4711\n"
                "network:\n"
                "  version: 2\n"
                "  ethernets:\n"
                "    uplink:\n"
                "      match:\n"
                "        name: enp5s0\n"
                "      optional: true   # do not hold up boot\n"
                "      wakeonlan: true\n"
                "      dhcp4: yes\n"
                "      dhcp4-overrides:\n"
                "        use-dns: false\n"
                "        route-metric: 50\n"
                "      mtu: 1500\n"
                "    lan:\n"
                "      match:\n"
                "        macaddress: 52:54:00:aa:bb:cc\n"
                "      set-name: lan0\n"
                "      addresses:\n"
                "        - 10.20.0.5/24\n"
                "      routes:\n"
                "        - to: 10.99.0.0/16\n"
                "          via: 10.20.0.254\n"
                "          metric: 10\n"
            ),
        }
    ),
    "two_files_merged": files(
        {
            "50-cloud-init.yaml": (
                "network:\n  version: 2\n  ethernets:\n    ens3:\n      dhcp4: true\n"
            ),
            "90-local.yaml": (
                "network:\n  ethernets:\n    ens3:\n      mtu: 9000   # jumbo on this rack\n"
            ),
        }
    ),
}


def via_files(view: MemoryFiles) -> Rendering:
    return roundtrip.via_files(view, netplan)


def via_xml(view: MemoryFiles) -> Rendering:
    return roundtrip.via_xml(view, netplan)


PATHS = [via_files, via_xml]


def assert_unchanged(rendering: Rendering, view: MemoryFiles) -> None:
    roundtrip.assert_unchanged(rendering, view)
    assert not [w for w in rendering.warnings if "comments" in w.message]


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("path", PATHS, ids=["files", "xml"])
def test_unchanged_round_trip_writes_every_file_as_it_was(
    shape: str, path: Callable[[MemoryFiles], Rendering]
) -> None:
    view = SHAPES[shape]
    assert_unchanged(path(view), view)


def example_views() -> list[object]:
    if not EXAMPLES.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"anchors absent: {EXAMPLES}"))]
    return [pytest.param(p, id=p.stem) for p in sorted(EXAMPLES.glob("*.yaml"))]


@pytest.mark.parametrize("example", example_views())
@pytest.mark.parametrize("path", PATHS, ids=["files", "xml"])
def test_netplan_examples_round_trip_unchanged(
    example: Path, path: Callable[[MemoryFiles], Rendering]
) -> None:
    view = MemoryFiles({DIR / example.name: example.read_bytes()})
    try:
        netplan.read_report(view)
    except netplan.NetplanError as exc:
        pytest.skip(f"n/a: our reader refuses it as netplan would: {exc}")
    assert_unchanged(path(view), view)


GENERATOR = ANCHORS / "netplan/extracted/generator"
# What libvirt's XML (core/xmlio.py) cannot carry, so the XML path loses it: a bond's second
# monitor (miimon and arpmon both set), a port's own MTU.  (A bridge's or VLAN's MAC is
# ifsmith:mac.)
XML_CANNOT = {
    "test_bonds/TestNetworkManager.test_bond_with_params": "miimon and arpmon",
    "test_bonds/TestNetworkManager.test_bond_with_params_all_members_active": "miimon and arpmon",
    "test_bonds/TestNetworkd.test_bond_with_parameters": "miimon and arpmon",
    "test_bonds/TestNetworkd.test_bond_with_parameters_all_members_active": "miimon and arpmon",
    "test_bonds/TestNetworkd.test_bond_with_parameters_all_suffix": "miimon and arpmon",
    "test_common/TestNetworkManager.test_mtu_all": "a bond member's MTU",
    "test_common/TestNetworkd.test_mtu_all": "a bond member's MTU",
}


def generator_cases() -> list[object]:
    if not GENERATOR.is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"absent: {GENERATOR}"))]
    out = []
    for case in sorted(GENERATOR.glob("*/*/input.yaml")):
        name = f"{case.parent.parent.name}/{case.parent.name}"
        out.append(pytest.param(case, via_files, id=f"files-{name}"))
        why = XML_CANNOT.get(name)
        marks = [pytest.mark.xfail(strict=True, reason=f"the XML cannot say {why}")] if why else []
        out.append(pytest.param(case, via_xml, id=f"xml-{name}", marks=marks))
    return out


@pytest.mark.parametrize(("case", "path"), generator_cases())
def test_netplan_generator_inputs_round_trip_unchanged(
    case: Path, path: Callable[[MemoryFiles], Rendering]
) -> None:
    view = MemoryFiles({DIR / "10-test.yaml": case.read_bytes()})
    try:
        netplan.read_report(view)
    except netplan.NetplanError as exc:
        pytest.skip(f"n/a: our reader refuses it as netplan would: {exc}")
    assert_unchanged(path(view), view)


# ---------------------------------------------------------------------------------------
# One edit, one line.


def edit(view: MemoryFiles, name: str, change: Callable[[Interface], Interface]) -> list[str]:
    tops = [change(t) if t.name == name else t for t in netplan.read_files(view)]
    return roundtrip.changed_lines(netplan.render(tops, view), view)


def with_v4(i: Interface, addresses: tuple[IpAddress, ...]) -> Interface:
    v4 = i.protocol(Family.IPV4)
    assert v4 is not None
    new = replace(v4, addresses=addresses)
    return replace(i, protocols=tuple(new if p is v4 else p for p in i.protocols))


def test_changing_the_mtu_changes_only_the_mtu_line() -> None:
    got = edit(SHAPES["unmodelled_keys"], "enp5s0", lambda i: replace(i, mtu=9000))
    assert got == ["-      mtu: 1500", "+      mtu: 9000"]


def test_changing_one_address_changes_only_that_line() -> None:
    got = edit(
        SHAPES["static_gateway_dns"],
        "enp3s0",
        lambda i: with_v4(i, (IpAddress("192.0.2.11", 24),)),
    )
    assert got == [  # the comment stays with its line
        "-        - 192.0.2.10/24   # the service address",
        '+        - "192.0.2.11/24"   # the service address',
    ]


def test_adding_an_address_to_a_flow_list_changes_that_line() -> None:
    view = SHAPES["bridge_stp"]
    got = edit(
        view, "br0", lambda i: with_v4(i, (IpAddress("10.1.0.2", 16), IpAddress("10.1.0.3", 16)))
    )
    assert got == [
        "-      addresses: [10.1.0.2/16]",
        '+      addresses: [10.1.0.2/16, "10.1.0.3/16"]',
    ]


def test_changing_the_bond_mode_changes_only_the_mode_line() -> None:
    def mode(i: Interface) -> Interface:
        assert i.bond is not None
        return replace(i, bond=replace(i.bond, mode=BondMode.BALANCE_XOR))

    got = edit(SHAPES["vlan_on_bond_under_bridge"], "bond0", mode)
    assert got == ["-        mode: 802.3ad", "+        mode: balance-xor"]


def test_four_space_files_get_new_keys_in_their_own_indentation() -> None:
    got = edit(SHAPES["dhcp_cloud_init"], "eth0", lambda i: replace(i, mtu=1400))
    assert got == ["+            mtu: 1400"]


# ---------------------------------------------------------------------------------------
# A NIC that becomes a port: its IP settings go, and none is lost silently.

UPLINK = files(
    {
        "01-netcfg.yaml": (
            "network:\n"
            "  version: 2\n"
            "  ethernets:\n"
            "    enp3s0:\n"
            "      addresses: [192.0.2.10/24]\n"
            "      routes:\n"
            "        - to: default\n"
            "          via: 192.0.2.1\n"
            "        - to: 10.50.0.0/16\n"
            "          via: 192.0.2.254\n"
            "      nameservers:\n"
            "        search: [example.com]\n"
            "        addresses: [192.0.2.53]\n"
            "      wakeonlan: true\n"
        ),
    }
)


def bridged(address: bool) -> Interface:
    (nic,) = netplan.read_files(UPLINK)
    return roundtrip.bridge_over(nic, address)


def test_a_nic_becoming_a_port_hands_nameservers_and_routes_to_its_bridge() -> None:
    rendering = netplan.render([bridged(address=True)], UPLINK)
    merged = MemoryFiles({**UPLINK.files, **rendering.files})
    config = netplan.load(merged)
    port = config.definitions["enp3s0"].data
    assert port.get("wakeonlan") == "true"  # not an IP setting: stays
    for key in ("addresses", "routes", "nameservers"):
        assert key not in port, key
    master = config.definitions["br0"].data
    assert master["nameservers"] == {"search": ["example.com"], "addresses": ["192.0.2.53"]}
    assert {"to": "10.50.0.0/16", "via": "192.0.2.254"} in master["routes"]
    assert rendering.warnings == ()
    assert netplan.read_files(merged) == [bridged(address=True)]


def test_a_port_s_address_and_gateway_its_master_does_not_take_are_named() -> None:
    rendering = netplan.render([bridged(address=False)], UPLINK)
    messages = [w.message for w in rendering.warnings if w.interface == "enp3s0"]
    assert any("address 192.0.2.10/24 removed" in m for m in messages), messages
    assert any("gateway 192.0.2.1 removed" in m for m in messages), messages


def test_nameservers_the_master_sets_otherwise_are_named_not_merged() -> None:
    text = (UPLINK.files[DIR / "01-netcfg.yaml"]).decode() + (
        "  bridges:\n    br0:\n      interfaces: []\n"
        "      nameservers:\n        addresses: [9.9.9.9]\n"
    )
    view = files({"01-netcfg.yaml": text})
    rendering = netplan.render([bridged(address=True)], view)
    config = netplan.load(MemoryFiles({**view.files, **rendering.files}))
    assert config.definitions["br0"].data["nameservers"] == {"addresses": ["9.9.9.9"]}
    (warning,) = [w for w in rendering.warnings if "nameservers" in w.message]
    assert "192.0.2.53" in warning.message and "9.9.9.9" in warning.message


def test_an_existing_port_s_own_address_stays() -> None:
    view = files(
        {
            "10-br.yaml": (
                "network:\n  version: 2\n  ethernets:\n    eno1:\n      addresses: [10.9.9.9/24]\n"
                "  bridges:\n    br0:\n      interfaces: [eno1]\n      dhcp4: true\n"
            ),
        }
    )
    _tops, problems = netplan.read_report(view)
    assert problems == ["eno1: IP settings ['addresses'] on a member are not modelled"]
    assert_unchanged(via_files(view), view)
    assert_unchanged(via_xml(view), view)


def test_a_trial_netplan_would_refuse_is_not_kept() -> None:
    # Keeping the old use-dns: false beside a DHCPv6 that uses DNS is what netplan's
    # networkd renderer refuses (one [DHCP] UseDNS=); the edit must not produce it.
    view = files(
        {
            "10-dns.yaml": (
                "network:\n  version: 2\n  ethernets:\n    eno1:\n      dhcp4: true\n"
                "      dhcp4-overrides:\n        use-dns: false\n"
            ),
        }
    )

    def both(i: Interface) -> Interface:
        v6 = Protocol(Family.IPV6, dhcp=True, peerdns=False, autoconf=True)
        return replace(i, protocols=(*(p for p in i.protocols if p.family == Family.IPV4), v6))

    tops = [both(t) for t in netplan.read_files(view)]
    merged = MemoryFiles({**view.files, **netplan.render(tops, view).files})
    assert netplan.read_files(merged) == tops


def test_a_file_with_anchors_is_rewritten_whole_and_says_its_comments_go() -> None:
    view = files(
        {
            "10-anchors.yaml": (
                "network:\n  version: 2\n  ethernets:\n    eno1: &common\n      mtu: 1500\n"
                "      dhcp4: true  # lease\n    eno2: *common\n"
            ),
        }
    )
    tops = [replace(t, mtu=9000) if t.name == "eno1" else t for t in netplan.read_files(view)]
    rendering = netplan.render(tops, view)
    merged = MemoryFiles({**view.files, **rendering.files})
    assert {t.name: t.mtu for t in netplan.read_files(merged)} == {"eno1": 9000, "eno2": 1500}
    assert [w for w in rendering.warnings if "comments" in w.message]
    assert_unchanged(via_files(view), view)
