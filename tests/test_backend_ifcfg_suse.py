"""SUSE ifcfg (wicked): wicked's own samples, openQA's templates, netcf's interfaces
round-tripped, merging, routes, undefine and activation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.backends import ifcfg_suse
from ifsmith.backends.bash import ShellFile
from ifsmith.core import xmlio
from ifsmith.core.files import MemoryFiles, UnsafeValue
from ifsmith.core.host import Host
from ifsmith.core.model import (
    ArpMon,
    ArpValidate,
    BondMode,
    Family,
    IfType,
    Interface,
    IpAddress,
    Protocol,
    Route,
    StartMode,
    Vlan,
)

ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
WICKED = ANCHORS / "wicked" / "samples" / "suse"
OPENQA = ANCHORS / "os-autoinst-distri-opensuse" / "data" / "wicked"
NETCF = ANCHORS / "netcf" / "tests" / "interface"
DIR = ifcfg_suse.DIR


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/anchors not beside the checkout)")
    return path


def _host_dir(host: Path) -> MemoryFiles:
    return MemoryFiles({DIR / p.name: p.read_bytes() for p in _need(host).iterdir()})


def test_wicked_host3_bond_with_arp_monitor_and_global_default_route() -> None:
    result = ifcfg_suse.read_report(_host_dir(WICKED / "host3"))
    assert result.problems == []
    [bond] = result.interfaces
    assert bond.bond is not None
    assert (bond.type, bond.start_mode) == (IfType.BOND, StartMode.NONE)
    assert bond.bond.mode == BondMode.ACTIVE_BACKUP
    assert bond.bond.arpmon == ArpMon(100, ("192.168.50.1",), ArpValidate.ACTIVE)
    # primary=eth1 comes first, as libvirt's XML says the primary is the first slave.
    assert [s.name for s in bond.bond.slaves] == ["eth1", "eth0"]
    # "default 192.168.50.1 - -" in routes belongs to the interface whose subnet holds it.
    assert bond.ipv4 == Protocol(Family.IPV4, addresses=(IpAddress("192.168.50.7", 24),),
                                 gateway="192.168.50.1")  # fmt: skip


def test_wicked_host2_bridge_dhcp_with_empty_values_as_unset() -> None:
    got = {i.name: i for i in ifcfg_suse.read_files(_host_dir(WICKED / "host2"))}
    br = got["br0"]
    assert br.bridge is not None and (br.bridge.stp, br.bridge.delay) == (False, 0.0)
    assert [p.name for p in br.bridge.ports] == ["eth0"]
    assert br.ipv4 == Protocol(Family.IPV4, dhcp=True)
    assert (br.mtu, br.start_mode) == (None, StartMode.ONBOOT)  # MTU='' is unset


def test_wicked_host1_ethernet_with_several_addresses_and_route() -> None:
    [eth0] = ifcfg_suse.read_files(_host_dir(WICKED / "host1"))
    assert eth0.ipv4 is not None
    assert [str(a) for a in eth0.ipv4.addresses] == [
        "192.168.5.8/24", "192.168.178.8/24", "192.168.178.8/24"]  # fmt: skip
    assert eth0.ipv4.gateway == "192.168.178.1"


@pytest.mark.parametrize("host", ["host1", "host2", "host3", "host4", "host5", "host6"])
def test_every_wicked_sample_reads_and_round_trips(host: str) -> None:
    files = _host_dir(WICKED / host)
    first = ifcfg_suse.read_files(files)
    rendering = ifcfg_suse.render(first, files)
    assert ifcfg_suse.read_files(MemoryFiles({**files.files, **rendering.files})) == first


def _openqa() -> list[Path]:
    return sorted(p for p in OPENQA.rglob("*") if p.is_file()) if OPENQA.is_dir() else []


@pytest.mark.parametrize("path", _openqa() or [OPENQA / "absent"], ids=lambda p: p.name)
def test_openqa_templates_read_without_crash(path: Path) -> None:
    # Placeholder values (IPADDR='ip_address') are reported, not fatal.
    files = MemoryFiles({DIR / "ifcfg-x0": _need(path).read_bytes()})
    result = ifcfg_suse.read_report(files)
    assert len(result.interfaces) == 1


@pytest.mark.parametrize(
    ("name", "mode"),
    [("ifcfg-bond0-rr", BondMode.BALANCE_RR), ("ifcfg-bond0-ab", BondMode.ACTIVE_BACKUP),
     ("ifcfg-bond0-xor", BondMode.BALANCE_XOR), ("ifcfg-bond0-bc", BondMode.BROADCAST),
     ("ifcfg-bond0-ieee", BondMode.LACP), ("ifcfg-bond0-tlb", BondMode.BALANCE_TLB),
     ("ifcfg-bond0-alb", BondMode.BALANCE_ALB)],
)  # fmt: skip
def test_openqa_bonds_in_all_seven_modes(name: str, mode: BondMode) -> None:
    data = _need(OPENQA / "bonding" / name).read_bytes()
    [bond] = ifcfg_suse.read_files(MemoryFiles({DIR / "ifcfg-bond0": data}))
    assert bond.bond is not None and bond.bond.mode == mode
    assert {s.name for s in bond.bond.slaves} == {"iface0", "iface1"}


def test_openqa_arp_bond_with_two_targets_bridge_and_vlan() -> None:
    arp = _need(OPENQA / "bonding" / "ifcfg-bond0-ab-arping-2ips").read_bytes()
    [bond] = ifcfg_suse.read_files(MemoryFiles({DIR / "ifcfg-bond0": arp}))
    assert bond.bond is not None and bond.bond.arpmon is not None
    assert bond.bond.arpmon.targets == ("ping_ip_1", "ping_ip_2")
    ifcfg = OPENQA / "ifcfg"
    files = MemoryFiles({DIR / "ifcfg-br0": (ifcfg / "br0").read_bytes(),
                         DIR / "ifcfg-eth1.42": (ifcfg / "eth1.42").read_bytes()})  # fmt: skip
    got = {i.name: i for i in ifcfg_suse.read_files(files)}
    assert got["br0"].bridge is not None
    assert (got["br0"].bridge.stp, got["br0"].bridge.delay) == (True, 15.0)
    assert [p.name for p in got["br0"].bridge.ports] == ["eth0", "dummy0"]
    assert got["br0"].ipv6 is not None
    assert got["br0"].ipv6.addresses == (IpAddress("fd00:c0de:ba5e:100::200", 48),)
    assert got["eth1.42"].vlan == Vlan(42, "eth1")
    assert got["eth1.42"].ipv6 is not None


NETCF_CASES = sorted(p.stem for p in NETCF.glob("*.xml") if p.name != "schemas.xml") or ["absent"]


@pytest.mark.parametrize("case", NETCF_CASES)
def test_netcf_interfaces_round_trip_except_what_suse_cannot_say(case: str) -> None:
    # netcf's own SUSE trees are stale (anchors/netcf/SOURCE.md): compare with the XML.
    [want] = xmlio.parse_file(_need(NETCF / f"{case}.xml"))
    rendering = ifcfg_suse.render([want], MemoryFiles())
    [got] = ifcfg_suse.read_files(MemoryFiles(rendering.files))
    lost = {w.message.split(" ")[0] for w in rendering.warnings}
    if "DHCP" in lost:  # peerdns is not per interface on SUSE
        assert want.ipv4 is not None and got.ipv4 is not None
        assert got.ipv4.peerdns is None
        got = replace(got, protocols=want.protocols)
    v6 = want.ipv6
    if "IPv6" in lost and v6 is not None and not (v6.dhcp or v6.addresses or v6.gateway):
        # A link-local-only <protocol family='ipv6'/> is the kernel's default: nothing to
        # write, and the warning says autoconf off cannot be written.
        want = replace(want, protocols=tuple(p for p in want.protocols if p is not v6))
    assert got == want


def test_start_modes_and_subordinates_inherit_mtu() -> None:
    [br] = xmlio.parse_file(_need(NETCF / "bridge-bond.xml"))
    files = ifcfg_suse.render([br], MemoryFiles()).files
    eth1 = dict(ShellFile.parse(files[DIR / "ifcfg-eth1"], dialect="wicked").items())
    assert eth1 == {"STARTMODE": "auto", "BOOTPROTO": "none", "MTU": "1500"}
    bond = dict(ShellFile.parse(files[DIR / "ifcfg-bond0"], dialect="wicked").items())
    assert bond["BONDING_SLAVE_0"] == "eth1" and bond["BONDING_SLAVE_1"] == "eth0"


def test_vlan_reorder_hdr_is_a_named_warning() -> None:
    vlan = Interface(IfType.VLAN, "eth0.5", vlan=Vlan(5, "eth0", reorder_hdr=False))
    rendering = ifcfg_suse.render([vlan], MemoryFiles())
    assert any("reorder_hdr" in w.message for w in rendering.warnings)
    assert "eth0.5" in str(rendering.warnings[0])


def test_merge_keeps_unmodeled_keys_comments_and_other_routes() -> None:
    files = MemoryFiles({
        DIR / "ifcfg-eth0": b"# lab uplink\nNAME='82566DM-2'\nSTARTMODE='auto'\n"
                            b"ETHTOOL_OPTIONS='-K eth0 gro off'\nIPADDR_0='10.0.0.9/8'\n"
                            b"LABEL_0='0'\nBOOTPROTO='dhcp'\n",
        DIR / "ifroute-eth0": b"# static\n10.1.0.0/16 10.0.0.1 - eth0\ndefault 10.0.0.1 - eth0\n",
    })  # fmt: skip
    eth = Interface(IfType.ETHERNET, "eth0", start_mode=StartMode.ONBOOT,
                    protocols=(Protocol(Family.IPV4, addresses=(IpAddress("192.0.2.5", 24),),
                                        gateway="192.0.2.1",
                                        routes=(Route("10.1.0.0", 16, "10.0.0.1"),)),))  # fmt: skip
    rendering = ifcfg_suse.render([eth], files)
    # The new address takes the old one's key (IPADDR_0): one line changes.
    assert rendering.files[DIR / "ifcfg-eth0"] == (
        b"# lab uplink\nNAME='82566DM-2'\nSTARTMODE='auto'\n"
        b"ETHTOOL_OPTIONS='-K eth0 gro off'\nIPADDR_0='192.0.2.5/24'\nLABEL_0='0'\n"
        b"BOOTPROTO='static'\n")  # fmt: skip
    assert rendering.files[DIR / "ifroute-eth0"] == (
        b"# static\n10.1.0.0/16 10.0.0.1 - eth0\ndefault 192.0.2.1 - eth0\n"
    )


def test_values_wicked_cannot_read_are_refused_naming_the_interface() -> None:
    bad = Interface(IfType.ETHERNET, "eth0", mac="aa:bb'cc")
    with pytest.raises(UnsafeValue, match="eth0: LLADDR"):
        ifcfg_suse.render([bad], MemoryFiles())


def test_undefine_removes_bond_its_slaves_and_routes() -> None:
    [bond] = xmlio.parse_file(_need(NETCF / "bond.xml"))
    files = MemoryFiles(ifcfg_suse.render([bond], MemoryFiles()).files)
    rendering = ifcfg_suse.undefine(["bond0"], files)
    assert sorted(p.name for p in rendering.removed) == [
        "ifcfg-bond0", "ifcfg-eth0", "ifcfg-eth1", "ifroute-bond0"]  # fmt: skip


def test_detect_and_activate(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    assert not ifcfg_suse.detect(host)
    (tmp_path / str(DIR).lstrip("/")).mkdir(parents=True)
    (tmp_path / str(DIR).lstrip("/") / "ifcfg-eth0").write_text("STARTMODE='auto'\n")
    assert ifcfg_suse.detect(host)
    assert ifcfg_suse.read(host)[0].name == "eth0"
    assert ifcfg_suse.activate(host, ["br0", "bond0"]) == [["wicked", "ifreload", "br0", "bond0"]]


def test_backup_files_are_ignored() -> None:
    files = MemoryFiles({DIR / "ifcfg-eth0": b"STARTMODE='auto'\n",
                         DIR / "ifcfg-eth0.rpmsave": b"STARTMODE='auto'\n",
                         PurePosixPath(DIR / "ifcfg-eth1~"): b"STARTMODE='auto'\n"})  # fmt: skip
    assert [i.name for i in ifcfg_suse.read_files(files)] == ["eth0"]
