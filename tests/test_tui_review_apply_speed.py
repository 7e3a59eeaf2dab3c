"""Review (`c`), switching its backend, and Apply (`a`) answer within 100 ms with 10
pending changes (issue 9: they took 180-550 ms).

Answered: the screen shown with its first content drawn — Review with the chosen
backend's diff (or "rendering…" while a thread makes it) and the changes listed, the
Apply dialog with its summary ("planning…") — including the frame Pilot draws after it.
The Apply dialog's plan is made in a thread and arrives later, as an event of its own:
the test holds it until the key's answer is measured, then measures its arrival
("a: plan shown") against the same budget.

Measured as the UI thread's CPU time (``time.thread_time``) from the key to that
answer: what blocks the event loop, and so the next key.  The one tolerance is for load:
this runs beside other tests on a shared 2-core machine, where wall time measures the
neighbours, so CPU time, not wall time (work done in threads — rendering the files,
planning — is not the UI thread's), and the median of several presses (a collector pass
or a neighbour's burst of cache misses lands in one press, not in most); no single
press may take twice the budget.  bench/tui.py measures wall time on a real terminal.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from rich.console import Group
from textual.pilot import Pilot
from textual.widgets import Select, Static

from ifsmith.core.xmlio import parse
from ifsmith.tui.app import IfsmithApp
from ifsmith.tui.pending import Pending
from ifsmith.tui.screens import apply
from ifsmith.tui.screens.apply import ApplyConfirm
from ifsmith.tui.screens.changes import ChangesScreen
from tests.test_tui_definitions import INTERFACES
from tests.test_tui_forms import fake_app, started
from tests.test_tui_tree import wait_for

BUDGET = 0.100  # seconds of the UI thread from a key to its answer (median)
WORST = 2 * BUDGET  # the most any one press may take on a loaded machine
PRESSES = 5
PENDING = 10


def ten_vlans() -> Pending:
    """10 pending changes: VLANs 10..19 on eth2, each with an address."""
    xml = "".join(
        f"<interface type='vlan' name='eth2.{tag}'><start mode='onboot'/>"
        f"<protocol family='ipv4'><ip address='10.{tag}.0.1' prefix='24'/></protocol>"
        f"<vlan tag='{tag}'><interface name='eth2'/></vlan></interface>"
        for tag in range(10, 10 + PENDING)
    )
    return Pending().replace_all(parse(f"<interfaces>{xml}</interfaces>"))


def diff_title(screen: ChangesScreen) -> str:
    """The backend Review's diff is of: its title ("ifupdown:") or "ifupdown: rendering…"."""
    content = screen.query_one("#diff", Static).content
    first = content.renderables[0] if isinstance(content, Group) else content
    return str(first).split(":")[0]


def review_shown(app: IfsmithApp) -> bool:
    """Review on screen, listing the pending changes, its diff of the chosen backend."""
    screen = app.screen
    return (
        isinstance(screen, ChangesScreen)
        and screen.is_mounted
        and screen.listed is app.pending
        and diff_title(screen) == screen.backend
    )


def review_complete(app: IfsmithApp) -> bool:
    screen = app.screen
    return review_shown(app) and screen.diffs.get(screen.backend) is not None  # type: ignore[attr-defined]


def apply_shown(app: IfsmithApp) -> bool:
    screen = app.screen
    return (
        isinstance(screen, ApplyConfirm)
        and screen.is_mounted
        and bool(str(screen.query_one("#apply-summary", Static).content))
    )


async def answer_cpu(
    pilot: Pilot[int], act: Callable[[], Awaitable[None]], answered: Callable[[], bool]
) -> float:
    """The UI thread's CPU seconds from ACT (a key) until ``answered()`` and the frame
    after it (Pilot's pause draws it)."""
    await pilot.pause(0.1)  # what the last key started is done
    start = time.thread_time()
    await act()
    deadline = time.monotonic() + 30
    while not answered():
        assert time.monotonic() < deadline, "no answer within 30 s"
        await pilot.pause()
    await pilot.pause()
    return time.thread_time() - start


async def back_to_the_tree(pilot: Pilot[int]) -> None:
    await pilot.press("escape")
    await wait_for(pilot, lambda: pilot.app.screen is pilot.app.screen_stack[0], limit=30)


async def test_review_backend_switch_and_apply_answer_within_100_ms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake host's namespace does not exist: no ssh sessions or DNS servers to find.
    monkeypatch.setattr("ifsmith.core.probe.discover", lambda host, live: [])
    # The plan waits for the gate: the key's answer is measured without its arrival.
    gate = threading.Event()
    plan = apply.prepare

    def held(*args: object) -> apply.Preparation:
        assert gate.wait(30)
        return plan(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(apply, "prepare", held)
    (tmp_path / "etc/network").mkdir(parents=True)
    (tmp_path / "etc/network/interfaces").write_text(INTERFACES)
    app = fake_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(app, pilot)
        await wait_for(pilot, lambda: app.backend == "ifupdown" and "netifrc" in app.backend_names)
        # The Apply dialog is composed in the background once the tree shows, Review once
        # changes are pending.
        app.set_pending(ten_vlans())
        await wait_for(pilot, lambda: app.is_screen_installed("review"), limit=30)
        await wait_for(pilot, lambda: not any(w.group.startswith("prepare") for w in app.workers
                                              if not w.is_finished), limit=30)  # fmt: skip
        figures: dict[str, list[float]] = {"c": [], "switch": [], "a": [], "a: plan shown": []}

        async def press(key: str) -> None:
            await pilot.press(key)

        async def let_the_plan_through() -> None:
            gate.set()

        for _ in range(PRESSES):
            figures["c"].append(await answer_cpu(pilot, lambda: press("c"),
                                                 lambda: review_shown(app)))  # fmt: skip
            await back_to_the_tree(pilot)
            gate.clear()
            figures["a"].append(await answer_cpu(pilot, lambda: press("a"),
                                                 lambda: apply_shown(app)))  # fmt: skip
            summary = app.screen.query_one("#apply-summary", Static)
            assert str(summary.content) == "planning…\n"
            planned = lambda summary=summary: "Probes judged" in str(summary.content)  # noqa: E731
            figures["a: plan shown"].append(await answer_cpu(pilot, let_the_plan_through, planned))
            await back_to_the_tree(pilot)
        # The backend switch, inside Review: to backends rendered in a thread the first
        # time ("rendering…" answers), then kept.
        await pilot.press("c")
        await wait_for(pilot, lambda: review_complete(app), limit=30)
        screen = app.screen
        assert isinstance(screen, ChangesScreen)
        chooser = screen.query_one("#backend", Select)
        for backend in ("netifrc", "ifupdown", "networkd", "ifupdown", "netifrc"):

            async def choose(backend: str = backend) -> None:
                chooser.value = backend

            figures["switch"].append(await answer_cpu(pilot, choose, lambda: review_shown(app)))
            await wait_for(pilot, lambda: review_complete(app), limit=30)
        ms = {k: [round(v * 1000, 1) for v in values] for k, values in figures.items()}
        print("UI thread ms per press:", ms)
        medians = {k: statistics.median(v) for k, v in figures.items()}
        slow = {k: f"median {v * 1000:.0f} ms" for k, v in medians.items() if v > BUDGET}
        slow |= {k: f"one press {max(v) * 1000:.0f} ms" for k, v in figures.items()
                 if max(v) > WORST}  # fmt: skip
        assert not slow, f"over the budget: {slow} (all, ms: {ms})"
