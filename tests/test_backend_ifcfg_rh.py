"""RHEL ifcfg: netcf's expected trees, NetworkManager's ifcfg-rh corpus, initscripts'
examples, merging into existing files, undefine and activation."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest
from lxml import etree

from ifsmith.backends import ifcfg_rh
from ifsmith.backends.bash import ShellFile
from ifsmith.core import xmlio
from ifsmith.core.files import MemoryFiles
from ifsmith.core.host import Host
from ifsmith.core.model import (
    BondMode,
    Carrier,
    Family,
    IfType,
    Interface,
    IpAddress,
    MiiMon,
    Protocol,
    StartMode,
    Vlan,
)

ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
NETCF = ANCHORS / "netcf" / "tests"
NM = ANCHORS / "NetworkManager/src/core/settings/plugins/ifcfg-rh/tests/network-scripts"
DIR = ifcfg_rh.DIR

# What we write differently from netcf, on purpose:
# - PREFIX instead of NETMASK (what NetworkManager writes; initscripts reads both).  The
#   oracle's NETMASKn is converted to PREFIXn before comparing.
# - TYPE= on every device, BONDING_MASTER=yes on bonds: NetworkManager needs them to know
#   the type without guessing (netcf wrote TYPE only for bridges).  This also replaces
#   netcf's empty BONDING_OPTS="" for a bond with no options (bond-defaults).
# - PHYSDEV= and VLAN_ID= on VLANs: NetworkManager's keys; initscripts derives them from
#   the name, which netcf relied on.
DELIBERATE_EXTRA = {"TYPE", "BONDING_MASTER", "PHYSDEV", "VLAN_ID"}


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/anchors not beside the checkout)")
    return path


def _tree(path: Path) -> dict[PurePosixPath, dict[str, str]]:
    """netcf's Augeas tree: file path → {label: value}."""
    out: dict[PurePosixPath, dict[str, str]] = {}
    for tree in etree.parse(str(path)).getroot().iter("tree"):
        keys: dict[str, str] = {}
        for node in tree.iter("node"):
            label, value = node.get("label", ""), node.get("value", "")
            if label.startswith("NETMASK"):
                label = "PREFIX" + label[len("NETMASK") :]
                value = str(ipaddress.IPv4Network(f"0.0.0.0/{value}").prefixlen)
            keys[label] = value
        out[PurePosixPath(tree.get("path", "").removeprefix("/files"))] = keys
    return out


def _ports_sorted(iface: Interface) -> Interface:
    """ifcfg has no order for bridge ports or non-primary slaves: compare them sorted."""
    if iface.bridge is not None:
        ports = tuple(sorted((_ports_sorted(p) for p in iface.bridge.ports), key=lambda p: p.name))
        return replace(iface, bridge=replace(iface.bridge, ports=ports))
    if iface.bond is not None and iface.bond.primary is None:
        slaves = tuple(sorted(iface.bond.slaves, key=lambda p: p.name))
        return replace(iface, bond=replace(iface.bond, slaves=slaves))
    return iface


NETCF_CASES = sorted(p.stem for p in (NETCF / "redhat" / "schema").glob("*.xml")
                     if p.name != "schemas.xml") or ["absent"]  # fmt: skip


@pytest.mark.parametrize("case", NETCF_CASES)
def test_netcf_rhel_tree_keys_and_values_match(case: str) -> None:
    expected = _tree(_need(NETCF / "redhat" / "schema" / f"{case}.xml"))
    interfaces = xmlio.parse_file(NETCF / "interface" / f"{case}.xml")
    rendering = ifcfg_rh.render(interfaces, MemoryFiles())
    assert set(rendering.files) == set(expected)
    for path, keys in expected.items():
        ours = dict(ShellFile.parse(rendering.files[path]).items())
        if keys.get("BONDING_OPTS") == "":
            del keys["BONDING_OPTS"]
        for key, value in keys.items():
            assert ours.get(key) == value, f"{path}: {key}"
        assert set(ours) - set(keys) <= DELIBERATE_EXTRA, path
    assert rendering.warnings == ()


@pytest.mark.parametrize("case", NETCF_CASES)
def test_netcf_rhel_tree_reads_back_as_its_interface_xml(case: str) -> None:
    """netcf's other direction: its ifcfg files read back as the XML it came from."""
    expected = _tree(_need(NETCF / "redhat" / "schema" / f"{case}.xml"))
    files = MemoryFiles({p: "".join(f"{k}={v!r}\n" for k, v in keys.items()).encode()
                         for p, keys in expected.items()})  # fmt: skip
    result = ifcfg_rh.read_report(files)
    assert result.problems == []
    want = xmlio.parse_file(NETCF / "interface" / f"{case}.xml")
    assert [_ports_sorted(i) for i in result.interfaces] == [_ports_sorted(i) for i in want]


