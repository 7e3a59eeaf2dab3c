"""Snapshots of every screen at 80×24 and 120×36, on a fixed fake host (no clocks, pids
or random MACs on screen; the apply countdown runs on a frozen clock)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Tree

from ifsmith.core.host import Host
from ifsmith.core.txn import Txn
from ifsmith.tui.app import IfsmithApp, make_app
from ifsmith.tui.pending import Pending
from ifsmith.tui.screens.apply import ApplyProgress
from ifsmith.tui.screens.changes import ChangesScreen
from ifsmith.tui.screens.forms import BondForm, BridgeForm, EthernetForm, VlanForm
from ifsmith.tui.screens.help import HelpScreen
from ifsmith.tui.source import FakeSource
from tests.test_tui_forms import goto
from tests.test_tui_tree import wait_for
from tests.tui_fakes import fake_live

SIZES = [(80, 24), (120, 36)]
# A root that does not exist: every distro file reads as absent, on any machine.
DEMO = Host(root=Path("/nonexistent/ifsmith-demo"), netns="demo")
NOW = 1_700_000_000.0

Steps = Callable[[IfsmithApp, Pilot[int]], Awaitable[None]]


def demo_app() -> IfsmithApp:
    return make_app(host=DEMO, source=FakeSource(fake_live()), read_only=None)


async def shown(app: IfsmithApp, pilot: Pilot[int]) -> None:
    tree = app.query_one("#tree", Tree)
    await wait_for(pilot, lambda: bool(tree.root.children) and app.live.links != ())
    await wait_for(pilot, lambda: bool(app.backend_names))  # detection is done


def steps_for(key: str, screen: type[Screen[object]], at: str | None = None) -> Steps:
    async def steps(app: IfsmithApp, pilot: Pilot[int]) -> None:
        if at:
            await goto(app, pilot, at)
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, screen))
        await pilot.pause()

    return steps


def snapshot_of(snap_compare: Callable[..., bool], size: tuple[int, int], steps: Steps) -> bool:
    app = demo_app()

    async def run_before(pilot: Pilot[int]) -> None:
        await shown(app, pilot)
        await steps(app, pilot)
        app.clear_notifications()  # toasts would cover what the snapshot pins
        # A blinking cursor is caught on or off by the moment the snapshot is taken.
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return snap_compare(app, terminal_size=size, run_before=run_before)


FORMS = {
    "ethernet": steps_for("e", EthernetForm, at="eth2"),
    "bond": steps_for("b", BondForm),
    "bridge": steps_for("B", BridgeForm),
    "vlan": steps_for("v", VlanForm),
    "bond-edit": steps_for("e", BondForm, at="bond0"),
}


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
@pytest.mark.parametrize("form", FORMS)
def test_form_snapshot(snap_compare: Callable[..., bool], form: str, size: tuple[int, int]) -> None:
    assert snapshot_of(snap_compare, size, FORMS[form])


async def bridge_bond0_then_review(app: IfsmithApp, pilot: Pilot[int]) -> None:
    await goto(app, pilot, "bond0")
    await pilot.press("i", "enter")
    await wait_for(pilot, lambda: bool(app.pending))
    await goto(app, pilot, "eth3")
    await pilot.press("d")
    app.backend = "ifupdown"
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(app.screen, ChangesScreen))
    # The diff and the XML are rendered in threads: the picture is of them done.
    screen = app.screen
    assert isinstance(screen, ChangesScreen)
    await wait_for(
        pilot, lambda: screen.xml_of is app.pending and screen.diffs.get("ifupdown") is not None
    )
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
def test_changes_screen_snapshot(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snapshot_of(snap_compare, size, bridge_bond0_then_review)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
def test_main_screen_with_pending_changes_snapshot(
    snap_compare: Callable[..., bool], size: tuple[int, int]
) -> None:
    async def steps(app: IfsmithApp, pilot: Pilot[int]) -> None:
        await bridge_bond0_then_review(app, pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0])

    assert snapshot_of(snap_compare, size, steps)


APPLIED = {
    "id": "20250101-120000-00042",
    "state": "applied",
    "probes_ok": True,
    "deadline": NOW + 23.2,
    "baseline": ["192.0.2.1 (gateway)", "198.51.100.9 (ssh client)"],
    "results": {
        "192.0.2.1 (gateway)": True,
        "198.51.100.9 (ssh client)": True,
        "203.0.113.53 (dns)": False,
    },
    "updated": 1,
}
ROLLED_BACK = {
    **APPLIED,
    "state": "rolled-back",
    "probes_ok": False,
    "results": {**APPLIED["results"], "192.0.2.1 (gateway)": False},  # type: ignore[dict-item]
    "reason": "lost connectivity to 192.0.2.1 (gateway)",
    "rollback_seconds": 0.412,
    "differences": [],
}


def progress_steps(meta: dict[str, object], journal: Path) -> Steps:
    journal.mkdir()
    (journal / "meta.json").write_text(json.dumps(meta))
    txn = Txn(journal).load()

    async def steps(app: IfsmithApp, pilot: Pilot[int]) -> None:
        app.push_screen(ApplyProgress(DEMO, txn, now=lambda: NOW))
        await wait_for(pilot, lambda: isinstance(app.screen, ApplyProgress))
        await pilot.pause()

    return steps


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
@pytest.mark.parametrize("state", ["applied", "rolled-back"])
def test_apply_progress_snapshot(
    snap_compare: Callable[..., bool], state: str, size: tuple[int, int], tmp_path: Path
) -> None:
    meta = APPLIED if state == "applied" else ROLLED_BACK
    assert snapshot_of(snap_compare, size, progress_steps(meta, tmp_path / "txn"))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
def test_help_snapshot(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snapshot_of(snap_compare, size, steps_for("question_mark", HelpScreen))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
def test_pending_structure_snapshot(
    snap_compare: Callable[..., bool], size: tuple[int, int]
) -> None:
    """A new bridge with a new bond of the free NICs as its port and a VLAN on it: each
    nested where it will be, the bond selected (its pending XML in the details)."""
    from tests.test_tui_pending_state import BR7, BR7_5

    async def steps(app: IfsmithApp, pilot: Pilot[int]) -> None:
        app.set_pending(Pending().replace_all([BR7, BR7_5]))
        await pilot.pause()
        await goto(app, pilot, "bond7")

    assert snapshot_of(snap_compare, size, steps)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x36"])
def test_definition_marks_snapshot(
    snap_compare: Callable[..., bool], size: tuple[int, int]
) -> None:
    """What the files define beside what runs: ~ differ, d defined only, r running only;
    bond0 selected (its definition in words, its XML from the files)."""
    from ifsmith.core.model import Bond, BondMode, Bridge, IfType, Interface, MiiMon, StartMode

    slaves = (Interface(IfType.ETHERNET, "eth0"), Interface(IfType.ETHERNET, "eth1"))
    files = [
        Interface(IfType.BOND, "bond0", StartMode.ONBOOT, mtu=9000,
                  bond=Bond(BondMode.ACTIVE_BACKUP, MiiMon(100), slaves=slaves)),
        Interface(IfType.ETHERNET, "eth3", StartMode.ONBOOT),
        Interface(IfType.BRIDGE, "br9", StartMode.ONBOOT, bridge=Bridge()),
    ]  # fmt: skip

    async def steps(app: IfsmithApp, pilot: Pilot[int]) -> None:
        # As if the detected stack's files said so (the demo root has none).
        app.defined, app.definitions_read = files, True
        app.reload()
        await wait_for(pilot, lambda: app.standing.known)
        await goto(app, pilot, "bond0")

    assert snapshot_of(snap_compare, size, steps)
