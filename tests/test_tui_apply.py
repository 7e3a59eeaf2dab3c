"""Apply from the TUI for real: a server and a client namespace joined by a veth pair.

The server (192.0.2.1/24 on s0) is changed through the TUI; the client (192.0.2.2/24 on
c0) is the admin's machine, given as the probe target in the confirm dialog.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, Tree

from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
from ifsmith.tui.app import IfsmithApp, make_app
from ifsmith.tui.screens.apply import ApplyConfirm, ApplyProgress
from ifsmith.tui.screens.forms import EthernetForm
from ifsmith.tui.widgets.field import Choice
from tests.netns import can_make_netns, make_netns, server_and_client
from tests.test_tui_tree import wait_for

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Host]:
    with make_netns("ifsu-s") as server, make_netns("ifsu-c") as client:
        server_and_client(server, client)
        (tmp_path / "etc").mkdir()
        yield Host(root=tmp_path, netns=server)


def progress(app: IfsmithApp) -> str:
    """What the progress screen says ("" until it is shown with its widgets: a screen is
    pushed before they are mounted)."""
    screen = app.screen
    shown = screen.query("#progress").results(Static) if isinstance(screen, ApplyProgress) else ()
    return next((str(line.render()) for line in shown), "")


async def edit_s0(
    app: IfsmithApp, pilot: Pilot[int], method: str, addresses: str, **fields: str
) -> None:
    """s0's form: the IPv4 method and addresses, and any other Input by its id (FIELDS,
    ``-`` spelt ``_``), then OK."""
    tree = app.query_one("#tree", Tree)
    await wait_for(pilot, lambda: any(n.data == "s0" for n in tree.root.children))
    tree.move_cursor(next(n for n in tree.root.children if n.data == "s0"))
    await pilot.press("e")
    # The screen is pushed before its widgets are mounted, and filled after: wait for the
    # field itself, and for the fill (which would overwrite what is typed before it).
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, EthernetForm)
        and bool(app.screen.query("#ipv4-addresses"))
        and app.screen.filled,
    )
    app.screen.query_one("#ipv4-method", Choice).value = method
    app.screen.query_one("#ipv4-addresses", Input).value = addresses
    for field, value in fields.items():
        app.screen.query_one(f"#{field.replace('_', '-')}", Input).value = value
    await pilot.pause()
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: bool(app.pending))


async def apply_with_probe(app: IfsmithApp, pilot: Pilot[int]) -> None:
    await pilot.press("a")
    await wait_for(
        pilot, lambda: isinstance(app.screen, ApplyConfirm) and app.screen.ready, limit=20
    )
    app.screen.query_one("#extra", Input).value = "192.0.2.2"
    app.screen.query_one("#extra", Input).focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ApplyProgress), limit=30)


def reaches_client(host: Host) -> bool:
    ping = ["ip", "netns", "exec", host.netns or "", "ping", "-c1", "-W1", "192.0.2.2"]
    return subprocess.run(ping, capture_output=True).returncode == 0


def addresses(host: Host) -> list[str]:
    link = snapshot(host).link("s0")
    assert link is not None
    return sorted(str(a) for a in link.addresses if a.scope == "global")


async def test_apply_then_keep_commits_the_change(lab: Host) -> None:
    app = make_app(host=lab, read_only=None)
    async with app.run_test(size=(100, 36)) as pilot:
        await edit_s0(app, pilot, "static", "192.0.2.1/24 198.51.100.1/24")
        await apply_with_probe(app, pilot)
        # Generous limits: in CI this runs beside user-mode Linux on two cores.
        await wait_for(pilot, lambda: "Rolls back in" in progress(app), limit=40)
        assert "probe 192.0.2.2 (given): reachable" in progress(app)
        await pilot.press("k")
        await wait_for(pilot, lambda: "committed" in progress(app), limit=30)
        assert await asyncio.to_thread(addresses, lab) == ["192.0.2.1/24", "198.51.100.1/24"]
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: not app.pending and app.screen is app.screen_stack[0], limit=20
        )


async def test_a_cut_off_change_rolls_back_and_the_progress_screen_says_why(lab: Host) -> None:
    app = make_app(host=lab, read_only=None)
    async with app.run_test(size=(100, 36)) as pilot:
        await edit_s0(app, pilot, "none", "")
        await apply_with_probe(app, pilot)
        await wait_for(pilot, lambda: "rolled back" in progress(app), limit=40)
        assert "Why: lost connectivity to 192.0.2.2 (given)" in progress(app)
        assert await asyncio.to_thread(addresses, lab) == ["192.0.2.1/24"]
        assert await asyncio.to_thread(reaches_client, lab)
        # A rolled-back change stays pending, so the admin can fix and retry.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0])
        assert app.pending.definitions[0].name == "s0"
