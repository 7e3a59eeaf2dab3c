"""Readable without colour and at 80 columns (issue 9, items 9 and 10): tick boxes in
glyphs, NO_COLOR styles for the cursor and disabled fields, placeholders that do not read
as values, the tree's columns at every depth, the details' state; titles (Pilot)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, Static, Tree

from ifsmith.core.host import Host
from ifsmith.core.model import LinkState, LiveHost
from ifsmith.tui.app import IfsmithApp, details_text, make_app
from ifsmith.tui.screens.dialogs import BridgeThis
from ifsmith.tui.screens.forms import BondForm, BridgeForm, EthernetForm, VlanForm
from ifsmith.tui.source import FakeSource
from ifsmith.tui.widgets.field import Choice, Picker
from tests.test_tui_apply import lab as lab  # the server/client namespace pair fixture
from tests.test_tui_forms import goto, running, started
from tests.test_tui_forms import open_form as open_any_form
from tests.test_tui_terminals import CONSOLE_GLYPHS
from tests.test_tui_tmux import REASON
from tests.test_tui_tmux import Pane as TmuxPane
from tests.test_tui_tree import wait_for
from tests.tui_fakes import fake_live


async def open_form(
    app: IfsmithApp, pilot: Pilot[int], key: str, form: type[Screen[Any]], at: str | None = None
) -> Screen[Any]:
    """The form, once the forms made in the background are ready and it has its fields."""
    await settled(app, pilot)
    screen = await open_any_form(app, pilot, key, form, at)
    await wait_for(pilot, lambda: getattr(screen, "filled", False) and screen.is_current)
    return screen


async def settled(app: IfsmithApp, pilot: Pilot[int]) -> None:
    """The forms composed in the background (IfsmithApp.prepare) are done."""
    await wait_for(
        pilot,
        lambda: not any(w.group == "prepare" and not w.is_finished for w in app.workers),
        limit=20,
    )


class Pane(TmuxPane):
    def gone(self, needle: str, limit: float = 10) -> None:
        deadline = time.monotonic() + limit
        while needle in self.text():
            assert time.monotonic() < deadline, f"{needle!r} stayed:\n{self.text()}"
            time.sleep(0.05)

    def alive(self) -> bool:
        """The tmux session (and so the command in it) still runs."""
        result = subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True)
        return result.returncode == 0


def line_text(segments: list[Segment]) -> str:
    return "".join(segment.text for segment in segments)


def tree_lines(app: IfsmithApp) -> dict[str, str]:
    """Each interface's tree line as drawn (guides and icons included), by name."""
    tree = app.query_one("#tree", Tree)
    out = {}
    for y in range(min(tree.last_line + 1, tree.size.height)):
        node = tree.get_node_at_line(y)
        if node is not None and node.data is not None:
            out[node.data] = line_text(list(tree.render_line(y))).rstrip()
    return out


async def test_tick_boxes_say_ticked_or_not_in_glyphs(tmp_path: Path) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        form = await open_form(app, pilot, "B", BridgeForm)
        stp = form.query_one("#stp", Checkbox)
        assert str(stp.render()).startswith("[ ]")  # not Textual's ▐X▌ for both
        stp.focus()
        await pilot.press("space")
        await wait_for(pilot, lambda: stp.value)
        assert str(stp.render()).startswith("[x]")
        ports = form.query_one("#ports", Picker)
        first = line_text(list(ports.render_line(0)))
        assert first.startswith("[ ] eth2"), first
        ports.focus()
        await pilot.press("space")  # ticks the highlighted (first) port
        await wait_for(pilot, lambda: ports.selected == ["eth2"])
        assert line_text(list(ports.render_line(0))).startswith("[x] eth2")
        assert line_text(list(ports.render_line(1))).startswith("[ ] ")


async def test_bridge_this_dialog_ticks_stp_in_glyphs(tmp_path: Path) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        await goto(app, pilot, "eth2")
        await pilot.press("i")
        await wait_for(
            pilot, lambda: isinstance(app.screen, BridgeThis) and bool(app.screen.children)
        )
        stp = app.screen.query_one("#bridge-stp", Checkbox)
        assert str(stp.render()).startswith("[x]")  # on by default, as virsh iface-bridge
        stp.value = False
        assert str(stp.render()).startswith("[ ]")


async def test_no_color_reverses_the_cursor_and_dims_what_is_disabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        assert app.has_class("no-color")
        tree = app.query_one("#tree", Tree)
        await pilot.pause()
        cursor = list(tree.render_line(tree.cursor_line))
        assert any(s.style is not None and s.style.reverse for s in cursor if s.text.strip())
        others = list(tree.render_line(tree.cursor_line + 1))
        assert not any(s.style is not None and s.style.reverse for s in others)
        form = await open_form(app, pilot, "b", BondForm)
        ok = form.query_one("#ok", Button)
        assert ok.disabled  # no slave ticked yet
        assert ok.rich_style.dim and ok.rich_style.strike
        cancel = form.query_one("#cancel", Button)
        assert not cancel.rich_style.strike
        addresses = form.query_one("#ipv4-addresses", Input)
        assert addresses.disabled and addresses.rich_style.strike
        name = form.query_one("#name", Input)
        assert not name.disabled and not name.rich_style.strike


