"""SUSE ifcfg (wicked): an unchanged round trip writes the same bytes; one edit, one line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.backends import ifcfg_suse
from ifsmith.backends.bash import ShellFile
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import BondMode, Family, IfType, Interface, IpAddress
from tests.roundtrip import (
    change,
    change_addresses,
    change_bond,
    edit,
    eth1_into_br9,
    replaced,
    unchanged_round_trip,
)

ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
DIR = ifcfg_suse.DIR


def sysconfig(**texts: str) -> dict[PurePosixPath, bytes]:
    return {DIR / name.replace("_", "-", 1): text.encode() for name, text in texts.items()}


CONFIG = """\
## Path:        Network/General
NETCONFIG_DNS_POLICY="auto"
NETCONFIG_DNS_STATIC_SEARCHLIST="example.com"
NETCONFIG_DNS_STATIC_SERVERS="192.0.2.53 192.0.2.54"
"""

DHCP = """\
BOOTPROTO='dhcp'
STARTMODE='auto'
NAME='82540EM Gigabit Ethernet Controller'
ETHTOOL_OPTIONS=''
ZONE='public'
DHCLIENT_SET_DEFAULT_ROUTE='yes'
"""

STATIC = """\
# uplink -- ask netops
BOOTPROTO='static'
STARTMODE='auto'
IPADDR='192.0.2.10/24'
IPADDR_1='198.51.100.7/25'
MTU='9000'
ETHTOOL_OPTIONS='-K iface tso off'
"""
IFROUTE = "default 192.0.2.1 - eth1\n203.0.113.0/24 192.0.2.254 - eth1\n"

IPV6 = """\
BOOTPROTO='static'
STARTMODE='manual'
IPADDR='2001:db8:1::10/64'
"""
IFROUTE6 = "default 2001:db8:1::1 - eth2\n"

DHCPV6 = "BOOTPROTO='dhcp6'\nSTARTMODE='auto'\n"
AUTO6 = "BOOTPROTO='dhcp4+auto6'\nSTARTMODE='hotplug'\n"

BOND = {
    "ifcfg_bond0": """\
STARTMODE='auto'
BOOTPROTO='static'
IPADDR='10.1.0.5/24'
BONDING_MASTER='yes'
BONDING_MODULE_OPTS='mode=active-backup miimon=100 primary=eth5'
BONDING_SLAVE_0='eth4'
BONDING_SLAVE_1='eth5'
""",
    "ifcfg_eth4": "STARTMODE='hotplug'\nBOOTPROTO='none'\n",
    "ifcfg_eth5": "STARTMODE='hotplug'\nBOOTPROTO='none'\nETHTOOL_OPTIONS='speed 1000'\n",
    "routes": "default 10.1.0.1 - bond0\n",
}

BRIDGE = {
    "ifcfg_br0": """\
STARTMODE='auto'
BOOTPROTO='dhcp'
BRIDGE='yes'
BRIDGE_PORTS='eth6'
BRIDGE_STP='off'
BRIDGE_FORWARDDELAY='0'
BRIDGE_HELLOTIME='1'
LLADDR='52:54:00:aa:bb:cc'
""",
    "ifcfg_eth6": "STARTMODE='auto'\nBOOTPROTO='none'\n",
}

VLAN_ON_BOND_UNDER_BRIDGE = {
    "ifcfg_bond1": """\
STARTMODE='auto'
BOOTPROTO='none'
BONDING_MASTER='yes'
BONDING_MODULE_OPTS='mode=802.3ad miimon=100 lacp_rate=fast xmit_hash_policy=layer3+4'
BONDING_SLAVE0='eth7'
BONDING_SLAVE1='eth8'
""",
    "ifcfg_eth7": "STARTMODE='hotplug'\nBOOTPROTO='none'\n",
    "ifcfg_eth8": "STARTMODE='hotplug'\nBOOTPROTO='none'\n",
    "ifcfg_vlan100": "STARTMODE='auto'\nBOOTPROTO='none'\nETHERDEVICE='bond1'\nVLAN_ID='100'\n",
    "ifcfg_br100": """\
