"""The first user-mode Linux tests: bonds and VLANs, which this machine's kernel lacks."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
import time

import pytest

from tests.umlhost import UML

READ = """
import json, sys
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot, interfaces_from_live
from ifsmith.core.xmlio import to_document
live = snapshot(Host(netns=sys.argv[1] if len(sys.argv) > 1 else None))
out = {}
for l in live.links:
    out[l.name] = {
        "kind": l.kind, "master": l.master, "parent": l.parent, "tag": l.vlan_tag,
        "up": l.admin_up, "bond": None if l.bond is None else {
            "mode": str(l.bond.mode), "miimon": l.bond.miimon, "primary": l.bond.primary,
            "active": l.bond.active_slave, "xmit": str(l.bond.xmit_hash_policy),
            "lacp": str(l.bond.lacp_rate), "arp_interval": l.bond.arp_interval,
            "arp_targets": list(l.bond.arp_targets)},
    }
def tree(i):
    return {"type": str(i.type), "name": i.name,
            "bond": i.bond and {"mode": str(i.bond.mode), "miimon": i.bond.miimon.freq
                                if i.bond.miimon else None,
                                "slaves": [tree(s) for s in i.bond.slaves]},
            "bridge": i.bridge and {"ports": [tree(p) for p in i.bridge.ports]},
            "vlan": i.vlan and {"tag": i.vlan.tag, "parent": i.vlan.parent}}
ifaces = interfaces_from_live(live)
print(json.dumps({"links": out, "tree": {i.name: tree(i) for i in ifaces},
                  "xml": to_document(ifaces)}))
"""

# Two dummies in an active-backup bond (primary d1), a VLAN on the bond, a bridge over it.
BOND_VLAN_BRIDGE = """
ip link add d0 type dummy
ip link add d1 type dummy
ip link add bond0 type bond mode active-backup miimon 100
ip link set d0 master bond0
ip link set d1 master bond0
ip link set bond0 type bond primary d1
ip link add link bond0 name bond0.100 type vlan id 100
ip link add br100 type bridge
ip link set bond0.100 master br100
for i in d0 d1 bond0 bond0.100 br100; do ip link set $i up; done
"""


def read_live(uml: UML, netns: str) -> dict:  # type: ignore[type-arg]
    """core.live's view of the namespace, computed inside UML."""
    result = uml.run([sys.executable, "-c", READ, netns], netns=netns)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def read_ip(uml: UML, netns: str) -> dict[str, dict]:  # type: ignore[type-arg]
    """iproute2's view (`ip -j -d link show`): the kernel's word, independent of core.live."""
    result = uml.run(["ip", "-j", "-d", "link", "show"], netns=netns)
    assert result.returncode == 0, result.stderr
    return {link["ifname"]: link for link in json.loads(result.stdout)}


def sh(uml: UML, netns: str, script: str) -> None:
    result = uml.run(["sh", "-ec", script], netns=netns)
    assert result.returncode == 0, f"{script}\n{result.stderr}"


def test_uml_kernel_builds_bond_vlan_and_bridge(uml: UML, uml_netns: str) -> None:
    """The harness itself: bonding, 8021q, dummy and bridge work in a namespace inside UML."""
    sh(uml, uml_netns, BOND_VLAN_BRIDGE)
    links = read_ip(uml, uml_netns)
    bond = links["bond0"]["linkinfo"]["info_data"]
    assert (bond["mode"], bond["miimon"]) == ("active-backup", 100)
    assert (bond["primary"], bond["active_slave"]) == ("d1", "d1")
    assert links["d0"]["master"] == links["d1"]["master"] == "bond0"
    vlan = links["bond0.100"]
    assert (vlan["linkinfo"]["info_data"]["id"], vlan["link"]) == (100, "bond0")
    assert vlan["master"] == "br100" and links["br100"]["linkinfo"]["info_kind"] == "bridge"


