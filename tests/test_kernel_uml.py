"""The kernel activator on a real kernel with bonding and 8021q (user-mode Linux).

Bonds (active-backup with a primary, 802.3ad, ARP monitoring), a VLAN on a bond and a
bridge over it are created, modified (mode change, slave added and removed, tag changed)
and rolled back to each earlier snapshot; each time core.live reads the result back and
its XML must equal what was asked for.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from tests.umlhost import UML

# Runs inside UML: apply an XML document, or restore a saved snapshot; then read back.
DRIVER = r"""
import dataclasses, json, sys
from ifsmith.backends import kernel
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot, interfaces_from_live
from ifsmith.core.plan import make_plan, restore_plan
from ifsmith.core.txn import live_from_json, live_to_json
from ifsmith.core.xmlio import parse, to_document

def plain(iface):
    # Only what a definition says: no live link state or MAC (random on dummies), no
    # empty protocols (link-local IPv6 appears with the link).
    protocols = tuple(p for p in iface.protocols if p.addresses or p.dhcp or p.gateway)
    out = dataclasses.replace(iface, link=None, mac=None, protocols=protocols)
    if out.bond is not None:
        out = dataclasses.replace(out, bond=dataclasses.replace(
            out.bond, slaves=tuple(plain(s) for s in out.bond.slaves)))
    if out.bridge is not None:
        out = dataclasses.replace(out, bridge=dataclasses.replace(
            out.bridge, ports=tuple(plain(p) for p in out.bridge.ports)))
    return out

netns, action, arg = sys.argv[1], sys.argv[2], sys.argv[3]
host = Host(netns=netns)
before = snapshot(host)
if action == "apply":
    plan = make_plan(parse(open(arg, "rb").read()), before)
    kernel.apply(host, plan)
    again = make_plan(parse(open(arg, "rb").read()), snapshot(host))
else:
    saved = live_from_json(json.load(open(arg)))
    names = {l.name for l in saved.links} | {l.name for l in before.links}
    plan = restore_plan(saved, before, names)
    kernel.apply(host, plan)
    again = restore_plan(saved, snapshot(host), names)
after = snapshot(host)
trees = sorted(interfaces_from_live(after), key=lambda i: i.name)
print(json.dumps({
    "steps": plan.describe(), "second": again.describe(), "snapshot": live_to_json(after),
    "xml": to_document([plain(i) for i in trees]),
    "up": {l.name: l.admin_up for l in after.links},
}))
"""

NICS = "for i in 0 1 2; do ip link add eth$i type dummy; ip link set eth$i up; done"
NS = "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1'"


def scenario(mode: str, slaves: list[str], tag: int, monitor: str, primary: str = "") -> str:
    """bond0 over the slaves, VLAN ``tag`` on it, bridged into br0 with an address."""
    ports = "".join(f"<interface type='ethernet' name='{s}'/>" for s in slaves)
    extra = f" {NS} ifsmith:primary='{primary}'" if primary else ""
    return (
        "<interfaces>"
        "<interface type='bond' name='bond0'><start mode='onboot'/>"
        f"<bond mode='{mode}'{extra}>{monitor}{ports}</bond></interface>"
        "<interface type='bridge' name='br0'><start mode='onboot'/>"
        "<protocol family='ipv4'><ip address='192.0.2.10' prefix='24'/></protocol>"
        f"<bridge stp='off'><interface type='vlan' name='bond0.{tag}'>"
        f"<vlan tag='{tag}'><interface name='bond0'/></vlan></interface></bridge></interface>"
        "</interfaces>"
    )


MIIMON = "<miimon freq='100'/>"
ARPMON = "<arpmon interval='200' target='192.0.2.1' validate='all'/>"


def nic(name: str) -> str:
    return f"  <interface type='ethernet' name='{name}'>\n    <mtu size='1500'/>\n  </interface>\n"


def expected(mode: str, slaves: list[str], tag: int, monitor: str, free: list[str]) -> str:
    """core.live's view (plain) of ``scenario``: kernel defaults spelled out."""
    ports = "".join(
        f"      <interface type='ethernet' name='{s}'>\n      </interface>\n" for s in slaves
    )
    return (
        "<interfaces>\n"
        "  <interface type='bond' name='bond0'>\n    <mtu size='1500'/>\n"
        f"    <bond mode='{mode}'>\n      {monitor}\n{ports}    </bond>\n  </interface>\n"
        "  <interface type='bridge' name='br0'>\n    <mtu size='1500'/>\n"
        "    <protocol family='ipv4'>\n      <ip address='192.0.2.10' prefix='24'/>\n"
        "    </protocol>\n    <bridge stp='off' delay='15'>\n"
        f"      <interface type='vlan' name='bond0.{tag}'>\n        <vlan tag='{tag}'>\n"
        "          <interface name='bond0'/>\n        </vlan>\n      </interface>\n"
        "    </bridge>\n  </interface>\n" + "".join(nic(n) for n in free) + "</interfaces>\n"
    )