def test_netcf_bridge42_renders_bridge_and_port() -> None:
    [br] = xmlio.parse_file(_need(NETCF / "interface" / "bridge42.xml"))
    rendering = ifcfg_rh.render([br], MemoryFiles())
    port = dict(ShellFile.parse(rendering.files[DIR / "ifcfg-eth42"]).items())
    assert port == {"DEVICE": "eth42", "TYPE": "Ethernet", "ONBOOT": "yes", "MTU": "1500",
                    "BRIDGE": "br42"}  # fmt: skip


# ---------------------------------------------------------------------------------------
# NetworkManager's corpus.


def _nm_files() -> list[Path]:
    if not NM.is_dir():
        return []
    return sorted(p for p in NM.iterdir() if p.name.startswith("ifcfg-"))


def _one(path: Path) -> MemoryFiles:
    return MemoryFiles({DIR / path.name.replace(":", "_"): path.read_bytes()})


@pytest.mark.parametrize("path", _nm_files() or [NM / "absent"], ids=lambda p: p.name)
def test_nm_corpus_file_reads_and_round_trips(path: Path) -> None:
    files = _one(_need(path))
    first = ifcfg_rh.read_report(files)
    rendering = ifcfg_rh.render(first.interfaces, files)
    again = ifcfg_rh.read_report(MemoryFiles({**files.files, **rendering.files}))
    assert again.interfaces == first.interfaces


def test_nm_corpus_has_files() -> None:
    assert len(_nm_files() or _need(NM / "absent").iterdir()) > 150


@pytest.mark.parametrize(
    ("name", "expected_problem"),
    [("ifcfg-test-variables-corner-cases-1", "NAME: unterminated"),
     ("ifcfg-test-write-unknown-4", "IPADDR2: unterminated")],
)  # fmt: skip
def test_nm_malformed_lines_are_skipped_and_reported(name: str, expected_problem: str) -> None:
    result = ifcfg_rh.read_report(MemoryFiles({DIR / "ifcfg-eth0": _need(NM / name).read_bytes()}))
    assert any(expected_problem in p for p in result.problems), result.problems
    [eth0] = result.interfaces
    assert eth0.name == "eth0"


def _read_nm(*names: str) -> list[Interface]:
    files = MemoryFiles({DIR / n: _need(NM / n).read_bytes() for n in names})
    return ifcfg_rh.read_report(files).interfaces


def test_nm_bond_main_with_its_port() -> None:
    [bond] = _read_nm("ifcfg-test-bond-main", "ifcfg-test-bond-port-bond0")
    assert bond.type == IfType.BOND and bond.name == "bond0"
    assert bond.start_mode == StartMode.NONE
    assert bond.ipv4 == Protocol(Family.IPV4, dhcp=True)
    assert bond.bond is not None and bond.bond.miimon == MiiMon(100)
    # The port's own BOOTPROTO=dhcp "should be ignored" (NM's comment): a slave has none.
    [eth0] = bond.bond.slaves
    assert eth0 == Interface(IfType.ETHERNET, "eth0", mac="00:22:15:59:62:97")


def test_nm_bond_numeric_mode_and_ethernet_type() -> None:
    [numeric] = _read_nm("ifcfg-test-bond-mode-numeric")
    assert numeric.bond is not None and numeric.bond.mode == BondMode.LACP
    [eth_type] = _read_nm("ifcfg-test-bond-eth-type")
    assert eth_type.type == IfType.BOND and eth_type.bond is not None
    assert eth_type.bond.mode == BondMode.LACP and eth_type.bond.miimon == MiiMon(213)
    assert eth_type.bond.lacp_rate is not None and eth_type.bond.lacp_rate.value == "fast"


def test_nm_bridge_main_and_component() -> None:
    [br] = _read_nm("ifcfg-test-bridge-main", "ifcfg-test-bridge-component")
    assert br.bridge is not None
    assert (br.bridge.stp, br.bridge.delay, br.mac) == (True, 2.0, "00:16:41:11:22:33")
    assert [p.name for p in br.bridge.ports] == ["eth0"]
    assert br.bridge.ports[0].mac == "00:22:15:59:62:97"


