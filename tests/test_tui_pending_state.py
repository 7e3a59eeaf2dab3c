"""Definitions through the forms and the pending state in the tree and the pickers (Pilot):
OK with nothing changed gives back what was loaded, a bond keeps its slave order and shows
its primary by name, pending structure is nested, pickers offer what the pending state
leaves free."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import SelectionList, Tree

from ifsmith.core.model import (
    Bond,
    BondMode,
    Bridge,
    Carrier,
    Family,
    IfType,
    Interface,
    IpAddress,
    MiiMon,
    Protocol,
    StartMode,
    Vlan,
)
from ifsmith.core.xmlio import parse_file, to_document
from ifsmith.tui.app import IfsmithApp
from ifsmith.tui.pending import Pending
from ifsmith.tui.screens.forms import FORMS, BondForm, BridgeForm, VlanForm
from ifsmith.tui.widgets.details import Details
from ifsmith.tui.widgets.field import Choice
from tests.test_tui_forms import goto, ok_disabled, open_form, running
from tests.test_tui_tree import labels, wait_for


def eth(name: str) -> Interface:
    return Interface(IfType.ETHERNET, name)


# What the forms have no single widget for, and what they leave unset: each must come back.
IMPORTED = [
    Interface(
        IfType.BOND,
        "bond0",
        start_mode=StartMode.ONBOOT,
        mac="52:54:00:aa:bb:cc",
        protocols=(
            Protocol(Family.IPV4, dhcp=True, peerdns=False),
            Protocol(Family.IPV6, dhcp=True, autoconf=True),
        ),
        # The second NIC first: it is the primary.
        bond=Bond(
            mode=BondMode.ACTIVE_BACKUP,
            miimon=MiiMon(100, carrier=Carrier.NETIF),
            slaves=(eth("eth1"), eth("eth0")),
        ),
    ),
    Interface(IfType.BOND, "bond7", bond=Bond(slaves=(eth("eth3"), eth("eth2")))),
    Interface(
        IfType.VLAN,
        "bond7.7",
        start_mode=StartMode.HOTPLUG,
        protocols=(
            Protocol(
                Family.IPV4, dhcp=True, addresses=(IpAddress("192.0.2.7", 24),), gateway="192.0.2.1"
            ),
        ),
        vlan=Vlan(7, "bond7", reorder_hdr=False),
    ),
]


async def ok_unchanged(app: IfsmithApp, pilot: Pilot[int], name: str) -> Interface:
    """Open ``name``'s form, press OK without a change; the definition that is pending."""
    original = app.definition(name)
    assert original is not None
    form = FORMS[original.type]
    await open_form(app, pilot, "e", form, at=name)
    assert not ok_disabled(app), app.screen.problems  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: not isinstance(app.screen, form))
    change = app.pending.get(name)
    assert change is not None and change.interface is not None
    return change.interface


@pytest.mark.parametrize("name", ["bond0", "br100", "eth2", "eth3"])
async def test_ok_without_a_change_gives_back_the_live_definition(
    tmp_path: Path, name: str
) -> None:
    async with running(tmp_path) as (app, pilot):
        loaded = app.definition(name)
        assert await ok_unchanged(app, pilot, name) == loaded


async def test_ok_without_a_change_keeps_an_imported_bond_vlan_and_their_order(
    tmp_path: Path,
) -> None:
    document = tmp_path / "imported.xml"
    document.write_text(to_document(IMPORTED))
    imported = parse_file(document)
    async with running(tmp_path) as (app, pilot):
        app.import_file(str(document))
        await wait_for(pilot, lambda: len(app.pending) == 3)
        assert app.pending.definitions == imported
        form = await open_form(app, pilot, "e", BondForm, at="bond0")
        assert form.query_one("#slaves", SelectionList).selected == ["eth1", "eth0"]
        assert form.query_one("#primary", Choice).value == "eth1"  # by name: the first slave
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        for _ in range(3):  # every open and OK, not only the first
            for iface in imported:
                assert await ok_unchanged(app, pilot, iface.name) == iface
        assert app.pending.definitions == imported


