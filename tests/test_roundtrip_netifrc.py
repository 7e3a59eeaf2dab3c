"""Gentoo netifrc: an unchanged round trip writes the same bytes; one edit, one line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.backends import netifrc
from ifsmith.backends.bash import ShellFile
from ifsmith.core import xmlio
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import BondMode, Bridge, Dns, Family, IfType, Interface, IpAddress
from tests.roundtrip import (
    change,
    change_addresses,
    change_bond,
    edit,
    eth1_into_br9,
    unchanged_round_trip,
)

ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
NETCF = ANCHORS / "netcf" / "tests" / "interface"
CONF = netifrc.CONF


def conf(text: str, *boot: str) -> dict[PurePosixPath, bytes]:
    """/etc/conf.d/net, with net.X services linked and the ``boot`` ones in the runlevel."""
    files = {CONF: text.encode()}
    for name in boot:
        files[netifrc.INITD / f"net.{name}"] = b""
        files[netifrc.RUNLEVELS[0] / f"net.{name}"] = b""
    return files


DHCP = """\
# /etc/conf.d/net -- see /usr/share/doc/netifrc/net.example
modules="dhcpcd"
config_eth0="dhcp"
dhcpcd_eth0="-t 10"
"""

STATIC = """\
# uplink
config_eth1="192.0.2.10/24
198.51.100.7/25"
routes_eth1="default via 192.0.2.1
203.0.113.0/24 via 192.0.2.254"
dns_servers_eth1="192.0.2.53 192.0.2.54"
dns_search_eth1="example.com"
mtu_eth1="9000"
ethtool_offload_eth1="tso off"
"""

IPV6 = """\
config_eth2="2001:db8:1::10/64"
routes_eth2="default via 2001:db8:1::1"
config_eth3="dhcpv6"
"""

BOND = """\
config_eth4="null"
config_eth5="null"
slaves_bond0="eth4 eth5"
mode_bond0="active-backup"
miimon_bond0="100"
primary_bond0="eth5"
config_bond0="10.1.0.5/24"
routes_bond0="default via 10.1.0.1"
"""

BRIDGE = """\
config_eth6="null"
bridge_br0="eth6"
bridge_stp_state_br0="0"
bridge_forward_delay_br0="200"
config_br0="dhcp"
mac_br0="52:54:00:aa:bb:cc"
rc_net_br0_need="net.eth6"
"""

VLAN_ON_BOND_UNDER_BRIDGE = """\
slaves_bond1="eth7 eth8"
mode_bond1="802.3ad"
miimon_bond1="100"
lacp_rate_bond1="fast"
xmit_hash_policy_bond1="layer3+4"
config_bond1="null"
config_eth7="null"
config_eth8="null"
vlans_bond1="100"
config_bond1_100="null"
bridge_br100="bond1.100"
bridge_stp_state_br100="1"
bridge_forward_delay_br100="1500"
config_br100="10.100.0.2/24"
routes_br100="default via 10.100.0.1"
rc_net_br100_need="net.bond1"
"""

SHAPES = {
    "dhcp-started-at-boot": conf(DHCP, "eth0"),
    "static-gateway-dns-servers": conf(STATIC, "eth1"),
    "ipv6-static-and-dhcpv6": conf(IPV6),
    "bond-explicit-primary-not-first": conf(BOND, "bond0"),
    "bridge-stp-delay": conf(BRIDGE, "br0"),
    "vlan-on-bond-under-bridge": conf(VLAN_ON_BOND_UNDER_BRIDGE, "bond1", "br100"),
}


def _anchor_shapes() -> dict[str, dict[PurePosixPath, bytes]]:
    """netcf's interface documents, as this backend writes them for a new host."""
    out: dict[str, dict[PurePosixPath, bytes]] = {}
    for path in sorted(NETCF.glob("*.xml")) if NETCF.is_dir() else []:
        if path.name == "schemas.xml":
            continue
        rendering = netifrc.render(xmlio.parse_file(path), MemoryFiles())
        out[f"netcf/{path.stem}"] = dict(rendering.files)
    return out


ANCHOR_SHAPES = _anchor_shapes()


@pytest.mark.parametrize("shape", list(SHAPES))
def test_unchanged_round_trip_writes_the_same_bytes(shape: str) -> None:
    assert unchanged_round_trip(netifrc, SHAPES[shape]) == {"direct": [], "xml": []}


