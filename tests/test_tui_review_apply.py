"""Review and Apply as the admin meets them, for real: an ifupdown server namespace and
a client namespace joined by a veth pair (192.0.2.1 on s0, 192.0.2.2 on c0, the admin's
machine and the probe target).

- Review's backend chooser is a preview: choosing netifrc there never makes Apply write
  /etc/conf.d/net.  The Apply dialog names the backend it writes and marks one that is not
  the detected stack.
- Review's X asks before dropping the pending changes.
- After a rollback the progress screen offers no Keep/Revert; its title says the outcome.
- An STP bridge made with `i` (STP on, as `virsh iface-bridge`) gets the settle countdown
  ("waiting for STP") and then the whole confirm window.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Select, Static

from ifsmith.core.host import Host
from ifsmith.core.txn import all_txns
from ifsmith.tui.app import IfsmithApp, make_app
from ifsmith.tui.screens.apply import ApplyConfirm, ApplyProgress
from ifsmith.tui.screens.ask import Ask
from ifsmith.tui.screens.changes import ChangesScreen
from ifsmith.tui.screens.dialogs import BridgeThis
from ifsmith.tui.screens.forms import BridgeForm
from tests.netns import can_make_netns, ip, make_netns, server_and_client
from tests.test_tui_apply import edit_s0, progress
from tests.test_tui_forms import goto, plain
from tests.test_tui_tree import wait_for

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))

INTERFACES = """auto lo
iface lo inet loopback

auto s0
iface s0 inet static
    address 192.0.2.1/24
