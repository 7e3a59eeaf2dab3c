"""Bond, bridge and port options in the TUI's forms (Pilot): an edit shows every option the
files define and keeps it, typed options reach the definition, and a bad one is named
beside its field with OK disabled."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, SelectionList, TextArea

from ifsmith.core.model import BondMode, LacpRate, XmitHashPolicy
from ifsmith.core.options import PVID_NONE, BondOptions, BridgeOptions, PortOptions
from ifsmith.tui.screens.forms import BondForm, BridgeForm
from ifsmith.tui.widgets.field import Tick
from tests.test_tui_forms import error_of, ok_disabled, open_form, running
from tests.test_tui_tree import wait_for

INTERFACES = """\
auto bond0
iface bond0 inet static
    address 192.0.2.10/24
    gateway 192.0.2.1
    bond-slaves eth0 eth1
    bond-mode 802.3ad
    bond-miimon 100
    bond-min-links 2
    bond-xmit-hash-policy layer3+4
    bond-lacp-rate fast

auto br9
iface br9 inet manual
    bridge_ports none
    bridge_hello 3
"""


def with_files(tmp_path: Path) -> None:
    (tmp_path / "etc" / "network").mkdir(parents=True)
    (tmp_path / "etc" / "network" / "interfaces").write_text(INTERFACES)


async def test_editing_a_bond_shows_and_keeps_every_option(tmp_path: Path) -> None:
    with_files(tmp_path)
    async with running(tmp_path, size=(120, 40)) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        form = await open_form(app, pilot, "e", BondForm, at="bond0")
        options = form.query_one("#bond-options", Input)
        assert options.value == "xmit-hash-policy=layer3+4 lacp-rate=fast min-links=2"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        # Nothing changed: the pending definition is the files' one, options and all
        # (before, OK dropped them).
        await wait_for(pilot, lambda: bool(app.pending))
        assert app.pending.definitions == [d for d in app.defined if d.name == "bond0"]
        assert app.pending.definitions[0].bond.options == BondOptions(min_links=2)


async def test_typed_bond_options_reach_the_definition_and_bad_ones_are_named(
    tmp_path: Path,
) -> None:
    with_files(tmp_path)
    async with running(tmp_path, size=(120, 40)) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        form = await open_form(app, pilot, "e", BondForm, at="bond0")
        options = form.query_one("#bond-options", Input)
        options.value = "min-links=2 ad-select=sideways"
        await wait_for(pilot, lambda: ok_disabled(app))
        assert "ad-select=sideways: expected one of: stable, bandwidth, count" in error_of(
            app, "bond-options"
        )
        options.value = "min-links=3 ad-select=bandwidth lacp-rate=fast xmit-hash-policy=layer2+3"
        await wait_for(pilot, lambda: not ok_disabled(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending.definitions))
        bond = app.pending.definitions[0].bond
        assert bond is not None and bond.mode is BondMode.LACP
        assert bond.options == BondOptions(min_links=3, ad_select="bandwidth")
        assert (bond.lacp_rate, bond.xmit_hash_policy) == (LacpRate.FAST, XmitHashPolicy.LAYER2_3)


async def test_an_option_of_another_mode_is_an_error_beside_the_options(tmp_path: Path) -> None:
    with_files(tmp_path)
    async with running(tmp_path, size=(120, 40)) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        form = await open_form(app, pilot, "e", BondForm, at="bond0")
        form.query_one("#bond-options", Input).value = "num-grat-arp=3"
        await wait_for(pilot, lambda: ok_disabled(app))
        assert "num-grat-arp applies only to mode active-backup" in error_of(app, "bond-options")


async def test_a_vlan_aware_bridge_with_port_options_from_the_form(tmp_path: Path) -> None:
    with_files(tmp_path)
    async with running(tmp_path, size=(120, 50)) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        form = await open_form(app, pilot, "e", BridgeForm, at="br9")
        options = form.query_one("#bridge-options", Input)
        assert options.value == "hello-time=3"
        ports = form.query_one("#ports", SelectionList)
        ports.select("eth2")
        ports.select("eth3")
        form.query_one("#vlan-filtering", Tick).value = True
        form.query_one("#bridge-vlans", Input).value = "10 20"
        port_lines = form.query_one("#port-options", TextArea)
        port_lines.load_text("eth2 vlans=10,20,100-199 pvid=none\neth9 pvid=10")
        await wait_for(pilot, lambda: ok_disabled(app))
        assert "line 2: eth9 is not a port (ports: eth2, eth3)" in error_of(app, "port-options")
        port_lines.load_text("eth2 vlans=10,20,100-199 pvid=none\neth3 pvid=30 vlans=20")
        await wait_for(pilot, lambda: ok_disabled(app) and "not among" in error_of(
            app, "port-options"))  # fmt: skip
        port_lines.load_text("eth2 vlans=10,20,100-199 pvid=none\neth3 pvid=10 path-cost=50")
        await wait_for(pilot, lambda: not ok_disabled(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending.definitions))
        bridge = app.pending.definitions[0].bridge
        assert bridge is not None
        assert bridge.options == BridgeOptions(hello_time=3.0, vlan_filtering=True, vlans="10 20")
        eth2, eth3 = bridge.ports
        assert eth2.port_options == PortOptions(vlans="10 20 100-199", pvid=PVID_NONE)
        assert eth3.port_options == PortOptions(path_cost=50, pvid=10)
        # Opened again from the pending change, the form shows what it holds.
        form = await open_form(app, pilot, "e", BridgeForm, at="br9")
        assert form.query_one("#port-options", TextArea).text == (
            "eth2 vlans=10,20,100-199 pvid=none\neth3 path-cost=50 pvid=10"
        )
        assert form.query_one("#vlan-filtering", Tick).value is True


async def test_port_vlans_without_filtering_are_named(tmp_path: Path) -> None:
    with_files(tmp_path)
    async with running(tmp_path, size=(120, 50)) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        form = await open_form(app, pilot, "e", BridgeForm, at="br9")
        form.query_one("#ports", SelectionList).select("eth2")
        form.query_one("#port-options", TextArea).load_text("eth2 pvid=10")
        await wait_for(pilot, lambda: ok_disabled(app))
        assert "needs the bridge's ifsmith:vlan-filtering='on'" in error_of(app, "port-options")
        form.query_one("#bridge-vlans", Input).value = "10"
        form.query_one("#vlan-filtering", Tick).value = True
        await wait_for(pilot, lambda: not ok_disabled(app))
