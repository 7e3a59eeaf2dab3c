"""A bond's, bridge's or VLAN's own MAC: libvirt's <mac> is an ethernet's only, so ifsmith
carries it as the ``ifsmith:mac`` attribute.  Every backend writes it where its daemon sets
it and reads it back; the XML keeps it (before, a bridge's MACAddress= read from the files
was dropped from dumpxml without a word).  iface-bridge pins the NIC's MAC on the bridge.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ifsmith.backends import available, get
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Bond, BondMode, Bridge, IfType, Interface, StartMode, Vlan
from ifsmith.core.xmlio import XmlError, parse, schema_problems, strip_extensions, to_xml
from ifsmith.tui.cmd_txn import bridge_of

MAC = "52:54:00:12:34:56"


def eth(name: str) -> Interface:
    return Interface(IfType.ETHERNET, name)


BRIDGE = Interface(
    IfType.BRIDGE, "br0", start_mode=StartMode.ONBOOT, mac=MAC,
    bridge=Bridge(stp=False, ports=(eth("eth0"),)),
)  # fmt: skip
BOND = Interface(
    IfType.BOND, "bond0", start_mode=StartMode.ONBOOT, mac="52:54:00:ab:cd:ef",
    bond=Bond(mode=BondMode.ACTIVE_BACKUP, slaves=(eth("eth1"), eth("eth2"))),
)  # fmt: skip
VLAN = Interface(
    IfType.VLAN, "eth3.10", start_mode=StartMode.ONBOOT, mac="52:54:00:00:00:10",
    vlan=Vlan(10, "eth3"),
)  # fmt: skip


@pytest.mark.parametrize("iface", [BRIDGE, BOND, VLAN], ids=lambda i: i.name)
def test_the_mac_of_a_virtual_device_round_trips_and_strips_for_libvirt(
    iface: Interface, anchors: Path
) -> None:
    text = to_xml(iface)
    assert f"ifsmith:mac='{iface.mac}'" in text and "<mac " not in text
    assert parse(text) == [iface]
    assert schema_problems(text.encode()) == []
    libvirt = anchors / "libvirt/src/conf/schemas/interface.rng"
    assert schema_problems(strip_extensions(text.encode()), libvirt) == []


def test_an_ethernet_keeps_libvirts_mac_element() -> None:
    nic = Interface(IfType.ETHERNET, "eth0", mac=MAC)
    assert f"<mac address='{MAC}'/>" in to_xml(nic) and "ifsmith:mac" not in to_xml(nic)
    wrong = (
        "<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='ethernet'"
        f" name='eth0' ifsmith:mac='{MAC}'/>"
    )
    with pytest.raises(XmlError, match=r"ethernet's MAC is libvirt's <mac"):
        parse(wrong)
    bridge_mac = (
        f"<interface type='bridge' name='br0'>\n<mac address='{MAC}'/>\n"
        "<bridge><interface type='ethernet' name='eth0'/></bridge></interface>"
    )
    with pytest.raises(XmlError, match=r":2: <mac>: .*a bridge's MAC is the ifsmith:mac"):
        parse(bridge_mac, "f.xml")


@pytest.mark.parametrize("backend", available())
@pytest.mark.parametrize("iface", [BRIDGE, BOND, VLAN], ids=lambda i: i.name)
def test_every_backend_writes_the_mac_and_reads_it_back(backend: str, iface: Interface) -> None:
    b = get(backend)
    rendered = b.render([iface], MemoryFiles({}))
    written = b"".join(data for data in rendered.files.values() if data is not None)
    assert iface.mac is not None and iface.mac.encode() in written.lower()
    back = {i.name: i for i in b.read_files(MemoryFiles(rendered.files))}
    assert (back[iface.name].mac or "").lower() == iface.mac
    # An unchanged round trip of what was written changes nothing.
    again = b.render(list(back.values()), MemoryFiles(rendered.files))
    assert {p: d for p, d in again.files.items() if rendered.files.get(p) != d} == {}


def test_iface_bridge_gives_the_bridge_the_nics_mac() -> None:
    nic = Interface(IfType.ETHERNET, "eth0", start_mode=StartMode.ONBOOT)
    assert bridge_of(nic, "br0", False, None, "52:54:00:AA:BB:CC").mac == "52:54:00:aa:bb:cc"
    defined = Interface(IfType.ETHERNET, "eth0", mac=MAC)
    assert bridge_of(defined, "br0", False, None, None).mac == MAC
    # The port stays a bare NIC: the MAC it defines (HWADDR, a match) stays with it.
    (port,) = bridge_of(defined, "br0", False, None, None).bridge.ports  # type: ignore[union-attr]
    assert port.mac == MAC


@pytest.mark.skipif(shutil.which("netplan") is None, reason="n/a: netplan is not installed")
def test_netplan_generate_sets_the_bridge_mac(tmp_path: Path) -> None:
    """The real netplan as the oracle: its networkd output sets br0's MAC."""
    rendered = get("netplan").render([BRIDGE], MemoryFiles({}))
    for path, data in rendered.files.items():
        assert data is not None
        target = tmp_path / str(path).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o600)
    subprocess.run(["netplan", "generate", "--root-dir", str(tmp_path)], check=True)
    netdev = (tmp_path / "run/systemd/network/10-netplan-br0.netdev").read_text()
    assert f"MACAddress={MAC}" in netdev
