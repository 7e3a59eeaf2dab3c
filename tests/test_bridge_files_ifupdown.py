"""Every bridge option and VLAN-aware bridges in Debian's /etc/network/interfaces (issue 10):
bridge-utils' keys on the bridge (``bridge_vlan_aware yes`` among them), the bridge's own VLANs
as ``up bridge vlan add vid N dev BR self``, and each port's options in its own stanza as
ifupdown2 and Proxmox write them (``bridge-pathcosts``, ``bridge-portprios``, ``bridge-vids``,
``bridge-pvid``, ``bridge-allow-untagged no``) — read back, merged into an admin's file
changing only the lines of what changed, ifupdown2's other spellings read, accepted by
ifupdown 0.8 (``ifup --no-act``), and a warning for what only ifupdown2 applies."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith import backends
from ifsmith.backends import ifupdown
from ifsmith.core.files import MemoryFiles, Rendering
from ifsmith.core.model import Interface
from ifsmith.core.options import PVID_NONE, BridgeOptions, PortOptions
from ifsmith.core.xmlio import parse
from tests.netns import make_netns
from tests.test_bridge_files_suse import ALL, rewritten
from tests.test_roundtrip_ifupdown import diff_lines

INTERFACES = PurePosixPath("/etc/network/interfaces")
BR0 = PurePosixPath("/etc/network/interfaces.d/br0")

WRITTEN = """\
iface eth0 inet manual
    bridge-pathcosts 100
    bridge-portprios 10
    bridge-vids 10 20 100-199
    bridge-pvid 10

iface eth1 inet manual
    bridge-pathcosts 4
    bridge-allow-untagged no

auto br0
iface br0 inet static
    bridge_ports eth0 eth1
    bridge_stp on
    bridge_fd 15
    bridge_bridgeprio 4096
    bridge_hello 2
    bridge_maxage 12
    bridge_ageing 600
    bridge_mcsnoop 0
    bridge_vlan_aware yes
    address 192.0.2.10/24
    up bridge vlan add vid 10 dev br0 self
    up bridge vlan add vid 20 dev br0 self
"""


def render(doc: str | list[Interface], view: MemoryFiles | None = None) -> Rendering:
    interfaces = parse(doc) if isinstance(doc, str) else doc
    return backends.render(backends.get("ifupdown"), interfaces, view or MemoryFiles())


def test_everything_is_written_in_ifupdowns_words_and_reads_back_whole() -> None:
    out = render(ALL)
    assert out.files[BR0].decode() == WRITTEN
    said = [str(w) for w in out.warnings]
    assert [w for w in said if "not written" in w] == []
    assert any("bridge-pvid, bridge-vids lines are read by ifupdown2" in w for w in said)
    view = MemoryFiles(dict(out.files))
    result = ifupdown.read_report(view)
    assert result.problems == []
    assert result.interfaces == parse(ALL)
    assert rewritten(render(result.interfaces, view), view) == {}


ADMIN = """\
# VM bridge (ticket 4711)
auto br0
iface br0 inet static
    bridge_ports eth0 eth1
    bridge_stp on
    bridge_maxwait 0
    address 192.0.2.10/24
    # the bridge's own VLANs
    up bridge vlan add vid 10 dev br0 self
    post-up /usr/local/sbin/notify br0
