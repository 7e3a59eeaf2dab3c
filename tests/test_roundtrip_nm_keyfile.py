"""NetworkManager keyfiles: an unchanged round trip writes the same bytes; one edit, one line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.backends import nm_keyfile
from ifsmith.backends.keyfile_ini import KeyFile
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import BondMode, Family, IfType, Interface, IpAddress
from tests.roundtrip import (
    change,
    change_addresses,
    change_bond,
    edit,
    eth1_into_br9,
    named,
    replaced,
    unchanged_round_trip,
)
from tests.test_backend_nm_keyfile import _nmcli_normalise

ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
KEYFILES = ANCHORS / "NetworkManager/src/core/settings/plugins/keyfile/tests/keyfiles"
NETPLAN = ANCHORS / "netplan/extracted/generator"
DIR = nm_keyfile.DIRECTORY


def profiles(**texts: str) -> dict[PurePosixPath, bytes]:
    return {DIR / f"{name}.nmconnection": text.encode() for name, text in texts.items()}


DHCP = """\
[connection]
id=Wired connection 1
uuid=3c1a2f4e-5b6d-4e7f-8091-a2b3c4d5e6f7
type=ethernet
interface-name=eth0
timestamp=1712345678

[ethernet]
mac-address=52:54:00:12:34:56

[ipv4]
method=auto

[ipv6]
addr-gen-mode=stable-privacy
method=auto

[proxy]
"""

STATIC = """\
# managed by hand; ask Ana before editing
[connection]
id=uplink
uuid=d6c5fdf2-f8ca-401b-a775-ecae2cfe4af8
type=ethernet
autoconnect-priority=10
interface-name=eth1
permissions=user:ana:;

[ethernet]
mtu=9000

[ethtool]
feature-tso=false
ring-rx=4096

[ipv4]
address1=192.0.2.10/24,192.0.2.1
address2=198.51.100.7/25
dns=192.0.2.53;192.0.2.54;
dns-search=example.com;
method=manual

[ipv6]
addr-gen-mode=default
method=disabled

[proxy]
"""

IPV6 = """\
[connection]
id=v6
uuid=0f6c44a1-1111-4222-8333-944455556666
type=ethernet
interface-name=eth2
autoconnect=false

[ethernet]

[ipv4]
method=disabled

[ipv6]
addr-gen-mode=eui64
address1=2001:db8:1::10/64
gateway=2001:db8:1::1
ignore-auto-dns=true
method=manual
"""

IPV6_DHCP = """\
[connection]
id=v6dhcp
uuid=0f6c44a1-1111-4222-8333-944455556667
type=ethernet
interface-name=eth3

[ipv6]
method=dhcp

[ipv4]
method=auto
dhcp-hostname=web1
"""

BOND = {
    "bond0": """\
[connection]
id=bond0
uuid=9bea45ec-fcfa-4c1b-889c-426fa4255b51
type=bond
interface-name=bond0

[ethernet]
mtu=9000

[bond]
miimon=100
mode=active-backup
primary=eth5

[ipv4]
address1=10.1.0.5/24,10.1.0.1
dns=10.1.0.53;
method=manual

[ipv6]
addr-gen-mode=default
method=ignore

[proxy]
""",
    "bond0-port1": """\
[connection]
id=bond0-port1
uuid=8916f4e0-218e-44d4-8c7e-aa89d87e7eca
type=ethernet
interface-name=eth4
master=bond0
slave-type=bond

[ethernet]

[bond-port]
""",
    "bond0-port2": """\
[connection]
id=bond0-port2
uuid=8916f4e0-218e-44d4-8c7e-aa89d87e7ecb
type=ethernet
interface-name=eth5
master=9bea45ec-fcfa-4c1b-889c-426fa4255b51
slave-type=bond

[ethernet]
""",
}

BRIDGE = {
    "br0": """\
[connection]
id=br0
uuid=f6da45da-5580-40e6-8b8f-283d02e9b0d3
type=bridge
interface-name=br0

[ethernet]
cloned-mac-address=52:54:00:AA:BB:CC

[bridge]
forward-delay=4
stp=false

[ipv4]
address1=10.0.0.2/24
method=manual

[ipv6]
addr-gen-mode=default
method=auto

[proxy]
""",
    "br0-port": """\
[connection]
id=br0-port
uuid=f6da45da-5580-40e6-8b8f-283d02e9b0d4
type=ethernet
interface-name=eth6
controller=br0
port-type=bridge

