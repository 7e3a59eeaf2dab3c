"""`ifsmith --sandbox`: the lab namespaces, their answering gateway, and the cleanup."""

from __future__ import annotations

import subprocess
import time

import pytest

from ifsmith.core.live import snapshot
from ifsmith.tui.sandbox import GATEWAY, NICS, sandbox
from tests.netns import can_make_netns

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))


def namespaces() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def pings(netns: str, address: str) -> bool:
    ping = ["ip", "netns", "exec", netns, "ping", "-c1", "-W1", address]
    return subprocess.run(ping, capture_output=True).returncode == 0


def test_sandbox_has_three_nics_a_gateway_that_answers_and_vanishes_afterwards() -> None:
    with sandbox(prefix="ifsu-sbx-") as host:
        ns = host.netns or ""
        assert ns.startswith("ifsu-sbx-") and f"{ns}-lan" in namespaces()
        live = snapshot(host)
        assert [n for n in NICS if live.link(n) is not None] == list(NICS)
        assert live.gateways("eth0")
        deadline = time.monotonic() + 5
        while not pings(ns, GATEWAY):
            assert time.monotonic() < deadline, "the sandbox gateway does not answer"
            time.sleep(0.05)
        assert (host.root / "etc").is_dir() and not any((host.root / "etc").iterdir())
        root = host.root
    assert ns not in namespaces()
    assert not root.exists()


def test_sandbox_is_removed_when_the_tui_fails() -> None:
    with pytest.raises(RuntimeError), sandbox(prefix="ifsu-sbx-") as host:
        ns = host.netns or ""
        raise RuntimeError("the TUI crashed")
    assert ns not in namespaces() and f"{ns}-lan" not in namespaces()
