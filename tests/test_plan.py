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
    LiveBridge,
    LiveHost,
    LiveLink,
    LiveRoute,
)
from ifsmith.core.plan import (
    CreateLink,
    PlanError,
    make_plan,
    restore_plan,
    start_plan,
    stop_plan,
)
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
    # The address stays on eth0 until br0 holds it, and br0's default route replaces
    # eth0's before eth0 loses its address (which would flush eth0's routes): no moment
    # without the address or a default route.
    assert plan.describe() == [
        "create bridge br0 stp off",
        "set eth0 master br0",
        "set br0 up",
        "add address 192.0.2.5/24 to br0",
        "set default route (ipv4) via 192.0.2.1 dev br0",
        "remove address 192.0.2.5/24 from eth0",
        "remove default route (ipv4) via 192.0.2.1 dev eth0",
    ]
    assert "eth1" not in plan.touched  # interfaces the definition does not name: untouched
    assert plan.touched == {"br0", "eth0"}


def test_a_moved_ipv6_address_skips_duplicate_address_detection() -> None:
    v6 = host(nic(2, "eth0", addresses=(LiveAddress(Family.IPV6, "2001:db8::5", 64),)))
    doc = BRIDGE.replace(
        "</protocol>",
        "</protocol><protocol family='ipv6'><ip address='2001:db8:0:0::5' prefix='64'/>"
        "<ip address='2001:db8::6' prefix='64'/></protocol>",
    )
    steps = make_plan(parse(doc), v6).describe()
    assert "add address 2001:db8::5/64 to br0 nodad" in steps  # it was eth0's already
    assert "add address 2001:db8::6/64 to br0" in steps  # new: DAD as usual