@pytest.mark.parametrize(
    ("name", "vlan", "address"),
    [
        ("ifcfg-test-vlan-interface", Interface(IfType.VLAN, "vlan43", vlan=Vlan(43, "eth9")),
         IpAddress("192.168.43.149", 24)),
        ("ifcfg-test-vlan-only-device", Interface(IfType.VLAN, "eth0.9", vlan=Vlan(9, "eth0")),
         None),
        ("ifcfg-test-vlan-physdev", Interface(IfType.VLAN, "vlan0.3", vlan=Vlan(3, "eth0")),
         None),
        ("ifcfg-test-vlan-reorder-hdr-1",
         Interface(IfType.VLAN, "vlan0.3", vlan=Vlan(3, "eth0", reorder_hdr=False)), None),
        ("ifcfg-test-vlan-flags-1",
         Interface(IfType.VLAN, "super-vlan", vlan=Vlan(44, "eth9", reorder_hdr=True)),
         IpAddress("192.168.43.149", 24)),
        ("ifcfg-test-vlan-trailing-spaces",
         Interface(IfType.VLAN, "vlan201", vlan=Vlan(201, "enccw0.0.fb00")),
         IpAddress("10.130.70.7", 16)),
        ("ifcfg-test-vlan-vlanid-use",
         Interface(IfType.VLAN, "eth0.9", vlan=Vlan(10, "eth0")), None),
    ],
)  # fmt: skip
def test_nm_vlans(name: str, vlan: Interface, address: IpAddress | None) -> None:
    [got] = _read_nm(name)
    assert (got.type, got.name, got.vlan) == (vlan.type, vlan.name, vlan.vlan)
    assert (got.ipv4.addresses if got.ipv4 else ()) == ((address,) if address else ())


def test_nm_wired_static_with_ipv6() -> None:
    [eth] = _read_nm("ifcfg-test-wired-static")
    assert (eth.mtu, eth.mac, eth.start_mode) == (1492, "00:11:22:33:44:ee", StartMode.ONBOOT)
    assert eth.ipv4 == Protocol(Family.IPV4, addresses=(IpAddress("192.168.1.5", 24),),
                                gateway="192.168.1.1")  # fmt: skip
    assert eth.ipv6 == Protocol(Family.IPV6, addresses=(IpAddress("dead:beaf::1"),
                                                        IpAddress("dead:beaf::2", 56)))  # fmt: skip


def test_nm_wifi_and_team_files_are_reported_not_modeled() -> None:
    result = ifcfg_rh.read_report(_one(_need(NM / "ifcfg-test-wifi-open")))
    assert result.interfaces == []
    assert any("TYPE=Wireless" in p for p in result.problems)


# ---------------------------------------------------------------------------------------
# initscripts' own examples.

INITSCRIPTS = ANCHORS / "initscripts" / "doc" / "examples"


@pytest.mark.parametrize(
    ("name", "mode", "check"),
    [("ifcfg-bond-802.3ad", BondMode.LACP, "lacp"),
     ("ifcfg-bond-activebackup-arpmon", BondMode.ACTIVE_BACKUP, "arp"),
     ("ifcfg-bond-activebackup-miimon", BondMode.ACTIVE_BACKUP, "mii")],
)  # fmt: skip
def test_initscripts_bond_examples(name: str, mode: BondMode, check: str) -> None:
    files = MemoryFiles({DIR / "ifcfg-bond0": _need(INITSCRIPTS / name).read_bytes()})
    [bond] = ifcfg_rh.read_files(files)
    assert bond.type == IfType.BOND and bond.bond is not None and bond.bond.mode == mode
    assert bond.ipv4 == Protocol(Family.IPV4, addresses=(IpAddress("192.168.1.4", 24),),
                                 gateway="192.168.1.1")  # fmt: skip
    if check == "arp":
        assert bond.bond.arpmon is not None and bond.bond.arpmon.targets == ("192.168.1.1",)
    if check == "mii":
        assert bond.bond.miimon == MiiMon(500)


