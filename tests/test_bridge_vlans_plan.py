"""VLAN-aware bridges from the model to the plan and back (issue 10), without a kernel:
memberships as the model defines them and as the live view says them, their netlink
encoding, the plan's steps (exact, in order, converging), rollback from a snapshot and
through the journal, drift, and what the XML cannot say."""

from __future__ import annotations

import dataclasses

import pytest

from ifsmith.core import bridge_vlans
from ifsmith.core.bridge_vlans import DEFAULT, Membership
from ifsmith.core.definition import drift, running_note
from ifsmith.core.live import interface_from_live, vlan_notes
from ifsmith.core.model import LiveBridge, LiveHost, LiveLink
from ifsmith.core.options import PVID_NONE, BridgeOptions, PortOptions
from ifsmith.core.options_netlink import decode_vlans, encode_vlans
from ifsmith.core.plan import SetBridge, SetBridgeVlans, SetPort, make_plan, restore_plan
from ifsmith.core.txn import live_from_json, live_to_json
from ifsmith.core.xmlio import parse, to_xml

NS = "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1'"


def doc(bridge: str, eth0: str = "", eth1: str = "") -> str:
    return (
        f"<interface {NS} type='bridge' name='br0'><start mode='onboot'/>"
        f"<bridge stp='off'{bridge}>"
        f"<interface type='ethernet' name='eth0'{eth0}/>"
        f"<interface type='ethernet' name='eth1'{eth1}/>"
        "</bridge></interface>"
    )


FILTERING = " ifsmith:vlan-filtering='on'"
TRUNK = " ifsmith:vlans='10 20 100-199' ifsmith:pvid='none'"


def host(
    own: Membership | None = DEFAULT,
    eth0: Membership | None = DEFAULT,
    eth1: Membership | None = DEFAULT,
    filtering: bool | None = True,
) -> LiveHost:
    """br0 with eth0 and eth1 as ports, up, with these VLANs."""
    bridge = LiveBridge(options=BridgeOptions(vlan_filtering=filtering))
    return LiveHost(
        links=(
            LiveLink(1, "lo", "", admin_up=True, is_loopback=True),
            LiveLink(2, "eth0", "", mtu=1500, admin_up=True, master="br0", vlans=eth0),
            LiveLink(3, "eth1", "", mtu=1500, admin_up=True, master="br0", vlans=eth1),
            LiveLink(4, "br0", "bridge", mtu=1500, admin_up=True, bridge=bridge, vlans=own),
        )
    )


def m(tagged: str = "", untagged: str = "", pvid: int = 0) -> Membership:
    return Membership(tagged, untagged, pvid)


@pytest.mark.parametrize(
    ("options", "membership"),
    [
        (PortOptions(), DEFAULT),
        (PortOptions(pvid=10), m(untagged="10", pvid=10)),
        (PortOptions(vlans="10 20 100-199", pvid=PVID_NONE), m("10 20 100-199")),
        (PortOptions(vlans="10 20", pvid=10), m("20", "10", 10)),
        (PortOptions(vlans="10 20"), m("10 20", "1", 1)),
        (PortOptions(vlans="1 10 11"), m("10-11", "1", 1)),
    ],
)
def test_a_ports_options_define_its_vlans_and_the_live_view_says_them_back(
    options: PortOptions, membership: Membership
) -> None:
    assert bridge_vlans.port_membership(options) == membership
    said = bridge_vlans.port_options(membership)
    assert bridge_vlans.port_membership(said) == membership
    assert bridge_vlans.oddities(membership) == []


def test_the_bridges_own_vlans_keep_the_default_pvid_1_untagged() -> None:
    own = bridge_vlans.bridge_membership(BridgeOptions(vlan_filtering=True, vlans="1 10 20"))
    assert own == m("10 20", "1", 1)
    assert bridge_vlans.bridge_vlans(own) == "10 20"
    assert bridge_vlans.bridge_vlans(DEFAULT) is None
    assert bridge_vlans.oddities(own, own=True) == []
    assert bridge_vlans.oddities(m("10"), own=True) == ["its own pvid is none, not 1"]


def test_what_the_xml_cannot_say_is_named() -> None:
    assert bridge_vlans.oddities(m("20", "1", 20)) == [
        "pvid 20 leaves tagged",
        "VLAN 1 leaves untagged without being the pvid",
    ]


def test_netlink_entries_round_trip_with_ranges_and_the_pvid_alone() -> None:
    membership = m("10 20-30 100", "1 40-41", 25)
    data = encode_vlans(membership)
    # 10, 20-24 (2 entries), 26-30 (2), 100, 1, 40-41 (2), pvid 25: 10 entries of 8 bytes.
    assert len(data) == 10 * 8
    assert decode_vlans(data, 0, len(data)) == membership


def test_a_new_bridge_sets_filtering_then_its_ports_vlans_after_enslaving_them() -> None:
    live = LiveHost(
        links=(
            LiveLink(2, "eth0", "", mtu=1500, admin_up=True),
            LiveLink(3, "eth1", "", mtu=1500, admin_up=True),
        )
    )
    steps = make_plan(
        parse(doc(FILTERING + " ifsmith:vlans='10'", TRUNK, " ifsmith:pvid='10'")), live
    ).describe()
    assert steps == [
        "create bridge br0 stp off vlan_filtering on",
        "set eth0 master br0",
        "set eth1 master br0",
        "set bridge br0 own vlans: add 10 tagged",
        "set bridge port eth0 vlans: add 10 20 100-199 tagged; remove 1",
        "set bridge port eth1 vlans: add 10 pvid untagged; remove 1",
        "set br0 up",
    ]


