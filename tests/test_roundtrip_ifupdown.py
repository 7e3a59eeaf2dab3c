"""ifupdown: an unchanged round trip changes no file line; one changed field changes its lines.

Realistic /etc/network/interfaces trees, read, rendered back (directly and through the
libvirt XML), must come back byte for byte.  Changing one field must touch only its lines.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.backends import ifupdown
from ifsmith.core import xmlio
from ifsmith.core.files import MemoryFiles, Rendering, UnsafeValue
from ifsmith.core.model import (
    Bond,
    BondMode,
    Family,
    IfType,
    Interface,
    IpAddress,
    MiiMon,
    Protocol,
    StartMode,
)

ETC = PurePosixPath("/etc/network/interfaces")
ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
NM_IFUPDOWN = ANCHORS / "NetworkManager/src/core/settings/plugins/ifupdown/tests"
DEBIAN = ANCHORS / "ifupdown/tests/linux"

LO = "auto lo\niface lo inet loopback\n\n"

SHAPES: dict[str, str] = {
    "dhcp-auto": LO + "auto eth0\niface eth0 inet dhcp\n",
    "static-gateway-dns": LO + "# The primary network interface\n"
    "auto eth0\n"
    "iface eth0 inet static\n"
    "\taddress 192.0.2.10\n"
    "\tnetmask 255.255.255.0\n"
    "\tgateway 192.0.2.1\n"
    "\t# dns-* options are implemented by the resolvconf package\n"
    "\tdns-nameservers 192.0.2.53 192.0.2.54\n"
    "\tdns-search example.org\n",
    "static-cidr-mtu-hwaddress": LO + "auto eth0\n"
    "iface eth0 inet static\n"
    "    address 198.51.100.7/24\n"
    "    gateway 198.51.100.1\n"
    "    mtu 1400\n"
    "    hwaddress ether 52:54:00:12:34:56\n",
    "allow-hotplug": LO + "allow-hotplug enp1s0\niface enp1s0 inet dhcp\n",
    "bond-slaves-on-master-only": LO + "auto bond0\n"
    "iface bond0 inet static\n"
    "    address 10.0.0.5/24\n"
    "    gateway 10.0.0.1\n"
    "    bond-slaves eth2 eth3\n"
    "    bond-mode 802.3ad\n"
    "    bond-miimon 100\n"
    "    bond-lacp-rate fast\n"
    "    bond-xmit-hash-policy layer3+4\n",
    "bond-master-on-slaves": LO + "auto eth2\n"
    "iface eth2 inet manual\n"
    "    bond-master bond0\n"
    "\n"
    "auto eth3\n"
    "iface eth3 inet manual\n"
    "    bond-master bond0\n"
    "\n"
    "auto bond0\n"
    "iface bond0 inet dhcp\n"
    "    bond-slaves none\n"
    "    bond-mode active-backup\n"
    "    bond-miimon 100\n",
    "bond-primary-second-slave": LO + "auto bond0\n"
    "iface bond0 inet manual\n"
    "    bond-slaves eth2 eth3\n"
    "    bond-mode active-backup\n"
    "    bond-primary eth3\n"
    "    bond-miimon 100\n"
    "    bond-downdelay 200\n"
    "    bond-updelay 200\n",
    "bridge-underscore-stp-fd": LO + "iface eth0 inet manual\n"
    "\n"
    "auto br0\n"
    "iface br0 inet static\n"
    "    bridge_ports eth0\n"
    "    bridge_stp off\n"
    "    bridge_fd 0\n"
    "    address 192.0.2.20/24\n"
    "    gateway 192.0.2.1\n",
    "bridge-dash-no-port-stanza": LO + "auto br1\n"
    "iface br1 inet dhcp\n"
    "    bridge-ports eth1 eth2\n"
    "    bridge-stp on\n"
    "    bridge-fd 15\n"
    "    bridge-maxwait 0\n",
    "vlan-dotted-on-bond": LO + "auto bond0\n"
    "iface bond0 inet manual\n"
    "    bond-slaves eth0 eth1\n"
    "    bond-mode 802.3ad\n"
    "\n"
    "auto bond0.100\n"
    "iface bond0.100 inet static\n"
    "    address 10.100.0.2/24\n",
    "vlan-raw-device": LO + "auto vlan10\n"
    "iface vlan10 inet static\n"
    "    vlan-raw-device eth0\n"
    "    address 10.10.0.2\n"
    "    netmask 255.255.255.0\n",
    "inet6-auto-dhcp-static": LO + "auto eth0\n"
    "iface eth0 inet dhcp\n"
    "iface eth0 inet6 auto\n"
    "\n"
    "auto eth1\n"
    "iface eth1 inet6 dhcp\n"
    "\n"
    "auto eth2\n"
    "iface eth2 inet6 static\n"
    "    address 2001:db8::2/64\n"
    "    gateway 2001:db8::1\n",
    "unknown-options-and-source": "# interfaces(5) file used by ifup(8) and ifdown(8)\n"
    "source /etc/network/interfaces.d/*\n"
    "\n" + LO + "auto eth0\n"
    "iface eth0 inet static\n"
    "    address 192.0.2.30/24\n"
    "    gateway 192.0.2.1\n"
    "    up ip route add 10.9.0.0/16 via 192.0.2.9\n"
    "    post-up /usr/local/sbin/tune eth0\n"
    "    # keep this comment\n"
    "    pre-down echo bye\n",
    "relative-source-bridge-with-routes": LO + "source interfaces.d/*\n",
}
SOURCED = {
    "relative-source-bridge-with-routes": {
        "/etc/network/interfaces.d/vmbr0": "iface enp3s0 inet manual\n"
        "\n"
        "auto vmbr0\n"
        "iface vmbr0 inet static\n"
        "        address  10.1.1.2/24\n"
        "        gateway  10.1.1.1\n"
        "        bridge-ports enp3s0\n"
        "        bridge-stp off\n"
        "        bridge-fd 0\n"
        "        post-up   ip route add 172.16.0.0/12 via 10.1.1.254\n"
        "        pre-down  ip route del 172.16.0.0/12 via 10.1.1.254\n"
        "#vm bridge\n",
    },
    "unknown-options-and-source": {
        "/etc/network/interfaces.d/storage": "# storage network\n"
        "auto eth1\n"
        "iface eth1 inet static\n"
        "    address 10.20.0.2/24\n"
        "    mtu 9000\n"
    },
}


def shape_files(name: str) -> MemoryFiles:
    files: dict[PurePosixPath | str, bytes] = {ETC: SHAPES[name].encode()}
    for path, text in SOURCED.get(name, {}).items():
        files[path] = text.encode()
    return MemoryFiles(files)


def changed(rendering: Rendering, files: MemoryFiles) -> dict[PurePosixPath, bytes]:
    """The files a rendering would change (a path whose bytes stay equal is no change)."""
    return {p: d for p, d in rendering.files.items() if files.read(p) != d}


def via_xml(interfaces: list[Interface]) -> list[Interface]:
    return [i for top in interfaces for i in xmlio.parse(xmlio.to_xml(top))]


def anchor_cases() -> list[tuple[str, MemoryFiles]]:
    cases: list[tuple[str, MemoryFiles]] = []
    if NM_IFUPDOWN.is_dir():
        neighbours = {
            PurePosixPath("/etc/network") / p.relative_to(NM_IFUPDOWN): p.read_bytes()
            for p in NM_IFUPDOWN.rglob("*")
            if p.is_file()
        }
        for p in sorted(NM_IFUPDOWN.iterdir()):
            if p.is_file():
                cases.append((f"nm-{p.name}", MemoryFiles({**neighbours, ETC: p.read_bytes()})))
    if DEBIAN.is_dir():
        for p in sorted(DEBIAN.glob("testcase.*")):
            cases.append((f"debian-{p.name}", MemoryFiles({ETC: p.read_bytes()})))
    return cases


ALL = [(name, shape_files(name)) for name in SHAPES] + anchor_cases()


@pytest.mark.parametrize("files", [f for _, f in ALL], ids=[n for n, _ in ALL])
def test_unchanged_round_trip_changes_no_file(files: MemoryFiles) -> None:
    interfaces = ifupdown.read_files(files)
    for wanted in (interfaces, via_xml(interfaces)):
        rendering = ifupdown.render(wanted, files)
        assert changed(rendering, files) == {}
        assert rendering.removed == frozenset()


def test_shapes_cover_the_brief() -> None:
    assert len(SHAPES) >= 10


def diff_lines(rendering: Rendering, files: MemoryFiles) -> list[str]:
    """The -/+ lines of the rendering's unified diff against the files (headers left out)."""
    out: list[str] = []
    for path, data in sorted(rendering.files.items()):
        before = (files.read(path) or b"").decode().splitlines(keepends=True)
        after = data.decode().splitlines(keepends=True)
        out += [
            line
            for line in difflib.unified_diff(before, after, n=0)
            if line[:1] in "-+" and not line.startswith(("---", "+++"))
        ]
    return out