def test_initscripts_bond_with_slave_bridge_with_port_and_vlan() -> None:
    ex = _need(INITSCRIPTS)
    files = MemoryFiles({
        DIR / "ifcfg-bond0": (ex / "ifcfg-bond-activebackup-miimon").read_bytes(),
        DIR / "ifcfg-eth0": (ex / "ifcfg-bond-slave").read_bytes(),
        DIR / "ifcfg-br0": (ex / "ifcfg-bridge").read_bytes(),
        DIR / "ifcfg-eth1": (ex / "ifcfg-bridge-port").read_bytes(),
        DIR / "ifcfg-eth0.122": (ex / "ifcfg-vlan").read_bytes(),
        DIR / "ifcfg-eth0:0": (ex / "ifcfg-eth-alias").read_bytes(),
    })  # fmt: skip
    got = {i.name: i for i in ifcfg_rh.read_files(files)}
    assert sorted(got) == ["bond0", "br0", "eth0.122"]
    assert got["bond0"].bond is not None
    assert [s.name for s in got["bond0"].bond.slaves] == ["eth0"]
    assert got["br0"].bridge is not None and got["br0"].bridge.delay == 0.0
    assert [(p.name, p.mac) for p in got["br0"].bridge.ports] == [("eth1", "00:11:22:33:44:55")]
    assert got["eth0.122"].vlan == Vlan(122, "eth0")


def test_initscripts_examples_all_read_without_problems_that_abort() -> None:
    for path in sorted(_need(INITSCRIPTS).glob("ifcfg-*")):
        ifcfg_rh.read_report(MemoryFiles({DIR / "ifcfg-x": path.read_bytes()}))


# ---------------------------------------------------------------------------------------
# Merging.

EXISTING = b"""# Intel Corporation 82540EP Gigabit Ethernet Controller
TYPE=Ethernet
DEVICE=eth0
NAME="System eth0"
UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03
NM_CONTROLLED=yes
ETHTOOL_OPTS="-K eth0 gro off"
BOOTPROTO=none
ONBOOT=yes
IPADDR=192.168.1.5
NETMASK=255.255.255.0
IPADDR1=10.0.0.9
PREFIX1=8
GATEWAY=192.168.1.1
# keep me
"""


def test_merge_keeps_unmodeled_lines_byte_identical_and_changes_only_modeled_keys() -> None:
    files = MemoryFiles({DIR / "ifcfg-lan": EXISTING})
    ipv4 = Protocol(Family.IPV4, addresses=(IpAddress("192.168.1.7", 24),))
    eth = Interface(IfType.ETHERNET, "eth0", start_mode=StartMode.ONBOOT, mtu=9000,
                    protocols=(ipv4,))  # fmt: skip
    rendering = ifcfg_rh.render([eth], files)
    # The file that already describes DEVICE=eth0 is edited, whatever its name.
    assert list(rendering.files) == [DIR / "ifcfg-lan"]
    text = rendering.files[DIR / "ifcfg-lan"].decode()
    for line in EXISTING.decode().splitlines():
        if line.split("=")[0] in ("IPADDR", "IPADDR1", "PREFIX1", "GATEWAY"):
            continue
        assert line in text.splitlines()
    assert "IPADDR=192.168.1.7\n" in text
    assert "NETMASK=255.255.255.0\n" in text  # the admin's NETMASK style is kept
    assert "IPADDR1" not in text and "PREFIX1" not in text and "GATEWAY" not in text
    assert text.endswith("# keep me\nMTU=9000\n")


def test_merge_keeps_unmodeled_bonding_options_and_the_admins_mode_spelling() -> None:
    existing = b'DEVICE=bond0\nBONDING_OPTS="mode=4 miimon=100 lacp_active=on"\n'
    files = MemoryFiles({DIR / "ifcfg-bond0": existing})
    [bond] = ifcfg_rh.read_files(files)
    assert bond.bond is not None
    new = replace(bond, bond=replace(bond.bond, miimon=MiiMon(200, carrier=Carrier.NETIF)))
    text = ifcfg_rh.render([new], files).files[DIR / "ifcfg-bond0"].decode()
    assert 'BONDING_OPTS="mode=4 miimon=200 use_carrier=1 lacp_active=on"' in text


def test_merge_turns_a_former_slave_into_a_standalone_device() -> None:
    files = MemoryFiles({DIR / "ifcfg-eth0": b"DEVICE=eth0\nMASTER=bond0\nSLAVE=yes\nUUID=x\n",
                         DIR / "ifcfg-bond0": b"DEVICE=bond0\nBONDING_OPTS=mode=1\n"})  # fmt: skip
    text = ifcfg_rh.render([Interface(IfType.ETHERNET, "eth0")], files).files[DIR / "ifcfg-eth0"]
    assert text == b"DEVICE=eth0\nUUID=x\n"


