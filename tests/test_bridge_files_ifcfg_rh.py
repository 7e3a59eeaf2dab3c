"""Every bridge option and VLAN-aware bridges in RHEL ifcfg files (issue 10), as
NetworkManager's ifcfg-rh plugin reads them: BRIDGING_OPTS with the kernel's names (whole
seconds) on the bridge and on a port, BRIDGE_VLANS and BRIDGE_PORT_VLANS in NetworkManager's
VLAN syntax (backends.nm_vlans), and the bridge's default pvid (BRIDGING_OPTS default_pvid=)
by the rule NetworkManager keyfiles follow (backends.bridge_vlans) — read back, merged
keeping the admin's other words and lines, shell-quoted."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith import backends
from ifsmith.backends import ifcfg_rh
from ifsmith.core.files import MemoryFiles, Rendering
from ifsmith.core.model import Interface
from ifsmith.core.options import PVID_NONE, BridgeOptions, PortOptions
from ifsmith.core.xmlio import parse, to_xml
from tests.test_bridge_files_suse import ALL, lost, rewritten
from tests.test_bridge_vlans_xml import doc
from tests.test_routes_dns_ifcfg_rh import changed

DIR = PurePosixPath("/etc/sysconfig/network-scripts")
NM_TESTS = "NetworkManager/src/core/settings/plugins/ifcfg-rh/tests/network-scripts"


def render(doc: str | list[Interface], view: MemoryFiles | None = None) -> Rendering:
    interfaces = parse(doc) if isinstance(doc, str) else doc
    return backends.render(backends.get("ifcfg-rh"), interfaces, view or MemoryFiles())


def text(rendering: Rendering, name: str) -> str:
    return rendering.files[DIR / f"ifcfg-{name}"].decode()


def test_bridge_and_port_options_and_vlans_are_written_as_networkmanager_reads_them() -> None:
    out = render(ALL)
    # eth1 has no pvid: the bridge's default is none (0), and the bridge itself says the
    # kernel's 1, as NetworkManager keyfiles do (backends.bridge_vlans).
    br0 = text(out, "br0")
    assert ('BRIDGING_OPTS="priority=4096 hello_time=2 max_age=12 ageing_time=600 '
            'multicast_snooping=0 vlan_filtering=1 default_pvid=0"\n') in br0  # fmt: skip
    assert 'BRIDGE_VLANS="1 pvid untagged,10,20"\n' in br0
    eth0 = text(out, "eth0")
    assert 'BRIDGING_OPTS="path_cost=100 priority=10"\n' in eth0
    assert 'BRIDGE_PORT_VLANS="10 pvid untagged,20,100-199"\n' in eth0
    assert "BRIDGING_OPTS=path_cost=4\n" in text(out, "eth1")
    assert "BRIDGE_PORT_VLANS" not in text(out, "eth1")
    assert lost(out) == []


def test_everything_reads_back_and_an_unchanged_round_trip_changes_no_byte() -> None:
    first = render(ALL)
    view = MemoryFiles(dict(first.files))
    result = ifcfg_rh.read_report(view)
    assert result.problems == []
    (br0,) = result.interfaces
    (want,) = parse(ALL)
    assert br0.bridge is not None and want.bridge is not None
    assert br0.bridge.options == want.bridge.options
    assert [p.port_options for p in br0.bridge.ports] == [
        PortOptions(path_cost=100, port_priority=10, vlans="10 20 100-199", pvid=10),
        PortOptions(path_cost=4, pvid=PVID_NONE),
    ]
    assert rewritten(render([br0], view), view) == {}


@pytest.mark.parametrize(
    ("vlans", "pvid", "written"),
    [
        ("100-199", 150, "100-149,150 pvid untagged,151-199"),
        ("100-199", 100, "100 pvid untagged,101-199"),
        (None, 7, "7 pvid untagged"),
        ("10 20", None, "10,20"),
    ],
)
def test_a_pvid_inside_a_range_is_its_own_item(vlans: str | None, pvid: int | None,
                                              written: str) -> None:  # fmt: skip
    (br0,) = parse(ALL)
    assert br0.bridge is not None
    eth0 = replace(br0.bridge.ports[0], port_options=PortOptions(vlans=vlans, pvid=pvid))
    doc = replace(br0, bridge=replace(br0.bridge, ports=(eth0,)))
    out = render([doc])
    assert f'BRIDGE_PORT_VLANS="{written}"\n' in text(out, "eth0") or (
        f"BRIDGE_PORT_VLANS={written}\n" in text(out, "eth0")
    )
    (again,) = ifcfg_rh.read_files(MemoryFiles(dict(out.files)))
    assert again.bridge is not None
    assert again.bridge.ports[0].port_options == eth0.port_options


def test_a_port_says_the_kernels_1_itself_once_another_port_makes_the_default_none() -> None:
    before = doc(" ifsmith:vlan-filtering='on'", " ifsmith:vlans='10 20'", " ifsmith:pvid='5'")
    view = MemoryFiles(dict(render(before).files))
    assert "default_pvid" not in text(render(before), "br0")
    # Only eth1 changes, yet eth0's list must now name the pvid the default no longer gives.
    after = before.replace("ifsmith:pvid='5'", "ifsmith:pvid='none'")
    out = render(after, view)
    assert sorted(p.name for p in rewritten(out, view)) == ["ifcfg-br0", "ifcfg-eth0",
                                                            "ifcfg-eth1"]  # fmt: skip
    assert 'BRIDGING_OPTS="vlan_filtering=1 default_pvid=0"\n' in text(out, "br0")
    assert 'BRIDGE_PORT_VLANS="1 pvid untagged,10,20"\n' in text(out, "eth0")
    assert "BRIDGE_PORT_VLANS" not in text(out, "eth1")
    result = ifcfg_rh.read_report(MemoryFiles({**view.files, **out.files}))
    assert result.problems == []
    assert [to_xml(i) for i in result.interfaces] == [after]


@pytest.mark.parametrize(
    ("word", "pvid", "problem"),
    [
        ("default_pvid=5", 5, None),
        ("default_pvid=0", PVID_NONE, None),
        ("default_pvid=1", None, None),
        ("default_pvid=x", None, "BRIDGING_OPTS: default_pvid='x': expected a VLAN id"),
    ],
)
def test_an_admins_default_pvid_is_the_pvid_of_every_port_whose_list_names_none(
    word: str, pvid: int | None, problem: str | None
) -> None:
    view = MemoryFiles({
        DIR / "ifcfg-br0": f'DEVICE=br0\nTYPE=Bridge\nBRIDGING_OPTS="vlan_filtering=1 {word}"\n'
                           .encode(),
        DIR / "ifcfg-eth0": b"DEVICE=eth0\nBRIDGE=br0\nBRIDGE_PORT_VLANS=20\n",
        DIR / "ifcfg-eth1": b'DEVICE=eth1\nBRIDGE=br0\nBRIDGE_PORT_VLANS="10 pvid untagged"\n',
    })  # fmt: skip
    result = ifcfg_rh.read_report(view)
    (br0,) = result.interfaces
    assert br0.bridge is not None
    eth0, eth1 = (p.port_options for p in br0.bridge.ports)
    vlans = "20" if pvid in (None, PVID_NONE) else f"{pvid} 20"
    assert (eth0, eth1) == (PortOptions(vlans=vlans, pvid=pvid), PortOptions(pvid=10))
    said = [p.split(": BRIDGE: ", 1)[-1] for p in result.problems if "default_pvid" in p]
    assert said == ([] if problem is None else [f"{problem} 1-4094 or none; ignored"])
    # A change elsewhere keeps the admin's word and each port's list as they were.
    changed_br0 = replace(br0, bridge=replace(br0.bridge, stp=True))
    out = render([changed_br0], view)
    assert list(rewritten(out, view)) == [DIR / "ifcfg-br0"]
    assert f'BRIDGING_OPTS="vlan_filtering=1 {word}"\n' in text(out, "br0")


def test_networkmanager_reads_stp_timers_only_with_stp_on_and_whole_seconds() -> None:
    doc = ALL.replace("stp='on'", "stp='off'").replace("hello-time='2'", "hello-time='2.5'")
    said = "\n".join(str(w) for w in render(doc).warnings)
    for option in ("priority=4096", "hello-time=2.5", "max-age=12"):
        assert f"bridge option {option}: NetworkManager reads it from BRIDGING_OPTS only " \
               "with STP=yes" in said  # fmt: skip
    assert "ageing-time" not in said
    assert "hello_time is whole seconds; 2.5 written as 2" in said


def test_networkmanagers_own_files_read_and_merge_keeping_its_other_words(anchors: Path) -> None:
    tests = anchors / NM_TESTS
    view = MemoryFiles({
        DIR / "ifcfg-br0": (tests / "ifcfg-test-bridge-main").read_bytes(),
        DIR / "ifcfg-eth0": (tests / "ifcfg-test-bridge-component").read_bytes(),
    })  # fmt: skip
    result = ifcfg_rh.read_report(view)
    (br0,) = result.interfaces
    assert br0.bridge is not None
    assert br0.bridge.options == BridgeOptions(
        priority=32744, hello_time=7.0, max_age=39.0, ageing_time=235352.0,
        multicast_snooping=False, vlan_filtering=True,
    )  # fmt: skip
    # Its default_pvid=99 is the pvid of the port, whose file names none.
    assert br0.bridge.ports[0].port_options == PortOptions(path_cost=100, port_priority=28,
                                                           pvid=99)  # fmt: skip
    assert result.problems == []
    assert rewritten(render([br0], view), view) == {}
    eth0 = replace(
        br0.bridge.ports[0], port_options=PortOptions(path_cost=100, port_priority=3, pvid=99)
    )
    changes = replace(br0, bridge=replace(br0.bridge, ports=(eth0,),
                                          options=replace(br0.bridge.options, priority=4096)))
    out = render([changes], view)
    assert changed(out, view) == {
        "ifcfg-br0": [
            '-BRIDGING_OPTS="priority=32744 hello_time=7 max_age=39 ageing_time=235352 '
            'multicast_snooping=0 group_fwd_mask=24 vlan_filtering=1 default_pvid=99"',
            '+BRIDGING_OPTS="priority=4096 hello_time=7 max_age=39 ageing_time=235352 '
            'multicast_snooping=0 group_fwd_mask=24 vlan_filtering=1 default_pvid=99"',
        ],
        "ifcfg-eth0": ['-BRIDGING_OPTS="priority=28 hairpin_mode=1 path_cost=100"',
                       '+BRIDGING_OPTS="priority=3 hairpin_mode=1 path_cost=100"'],
    }  # fmt: skip


def test_vlan_flags_the_model_has_no_word_for_are_reported(anchors: Path) -> None:
    port = (anchors / NM_TESTS / "ifcfg-Test_Write_Bridge_Component.cexpected").read_bytes()
    view = MemoryFiles({
        DIR / "ifcfg-br0": b"DEVICE=br0\nTYPE=Bridge\nBRIDGING_OPTS=vlan_filtering=1\n",
        DIR / "ifcfg-eth0": b"DEVICE=eth0\n" + port,
    })  # fmt: skip
    result = ifcfg_rh.read_report(view)
    (br0,) = result.interfaces
    assert br0.bridge is not None
    assert br0.bridge.ports[0].port_options == PortOptions(
        path_cost=33, port_priority=50, vlans="1-2 4-4094", pvid=2
    )
    said = "\n".join(result.problems)
    assert "BRIDGE_PORT_VLANS: VLAN 1 4-4094 leaves untagged but is not the pvid" in said
    assert "BRIDGE_PORT_VLANS: pvid 2 leaves tagged" in said


def test_bad_values_are_named_and_skipped() -> None:
    view = MemoryFiles({
        DIR / "ifcfg-br0": b'DEVICE=br0\nTYPE=Bridge\nBRIDGING_OPTS="hello_time=2.5 '
                           b'priority=x"\nBRIDGE_VLANS="10,5000"\n',
    })  # fmt: skip
    result = ifcfg_rh.read_report(view)
    (br0,) = result.interfaces
    assert br0.bridge is not None and br0.bridge.options == BridgeOptions(vlans="10")
    said = "\n".join(result.problems)
    assert "hello_time='2.5': not a whole number of seconds; ignored" in said
    assert "priority='x'" in said
    assert "BRIDGE_VLANS: VLAN entry '5000'" in said


@pytest.mark.skipif(shutil.which("bash") is None, reason="n/a: no bash to source the files")
def test_bash_sources_the_values_as_written(tmp_path: Path) -> None:
    out = render(ALL)
    for name, key, want in (
        ("br0", "BRIDGING_OPTS", "priority=4096 hello_time=2 max_age=12 ageing_time=600 "
                                 "multicast_snooping=0 vlan_filtering=1 default_pvid=0"),
        ("eth0", "BRIDGE_PORT_VLANS", "10 pvid untagged,20,100-199"),
    ):  # fmt: skip
        path = tmp_path / name
        path.write_bytes(out.files[DIR / f"ifcfg-{name}"])
        got = subprocess.run(["bash", "-c", f'. "{path}"; printf %s "${key}"'],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        assert got == want


def test_a_port_whose_bridge_has_no_file_keeps_no_port_options() -> None:
    view = MemoryFiles({DIR / "ifcfg-eth0": b"DEVICE=eth0\nBRIDGE=br9\n"
                        b'BRIDGING_OPTS="path_cost=5"\nBRIDGE_PORT_VLANS=10\n'})  # fmt: skip
    result = ifcfg_rh.read_report(view)
    (eth0,) = result.interfaces
    assert eth0.port_options == PortOptions()
    assert any("its master br9 has no ifcfg file" in p for p in result.problems)