def test_live_reads_bond_vlan_and_bridge_built_in_uml(uml: UML, uml_netns: str) -> None:
    sh(uml, uml_netns, BOND_VLAN_BRIDGE)
    state = read_live(uml, uml_netns)
    links = state["links"]
    bond = links["bond0"]["bond"]
    assert bond["mode"] == "active-backup" and bond["miimon"] == 100
    assert bond["primary"] == "d1" and bond["active"] == "d1"
    assert links["d0"]["master"] == links["d1"]["master"] == "bond0"
    assert links["bond0.100"]["kind"] == "vlan"
    assert (links["bond0.100"]["tag"], links["bond0.100"]["parent"]) == (100, "bond0")
    assert links["bond0.100"]["master"] == "br100"
    # The virsh-like trees: the bridge holds the VLAN, the bond its slaves (primary first).
    tree = state["tree"]
    assert set(tree) == {"bond0", "br100"}
    assert tree["bond0"]["bond"]["mode"] == "active-backup"
    assert tree["bond0"]["bond"]["miimon"] == 100
    assert [s["name"] for s in tree["bond0"]["bond"]["slaves"]] == ["d1", "d0"]
    assert [p["name"] for p in tree["br100"]["bridge"]["ports"]] == ["bond0.100"]
    assert tree["br100"]["bridge"]["ports"][0]["vlan"] == {"tag": 100, "parent": "bond0"}
    xml = state["xml"]
    assert "<bond mode='active-backup'>" in xml
    assert "<miimon freq='100' carrier='netif'/>" in xml
    assert xml.index("name='d1'") < xml.index("name='d0'")
    assert "<vlan tag='100'>\n          <interface name='bond0'/>" in xml


def test_lacp_bond_options_and_arp_monitoring_read_back(uml: UML, uml_netns: str) -> None:
    sh(
        uml,
        uml_netns,
        """
        ip link add d0 type dummy
        ip link add bond1 type bond mode 802.3ad miimon 100 \\
            xmit_hash_policy layer3+4 lacp_rate fast
        ip link set d0 master bond1
        ip link add bond2 type bond mode active-backup arp_interval 200 \\
            arp_ip_target 192.0.2.1,192.0.2.2
        """,
    )
    links = read_live(uml, uml_netns)["links"]
    assert links["bond1"]["bond"]["mode"] == "802.3ad"
    assert links["bond1"]["bond"]["xmit"] == "layer3+4"
    assert links["bond1"]["bond"]["lacp"] == "fast"
    assert links["bond2"]["bond"]["arp_interval"] == 200
    assert links["bond2"]["bond"]["arp_targets"] == ["192.0.2.1", "192.0.2.2"]


def test_failover_moves_the_active_slave(uml: UML, uml_netns: str) -> None:
    """Dummy carrier off on the active slave: the bond fails over, and core.live sees it."""
    sh(uml, uml_netns, BOND_VLAN_BRIDGE)
    assert read_live(uml, uml_netns)["links"]["bond0"]["bond"]["active"] == "d1"
    sh(uml, uml_netns, "ip link set d1 carrier off")
    deadline = time.monotonic() + 10
    while read_ip(uml, uml_netns)["bond0"]["linkinfo"]["info_data"].get("active_slave") != "d0":
        if time.monotonic() > deadline:
            pytest.fail("the active slave did not move to d0 within 10 s (miimon 100)")
    assert read_live(uml, uml_netns)["links"]["bond0"]["bond"]["active"] == "d0"


def test_writes_inside_uml_never_reach_this_machine(uml: UML) -> None:
    """/etc and /tmp inside are the overlay's (tmpfs): the machine's files never change."""
    for marker in ("/etc/ifsmith-uml-test", f"/tmp/ifsmith-uml-test-{os.getpid()}"):
        result = uml.run(["sh", "-c", f"echo inside > {marker} && cat {marker}"])
        assert result.stdout.strip() == "inside", result.stderr
        assert not os.path.exists(marker)


def test_shared_directory_passes_files_both_ways(uml: UML) -> None:
    (uml.shared / "in.txt").write_text("from host")
    result = uml.run(["sh", "-c", f"cat {uml.shared_inside}/in.txt; echo back > "
                      f"{uml.shared_inside}/out.txt"])  # fmt: skip
    assert result.stdout == "from host"
    assert (uml.shared / "out.txt").read_text() == "back\n"


