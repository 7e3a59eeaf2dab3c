"""Transactions for real: a server and a client namespace joined by a veth pair.

The server (192.0.2.1/24 on s0) is changed; the client (192.0.2.2/24 on c0) is the admin's
machine that must stay reachable.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ifsmith.core import txn as txnmod
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
from ifsmith.core.txn import FAULTS, all_txns, comparable, find
from ifsmith.tui.cli import main
from tests.lab_xml import CUT, KEEP
from tests.netns import can_make_netns, ip, make_netns, server_and_client

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))

IFCFG_S0 = "# hand-written\nDEVICE=s0\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=192.0.2.1\nPREFIX=24\n"


@dataclass
class Lab:
    server: str
    client: str
    root: Path

    @property
    def host(self) -> Host:
        return Host(root=self.root, netns=self.server)

    def ifsmith(self, *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ifsmith.tui.cli", "--netns", self.server,
             "--root", str(self.root), *args],
            capture_output=True, text=True, timeout=60, **kw,  # type: ignore[call-overload]
        )  # fmt: skip

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "ifsmith.tui.cli", "--netns", self.server,
                "--root", str(self.root), *args]  # fmt: skip

    def client_reaches_server(self) -> bool:
        result = subprocess.run(
            ["ip", "netns", "exec", self.client, "ping", "-c1", "-W1", "192.0.2.1"],
            capture_output=True,
        )
        return result.returncode == 0

    def files(self) -> dict[str, bytes]:
        etc = self.root / "etc"
        return {str(p): p.read_bytes() for p in sorted(etc.rglob("*")) if p.is_file()}


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with make_netns("ifst-s") as server, make_netns("ifst-c") as client:
        server_and_client(server, client)
        scripts = tmp_path / "etc/sysconfig/network-scripts"
        scripts.mkdir(parents=True)
        (scripts / "ifcfg-s0").write_text(IFCFG_S0)
        lab = Lab(server, client, tmp_path)
        wait_until(lab.client_reaches_server)
        yield lab


# Limits for polls: generous, because other tests (thousands of links, UML, namespace
# teardown) can hold the kernel's rtnl lock for seconds; a passing poll returns at once.
PATIENCE = 60.0


def wait_until(condition: Callable[[], bool], limit: float = PATIENCE) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@contextlib.contextmanager
def rtnl_contention(netns: str) -> Iterator[list[float]]:
    """The longest a link dump took while the block ran (seconds when other tests hold the
    kernel's rtnl lock); sampled from a thread, so it sees stalls the code under test saw."""
    worst = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            start = time.monotonic()
            ip("link", "show", netns=netns, check=False)
            worst[0] = max(worst[0], time.monotonic() - start)
            stop.wait(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield worst
    finally:
        stop.set()
        thread.join()


def state(lab: Lab) -> object:
    return comparable(snapshot(lab.host), {"s0", "br0"})


def last_state(lab: Lab) -> str:
    txns = all_txns(lab.host)
    return txns[-1].state if txns else "none"


def test_cut_off_change_rolls_back_and_the_client_reaches_the_server_again(lab: Lab) -> None:
    before_live, before_files = state(lab), lab.files()
    xml = lab.root / "cut.xml"
    xml.write_text(CUT)
    with rtnl_contention(lab.server) as stall:
        start = time.monotonic()
        result = lab.ifsmith("apply", str(xml), "--backend", "ifcfg-rh", "--yes",
                             "--probe", "192.0.2.2", "--no-auto-probes")  # fmt: skip
        assert result.returncode == 3, result.stdout + result.stderr
        assert "Rolled back: lost connectivity to 192.0.2.2" in result.stdout
        assert lab.client_reaches_server()
        restored = time.monotonic() - start
    print(f"apply → restored connectivity: {restored:.2f} s (worst link dump {stall[0]:.2f} s)")
    # Goal 3 s (measured 2.5 s alone); headroom for a loaded CI machine, and for a kernel
    # whose rtnl lock other tests hold: the path takes about ten netlink round trips.
    assert restored <= 4.5 + 10 * stall[0]
    assert lab.files() == before_files
    assert state(lab) == before_live


def waiting_apply(
    lab: Lab, definition: str = KEEP, confirm_timeout: str = "2", **kw: object
) -> subprocess.Popen[str]:
    """`ifsmith apply` of DEFINITION judged by the client, running in the background."""
    xml = lab.root / "change.xml"
    xml.write_text(definition)
    return subprocess.Popen(
        lab.argv("apply", str(xml), "--backend", "ifcfg-rh", "--yes", "--probe", "192.0.2.2",
                 "--no-auto-probes", "--confirm-timeout", confirm_timeout),
        text=True, **kw,  # type: ignore[call-overload]
    )  # fmt: skip


def commit(lab: Lab, definition: str) -> None:
    """Apply with a confirm window, confirm, and see it committed."""
    proc = waiting_apply(lab, definition, "20", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_until(lambda: last_state(lab) == "applied")
    confirm = lab.ifsmith("confirm")
    assert confirm.returncode == 0, confirm.stderr
    out, _err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Committed" in out


def global_addresses(lab: Lab) -> set[str]:
    live = snapshot(lab.host).link("s0")
    assert live is not None
    return {str(a) for a in live.addresses if a.scope == "global"}


def test_confirmed_change_is_committed_kept_and_in_history(lab: Lab) -> None:
    commit(lab, KEEP)
    live = snapshot(lab.host).link("s0")
    assert live is not None and "198.51.100.1/24" in {str(a) for a in live.addresses}
    assert (
        "IPADDR1=198.51.100.1" in (lab.root / "etc/sysconfig/network-scripts/ifcfg-s0").read_text()
    )
    history = json.loads(lab.ifsmith("history", "--json").stdout)["transactions"]
    assert history[-1]["state"] == "committed"
    # rollback --to restores the state before it.
    back = revert(lab, history[-1]["id"], "192.0.2.2")
    assert back.returncode == 0, back.stdout + back.stderr
    assert (lab.root / "etc/sysconfig/network-scripts/ifcfg-s0").read_text() == IFCFG_S0
    live = snapshot(lab.host).link("s0")
    assert live is not None and "198.51.100.1/24" not in {str(a) for a in live.addresses}


def revert(lab: Lab, txn_id: str, probe: str) -> subprocess.CompletedProcess[str]:
    return lab.ifsmith("rollback", "--to", txn_id, "--yes", "--probe", probe,
                       "--no-auto-probes", "--confirm-timeout", "0")  # fmt: skip


def test_rollback_to_an_older_change_undoes_the_later_ones_too(lab: Lab) -> None:
    before_live, before_files = state(lab), lab.files()
    commit(lab, KEEP)  # + 198.51.100.1
    first = all_txns(lab.host)[-1].id
    commit(lab, KEEP.replace("<ip address='198.51.100.1' prefix='24'/>",
                             "<ip address='198.51.100.1' prefix='24'/>\n"
                             "    <ip address='203.0.113.1' prefix='24'/>"))  # fmt: skip
    second = all_txns(lab.host)[-1].id
    assert global_addresses(lab) == {"192.0.2.1/24", "198.51.100.1/24", "203.0.113.1/24"}
    back = revert(lab, first, "192.0.2.2")
    assert back.returncode == 0, back.stdout + back.stderr
    assert f"Undoes: {second}, {first} (newest first)" in back.stdout
    assert global_addresses(lab) == {"192.0.2.1/24"}
    assert lab.files() == before_files
    assert state(lab) == before_live
    *_, reverting = all_txns(lab.host)
    assert reverting.state == "committed" and reverting.meta["action"] == "revert"
    for undone in (first, second):
        t = find(lab.host, undone)
        assert t.state == "rolled-back"
        assert t.meta["reason"] == f"reverted by transaction {reverting.id}"


def test_a_revert_that_cuts_the_client_off_is_rolled_back_itself(lab: Lab) -> None:
    commit(lab, KEEP)  # + 198.51.100.1 on the server
    kept = all_txns(lab.host)[-1].id
    after_files = lab.files()
    # The admin now reaches the server over the new network only.
    ip("addr", "add", "198.51.100.2/24", "dev", "c0", netns=lab.client)
    back = revert(lab, kept, "198.51.100.2")
    assert back.returncode == 3, back.stdout + back.stderr
    assert "lost connectivity to 198.51.100.2" in back.stdout
    assert global_addresses(lab) == {"192.0.2.1/24", "198.51.100.1/24"}
    assert lab.files() == after_files
    assert find(lab.host, kept).state == "committed"  # not undone after all


def test_front_end_killed_while_waiting_the_watchdog_still_rolls_back(lab: Lab) -> None:
    before_live, before_files = state(lab), lab.files()
    proc = waiting_apply(lab, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: last_state(lab) == "applied")
    # The watchdog leads its own session (no controlling terminal) and ignores SIGHUP.
    watchdog = int(all_txns(lab.host)[-1].meta["watchdog_pid"])
    assert os.getsid(watchdog) == watchdog != os.getsid(proc.pid)
    ignored = Path(f"/proc/{watchdog}/status").read_text().split("SigIgn:")[1].split()[0]
    assert int(ignored, 16) & (1 << (signal.SIGHUP - 1))
    proc.kill()
    proc.wait()
    wait_until(lambda: last_state(lab) == "rolled-back")
    assert state(lab) == before_live and lab.files() == before_files


def test_front_end_hung_up_under_a_pty_the_watchdog_still_rolls_back(lab: Lab) -> None:
    before_live, before_files = state(lab), lab.files()
    pid, master = pty.fork()
    if pid == 0:  # the child: the front end on a terminal, as under ssh
        xml = lab.root / "keep.xml"
        xml.write_text(KEEP)
        os.execv(sys.executable, lab.argv("apply", str(xml), "--backend", "ifcfg-rh", "--yes",
                                          "--probe", "192.0.2.2", "--no-auto-probes",
                                          "--confirm-timeout", "2"))  # fmt: skip
    try:
        wait_until(lambda: last_state(lab) == "applied")
        os.kill(pid, signal.SIGHUP)
        os.close(master)  # the terminal goes away, as when ssh dies
        os.waitpid(pid, 0)
        wait_until(lambda: last_state(lab) == "rolled-back")
    finally:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    assert state(lab) == before_live and lab.files() == before_files


def test_ctrl_c_while_waiting_rolls_back_at_once(lab: Lab) -> None:
    before_live, before_files = state(lab), lab.files()
    proc = waiting_apply(lab, KEEP, "300", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_until(lambda: last_state(lab) == "applied")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 3, out + err
    assert "Interrupted: rolling back now." in out and "rolled back on request" in out
    assert state(lab) == before_live and lab.files() == before_files


@pytest.mark.parametrize("fault", FAULTS)
def test_watchdog_killed_at_each_step_recover_restores_exactly(lab: Lab, fault: str) -> None:
    before_live, before_files = state(lab), lab.files()
    xml = lab.root / "cut.xml"
    xml.write_text(CUT)
    env = dict(os.environ, IFSMITH_FAULT=fault)
    # --confirm-timeout 0: commit as soon as the (here: no) probes pass, so every step,
    # the commit included, is reached without anyone confirming.
    result = lab.ifsmith("apply", str(xml), "--backend", "ifcfg-rh", "--yes", "--no-auto-probes",
                         "--confirm-timeout", "0", env=env)  # fmt: skip
    assert result.returncode == 1 and "watchdog" in result.stderr and "died" in result.stderr
    recovered = lab.ifsmith("recover")
    assert recovered.returncode == 0 and "rolled back" in recovered.stdout
    assert state(lab) == before_live
    assert lab.files() == before_files
    again = lab.ifsmith("recover")
    assert again.stdout.strip() == "nothing to recover"
    assert state(lab) == before_live and lab.files() == before_files


def test_a_second_apply_is_refused_while_one_is_pending(lab: Lab) -> None:
    # A window no load outlasts: the first change must still wait while the second asks.
    proc = waiting_apply(lab, confirm_timeout="120", stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until(lambda: last_state(lab) == "applied")
        files = lab.files()
        xml = lab.root / "cut.xml"
        xml.write_text(CUT)
        second = lab.ifsmith("apply", str(xml), "--backend", "ifcfg-rh", "--yes")
        assert second.returncode == 1
        assert "another transaction is in progress" in second.stderr
        assert lab.files() == files
        assert last_state(lab) == "applied"  # the first one still waits
    finally:
        lab.ifsmith("rollback")
        proc.wait(timeout=30)


def test_apply_as_non_root_is_refused_and_changes_nothing(lab: Lab, tmp_path: Path) -> None:
    before_live, before_files = state(lab), lab.files()
    xml = lab.root / "cut.xml"
    xml.write_text(CUT)
    # The checkout and its venv may not be readable by nobody (a 0700 CI directory):
    # run a world-readable copy of the package with the system's Python.
    copy = Path(tempfile.mkdtemp(prefix="ifsmith-nonroot-", dir="/tmp"))
    try:
        repo = Path(__file__).resolve().parents[1]
        for part in ("api", "core", "backends", "tui"):
            shutil.copytree(repo / part, copy / "ifsmith" / part)
        for path in [copy, *copy.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        result = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "/usr/bin/python3", "-m", "ifsmith.tui.cli", "--netns", lab.server,
             "--root", str(lab.root), "apply", str(xml), "--backend", "ifcfg-rh", "--yes"],
            capture_output=True, text=True, timeout=30,
            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(copy)},
        )  # fmt: skip
    finally:
        shutil.rmtree(copy)
    assert result.returncode == 1, result.stderr
    assert "needs root" in result.stderr
    assert state(lab) == before_live and lab.files() == before_files


def test_iface_bridge_over_the_session_nic_keeps_the_client_and_unbridge_undoes_it(
    lab: Lab,
) -> None:
    """Story 1: eth0 carrying the session becomes a port of br0, the address moving."""
    common = ("--backend", "ifcfg-rh", "--yes", "--probe", "192.0.2.2", "--no-auto-probes",
              "--confirm-timeout", "0")  # fmt: skip
    bridged = lab.ifsmith("iface-bridge", "s0", "br0", "--no-stp", *common)
    assert bridged.returncode == 0, bridged.stdout + bridged.stderr
    live = snapshot(lab.host)
    assert live.link("s0").master == "br0"  # type: ignore[union-attr]
    assert "192.0.2.1/24" in {str(a) for a in live.link("br0").addresses}  # type: ignore[union-attr]
    assert lab.client_reaches_server()
    scripts = lab.root / "etc/sysconfig/network-scripts"
    assert "BRIDGE=br0" in (scripts / "ifcfg-s0").read_text()
    assert "TYPE=Bridge" in (scripts / "ifcfg-br0").read_text()
    unbridged = lab.ifsmith("iface-unbridge", "br0", *common)
    assert unbridged.returncode == 0, unbridged.stdout + unbridged.stderr
    live = snapshot(lab.host)
    assert live.link("br0") is None
    assert "192.0.2.1/24" in {str(a) for a in live.link("s0").addresses}  # type: ignore[union-attr]
    assert not (scripts / "ifcfg-br0").exists()
    assert lab.client_reaches_server()


def test_stop_of_the_session_nic_rolls_back(lab: Lab) -> None:
    result = lab.ifsmith("stop", "s0", "--backend", "ifcfg-rh", "--yes", "--probe", "192.0.2.2",
                         "--no-auto-probes", "--settle", "1")  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    assert "lost connectivity to 192.0.2.2" in result.stdout
    assert lab.client_reaches_server()


IFUPDOWN = (
    "auto lo\niface lo inet loopback\n\nauto s0\niface s0 inet static\n    address 192.0.2.1/24\n"
)


def test_distro_activation_with_ifupdown_commits_and_a_cut_off_rolls_back(lab: Lab) -> None:
    """ifup/ifdown as the activator (ifupdown reads our files under --root)."""
    (lab.root / "etc/network").mkdir(parents=True)
    (lab.root / "etc/network/interfaces").write_text(IFUPDOWN)
    # s0 as ifupdown brought it up (its state dir knows it), not as the fixture did.
    ip("addr", "flush", "dev", "s0", netns=lab.server)
    (lab.root / "run/network").mkdir(parents=True)
    up = subprocess.run(
        ["ip", "netns", "exec", lab.server, "ifup", "-i",
         str(lab.root / "etc/network/interfaces"), "--state-dir", str(lab.root / "run/network"),
         "s0"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert up.returncode == 0, up.stderr
    wait_until(lab.client_reaches_server)
    before_live, before_files = state(lab), lab.files()
    cut = lab.root / "cut.xml"
    cut.write_text(CUT)
    common = ("--backend", "ifupdown", "--activate", "distro", "--yes", "--probe", "192.0.2.2",
              "--no-auto-probes", "--confirm-timeout", "0")  # fmt: skip
    result = lab.ifsmith("apply", str(cut), *common)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "lost connectivity to 192.0.2.2" in result.stdout
    assert lab.client_reaches_server()
    assert lab.files() == before_files and state(lab) == before_live
    log = next((lab.root / "var/lib/ifsmith/txn").glob("*/watchdog.log")).read_text()
    assert "run: ip netns exec" in log and " ifup " in log
    keep = lab.root / "keep.xml"
    keep.write_text(KEEP)
    kept = lab.ifsmith("apply", str(keep), *common)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    s0 = snapshot(lab.host).link("s0")
    assert s0 is not None and "198.51.100.1/24" in {str(a) for a in s0.addresses}


@pytest.mark.parametrize("runner_works", [True, False], ids=["scope", "no-scope"])
def test_under_systemd_the_watchdog_runs_in_a_scope_unit_or_else_plain(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    runner_works: bool,
) -> None:
    """systemd-run --scope executes the watchdog itself (fds inherited); a fake one stands
    in for it here (this machine's PID 1 is not systemd).  One that cannot make the scope
    exits at once: the watchdog is then started as a plain process."""
    calls = tmp_path / "runner-calls"
    runner = tmp_path / "systemd-run"
    tail = 'while [ "$1" != "--" ]; do shift; done; shift; exec "$@"' if runner_works else "exit 1"
    runner.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n{tail}\n')
    runner.chmod(0o755)
    monkeypatch.setattr(txnmod, "scope_command", lambda txn: [str(runner), "--scope",
                        f"--unit=ifsmith-watchdog-{txn.id}", "--"])  # fmt: skip
    xml = lab.root / "keep.xml"
    xml.write_text(KEEP)
    code = main(["--netns", lab.server, "--root", str(lab.root), "apply", str(xml),
                 "--backend", "ifcfg-rh", "--yes", "--probe", "192.0.2.2", "--no-auto-probes",
                 "--confirm-timeout", "1"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 3 and "Rolled back" in out, out  # the watchdog ran (and, unconfirmed, undid it)
    txn = all_txns(lab.host)[-1]
    assert f"--unit=ifsmith-watchdog-{txn.id}" in calls.read_text()
    log = (txn.dir / "watchdog.log").read_text()
    assert ("could not be made" in log) is not runner_works
    ifcfg = lab.root / "etc/sysconfig/network-scripts/ifcfg-s0"
    assert ifcfg.read_text() == IFCFG_S0