@pytest.mark.parametrize("shape", list(ANCHOR_SHAPES))
def test_netcf_documents_written_once_round_trip_unchanged(shape: str) -> None:
    assert unchanged_round_trip(netifrc, ANCHOR_SHAPES[shape]) == {"direct": [], "xml": []}


# ---------------------------------------------------------------------------------------
# One field changed: only its lines change.

DEPRECATED_STP = conf('bridge_br0="eth6"\nstp_state_br0="1"\nconfig_br0="dhcp"\n')


def test_a_deprecated_spelling_stays_while_its_value_does() -> None:
    assert unchanged_round_trip(netifrc, DEPRECATED_STP) == {"direct": [], "xml": []}


EDITS = {
    "mtu": (
        SHAPES["static-gateway-dns-servers"],
        change("eth1", mtu=1500),
        ['net: -mtu_eth1="9000"', 'net: +mtu_eth1="1500"'],
    ),
    "second-address": (
        SHAPES["static-gateway-dns-servers"],
        change_addresses(
            "eth1", Family.IPV4, IpAddress("192.0.2.10", 24), IpAddress("198.51.100.8", 25)
        ),
        ['net: -198.51.100.7/25"', 'net: +198.51.100.8/25"'],
    ),
    "bond-mode": (
        SHAPES["bond-explicit-primary-not-first"],
        change_bond("bond0", mode=BondMode.BALANCE_TLB),
        ['net: -mode_bond0="active-backup"', 'net: +mode_bond0="balance-tlb"'],
    ),
    "bridge-stp-in-its-deprecated-spelling": (
        DEPRECATED_STP,
        change("br0", bridge=Bridge(stp=False, ports=(Interface(IfType.ETHERNET, "eth6"),))),
        ['net: -stp_state_br0="1"', 'net: +bridge_stp_state_br0="0"'],
    ),
}


@pytest.mark.parametrize("via_xml", [False, True], ids=["direct", "xml"])
@pytest.mark.parametrize("case", list(EDITS))
def test_one_changed_field_changes_only_its_lines(case: str, via_xml: bool) -> None:
    files, change_, expected = EDITS[case]
    assert edit(netifrc, files, change_, via_xml)[0] == expected


# ---------------------------------------------------------------------------------------
# A NIC that becomes a port gives up its addressing; DNS and routes move to the master.


def test_a_nic_that_becomes_a_port_moves_dns_and_routes_to_its_master() -> None:
    _lines, rendering = edit(netifrc, SHAPES["static-gateway-dns-servers"], eth1_into_br9)
    sh = ShellFile.parse(rendering.files[CONF], multiline=True)
    assert sh.get("config_eth1") == "null"
    for prefix in ("routes", "dns_servers", "dns_search"):
        assert sh.get(f"{prefix}_eth1") is None, prefix
    assert sh.get("config_br9") == "192.0.2.10/24\n198.51.100.7/25"
    assert sh.get("routes_br9") == "default via 192.0.2.1\n203.0.113.0/24 via 192.0.2.254"
    assert sh.get("dns_servers_br9") == "192.0.2.53 192.0.2.54"
    assert sh.get("dns_search_br9") == "example.com"
    assert sh.get("ethtool_offload_eth1") == "tso off"
    assert not [w for w in rendering.warnings if "not moved" in w.message]


def test_port_dns_the_master_sets_otherwise_is_a_warning_naming_it() -> None:
    files = conf(STATIC + 'dns_servers_br9="9.9.9.9"\n', "eth1")

    def own_dns(interfaces: list[Interface]) -> list[Interface]:
        return [replace(i, dns=Dns(("9.9.9.9",))) for i in eth1_into_br9(interfaces)]

    _lines, rendering = edit(netifrc, files, own_dns)
    sh = ShellFile.parse(rendering.files[CONF], multiline=True)
    assert sh.get("dns_servers_br9") == "9.9.9.9" and sh.get("dns_servers_eth1") is None
    assert sh.get("dns_search_br9") is None
    assert sorted(str(w) for w in rendering.warnings if "take it over" in w.message) == [
        f"warning: netifrc: eth1: {what} removed: a slave or port has no routes or DNS, "
        "and br9 does not take it over"
        for what in ("DNS search domain example.com", "DNS server 192.0.2.53",
                     "DNS server 192.0.2.54")
    ]  # fmt: skip