async def test_placeholders_are_in_parentheses_and_say_static_only(tmp_path: Path) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        form = await open_form(app, pilot, "b", BondForm)
        assert form.query_one("#mtu", Input).placeholder == "(default)"
        addresses = form.query_one("#ipv4-addresses", Input)
        gateway = form.query_one("#ipv4-gateway", Input)
        assert (addresses.placeholder, gateway.placeholder) == ("(static only)",) * 2
        method = form.query_one("#ipv4-method", Choice)
        method.focus()
        await pilot.press("right", "right")  # none → DHCP → static, as the admin steps
        await wait_for(pilot, lambda: method.value == "static" and not addresses.disabled)
        assert addresses.placeholder == "(e.g. 192.0.2.10/24)"
        assert gateway.placeholder == ""


def with_states(live: LiveHost) -> LiveHost:
    """The fake host with eth2 in the longest state name there is."""
    links = tuple(
        dataclasses.replace(link, operstate=LinkState.LOWERLAYERDOWN)
        if link.name == "eth2"
        else link
        for link in live.links
    )
    return dataclasses.replace(live, links=links)


async def test_at_80_columns_rows_keep_full_states_an_address_and_align(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    host = Host(root=tmp_path, netns="demo")
    app = make_app(host=host, source=FakeSource(with_states(fake_live())), read_only=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.pause()
        lines = tree_lines(app)
        assert "lowerlayerdown" in lines["eth2"]  # the full state
        assert "198.51.100" in lines["eth2"]  # and (the start of) its address
        assert "192.0.2.10" in lines["bond0"]

        # eth2 (top level), bond0 (▼), eth0 (├ under bond0), bond0.100 (nested under
        # br100): each type starts in the same column.
        def column(name: str, word: str) -> int:
            return lines[name].index(word, lines[name].index(name) + len(name))

        kinds = {name: column(name, word) for name, word in
                 [("eth2", "ethernet"), ("bond0", "bond"), ("eth0", "ethernet"),
                  ("br100", "bridge"), ("bond0.100", "vlan 100")]}  # fmt: skip
        assert len(set(kinds.values())) == 1, (kinds, lines)
        states = {name: column(name, f" {state}") for name, state in
                  [("eth2", "lowerlayerdown"), ("bond0", "up"), ("bond0.100", "up")]}  # fmt: skip
        assert len(set(states.values())) == 1, (states, lines)


def test_details_say_up_once_and_name_the_admin_state_otherwise() -> None:
    live = with_states(fake_live())
    facts = {
        name: next(
            line
            for line in details_text(live.link(name), live).plain.splitlines()  # type: ignore[arg-type]
            if line.startswith("state")
        )
        for name in ("bond0", "eth2")
    }
    assert facts["bond0"].split() == ["state", "up"]  # not "up (up)"
    assert facts["eth2"].split() == ["state", "lowerlayerdown", "(admin", "up)"]
    down = dataclasses.replace(live.link("eth2"), admin_up=False)  # type: ignore[arg-type]
    other = dataclasses.replace(live, links=(down,))
    assert "(admin down)" in details_text(down, other).plain


@pytest.mark.parametrize(
    ("key", "form", "title"),
    [("b", BondForm, "New bond"), ("B", BridgeForm, "New bridge"), ("v", VlanForm, "New VLAN")],
)
async def test_form_titles_name_the_kind_consistently(
    tmp_path: Path, key: str, form: type[BondForm], title: str
) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        screen = await open_form(app, pilot, key, form)
        assert str(screen.query_one("#form-title", Static).render()) == title


async def test_edit_titles_name_the_kind_and_the_interface(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot):
        screen = await open_form(app, pilot, "e", BondForm, at="bond0")
        assert str(screen.query_one("#form-title", Static).render()) == "Edit bond bond0"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        screen = await open_form(app, pilot, "e", EthernetForm, at="eth2")
        assert str(screen.query_one("#form-title", Static).render()) == "Edit ethernet eth2"


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_console_no_color_80x24_draws_only_console_glyphs_everywhere(lab: Host) -> None:
    """The real command on TERM=linux with NO_COLOR at 80x24: the tree (an address beside
    the state), the palette, the search line, the message log and the quit question."""
    argv = [sys.executable, "-m", "ifsmith.tui.cli", "--netns", lab.netns or "",
            "--root", str(lab.root)]  # fmt: skip
    env = {"TERM": "linux", "NO_COLOR": "1", "COLORTERM": "",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}  # fmt: skip
    pane = Pane(f"ifsu-look-{os.getpid()}-{time.monotonic_ns() % 100000}", argv, env, (80, 24))

    def glyphs_ok(screen: str) -> None:
        odd = set(screen) - CONSOLE_GLYPHS - {"\n"}
        assert not odd, (sorted(odd), screen)

    try:
        screen = pane.wait("192.0.2.1/24")  # s0's address in the tree at 80 columns
        glyphs_ok(screen)
        pane.keys("C-p")
        glyphs_ok(pane.wait("Search for commands..."))
        pane.keys("Escape")
        pane.gone("Search for commands")  # a key right after a lone ESC would join it
        pane.keys("/")
        pane.wait("(part of a name")
        pane.keys("s", "0")
        glyphs_ok(pane.wait("filter 's0'"))
        pane.keys("Enter", "d")  # delete s0 (pending)
        pane.wait("s0-")
        pane.keys("m")
        glyphs_ok(pane.wait("Messages of this session"))
        pane.keys("Escape")
        pane.gone("Messages of this session")
        pane.keys("q")
        glyphs_ok(pane.wait("Quit and drop 1 pending change?"))
        pane.keys("y")
        deadline = time.monotonic() + 10
        while pane.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not pane.alive(), "q, y did not quit"
    finally:
        pane.close()