[ethernet]

[bridge-port]
priority=32
""",
    "br1": """\
[connection]
id=br1
uuid=f6da45da-5580-40e6-8b8f-283d02e9b0d5
type=bridge
interface-name=br1

[bridge]

[ipv4]
method=auto
""",
}

VLAN_ON_BOND_UNDER_BRIDGE = {
    "bond1": """\
[connection]
id=bond1
uuid=aaaaaaaa-0000-4000-8000-000000000001
type=bond
interface-name=bond1

[bond]
mode=802.3ad
miimon=100
lacp_rate=fast
xmit_hash_policy=layer3+4

[ipv4]
method=disabled

[ipv6]
method=ignore
""",
    "bond1-eth7": """\
[connection]
id=bond1-eth7
uuid=aaaaaaaa-0000-4000-8000-000000000002
type=ethernet
interface-name=eth7
master=bond1
slave-type=bond
""",
    "bond1-eth8": """\
[connection]
id=bond1-eth8
uuid=aaaaaaaa-0000-4000-8000-000000000003
type=ethernet
interface-name=eth8
master=bond1
slave-type=bond
""",
    "bond1.100": """\
[connection]
id=bond1.100
uuid=aaaaaaaa-0000-4000-8000-000000000004
type=vlan
interface-name=bond1.100
master=br100
slave-type=bridge

[ethernet]

[vlan]
flags=1
id=100
parent=bond1

[bridge-port]
""",
    "br100": """\
[connection]
id=br100
uuid=aaaaaaaa-0000-4000-8000-000000000005
type=bridge
interface-name=br100

[bridge]
stp=true
forward-delay=15

