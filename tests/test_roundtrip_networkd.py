"""networkd: what the files say survives a round trip byte for byte, and one edit is one line.

Each shape is a realistic /etc/systemd/network as admins and installers write it.  Both
paths must leave every file as it is: ``render(read_files(f), f)`` and the XML path
(``parse(to_xml(top))`` for each top interface, then render).  An edit of one field must
show in a unified diff as exactly that field's lines.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath
from types import ModuleType

import pytest

from ifsmith.backends import networkd
from ifsmith.backends.systemd_ini import UnitFile
from ifsmith.core.files import MemoryFiles, Rendering, unified_diff
from ifsmith.core.model import BondMode, Bridge, Dns, Family, Interface, IpAddress, Vlan
from ifsmith.core.xmlio import parse, to_xml

DIR = networkd.DIRECTORY
ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
SYSTEMD = ANCHORS / "systemd/test/test-network/conf"


class Tree(MemoryFiles):
    """MemoryFiles that also lists subdirectories (drop-in folders)."""

    def listdir(self, directory: PurePosixPath) -> list[str]:
        directory = PurePosixPath(directory)
        return sorted(
            {p.relative_to(directory).parts[0] for p in self.files if directory in p.parents}
        )


def files(units: dict[str, str]) -> Tree:
    """File name → text, in /etc/systemd/network."""
    return Tree({DIR / name: text.encode() for name, text in units.items()})


SHAPES: dict[str, Tree] = {
    "dhcp": files(
        {
            "20-wired.network": "[Match]\nName=eno1\n\n[Network]\nDHCP=yes\n",
        }
    ),
    "static_gateway_dns": files(
        {
            "10-eno1.network": (
                "# static server address\n[Match]\nName=eno1\n\n[Network]\n"
                "Address=192.0.2.10/24\nGateway=192.0.2.1\nDNS=192.0.2.53 192.0.2.54\n"
                "Domains=example.com\n"
            ),
        }
    ),
    "ipv6": files(
        {
            "10-slaac.network": "[Match]\nName=eno1\n\n[Network]\nIPv6AcceptRA=yes\n",
            "10-dhcp6.network": "[Match]\nName=eno2\n\n[Network]\nDHCP=ipv6\n",
            "10-static6.network": (
                "[Match]\nName=eno3\n\n[Network]\nAddress=2001:db8::10/64\n"
                "Gateway=2001:db8::1\nIPv6AcceptRA=no\n"
            ),
            "10-route.network": (
                "[Match]\nName=eno4\n\n[Network]\nAddress=198.51.100.7/24\n\n"
                "[Route]\nGateway=198.51.100.1\n\n[DHCP]\nUseDNS=no\n"
            ),
        }
    ),
    "bond_second_primary": files(
        {
            "10-bond0.netdev": (
                "[NetDev]\nName=bond0\nKind=bond\n\n[Bond]\nMode=active-backup\n"
                "MIIMonitorSec=1s\nUpDelaySec=200ms\n"
            ),
            "10-bond0.network": "[Match]\nName=bond0\n\n[Network]\nDHCP=ipv4\n",
            "20-eno1.network": "[Match]\nName=eno1\n\n[Network]\nBond=bond0\n",
            "20-eno2.network": (
                "[Match]\nName=eno2\n\n[Link]\nRequiredForOnline=no\n\n"
                "[Network]\nBond=bond0\nPrimarySlave=true\n"
            ),
        }
    ),
    "bridge_stp": files(
        {
            "br0.netdev": (
                "[NetDev]\nName=br0\nKind=bridge\nMTUBytes=9000\n\n[Bridge]\nSTP=true\n"
                "ForwardDelaySec=4s\n"
            ),
            "br0.network": (
                "[Match]\nName=br0\n\n[Network]\nAddress=10.1.0.2/16\nGateway=10.1.0.1\n"
                "LinkLocalAddressing=no\n"
            ),
            "eno1.network": "[Match]\nName=eno1\n\n[Network]\nBridge=br0\n",
            "eno2.network": "[Match]\nName=eno2\n\n[Network]\nBridge=br0\n",
        }
    ),
    "vlan_on_bond_under_bridge": files(
        {
            "bond0.netdev": (
                "[NetDev]\nName=bond0\nKind=bond\n\n[Bond]\nMode=802.3ad\n"
                "TransmitHashPolicy=layer3+4\nLACPTransmitRate=fast\nMIIMonitorSec=100ms\n"
            ),
            "bond0.network": (
                "[Match]\nName=bond0\n\n[Network]\nVLAN=bond0.100 bond0.200\n"
                "LinkLocalAddressing=no\n"
            ),
            "bond0.100.netdev": "[NetDev]\nName=bond0.100\nKind=vlan\n\n[VLAN]\nId=100\n",
            "bond0.100.network": "[Match]\nName=bond0.100\n\n[Network]\nBridge=br100\n",
            "bond0.200.netdev": "[NetDev]\nName=bond0.200\nKind=vlan\n\n[VLAN]\nId=200\n",
            "bond0.200.network": (
                "[Match]\nName=bond0.200\n\n[Network]\nAddress=172.16.200.1/24\n"
            ),
            "br100.netdev": "[NetDev]\nName=br100\nKind=bridge\n",
            "br100.network": (
                "[Match]\nName=br100\n\n[Network]\nDHCP=no\nAddress=172.16.100.1/24\n"
                "IPv6AcceptRA=no\nLinkLocalAddressing=no\n"
            ),
            "eno1.network": "[Match]\nName=eno1\n\n[Network]\nBond=bond0\n",
            "eno2.network": "[Match]\nName=eno2\n\n[Network]\nBond=bond0\n",
        }
    ),
    "unmodelled_keys": files(
        {
            "50-uplink.network": (
                "# managed by hand; see ticket 4711\n[Match]\nName=enp3s0\n\n"
                "[Link]\nRequiredForOnline=routable\nMTUBytes=1500\n\n"
                "[Network]\nDHCP=yes\nLLDP=yes\nEmitLLDP=nearest-bridge\n"
                "; a semicolon comment\nNTP=ntp.example.com\n\n"
                "[DHCPv4]\nUseDNS=false\nRouteMetric=50\n"
            ),
            "60-manual.network": (
                "[Match]\nName=enp4s0\n\n[Link]\nActivationPolicy=manual\n\n"
                "[Network]\nAddress=203.0.113.5/24\n"
            ),
        }
    ),
    "address_sections_and_spacing": files(
        {
            "30-lan.network": (
                "[Match]\nName = lan0\n\n[Network]\nDHCP = no\n\n[Address]\n"
                "Address=10.20.0.5/24\nLabel=lan0:svc\n\n[Address]\nAddress=10.20.0.6/24\n\n"
                "[Route]\nGateway=10.20.0.1\nMetric=10\n\n[Route]\nDestination=10.99.0.0/16\n"
                "Gateway=10.20.0.254\n"
            ),
        }
    ),
}


def via_files(view: MemoryFiles, backend: ModuleType = networkd) -> Rendering:
    """The files rendered back from what the backend reads in them."""
    return backend.render(backend.read_files(view), view)  # type: ignore[no-any-return]


def via_xml(view: MemoryFiles, backend: ModuleType = networkd) -> Rendering:
    """The same through libvirt XML: each top interface written and parsed back."""
    tops = [i for top in backend.read_files(view) for i in parse(to_xml(top))]
    return backend.render(tops, view)  # type: ignore[no-any-return]


def assert_unchanged(rendering: Rendering, view: MemoryFiles) -> None:
    assert rendering.removed == frozenset()
    assert unified_diff(rendering, view) == ""
    for path, data in rendering.files.items():
        assert view.read(path) == data, path


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("path", [via_files, via_xml], ids=["files", "xml"])
def test_unchanged_round_trip_writes_every_file_as_it_was(shape: str, path: object) -> None:
    view = SHAPES[shape]
    assert callable(path)
    assert_unchanged(path(view), view)


def anchor_view() -> Tree:
    if not SYSTEMD.is_dir():
        pytest.skip(f"anchors absent: {SYSTEMD}")
    return Tree(
        {
            DIR / p.relative_to(SYSTEMD).as_posix(): p.read_bytes()
            for p in SYSTEMD.rglob("*")
            if p.is_file()
        }
    )


@pytest.mark.parametrize("path", [via_files, via_xml], ids=["files", "xml"])
def test_systemd_test_configs_round_trip_unchanged(path: object) -> None:
    view = anchor_view()
    assert callable(path)
    assert_unchanged(path(view), view)


# ---------------------------------------------------------------------------------------
# One edit, one line.


def changed_lines(rendering: Rendering, view: MemoryFiles) -> list[str]:
    """The -/+ lines of the rendering's diff (headers left out)."""
    return [
        ln.rstrip("\n")
        for ln in unified_diff(rendering, view).splitlines(keepends=True)
        if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ]