def edited(name: str, device: str, **fields: object) -> tuple[MemoryFiles, list[Interface]]:
    """The shape's files, and what they say with one interface's fields replaced."""
    files = shape_files(name)

    def change(iface: Interface) -> Interface:
        if iface.name == device:
            return replace(iface, **fields)  # type: ignore[arg-type]
        subs = tuple(change(s) for s in iface.subordinates)
        return ifupdown.with_subordinates(iface, subs)

    return files, [change(top) for top in ifupdown.read_files(files)]


def one_field(name: str, device: str, **fields: object) -> list[list[str]]:
    """The diff lines of a one-field change, rendered directly and through the XML."""
    files, interfaces = edited(name, device, **fields)
    return [
        diff_lines(ifupdown.render(interfaces, files), files),
        diff_lines(ifupdown.render(via_xml(interfaces), files), files),
    ]


def test_changing_one_mtu_changes_only_its_line() -> None:
    for lines in one_field("static-cidr-mtu-hwaddress", "eth0", mtu=9000):
        assert lines == ["-    mtu 1400\n", "+    mtu 9000\n"]


def test_adding_an_mtu_adds_one_line_in_the_stanzas_indentation() -> None:
    for lines in one_field("static-gateway-dns", "eth0", mtu=9000):
        assert lines == ["+\tmtu 9000\n"]