def test_a_lone_slave_file_whose_bond_has_no_file_is_written_back_unchanged() -> None:
    """The reader reports the missing bond and reads eth0 as top level; its file stays."""
    data = b"DEVICE=eth0\nMASTER=bond0\nSLAVE=yes\nUUID=x\n"
    files = MemoryFiles({DIR / "ifcfg-eth0": data})
    rendering = ifcfg_rh.render(ifcfg_rh.read_files(files), files)
    assert rendering.files[DIR / "ifcfg-eth0"] == data


def test_vlan_reorder_hdr_off_writes_both_nm_and_initscripts_keys() -> None:
    vlan = Interface(IfType.VLAN, "eth0.5", vlan=Vlan(5, "eth0", reorder_hdr=False))
    files = MemoryFiles({DIR / "ifcfg-eth0.5": b"DEVICE=eth0.5\nVLAN_FLAGS=GVRP\n"})
    sf = ShellFile.parse(ifcfg_rh.render([vlan], files).files[DIR / "ifcfg-eth0.5"])
    assert (sf.get("REORDER_HDR"), sf.get("VLAN_FLAGS")) == ("no", "GVRP,NO_REORDER_HDR")
    [back] = ifcfg_rh.read_files(MemoryFiles({DIR / "ifcfg-eth0.5": sf.to_bytes()}))
    assert back.vlan == vlan.vlan


def test_hotplug_start_mode_is_onboot_no_hotplug_yes() -> None:
    eth = Interface(IfType.ETHERNET, "eth0", start_mode=StartMode.HOTPLUG)
    data = ifcfg_rh.render([eth], MemoryFiles()).files[DIR / "ifcfg-eth0"]
    assert b"ONBOOT=no\nHOTPLUG=yes\n" in data
    assert ifcfg_rh.read_files(MemoryFiles({DIR / "ifcfg-eth0": data})) == [eth]


def test_vlan_name_without_tag_warns_for_initscripts() -> None:
    vlan = Interface(IfType.VLAN, "tenant", vlan=Vlan(100, "bond0"))
    rendering = ifcfg_rh.render([vlan], MemoryFiles())
    assert any("VLAN_ID=100" in w.message for w in rendering.warnings)


# ---------------------------------------------------------------------------------------
# Undefine, detect, activate.


def _bond_on_disk() -> MemoryFiles:
    [bond] = xmlio.parse_file(_need(NETCF / "interface" / "bridge-bond.xml"))
    files = ifcfg_rh.render([bond], MemoryFiles()).files
    return MemoryFiles({**files, DIR / "ifcfg-eth9": b"DEVICE=eth9\n"})


def test_undefine_removes_the_interface_and_all_its_subordinates() -> None:
    rendering = ifcfg_rh.undefine(["br0"], _bond_on_disk())
    assert sorted(p.name for p in rendering.removed) == [
        "ifcfg-bond0", "ifcfg-br0", "ifcfg-eth0", "ifcfg-eth1", "ifcfg-eth2"]  # fmt: skip


def test_undefine_of_an_unknown_name_warns() -> None:
    rendering = ifcfg_rh.undefine(["nope0"], _bond_on_disk())
    assert not rendering.removed and "nope0" in str(rendering.warnings[0])


def _host_with(tmp_path: Path, files: MemoryFiles, nm: bool) -> Host:
    for path, data in files.files.items():
        target = tmp_path / str(path).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if nm:
        (tmp_path / "run/NetworkManager").mkdir(parents=True)
    return Host(root=tmp_path)


def test_detect_and_initscripts_activation(tmp_path: Path) -> None:
    host = _host_with(tmp_path, _bond_on_disk(), nm=False)
    assert ifcfg_rh.detect(host)
    assert ifcfg_rh.activate(host, ["br0"]) == [
        ["ifdown", "br0"], ["ifup", "br0"], ["ifup", "bond0"], ["ifup", "eth2"]]  # fmt: skip


def test_nmcli_activation_where_networkmanager_runs(tmp_path: Path) -> None:
    host = _host_with(tmp_path, _one(_need(NM / "ifcfg-test-wired-static")), nm=True)
    argv = ifcfg_rh.activate(host, ["eth0"])
    assert argv == [["nmcli", "connection", "load", str(DIR / "ifcfg-test-wired-static")],
                    ["nmcli", "connection", "up", "id", "System eth0"]]  # fmt: skip


def test_detect_is_false_without_ifcfg_files(tmp_path: Path) -> None:
    assert not ifcfg_rh.detect(Host(root=tmp_path))
