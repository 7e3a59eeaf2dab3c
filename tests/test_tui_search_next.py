"""`n` and `N` after a search (`/`), as in less and vim: the cursor jumps to the next or
previous interface whose name matches, going round at the ends with a message, and says
so when nothing matches or nothing was searched."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Tree

from ifsmith.tui.app import IfsmithApp
from ifsmith.tui.screens.help import HelpScreen
from ifsmith.tui.widgets.search import SearchLine, next_match
from tests.test_tui_forms import running
from tests.test_tui_tree import labels, wait_for

# The demo host's tree: eth2, bond0 (eth0, eth1), br100 (bond0.100), eth3.


def last_note(app: IfsmithApp) -> str:
    return app.notes[-1].message if app.notes else ""


async def search(app: IfsmithApp, pilot: object, text: str) -> None:
    """Type TEXT after / and keep it with Enter."""
    await pilot.press("slash", *text, "enter")  # type: ignore[attr-defined]
    line = app.query_one(SearchLine)
    await wait_for(pilot, lambda: app.search == text and not line.display)  # type: ignore[arg-type]


async def test_n_and_N_jump_between_matches_and_say_when_they_wrap(tmp_path: Path) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        tree = app.query_one("#tree", Tree)
        await search(app, pilot, "eth")
        # The filter keeps bond0, which holds matches; n and N skip it.
        assert labels(tree.root) == ["eth2", "bond0", "  eth0", "  eth1", "eth3"]
        await pilot.press("home")
        await wait_for(pilot, lambda: app.selected() == "eth2")
        seen = []
        for _ in range(3):
            await pilot.press("n")
            await pilot.pause()
            seen.append(app.selected())
        assert seen == ["eth0", "eth1", "eth3"]
        assert not any("search hit" in n.message for n in app.notes)
        await pilot.press("n")  # past the last: round to the first
        await wait_for(pilot, lambda: app.selected() == "eth2")
        assert last_note(app) == "search hit BOTTOM, continuing at TOP"
        await pilot.press("N")  # before the first: round to the last
        await wait_for(pilot, lambda: app.selected() == "eth3")
        assert last_note(app) == "search hit TOP, continuing at BOTTOM"
        await pilot.press("N")
        await wait_for(pilot, lambda: app.selected() == "eth1")


async def test_n_goes_on_finding_the_last_search_once_the_filter_is_cleared(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        tree = app.query_one("#tree", Tree)
        everything = labels(tree.root)
        await search(app, pilot, "BOND0.")  # case does not matter
        await pilot.press("escape")  # the filter goes: every row again
        await wait_for(pilot, lambda: labels(tree.root) == everything and app.search == "")
        await pilot.press("home", "n")
        await wait_for(pilot, lambda: app.selected() == "bond0.100")
        await pilot.press("n")  # the only match: round to itself, and said so
        await wait_for(pilot, lambda: last_note(app).startswith("search hit BOTTOM"))
        assert app.selected() == "bond0.100"


async def test_n_says_when_nothing_matches_or_nothing_was_searched(tmp_path: Path) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        await pilot.press("home")
        await wait_for(pilot, lambda: app.selected() == "eth2")
        await pilot.press("n")
        await wait_for(pilot, lambda: last_note(app) == "nothing searched yet: / to search")
        assert app.selected() == "eth2"
        await search(app, pilot, "zz")
        await pilot.press("N")
        await wait_for(pilot, lambda: last_note(app) == "no interface matches 'zz'")


async def test_n_in_a_dialog_does_not_move_the_tree_and_help_lists_n_and_N(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        await search(app, pilot, "eth")
        await pilot.press("home", "question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        keys = dict(help_screen.keys)
        assert "next interface the search matches" in keys["n"]
        assert "previous" in keys["N"]
        await pilot.press("n")
        await pilot.pause()
        assert app.selected() == "eth2"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0])
        await pilot.press("n")
        await wait_for(pilot, lambda: app.selected() == "eth0")


def test_next_match_wraps_both_ways_and_skips_rows_without_a_name() -> None:
    names = ["eth2", None, "bond0", "eth0"]
    assert next_match(names, 0, "ETH") == (3, False)
    assert next_match(names, 3, "eth") == (0, True)
    assert next_match(names, 0, "eth", forward=False) == (3, True)
    assert next_match(names, 3, "eth", forward=False) == (0, False)
    assert next_match(names, 2, "bond") == (2, True)  # only itself: round to it
    assert next_match(names, 0, "br") is None
    assert next_match([], 0, "eth") is None
