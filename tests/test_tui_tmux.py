"""The real `ifsmith` command in tmux, inside a namespace: bridge the NIC carrying the
"session" (virsh iface-bridge), apply, keep — the admin's first story, end to end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from ifsmith.core.host import Host
from tests.netns import can_make_netns, ip
from tests.test_tui_apply import lab as lab  # the server/client namespace pair fixture

REASON = can_make_netns() or (None if shutil.which("tmux") else "needs tmux")
pytestmark = pytest.mark.skipif(REASON is not None, reason=str(REASON))


class Pane:
    """One detached tmux session running a command; keys in, screen text out."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], size: tuple[int, int] = (120, 36)
    ) -> None:
        self.name = name
        exports = [f"{k}={v}" for k, v in env.items()]
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(size[0]),
                        "-y", str(size[1]), "env", *exports, *argv], check=True)  # fmt: skip

    def text(self) -> str:
        result = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                                capture_output=True, text=True)  # fmt: skip
        return result.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait(self, needle: str, limit: float = 15) -> str:
        deadline = time.monotonic() + limit
        while True:
            screen = self.text()
            if needle in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} did not appear; the screen:\n{screen}")
            time.sleep(0.05)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_bridge_the_session_nic_in_the_real_command_and_keep_it(lab: Host) -> None:
    server, root = lab.netns or "", lab.root
    argv = [sys.executable, "-m", "ifsmith.tui.cli", "--netns", server, "--root", str(root)]
    env = {"TERM": "xterm-256color", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    pane = Pane(f"ifsu-{os.getpid()}-{time.monotonic_ns() % 100000}", argv, env)
    try:
        pane.wait("s0  ")
        pane.keys("i")  # bridge this interface (the only one: the cursor is on s0)
        pane.wait("bridge name")
        pane.keys("Enter")  # the default name, brs0; STP on, as virsh iface-bridge
        pane.wait("brs0+")
        pane.keys("a")
        pane.wait("Apply the pending changes?")
        pane.keys("192.0.2.2", "Enter")  # the admin's machine, judged after the change
        # STP's listening and learning (2 x 15 s forward delay) come before the probes
        # can pass; the confirm window starts after them.
        pane.wait("Waiting for STP: ports forward in")
        pane.wait("Rolls back in", limit=60)
        assert "probe 192.0.2.2 (given): reachable" in pane.text()
        pane.keys("k")
        pane.wait("The change is kept.")
        links = ip("-br", "link", "show", netns=server)
        addresses = ip("-br", "addr", "show", "brs0", netns=server)
        assert "192.0.2.1/24" in addresses
        assert any(line.startswith("s0@") for line in links.splitlines())
        assert "master brs0" in ip("link", "show", "s0", netns=server)
        pane.keys("Escape")
        pane.wait("brs0 ")
        pane.keys("q")
    finally:
        pane.close()