def test_a_change_is_exactly_the_difference_and_a_second_plan_is_empty() -> None:
    live = host(eth0=m("10 20 100-199"), eth1=m(untagged="10", pvid=10))
    wanted = parse(doc(FILTERING, " ifsmith:vlans='10 30 100-149' ifsmith:pvid='100'"))
    plan = make_plan(wanted, live)
    assert plan.operations == (
        SetBridgeVlans("eth0", m("30", "100", 100), "20 150-199"),
        SetBridgeVlans("eth1", DEFAULT, "10"),
    )
    assert plan.describe()[0] == (
        "set bridge port eth0 vlans: add 30 tagged, 100 pvid untagged; remove 20 150-199"
    )
    after = host(eth0=m("10 30 101-149", "100", 100))
    assert make_plan(wanted, after).is_empty
    # Nothing else is asked of the kernel for them: no port or bridge attributes.
    assert not any(isinstance(op, SetPort | SetBridge) for op in plan.operations)


def test_vlans_are_left_alone_where_the_definition_does_not_filter() -> None:
    odd = host(eth0=m("10 20"), filtering=True)
    assert make_plan(parse(doc("")), odd).is_empty
    off = make_plan(parse(doc(" ifsmith:vlan-filtering='off'")), odd)
    assert off.describe() == ["set bridge br0 vlan_filtering off"]


def test_rollback_restores_the_vlans_even_those_the_xml_cannot_say() -> None:
    saved = host(own=m("10", "1", 1), eth0=m("10 20", "1", 20), eth1=m("30"))
    now = host(eth0=m("10 30 100-149", "100", 100), eth1=DEFAULT)
    plan = restore_plan(saved, now, {"eth0", "eth1", "br0"})
    assert set(plan.operations) == {
        SetBridgeVlans("br0", m("10"), "", own=True),
        SetBridgeVlans("eth0", m("20", "1", 20), "30 100-149"),  # 10 stays tagged
        SetBridgeVlans("eth1", m("30"), "1"),
    }
    assert restore_plan(saved, saved, {"eth0", "eth1", "br0"}).is_empty
    # The journal carries them (and reads a journal from before them).
    assert live_from_json(live_to_json(saved)) == saved
    old = live_to_json(saved)
    for link in old["links"]:
        del link["vlans"]
    assert all(link.vlans is None for link in live_from_json(old).links)


def test_drift_names_each_vlan_difference() -> None:
    (defined,) = parse(doc(FILTERING + " ifsmith:vlans='10'", TRUNK, " ifsmith:pvid='10'"))
    agree = host(own=m("10", "1", 1), eth0=m("10 20 100-199"), eth1=m(untagged="10", pvid=10))
    assert drift(defined, agree) == []
    differ = dataclasses.replace(
        agree,
        links=tuple(
            dataclasses.replace(lnk, vlans=m("10 30", "20", 20)) if lnk.name == "eth1" else lnk
            for lnk in agree.links
        ),
    )
    assert drift(defined, differ) == [
        "eth1: bridge port vlans 20 30 running, not defined",
        "eth1: bridge port pvid 10 defined, 20 running",
        "eth1: bridge port vlans 10 leave untagged defined, tagged running",
    ]


def test_the_live_view_shows_them_where_the_bridge_filters_and_names_the_odd_ones() -> None:
    live = host(own=m("10 20", "1", 1), eth0=m("10 20", "1", 20), eth1=m(untagged="10", pvid=10))
    xml = to_xml(interface_from_live(live, "br0"))
    assert "<bridge stp='off' delay='15' ifsmith:vlan-filtering='on' ifsmith:vlans='10 20'>" in xml
    assert "name='eth0' ifsmith:vlans='1 10 20' ifsmith:pvid='20'>" in xml
    assert "name='eth1' ifsmith:pvid='10'>" in xml
    notes = vlan_notes(live, "br0")
    assert notes == [
        "eth0: pvid 20 leaves tagged (running 10 tagged, 1 untagged, 20 pvid tagged): the XML "
        "cannot say it",
        "eth0: VLAN 1 leaves untagged without being the pvid (running 10 tagged, 1 untagged, "
        "20 pvid tagged): the XML cannot say it",
    ]
    assert vlan_notes(live, "eth0") == notes and vlan_notes(live, "eth1") == []
    assert "eth0: pvid 20 leaves tagged" in (running_note("eth0", live) or "")
    # A bridge that does not filter: its VLANs do nothing, and are not shown.
    off = host(own=m("10 20", "1", 1), eth0=m("10 20", "1", 20), filtering=False)
    assert "ifsmith:vlan" not in to_xml(interface_from_live(off, "br0"))
    assert "ifsmith:pvid" not in to_xml(interface_from_live(off, "br0"))
    assert vlan_notes(off, "br0") == []


def test_a_vlan_on_a_bridge_made_in_the_same_plan_is_created_after_it() -> None:
    live = LiveHost(links=(LiveLink(2, "eth0", "", mtu=1500), LiveLink(3, "eth1", "", mtu=1500)))
    vlan = (
        f"<interface {NS} type='vlan' name='br0.10'><start mode='onboot'/>"
        "<vlan tag='10'><interface name='br0'/></vlan></interface>"
    )
    wanted = parse(f"<interfaces>{doc(FILTERING)}{vlan}</interfaces>")
    assert make_plan(wanted, live).describe()[:2] == [
        "create bridge br0 stp off vlan_filtering on",
        "create vlan br0.10 on br0 tag 10",
    ]