def test_changing_one_address_keeps_the_netmask_line_when_the_prefix_stays() -> None:
    address = (
        Protocol(Family.IPV4, addresses=(IpAddress("192.0.2.11", 24),), gateway="192.0.2.1"),
    )
    for lines in one_field("static-gateway-dns", "eth0", protocols=address):
        assert lines == ["-\taddress 192.0.2.10\n", "+\taddress 192.0.2.11\n"]


def test_changing_one_prefix_changes_the_address_and_netmask_lines() -> None:
    address = (
        Protocol(Family.IPV4, addresses=(IpAddress("192.0.2.10", 25),), gateway="192.0.2.1"),
    )
    for lines in one_field("static-gateway-dns", "eth0", protocols=address):
        assert lines == [
            "-\taddress 192.0.2.10\n",
            "-\tnetmask 255.255.255.0\n",
            "+\taddress 192.0.2.10/25\n",
        ]


def test_changing_a_bonds_address_changes_only_that_line() -> None:
    address = (Protocol(Family.IPV4, addresses=(IpAddress("10.0.0.6", 24),), gateway="10.0.0.1"),)
    for lines in one_field("bond-slaves-on-master-only", "bond0", protocols=address):
        assert lines == ["-    address 10.0.0.5/24\n", "+    address 10.0.0.6/24\n"]


def bond_edited(shape: str, change: Callable[[Bond], Bond]) -> tuple[MemoryFiles, Interface]:
    """The shape's files, and its bond0 with its bond settings changed."""
    files = shape_files(shape)
    bond = next(i for i in ifupdown.read_files(files) if i.name == "bond0")
    assert bond.bond is not None
    return files, replace(bond, bond=change(bond.bond))


def test_changing_the_bond_mode_changes_only_the_mode_line() -> None:
    files, bond = bond_edited(
        "bond-master-on-slaves", lambda b: replace(b, mode=BondMode.BALANCE_XOR)
    )
    for wanted in ([bond], via_xml([bond])):
        assert diff_lines(ifupdown.render(wanted, files), files) == [
            "-    bond-mode active-backup\n",
            "+    bond-mode balance-xor\n",
        ]


