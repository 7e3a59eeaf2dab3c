"""TUI flows against a fixed fake host: forms, pending changes, Changes, export/import,
bridge-this/unbridge, delete, read-only mode, help and the command palette (Pilot)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Input, Label, SelectionList, Static, Tree

from ifsmith.core.host import Host
from ifsmith.core.model import BondMode, Family, IfType
from ifsmith.tui.app import IfsmithApp, make_app
from ifsmith.tui.pending import Pending
from ifsmith.tui.screens.changes import ChangesScreen
from ifsmith.tui.screens.forms import BondForm, BridgeForm, EthernetForm, VlanForm
from ifsmith.tui.screens.help import HelpScreen
from ifsmith.tui.source import FakeSource
from ifsmith.tui.widgets.field import Choice
from tests.test_tui_tree import wait_for
from tests.tui_fakes import fake_live


def fake_app(tmp_path: Path, read_only: str | None = None) -> IfsmithApp:
    (tmp_path / "etc").mkdir(exist_ok=True)
    host = Host(root=tmp_path, netns="demo")
    return make_app(host=host, source=FakeSource(fake_live()), read_only=read_only)


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path, size: tuple[int, int] = (100, 40), read_only: str | None = None
) -> AsyncIterator[tuple[IfsmithApp, Pilot[int]]]:
    """The app on the fake host, its tree shown."""
    app = fake_app(tmp_path, read_only)
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        yield app, pilot


async def open_form(
    app: IfsmithApp, pilot: Pilot[int], key: str, form: type[Screen[Any]], at: str | None = None
) -> Screen[Any]:
    """Press ``key`` (on ``at``) and wait for the form."""
    if at is not None:
        await goto(app, pilot, at)
    await pilot.press(key)
    # The screen is pushed before its widgets are mounted: wait for them too, and for a
    # form to show what it loaded (on a loaded machine its fields come a frame later).
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, form)
        and bool(app.screen.children)
        and getattr(app.screen, "filled", True),
    )
    return app.screen


async def started(app: IfsmithApp, pilot: Pilot[int]) -> None:
    tree = app.query_one("#tree", Tree)
    await wait_for(pilot, lambda: bool(tree.root.children) and app.live.links != ())


async def goto(app: IfsmithApp, pilot: Pilot[int], name: str) -> None:
    """Move the tree cursor onto ``name``."""
    tree = app.query_one("#tree", Tree)
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.data == name:
            tree.move_cursor(node)
            await pilot.pause()
            return
    raise AssertionError(f"{name} is not in the tree")


def plain(widget: Static) -> str:
    """What a Static shows, as plain text (Syntax and Group included)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def error_of(app: IfsmithApp, field: str) -> str:
    """The problem shown under a field ("" when it has none, or never had one)."""
    label = next(iter(app.screen.query(f"#err-{field}").results(Label)), None)
    return str(label.render()) if label is not None and label.display else ""


def ok_disabled(app: IfsmithApp) -> bool:
    return app.screen.query_one("#ok", Button).disabled