"""


def admin() -> tuple[MemoryFiles, Interface]:
    view = MemoryFiles({INTERFACES: ADMIN.encode()})
    (br0,) = ifupdown.read_files(view)
    return view, br0


def changes(out: Rendering, view: MemoryFiles) -> list[str]:
    return [line.rstrip("\n") for line in diff_lines(out, view)]


def test_an_admins_self_vlan_command_is_read_and_kept() -> None:
    view, br0 = admin()
    assert br0.bridge is not None and br0.bridge.options == BridgeOptions(vlans="10")
    assert rewritten(render([br0], view), view) == {}


def test_changing_the_bridges_own_vlans_edits_only_those_commands() -> None:
    view, br0 = admin()
    assert br0.bridge is not None
    options = BridgeOptions(vlan_filtering=True, vlans="10 30-39")
    out = render([replace(br0, bridge=replace(br0.bridge, options=options))], view)
    assert changes(out, view) == [
        "+    bridge_vlan_aware yes",
        "+    up bridge vlan add vid 30-39 dev br0 self",
    ]


def test_a_port_option_gives_a_listed_port_a_stanza_of_its_own() -> None:
    view, br0 = admin()
    assert br0.bridge is not None
    eth0, eth1 = br0.bridge.ports
    eth1 = replace(eth1, port_options=PortOptions(path_cost=7))
    out = render([replace(br0, bridge=replace(br0.bridge, ports=(eth0, eth1)))], view)
    assert changes(out, view) == [
        "+iface eth1 inet manual",
        "+    bridge-pathcosts 7",
        "+",
    ]
    (again,) = ifupdown.read_files(MemoryFiles({INTERFACES: ADMIN.encode(), **out.files}))
    assert again.bridge is not None
    assert [p.port_options for p in again.bridge.ports] == [PortOptions(),
                                                            PortOptions(path_cost=7)]  # fmt: skip


def test_a_changed_port_value_edits_its_line_in_the_admins_spelling() -> None:
    text = ADMIN + (
        "\niface eth0 inet manual\n"
        "    bridge_vids 10,20\n"  # ifupdown2 takes commas and '_'
        "    bridge-portprios 3\n"
    )
    view = MemoryFiles({INTERFACES: text.encode()})
    (br0,) = ifupdown.read_files(view)
    assert br0.bridge is not None
    eth0, eth1 = br0.bridge.ports
    assert eth0.port_options == PortOptions(port_priority=3, vlans="10 20")
    assert rewritten(render([br0], view), view) == {}
    eth0 = replace(eth0, port_options=PortOptions(port_priority=3, vlans="10 20 30", pvid=30))
    out = render([replace(br0, bridge=replace(br0.bridge, ports=(eth0, eth1)))], view)
    assert changes(out, view) == [
        "-    bridge_vids 10,20",
        "+    bridge_vids 10 20 30",
        "+    bridge-pvid 30",
    ]


PROXMOX = """\
auto vmbr0
iface vmbr0 inet manual
    bridge-ports eno1 tap0
    bridge-stp off
    bridge-fd 0
    bridge-vlan-aware yes
    bridge-vids 2-4094

iface eno1 inet manual
    bridge-trunk 100-199

iface tap0 inet manual
    bridge-access 30
