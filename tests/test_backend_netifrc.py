"""Gentoo netifrc (/etc/conf.d/net): netcf's interfaces round-tripped, netifrc's own
spellings read, merging into the shared file, VLAN naming, start mode, undefine, activate."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.backends import netifrc
from ifsmith.core import xmlio
from ifsmith.core.files import MemoryFiles, UnsafeValue
from ifsmith.core.host import Host
from ifsmith.core.model import (
    ArpMon,
    Bond,
    BondMode,
    Bridge,
    Family,
    IfType,
    Interface,
    IpAddress,
    MiiMon,
    Protocol,
    Route,
    StartMode,
    Vlan,
)

ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
NETCF = ANCHORS / "netcf" / "tests" / "interface"
CONF = netifrc.CONF
NETCF_CASES = sorted(p.stem for p in NETCF.glob("*.xml") if p.name != "schemas.xml") or ["absent"]


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/anchors not beside the checkout)")
    return path


def _with_services(files: dict[PurePosixPath, bytes], tops: list[Interface]) -> MemoryFiles:
    """The files plus the OpenRC links an admin makes for each start mode (what the
    render warnings tell them to run)."""
    out = dict(files)
    for top in tops:
        owner = (top.vlan.parent or "") if top.vlan else top.name
        if top.start_mode in (StartMode.ONBOOT, StartMode.NONE):
            out[PurePosixPath(f"/etc/init.d/net.{owner}")] = b""
        if top.start_mode == StartMode.ONBOOT:
            out[PurePosixPath(f"/etc/runlevels/default/net.{owner}")] = b""
    return MemoryFiles(out)


@pytest.mark.parametrize("case", NETCF_CASES)
def test_netcf_interfaces_round_trip(case: str) -> None:
    [want] = xmlio.parse_file(_need(NETCF / f"{case}.xml"))
    rendering = netifrc.render([want], MemoryFiles())
    result = netifrc.read_report(_with_services(dict(rendering.files), [want]))
    assert result.problems == []
    [got] = result.interfaces
    # Not expressible, and said so: SLAAC off (warned; the kernel default is on).
    # peerdns="yes" is netifrc's default (no "nodns"), so it reads back as unset.
    protocols = []
    for p in want.protocols:
        if p.family == Family.IPV6:
            assert any("IPv6 autoconf" in w.message for w in rendering.warnings) or p.autoconf
            if not (p.dhcp or p.addresses or p.gateway):
                continue  # link-local only is the kernel's default: nothing to write
            p = replace(p, autoconf=True)
        if p.peerdns:
            p = replace(p, peerdns=None)
        protocols.append(p)
    assert got == replace(want, protocols=tuple(protocols))


def test_bond_variables_follow_bonding_sh() -> None:
    [bond] = xmlio.parse_file(_need(NETCF / "bond-arp.xml"))
    text = netifrc.render([bond], MemoryFiles()).files[CONF].decode()
    assert text == (
        'config_bond0="192.168.50.7/24"\n'
        'routes_bond0="default via 192.168.50.1"\n'
        'slaves_bond0="eth1 eth0"\n'
        'mode_bond0="active-backup"\n'
        'primary_bond0="eth1"\n'
        'arp_interval_bond0="100"\n'
        'arp_ip_target_bond0="192.168.50.1"\n'
        'arp_validate_bond0="active"\n'
        'config_eth1="null"\n'
        'config_eth0="null"\n'
    )


GENTOO = b"""# /etc/conf.d/net
modules="iproute2"
dns_servers_eth0="192.0.2.53"