STARTMODE='auto'
BOOTPROTO='static'
IPADDR='10.100.0.2/24'
BRIDGE='yes'
BRIDGE_PORTS='vlan100'
BRIDGE_STP='on'
BRIDGE_FORWARDDELAY='15'
""",
    "ifroute_br100": "default 10.100.0.1 - br100\n",
}

SHAPES = {
    "dhcp-startmode-auto": sysconfig(ifcfg_eth0=DHCP, config=CONFIG),
    "static-gateway-netconfig-dns": sysconfig(
        ifcfg_eth1=STATIC, ifroute_eth1=IFROUTE, config=CONFIG
    ),
    "ipv6-static-gateway": sysconfig(ifcfg_eth2=IPV6, ifroute_eth2=IFROUTE6),
    "ipv6-dhcpv6": sysconfig(ifcfg_eth3=DHCPV6),
    "ipv6-slaac": sysconfig(ifcfg_eth9=AUTO6),
    "bond-explicit-primary-not-first": sysconfig(**BOND),
    "bridge-stp-delay": sysconfig(**BRIDGE),
    "vlan-on-bond-under-bridge": sysconfig(**VLAN_ON_BOND_UNDER_BRIDGE),
}


def _anchor_shapes() -> dict[str, dict[PurePosixPath, bytes]]:
    """Each wicked sample host's directory whole, each openQA template alone."""
    out: dict[str, dict[PurePosixPath, bytes]] = {}
    for host in sorted((ANCHORS / "wicked/samples/suse").glob("host*")):
        out[f"wicked/{host.name}"] = {DIR / p.name: p.read_bytes() for p in host.iterdir()}
    openqa = ANCHORS / "os-autoinst-distri-opensuse/data/wicked"
    for path in sorted(openqa.rglob("ifcfg-*")) if openqa.is_dir() else []:
        files = {DIR / "ifcfg-x0": path.read_bytes()}
        if ifcfg_suse.read_files(MemoryFiles(files)):
            out[f"openqa/{path.relative_to(openqa)}"] = files
    return out


ANCHOR_SHAPES = _anchor_shapes()


@pytest.mark.parametrize("shape", list(SHAPES))
def test_unchanged_round_trip_writes_the_same_bytes(shape: str) -> None:
    assert unchanged_round_trip(ifcfg_suse, SHAPES[shape]) == {"direct": [], "xml": []}


@pytest.mark.parametrize("shape", list(ANCHOR_SHAPES))
def test_anchor_ifcfg_files_round_trip_unchanged(shape: str) -> None:
    assert unchanged_round_trip(ifcfg_suse, ANCHOR_SHAPES[shape]) == {"direct": [], "xml": []}


# ---------------------------------------------------------------------------------------
# One field changed: only its lines change.

EDITS = {
    "mtu": (
        SHAPES["static-gateway-netconfig-dns"],
        change("eth1", mtu=1500),
        ["ifcfg-eth1: -MTU='9000'", "ifcfg-eth1: +MTU='1500'"],
    ),
    "second-address": (
        SHAPES["static-gateway-netconfig-dns"],
        change_addresses(
            "eth1", Family.IPV4, IpAddress("192.0.2.10", 24), IpAddress("198.51.100.8", 25)
        ),
        ["ifcfg-eth1: -IPADDR_1='198.51.100.7/25'", "ifcfg-eth1: +IPADDR_1='198.51.100.8/25'"],
    ),
    "gateway-in-place": (
        SHAPES["static-gateway-netconfig-dns"],
        lambda ifs: replaced(
            ifs,
            "eth1",
            lambda i: replace(i, protocols=(replace(i.protocols[0], gateway="192.0.2.2"),)),
        ),
        ["ifroute-eth1: -default 192.0.2.1 - eth1", "ifroute-eth1: +default 192.0.2.2 - eth1"],
    ),
    "bond-mode": (
        SHAPES["bond-explicit-primary-not-first"],
        change_bond("bond0", mode=BondMode.BALANCE_TLB),
        [
            "ifcfg-bond0: -BONDING_MODULE_OPTS='mode=active-backup miimon=100 primary=eth5'",
            "ifcfg-bond0: +BONDING_MODULE_OPTS='mode=balance-tlb miimon=100 primary=eth5'",
        ],
    ),
    "slave-removed-old-key-spelling": (
        SHAPES["vlan-on-bond-under-bridge"],
        change_bond("bond1", slaves=(Interface(IfType.ETHERNET, "eth7"),)),
        ["ifcfg-bond1: -BONDING_SLAVE1='eth8'"],
    ),
}


