"""Issue 12, item 8: after the watchdog is killed, status tells the truth and nothing
else changes until `ifsmith recover`.

What the fault did: `kill -9` of the watchdog while the change waits for confirmation.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ifsmith.core.host import Host
from ifsmith.core.txn import Txn, find, locked, watchdog_running
from tests import test_cli_txn
from tests.test_cli_txn import D0_ADDRESS, d0_addresses

dummy_ns = test_cli_txn.dummy_ns  # the fixture: a namespace with a veth d0


def ifsmith(ns: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ifsmith.tui.cli", "--netns", ns,
                           "--root", str(root), *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def applied_then_watchdog_killed(tmp_path: Path, ns: str) -> Txn:
    """d0 gets its address through a transaction waiting for confirmation; its watchdog
    is then killed with SIGKILL."""
    xml = tmp_path / "d0.xml"
    xml.write_text(D0_ADDRESS)
    started = ifsmith(ns, tmp_path, "apply", str(xml), "--yes", "--no-auto-probes",
                      "--confirm-timeout", "60", "--settle", "0", "--no-wait")  # fmt: skip
    assert started.returncode == 0, started.stderr
    host = Host(root=tmp_path, netns=ns)
    txn = find(host, started.stdout.split("Transaction ", 1)[1].split()[0])
    deadline = time.monotonic() + 30
    while txn.load().state != "applied" or not txn.meta.get("probes_ok"):
        assert time.monotonic() < deadline, txn.meta
        time.sleep(0.05)
    pid = int(txn.meta["watchdog_pid"])
    os.kill(pid, signal.SIGKILL)
    while Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text():
        time.sleep(0.01)
    return txn


def test_status_says_a_killed_watchdog_is_dead_and_apply_refuses_until_recover(
    tmp_path: Path, dummy_ns: str
) -> None:
    txn = applied_then_watchdog_killed(tmp_path, dummy_ns)
    assert d0_addresses(dummy_ns) == {"198.51.100.1/24"}

    status = ifsmith(dummy_ns, tmp_path, "status")
    assert status.returncode == 0, status.stderr
    assert "rolls back in" not in status.stdout  # the lie it told before
    assert f"its watchdog is dead (pid {txn.meta['watchdog_pid']})" in status.stdout
    assert "run `ifsmith recover`" in status.stdout
    summary = json.loads(ifsmith(dummy_ns, tmp_path, "status", "--json").stdout)
    assert summary["watchdog"] == "dead" and summary["seconds_left"] is None
    history = ifsmith(dummy_ns, tmp_path, "history").stdout
    assert "its watchdog is dead: run `ifsmith recover`" in history

    other = tmp_path / "other.xml"
    other.write_text(D0_ADDRESS.replace("198.51.100.1", "198.51.100.7"))
    refused = ifsmith(dummy_ns, tmp_path, "apply", str(other), "--yes", "--no-auto-probes")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"transaction {txn.id} was never finished (applied); run `ifsmith recover`" in (
        refused.stderr
    )
    assert d0_addresses(dummy_ns) == {"198.51.100.1/24"}

    recovered = ifsmith(dummy_ns, tmp_path, "recover")
    assert recovered.returncode == 0 and recovered.stdout == f"rolled back {txn.id}\n"
    assert d0_addresses(dummy_ns) == set()
    after = json.loads(ifsmith(dummy_ns, tmp_path, "status", "--json").stdout)
    assert after["state"] == "rolled-back" and after["watchdog"] is None


def test_the_same_apply_again_after_a_killed_watchdog_is_refused_not_nothing_to_change(
    tmp_path: Path, dummy_ns: str
) -> None:
    applied_then_watchdog_killed(tmp_path, dummy_ns)
    again = ifsmith(dummy_ns, tmp_path, "apply", str(tmp_path / "d0.xml"), "--yes",
                    "--no-auto-probes")  # fmt: skip
    assert again.returncode == 1 and "run `ifsmith recover`" in again.stderr


def journal(host: Host, state: str, **meta: object) -> Txn:
    d = host.state_dir / "txn" / "20260101-000000-00001"
    d.mkdir(parents=True)
    txn = Txn(d)
    txn.save(state=state, created=time.time(), **meta)
    return txn


def test_a_reused_pid_is_not_taken_for_the_watchdog(tmp_path: Path) -> None:
    """The recorded pid now belongs to another process (here: this test)."""
    txn = journal(Host(root=tmp_path), "applied", watchdog_pid=os.getpid())
    assert watchdog_running(Host(root=tmp_path), txn) is False


def test_before_the_watchdog_records_itself_the_lock_tells(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    txn = journal(host, "prepared")
    assert watchdog_running(host, txn) is False  # no lock file: nobody is at it
    with locked(host):  # the front end between the checkpoint and the watchdog's start
        assert watchdog_running(host, txn) is True
    assert watchdog_running(host, txn) is False
    txn.save(state="committed")
    assert watchdog_running(host, txn) is None
