"""`ifsmith --sandbox` as a new user runs it: three NICs in a throwaway namespace, removed
again when the TUI quits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from tests.netns import can_make_netns
from tests.test_tui_tmux import REASON, Pane

pytestmark = pytest.mark.skipif(
    REASON is not None or can_make_netns() is not None, reason=str(REASON or can_make_netns())
)


def namespaces() -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in listed.splitlines() if line.strip()}


def test_sandbox_shows_three_nics_and_removes_its_namespaces_on_quit() -> None:
    argv = [sys.executable, "-m", "ifsmith.tui.cli", "--sandbox"]
    env = {"TERM": "xterm-256color", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    pane = Pane(f"ifsu-sbx-{os.getpid()}-{time.monotonic_ns() % 100000}", argv, env)
    try:
        screen = pane.wait("192.0.2.10/24")
        for nic in ("eth0", "eth1", "eth2"):
            assert nic in screen
        name = re.search(r"ifsmith-sbx-\d+", screen)
        assert name is not None, screen
        mine = {n for n in namespaces() if n.startswith(name.group(0))}
        assert mine == {name.group(0), f"{name.group(0)}-lan"}
        pane.keys("q")
        deadline = time.monotonic() + 10
        while mine & namespaces():
            assert time.monotonic() < deadline, f"left behind: {mine & namespaces()}"
            time.sleep(0.05)
    finally:
        pane.close()
