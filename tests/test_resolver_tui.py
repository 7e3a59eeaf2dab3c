"""The TUI's Apply hands DNS to the running resolver as `ifsmith apply` does: s0's DNS
servers edited in its form reach a stand-in systemd-resolved (tests/resolver_stand_ins.py)
for s0 when the change is kept (an ifupdown server namespace, a client namespace probed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Tree

from ifsmith.core import resolver
from ifsmith.core.host import Host
from ifsmith.tui.app import make_app
from ifsmith.tui.screens.forms import EthernetForm
from tests.netns import can_make_netns, make_netns, server_and_client
from tests.resolver_stand_ins import RESOLVECTL, install, read_calls
from tests.test_tui_apply import apply_with_probe, progress
from tests.test_tui_tree import wait_for

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=f"n/a: {can_make_netns()}")

INTERFACES = """auto lo
iface lo inet loopback

auto s0
iface s0 inet static
    address 192.0.2.1/24
"""


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    with make_netns("dnslive-tui-s") as server, make_netns("dnslive-tui-c") as client:
        server_and_client(server, client)
        (tmp_path / "etc/network").mkdir(parents=True)
        (tmp_path / "etc/network/interfaces").write_text(INTERFACES)
        (tmp_path / "run/systemd/resolve").mkdir(parents=True)
        stand_ins = tmp_path / "stand-in-bin"
        stand_ins.mkdir()
        install(stand_ins, RESOLVECTL, "resolvectl", netns=server)
        monkeypatch.setenv(resolver.STAND_IN_SWITCH, str(stand_ins))
        yield Host(root=tmp_path, netns=server)


async def test_dns_edited_in_the_tui_reaches_the_resolver_when_kept(lab: Host) -> None:
    app = make_app(host=lab, read_only=None)
    async with app.run_test(size=(100, 36)) as pilot:
        await wait_for(pilot, lambda: app.backend == "ifupdown")
        tree = app.query_one("#tree", Tree)
        await wait_for(pilot, lambda: any(n.data == "s0" for n in tree.root.children))
        tree.move_cursor(next(n for n in tree.root.children if n.data == "s0"))
        await pilot.press("e")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, EthernetForm) and bool(app.screen.query("#dns-servers")),
        )
        app.screen.query_one("#dns-servers", Input).value = "192.0.2.53"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        await apply_with_probe(app, pilot)
        await wait_for(pilot, lambda: "Rolls back in" in progress(app), limit=40)
        await pilot.press("k")
        await wait_for(pilot, lambda: "committed" in progress(app), limit=30)
    assert "dns-nameservers 192.0.2.53" in (lab.root / "etc/network/interfaces").read_text()
    assert ["dns", "s0", "192.0.2.53"] in read_calls(lab.root / "stand-in-bin")
    assert (lab.root / "stand-in-bin/state/s0.dns").read_text() == "192.0.2.53"
