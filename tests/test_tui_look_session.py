"""The session around the tree (issue 9, smaller items): q asks before dropping pending
changes, ctrl+s is OK in every dialog, the message log keeps every error, kinds the
kernel cannot make are not offered, several definitions export one file each (Pilot;
tui.kinds against a namespace)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from ifsmith.core.host import Host
from ifsmith.core.model import IfType
from ifsmith.core.xmlio import parse_file
from ifsmith.tui import kinds
from ifsmith.tui.app import make_app
from ifsmith.tui.pending import Pending
from ifsmith.tui.screens.dialogs import BridgeThis, ConfirmDialog, PathDialog, TextDialog
from ifsmith.tui.screens.forms import BondForm
from ifsmith.tui.screens.help import HelpScreen
from ifsmith.tui.screens.messages import MessagesScreen
from ifsmith.tui.source import FakeSource
from tests.netns import can_make_netns, make_netns
from tests.test_tui_forms import goto, running, started
from tests.test_tui_tree import wait_for
from tests.tui_fakes import fake_live


async def shown(pilot, app, kind: type, needle: str = "Static") -> object:  # type: ignore[no-untyped-def]
    """The screen of ``kind`` once ``needle`` is mounted in it (nested widgets mount
    after the screen's own children)."""
    await wait_for(pilot, lambda: isinstance(app.screen, kind) and bool(app.screen.query(needle)))
    return app.screen


async def test_q_quits_at_once_when_nothing_is_pending(tmp_path: Path) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        await pilot.press("q")
        await wait_for(pilot, lambda: app._exit)
    assert app.return_code == 0


async def test_q_asks_before_dropping_pending_changes(tmp_path: Path) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        await goto(app, pilot, "eth2")
        await pilot.press("d")
        await wait_for(pilot, lambda: bool(app.pending))
        await pilot.press("q")
        dialog = await shown(pilot, app, ConfirmDialog, "#no")
        text = " ".join(str(w.render()) for w in dialog.query(Static))  # type: ignore[attr-defined]
        assert "Quit and drop 1 pending change?" in text
        await pilot.press("n")  # stays, the change still pending
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert app.pending and not app._exit
        await pilot.press("q")
        await shown(pilot, app, ConfirmDialog, "#no")
        await pilot.press("enter")  # the focused button is Stay: a stray Enter keeps them
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert not app._exit
        await pilot.press("q")
        await shown(pilot, app, ConfirmDialog, "#no")
        await pilot.press("ctrl+s")  # ctrl+s is yes in a confirm dialog
        await wait_for(pilot, lambda: app._exit)


async def test_ctrl_s_is_ok_in_every_dialog(tmp_path: Path) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        # Bridge this: ctrl+s takes the default name.
        await goto(app, pilot, "eth2")
        await pilot.press("i")
        await shown(pilot, app, BridgeThis, "#bridge-name")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.pending.get("breth2") is not None)
        # Export: ctrl+s writes the file named.
        await pilot.press("x")
        dialog = await shown(pilot, app, PathDialog, "#path")
        target = tmp_path / "out.xml"
        dialog.query_one("#path", Input).value = str(target)  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, target.exists)
        assert [i.name for i in parse_file(str(target))] == ["breth2"]
        # Defined vs running, help and the message log: ctrl+s closes them.
        for key, kind in [("equals_sign", TextDialog), ("question_mark", HelpScreen),
                          ("m", MessagesScreen)]:  # fmt: skip
            await pilot.press(key)
            await shown(pilot, app, kind)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda kind=kind: not isinstance(app.screen, kind))


async def test_the_message_log_keeps_every_error_with_its_time(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<interface type='bond' name='bond9'><bond mode='nonsense'/></interface>")
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        await pilot.press("o")
        dialog = await shown(pilot, app, PathDialog, "#path")
        dialog.query_one("#path", Input).value = str(bad)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(n.severity == "error" for n in app.notes))
        app.clear_notifications()  # the toast is gone, as after its timeout
        await pilot.press("m")
        log = await shown(pilot, app, MessagesScreen, "#messages-text")
        text = str(log.query_one("#messages-text", Static).render())  # type: ignore[attr-defined]
        line = next(line for line in text.splitlines() if "error" in line)
        assert str(bad) in line and "nonsense" in text
        hh, mm, ss = line.split()[0].split(":")  # the time it was said
        assert all(part.isdigit() for part in (hh, mm, ss))


