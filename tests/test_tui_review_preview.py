"""Review's preview is made ahead (when the pending set changes, in a thread) and kept,
but never shown stale: a new pending set or a file changed on disk since makes it again."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from ifsmith.core.xmlio import parse
from ifsmith.tui.app import IfsmithApp
from ifsmith.tui.pending import Pending
from ifsmith.tui.screens.changes import ChangesScreen, kept_review_screen
from ifsmith.tui.widgets.prerendered import Prerendered
from tests.test_tui_definitions import INTERFACES
from tests.test_tui_forms import fake_app, plain, started
from tests.test_tui_review_apply_speed import review_shown, ten_vlans
from tests.test_tui_tree import wait_for


def eth3_addressed() -> Pending:
    xml = (
        "<interface type='ethernet' name='eth3'><start mode='onboot'/>"
        "<protocol family='ipv4'><ip address='10.3.0.1' prefix='24'/></protocol></interface>"
    )
    return Pending().replace_all(parse(xml))


async def ready(app: IfsmithApp, pilot: Pilot[int], pending: Pending) -> ChangesScreen:
    """The app with its backend detected and PENDING pending: Review is composed in the
    background then."""
    await started(app, pilot)
    await wait_for(pilot, lambda: app.backend == "ifupdown")
    app.set_pending(pending)
    await wait_for(pilot, lambda: app.is_screen_installed("review"), limit=30)
    review = kept_review_screen(app)
    await wait_for(pilot, lambda: review.composed, limit=30)
    return review


def shown(app: IfsmithApp, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static))


async def open_review(app: IfsmithApp, pilot: Pilot[int]) -> None:
    await pilot.press("c")
    await wait_for(pilot, lambda: review_shown(app), limit=30)


async def close_review(app: IfsmithApp, pilot: Pilot[int]) -> None:
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is app.screen_stack[0])


async def reviewed(app: IfsmithApp, pilot: Pilot[int], pending: Pending, diff_says: str) -> None:
    """PENDING made the pending set, looked at in Review until its diff says DIFF_SAYS."""
    await ready(app, pilot, pending)
    await open_review(app, pilot)
    await wait_for(pilot, lambda: diff_says in shown(app, "#diff"), limit=30)
    await close_review(app, pilot)


@pytest.fixture
def ifupdown_root(tmp_path: Path) -> Path:
    (tmp_path / "etc/network").mkdir(parents=True)
    (tmp_path / "etc/network/interfaces").write_text(INTERFACES)
    return tmp_path


async def test_review_shows_at_once_the_diff_made_when_the_changes_were(
    ifupdown_root: Path,
) -> None:
    app = fake_app(ifupdown_root)
    async with app.run_test(size=(120, 36)) as pilot:
        review = await ready(app, pilot, ten_vlans())
        # Made in threads before anyone opens Review: the detected stack's diff, the XML.
        await wait_for(pilot, lambda: "ifupdown" in review.diffs and review.xml_of is app.pending)
        await open_review(app, pilot)
        # The first answer is complete: no "rendering…".
        assert "+auto eth2.10" in shown(app, "#diff")
        assert "<interface type='vlan' name='eth2.19'>" in shown(app, "#xml")


async def test_review_never_shows_the_preview_of_an_earlier_pending_set(
    ifupdown_root: Path,
) -> None:
    app = fake_app(ifupdown_root)
    async with app.run_test(size=(120, 36)) as pilot:
        await reviewed(app, pilot, ten_vlans(), "eth2.10")
        app.set_pending(app.pending.discard("eth2.10"))
        await open_review(app, pilot)  # at once, before any thread could answer
        for selector in ("#diff", "#xml"):
            assert "eth2.10" not in shown(app, selector)
        await wait_for(pilot, lambda: "eth2.11" in shown(app, "#diff"), limit=30)
        await wait_for(pilot, lambda: "eth2.11" in shown(app, "#xml"), limit=30)
        assert "eth2.10" not in shown(app, "#diff") + shown(app, "#xml")


async def test_a_file_changed_on_disk_since_makes_the_preview_again(
    ifupdown_root: Path,
) -> None:
    app = fake_app(ifupdown_root)
    async with app.run_test(size=(120, 36)) as pilot:
        await reviewed(app, pilot, eth3_addressed(), "-iface eth3 inet manual")
        # Another admin edits the file while the same change is pending.
        interfaces = ifupdown_root / "etc/network/interfaces"
        interfaces.write_text(INTERFACES.replace("iface eth3 inet manual", "iface eth3 inet dhcp"))
        await open_review(app, pilot)
        assert "-iface eth3 inet manual" not in shown(app, "#diff")
        await wait_for(pilot, lambda: "-iface eth3 inet dhcp" in shown(app, "#diff"), 30)
        assert "-iface eth3 inet manual" not in shown(app, "#diff")


async def test_review_renders_its_lines_again_for_a_resized_terminal(
    ifupdown_root: Path,
) -> None:
    app = fake_app(ifupdown_root)
    async with app.run_test(size=(120, 36)) as pilot:
        await reviewed(app, pilot, ten_vlans(), "eth2.10")
        await open_review(app, pilot)
        diff = app.screen.query_one("#diff", Prerendered)
        wide = diff.size.width
        assert diff.prerendered_width == wide  # drawn from the lines made in a thread
        await pilot.resize_terminal(90, 30)
        await wait_for(pilot, lambda: 0 < diff.size.width < wide)
        await wait_for(pilot, lambda: diff.prerendered_width == diff.size.width)
        assert "+auto eth2.10" in shown(app, "#diff")