def test_changing_stp_keeps_the_dashed_spelling_of_the_key() -> None:
    files = shape_files("bridge-dash-no-port-stanza")
    bridge = ifupdown.read_files(files)[0]
    assert bridge.bridge is not None
    bridge = replace(bridge, bridge=replace(bridge.bridge, stp=False))
    assert diff_lines(ifupdown.render([bridge], files), files) == [
        "-    bridge-stp on\n",
        "+    bridge-stp off\n",
    ]


# Adding eth4 keeps each bond's style: slaves that name their bond get a stanza saying so;
# a bond that lists its slaves (none with a stanza) gets a longer list, nothing else.
ADD_SLAVE = {
    "bond-master-on-slaves": [
        "+iface eth4 inet manual\n",
        "+    bond-master bond0\n",
        "+\n",
    ],
    "bond-slaves-on-master-only": [
        "-    bond-slaves eth2 eth3\n",
        "+    bond-slaves eth2 eth3 eth4\n",
    ],
}


@pytest.mark.parametrize("shape", sorted(ADD_SLAVE))
def test_adding_a_slave_keeps_the_bonds_style(shape: str) -> None:
    files, bond = bond_edited(
        shape, lambda b: replace(b, slaves=(*b.slaves, Interface(IfType.ETHERNET, "eth4")))
    )
    rendering = ifupdown.render([bond], files)
    assert diff_lines(rendering, files) == ADD_SLAVE[shape]
    assert ifupdown.read_files(MemoryFiles({**files.files, **rendering.files})) == [bond]


def test_a_slave_left_out_of_its_bond_loses_its_bond_master_line() -> None:
    files, bond = bond_edited("bond-master-on-slaves", lambda b: replace(b, slaves=b.slaves[:1]))
    rendering = ifupdown.render([bond], files)
    assert diff_lines(rendering, files) == ["-    bond-master bond0\n"]
    got = ifupdown.read_files(MemoryFiles({**files.files, **rendering.files}))
    assert [i.name for i in got] == ["eth3", "bond0"]


# ---------------------------------------------------------------------------------------
# A NIC that becomes a slave or port: its addressing leaves its stanza, and is not lost.

UPLINK = (
    LO + "auto eth0\n"
    "iface eth0 inet static\n"
    "    address 192.0.2.10/24\n"
    "    gateway 192.0.2.1\n"
    "    dns-nameservers 192.0.2.53\n"
    "    dns-search example.org\n"
    "    up ip route add 10.9.0.0/16 via 192.0.2.9 dev eth0\n"
    "    post-up /usr/local/sbin/tune eth0\n"
    "\n"
    "auto eth1\n"
    "iface eth1 inet dhcp\n"
)
# What leaves eth0's stanza in UPLINK when it becomes a slave or a port.
UPLINK_ADDRESSING_GOES = [
    "-iface eth0 inet static\n",
    "-    address 192.0.2.10/24\n",
    "-    gateway 192.0.2.1\n",
    "-    dns-nameservers 192.0.2.53\n",
    "-    dns-search example.org\n",
    "-    up ip route add 10.9.0.0/16 via 192.0.2.9 dev eth0\n",
    "+iface eth0 inet manual\n",
]
MANAGEMENT = (Protocol(Family.IPV4, addresses=(IpAddress("192.0.2.10", 24),), gateway="192.0.2.1"),)