config_eth0="null"
config_eth1="null"
slaves_bond0="eth0 eth1"
mode_bond0="802.3ad"
miimon_bond0="100"
xmit_hash_policy_bond0="layer3+4"
lacp_rate_bond0="fast"
arp_ip_target_bond0="192.0.2.1 192.0.2.2"
config_bond0="null"
vlans_bond0="100 200"
bond0_vlan200_name="tenant"
bond0_vlan200_flags="reorder_hdr off"
config_bond0_100="192.0.2.5/24
2001:db8::5/64 nodad"
routes_bond0_100="default via 192.0.2.1
10.0.0.0/8 via 192.0.2.254
default via 2001:db8::1"
config_tenant="dhcp"
dhcp_tenant="nodns nontp"
config_br0="198.51.100.1 netmask 255.255.255.0"
bridge_br0="eth2"
stp_state_br0="1"
bridge_forward_delay_br0="1500"
mtu_br0="9000"
mac_eth2="random-ending"
config_eth2="null"
config_old=( "192.0.2.9/24" )
"""


def test_reads_netifrc_spellings() -> None:
    files = MemoryFiles({CONF: GENTOO, PurePosixPath("/etc/runlevels/default/net.bond0"): b"",
                         PurePosixPath("/etc/init.d/net.br0"): b""})  # fmt: skip
    result = netifrc.read_report(files)
    got = {i.name: i for i in result.interfaces}
    assert sorted(got) == ["bond0", "bond0.100", "br0", "tenant"]
    bond = got["bond0"]
    assert bond.start_mode == StartMode.ONBOOT and bond.bond is not None
    assert [s.name for s in bond.bond.slaves] == ["eth0", "eth1"]
    assert (bond.bond.mode, bond.bond.miimon) == (BondMode.LACP, MiiMon(100))
    assert bond.bond.xmit_hash_policy is not None and bond.bond.lacp_rate is not None
    assert bond.bond.arpmon is None  # no arp_interval: the targets alone do nothing
    v100 = got["bond0.100"]
    assert v100.vlan == Vlan(100, "bond0") and v100.start_mode == StartMode.ONBOOT
    assert v100.ipv4 == Protocol(Family.IPV4, addresses=(IpAddress("192.0.2.5", 24),),
                                 gateway="192.0.2.1",
                                 routes=(Route("10.0.0.0", 8, "192.0.2.254"),))  # fmt: skip
    assert v100.ipv6 == Protocol(Family.IPV6, autoconf=True,
                                 addresses=(IpAddress("2001:db8::5", 64),),
                                 gateway="2001:db8::1")  # fmt: skip
    tenant = got["tenant"]
    assert tenant.vlan == Vlan(200, "bond0", reorder_hdr=False)
    assert tenant.ipv4 == Protocol(Family.IPV4, dhcp=True, peerdns=False)
    br = got["br0"]
    assert br.bridge is not None
    assert (br.bridge.stp, br.bridge.delay, br.mtu, br.start_mode) == (
        True, 15.0, 9000, StartMode.NONE)  # fmt: skip
    assert br.bridge.ports == (Interface(IfType.ETHERNET, "eth2"),)
    assert br.ipv4 is not None and br.ipv4.addresses == (IpAddress("198.51.100.1", 24),)
    # A bash array is not something a POSIX sh could read, and not something we guess at;
    # a macchanger mode is not an address.
    assert any("config_old" in p and "shell syntax" in p for p in result.problems)
    assert any("mac_eth2" in p for p in result.problems)


def test_merge_keeps_the_rest_of_the_shared_file() -> None:
    files = MemoryFiles({CONF: GENTOO})
    br = Interface(IfType.BRIDGE, "br0", mtu=1500,
                   protocols=(Protocol(Family.IPV4, dhcp=True),),
                   bridge=Bridge(stp=False, delay=2.0,
                                 ports=(Interface(IfType.ETHERNET, "eth2"),)))  # fmt: skip
    text = netifrc.render([br], files).files[CONF].decode()
    old = GENTOO.decode().splitlines()
    new = text.splitlines()
    changed = {"config_br0", "stp_state_br0", "bridge_forward_delay_br0", "mtu_br0", "mtu_eth2"}
    assert [ln for ln in old if ln.split("=")[0] not in changed] == [
        ln for ln in new if ln.split("=")[0] not in changed | {"bridge_stp_state_br0"}
    ]
    assert 'config_br0="dhcp"' in new and 'mtu_br0="1500"' in new
    assert 'bridge_forward_delay_br0="200"' in new  # centiseconds, as sysfs takes them
    assert 'bridge_stp_state_br0="0"' in new and "stp_state_br0" not in "\n".join(
        ln for ln in new if not ln.startswith("bridge_")
    )


def test_vlan_with_its_own_name_and_reorder_flag_on_a_bond() -> None:
    vlan = Interface(IfType.VLAN, "tenant", start_mode=StartMode.ONBOOT,
                     vlan=Vlan(300, "bond0", reorder_hdr=False))  # fmt: skip
    rendering = netifrc.render([vlan], MemoryFiles({CONF: GENTOO}))
    text = rendering.files[CONF].decode()
    assert 'vlans_bond0="100 200 300"' in text
    assert 'bond0_vlan300_name="tenant"\nbond0_vlan300_flags="reorder_hdr off"' in text
    assert any("rc-update add net.bond0 default" in w.message for w in rendering.warnings)


def test_bridge_over_a_bond_depends_on_the_bond_service() -> None:
    [br] = xmlio.parse_file(_need(NETCF / "bridge-bond.xml"))
    text = netifrc.render([br], MemoryFiles()).files[CONF].decode()
    assert 'rc_net_br0_need="net.bond0"' in text


def test_names_that_collide_as_shell_variables_are_refused() -> None:
    a = Interface(IfType.ETHERNET, "eth0.42")
    b = Interface(IfType.ETHERNET, "eth0_42")
    with pytest.raises(UnsafeValue, match="eth0_42"):
        netifrc.render([a, b], MemoryFiles())


def test_the_written_file_is_valid_posix_sh(tmp_path: Path) -> None:
    vlan = Interface(IfType.VLAN, "eth0.7", label="tenant's \"blue\" $net",
                     protocols=(Protocol(Family.IPV4, addresses=(IpAddress("192.0.2.5", 24),
                                                                 IpAddress("192.0.2.6", 24))),),
                     vlan=Vlan(7, "eth0"))  # fmt: skip
    conf = tmp_path / "net"
    conf.write_bytes(netifrc.render([vlan], MemoryFiles()).files[CONF])
    out = subprocess.run(["sh", "-c", '. ./net; printf %s "$config_eth0_7"'], cwd=tmp_path,
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout == "192.0.2.5/24\n192.0.2.6/24"


def test_undefine_removes_bond_and_slaves_but_not_other_interfaces() -> None:
    files = MemoryFiles({CONF: GENTOO})
    text = netifrc.undefine(["bond0"], files).files[CONF].decode()
    for gone in ("slaves_bond0", "mode_bond0", "config_bond0=", "config_eth0", "config_eth1"):
        assert gone not in text
    # Its VLANs are separate interfaces: their variables stay until they are undefined.
    assert 'vlans_bond0="100 200"' in text and "config_bond0_100" in text
    assert "dns_servers_eth0" not in text  # eth0's own setting goes with it
    assert 'modules="iproute2"' in text and "config_br0" in text


def test_undefine_a_vlan_drops_its_tag() -> None:
    text = netifrc.undefine(["tenant"], MemoryFiles({CONF: GENTOO})).files[CONF].decode()
    assert 'vlans_bond0="100"' in text
    assert "tenant" not in text and "bond0_vlan200" not in text


def test_detect_and_activate(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    assert not netifrc.detect(host)
    (tmp_path / "etc/init.d").mkdir(parents=True)
    (tmp_path / "etc/init.d/net.lo").write_text("#!/sbin/openrc-run\n")
    (tmp_path / "etc/init.d/net.bond0").symlink_to("net.lo")
    (tmp_path / "etc/conf.d").mkdir(parents=True)
    (tmp_path / "etc/conf.d/net").write_bytes(GENTOO)
    assert netifrc.detect(host)
    assert netifrc.activate(host, ["tenant", "bond0", "br0"]) == [
        ["/etc/init.d/net.bond0", "restart"],
        ["ln", "-s", "net.lo", "/etc/init.d/net.br0"],
        ["/etc/init.d/net.br0", "restart"],
    ]
    assert {i.name for i in netifrc.read(host)} == {"bond0", "bond0.100", "br0", "tenant"}


def test_every_bond_option_round_trips() -> None:
    from ifsmith.core.model import ArpValidate, Carrier, LacpRate, XmitHashPolicy

    slaves = (Interface(IfType.ETHERNET, "eth0"), Interface(IfType.ETHERNET, "eth1"))
    for bond in (
        Bond(BondMode.ACTIVE_BACKUP, miimon=MiiMon(100, 200, 300, Carrier.NETIF), slaves=slaves),
        Bond(BondMode.BALANCE_XOR, arpmon=ArpMon(500, ("192.0.2.1", "192.0.2.2"),
                                                 ArpValidate.ALL), slaves=slaves),
        Bond(BondMode.LACP, miimon=MiiMon(100), xmit_hash_policy=XmitHashPolicy.LAYER3_4,
             lacp_rate=LacpRate.FAST, slaves=slaves),
    ):  # fmt: skip
        iface = Interface(IfType.BOND, "bond0", bond=bond)
        [back] = netifrc.read_files(MemoryFiles(netifrc.render([iface], MemoryFiles()).files))
        assert back == iface
