"""Issue 12: IFSMITH_TEST_NONROOT_OK (the test suite's switch that skips the root check) is
not honoured outside the test suite.

What the attacker did: set the variable and run an installed ifsmith as an ordinary user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ifsmith.core.host import root_check_skipped

REPO = Path(__file__).resolve().parents[1]
SWITCHES = {"IFSMITH_TEST_NONROOT_OK": "1", "PYTEST_CURRENT_TEST": "forged (call)"}


@pytest.fixture
def installed() -> Iterator[Path]:
    """The package alone, world-readable, as pip or a distro installs it (no tests/)."""
    copy = Path(tempfile.mkdtemp(prefix="ifsmith-installed-", dir="/tmp"))
    try:
        for part in ("api", "core", "backends", "tui"):
            shutil.copytree(REPO / part, copy / "ifsmith" / part,
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        for path in [copy, *copy.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield copy
    finally:
        shutil.rmtree(copy)


def test_the_switch_works_only_inside_a_pytest_run_of_the_checkout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IFSMITH_TEST_NONROOT_OK", raising=False)
    assert not root_check_skipped()
    monkeypatch.setenv("IFSMITH_TEST_NONROOT_OK", "1")
    assert root_check_skipped()  # here: pytest, in the checkout
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert not root_check_skipped()  # the checkout run by hand


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a command as nobody")
def test_an_installed_ifsmith_run_as_nobody_with_the_switch_still_needs_root(
    installed: Path,
) -> None:
    root = Path(tempfile.mkdtemp(prefix="ifsmith-root-", dir="/tmp"))
    try:
        root.chmod(0o777)  # nobody could write the journal and the lock there
        result = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "/usr/bin/python3", "-m", "ifsmith.tui.cli", "--root", str(root), "recover"],
            capture_output=True, text=True, timeout=60,
            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(installed), **SWITCHES},
        )  # fmt: skip
        assert result.returncode == 1, result.stdout + result.stderr
        assert "changing the network needs root" in result.stderr
        assert list(root.iterdir()) == []  # not even a lock file
    finally:
        shutil.rmtree(root)