[ipv4]
address1=10.100.0.2/24
gateway=10.100.0.1
method=manual
""",
}

SHAPES = {
    "dhcp-autoconnect-default": profiles(eth0=DHCP),
    "static-gateway-dns-ethtool-permissions": profiles(uplink=STATIC),
    "ipv6-static-gateway-key": profiles(v6=IPV6),
    "ipv6-dhcp": profiles(v6dhcp=IPV6_DHCP),
    "bond-explicit-primary-not-first": profiles(**BOND),
    "bridge-stp-delay-and-default-stp": profiles(**BRIDGE),
    "vlan-on-bond-under-bridge": profiles(**VLAN_ON_BOND_UNDER_BRIDGE),
}


def _anchor_shapes() -> dict[str, dict[PurePosixPath, bytes]]:
    out: dict[str, dict[PurePosixPath, bytes]] = {}
    if KEYFILES.is_dir():
        for path in sorted(KEYFILES.iterdir()):
            data = path.read_bytes()
            files = {DIR / f"{path.name}{nm_keyfile.SUFFIX}": data}
            if path.is_file() and nm_keyfile.read_files(MemoryFiles(files)):
                out[f"nm-corpus/{path.name}"] = files
    if NETPLAN.is_dir():
        for case in sorted(NETPLAN.glob("*/*/expected/run/NetworkManager/system-connections")):
            files = {DIR / p.name: p.read_bytes() for p in sorted(case.iterdir())}
            if nm_keyfile.read_files(MemoryFiles(files)):
                out[f"netplan/{case.parents[3].name}"] = files
    return out


ANCHOR_SHAPES = _anchor_shapes()


# What libvirt's XML cannot carry, so the XML path (not the direct one) changes it:
# one bond monitor (miimon wins over arpmon), and MTU only at the top level.
XML_LIMITS = {
    "netplan/TestNetworkManager.test_bond_with_params": [
        "netplan-bn0.nmconnection: -arp_interval=10",
        "netplan-bn0.nmconnection: -arp_ip_target=10.10.10.10,20.20.20.20",
        "netplan-bn0.nmconnection: -arp_validate=all",
    ],
    "netplan/TestNetworkManager.test_mtu_all": ["netplan-eth1.nmconnection: -mtu=1280"],
}
XML_LIMITS["netplan/TestNetworkManager.test_bond_with_params_all_members_active"] = XML_LIMITS[
    "netplan/TestNetworkManager.test_bond_with_params"
]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_unchanged_round_trip_writes_the_same_bytes(shape: str) -> None:
    assert unchanged_round_trip(nm_keyfile, SHAPES[shape]) == {"direct": [], "xml": []}


@pytest.mark.parametrize("shape", list(ANCHOR_SHAPES))
def test_anchor_keyfiles_round_trip_unchanged(shape: str) -> None:
    expected = {"direct": [], "xml": XML_LIMITS.get(shape, [])}
    assert unchanged_round_trip(nm_keyfile, ANCHOR_SHAPES[shape]) == expected


def test_anchor_corpora_are_there() -> None:
    if not KEYFILES.is_dir() or not NETPLAN.is_dir():
        pytest.skip("../shared/anchors is not beside the checkout")
    assert len(ANCHOR_SHAPES) >= 60 and set(XML_LIMITS) <= set(ANCHOR_SHAPES)


# ---------------------------------------------------------------------------------------
# One field changed: only its lines change.


EDITS = {
    "mtu": (
        profiles(uplink=STATIC),
        change("eth1", mtu=1500),
        ["uplink.nmconnection: -mtu=9000", "uplink.nmconnection: +mtu=1500"],
    ),
    "second-address": (
        profiles(uplink=STATIC),
        change_addresses(
            "eth1", Family.IPV4, IpAddress("192.0.2.10", 24), IpAddress("198.51.100.8", 25)
        ),
        [
            "uplink.nmconnection: -address2=198.51.100.7/25",
            "uplink.nmconnection: +address2=198.51.100.8/25",
        ],
    ),
    "address-with-gateway-key": (
        profiles(**VLAN_ON_BOND_UNDER_BRIDGE),
        change_addresses("br100", Family.IPV4, IpAddress("10.100.0.3", 24)),
        [
            "br100.nmconnection: -address1=10.100.0.2/24",
            "br100.nmconnection: +address1=10.100.0.3/24",
        ],
    ),
    "bond-mode": (
        profiles(**BOND),
        change_bond("bond0", mode=BondMode.BALANCE_ALB),
        ["bond0.nmconnection: -mode=active-backup", "bond0.nmconnection: +mode=balance-alb"],
    ),
    "bridge-delay": (
        profiles(**BRIDGE),
        lambda ifs: replaced(ifs, "br0", lambda i: replace(i, bridge=replace(i.bridge, delay=6.0))),
        ["br0.nmconnection: -forward-delay=4", "br0.nmconnection: +forward-delay=6"],
    ),
}


@pytest.mark.parametrize("via_xml", [False, True], ids=["direct", "xml"])
@pytest.mark.parametrize("case", list(EDITS))
def test_one_changed_field_changes_only_its_lines(case: str, via_xml: bool) -> None:
    files, change, expected = EDITS[case]
    assert edit(nm_keyfile, files, change, via_xml)[0] == expected


# ---------------------------------------------------------------------------------------
# A NIC that becomes a port gives up its addressing; DNS and routes move to the master.

STATIC_ROUTES = STATIC.replace(
    "method=manual\n", "method=manual\nroute1=203.0.113.0/24,192.0.2.254\nmay-fail=false\n"
)


def test_a_nic_that_becomes_a_port_moves_dns_and_routes_to_its_master() -> None:
    lines, rendering = edit(nm_keyfile, profiles(uplink=STATIC_ROUTES), eth1_into_br9)
    port = KeyFile.parse(rendering.files[DIR / "uplink.nmconnection"])
    assert port.group("ipv4") is None and port.group("ipv6") is None
    assert port.get("connection", "master") == "br9"
    assert port.get("ethtool", "ring-rx") == "4096"  # the NIC's own settings stay
    master = KeyFile.parse(rendering.files[DIR / "br9.nmconnection"])
    assert master.get("ipv4", "address1") == "192.0.2.10/24,192.0.2.1"
    assert master.get("ipv4", "dns") == "192.0.2.53;192.0.2.54;"
    assert master.get("ipv4", "dns-search") == "example.com;"
    assert master.get("ipv4", "route1") == "203.0.113.0/24,192.0.2.254"
    assert master.get("ipv4", "may-fail") == "false"
    assert rendering.warnings == ()
    assert "uplink.nmconnection: -dns=192.0.2.53;192.0.2.54;" in lines


def test_the_dns_the_model_gives_the_master_replaces_what_its_profile_said() -> None:
    """The definition is the truth: br9's DNS is eth1's, moved with its addressing."""
    files = profiles(uplink=STATIC_ROUTES)
    br9 = (
        "[connection]\nid=br9\ntype=bridge\ninterface-name=br9\n\n"
        "[ipv4]\nmethod=manual\naddress1=192.0.2.10/24\ndns=9.9.9.9;\n"
    )
    files.update(profiles(br9=br9))
    _lines, rendering = edit(nm_keyfile, files, eth1_into_br9)
    master = KeyFile.parse(rendering.files[DIR / "br9.nmconnection"])
    assert master.get("ipv4", "dns") == "192.0.2.53;192.0.2.54;"
    assert master.get("ipv4", "dns-search") == "example.com;"
    assert master.get("ipv4", "route1") == "203.0.113.0/24,192.0.2.254"
    assert rendering.warnings == ()


def test_port_dns_into_a_master_without_ip_is_a_warning() -> None:
    def into_bond(ifs: list[Interface]) -> list[Interface]:
        bond = named(ifs, "bond1")
        assert bond.bond is not None
        port = Interface(IfType.ETHERNET, "eth1")
        return [replace(bond, bond=replace(bond.bond, slaves=(*bond.bond.slaves, port)))]

    files = {**profiles(uplink=STATIC), **profiles(**VLAN_ON_BOND_UNDER_BRIDGE)}
    _lines, rendering = edit(nm_keyfile, files, into_bond)
    assert KeyFile.parse(rendering.files[DIR / "uplink.nmconnection"]).group("ipv4") is None
    lost = "removed: a port has no IP settings, and its master does not take it"
    assert sorted(str(w) for w in rendering.warnings) == [
        f"warning: nm-keyfile: eth1: DNS server 192.0.2.53 {lost}",
        f"warning: nm-keyfile: eth1: DNS server 192.0.2.54 {lost}",
        f"warning: nm-keyfile: eth1: search domain example.com {lost}",
    ]


# ---------------------------------------------------------------------------------------
# The oracle: NetworkManager's own offline normalisation keeps every value we render.


# Keys nmcli 1.42 writes in another spelling (master for controller, the gateway beside
# the first address, no stp=true, its default): compared through what they mean.
_SPELLED_OTHERWISE = {"controller", "port-type", "gateway", "stp", "address1"}
_NM_DEFAULTS = {("bridge", "forward-delay"): "15", ("bridge-port", "priority"): "32"}


def _meaning(data: bytes) -> tuple[object, ...]:
    profile = nm_keyfile.Profile(DIR / "x.nmconnection", KeyFile.parse(data))
    interfaces, _problems = nm_keyfile.interfaces_of([profile], [])
    return (interfaces, profile.master, profile.port_type)


def _nmcli_values(data: bytes) -> list[str]:
    """What nmcli --offline changes or drops when it normalises a profile we render."""
    # nmcli 1.42 predates controller/port-type (NM 1.46): show it their older names.
    data = data.replace(b"\ncontroller=", b"\nmaster=").replace(b"\nport-type=", b"\nslave-type=")
    normalised = _nmcli_normalise(data)
    ours, theirs = KeyFile.parse(data), KeyFile.parse(normalised)
    for (group, key), value in _NM_DEFAULTS.items():
        if ours.get(group, key) == value and theirs.get(group, key) is None:
            theirs.set(group, key, value)  # nmcli leaves a default value out
    lost = [
        f"[{g.name}] {key}: ours {ours.get(g.name, key)!r}, nmcli {theirs.get(g.name, key)!r}"
        for g in ours.groups
        for key in ours.keys(g.name)
        if ours.get(g.name, key) != theirs.get(g.name, key) and key not in _SPELLED_OTHERWISE
    ]
    if _meaning(data) != _meaning(theirs.dumps()):
        lost.append(f"read back differently: {_meaning(data)} != {_meaning(theirs.dumps())}")
    return lost


ORACLE_CASES = {
    **{f"unchanged/{shape}": (files, lambda ifs: ifs) for shape, files in SHAPES.items()},
    **{f"edit/{case}": (files, change) for case, (files, change, _lines) in EDITS.items()},
    "port-takes-over": (profiles(uplink=STATIC_ROUTES), eth1_into_br9),
}


@pytest.mark.parametrize("case", list(ORACLE_CASES))
def test_nmcli_accepts_rendered_profiles_and_keeps_their_values(case: str) -> None:
    files, change = ORACLE_CASES[case]
    _lines, rendering = edit(nm_keyfile, files, change)
    for path, data in sorted(rendering.files.items()):
        assert _nmcli_values(data) == [], path