def edit(view: Tree, name: str, change: object) -> list[str]:
    assert callable(change)
    tops = [change(t) if t.name == name else t for t in networkd.read_files(view)]
    return changed_lines(networkd.render(tops, view), view)


def test_changing_the_mtu_changes_only_the_mtu_line() -> None:
    view = SHAPES["unmodelled_keys"]
    got = edit(view, "enp3s0", lambda i: replace(i, mtu=9000))
    assert got == ["-MTUBytes=1500", "+MTUBytes=9000"]


def test_changing_one_address_changes_only_that_line() -> None:
    view = SHAPES["static_gateway_dns"]

    def move(i: Interface) -> Interface:
        v4 = i.protocol(Family.IPV4)
        assert v4 is not None
        new = replace(v4, addresses=(IpAddress("192.0.2.11", 24),))
        return replace(i, protocols=tuple(new if p is v4 else p for p in i.protocols))

    assert edit(view, "eno1", move) == ["-Address=192.0.2.10/24", "+Address=192.0.2.11/24"]


def test_changing_the_bond_mode_changes_only_the_mode_line() -> None:
    view = SHAPES["vlan_on_bond_under_bridge"]

    def mode(i: Interface) -> Interface:
        assert i.bond is not None
        return replace(i, bond=replace(i.bond, mode=BondMode.BALANCE_XOR))

    assert edit(view, "bond0", mode) == ["-Mode=802.3ad", "+Mode=balance-xor"]


