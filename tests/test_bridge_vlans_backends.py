"""VLAN-aware bridges in systemd-networkd, NetworkManager keyfiles and ifcfg-rh (issue 10):
each writes them in its own idiom, reads them back, merges them into an admin's files keeping
every other key, and names what it cannot say; the real tools take the files (nmcli --offline;
systemd-networkd and NetworkManager in user-mode Linux, read back by ``bridge -j vlan
show``).  netplan, which has no VLAN filtering: test_netplan_bridge_ports."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ifsmith import backends
from ifsmith.backends import bridge_vlans, networkd, nm_keyfile
from ifsmith.backends.keyfile_ini import KeyFile
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Interface
from ifsmith.core.options import PVID_NONE, PortOptions
from ifsmith.core.xmlio import parse, to_xml
from tests.test_bridge_vlans_xml import FULL, doc
from tests.umlhost import UML

ND = "/etc/systemd/network/"
NM = "/etc/NetworkManager/system-connections/"
NMCLI = shutil.which("nmcli")
CARRY = ["networkd", "nm-keyfile", "ifcfg-rh"]


def carries(name: str) -> bool:
    return "bridge-vlans" in getattr(backends.get(name), "CARRIES", ())


def xml(interfaces: list[Interface]) -> list[str]:
    return [to_xml(i) for i in interfaces]


def round_trip(name: str, text: str) -> tuple[dict[str, bytes], list[Interface], list[str]]:
    backend = backends.get(name)
    first = backends.render(backend, parse(text), MemoryFiles())
    assert not [w for w in first.warnings if "not written" in str(w)], first.warnings
    files = {str(p): d for p, d in first.files.items()}
    report = backend.read_report(MemoryFiles(files))
    return files, report.interfaces, report.problems


@pytest.mark.parametrize("name", CARRY)
def test_the_full_document_reads_back_and_renders_again_byte_for_byte(name: str) -> None:
    files, back, problems = round_trip(name, FULL)
    assert problems == []
    assert xml(back) == [FULL]
    again = backends.get(name).render(back, MemoryFiles(files))
    assert {str(p): d for p, d in again.files.items()} == files


def test_networkd_writes_filtering_default_pvid_and_bridgevlan_sections() -> None:
    files, _back, _problems = round_trip("networkd", FULL)
    netdev = files[ND + "10-ifsmith-br0.netdev"].decode()
    assert "[Bridge]\nSTP=no\nVLANFiltering=yes\nDefaultPVID=none\n" in netdev
    # The bridge device's own VLANs, and the kernel's untagged 1 it would have had.
    assert (
        files[ND + "10-ifsmith-br0.network"]
        .decode()
        .endswith(
            "[BridgeVLAN]\nVLAN=10\n\n[BridgeVLAN]\nVLAN=20\n\n"
            "[BridgeVLAN]\nPVID=1\nEgressUntagged=1\n"
        )
    )
    assert (
        files[ND + "10-ifsmith-eth0.network"]
        .decode()
        .endswith(
            "[BridgeVLAN]\nVLAN=10\nPVID=10\nEgressUntagged=10\n\n"
            "[BridgeVLAN]\nVLAN=20\n\n[BridgeVLAN]\nVLAN=100-199\n"
        )
    )
    assert "BridgeVLAN" not in files[ND + "10-ifsmith-eth1.network"].decode()  # pvid none


def test_networkd_gives_a_port_without_a_pvid_of_its_own_the_kernels_1() -> None:
    """networkd only adds VLANs to a port, so a pvid other than 1 makes the bridge's
    default none (else the port keeps VLAN 1 too); a port left unset then says 1 itself,
    which reads back as unset."""
    text = doc(" ifsmith:vlan-filtering='on'", " ifsmith:vlans='10 20' ifsmith:pvid='20'")
    files, back, problems = round_trip("networkd", text)
    assert "DefaultPVID=none" in files[ND + "10-ifsmith-br0.netdev"].decode()
    assert (
        files[ND + "10-ifsmith-eth1.network"]
        .decode()
        .endswith("[BridgeVLAN]\nPVID=1\nEgressUntagged=1\n")
    )
    assert xml(back) == [text] and problems == []


def test_a_bridge_whose_ports_keep_the_default_pvid_leaves_the_default_alone() -> None:
    text = doc(" ifsmith:vlan-filtering='on'", " ifsmith:vlans='10 20'")
    for name in CARRY:
        files, back, problems = round_trip(name, text)
        keys = (b"DefaultPVID", b"vlan-default-pvid", b"default_pvid")
        assert not any(key in d for d in files.values() for key in keys)
        assert xml(back) == [text] and problems == []


def test_nm_keyfile_writes_the_lists_as_nmcli_does() -> None:
    files, _back, _problems = round_trip("nm-keyfile", FULL)
    br0 = KeyFile.parse(files[NM + "br0.nmconnection"])
    assert br0.get("bridge", "vlan-filtering") == "true"
    assert br0.get("bridge", "vlan-default-pvid") == "0"
    assert br0.get("bridge", "vlans") == "1 pvid untagged,10,20"
    eth0 = KeyFile.parse(files[NM + "eth0.nmconnection"])
    assert eth0.get("bridge-port", "vlans") == "10 pvid untagged,20,100-199"
    eth1 = KeyFile.parse(files[NM + "eth1.nmconnection"])
    assert eth1.get("bridge-port", "vlans") is None


def test_a_pvid_inside_a_range_is_split_out_of_it_and_reads_back() -> None:
    text = doc(" ifsmith:vlan-filtering='on'", " ifsmith:vlans='100-199' ifsmith:pvid='150'")
    files, back, problems = round_trip("nm-keyfile", text)
    eth0 = KeyFile.parse(files[NM + "eth0.nmconnection"])
    assert eth0.get("bridge-port", "vlans") == "100-149,150 pvid untagged,151-199"
    assert xml(back) == [text] and problems == []
    files, back, problems = round_trip("networkd", text)
    assert (
        files[ND + "10-ifsmith-eth0.network"]
        .decode()
        .endswith("[BridgeVLAN]\nVLAN=100-199\nPVID=150\nEgressUntagged=150\n")
    )
    assert xml(back) == [text] and problems == []


# ---------------------------------------------------------------------------------------
# An admin's files: other keys stay, a list that says the same in other words stays.

ADMIN_NETDEV = b"""\
# br0 for the VMs
[NetDev]
Name=br0
Kind=bridge

