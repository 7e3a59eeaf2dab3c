"""The kernel activator on a real kernel with bonding and 8021q (user-mode Linux).

Bonds (active-backup, 802.3ad), a VLAN on a bond and a bridge over it are created, modified
(mode change, slave added and removed, tag changed) and rolled back; each time core.live
reads the result back and it must equal what was asked for.
"""

from __future__ import annotations

import json
import sys

from tests.umlhost import UML

DRIVER = r"""
import json, sys
from ifsmith.backends import kernel
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot, interfaces_from_live
from ifsmith.core.plan import make_plan, restore_plan
from ifsmith.core.txn import live_from_json, live_to_json
from ifsmith.core.xmlio import parse, to_document

netns, action, arg = sys.argv[1], sys.argv[2], sys.argv[3]
host = Host(netns=netns)
before = snapshot(host)
if action == "apply":
    plan = make_plan(parse(open(arg, "rb").read()), before)
    kernel.apply(host, plan)
    again = make_plan(parse(open(arg, "rb").read()), snapshot(host))
    steps, second = plan.describe(), again.describe()
else:
    saved = live_from_json(json.load(open(arg)))
    names = {l.name for l in saved.links} | {l.name for l in before.links}
    plan = restore_plan(saved, before, names)
    kernel.apply(host, plan)
    steps, second = plan.describe(), restore_plan(saved, snapshot(host), names).describe()
after = snapshot(host)
print(json.dumps({
    "steps": steps, "second": second, "snapshot": live_to_json(after),
    "xml": to_document(interfaces_from_live(after)),
    "links": {l.name: {"master": l.master, "up": l.admin_up, "kind": l.kind,
                       "tag": l.vlan_tag, "parent": l.parent,
                       "mode": str(l.bond.mode) if l.bond else None,
                       "primary": l.bond.primary if l.bond else None,
                       "addresses": sorted(str(a) for a in l.addresses if a.scope == "global")}
              for l in after.links},
}))
"""

NICS = "for i in 0 1 2; do ip link add eth$i type dummy; ip link set eth$i up; done"


def bond_xml(mode: str, slaves: list[str], tag: int = 100, primary: str = "") -> str:
    ports = "".join(f"<interface type='ethernet' name='{s}'/>" for s in slaves)
    extra = (
        f" xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' ifsmith:primary='{primary}'"
        if primary
        else ""
    )
    return (
        "<interfaces>"
        f"<interface type='bond' name='bond0'><start mode='onboot'/>"
        f"<bond mode='{mode}'{extra}><miimon freq='100'/>{ports}</bond></interface>"
        f"<interface type='bridge' name='br0'><start mode='onboot'/>"
        "<protocol family='ipv4'><ip address='192.0.2.10' prefix='24'/></protocol>"
        f"<bridge stp='off'><interface type='vlan' name='bond0.{tag}'>"
        f"<vlan tag='{tag}'><interface name='bond0'/></vlan></interface></bridge></interface>"
        "</interfaces>"
    )


def drive(uml: UML, netns: str, action: str, payload: str) -> dict:  # type: ignore[type-arg]
    path = uml.shared / f"{netns}-{action}.in"
    path.write_text(payload)
    inside = f"{uml.shared_inside}/{path.name}"
    result = uml.run([sys.executable, "-c", DRIVER, netns, action, inside], timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def slaves(state: dict, master: str) -> list[str]:  # type: ignore[type-arg]
    return sorted(n for n, link in state["links"].items() if link["master"] == master)


def test_bond_vlan_bridge_created_modified_and_rolled_back(uml: UML, uml_netns: str) -> None:
    assert uml.run(["sh", "-c", NICS], netns=uml_netns).returncode == 0
    empty = drive(uml, uml_netns, "apply", "<interfaces></interfaces>")
    original = empty["snapshot"]

    # Create: active-backup bond of eth0+eth1 (primary eth1), VLAN 100 on it, bridged.
    state = drive(uml, uml_netns, "apply", bond_xml("active-backup", ["eth0", "eth1"],
                                                    primary="eth1"))  # fmt: skip
    assert state["second"] == []  # idempotent: nothing left to do
    links = state["links"]
    assert links["bond0"]["mode"] == "active-backup" and links["bond0"]["primary"] == "eth1"
    assert slaves(state, "bond0") == ["eth0", "eth1"]
    assert (links["bond0.100"]["tag"], links["bond0.100"]["parent"]) == (100, "bond0")
    assert links["bond0.100"]["master"] == "br0"
    assert links["br0"]["addresses"] == ["192.0.2.10/24"] and links["br0"]["up"]
    assert "<bond mode='active-backup'>" in state["xml"]

    # Modify: mode change to 802.3ad, eth2 added and eth0 removed, tag 100 → 200.
    state = drive(uml, uml_netns, "apply", bond_xml("802.3ad", ["eth1", "eth2"], tag=200))
    assert state["second"] == [], state["steps"]
    links = state["links"]
    assert links["bond0"]["mode"] == "802.3ad"
    assert slaves(state, "bond0") == ["eth1", "eth2"]
    assert links["eth0"]["master"] is None
    assert "bond0.100" not in links or links["bond0.100"]["master"] is None
    assert (links["bond0.200"]["tag"], links["bond0.200"]["master"]) == (200, "br0")
    assert "<bond mode='802.3ad'>" in state["xml"]

    # Roll back to the snapshot before any of it.
    restored = drive(uml, uml_netns, "restore", json.dumps(original))
    assert restored["second"] == [], restored["steps"]
    assert set(restored["links"]) == set(empty["links"])
    for name in ("eth0", "eth1", "eth2"):
        assert restored["links"][name]["master"] is None
        assert restored["links"][name]["up"]