def test_a_diff_shows_one_added_address_as_one_line() -> None:
    view = SHAPES["static_gateway_dns"]

    def add(i: Interface) -> Interface:
        v4 = i.protocol(Family.IPV4)
        assert v4 is not None
        new = replace(v4, addresses=(*v4.addresses, IpAddress("192.0.2.12", 24)))
        return replace(i, protocols=tuple(new if p is v4 else p for p in i.protocols))

    assert edit(view, "eno1", add) == ["+Address=192.0.2.12/24"]


# ---------------------------------------------------------------------------------------
# A NIC that becomes a port: its IP settings go, and none is lost silently.

UPLINK = files(
    {
        "10-eno1.network": (
            "[Match]\nName=eno1\n\n[Network]\nAddress=192.0.2.10/24\nGateway=192.0.2.1\n"
            "DNS=192.0.2.53 192.0.2.54\nDomains=example.com\nLLDP=yes\n\n"
            "[Route]\nDestination=10.50.0.0/16\nGateway=192.0.2.254\n"
        ),
    }
)


def bridge_over(nic: Interface, address: bool) -> Interface:
    """The NIC as the port of a new bridge br0, which takes (or not) its addressing: addresses,
    gateway, routes and DNS (as ``iface-bridge`` does)."""
    port = replace(nic, start_mode=None, protocols=(), dns=None)
    return Interface(
        nic.type.BRIDGE,
        "br0",
        start_mode=nic.start_mode,
        protocols=nic.protocols if address else (),
        bridge=Bridge(stp=False, ports=(port,)),
        dns=nic.dns if address else None,
    )


def bridged(address: bool) -> Interface:
    (eno1,) = networkd.read_files(UPLINK)
    return bridge_over(eno1, address)


def test_a_nic_becoming_a_port_hands_dns_domains_and_routes_to_its_bridge() -> None:
    rendering = networkd.render([bridged(address=True)], UPLINK)
    port = UnitFile.parse(rendering.files[DIR / "10-eno1.network"])
    assert port.get("Network", "Bridge") == "br0"
    assert port.get("Network", "LLDP") == "yes"  # not an IP setting: stays
    for key in ("Address", "Gateway", "DNS", "Domains"):
        assert port.get("Network", key) is None, key
    assert port.named("Route") == []
    master = UnitFile.parse(rendering.files[DIR / "10-ifsmith-br0.network"])
    assert master.get_list("Network", "DNS") == ["192.0.2.53", "192.0.2.54"]
    assert master.get("Network", "Domains") == "example.com"
    assert master.get("Network", "Address") == "192.0.2.10/24"
    (route,) = master.named("Route")
    assert route.values("Destination") == ["10.50.0.0/16"]
    assert rendering.warnings == ()
    assert networkd.read_files(MemoryFiles({**UPLINK.files, **rendering.files})) == [
        bridged(address=True)
    ]