[Bridge]
STP=no
VLANFiltering=1
DefaultPVID=none
VLANProtocol=802.1q
"""
ADMIN_BR0 = b"""\
[Match]
Name=br0

[Network]
LinkLocalAddressing=no
ConfigureWithoutCarrier=yes

[BridgeVLAN]
VLAN=10
VLAN=20
PVID=1
EgressUntagged=1
"""
ADMIN_ETH0 = b"""\
[Match]
Name=eth0

[Link]
RequiredForOnline=no

[Network]
Bridge=br0
LinkLocalAddressing=no

[BridgeVLAN]
# the trunk
VLAN=20
VLAN=100-149
VLAN=150-199

[BridgeVLAN]
PVID=10
EgressUntagged=10
VLAN=10
"""
ADMIN_ETH1 = b"[Match]\nName=eth1\n\n[Network]\nBridge=br0\nLinkLocalAddressing=no\n"


def admin_networkd() -> MemoryFiles:
    return MemoryFiles({
        ND + "br0.netdev": ADMIN_NETDEV,
        ND + "br0.network": ADMIN_BR0,
        ND + "eth0.network": ADMIN_ETH0,
        ND + "eth1.network": ADMIN_ETH1,
    })  # fmt: skip


def test_networkd_reads_an_admins_files_and_an_unchanged_round_trip_changes_no_byte() -> None:
    files = admin_networkd()
    report = networkd.read_report(files)
    assert report.problems == []
    assert xml(report.interfaces) == [FULL]
    again = networkd.render(report.interfaces, files)
    assert {p: d for p, d in again.files.items() if d != files.read(p)} == {}


def test_networkd_changes_only_the_vlan_sections_and_keeps_the_admins_keys() -> None:
    files = admin_networkd()
    text = FULL.replace("ifsmith:vlans='10 20 100-199' ifsmith:pvid='10'", "ifsmith:vlans='10 30'")
    text = text.replace(" ifsmith:pvid='none'", "")  # no port without a pvid: default back
    rendering = networkd.render(parse(text), files)
    changed = {str(p): d.decode() for p, d in rendering.files.items() if d != files.read(p)}
    assert changed[ND + "eth0.network"] == (
        "[Match]\nName=eth0\n\n[Link]\nRequiredForOnline=no\n\n[Network]\nBridge=br0\n"
        "LinkLocalAddressing=no\n\n[BridgeVLAN]\nVLAN=10\n\n[BridgeVLAN]\nVLAN=30\n"
    )
    # DefaultPVID=none goes: no port needs it; the admin's other keys stay.
    assert changed[ND + "br0.netdev"] == ADMIN_NETDEV.decode().replace("DefaultPVID=none\n", "")
    assert changed[ND + "br0.network"].startswith(ADMIN_BR0.decode().split("[BridgeVLAN]")[0])
    assert changed[ND + "br0.network"].endswith("[BridgeVLAN]\nVLAN=10\n\n[BridgeVLAN]\nVLAN=20\n")
    back = networkd.read_report(MemoryFiles({**files.files, **rendering.files}))
    assert xml(back.interfaces) == [text] and back.problems == []


def test_networkd_names_what_the_model_cannot_hold() -> None:
    eth0 = ADMIN_ETH0 + b"\n[BridgeVLAN]\nEgressUntagged=300-301\n"
    eth0 = eth0.replace(b"PVID=10\nEgressUntagged=10\n", b"PVID=10\n")
    files = admin_networkd()
    files.files[Path(ND + "eth0.network")] = eth0  # type: ignore[index]
    report = networkd.read_report(files)
    said = "\n".join(report.problems)
    assert "VLAN 300-301 leaves untagged but is not the pvid" in said
    assert "pvid 10 leaves tagged" in said
    port = report.interfaces[0].bridge.ports[0]  # type: ignore[union-attr]
    assert port.port_options == PortOptions(vlans="10 20 100-199 300-301", pvid=10)


def test_an_admins_default_pvid_of_1_stays_as_written() -> None:
    netdev = ADMIN_NETDEV.replace(b"DefaultPVID=none", b"DefaultPVID=1")
    text = doc(" ifsmith:vlan-filtering='on'", " ifsmith:vlans='10 20'")
    files = MemoryFiles({ND + "br0.netdev": netdev, ND + "eth0.network": ADMIN_ETH0})
    rendering = networkd.render(parse(text), files)
    assert rendering.files[Path(ND + "br0.netdev")] == netdev  # type: ignore[index]


def test_an_admins_numeric_default_pvid_is_every_silent_ports_pvid() -> None:
    netdev = ADMIN_NETDEV.replace(b"DefaultPVID=none", b"DefaultPVID=5")
    files = admin_networkd()
    files.files[Path(ND + "br0.netdev")] = netdev  # type: ignore[index]
    files.files[Path(ND + "br0.network")] = ADMIN_BR0.replace(  # type: ignore[index]
        b"PVID=1\nEgressUntagged=1\n", b""
    )
    ports = networkd.read_report(files).interfaces[0].bridge.ports  # type: ignore[union-attr]
    assert [p.port_options.pvid for p in ports] == [10, 5]
    nm = {
        NM + "br0.nmconnection": b"[connection]\nid=br0\ntype=bridge\ninterface-name=br0\n\n"
        b"[bridge]\nstp=false\nvlan-filtering=true\nvlan-default-pvid=5\n",
        NM + "eth1.nmconnection": b"[connection]\nid=eth1\ntype=ethernet\ninterface-name=eth1\n"
        b"master=br0\nslave-type=bridge\n",
    }
    nm_files = MemoryFiles(nm)
    (br0,) = nm_keyfile.read_report(nm_files).interfaces
    assert br0.bridge.ports[0].port_options == PortOptions(pvid=5)  # type: ignore[union-attr]
    again = nm_keyfile.render([br0], nm_files)
    assert {p: d for p, d in again.files.items() if d != nm_files.read(p)} == {}


ADMIN_NM_BR0 = b"""\
[connection]
id=VM bridge
uuid=0b9e6f0e-5f55-4a3e-9a43-5a6c2f1c9f10
type=bridge
interface-name=br0