def test_bond_slaves_go_down_before_they_are_enslaved_and_up_before_the_bond() -> None:
    steps = make_plan(parse(BOND), SERVER).describe()
    assert steps[0] == "create bond bond0 mode 802.3ad miimon 100"
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
    assert "create bond bond0 mode active-backup miimon 100 primary eth1" in steps
    # The old bond released its slaves (the driver closes them): no second "down".
    assert "set eth1 down" not in steps
    assert steps.index("set eth1 master bond0") < steps.index("set eth2 master bond0")
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
    assert steps.index("create bond bond0 mode 802.3ad miimon 100") < steps.index(
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
    assert "set default route (ipv4) via 192.0.2.1 dev eth0" in steps
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


def test_created_devices_are_described_with_their_settings() -> None:
    doc = """<interfaces>
<interface type='bond' name='bond0'><start mode='onboot'/>
<bond mode='active-backup'><arpmon interval='200' target='192.0.2.1' validate='all'/>
<interface type='ethernet' name='eth1'/><interface type='ethernet' name='eth2'/></bond>
</interface>
<interface type='bridge' name='br1'><start mode='onboot'/><bridge stp='on' delay='4'>
<interface type='vlan' name='bond0.7'><vlan tag='7'><interface name='bond0'/></vlan></interface>
</bridge></interface></interfaces>"""
    steps = make_plan(parse(doc), SERVER).describe()
    assert steps[:3] == [
        "create bond bond0 mode active-backup miimon 0 arp_interval 200"
        " arp_targets 192.0.2.1 arp_validate all primary eth1",
        "create vlan bond0.7 on bond0 tag 7",
        "create bridge br1 stp on forward_delay 4s",
    ]
    assert steps.index("set bond0.7 master br1") > steps.index(
        "create bridge br1 stp on forward_delay 4s"
    )


def test_an_mtu_change_is_one_operation_on_the_device_and_its_slaves() -> None:
    doc = BOND.replace("<start mode='onboot'/>", "<start mode='onboot'/><mtu size='9000'/>")
    assert make_plan(parse(doc), applied(SERVER)).describe() == [
        "set bond0 mtu 9000",
        "set eth1 mtu 9000",
        "set eth2 mtu 9000",
    ]


def test_dhcp_keeps_the_addresses_and_gateway_the_kernel_has() -> None:
    # The kernel activator runs no DHCP client: leases already on the device stay.
    leased = host(
        nic(2, "eth0", addresses=(LiveAddress(Family.IPV4, "198.51.100.23", 24),)),
        routes=(LiveRoute(Family.IPV4, "default", "198.51.100.1", "eth0"),),
    )
    doc = (
        "<interface type='ethernet' name='eth0'><start mode='onboot'/>"
        "<protocol family='ipv4'><dhcp/></protocol></interface>"
    )
    assert make_plan(parse(doc), leased).is_empty
    static = doc.replace("<dhcp/>", "<ip address='192.0.2.9' prefix='24'/>")
    assert make_plan(parse(static), leased).describe() == [
        "add address 192.0.2.9/24 to eth0",
        "remove address 198.51.100.23/24 from eth0",
        "remove default route (ipv4) via 198.51.100.1 dev eth0",
    ]


def test_start_mode_none_creates_but_does_not_start_and_start_plan_starts() -> None:
    doc = BRIDGE.replace("onboot", "none")
    steps = make_plan(parse(doc), SERVER).describe()
    assert "create bridge br0 stp off" in steps and "set br0 up" not in steps
    # Defined-but-not-started is not a reason to take a running device down either.
    running = host(LiveLink(3, "br0", "bridge", None, 1500, True, UP, bridge=LiveBridge()))
    bare = "<interface type='bridge' name='br0'><start mode='none'/><bridge stp='off'/></interface>"
    assert make_plan(parse(bare), running).is_empty
    down = host(dataclasses.replace(running.links[0], admin_up=False))
    assert start_plan(["br0"], parse(bare), down).describe() == ["set br0 up"]
    with pytest.raises(PlanError, match="no definition for eth7"):
        start_plan(["eth7"], parse(bare), down)


def test_removing_a_bond_releases_its_slaves_and_takes_its_vlans() -> None:
    live = applied(SERVER)
    live = host(
        *live.links,
        LiveLink(6, "bond0.5", "vlan", None, 1500, True, UP, parent="bond0", vlan_tag=5,
                 vlan_reorder_hdr=True),
        routes=live.routes,
    )  # fmt: skip
    plan = make_plan([], live, remove=["bond0"])
    # The kernel releases the slaves and drops the VLAN with the bond; the VLAN's delete is
    # spelled out so that a rollback knows to bring it back.
    assert plan.describe() == ["delete bond0.5", "delete bond0"]
    # Rolled back, the bond comes back with its slaves in order and its VLAN after it.
    restore = restore_plan(
        live,
        host(
            *SERVER.links[:1],
            dataclasses.replace(nic(3, "eth1"), admin_up=False),
            dataclasses.replace(nic(4, "eth2"), admin_up=False),
        ),
        {"bond0", "bond0.5", "eth1", "eth2"},
    )
    steps = restore.describe()
    assert steps.index("create bond bond0 mode 802.3ad miimon 100") < steps.index(
        "create vlan bond0.5 on bond0 tag 5 reorder_hdr on"
    )
    assert steps.index("set eth1 master bond0") < steps.index("set eth2 master bond0")
    assert steps.index("set eth2 master bond0") < steps.index("set bond0 up")
    # 802.3ad has no ARP monitor: the kernel refuses even arp_interval 0 there, so the
    # snapshot's zero is not sent back.
    create = restore.operations[0]
    assert isinstance(create, CreateLink) and create.bond is not None
    assert create.bond.arp_interval is None and create.bond.arp_validate is None
    assert "set default route (ipv4) via 192.0.2.1 dev bond0" in steps


def test_restore_puts_back_mtu_and_down_state() -> None:
    saved = host(dataclasses.replace(nic(3, "eth1"), admin_up=False, mtu=1400))
    assert restore_plan(saved, host(nic(3, "eth1")), {"eth1"}).describe() == [
        "set eth1 mtu 1400",
        "set eth1 down",
    ]