"""


def test_ifupdown2s_other_spellings_are_read_and_a_bridges_vids_is_kept() -> None:
    view = MemoryFiles({INTERFACES: PROXMOX.encode()})
    result = ifupdown.read_report(view)
    (vmbr0,) = result.interfaces
    assert vmbr0.bridge is not None
    assert vmbr0.bridge.options == BridgeOptions(vlan_filtering=True)
    eno1, tap0 = vmbr0.bridge.ports
    assert eno1.port_options == PortOptions(vlans="100-199")
    assert tap0.port_options == PortOptions(pvid=30)
    assert any("bridge-vids on a bridge (ifupdown2: the default of its ports" in p
               for p in result.problems)  # fmt: skip
    assert rewritten(render([vmbr0], view), view) == {}
    # tap0 loses its access VLAN and becomes a port without a native one.
    tap0 = replace(tap0, port_options=PortOptions(pvid=PVID_NONE))
    out = render([replace(vmbr0, bridge=replace(vmbr0.bridge, ports=(eno1, tap0)))], view)
    assert changes(out, view) == ["-    bridge-access 30", "+    bridge-allow-untagged no"]


def test_bad_values_are_named_and_skipped() -> None:
    view = MemoryFiles({INTERFACES: (
        b"iface br0 inet manual\n    bridge_ports eth0\n    bridge_vlan_aware maybe\n"
        b"    up bridge vlan add vid 5000 dev br0 self\n"
        b"iface eth0 inet manual\n    bridge-pvid 0\n    bridge-vids 20-10\n"
    )})  # fmt: skip
    result = ifupdown.read_report(view)
    said = "\n".join(result.problems)
    assert "br0: bridge_vlan_aware 'maybe'" in said
    assert "br0: bridge vlan add … self: '5000' is not a VLAN id" in said
    assert "eth0: bridge-pvid '0'" in said
    assert "eth0: bridge-vids '20-10': range '20-10' runs backwards" in said


def _ifup() -> str:
    found = shutil.which("ifup")
    if found is None:
        pytest.skip("n/a: ifupdown (ifup) is not installed")
    return found


def test_ifupdown_08_accepts_the_file_and_runs_the_self_vlan_commands(tmp_path: Path) -> None:
    ifup = _ifup()
    path = tmp_path / "interfaces"
    path.write_bytes(render(ALL).files[BR0])
    (tmp_path / "state").mkdir()
    done = subprocess.run(
        [ifup, "--no-act", "-i", str(path), "--state-dir", str(tmp_path / "state"), "br0"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = done.stdout + done.stderr
    assert "bridge vlan add vid 10 dev br0 self\n" in shown
    assert "bridge vlan add vid 20 dev br0 self\n" in shown


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                    reason="n/a: needs root and iproute2 for a network namespace")  # fmt: skip
def test_ifupdown_08_hands_the_hooks_what_bridge_utils_reads(tmp_path: Path) -> None:
    """What ifup puts in the hooks' environment (IF_<KEY>: bridge-utils' hook takes
    IF_BRIDGE_VLAN_AWARE=yes to turn filtering on): a pre-up command records it and stops
    the stanza before anything is made."""
    ifup = _ifup()
    env = tmp_path / "env"
    text = render(ALL).files[BR0].decode()
    text = text.replace("    address 192.0.2.10/24\n",
                        f"    address 192.0.2.10/24\n    pre-up env > {env}; false\n")  # fmt: skip
    path = tmp_path / "interfaces"
    path.write_text("no-scripts br0\n" + text)
    (tmp_path / "state").mkdir()
    with make_netns("vlanfiles-") as ns:
        subprocess.run(
            ["ip", "netns", "exec", ns, ifup, "-i", str(path), "--state-dir",
             str(tmp_path / "state"), "br0"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    seen = dict(line.split("=", 1) for line in env.read_text().splitlines() if "=" in line)
    assert seen["IF_BRIDGE_VLAN_AWARE"] == "yes"
    assert seen["IF_BRIDGE_PORTS"] == "eth0 eth1"
    assert seen["IF_BRIDGE_BRIDGEPRIO"] == "4096"


def test_bridge_utils_per_bridge_port_costs_are_named_not_dropped() -> None:
    text = ADMIN.replace("    bridge_maxwait 0\n",
                         "    bridge_maxwait 0\n    bridge_pathcost eth1 50\n")  # fmt: skip
    view = MemoryFiles({INTERFACES: text.encode()})
    result = ifupdown.read_report(view)
    assert any("br0: bridge_pathcost eth1 50 (bridge-utils' form" in p for p in result.problems)
    assert rewritten(render(result.interfaces, view), view) == {}


def test_port_lines_outside_a_bridge_are_named() -> None:
    view = MemoryFiles({INTERFACES: b"iface eth5 inet manual\n    bridge-vids 10\n"})
    result = ifupdown.read_report(view)
    assert result.problems == ["eth5: bridge-vids on an interface that is no bridge's port is "
                               "not read; kept"]  # fmt: skip
    assert result.interfaces[0].port_options == PortOptions()


def test_multicast_snooping_alone_gets_the_ifupdown2_warning_and_plain_options_none() -> None:
    doc = ("<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='bridge' "
           "name='br0'><bridge stp='off' ifsmith:{}><interface type='ethernet' name='eth0'/>"
           "</bridge></interface>")  # fmt: skip
    said = [w.message for w in render(doc.format("multicast-snooping='off'")).warnings]
    assert said == ["its bridge_mcsnoop line is read by ifupdown2 (and ifupdown-ng for the "
                    "ports' VLANs), not by Debian's ifupdown 0.8 with bridge-utils: there they "
                    "apply only live, through ifsmith's kernel activator"]  # fmt: skip
    assert render(doc.format("priority='4096'")).warnings == ()
