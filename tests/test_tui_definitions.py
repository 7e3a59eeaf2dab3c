"""The host's definitions in the TUI (Pilot): read through the detected stack at start,
forms filled from them, each interface marked defined only / running only / differing,
and = showing the differences."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import Input, SelectionList, Static, Tree

from ifsmith.core.model import Family, LiveAddress, StartMode
from ifsmith.tui.pending import Pending
from ifsmith.tui.screens.apply import ApplyConfirm
from ifsmith.tui.screens.dialogs import TextDialog
from ifsmith.tui.screens.forms import BondForm, BridgeForm, EthernetForm, VlanForm
from ifsmith.tui.widgets.field import Choice
from tests.test_tui_forms import goto, open_form, running
from tests.test_tui_tree import wait_for

# ifupdown's files for the fake host: bond0 with an MTU the kernel does not run, eth3
# to start at boot (it is down), br9 that does not run; eth2, br100 and its VLAN have none.
INTERFACES = """\
auto lo
iface lo inet loopback

auto bond0
iface bond0 inet static
    address 192.0.2.10/24
    gateway 192.0.2.1
    mtu 9000
    bond-slaves eth0 eth1
    bond-mode active-backup
    bond-miimon 100

auto eth3
iface eth3 inet manual

auto br9
iface br9 inet manual
    bridge_ports none
"""


def with_files(tmp_path: Path) -> None:
    (tmp_path / "etc" / "network").mkdir(parents=True)
    (tmp_path / "etc" / "network" / "interfaces").write_text(INTERFACES)


def rows(tree: Tree[str]) -> dict[str, str]:
    """Each row's label by interface name, nested ones too."""
    out = {}
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.data is not None:
            out[node.data] = str(node.label)
    return out


async def test_the_tree_marks_defined_running_and_differing(tmp_path: Path) -> None:
    with_files(tmp_path)
    async with running(tmp_path, size=(120, 36)) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known and "br9" in rows(app.query_one(Tree)))
        label = rows(app.query_one(Tree))
        # name, then one character: ~ differ, d defined only, r running only, blank agree
        # (columns as wide as the longest entry: tui/widgets/rowlabels.py)
        assert label["bond0"].split()[:3] == ["bond0", "~", "bond"]
        assert label["eth0"].split()[:3] == ["eth0", "~", "ethernet"]
        assert label["br9"].split()[:3] == ["br9", "d", "bridge"]
        assert "not running" in label["br9"]
        assert label["eth2"].split()[:3] == ["eth2", "r", "ethernet"]
        assert label["br100"].split()[:3] == ["br100", "r", "bridge"]
        assert app.backend == "ifupdown"
        await goto(app, pilot, "bond0")
        details = str(app.query_one("#details-text").text)  # type: ignore[attr-defined]
        assert "definition   defined and running; 1 difference (= shows them)" in details


async def test_equals_shows_the_selections_differences(tmp_path: Path) -> None:
    with_files(tmp_path)
    async with running(tmp_path) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        await goto(app, pilot, "bond0")
        await pilot.press("equals_sign")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        text = str(app.screen.query_one("#dialog-text", Static).render())
        assert text == "bond0: mtu 9000 defined, 1500 running"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TextDialog))
        await goto(app, pilot, "eth2")
        await pilot.press("equals_sign")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        title = str(app.screen.query_one(".dialog-title", Static).render())
        assert title == "eth2: running, not defined in the files"


async def test_a_form_starts_from_the_files_definition(tmp_path: Path) -> None:
    with_files(tmp_path)
    async with running(tmp_path) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        form = await open_form(app, pilot, "e", BondForm, at="bond0")
        assert form.query_one("#mtu", Input).value == "9000"  # the files', not the 1500 running
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        # Nothing changed: the pending definition is the files' one.
        assert app.pending.definitions == [d for d in app.defined if d.name == "bond0"]
        # br9 runs nowhere: edited from its definition all the same.
        await open_form(app, pilot, "e", BridgeForm, at="br9")
        assert str(app.screen.query_one("#form-title", Static).render()) == "Edit bridge br9"