[bridge]
stp=false
vlan-filtering=true
vlan-protocol=802.1Q
vlan-default-pvid=0
vlans=1 pvid untagged, 10, 20

[ipv4]
method=disabled

[ipv6]
method=disabled
"""
ADMIN_NM_ETH0 = b"""\
[connection]
id=trunk
uuid=8a0c2e5c-33a5-4d1e-9d2f-1c1c6f5d4a20
type=ethernet
interface-name=eth0
master=br0
slave-type=bridge

[ethernet]
wake-on-lan=0

[bridge-port]
hairpin-mode=true
vlans=10 pvid untagged,20,100-199
"""
ADMIN_NM_ETH1 = b"""\
[connection]
id=eth1
uuid=6f1f3c8e-9b47-4b8e-8e8e-2f4f6b1c7d30
type=ethernet
interface-name=eth1
master=br0
slave-type=bridge
"""


def admin_nm() -> MemoryFiles:
    return MemoryFiles({
        NM + "br0.nmconnection": ADMIN_NM_BR0,
        NM + "eth0-trunk.nmconnection": ADMIN_NM_ETH0,
        NM + "eth1.nmconnection": ADMIN_NM_ETH1,
    })  # fmt: skip


def test_nm_keyfile_reads_an_admins_profiles_and_merges_keeping_their_keys() -> None:
    files = admin_nm()
    report = nm_keyfile.read_report(files)
    assert report.problems == []
    assert xml(report.interfaces) == [FULL]
    again = nm_keyfile.render(report.interfaces, files)
    assert {p: d for p, d in again.files.items() if d != files.read(p)} == {}
    text = FULL.replace("ifsmith:vlans='10 20 100-199' ifsmith:pvid='10'", "ifsmith:vlans='30'")
    rendering = nm_keyfile.render(parse(text), files)
    changed = {str(p): d for p, d in rendering.files.items() if d != files.read(p)}
    assert list(changed) == [NM + "eth0-trunk.nmconnection"]
    assert changed[NM + "eth0-trunk.nmconnection"] == ADMIN_NM_ETH0.replace(
        b"vlans=10 pvid untagged,20,100-199", b"vlans=1 pvid untagged,30"
    )  # eth1 has no pvid: the default stays none, so eth0 says the kernel's 1 itself
    back = nm_keyfile.read_report(MemoryFiles({**files.files, **rendering.files}))
    assert xml(back.interfaces) == [text]


def test_nm_keyfile_names_what_the_model_cannot_hold() -> None:
    files = admin_nm()
    eth0 = ADMIN_NM_ETH0.replace(b"vlans=10 pvid untagged,20,", b"vlans=10 pvid,20 untagged,x7,")
    files.files[Path(NM + "eth0-trunk.nmconnection")] = eth0  # type: ignore[index]
    report = nm_keyfile.read_report(files)
    said = "\n".join(report.problems)
    assert "VLAN 20 leaves untagged but is not the pvid" in said
    assert "pvid 10 leaves tagged" in said
    assert "VLAN entry 'x7'" in said


def nmcli_normalised(data: bytes) -> KeyFile:
    if NMCLI is None:
        pytest.skip("n/a: nmcli (network-manager) is not installed")
    run = subprocess.run(
        [NMCLI, "--offline", "connection", "modify"], input=data, capture_output=True, timeout=30
    )
    assert run.returncode == 0, run.stderr.decode()
    return KeyFile.parse(run.stdout)


@pytest.mark.parametrize(
    "text",
    [
        FULL,
        doc(" ifsmith:vlan-filtering='on'", " ifsmith:vlans='100-199' ifsmith:pvid='150'"),
        doc(" ifsmith:vlan-filtering='on' ifsmith:vlans='1-4094'", " ifsmith:vlans='2-4094'"),
    ],
)
def test_nmcli_offline_keeps_every_vlan_key_we_write(text: str) -> None:
    rendering = nm_keyfile.render(parse(text), MemoryFiles())
    for path, data in sorted(rendering.files.items()):
        ours, theirs = KeyFile.parse(data), nmcli_normalised(data)
        for group in ("bridge", "bridge-port"):
            for key in ours.keys(group) if ours.group(group) is not None else ():
                assert theirs.get(group, key) == ours.get(group, key), (path, group, key)


def test_nmcli_offline_is_a_live_oracle_for_the_lists() -> None:
    """nmcli drops an entry it cannot take (VLAN 4095) with rc 0: the key comparison above,
    not its exit code, is what catches a list NetworkManager would not apply."""
    theirs = nmcli_normalised(ADMIN_NM_ETH0.replace(b"100-199", b"100-4095"))
    assert theirs.get("bridge-port", "vlans") == "10 pvid untagged,20"


# ---------------------------------------------------------------------------------------
# Migration: the VLANs survive between the backends that carry them; the others name them.


@pytest.mark.parametrize(
    ("a", "b"),
    [(a, b) for a, b in itertools.permutations(backends.available(), 2) if carries(a)],
)
def test_a_migration_keeps_the_vlans(a: str, b: str) -> None:
    source, target = backends.get(a), backends.get(b)
    files_a = backends.render(source, parse(FULL), MemoryFiles()).files
    read_a = source.read_files(MemoryFiles(files_a))
    assert xml(read_a) == [FULL]
    rendering = backends.render(target, read_a, MemoryFiles())
    read_b = target.read_files(MemoryFiles(rendering.files))
    if carries(b):
        (br0,) = read_b
        assert br0.bridge is not None and br0.bridge.options == read_a[0].bridge.options  # type: ignore[union-attr]
        assert [p.port_options for p in br0.bridge.ports] == [
            PortOptions(vlans="10 20 100-199", pvid=10),
            PortOptions(pvid=PVID_NONE),
        ]
    else:
        said = "\n".join(str(w) for w in rendering.warnings)
        assert f"pvid=none not written: {b} does not carry it" in said


# ---------------------------------------------------------------------------------------
# The shared rule for the bridge's default pvid.


def test_the_default_pvid_is_none_only_where_a_port_cannot_say_its_own() -> None:
    def bridge(eth0: str, eth1: str = "", filtering: str = "on") -> object:
        (iface,) = parse(doc(f" ifsmith:vlan-filtering='{filtering}'", eth0, eth1))
        return iface.bridge

    assert bridge_vlans.default_pvid(bridge(""), additive=True) is None  # type: ignore[arg-type]
    ten = bridge(" ifsmith:pvid='10'")
    assert bridge_vlans.default_pvid(ten, additive=False) is None  # type: ignore[arg-type]
    assert bridge_vlans.default_pvid(ten, additive=True) == PVID_NONE  # type: ignore[arg-type]
    one = bridge(" ifsmith:pvid='1'")
    assert bridge_vlans.default_pvid(one, additive=True) is None  # type: ignore[arg-type]
    none = bridge("", " ifsmith:pvid='none'")
    assert bridge_vlans.default_pvid(none, additive=False) == PVID_NONE  # type: ignore[arg-type]
    off = bridge("", "", "off")
    assert bridge_vlans.default_pvid(off, additive=True) is None  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# The real systemd-networkd in user-mode Linux, read back by `bridge -j vlan show`.

# Polls `bridge -c -j vlan show` (deadline 20 s) until it shows what the test expects.
# Polls `bridge -j vlan show` (deadline 20 s) until it shows what the test expects, each
# port's VLANs as [first, last, flags] ranges (consecutive ids with the same flags joined).
WAIT_VLANS = """
import json, subprocess, sys, time
want = json.load(open(sys.argv[1]))
deadline = time.monotonic() + 20
while True:
    out = subprocess.run(["bridge", "-j", "vlan", "show"], capture_output=True, text=True)
    got = {}
    for port in json.loads(out.stdout or "[]"):
        ranges = []
        for v in port["vlans"]:
            low, high, flags = v["vlan"], v.get("vlanEnd", v["vlan"]), sorted(v.get("flags", []))
            if ranges and ranges[-1][1] + 1 == low and ranges[-1][2] == flags:
                ranges[-1][1] = high
            else:
                ranges.append([low, high, flags])
        got[port["ifname"]] = ranges
    if got == want:
        sys.exit(0)
    if time.monotonic() > deadline:
        sys.exit(f"bridge vlan show after 20 s: {json.dumps(got)}")
    time.sleep(0.05)