def test_a_timed_out_command_is_killed_and_the_vm_answers_again(uml: UML) -> None:
    """The command's process group dies; a daemon of another session holding its output
    pipes is given up on after a short grace, with the output so far."""
    start = time.monotonic()
    script = "echo before; setsid sleep 4243 & sleep 100; echo never"
    result = uml.run(["sh", "-c", script], timeout=1)
    assert result.returncode == 124 and result.stdout == "before\n"
    assert time.monotonic() - start < 10
    assert uml.run(["pkill", "-f", "sleep 4243"]).returncode == 0  # it was left running
    assert uml.run(["echo", "alive"]).stdout == "alive\n"


def test_a_nul_in_argv_is_refused_without_killing_the_agent(uml: UML) -> None:
    assert uml.run(["echo", "a\0b"]).returncode == 127
    assert uml.run(["echo", "alive"]).stdout == "alive\n"


def test_large_stdin_reaches_the_command_intact(uml: UML) -> None:
    data = "".join(f"line {i}\n" for i in range(20000))
    result = uml.run(["sha256sum"], stdin=data)
    assert result.stdout.split()[0] == hashlib.sha256(data.encode()).hexdigest()


def test_large_output_comes_back_intact(uml: UML) -> None:
    result = uml.run(["seq", "1", "50000"])
    assert result.stdout == "".join(f"{i}\n" for i in range(1, 50001))


def test_requests_larger_than_the_console_buffer_keep_the_console_working(uml: UML) -> None:
    for size in (3000, 5000, 100000):
        assert uml.run(["wc", "-c"], stdin="x" * size).stdout.strip() == str(size)
    assert uml.run(["echo", "alive"]).stdout == "alive\n"


def test_vlan_reorder_hdr_off_reads_back_as_off(uml: UML, uml_netns: str) -> None:
    sh(uml, uml_netns, "ip link add d0 type dummy\n"
       "ip link add link d0 name d0.5 type vlan id 5 reorder_hdr off\n"
       "ip link add link d0 name d0.6 type vlan id 6")  # fmt: skip
    code = (
        "import sys; from ifsmith.core.host import Host; from ifsmith.core.live import snapshot;"
        "l = snapshot(Host(netns=sys.argv[1])).by_name();"
        "print(l['d0.5'].vlan_reorder_hdr, l['d0.6'].vlan_reorder_hdr)"
    )
    result = uml.run([sys.executable, "-c", code, uml_netns])
    assert result.stdout.split() == ["False", "True"], result.stderr


def test_binary_output_is_returned_and_the_agent_lives_on(uml: UML) -> None:
    """Output that is not UTF-8 comes back with replacement characters (it once panicked UML)."""
    result = uml.run(["printf", "a\\377b"])
    assert (result.returncode, result.stdout) == (0, "a\ufffdb")
    assert uml.run(["echo", "alive"]).stdout == "alive\n"


def test_a_request_the_agent_cannot_run_is_an_error_reply_not_a_dead_vm(uml: UML) -> None:
    result = uml.run(["true"], env={"X": 1})  # type: ignore[dict-item]
    assert result.returncode == 255 and "Traceback" in result.stderr
    assert uml.run(["echo", "alive"]).stdout == "alive\n"


def test_deleting_a_namespace_kills_the_daemons_left_in_it(uml: UML) -> None:
    name = f"k{os.getpid() % 10000}-{secrets.token_hex(3)}"
    uml.add_netns(name)
    try:
        daemon = "setsid sleep 4242 </dev/null >/dev/null 2>&1 &"
        assert uml.run(["sh", "-c", daemon], netns=name).returncode == 0
        assert uml.run(["pgrep", "-f", "sleep 4242"]).returncode == 0
    finally:
        uml.delete_netns(name)
    assert uml.run(["pgrep", "-f", "sleep 4242"]).returncode == 1
    assert name not in uml.run(["ip", "netns", "list"]).stdout