def test_nic_enslaved_to_a_new_bond_hands_dns_and_routes_to_the_bond() -> None:
    files = MemoryFiles({ETC: UPLINK.encode()})
    nic = next(i for i in ifupdown.read_files(files) if i.name == "eth0")
    assert nic.dns is not None and nic.ipv4 is not None
    assert [str(r) for r in nic.ipv4.routes] == ["10.9.0.0/16 via 192.0.2.9"]
    # The bond takes the NIC's addressing, routes and DNS (as iface-bridge does for a bridge).
    bond = Interface(
        IfType.BOND,
        "bond0",
        start_mode=StartMode.ONBOOT,
        protocols=nic.protocols,
        dns=nic.dns,
        bond=Bond(
            mode=BondMode.LACP,
            slaves=(Interface(IfType.ETHERNET, "eth0"), Interface(IfType.ETHERNET, "eth1")),
        ),
    )
    rendering = ifupdown.render([bond], files)
    assert diff_lines(rendering, files)[:9] == [
        *UPLINK_ADDRESSING_GOES,
        "+    bond-master bond0\n",
        "-iface eth1 inet dhcp\n",
    ]
    text = rendering.files[PurePosixPath("/etc/network/interfaces.d/bond0")].decode()
    assert text.endswith(
        "    address 192.0.2.10/24\n"
        "    gateway 192.0.2.1\n"
        "    dns-nameservers 192.0.2.53\n"
        "    dns-search example.org\n"
        "    up ip route add 10.9.0.0/16 via 192.0.2.9 dev bond0\n"
    )
    main = rendering.files[ETC].decode()
    assert "    post-up /usr/local/sbin/tune eth0\n" in main  # not addressing: it stays
    # eth1's DHCP has nowhere to go: named, not dropped silently.
    assert [str(w) for w in rendering.warnings] == [
        "warning: ifupdown: eth1: ipv4 DHCP removed: a slave or port carries no addressing, "
        "and bond0 does not take it over"
    ]
    merged = MemoryFiles({**files.files, **rendering.files})
    assert ifupdown.read_files(merged) == [bond]
    # And rendering the result again changes nothing.
    assert changed(ifupdown.render([bond], merged), merged) == {}


def test_a_bond_that_does_not_take_the_routes_and_dns_names_each_one() -> None:
    files = MemoryFiles({ETC: UPLINK.encode()})
    bond = Interface(
        IfType.BOND,
        "bond0",
        start_mode=StartMode.ONBOOT,
        protocols=MANAGEMENT,
        bond=Bond(mode=BondMode.LACP, slaves=(Interface(IfType.ETHERNET, "eth0"),)),
    )
    rendering = ifupdown.render([bond], files)
    assert diff_lines(rendering, files)[:7] == UPLINK_ADDRESSING_GOES
    assert b"dns-" not in b"".join(rendering.files.values())
    assert sorted(str(w) for w in rendering.warnings) == [
        f"warning: ifupdown: eth0: {what} removed: a slave or port carries no addressing, "
        "and bond0 does not take it over"
        for what in (
            "DNS search domain example.org",
            "DNS server 192.0.2.53",
            "route 10.9.0.0/16 via 192.0.2.9",
        )
    ]


def test_nic_becoming_a_port_keeps_a_bridge_setting_and_names_the_value_it_cannot_move() -> None:
    existing = UPLINK + (
        "\nauto br0\n"
        "iface br0 inet static\n"
        "    bridge_ports eth1\n"
        "    address 198.51.100.2/24\n"
        "    dns-nameservers 198.51.100.53\n"
    )
    files = MemoryFiles({ETC: existing.encode()})
    bridge = next(i for i in ifupdown.read_files(files) if i.name == "br0")
    assert bridge.bridge is not None
    ports = (Interface(IfType.ETHERNET, "eth0"), *bridge.bridge.ports)
    bridge = replace(bridge, bridge=replace(bridge.bridge, ports=ports))
    rendering = ifupdown.render([bridge], files)
    assert diff_lines(rendering, files) == [
        *UPLINK_ADDRESSING_GOES,
        "-    bridge_ports eth1\n",
        "+    bridge_ports eth0 eth1\n",
    ]
    # The bridge as defined keeps its own DNS and takes none of eth0's: each is named.
    assert sorted(str(w) for w in rendering.warnings) == [
        f"warning: ifupdown: eth0: {what} removed: a slave or port carries no addressing, "
        "and br0 does not take it over"
        for what in (
            "192.0.2.10/24",
            "DNS search domain example.org",
            "DNS server 192.0.2.53",
            "gateway 192.0.2.1",
            "route 10.9.0.0/16 via 192.0.2.9",
        )
    ]