async def test_kinds_the_kernel_cannot_make_are_not_offered(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    host = Host(root=tmp_path, netns="demo")
    missing = {IfType.BOND: kinds.reason(IfType.BOND), IfType.VLAN: kinds.reason(IfType.VLAN)}
    app = make_app(host, FakeSource(fake_live()), None, unmakeable=missing)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("b")
        await wait_for(pilot, lambda: any("cannot make bonds" in n.message for n in app.notes))
        assert not isinstance(app.screen, BondForm)
        said = [n.message for n in app.notes if "cannot make bonds" in n.message]
        assert "modprobe bonding" in said[-1]
        await pilot.press("v")
        await wait_for(pilot, lambda: any("modprobe 8021q" in n.message for n in app.notes))
        await pilot.press("question_mark")
        help_screen = await shown(pilot, app, HelpScreen, "#help-text")
        text = str(help_screen.query_one("#help-text", Static).render())  # type: ignore[attr-defined]
        assert "Not offered" in text and "cannot make VLANs" in text


def test_kinds_from_the_module_lists(tmp_path: Path) -> None:
    sys_module, lib = tmp_path / "sys", tmp_path / "lib"
    (sys_module / "bridge").mkdir(parents=True)  # loaded
    lib.mkdir()
    (lib / "modules.builtin").write_text("kernel/net/802/stp.ko\n")
    (lib / "modules.dep").write_text("kernel/drivers/net/bonding/bonding.ko:\n")  # installed
    assert kinds.from_modules(sys_module, lib) == {IfType.VLAN: kinds.reason(IfType.VLAN)}
    assert kinds.from_modules(sys_module, tmp_path / "absent") == {}  # unknown: no claim


@pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))
def test_probe_asks_the_kernel_and_leaves_nothing_behind() -> None:
    with make_netns("ifsu-k") as ns:
        found = kinds.probe(ns)
        links = subprocess.run(["ip", "-n", ns, "-br", "link"], capture_output=True, text=True)
        assert links.stdout.split()[0] == "lo" and len(links.stdout.splitlines()) == 1
        # The oracle: ip itself, one kind at a time.
        for kind, ip_type in [(IfType.BOND, "bond"), (IfType.BRIDGE, "bridge")]:
            made = subprocess.run(["ip", "-n", ns, "link", "add", "t0", "type", ip_type],
                                  capture_output=True).returncode == 0  # fmt: skip
            subprocess.run(["ip", "-n", ns, "link", "del", "t0"], capture_output=True)
            assert (kind not in found) == made, (kind, found)


async def test_several_definitions_export_one_file_each_to_a_directory(tmp_path: Path) -> None:
    from ifsmith.core.model import Bridge, Interface

    async with running(tmp_path, size=(100, 30)) as (app, pilot):
        two = [Interface(IfType.BRIDGE, "br7", bridge=Bridge()),
               Interface(IfType.BRIDGE, "br8", bridge=Bridge())]  # fmt: skip
        app.set_pending(Pending().replace_all(two))
        await pilot.press("x")
        dialog = await shown(pilot, app, PathDialog, "#path")
        title = str(dialog.query_one(".dialog-title", Static).render())  # type: ignore[attr-defined]
        assert "virsh iface-define" in title
        folder = tmp_path / "defs"
        dialog.query_one("#path", Input).value = f"{folder}/"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: (folder / "br8.xml").exists())
        assert [i.name for i in parse_file(str(folder / "br7.xml"))] == ["br7"]
        assert any("virsh iface-define" in n.message for n in app.notes)
        # A file: one document, and the note says how to get one file each.
        await pilot.press("x")
        dialog = await shown(pilot, app, PathDialog, "#path")
        dialog.query_one("#path", Input).value = str(tmp_path / "all.xml")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_for(pilot, lambda: (tmp_path / "all.xml").exists())
        assert [i.name for i in parse_file(str(tmp_path / "all.xml"))] == ["br7", "br8"]
        assert "one file each" in app.notes[-1].message
