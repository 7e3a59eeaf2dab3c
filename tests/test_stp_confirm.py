"""An STP bridge can be confirmed: the confirm window starts when the probes pass.

A server and a client namespace joined by a veth pair (192.0.2.1 on s0, 192.0.2.2 on c0).
`ifsmith iface-bridge s0 br0` (STP on, as virsh's) with a forward delay of 4 s: the port
listens 4 s and learns 4 s before it forwards, so the client answers again only ~8 s after
the change.  The settle window (2 x delay + MARGIN) is the deadline for that; the confirm
window (6 s here) counts from the moment the probes pass.  Before, it counted from the
change and ran out at 10 s: the admin confirming at 10 s was told "too late".
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ifsmith.core.host import Host
from ifsmith.core.settle import MARGIN
from ifsmith.core.txn import Txn, all_txns
from tests.netns import can_make_netns, ip, make_netns, server_and_client
from tests.test_txn_netns import wait_until

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))

DELAY = 4.0  # forward delay, seconds (the kernel's minimum with STP is 2)
WINDOW = 16.0  # confirm window, seconds (longer than the settle margin)
IFCFG_S0 = "DEVICE=s0\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=192.0.2.1\nPREFIX=24\n"


@dataclass
class Lab:
    server: str
    client: str
    root: Path

    def ifsmith(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ifsmith.tui.cli", "--netns", self.server,
             "--root", str(self.root), *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def txn(self) -> Txn:
        (txn,) = all_txns(Host(root=self.root, netns=self.server))
        return txn

    def link(self, name: str) -> dict[str, Any]:
        out = ip("-d", "-j", "link", "show", name, netns=self.server)
        return dict(json.loads(out)[0])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with make_netns("ifsu-apply-stp-s") as server, make_netns("ifsu-apply-stp-c") as client:
        server_and_client(server, client)
        scripts = tmp_path / "etc/sysconfig/network-scripts"
        scripts.mkdir(parents=True)
        (scripts / "ifcfg-s0").write_text(IFCFG_S0)
        yield Lab(server, client, tmp_path)


def test_an_stp_bridge_gets_the_whole_confirm_window_after_the_probes_pass(lab: Lab) -> None:
    started = lab.ifsmith(
        "iface-bridge", "s0", "br0", "--delay", f"{DELAY:g}",
        "--confirm-timeout", f"{WINDOW:g}", "--probe", "192.0.2.2", "--no-auto-probes",
        "--yes", "--no-wait",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    wait_until(lambda: lab.txn().state not in ("prepared", "applying"))
    meta = lab.txn().meta
    settle = float(meta["settle"])
    assert settle == 2 * DELAY + MARGIN
    # Settling: the port is not forwarding yet; status says so, not a confirm countdown.
    status = lab.ifsmith("status")
    assert "settling: the probes must pass within" in status.stdout, status.stdout
    assert "rolls back in" not in status.stdout
    assert json.loads(lab.ifsmith("status", "--json").stdout)["phase"] == "settling"
    assert meta["stp_forwarding"] == pytest.approx(meta["applied"] + 2 * DELAY)
    br0 = lab.link("br0")["linkinfo"]["info_data"]
    assert br0["stp_state"] == 1 and br0["forward_delay"] == DELAY * 100  # the kernel's view

    wait_until(lambda: bool(lab.txn().meta.get("probes_ok")))
    meta = lab.txn().meta
    passed = float(meta["probes_passed"])
    # The probes passed only once the port forwarded (listening + learning).
    assert passed - float(meta["applied"]) >= 2 * DELAY - 1
    # ... and the confirm window counts from then, whole.
    assert float(meta["deadline"]) == pytest.approx(passed + WINDOW)
    assert meta["phase"] == "confirming"
    status = lab.ifsmith("status")
    assert "unless confirmed" in status.stdout and "settling" not in status.stdout

    # Past the end of the old window (from the change, max(window, settle)): still open.
    old_deadline = float(meta["applied"]) + max(WINDOW, settle)
    wait_until(lambda: time.time() > old_deadline + 0.2)
    assert lab.txn().state == "applied"
    confirmed = lab.ifsmith("confirm")
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    assert "Committed" in confirmed.stdout
    assert lab.txn().state == "committed"
    assert lab.link("s0")["master"] == "br0"
    assert "IPADDR=192.0.2.1" in (lab.root / "etc/sysconfig/network-scripts/ifcfg-br0").read_text()


def test_probes_that_do_not_pass_within_the_settle_window_roll_back(lab: Lab) -> None:
    """The settle window stays the deadline for the probes: when the client is gone for
    good, the change rolls back as the window ends, and no confirm window opens."""
    started = lab.ifsmith(
        "iface-bridge", "s0", "br0", "--delay", "2", "--confirm-timeout", "30",
        "--probe", "192.0.2.2", "--no-auto-probes", "--yes", "--no-wait",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    wait_until(lambda: lab.txn().state not in ("prepared", "applying"))
    ip("addr", "del", "192.0.2.2/24", "dev", "c0", netns=lab.client)  # the client goes away
    wait_until(lambda: lab.txn().state == "rolled-back")
    meta = lab.txn().meta
    assert meta["reason"] == "lost connectivity to 192.0.2.2 (given)"
    assert not meta.get("probes_ok") and "deadline" not in meta
    took = float(meta["rolled_back"]) - float(meta["applied"]) - float(meta["rollback_seconds"])
    assert took >= float(meta["settle"]) - 0.5  # the whole settle window, not less
    assert lab.link("s0").get("master") is None  # the bridge is gone again
