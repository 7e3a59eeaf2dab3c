"""RHEL ifcfg: an unchanged round trip writes the same bytes; one edit changes one line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.backends import ifcfg_rh
from ifsmith.backends.bash import ShellFile
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import BondMode, Dns, Family, Interface, IpAddress, Route
from tests.roundtrip import (
    change,
    change_addresses,
    change_bond,
    edit,
    eth1_into_br9,
    unchanged_round_trip,
)

ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
DIR = ifcfg_rh.DIR


def ifcfgs(**texts: str) -> dict[PurePosixPath, bytes]:
    return {DIR / name.replace("_", "-", 1): text.encode() for name, text in texts.items()}


DHCP = """\
TYPE=Ethernet
PROXY_METHOD=none
BROWSER_ONLY=no
BOOTPROTO=dhcp
DEFROUTE=yes
IPV4_FAILURE_FATAL=no
IPV6INIT=yes
IPV6_AUTOCONF=yes
IPV6_DEFROUTE=yes
IPV6_FAILURE_FATAL=no
NAME="System eth0"
UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03
DEVICE=eth0
ONBOOT=yes
HWADDR=52:54:00:12:34:56
"""

STATIC = """\
# uplink to the core switch -- ask netops before editing
DEVICE="eth1"
BOOTPROTO='none'
ONBOOT="yes"
IPADDR=192.0.2.10
NETMASK=255.255.255.0
IPADDR1=198.51.100.7
PREFIX1=25
GATEWAY=192.0.2.1
DNS1=192.0.2.53
DNS2=192.0.2.54
DOMAIN="example.com lab.example.com"
MTU=9000
ETHTOOL_OPTS="-K ${DEVICE} tso off; -G ${DEVICE} rx 4096"
NM_CONTROLLED=no
USERCTL=no
"""
ROUTES = "203.0.113.0/24 via 192.0.2.254 dev eth1\n"

IPV6 = """\
DEVICE=eth2
ONBOOT=no
BOOTPROTO=none
IPV6INIT=yes
IPV6_AUTOCONF=no
IPV6ADDR=2001:db8:1::10/64
IPV6ADDR_SECONDARIES="2001:db8:1::11/64 2001:db8:1::12/64"
IPV6_DEFAULTGW=2001:db8:1::1
"""

DHCPV6 = """\
DEVICE=eth3
ONBOOT=yes
IPV6INIT=yes
DHCPV6C=yes
IPV6_AUTOCONF=no
IPV6INIT=yes
"""

SLAAC = """\
DEVICE=eth9
ONBOOT=yes
BOOTPROTO=dhcp
IPV6INIT=yes
"""

BOND = {
    "ifcfg_bond0": """\
DEVICE=bond0
TYPE=Bond
BONDING_MASTER=yes
BONDING_OPTS="mode=active-backup miimon=100 primary=eth5 fail_over_mac=1"
ONBOOT=yes
BOOTPROTO=none
IPADDR=10.1.0.5
PREFIX=24
GATEWAY=10.1.0.1
DNS1=10.1.0.53
""",
    "ifcfg_eth4": """\
DEVICE=eth4
MASTER=bond0
SLAVE=yes
ONBOOT=yes
BOOTPROTO=none
""",
    "ifcfg_eth5": """\
DEVICE=eth5
MASTER=bond0
SLAVE=yes
ONBOOT=yes
BOOTPROTO=none
ETHTOOL_OPTS="speed 1000 duplex full autoneg off"
""",
}

BRIDGE = {
    "ifcfg_br0": """\
DEVICE=br0
TYPE=Bridge
ONBOOT=yes
BOOTPROTO=dhcp
STP=off
DELAY=0
BRIDGING_OPTS="priority=4096 hello_time=1"
""",
    "ifcfg_eth6": """\
DEVICE=eth6
TYPE=Ethernet
ONBOOT=yes
BRIDGE=br0
""",
}

VLAN_ON_BOND_UNDER_BRIDGE = {
    "ifcfg_bond1": """\
DEVICE=bond1
BONDING_OPTS="mode=4 miimon=100 lacp_rate=fast xmit_hash_policy=layer3+4"
ONBOOT=yes
BOOTPROTO=none
""",
    "ifcfg_eth7": "DEVICE=eth7\nMASTER=bond1\nSLAVE=yes\nONBOOT=yes\n",
    "ifcfg_eth8": "DEVICE=eth8\nMASTER=bond1\nSLAVE=yes\nONBOOT=yes\n",
    "ifcfg_bond1.100": """\