"""


UNTAGGED = ["Egress Untagged", "PVID"]
UML_CASES = {
    # eth1 has no VLAN at all: DefaultPVID=none, and no list of its own.
    "full": (FULL, {
        "br0": [[1, 1, UNTAGGED], [10, 10, []], [20, 20, []]],
        "eth0": [[10, 10, UNTAGGED], [20, 20, []], [100, 199, []]],
    }),
    # A pvid other than 1 under networkd, which only adds VLANs: without DefaultPVID=none
    # eth0 would keep VLAN 1 (egress untagged) beside its own 20.
    "pvid-20": (doc(" ifsmith:vlan-filtering='on'", " ifsmith:vlans='10 20' ifsmith:pvid='20'"), {
        "br0": [[1, 1, UNTAGGED]],
        "eth0": [[10, 10, []], [20, 20, UNTAGGED]],
        "eth1": [[1, 1, UNTAGGED]],
    }),
}  # fmt: skip


@pytest.mark.uml
@pytest.mark.parametrize("case", list(UML_CASES))
def test_real_networkd_builds_the_vlan_aware_bridge(uml: UML, uml_netns: str, case: str) -> None:
    from tests.test_backend_networkd import NETWORKD_UP

    text, want = UML_CASES[case]
    rendering = networkd.render(parse(text), MemoryFiles())
    uml.run(["sh", "-c", "for i in 0 1; do ip link add eth$i type dummy; done"], netns=uml_netns)
    unit_dir = uml.shared / f"units-{uml_netns}"
    unit_dir.mkdir()
    for path, data in rendering.files.items():
        (unit_dir / path.name).write_bytes(data)
    (uml.shared / f"vlans-{uml_netns}.json").write_text(json.dumps(want))
    inside = uml.shared_inside
    result = uml.run(
        ["unshare", "-m", "sh", "-c", NETWORKD_UP, "-", f"{inside}/units-{uml_netns}",
         sys.executable, WAIT_VLANS, f"{inside}/vlans-{uml_netns}.json"],
        netns=uml_netns,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    filtering = uml.run(["cat", "/sys/class/net/br0/bridge/vlan_filtering"], netns=uml_netns)
    assert filtering.stdout.strip() == "1"


# The real NetworkManager in user-mode Linux: its condition is `bridge -j vlan show` listing
# each port's VLANs ([id, flags], one id a line, as iproute2 prints them without -c).
NM_VLANS = (
    "import json, subprocess, sys; w = json.load(open('{want}')); "
    "o = json.loads(subprocess.run(['bridge', '-j', 'vlan', 'show'], capture_output=True, "
    "text=True).stdout or '[]'); "
    "g = {{p['ifname']: [[v['vlan'], sorted(v.get('flags', []))] for v in p['vlans']] "
    "for p in o}}; sys.exit(0 if g == w else 1)"
)


@pytest.mark.uml
def test_real_networkmanager_builds_the_vlan_aware_bridge(uml: UML, uml_netns: str) -> None:
    from tests.test_uml_backends import NETWORKMANAGER

    _text, ranges = UML_CASES["full"]
    want = {
        port: [[vid, flags] for low, high, flags in spans for vid in range(low, high + 1)]
        for port, spans in ranges.items()
    }
    root = uml.shared / f"nm-vlans-{uml_netns}"
    for path, data in nm_keyfile.render(parse(FULL), MemoryFiles()).files.items():
        target = root / str(path).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (root / "want.json").write_text(json.dumps(want))
    # NetworkManager leaves dummy devices unmanaged: the ports are veths here.
    uml.run(["sh", "-c", "ip link add eth0 type veth peer name p0; "
             "ip link add eth1 type veth peer name p1; ip link set p0 up; ip link set p1 up"],
            netns=uml_netns)  # fmt: skip
    inside = f"{uml.shared_inside}/nm-vlans-{uml_netns}"
    check = NM_VLANS.format(want=f"{inside}/want.json")
    script = NETWORKMANAGER.format(files=inside, python=sys.executable, check=check)
    result = uml.run(["unshare", "-m", "sh", "-c", script], netns=uml_netns, timeout=90)
    shown = uml.run(["bridge", "-j", "vlan", "show"], netns=uml_netns).stdout
    assert result.returncode == 0, shown + result.stdout[-3000:] + result.stderr[-2000:]
