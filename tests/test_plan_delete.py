"""Plans for deleting and stopping, and the rollback's check, on fixed snapshots (pure)."""

from __future__ import annotations

import dataclasses

from ifsmith.core.model import Family, LiveAddress, LiveHost, LiveLink, LiveRoute
from ifsmith.core.plan import make_plan, restore_plan, stop_plan
from ifsmith.core.txn import verify
from tests.test_plan import SERVER, UP, applied, host, nic


def test_deleting_a_nic_unconfigures_it_and_never_deletes_it() -> None:
    plan = make_plan([], SERVER, remove=["eth0"])
    assert plan.describe() == [
        "remove address 192.0.2.5/24 from eth0",
        "remove default route (ipv4) via 192.0.2.1 dev eth0",
        "set eth0 down",
    ]
    # A veth stand-in (the sandbox's NICs) is a NIC too; a port is set free first.
    veth = host(
        LiveLink(5, "br0", "bridge", None, 1500, True, UP),
        dataclasses.replace(nic(3, "eth1"), kind="veth", master="br0"),
    )
    assert make_plan([], veth, remove=["eth1"]).describe() == [
        "set eth1 nomaster",
        "set eth1 down",
    ]


def test_stop_deletes_a_bond_with_its_vlans_first_and_unconfigures_a_nic() -> None:
    live = applied(SERVER)
    live = host(
        *live.links,
        LiveLink(6, "bond0.5", "vlan", None, 1500, True, UP, parent="bond0", vlan_tag=5),
        routes=live.routes,
    )
    assert stop_plan(["bond0"], live).describe() == ["delete bond0.5", "delete bond0"]
    assert stop_plan(["eth0"], SERVER).describe() == [
        "remove address 192.0.2.5/24 from eth0",
        "remove default route (ipv4) via 192.0.2.1 dev eth0",
        "set eth0 down",
    ]


def test_a_veth_whose_peer_is_elsewhere_is_not_recreated_with_a_stray_peer() -> None:
    saved = host(dataclasses.replace(nic(3, "eth1"), kind="veth"))
    assert restore_plan(saved, LiveHost((), ()), {"eth1"}).is_empty


def test_verify_reports_a_nic_replaced_by_a_new_device() -> None:
    before = host(
        dataclasses.replace(
            nic(3, "eth1"), kind="veth", addresses=(LiveAddress(Family.IPV4, "192.0.2.9", 24),)
        ),
        routes=(LiveRoute(Family.IPV4, "default", "192.0.2.1", "eth1"),),
    )
    same = verify(before, before, {"eth1"})
    assert same == []
    replaced = LiveHost((dataclasses.replace(before.links[0], index=9),), before.routes)
    assert verify(before, replaced, {"eth1"}) == [
        "eth1: a different device now (index 9, was 3); the original is gone and its "
        "connections are not restored"
    ]