async def test_bond_form_needs_slaves_picked_from_free_ethernets_then_is_pending(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as (app, pilot):
        await open_form(app, pilot, "b", BondForm)
        form = app.screen
        slaves = form.query_one("#slaves", SelectionList)
        # eth0/eth1 are slaves of bond0 already: only the free NICs are offered.
        assert [slaves.get_option_at_index(i).value for i in range(slaves.option_count)] == [
            "eth2",
            "eth3",
        ]
        assert form.query_one("#name", Input).value == "bond1"
        assert ok_disabled(app)
        assert "a bond needs at least one slave" in error_of(app, "slaves")
        slaves.focus()
        await pilot.press("space", "down", "space")
        await wait_for(pilot, lambda: not ok_disabled(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        bond = app.pending.definitions[0]
        assert bond.name == "bond1" and bond.bond is not None
        assert bond.bond.mode is BondMode.ACTIVE_BACKUP
        assert [s.name for s in bond.bond.slaves] == ["eth2", "eth3"]
        assert "1 pending change" in str(app.query_one("#status", Static).render())


async def test_a_bad_mtu_shows_beside_its_field_and_disables_ok(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await open_form(app, pilot, "e", EthernetForm, at="eth2")
        assert not ok_disabled(app)
        app.screen.query_one("#mtu", Input).focus()
        await pilot.press("1", "2")
        await wait_for(pilot, lambda: ok_disabled(app))
        assert error_of(app, "mtu") == "MTU 12 is outside 68-65536"
        await pilot.press("0", "0")  # 1200 is fine
        await wait_for(pilot, lambda: not ok_disabled(app))
        assert error_of(app, "mtu") == ""


async def test_static_addresses_are_checked_per_family(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await open_form(app, pilot, "e", EthernetForm, at="eth2")
        form = app.screen
        form.query_one("#ipv4-addresses", Input).value = "198.51.100.7/24 300.1.1.1/24"
        await wait_for(pilot, lambda: ok_disabled(app))
        assert "'300.1.1.1' is not an ipv4 address" in error_of(app, "ipv4-addresses")
        form.query_one("#ipv4-addresses", Input).value = "198.51.100.7/24"
        form.query_one("#ipv4-gateway", Input).value = "198.51.100.1"
        await wait_for(pilot, lambda: not ok_disabled(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        eth2 = app.pending.definitions[0]
        assert eth2.ipv4 is not None and eth2.ipv4.gateway == "198.51.100.1"
        assert [str(a) for a in eth2.ipv4.addresses] == ["198.51.100.7/24"]


async def test_escape_closes_a_form_without_a_change(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await open_form(app, pilot, "B", BridgeForm)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BridgeForm))
        assert not app.pending


async def test_vlan_name_follows_parent_and_tag_and_the_tag_is_checked(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await open_form(app, pilot, "v", VlanForm)
        form = app.screen
        form.query_one("#tag", Input).focus()
        await pilot.press("5", "0", "0", "0")
        await wait_for(pilot, lambda: form.query_one("#name", Input).value == "eth2.5000")
        assert ok_disabled(app)
        reserved = "(0 and 4095 are reserved by 802.1Q)"
        assert error_of(app, "tag") == f"VLAN tag 5000 is outside 1-4094 {reserved}"
        await pilot.press("backspace", "backspace", "backspace", "backspace", "0")
        zero = f"VLAN tag 0 is outside 1-4094 {reserved}"
        await wait_for(pilot, lambda: error_of(app, "tag") == zero)
        assert ok_disabled(app)
        await pilot.press("backspace", "5", "0")
        await wait_for(pilot, lambda: form.query_one("#name", Input).value == "eth2.50")
        await wait_for(pilot, lambda: not ok_disabled(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        vlan = app.pending.definitions[0]
        assert vlan.vlan is not None and (vlan.vlan.tag, vlan.vlan.parent) == (50, "eth2")


async def test_bridge_form_offers_free_ethernets_bonds_and_vlans_as_ports(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as (app, pilot):
        await open_form(app, pilot, "B", BridgeForm)
        ports = app.screen.query_one("#ports", SelectionList)
        offered = [ports.get_option_at_index(i).value for i in range(ports.option_count)]
        assert offered == ["eth2", "bond0", "eth3"]  # bond0.100 is br100's port already
        ports.select("bond0")
        await wait_for(pilot, lambda: not ok_disabled(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        bridge = app.pending.definitions[0]
        assert bridge.name == "br0" and bridge.bridge is not None
        port = bridge.bridge.ports[0]
        # A bond port is nested with its own slaves, as libvirt writes it.
        assert port.type is IfType.BOND and port.bond is not None
        assert [s.name for s in port.bond.slaves] == ["eth0", "eth1"]
        assert port.protocols == ()


async def test_delete_marks_the_row_and_the_changes_screen_discards_it(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await goto(app, pilot, "eth3")
        await pilot.press("d")
        assert app.pending.deletions == ["eth3"]
        tree = app.query_one("#tree", Tree)
        await wait_for(pilot, lambda: str(tree.root.children[-1].label).startswith("eth3-"))
        await open_form(app, pilot, "c", ChangesScreen)
        assert "deleted: eth3" in str(app.screen.query_one("#deletions", Static).render())
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.pending)
        await pilot.press("escape")
        await wait_for(pilot, lambda: str(tree.root.children[-1].label).startswith("eth3 "))


async def test_changes_screen_shows_xml_and_the_files_diff_of_the_chosen_backend(
    tmp_path: Path,
) -> None:
    app = fake_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await goto(app, pilot, "bond0")
        await pilot.press("i")
        await pilot.press("enter")  # bridge name "brbond0"
        await wait_for(pilot, lambda: bool(app.pending))
        app.backend = "ifupdown"
        await open_form(app, pilot, "c", ChangesScreen)
        screen = app.screen
        # The XML and the diff are rendered in threads once the screen shows.
        await wait_for(
            pilot, lambda: "<interface" in plain(screen.query_one("#xml", Static)), limit=20
        )
        xml = plain(screen.query_one("#xml", Static))
        # The bridge keeps bond0's MAC (iface-bridge pins it: ifsmith:mac).
        assert "type='bridge' name='brbond0' ifsmith:mac='" in xml
        assert "<ip address='192.0.2.10' prefix='24'/>" in xml
        await wait_for(pilot, lambda: "+++" in plain(screen.query_one("#diff", Static)), limit=20)
        diff = plain(screen.query_one("#diff", Static))
        assert "+++ b/etc/network/interfaces" in diff
        assert "iface brbond0 inet static" in diff
        await pilot.press("X", "y")  # dropping all asks first
        await wait_for(pilot, lambda: not app.pending)
        assert "nothing pending" in str(screen.query_one("#change-list").render_line(0))


async def test_unbridge_moves_the_addressing_back_to_the_only_port(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await goto(app, pilot, "br100")
        await pilot.press("u")
        assert app.pending.deletions == ["br100"]
        port = app.pending.definitions[0]
        assert port.name == "bond0.100" and port.ipv6 is not None
        assert [str(a) for a in port.ipv4.addresses] == ["203.0.113.1/24"]  # type: ignore[union-attr]


async def test_export_then_import_round_trips_the_pending_set(tmp_path: Path) -> None:
    app = fake_app(tmp_path)
    target = tmp_path / "out.xml"
    async with app.run_test(size=(100, 40)) as pilot:
        await started(app, pilot)
        await goto(app, pilot, "eth2")
        await pilot.press("i", "enter")
        await wait_for(pilot, lambda: bool(app.pending))
        before = app.pending
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, target.exists)
        assert "type='bridge' name='breth2' ifsmith:mac='" in target.read_text()
        app.set_pending(Pending())
        await pilot.press("o")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.pending))
        assert app.pending.definitions == before.definitions


async def test_import_of_a_bad_file_names_the_problem_and_adds_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<interface type='vlan' name='v'><vlan tag='9999'><interface name='eth2'/>"
                   "</vlan></interface>")  # fmt: skip
    async with running(tmp_path) as (app, pilot):
        app.import_file(str(bad))
        await pilot.pause()
        assert not app.pending
        assert any("9999" in str(n.message) for n in app._notifications)


async def test_read_only_mode_shows_the_reason_and_refuses_apply(tmp_path: Path) -> None:
    app = fake_app(tmp_path, read_only="not root")
    async with app.run_test(size=(100, 40)) as pilot:
        await started(app, pilot)
        assert "read-only: not root" in str(app.query_one("#status", Static).render())
        await goto(app, pilot, "eth3")
        await pilot.press("d", "a")
        await pilot.pause()
        assert any("apply is disabled" in str(n.message) for n in app._notifications)
        assert app.screen is app.screen_stack[0]


async def test_help_lists_every_key_and_the_palette_offers_the_actions(tmp_path: Path) -> None:
    app = fake_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert [k for k, _w in app.screen.keys][:7] == ["e", "b", "B", "v", "d", "i", "u"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Edit", "Bond", "Bridge", "VLAN", "Del", "Review", "Apply", "Export"):
            assert title in titles


async def test_an_ipv6_autoconf_setting_becomes_a_protocol(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await open_form(app, pilot, "e", EthernetForm, at="eth3")
        app.screen.query_one("#ipv6-method", Choice).value = "autoconf"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        proto = app.pending.definitions[0].protocol(Family.IPV6)
        assert proto is not None and proto.autoconf and not proto.dhcp


async def test_a_form_is_reused_and_refilled_for_the_next_interface(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        form = await open_form(app, pilot, "e", BondForm, at="bond0")
        slaves = form.query_one("#slaves", SelectionList)
        assert form.query_one("#name", Input).value == "bond0"
        assert slaves.selected == ["eth0", "eth1"]
        primary = form.query_one("#primary", Choice)
        # active-backup: the primary by name, the first slave unless one is named.
        assert primary.options == [("eth0", "eth0"), ("eth1", "eth1")]
        assert primary.value == "eth0"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        again = await open_form(app, pilot, "b", BondForm)
        # The same screen, composed once, now showing a new bond: nothing of bond0 left.
        assert again is form
        assert form.query_one("#name", Input).value == "bond1"
        assert not form.query_one("#name", Input).disabled
        offered = [slaves.get_option_at_index(i).value for i in range(slaves.option_count)]
        assert offered == ["eth2", "eth3"] and slaves.selected == []
        assert form.query_one("#primary", Choice).options == [("(none)", "")]
        assert "a bond needs at least one slave" in error_of(app, "slaves")
        assert str(form.query_one("#form-title", Static).render()) == "New bond"


async def test_a_choice_steps_with_arrows_and_lists_every_option_on_enter(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as (app, pilot):
        form = await open_form(app, pilot, "e", EthernetForm, at="eth3")
        start = form.query_one("#start", Choice)
        start.focus()
        # eth3's definition (from the live state) sets no start mode: "(not set)" first.
        assert start.value == ""
        await pilot.press("right")
        assert start.value == "onboot"
        await pilot.press("left", "left")
        assert start.value == "hotplug"  # wraps around
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#choice-list").first() is not None)
        await pilot.press("home", "down", "enter")
        await wait_for(pilot, lambda: app.screen is form)
        assert start.value == "onboot"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        assert str(app.pending.definitions[0].start_mode) == "onboot"


async def test_a_form_opens_with_the_focus_on_its_first_field(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await open_form(app, pilot, "b", BondForm)
        assert app.focused is not None and app.focused.id == "name"  # type the name at once
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        # Editing: the name is fixed, so the first field is the start mode.
        await open_form(app, pilot, "e", EthernetForm, at="eth3")
        assert app.focused is not None and app.focused.id == "start"


async def test_a_reopened_form_starts_its_pickers_at_the_top(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        form = await open_form(app, pilot, "b", BondForm)
        slaves = form.query_one("#slaves", SelectionList)
        slaves.highlighted = 1  # the admin had moved down the list, then cancelled
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        await open_form(app, pilot, "b", BondForm)
        # The same NICs are offered: kept, not rebuilt, but as a new form shows them.
        assert slaves.highlighted == 0 and slaves.selected == []


async def test_keys_arriving_together_tick_the_nics_they_were_pressed_on(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        form = await open_form(app, pilot, "b", BondForm)
        slaves = form.query_one("#slaves", SelectionList)
        slaves.focus()
        await pilot.pause()
        # ↓ space ↓ space in one read, as a slow ssh link delivers fast typing: the list
        # (eth2, eth3) wraps from its end to its top.
        assert app._driver is not None
        for key in ("down", "space", "down", "space"):
            event = events.Key(key, " " if key == "space" else None)
            event.set_sender(app)
            app._driver.send_message(event)
        await wait_for(pilot, lambda: len(slaves.selected) == 2)
        assert sorted(slaves.selected) == ["eth2", "eth3"]
