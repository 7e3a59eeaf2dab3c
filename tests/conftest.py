"""Shared fixtures: where the anchors are, and the user-mode Linux plugin."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ANCHORS = REPO.parent / "shared" / "anchors"



@pytest.fixture(scope="session")
def anchors() -> Path:
    """../shared/anchors beside the checkout; tests that need it skip when it is absent."""
    if not ANCHORS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{ANCHORS} is missing in CI: the conformance tests cannot run")
        pytest.skip(f"{ANCHORS} is absent (a fresh clone without ../shared)")
    return ANCHORS


# In CI every optional tool is installed, so a skip means a test did not run that should
# have.  Skips whose reason starts with "n/a:" are deliberate (a case that does not apply)
# and allowed; any other skip turns a CI run red.
_ENV_SKIPS: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        if not reason.removeprefix("Skipped: ").startswith("n/a:"):
            _ENV_SKIPS.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") and _ENV_SKIPS and not hasattr(session.config, "workerinput"):
        print("\nCI: these tests were skipped although CI has everything installed:")
        for line in _ENV_SKIPS:
            print(f"  {line}")
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _terminal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same terminal for every test run (CI has none): snapshots must not depend on it.

    Tests of TERM=linux or NO_COLOR set those themselves.
    """
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