async def test_without_a_detected_stack_nothing_is_marked(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        await wait_for(pilot, lambda: bool(app.backend_names))
        assert not app.standing.known
        label = rows(app.query_one(Tree))
        assert label["bond0"].split()[:2] == ["bond0", "bond"]


async def test_deleting_what_only_the_files_define_is_a_pending_deletion(
    tmp_path: Path,
) -> None:
    with_files(tmp_path)
    async with running(tmp_path) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known and "br9" in rows(app.query_one(Tree)))
        await goto(app, pilot, "br9")
        await pilot.press("d")
        assert app.pending.deletions == ["br9"]  # its files go, though it does not run
        await wait_for(pilot, lambda: rows(app.query_one(Tree))["br9"].startswith("br9-"))


async def test_a_lease_shows_as_dhcp_in_the_details_and_the_form(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        live = app.source.live  # type: ignore[attr-defined]
        leased = LiveAddress(Family.IPV4, "198.51.100.7", 24, dynamic=True, origin="dhcp")
        links = tuple(
            dataclasses.replace(lnk, addresses=(leased,)) if lnk.name == "eth2" else lnk
            for lnk in live.links
        )
        app.source.update(dataclasses.replace(live, links=links))  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: app.live.link("eth2").addresses[0].dynamic)  # type: ignore[union-attr]
        await goto(app, pilot, "eth2")
        details = str(app.query_one("#details-text").text)  # type: ignore[attr-defined]
        assert "<dhcp/>" in details and "<ip address='198.51.100.7'" not in details
        form = await open_form(app, pilot, "e", EthernetForm, at="eth2")
        assert form.query_one("#ipv4-method", Choice).value == "dhcp"


async def test_an_imported_document_silent_about_start_keeps_the_files_mode(
    tmp_path: Path,
) -> None:
    with_files(tmp_path)
    document = tmp_path / "eth3.xml"
    document.write_text("<interface type='ethernet' name='eth3'><mtu size='9000'/></interface>")
    async with running(tmp_path) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        app.import_file(str(document))
        await wait_for(pilot, lambda: bool(app.pending))
        eth3 = app.pending.definitions[0]
        assert (eth3.mtu, eth3.start_mode) == (9000, StartMode.ONBOOT)  # auto eth3


async def test_pickers_leave_what_the_files_give_to_a_bond_that_does_not_run(
    tmp_path: Path,
) -> None:
    (tmp_path / "etc" / "network").mkdir(parents=True)
    (tmp_path / "etc" / "network" / "interfaces").write_text(
        "auto bond5\niface bond5 inet manual\n    bond-slaves eth2\n    bond-mode active-backup\n"
    )
    async with running(tmp_path) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        assert rows(app.query_one(Tree))["eth2"].split()[:3] == ["eth2", "~", "ethernet"]
        form = await open_form(app, pilot, "b", BondForm)
        slaves = form.query_one("#slaves", SelectionList)
        assert [slaves.get_option_at_index(i).value for i in range(slaves.option_count)] == [
            "eth3"
        ]  # eth2 is bond5's in the files
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        form = await open_form(app, pilot, "v", VlanForm, at="bond5")
        assert form.query_one("#parent", Choice).value == "bond5"  # defined, not running


async def test_apply_warns_when_boot_activation_goes_off_the_default_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_files(tmp_path)
    # The fake host's namespace does not exist: no ssh sessions or DNS servers to find.
    monkeypatch.setattr("ifsmith.core.probe.discover", lambda host, live: [])
    async with running(tmp_path) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        bond0 = app.definition("bond0")
        assert bond0 is not None
        app.set_pending(Pending().define(dataclasses.replace(bond0, start_mode=StartMode.NONE)))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApplyConfirm) and app.screen.ready)
        summary = str(app.screen.query_one("#apply-summary", Static).render())
        assert "warning: bond0: boot activation turned off" in summary
        assert "the ipv4 default route" in summary