def test_a_port_s_address_and_gateway_its_master_does_not_take_are_named() -> None:
    rendering = networkd.render([bridged(address=False)], UPLINK)
    messages = [w.message for w in rendering.warnings if w.interface == "eno1"]
    for lost in (
        "address 192.0.2.10/24",
        "gateway 192.0.2.1",
        "route 10.50.0.0/16 via 192.0.2.254",
        "DNS server 192.0.2.53",
        "DNS server 192.0.2.54",
        "search domain example.com",
    ):
        assert any(f"{lost} removed" in m for m in messages), (lost, messages)


def test_dns_the_model_gives_the_master_replaces_what_its_file_said() -> None:
    """The definition is the truth: br0's DNS is eno1's (moved with its addressing); the
    DNS= line br0's file had is replaced, and the port's DNS lines go."""
    view = Tree(
        {
            **UPLINK.files,
            DIR / "10-br0.network": b"[Match]\nName=br0\n\n[Network]\nDNS=9.9.9.9\n",
            DIR / "10-br0.netdev": b"[NetDev]\nName=br0\nKind=bridge\n",
        }
    )
    rendering = networkd.render([bridged(address=True)], view)
    master = UnitFile.parse(rendering.files[DIR / "10-br0.network"])
    assert master.get_list("Network", "DNS") == ["192.0.2.53", "192.0.2.54"]
    assert master.get("Network", "Domains") == "example.com"
    port = UnitFile.parse(rendering.files[DIR / "10-eno1.network"])
    assert port.get("Network", "DNS") is None and port.get("Network", "Domains") is None
    assert not [w for w in rendering.warnings if "DNS" in w.message]


def test_dns_entries_ifsmith_does_not_model_move_to_the_master_as_written() -> None:
    view = files(
        {
            "10-eno1.network": (
                "[Match]\nName=eno1\n\n[Network]\nAddress=192.0.2.10/24\n"
                "DNS=192.0.2.53 192.0.2.9#dns.example\nDomains=example.com ~corp\n\n"
                "[Route]\nDestination=10.60.0.0/16\nGateway=192.0.2.254\nTable=100\n"
            ),
        }
    )
    (eno1,) = networkd.read_files(view)
    assert eno1.dns == Dns(("192.0.2.53",), ("example.com",))
    rendering = networkd.render([bridge_over(eno1, True)], view)
    master = UnitFile.parse(rendering.files[DIR / "10-ifsmith-br0.network"])
    assert master.get_list("Network", "DNS") == ["192.0.2.53", "192.0.2.9#dns.example"]
    assert master.get_list("Network", "Domains") == ["example.com", "~corp"]
    (route,) = master.named("Route")
    assert route.values("Table") == ["100"]
    assert rendering.warnings == ()


def test_an_active_backup_bond_without_primary_slave_stays_without() -> None:
    view = files(
        {
            "bond1.netdev": "[NetDev]\nName=bond1\nKind=bond\n\n[Bond]\nMode=active-backup\n",
            "bond1.network": "[Match]\nName=bond1\n\n[Network]\nDHCP=yes\n",
            "eno7.network": "[Match]\nName=eno7\n\n[Network]\nBond=bond1\n",
            "eno8.network": "[Match]\nName=eno8\n\n[Network]\nBond=bond1\n",
        }
    )
    assert_unchanged(via_files(view), view)
    assert_unchanged(via_xml(view), view)


def test_an_existing_port_s_own_address_stays_and_is_reported() -> None:
    view = files(
        {
            "br0.netdev": "[NetDev]\nName=br0\nKind=bridge\n",
            "br0.network": "[Match]\nName=br0\n\n[Network]\nDHCP=yes\n",
            "eno1.network": "[Match]\nName=eno1\n\n[Network]\nBridge=br0\nAddress=10.9.9.9/24\n",
        }
    )
    _tops, problems = networkd.read_report(view)
    assert problems == ["eno1: IP settings of a port are not modelled; kept as written"]
    assert_unchanged(via_files(view), view)
    assert_unchanged(via_xml(view), view)


def test_a_netdev_without_network_stays_so_until_it_carries_a_vlan() -> None:
    view = files({"bond9.netdev": "[NetDev]\nName=bond9\nKind=bond\n"})
    assert_unchanged(via_files(view), view)
    (bond,) = networkd.read_files(view)
    vlan = Interface(bond.type.VLAN, "bond9.7", start_mode=bond.start_mode, vlan=Vlan(7, "bond9"))
    rendering = networkd.render([bond, vlan], view)
    network = UnitFile.parse(rendering.files[DIR / "10-ifsmith-bond9.network"])
    assert network.get_list("Network", "VLAN") == ["bond9.7"]
    assert not [w for w in rendering.warnings if "not configured" in w.message]
