"""Regenerate screenshots/*.svg: every TUI screen on the fixed demo host, at 120×36.

    .venv/bin/python tests/make_screenshots.py      (from the checkout's top)

Uses the same steps as the snapshot tests (tests/test_tui_snapshots.py), so what the
README shows is what the tests pin.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ifsmith.tui.screens.help import HelpScreen  # noqa: E402
from tests.test_tui_snapshots import (  # noqa: E402
    APPLIED,
    FORMS,
    ROLLED_BACK,
    Steps,
    bridge_bond0_then_review,
    demo_app,
    progress_steps,
    shown,
    steps_for,
)

OUT = REPO / "screenshots"


async def nothing(app: object, pilot: object) -> None:
    """The main screen as it opens."""


async def save(name: str, steps: Steps, size: tuple[int, int] = (120, 36)) -> Path:
    """Run the demo app through ``steps`` and save what it shows as NAME.svg."""
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await shown(app, pilot)
        await steps(app, pilot)
        app.clear_notifications()
        await pilot.pause(1.0)  # the 80-column footer lays its keys out late
        path = OUT / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(OUT))
    return path


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        shots: dict[str, Steps] = {
            "main": nothing,
            **{f"form-{name}": steps for name, steps in FORMS.items()},
            "changes": bridge_bond0_then_review,
            "apply-progress": progress_steps(APPLIED, Path(scratch) / "applied"),
            "apply-rolled-back": progress_steps(ROLLED_BACK, Path(scratch) / "rolled-back"),
            "help": steps_for("question_mark", HelpScreen),
        }
        for name, steps in shots.items():
            print(await save(name, steps))
        print(await save("main-80x24", nothing, (80, 24)))


if __name__ == "__main__":
    asyncio.run(main())
