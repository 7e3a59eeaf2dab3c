"""Plans: order, minimality, idempotence, restore — on hand-built snapshots."""

from __future__ import annotations

import dataclasses

import pytest

from ifsmith.core.model import (
    BondMode,
    Family,
    LinkState,
    LiveAddress,
    LiveBond,
    LiveHost,
    LiveLink,
    LiveRoute,
)
from ifsmith.core.plan import PlanError, make_plan, restore_plan, stop_plan
from ifsmith.core.xmlio import parse

UP = LinkState.UP


def nic(index: int, name: str, **kw: object) -> LiveLink:
    return LiveLink(index, name, "", f"52:54:00:00:00:0{index}", 1500, True, UP, True, **kw)  # type: ignore[arg-type]


def host(*links: LiveLink, routes: tuple[LiveRoute, ...] = ()) -> LiveHost:
    return LiveHost(links, routes)


SERVER = host(
    nic(2, "eth0", addresses=(LiveAddress(Family.IPV4, "192.0.2.5", 24),)),
    nic(3, "eth1"),
    nic(4, "eth2"),
    routes=(LiveRoute(Family.IPV4, "default", "192.0.2.1", "eth0"),),
)

BRIDGE = """<interface type='bridge' name='br0'><start mode='onboot'/>
<protocol family='ipv4'><ip address='192.0.2.5' prefix='24'/><route gateway='192.0.2.1'/>
</protocol><bridge stp='off'><interface type='ethernet' name='eth0'/></bridge></interface>"""

BOND = """<interface type='bond' name='bond0'><start mode='onboot'/>
<protocol family='ipv4'><ip address='192.0.2.5' prefix='24'/><route gateway='192.0.2.1'/>
</protocol><bond mode='802.3ad'><miimon freq='100'/>
<interface type='ethernet' name='eth1'/><interface type='ethernet' name='eth2'/></bond>
</interface>"""


def test_iface_bridge_moves_the_address_after_the_port_joins() -> None:
    plan = make_plan(parse(BRIDGE), SERVER)
    assert plan.describe() == [
        "create bridge br0",
        "set eth0 master br0",
        "set br0 up",
        "add address 192.0.2.5/24 to br0",
        "remove address 192.0.2.5/24 from eth0",
        "default route (ipv4) via 192.0.2.1 dev br0",
        "remove default route (ipv4) via 192.0.2.1 dev eth0",
    ]
    assert "eth1" not in plan.touched  # interfaces the definition does not name: untouched


def test_bond_slaves_go_down_before_they_are_enslaved_and_up_before_the_bond() -> None:
    steps = make_plan(parse(BOND), SERVER).describe()
    assert steps[0] == "create bond bond0 mode 802.3ad"
    assert steps.index("set eth1 down") < steps.index("set eth1 master bond0")
    assert steps.index("set eth1 master bond0") < steps.index("set eth1 up")
    assert steps.index("set eth1 up") < steps.index("set bond0 up")
    # eth0 keeps its address (the definition does not name it) but its default route is
    # replaced, so it is part of the plan.
    assert steps[-1] == "remove default route (ipv4) via 192.0.2.1 dev eth0"


def applied(state: LiveHost) -> LiveHost:
    """What the kernel looks like after BOND was applied to SERVER."""
    links = (
        nic(2, "eth0", addresses=(LiveAddress(Family.IPV4, "192.0.2.5", 24),)),
        nic(3, "eth1", master="bond0"),
        nic(4, "eth2", master="bond0"),
        LiveLink(
            5, "bond0", "bond", "52:54:00:00:00:03", 1500, True, UP, True,
            bond=LiveBond(BondMode.LACP, miimon=100, use_carrier=True),
            addresses=(LiveAddress(Family.IPV4, "192.0.2.5", 24),),
        ),
    )  # fmt: skip
    return host(*links, routes=(LiveRoute(Family.IPV4, "default", "192.0.2.1", "bond0"),))


def test_a_plan_against_its_own_result_is_empty() -> None:
    state = applied(SERVER)
    assert make_plan(parse(BOND), state).is_empty


def test_bond_mode_change_recreates_the_bond_and_reenslaves() -> None:
    steps = make_plan(parse(BOND.replace("802.3ad", "active-backup")), applied(SERVER)).describe()
    assert steps[0] == "delete bond0"
    assert "create bond bond0 mode active-backup" in steps
    assert "set eth1 master bond0" in steps and "add address 192.0.2.5/24 to bond0" in steps


def test_a_slave_dropped_from_the_definition_is_released() -> None:
    doc = BOND.replace("<interface type='ethernet' name='eth2'/>", "")
    steps = make_plan(parse(doc), applied(SERVER)).describe()
    assert steps == ["set eth2 nomaster"]


def test_vlan_is_created_after_its_parent_bond() -> None:
    doc = (
        "<interfaces>" + BOND + "<interface type='vlan' name='bond0.100'><start mode='onboot'/>"
        "<vlan tag='100'><interface name='bond0'/></vlan></interface></interfaces>"
    )
    steps = make_plan(parse(doc), SERVER).describe()
    assert steps.index("create bond bond0 mode 802.3ad") < steps.index(
        "create vlan bond0.100 on bond0 tag 100"
    )
    assert steps.index("set bond0 up") < steps.index("set bond0.100 up")


def test_changed_vlan_tag_recreates_the_vlan() -> None:
    live = host(
        nic(2, "eth0"),
        LiveLink(3, "v", "vlan", None, 1500, True, UP, parent="eth0", vlan_tag=5,
                 vlan_reorder_hdr=True),
    )  # fmt: skip
    doc = (
        "<interface type='vlan' name='v'><vlan tag='6'><interface name='eth0'/></vlan></interface>"
    )
    assert make_plan(parse(doc), live).describe()[:2] == ["delete v", "create vlan v on eth0 tag 6"]


def test_missing_nic_is_refused() -> None:
    with pytest.raises(PlanError, match="eth9: no such network device"):
        make_plan(parse("<interface type='ethernet' name='eth9'/>"), SERVER)


def test_restore_plan_undoes_the_change_and_is_then_empty() -> None:
    before = SERVER
    after = applied(SERVER)
    names = make_plan(parse(BOND), before).touched
    restore = restore_plan(before, after, names)
    steps = restore.describe()
    assert steps[0] == "delete bond0"
    assert "default route (ipv4) via 192.0.2.1 dev eth0" in steps
    # Once restored, the state equals the snapshot: nothing left to do.
    assert restore_plan(before, before, names).is_empty


def test_restore_recreates_a_removed_bridge_with_its_port() -> None:
    with_bridge = host(
        nic(2, "eth0", master="br0"),
        LiveLink(3, "br0", "bridge", "52:54:00:00:00:02", 1500, True, UP,
                 addresses=(LiveAddress(Family.IPV4, "192.0.2.5", 24),)),
    )  # fmt: skip
    without = host(nic(2, "eth0"))
    steps = restore_plan(with_bridge, without, {"br0", "eth0"}).describe()
    assert steps[0] == "create bridge br0"
    assert "set eth0 master br0" in steps and "add address 192.0.2.5/24 to br0" in steps


def test_stop_takes_an_interface_down_and_refuses_unknown_ones() -> None:
    assert stop_plan(["eth1"], SERVER).describe() == ["set eth1 down"]
    down = host(dataclasses.replace(nic(3, "eth1"), admin_up=False))
    assert stop_plan(["eth1"], down).is_empty
    with pytest.raises(PlanError):
        stop_plan(["nope"], SERVER)