DEVICE=bond1.100
VLAN=yes
ONBOOT=yes
BRIDGE=br100
""",
    "ifcfg_br100": """\
DEVICE=br100
TYPE=Bridge
ONBOOT=yes
BOOTPROTO=static
IPADDR=10.100.0.2
PREFIX=24
GATEWAY=10.100.0.1
STP=on
DELAY=15
""",
}

SHAPES = {
    "dhcp-onboot-nm-style": ifcfgs(ifcfg_eth0=DHCP),
    "static-gateway-dns-ethtool-comment": {
        **ifcfgs(ifcfg_eth1=STATIC),
        DIR / "route-eth1": ROUTES.encode(),
    },
    "ipv6-static-secondaries": ifcfgs(ifcfg_eth2=IPV6),
    "ipv6-dhcpv6": ifcfgs(ifcfg_eth3=DHCPV6),
    "ipv6-slaac": ifcfgs(ifcfg_eth9=SLAAC),
    "bond-explicit-primary-not-first": ifcfgs(**BOND),
    "bridge-stp-delay": ifcfgs(**BRIDGE),
    "vlan-on-bond-under-bridge": ifcfgs(**VLAN_ON_BOND_UNDER_BRIDGE),
}


def _anchor_shapes() -> dict[str, dict[PurePosixPath, bytes]]:
    """Each anchor ifcfg file alone, and each sample host's directory whole."""
    out: dict[str, dict[PurePosixPath, bytes]] = {}
    singles = [
        ANCHORS / "initscripts/doc/examples",
        ANCHORS / "NetworkManager/src/core/settings/plugins/ifcfg-rh/tests/network-scripts",
        ANCHORS / "os-net-config/extracted/ifcfg",
    ]
    for folder in singles:
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            if not path.is_file() or path.name.endswith(("expected", ".cexpected")):
                continue
            files = {DIR / "ifcfg-eth0": path.read_bytes()}
            if ifcfg_rh.read_files(MemoryFiles(files)):
                out[f"{folder.parts[-1]}/{path.name}"] = files
    for host in sorted((ANCHORS / "wicked/samples/redhat").glob("host*")):
        files = {DIR / p.name: p.read_bytes() for p in host.iterdir() if p.is_file()}
        out[f"wicked/redhat/{host.name}"] = files
    return out


ANCHOR_SHAPES = _anchor_shapes()


@pytest.mark.parametrize("shape", list(SHAPES))
def test_unchanged_round_trip_writes_the_same_bytes(shape: str) -> None:
    assert unchanged_round_trip(ifcfg_rh, SHAPES[shape]) == {"direct": [], "xml": []}


@pytest.mark.parametrize("shape", list(ANCHOR_SHAPES))
def test_anchor_ifcfg_files_round_trip_unchanged(shape: str) -> None:
    assert unchanged_round_trip(ifcfg_rh, ANCHOR_SHAPES[shape]) == {"direct": [], "xml": []}


# ---------------------------------------------------------------------------------------
# One field changed: only its lines change.


EDITS = {
    "mtu": (
        SHAPES["static-gateway-dns-ethtool-comment"],
        change("eth1", mtu=1500),
        ["ifcfg-eth1: -MTU=9000", "ifcfg-eth1: +MTU=1500"],
    ),
    "second-address": (
        SHAPES["static-gateway-dns-ethtool-comment"],
        change_addresses(
            "eth1", Family.IPV4, IpAddress("192.0.2.10", 24), IpAddress("198.51.100.8", 25)
        ),
        ["ifcfg-eth1: -IPADDR1=198.51.100.7", "ifcfg-eth1: +IPADDR1=198.51.100.8"],
    ),
    "netmask-style-kept": (
        SHAPES["static-gateway-dns-ethtool-comment"],
        change_addresses(
            "eth1", Family.IPV4, IpAddress("192.0.2.10", 25), IpAddress("198.51.100.7", 25)
        ),
        ["ifcfg-eth1: -NETMASK=255.255.255.0", "ifcfg-eth1: +NETMASK=255.255.255.128"],
    ),
    "bond-mode": (
        SHAPES["bond-explicit-primary-not-first"],
        change_bond("bond0", mode=BondMode.BALANCE_ALB),
        [
            'ifcfg-bond0: -BONDING_OPTS="mode=active-backup miimon=100 primary=eth5 '
            'fail_over_mac=1"',
            'ifcfg-bond0: +BONDING_OPTS="mode=balance-alb miimon=100 primary=eth5 fail_over_mac=1"',
        ],
    ),
    "ipv6-secondary": (
        SHAPES["ipv6-static-secondaries"],
        change_addresses(
            "eth2", Family.IPV6, IpAddress("2001:db8:1::10", 64), IpAddress("2001:db8:1::11", 64)
        ),
        [
            'ifcfg-eth2: -IPV6ADDR_SECONDARIES="2001:db8:1::11/64 2001:db8:1::12/64"',
            "ifcfg-eth2: +IPV6ADDR_SECONDARIES=2001:db8:1::11/64",
        ],
    ),
    "numbered-slots-keep-their-keys": (
        ifcfgs(
            ifcfg_eth1="DEVICE=eth1\nIPADDR0=192.0.2.5\nPREFIX0=24\nIPADDR1=192.0.2.6\nPREFIX1=24\n"
        ),
        change_addresses("eth1", Family.IPV4, IpAddress("192.0.2.7", 24)),
        [
            "ifcfg-eth1: -IPADDR0=192.0.2.5",
            "ifcfg-eth1: +IPADDR0=192.0.2.7",
            "ifcfg-eth1: -IPADDR1=192.0.2.6",
            "ifcfg-eth1: -PREFIX1=24",
        ],
    ),
}