"""


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Host]:
    with make_netns("ifsu-apply-s") as server, make_netns("ifsu-apply-c") as client:
        server_and_client(server, client)
        (tmp_path / "etc/network").mkdir(parents=True)
        (tmp_path / "etc/network/interfaces").write_text(INTERFACES)
        yield Host(root=tmp_path, netns=server)


def text(app: IfsmithApp, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static))


async def detected(app: IfsmithApp, pilot: Pilot[int]) -> None:
    await wait_for(pilot, lambda: app.backend == "ifupdown" and "netifrc" in app.backend_names)


async def review_a_new_address(app: IfsmithApp, pilot: Pilot[int]) -> None:
    """Give s0 a second address (pending) and open Review on it."""
    await detected(app, pilot)
    await edit_s0(app, pilot, "static", "192.0.2.1/24 198.51.100.1/24")
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(app.screen, ChangesScreen))


async def open_apply(app: IfsmithApp, pilot: Pilot[int]) -> ApplyConfirm:
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, ApplyConfirm) and app.screen.ready, 20)
    assert isinstance(app.screen, ApplyConfirm)
    return app.screen


async def apply_probing_client(
    app: IfsmithApp, pilot: Pilot[int], window: str = "30", key: str = "enter"
) -> None:
    dialog = await open_apply(app, pilot)
    dialog.query_one("#timeout", Input).value = window
    dialog.query_one("#extra", Input).value = "192.0.2.2"
    dialog.query_one("#extra", Input).focus()
    await pilot.press(key)
    # Pushed before its widgets are mounted: wait for them too.
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, ApplyProgress) and bool(app.screen.query("#progress-title")),
        limit=30,
    )


async def test_review_backend_is_a_preview_and_apply_writes_the_detected_stack(
    lab: Host,
) -> None:
    app = make_app(host=lab, read_only=None)
    async with app.run_test(size=(100, 36)) as pilot:
        await review_a_new_address(app, pilot)
        app.screen.query_one("#backend", Select).value = "netifrc"  # just to look
        await wait_for(pilot, lambda: "etc/conf.d/net" in text(app, "#diff"), limit=20)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0])
        assert app.backend == "ifupdown"

        dialog = await open_apply(app, pilot)
        assert dialog.query_one("#apply-backend", Select).value == "ifupdown"
        assert "the detected network stack" in text(app, "#apply-backend-note")
        # Choosing another backend there is deliberate, and marked.
        dialog.query_one("#apply-backend", Select).value = "netifrc"
        await wait_for(pilot, lambda: "NOT the detected" in text(app, "#apply-backend-note"))
        assert "(that is: ifupdown)" in text(app, "#apply-backend-note")
        await wait_for(pilot, lambda: dialog.ready)
        choice = dialog.choice()
        assert not isinstance(choice, str) and choice.backend == "netifrc"
        dialog.query_one("#apply-backend", Select).value = "live only"
        await wait_for(pilot, lambda: "no files written" in text(app, "#apply-backend-note"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0])

        await apply_probing_client(app, pilot, key="ctrl+s")  # ctrl+s is the dialog's OK
        await wait_for(pilot, lambda: "Rolls back in" in progress(app), limit=40)
        await pilot.press("k")
        await wait_for(pilot, lambda: "committed" in progress(app), limit=30)
    interfaces = (lab.root / "etc/network/interfaces").read_text()
    assert "198.51.100.1/24" in interfaces
    assert not (lab.root / "etc/conf.d/net").exists()


async def test_discard_all_asks_first(lab: Host) -> None:
    app = make_app(host=lab, read_only=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await review_a_new_address(app, pilot)
        await pilot.press("X")
        await wait_for(pilot, lambda: isinstance(app.screen, Ask))
        assert "Drop the pending change?" in text(app, "#ask-question")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangesScreen))
        assert len(app.pending) == 1
        await pilot.press("X")
        await wait_for(pilot, lambda: isinstance(app.screen, Ask))
        await pilot.press("ctrl+s")  # OK, as in every dialog: Drop
        await wait_for(pilot, lambda: not app.pending and isinstance(app.screen, ChangesScreen))


async def test_after_a_rollback_the_progress_screen_offers_no_keep_or_revert(lab: Host) -> None:
    app = make_app(host=lab, read_only=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await detected(app, pilot)
        await edit_s0(app, pilot, "static", "192.0.2.1/24 198.51.100.1/24")
        await apply_probing_client(app, pilot)
        screen = app.screen
        assert str(screen.query_one("#progress-title", Static).render()) == "Applying"
        assert screen.query_one("#keep", Button).display
        await wait_for(pilot, lambda: "Rolls back in" in progress(app), limit=40)
        await pilot.press("r")
        await wait_for(pilot, lambda: "rolled back" in progress(app), limit=30)
        await pilot.pause()
        assert str(screen.query_one("#progress-title", Static).render()) == "Rolled back"
        assert not screen.query_one("#keep", Button).display
        assert not screen.query_one("#revert", Button).display
        assert app.focused is screen.query_one("#close", Button)
        assert "Why: rolled back on request" in progress(app)
    assert "198.51.100.1" not in (lab.root / "etc/network/interfaces").read_text()


async def test_an_stp_bridge_made_with_i_waits_for_stp_then_gets_the_whole_window(
    lab: Host,
) -> None:
    window = 16.0  # longer than the settle margin: past the old deadline, still open
    app = make_app(host=lab, read_only=None)
    async with app.run_test(size=(100, 36)) as pilot:
        await detected(app, pilot)
        await wait_for(pilot, lambda: app.live.link("s0") is not None)
        await goto(app, pilot, "s0")
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, BridgeThis) and app.screen.children)
        assert app.screen.query_one("#bridge-stp", Checkbox).value  # on, as virsh's default
        await pilot.press("enter")  # the name offered: brs0
        await wait_for(pilot, lambda: app.pending.get("brs0") is not None)
        # A short forward delay for the test (the kernel default is 15 s).
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0])
        await goto(app, pilot, "brs0")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, BridgeForm) and app.screen.children)
        app.screen.query_one("#delay", Input).value = "2"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0])
        change = app.pending.get("brs0")
        bridge = change.interface if change is not None else None
        assert bridge is not None and bridge.bridge is not None
        assert bridge.bridge.stp and bridge.bridge.delay == 2

        await apply_probing_client(app, pilot, f"{window:g}")
        settling: list[bool] = []  # Keep's state whenever the settle countdown showed

        def waiting_for_stp() -> bool:
            if "Waiting for STP: ports forward in" not in progress(app):
                return False
            settling.append(app.screen.query_one("#keep", Button).disabled)
            return True

        await wait_for(pilot, waiting_for_stp, limit=40)
        assert settling == [True]  # nothing to keep while the ports do not forward yet
        await wait_for(pilot, lambda: "Probes pass. Rolls back in" in progress(app), limit=40)
        (txn,) = await asyncio.to_thread(all_txns, lab)
        meta = txn.meta
        assert float(meta["deadline"]) == pytest.approx(float(meta["probes_passed"]) + window)
        # Past where the window ended when it counted from the change: still open.
        old_deadline = float(meta["applied"]) + max(window, float(meta["settle"]))
        await wait_for(pilot, lambda: time.time() > old_deadline + 0.2, limit=40)
        assert "Probes pass. Rolls back in" in progress(app)
        await pilot.press("k")
        await wait_for(pilot, lambda: "committed" in progress(app), limit=30)
    written = "".join(p.read_text() for p in (lab.root / "etc/network").rglob("*") if p.is_file())
    assert "iface brs0 inet static" in written and "bridge_stp on" in written
    out = await asyncio.to_thread(ip, "-d", "-j", "link", "show", "brs0", netns=lab.netns)
    info = json.loads(out)[0]["linkinfo"]["info_data"]
    assert info["stp_state"] == 1 and info["forward_delay"] == 200  # the kernel's view
