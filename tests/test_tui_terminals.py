"""Terminals: the Linux console (TERM=linux: the 8 basic colours only), NO_COLOR, 80×24."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from ifsmith.core.host import Host
from ifsmith.tui.screens.forms import BondForm
from ifsmith.tui.widgets.console import WholeCellScrollBar, is_linux_console, use_console_glyphs
from ifsmith.tui.widgets.field import Choice
from tests.test_tui_apply import lab as lab  # the server/client namespace pair fixture
from tests.test_tui_forms import open_form, running
from tests.test_tui_tmux import REASON, Pane
from tests.test_tui_tree import wait_for

# SGR parameters the Linux console does not render: bright 90-97/100-107, 256 and RGB.
UNSUPPORTED = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:9[0-7]|10[0-7]|38;5|48;5|38;2|48;2)[;m]")
# What a Linux console font (the VGA set, CP437) can draw: ASCII, the upper half of
# CP437, and the glyphs CP437 puts at 0x01-0x1F and 0x7F.
CONSOLE_GLYPHS = (
    {chr(c) for c in range(0x20, 0x7F)}
    | set(bytes(range(0x80, 0x100)).decode("cp437"))
    | set("☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼⌂")
)


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_linux_console_gets_only_basic_colours(lab: Host) -> None:
    argv = [sys.executable, "-m", "ifsmith.tui.cli", "--netns", lab.netns or "",
            "--root", str(lab.root)]  # fmt: skip
    # The console sets no COLORTERM; an inherited "truecolor" would override TERM.
    env = {"TERM": "linux", "COLORTERM": "", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    # 80x24, as the console (80x25): the bond form scrolls, so it shows a scrollbar.
    name = f"ifsu-con-{os.getpid()}-{time.monotonic_ns() % 100000}"
    pane = Pane(name, argv, env, size=(80, 24))
    try:
        pane.wait("s0  ")
        pane.keys("b")
        pane.wait("New bond")
        raw = subprocess.run(["tmux", "capture-pane", "-p", "-e", "-t", pane.name],
                             capture_output=True, text=True).stdout  # fmt: skip
        assert "\x1b[" in raw, "no colour at all: the capture did not keep escapes"
        assert not UNSUPPORTED.findall(raw), UNSUPPORTED.findall(raw)[:5]
        assert "┌" in raw and "╭" not in raw  # square corners: rounded ones are not in CP437
        text = pane.text()
        assert "▼" in text  # a choice, drawn with a glyph the font has
        assert set(text) - {"\n"} <= CONSOLE_GLYPHS, sorted(set(text) - CONSOLE_GLYPHS - {"\n"})
    finally:
        pane.close()


async def test_no_color_keeps_pending_marks_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        assert app.no_color
        await pilot.press("d")  # the first row, eth2
        status = str(app.query_one("#status", Static).render())
        assert "1 pending change" in status
        tree = app.query_one("#tree")
        assert str(tree.root.children[0].label).startswith("eth2-")  # type: ignore[attr-defined]


async def test_forms_scroll_at_80x24(tmp_path: Path) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        form = await open_form(app, pilot, "b", BondForm)
        # Messages beside two fields make the bond form taller than 24 rows.
        form.query_one("#mtu", Input).value = "1"
        form.query_one("#ipv4-method", Choice).value = "static"
        form.query_one("#ipv4-addresses", Input).value = "192.0.2.999/24"
        # The messages' lines are mounted on demand: wait until both are laid out.
        await wait_for(
            pilot,
            lambda: all(
                any(line.region.height for line in form.query(f"#err-{field}"))
                for field in ("mtu", "ipv4-addresses")
            ),
        )
        fields = form.query_one("#fields")
        assert fields.max_scroll_y > 0  # more fields than rows: they scroll
        form.query_one("#ipv6-method").focus()
        # Focusing the last field scrolls it into view.
        await wait_for(pilot, lambda: fields.scroll_y == fields.max_scroll_y)


def test_console_scrollbars_use_whole_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    def glyphs(renderer: type[ScrollBarRender], vertical: bool) -> set[str]:
        out: set[str] = set()
        for position in range(28):
            bar = renderer.render_bar(size=10, virtual_size=37, window_size=10,
                                      position=position, vertical=vertical)  # fmt: skip
            out |= {ch for segment in bar.segments for ch in segment.text} - {"\n"}
        return out

    for vertical in (True, False):
        assert glyphs(ScrollBarRender, vertical) - CONSOLE_GLYPHS  # Textual's eighth blocks
        assert glyphs(WholeCellScrollBar, vertical) <= CONSOLE_GLYPHS
    monkeypatch.setattr(ScrollBar, "renderer", ScrollBarRender)
    monkeypatch.setenv("TERM", "linux")
    assert is_linux_console()
    use_console_glyphs()
    assert ScrollBar.renderer is WholeCellScrollBar


@pytest.mark.parametrize("width", [80, 120])
async def test_every_footer_key_is_on_screen(tmp_path: Path, width: int) -> None:
    async with running(tmp_path, size=(width, 24)) as (app, pilot):
        await pilot.pause()
        shown = {b.key for b in app.BINDINGS if isinstance(b, Binding) and b.show}
        keys = list(app.screen.query(FooterKey))
        assert {k.key for k in keys} >= shown
        off = [k.key for k in keys if not k.region or k.region.right > width]
        assert not off, f"cut off at {width} columns: {off}"
        palette = [k for k in keys if k.has_class("-command-palette")]  # docked right
        under = [k.key for k in keys for p in palette if k is not p and k.region.overlaps(p.region)]
        assert not under, f"under the palette's hint at {width} columns: {under}"