def drive(uml: UML, netns: str, action: str, payload: str) -> dict[str, Any]:
    """Run DRIVER inside UML on ``payload`` (XML to apply, or a snapshot to restore)."""
    path = uml.shared / f"{netns}-{action}.in"
    path.write_text(payload)
    inside = f"{uml.shared_inside}/{path.name}"
    result = uml.run([sys.executable, "-c", DRIVER, netns, action, inside], timeout=60)
    assert result.returncode == 0, result.stderr
    state: dict[str, Any] = json.loads(result.stdout)
    assert state["second"] == [], state["steps"]  # idempotent: nothing left to do
    return state


def test_bond_vlan_bridge_created_modified_and_rolled_back(uml: UML, uml_netns: str) -> None:
    assert uml.run(["sh", "-c", NICS], netns=uml_netns).returncode == 0
    empty = drive(uml, uml_netns, "apply", "<interfaces></interfaces>")

    # Create: active-backup bond of eth0+eth1 with primary eth1, VLAN 100 on it, bridged.
    created = drive(uml, uml_netns, "apply",
                    scenario("active-backup", ["eth0", "eth1"], 100, MIIMON, "eth1"))  # fmt: skip
    mii = "<miimon freq='100' carrier='netif'/>"
    # The primary comes first in core.live's tree.
    assert created["xml"] == expected("active-backup", ["eth1", "eth0"], 100, mii, ["eth2"])
    assert created["steps"][0] == "create bond bond0 mode active-backup miimon 100 primary eth1"
    assert all(created["up"][n] for n in ("bond0", "bond0.100", "br0", "eth0", "eth1"))

    # Modify: 802.3ad, eth2 added and eth0 removed, tag 100 → 200.
    modified = drive(uml, uml_netns, "apply", scenario("802.3ad", ["eth1", "eth2"], 200, MIIMON))
    # The bonding driver closes a slave it releases: eth0 is free, and down.
    assert modified["xml"] == expected("802.3ad", ["eth1", "eth2"], 200, mii, ["eth0"])
    assert not modified["up"]["eth0"] and "bond0.100" not in modified["up"]

    # Roll back the modification: the active-backup bond, its primary, VLAN 100.
    restored = drive(uml, uml_netns, "restore", json.dumps(created["snapshot"]))
    assert restored["xml"] == created["xml"]
    assert restored["up"] == created["up"]
    assert "bond0.200" not in restored["up"]

    # Forward again from a snapshot: an 802.3ad bond recreated with its settings.
    again = drive(uml, uml_netns, "restore", json.dumps(modified["snapshot"]))
    assert again["xml"] == modified["xml"] and again["up"] == modified["up"]

    # Roll back to before any of it.
    first = drive(uml, uml_netns, "restore", json.dumps(empty["snapshot"]))
    assert first["xml"] == empty["xml"] and first["up"] == empty["up"]


def test_arp_monitored_bond_switched_to_miimon_and_back(uml: UML, uml_netns: str) -> None:
    assert uml.run(["sh", "-c", NICS], netns=uml_netns).returncode == 0
    arp = drive(uml, uml_netns, "apply",
                scenario("active-backup", ["eth0", "eth1"], 7, ARPMON))  # fmt: skip
    arpmon = "<arpmon interval='200' target='192.0.2.1' validate='all'/>"
    assert arp["xml"] == expected("active-backup", ["eth0", "eth1"], 7, arpmon, ["eth2"])

    # Switching the monitor is done in place: no recreation, no slave released.
    mii = drive(uml, uml_netns, "apply", scenario("active-backup", ["eth0", "eth1"], 7, MIIMON))
    assert mii["steps"] == [
        "set bond bond0 miimon 100 arp_interval 0 arp_targets none arp_validate none"
    ]
    assert mii["xml"] == expected(
        "active-backup", ["eth0", "eth1"], 7, "<miimon freq='100' carrier='netif'/>", ["eth2"]
    )

    back = drive(uml, uml_netns, "restore", json.dumps(arp["snapshot"]))
    assert back["xml"] == arp["xml"] and back["up"] == arp["up"]
