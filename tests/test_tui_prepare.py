"""Forms made in the background once the tree is shown (IfsmithApp.prepare): ready before
they are asked for, right when opened, and harmless when the app quits meanwhile."""

from __future__ import annotations

from textual.widgets import SelectionList

from ifsmith.core.host import Host
from ifsmith.core.model import IfType
from ifsmith.tui.app import make_app
from ifsmith.tui.screens.forms import BondForm
from ifsmith.tui.source import FakeSource
from tests.test_tui_forms import open_form
from tests.test_tui_tree import NOWHERE, wait_for
from tests.tui_fakes import fake_live


async def test_every_form_is_made_and_filled_before_it_is_opened() -> None:
    app = make_app(host=Host(root=NOWHERE, netns="demo"), source=FakeSource(fake_live()))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot, lambda: set(app.forms) == set(IfType) and all(
                f.is_mounted for f in app.forms.values()
            ),
        )  # fmt: skip
        bond = app.forms[IfType.BOND]
        slaves = bond.query_one("#slaves", SelectionList)
        await wait_for(pilot, lambda: slaves.option_count == 2)  # eth2, eth3: the free NICs
        assert len(app.screen_stack) == 1  # made, not shown
        # Opened, it is the same form, filled for a new bond.
        form = await open_form(app, pilot, "b", BondForm)
        assert form is bond
        assert form.query_one("#name").value == "bond1"  # type: ignore[attr-defined]


async def quit_while_the_forms_are_made() -> int | None:
    app = make_app(host=Host(root=NOWHERE, netns="demo"), source=FakeSource(fake_live()))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(app.forms))  # the first one is under way
        await pilot.press("q")
    return app.return_code


async def test_quitting_while_the_forms_are_made_is_clean() -> None:
    for _ in range(5):
        assert await quit_while_the_forms_are_made() == 0
