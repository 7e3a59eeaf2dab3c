"""The TUI's Apply hands DNS to the running resolver as `ifsmith apply` does: s0's DNS
servers edited in its form reach a stand-in systemd-resolved (tests/resolver_stand_ins.py)
for s0 when the change is kept (an ifupdown server namespace, a client namespace probed)."""

from __future__ import annotations

import pytest

from ifsmith.core import resolver
from ifsmith.core.host import Host
from ifsmith.tui.app import make_app
from tests.netns import can_make_netns
from tests.resolver_stand_ins import RESOLVECTL, install, read_calls
from tests.test_tui_apply import apply_with_probe, edit_s0, progress
from tests.test_tui_review_apply import lab  # noqa: F401 (the fixture)
from tests.test_tui_tree import wait_for

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=f"n/a: {can_make_netns()}")


@pytest.fixture
def resolved_lab(lab: Host, monkeypatch: pytest.MonkeyPatch) -> Host:  # noqa: F811
    """test_tui_review_apply's lab with a stand-in systemd-resolved."""
    (lab.root / "run/systemd/resolve").mkdir(parents=True)
    stand_ins = lab.root / "stand-in-bin"
    stand_ins.mkdir()
    install(stand_ins, RESOLVECTL, "resolvectl", netns=lab.netns)
    monkeypatch.setenv(resolver.STAND_IN_SWITCH, str(stand_ins))
    return lab


async def test_dns_edited_in_the_tui_reaches_the_resolver_when_kept(resolved_lab: Host) -> None:
    host = resolved_lab
    app = make_app(host=host, read_only=None)
    async with app.run_test(size=(100, 36)) as pilot:
        await wait_for(pilot, lambda: app.backend == "ifupdown")
        await edit_s0(app, pilot, "static", "192.0.2.1/24", dns_servers="192.0.2.53")
        pending = app.pending.definitions
        assert [d.dns.servers for d in pending if d.dns] == [("192.0.2.53",)], pending
        await apply_with_probe(app, pilot)
        await wait_for(pilot, lambda: "Rolls back in" in progress(app), limit=40)
        await pilot.press("k")
        await wait_for(pilot, lambda: "committed" in progress(app), limit=30)
        said = progress(app)
    assert "dns-nameservers 192.0.2.53" in (host.root / "etc/network/interfaces").read_text(), said
    assert ["dns", "s0", "192.0.2.53"] in read_calls(host.root / "stand-in-bin")
    assert (host.root / "stand-in-bin/state/s0.dns").read_text() == "192.0.2.53"
