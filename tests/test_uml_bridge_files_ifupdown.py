"""A VLAN-aware bridge's ifupdown file brought up by the real ifup 0.8 with Debian's
bridge-utils, in user-mode Linux (this machine's kernel has no bridge VLAN filtering), judged
by ``ip -d -j link`` and ``bridge -j vlan show`` — not ifsmith's reader.

It measures what README's flavour table says: bridge-utils' hook applies the STP keys (by
``brctl``) and ``bridge_vlan_aware yes``, ifup runs the ``up bridge vlan add … self``
commands, and neither reads ``bridge_mcsnoop`` or a port's ifupdown2 lines (the render warns
about those)."""

from __future__ import annotations

import json

from ifsmith.backends import ifupdown
from ifsmith.core.files import MemoryFiles, write_rendering
from ifsmith.core.host import Host
from ifsmith.core.xmlio import parse
from tests.test_bridge_files_suse import ALL
from tests.umlhost import UML

# ALL with STP off and no forward delay (bridge-utils' hook waits for the ports to forward)
# and no address; ports p0 and p1 are veths made before ifup, as NICs would be.
DOC = (
    ALL.replace("stp='on' delay='15'", "stp='off' delay='0'")
    .replace("name='eth0'", "name='p0'")
    .replace("name='eth1'", "name='p1'")
    .replace("  <protocol family='ipv4'>\n    <ip address='192.0.2.10' prefix='24'/>\n"
             "  </protocol>\n", "")
)  # fmt: skip


def test_real_ifup_applies_vlan_awareness_the_stp_keys_and_the_bridges_own_vlans(
    uml: UML, uml_netns: str
) -> None:
    name = f"ifupdown-vlans-{uml_netns}"
    host = Host(root=uml.shared / name)
    rendering = ifupdown.render(parse(DOC), MemoryFiles())
    assert any("lines are read by ifupdown2" in w.message for w in rendering.warnings)
    write_rendering(host, rendering)
    for port in ("p0", "p1"):
        made = uml.run(["ip", "link", "add", port, "type", "veth", "peer", "name", f"q{port}"],
                       netns=uml_netns)  # fmt: skip
        assert made.returncode == 0, made.stderr
    interfaces = f"{uml.shared_inside}/{name}/etc/network/interfaces"
    state = f"/tmp/ifstate-{uml_netns}"
    up = uml.run(
        ["sh", "-c", f"mkdir -p {state} && ifup -i {interfaces} --state-dir {state} br0"],
        netns=uml_netns,
        timeout=120,
    )
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        link = uml.run(["ip", "-d", "-j", "link", "show", "br0"], netns=uml_netns)
        vlans = uml.run(["bridge", "-j", "vlan", "show"], netns=uml_netns)
        ports = uml.run(["ip", "-d", "-j", "link", "show", "master", "br0"], netns=uml_netns)
        assert link.returncode == vlans.returncode == ports.returncode == 0, vlans.stderr
    finally:
        down = uml.run(["ifdown", "-i", interfaces, "--state-dir", state, "br0"],
                       netns=uml_netns, timeout=60)  # fmt: skip
    assert down.returncode == 0, down.stderr
    (br0,) = json.loads(link.stdout)
    data = br0["linkinfo"]["info_data"]
    assert data["vlan_filtering"] == 1
    assert (data["priority"], data["hello_time"], data["max_age"], data["ageing_time"]) == (
        4096, 200, 1200, 60000)  # fmt: skip
    assert data["mcast_snooping"] == 1  # bridge_mcsnoop 0: bridge-utils' hook has no such key
    by_dev = {e["ifname"]: sorted(v["vlan"] for v in e["vlans"]) for e in json.loads(vlans.stdout)}
    assert by_dev["br0"] == [1, 10, 20]  # the self commands; 1 is the kernel's default PVID
    # ifupdown2's port lines are not ifupdown 0.8's: the ports keep the kernel's defaults.
    assert by_dev["p0"] == [1] and by_dev["p1"] == [1]
    costs = {p["ifname"]: p["linkinfo"]["info_slave_data"]["cost"]
             for p in json.loads(ports.stdout)}  # fmt: skip
    assert costs["p0"] != 100 and costs["p1"] != 4
