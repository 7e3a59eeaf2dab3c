"""Bond options through the kernel activator on a kernel with bonding (user-mode Linux),
judged with ``ip -d -j link``: set on create, changed in place (ad_select and
ad_user_port_key only while the bond is down), fail_over_mac by recreating the bond, read
back into the live XML, and restored from each earlier snapshot (rollback)."""

from __future__ import annotations

import json
from typing import Any

from tests.test_kernel_uml import NICS, drive
from tests.umlhost import UML

NS = "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1'"


def bond(mode: str, attrs: str) -> str:
    return (
        f"<interface {NS} type='bond' name='bond0'><start mode='onboot'/>"
        f"<bond mode='{mode}'{attrs}><miimon freq='100'/>"
        "<interface type='ethernet' name='eth0'/><interface type='ethernet' name='eth1'/>"
        "</bond></interface>"
    )


KEYS = (
    "mode", "min_links", "ad_select", "ad_actor_sys_prio", "ad_user_port_key",
    "ad_actor_system", "all_slaves_active", "fail_over_mac", "primary_reselect",
    "num_peer_notif", "resend_igmp", "lp_interval", "packets_per_slave", "tlb_dynamic_lb",
    "peer_notify_delay", "arp_all_targets", "ad_lacp_rate",
)  # fmt: skip


def oracle(uml: UML, netns: str) -> dict[str, Any]:
    done = uml.run(["ip", "-d", "-j", "link", "show", "bond0"], netns=netns)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)[0]["linkinfo"]["info_data"]
    return {k: data.get(k) for k in KEYS}


def test_bond_options_applied_changed_and_rolled_back(uml: UML, uml_netns: str) -> None:
    assert uml.run(["sh", "-c", NICS], netns=uml_netns).returncode == 0
    empty = drive(uml, uml_netns, "apply", "<interfaces></interfaces>")

    lacp = (
        " ifsmith:lacp-rate='fast' ifsmith:min-links='1' ifsmith:ad-select='bandwidth'"
        " ifsmith:ad-actor-sys-prio='100' ifsmith:ad-user-port-key='5'"
        " ifsmith:ad-actor-system='02:00:00:00:00:01' ifsmith:all-slaves-active='on'"
        " ifsmith:peer-notif-delay='200'"
    )
    created = drive(uml, uml_netns, "apply", bond("802.3ad", lacp))
    first = oracle(uml, uml_netns)
    assert first["mode"] == "802.3ad" and first["ad_lacp_rate"] == "fast"
    assert first["min_links"] == 1 and first["ad_select"] == "bandwidth"
    assert first["ad_actor_sys_prio"] == 100 and first["ad_user_port_key"] == 5
    assert first["ad_actor_system"] == "02:00:00:00:00:01"
    assert first["all_slaves_active"] == 1 and first["peer_notify_delay"] == 200
    # The live XML says exactly these (and nothing at the kernel's defaults).
    assert (
        "<bond mode='802.3ad' ifsmith:lacp-rate='fast' ifsmith:min-links='1'"
        " ifsmith:ad-select='bandwidth' ifsmith:ad-actor-sys-prio='100'"
        " ifsmith:ad-user-port-key='5' ifsmith:ad-actor-system='02:00:00:00:00:01'"
        " ifsmith:all-slaves-active='on' ifsmith:peer-notif-delay='200'>"
    ) in created["xml"]

    # In place, on an up bond with slaves: ad_select and ad_user_port_key need it down.
    changed = lacp.replace("'bandwidth'", "'count'").replace("port-key='5'", "port-key='7'")
    modified = drive(uml, uml_netns, "apply", bond("802.3ad", changed))
    assert modified["steps"] == ["set bond bond0 ad_user_port_key 7 ad_select count"] or (
        modified["steps"] == ["set bond bond0 ad_select count ad_user_port_key 7"]
    ), modified["steps"]
    second = oracle(uml, uml_netns)
    assert second == {**first, "ad_select": "count", "ad_user_port_key": 7}
    assert modified["up"]["bond0"]

    # active-backup with fail_over_mac and peer notifications: a new bond.
    ab = (
        " ifsmith:fail-over-mac='active' ifsmith:num-grat-arp='3' ifsmith:resend-igmp='5'"
        " ifsmith:arp-all-targets='all' ifsmith:primary-reselect='failure' ifsmith:primary='eth1'"
    )
    backup = drive(uml, uml_netns, "apply", bond("active-backup", ab))
    third = oracle(uml, uml_netns)
    assert third["fail_over_mac"] == "active" and third["num_peer_notif"] == 3
    assert third["resend_igmp"] == 5 and third["arp_all_targets"] == "all"
    assert third["primary_reselect"] == "failure"
    assert "ifsmith:fail-over-mac='active' ifsmith:primary-reselect='failure'" in backup["xml"]

    # Rollback to each earlier snapshot: the kernel has the earlier values again.
    drive(uml, uml_netns, "restore", json.dumps(modified["snapshot"]))
    assert oracle(uml, uml_netns) == second
    drive(uml, uml_netns, "restore", json.dumps(created["snapshot"]))
    assert oracle(uml, uml_netns) == first
    gone = drive(uml, uml_netns, "restore", json.dumps(empty["snapshot"]))
    assert "bond0" not in gone["up"]