def test_static_to_dhcp_moves_the_mtu_line_that_dhcp_would_ignore() -> None:
    dhcp = (Protocol(Family.IPV4, dhcp=True),)
    for lines in one_field("static-cidr-mtu-hwaddress", "eth0", protocols=dhcp):
        assert lines == [
            "-iface eth0 inet static\n",
            "-    address 198.51.100.7/24\n",
            "-    gateway 198.51.100.1\n",
            "-    mtu 1400\n",
            "+iface eth0 inet dhcp\n",
            "+    pre-up ip link set dev eth0 mtu 1400\n",
        ]


def mutations(top: Interface) -> Iterator[tuple[str, Interface]]:
    """One-field edits an admin makes, each applied alone."""
    v4 = tuple(p for p in top.protocols if p.family == Family.IPV4)
    static = Protocol(Family.IPV4, addresses=(IpAddress("203.0.113.9", 24),), gateway="203.0.113.1")
    yield "mtu", replace(top, mtu=1234)
    yield "no mtu", replace(top, mtu=None)
    yield "mac", replace(top, mac="52:54:00:aa:bb:cc")
    hotplug = top.start_mode != StartMode.HOTPLUG
    yield "start", replace(top, start_mode=StartMode.HOTPLUG if hotplug else StartMode.ONBOOT)
    yield "dhcp", replace(top, protocols=(Protocol(Family.IPV4, dhcp=True),))
    yield "static", replace(top, protocols=(static,))
    yield "two addresses", replace(top, protocols=(replace(static, addresses=(
        IpAddress("203.0.113.9", 24), IpAddress("203.0.113.10", 24)
    )),))  # fmt: skip
    yield "slaac", replace(top, protocols=(*v4, Protocol(Family.IPV6, autoconf=True)))
    yield "no addresses", replace(top, protocols=())
    yield "label", replace(top, label="new label")
    extra = Interface(IfType.ETHERNET, "eth9")
    if top.bond is not None:
        bond = top.bond
        yield (
            "mode",
            replace(top, bond=replace(bond, mode=BondMode.BALANCE_XOR, primary_slave=None)),
        )
        yield "add slave", replace(top, bond=replace(bond, slaves=(*bond.slaves, extra)))
        yield "drop slave", replace(top, bond=replace(bond, slaves=bond.slaves[1:]))
        yield "miimon", replace(top, bond=replace(bond, miimon=MiiMon(250)))
    if top.bridge is not None:
        bridge = top.bridge
        yield "stp", replace(top, bridge=replace(bridge, stp=not bridge.stp))
        yield "add port", replace(top, bridge=replace(bridge, ports=(*bridge.ports, extra)))
        yield "drop port", replace(top, bridge=replace(bridge, ports=bridge.ports[1:]))
    if top.vlan is not None:
        yield "tag", replace(top, vlan=replace(top.vlan, tag=top.vlan.tag % 4094 + 1))


def canonical(iface: Interface | None) -> Interface | None:
    """An explicit primary equal to libvirt's implicit one (first slave) is the same bond."""
    if iface is None or iface.bond is None:
        return iface
    return replace(iface, bond=replace(iface.bond, primary_slave=iface.bond.primary))


# Edits the files cannot carry out, each named by a warning: ifupdown has no way to unset an
# mtu that a template (iface ethernet ..., "inherits ethernet") gives.
NAMED_NOT_DONE = {
    "debian-testcase.16": {("eth1", "no mtu"), ("eth2", "no mtu"), ("eth3", "no mtu")},
}


@pytest.mark.parametrize(("name", "files"), ALL, ids=[n for n, _ in ALL])
def test_each_one_field_edit_reads_back_as_wanted_or_is_named(
    name: str, files: MemoryFiles
) -> None:
    not_done: set[tuple[str, str]] = set()
    for top in ifupdown.read_files(files):
        for what, wanted in mutations(top):
            try:
                rendering = ifupdown.render([wanted], files)
            except UnsafeValue:
                continue  # a name from the corpus that cannot be written safely: refused
            merged = MemoryFiles({**files.files, **rendering.files})
            got = {i.name: i for i in ifupdown.read_files(merged)}.get(wanted.name)
            if canonical(got) != canonical(wanted):
                assert any(w.interface == wanted.name for w in rendering.warnings), what
                not_done.add((wanted.name, what))
    assert not_done == NAMED_NOT_DONE.get(name, set())