@pytest.mark.parametrize("via_xml", [False, True], ids=["direct", "xml"])
@pytest.mark.parametrize("case", list(EDITS))
def test_one_changed_field_changes_only_its_lines(case: str, via_xml: bool) -> None:
    files, change, expected = EDITS[case]
    assert edit(ifcfg_suse, files, change, via_xml)[0] == expected


# ---------------------------------------------------------------------------------------
# A NIC that becomes a port gives up its addressing; its routes move to the master.


def test_a_nic_that_becomes_a_port_moves_its_routes_to_its_master() -> None:
    _lines, rendering = edit(ifcfg_suse, SHAPES["static-gateway-netconfig-dns"], eth1_into_br9)
    port = ShellFile.parse(rendering.files[DIR / "ifcfg-eth1"], dialect="wicked")
    assert [port.get(k) for k in ("BOOTPROTO", "IPADDR", "IPADDR_1")] == ["none", None, None]
    assert port.get("ETHTOOL_OPTIONS") == "-K iface tso off"
    master = ShellFile.parse(rendering.files[DIR / "ifcfg-br9"], dialect="wicked")
    assert [master.get(k) for k in ("IPADDR", "IPADDR_1", "BRIDGE_PORTS")] == [
        "192.0.2.10/24", "198.51.100.7/25", "eth1"
    ]  # fmt: skip
    assert rendering.removed == {DIR / "ifroute-eth1"}
    assert rendering.files[DIR / "ifroute-br9"] == (
        b"default 192.0.2.1 - br9\n203.0.113.0/24 192.0.2.254 - br9\n"
    )
    assert rendering.warnings == ()


def test_port_routes_the_master_has_a_file_for_are_a_warning_naming_them() -> None:
    files = {
        **SHAPES["static-gateway-netconfig-dns"],
        DIR / "ifroute-br9": b"10.9.0.0/16 - - br9\n",
    }
    _lines, rendering = edit(ifcfg_suse, files, eth1_into_br9)
    assert rendering.removed == {DIR / "ifroute-eth1"}
    # eth1's route is in br9's definition now; the file's own line (br9 had no ifcfg file,
    # so no definition read it) stays beside it.
    assert rendering.files[DIR / "ifroute-br9"] == (
        b"10.9.0.0/16 - - br9\ndefault 192.0.2.1 - br9\n203.0.113.0/24 192.0.2.254 - br9\n"
    )
    assert not [w for w in rendering.warnings if "route" in w.message]


def test_an_address_with_its_prefix_in_prefixlen_keeps_that_style() -> None:
    files = sysconfig(ifcfg_eth1="STARTMODE='auto'\nIPADDR='10.0.0.1'\nPREFIXLEN='24'\n")
    lines, _rendering = edit(
        ifcfg_suse, files, change_addresses("eth1", Family.IPV4, IpAddress("10.0.0.1", 25))
    )
    assert lines == ["ifcfg-eth1: -PREFIXLEN='24'", "ifcfg-eth1: +PREFIXLEN='25'"]
    assert unchanged_round_trip(ifcfg_suse, files) == {"direct": [], "xml": []}