@pytest.mark.parametrize("via_xml", [False, True], ids=["direct", "xml"])
@pytest.mark.parametrize("case", list(EDITS))
def test_one_changed_field_changes_only_its_lines(case: str, via_xml: bool) -> None:
    files, change, expected = EDITS[case]
    assert edit(ifcfg_rh, files, change, via_xml)[0] == expected


# ---------------------------------------------------------------------------------------
# A NIC that becomes a port gives up its addressing; DNS and routes move to the master.


def test_a_nic_that_becomes_a_port_moves_dns_and_routes_to_its_master() -> None:
    lines, rendering = edit(ifcfg_rh, SHAPES["static-gateway-dns-ethtool-comment"], eth1_into_br9)
    port = ShellFile.parse(rendering.files[DIR / "ifcfg-eth1"])
    for key in ("IPADDR", "NETMASK", "IPADDR1", "PREFIX1", "GATEWAY", "DNS1", "DNS2", "DOMAIN"):
        assert port.get(key) is None, key
    assert port.get("BRIDGE") == "br9" and "ETHTOOL_OPTS" in port.to_text()
    master = ShellFile.parse(rendering.files[DIR / "ifcfg-br9"])
    assert [master.get(k) for k in ("IPADDR", "GATEWAY", "DNS1", "DNS2", "DOMAIN")] == [
        "192.0.2.10", "192.0.2.1", "192.0.2.53", "192.0.2.54", "example.com lab.example.com"
    ]  # fmt: skip
    assert rendering.removed == {DIR / "route-eth1"}
    assert rendering.files[DIR / "route-br9"] == b"203.0.113.0/24 via 192.0.2.254 dev br9\n"
    assert rendering.warnings == ()
    assert "ifcfg-eth1: -DNS1=192.0.2.53" in lines


def test_port_dns_and_routes_the_master_has_its_own_of_are_warnings_naming_them() -> None:
    files = {
        **SHAPES["static-gateway-dns-ethtool-comment"],
        **ifcfgs(ifcfg_br9="DEVICE=br9\nTYPE=Bridge\nDNS1=9.9.9.9\n"),
        DIR / "route-br9": b"198.18.0.0/15 via 192.0.2.1\n",
    }
    own = (Route("198.18.0.0", 15, "192.0.2.1"),)

    def own_dns_and_routes(interfaces: list[Interface]) -> list[Interface]:
        (br9,) = eth1_into_br9(interfaces)
        v4, *rest = br9.protocols
        return [replace(br9, dns=Dns(("9.9.9.9",)), protocols=(replace(v4, routes=own), *rest))]

    _lines, rendering = edit(ifcfg_rh, files, own_dns_and_routes)
    master = ShellFile.parse(rendering.files[DIR / "ifcfg-br9"])
    assert master.get("DNS1") == "9.9.9.9" and master.get("DNS2") is None
    assert DIR / "route-br9" not in rendering.files
    assert rendering.removed == {DIR / "route-eth1"}
    assert sorted(str(w) for w in rendering.warnings) == [
        f"warning: ifcfg-rh: eth1: {what} removed: a slave or port has no routes or DNS, "
        "and br9 does not take it over"
        for what in ("DNS search domain example.com", "DNS search domain lab.example.com",
                     "DNS server 192.0.2.53", "DNS server 192.0.2.54",
                     "route 203.0.113.0/24 via 192.0.2.254")
    ]  # fmt: skip
