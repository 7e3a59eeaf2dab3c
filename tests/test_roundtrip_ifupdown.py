"""ifupdown: an unchanged round trip changes no file line; one changed field changes its lines.

Realistic /etc/network/interfaces trees, read, rendered back (directly and through the
libvirt XML), must come back byte for byte.  Changing one field must touch only its lines.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from ifsmith.backends import ifupdown
from ifsmith.core import xmlio
from ifsmith.core.files import MemoryFiles, Rendering
from ifsmith.core.model import Interface

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
}
SOURCED = {
    "unknown-options-and-source": {
        "/etc/network/interfaces.d/storage": "# storage network\n"
        "auto eth1\n"
        "iface eth1 inet static\n"
        "    address 10.20.0.2/24\n"
        "    mtu 9000\n"
    }
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
    assert changed(ifupdown.render(interfaces, files), files) == {}
    assert changed(ifupdown.render(via_xml(interfaces), files), files) == {}


def test_shapes_cover_the_brief() -> None:
    assert len(SHAPES) >= 10