async def test_a_named_primary_shows_and_a_mode_without_one_offers_none(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        form = await open_form(app, pilot, "e", BondForm, at="bond0")
        primary = form.query_one("#primary", Choice)
        primary.value = "eth1"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        bond = app.pending.definitions[0].bond
        assert bond is not None and bond.primary_slave == "eth1"
        assert [s.name for s in bond.slaves] == ["eth0", "eth1"]  # the order stays
        await open_form(app, pilot, "e", BondForm, at="bond0")
        assert primary.value == "eth1"
        form.query_one("#mode", Choice).value = str(BondMode.LACP)
        await wait_for(pilot, lambda: primary.options[0] == ("(none)", ""))
        primary.value = ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        bond = app.pending.definitions[0].bond
        assert bond is not None and bond.primary_slave is None and bond.primary is None


# A pending bridge br7 whose port is a new bond7 of eth3, with a VLAN br7.5 on it.
BOND7 = Interface(IfType.BOND, "bond7", bond=Bond(BondMode.ACTIVE_BACKUP, slaves=(eth("eth3"),)))
BR7 = Interface(IfType.BRIDGE, "br7", bridge=Bridge(stp=False, ports=(BOND7,)))
BR7_5 = Interface(IfType.VLAN, "br7.5", vlan=Vlan(5, "br7"))


async def with_br7(app: IfsmithApp, pilot: Pilot[int]) -> None:
    app.set_pending(Pending().replace_all([BR7, BR7_5]))
    await pilot.pause()


async def test_pending_masters_show_their_slaves_ports_and_vlans(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await with_br7(app, pilot)
        tree = app.query_one("#tree", Tree)
        assert labels(tree.root) == [
            "eth2",
            "bond0",
            "  eth0",
            "  eth1",
            "br100",
            "  bond0.100",
            "br7+",
            "  bond7+",
            "    eth3*",  # the live NIC under its pending master, marked as changed
            "  br7.5+",
        ]
        # A pending definition inside another one shows its own XML.
        await goto(app, pilot, "bond7")
        details = str(app.query_one("#details-text", Details).text)
        assert "pending definition" in details
        assert "<interface type='bond' name='bond7'>" in details
        # A slave of a pending bond is changed through the bond.
        await open_form(app, pilot, "e", BridgeForm, at="br7")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BridgeForm))
        for name, master in (("eth3", "bond7"), ("bond7", "br7")):
            app.clear_notifications()
            await goto(app, pilot, name)
            await pilot.press("e")
            await pilot.pause()
            assert [str(n.message) for n in app._notifications][-1].endswith(f"edit {master}")
            assert app.screen is app.screen_stack[0]


def offered(screen: Screen[Any], field: str) -> list[str]:
    picker = screen.query_one(f"#{field}", SelectionList)
    return [picker.get_option_at_index(i).value for i in range(picker.option_count)]


async def test_pickers_offer_what_the_pending_state_leaves_free(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await with_br7(app, pilot)
        form = await open_form(app, pilot, "b", BondForm)
        assert offered(form, "slaves") == ["eth2"]  # eth3 is bond7's, eth0/eth1 bond0's
        await pilot.press("escape")
        form = await open_form(app, pilot, "B", BridgeForm)
        assert offered(form, "ports") == ["eth2", "bond0", "br7.5"]
        await pilot.press("escape")
        # Editing br7: its own bond ticked, and not the bond's slave as well.
        form = await open_form(app, pilot, "e", BridgeForm, at="br7")
        assert offered(form, "ports") == ["eth2", "bond0", "bond7"]
        assert form.query_one("#ports", SelectionList).selected == ["bond7"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BridgeForm))
        assert await ok_unchanged(app, pilot, "br7") == BR7


async def test_a_new_vlan_sits_on_the_selection_a_pending_bond_included(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await with_br7(app, pilot)
        form = await open_form(app, pilot, "v", VlanForm, at="bond7")
        parent = form.query_one("#parent", Choice)
        assert parent.value == "bond7"
        # Slaves are not parents; the pending bond and bridge are.
        assert [v for _l, v in parent.options] == ["eth2", "bond0", "br100", "br7", "bond7"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, VlanForm))
        # On a slave, the selection cannot be the parent: the first one offered is.
        form = await open_form(app, pilot, "v", VlanForm, at="eth3")
        assert form.query_one("#parent", Choice).value == "eth2"


async def test_a_pending_nic_taken_as_slave_says_what_it_gives_up(tmp_path: Path) -> None:
    addressed = Interface(
        IfType.ETHERNET,
        "eth2",
        mtu=9000,
        protocols=(Protocol(Family.IPV4, addresses=(IpAddress("198.51.100.7", 24),)),),
    )
    async with running(tmp_path) as (app, pilot):
        app.set_pending(Pending().define(addressed))
        form = await open_form(app, pilot, "b", BondForm)
        form.query_one("#slaves", SelectionList).select("eth2")
        await wait_for(pilot, lambda: not ok_disabled(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        assert [c.name for c in app.pending.changes] == ["bond1"]
        notes = [str(n.message) for n in app._notifications]
        assert any(n.startswith("eth2: pending addressing") for n in notes), notes
