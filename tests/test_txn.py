"""The transaction journal without a network: snapshots as JSON, the lock, the checkpoint,
byte-exact file restore, lookups, a dead watchdog, fault injection.

Everything here works on a scratch root (tmp_path); nothing touches a namespace.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.core.files import Rendering
from ifsmith.core.host import Host
from ifsmith.core.model import (
    ArpValidate,
    BondMode,
    Family,
    LacpRate,
    LinkState,
    LiveAddress,
    LiveBond,
    LiveBridge,
    LiveHost,
    LiveLink,
    LiveRoute,
    XmitHashPolicy,
)
from ifsmith.core.txn import (
    FAULTS,
    Request,
    Txn,
    TxnError,
    all_txns,
    begin,
    boot_id,
    checkpoint,
    find,
    live_from_json,
    live_to_json,
    lock_is_free,
    locked,
    pending,
    recover,
    restore_files,
    revert_of,
    verify,
    wait_final,
    write_files,
)

LIVE = LiveHost(
    links=(
        LiveLink(
            1, "lo", "", "00:00:00:00:00:00", 65536, True, LinkState.UNKNOWN, is_loopback=True
        ),
        LiveLink(
            2, "eth0", "", "52:54:00:00:00:01", 1500, True, LinkState.UP, True, 1000, master="bond0"
        ),
        LiveLink(
            3,
            "bond0",
            "bond",
            "52:54:00:00:00:01",
            9000,
            True,
            LinkState.UP,
            bond=LiveBond(
                BondMode.LACP,
                miimon=100,
                arp_targets=("192.0.2.9",),
                arp_validate=ArpValidate.ALL,
                primary="eth0",
                xmit_hash_policy=XmitHashPolicy.LAYER3_4,
                lacp_rate=LacpRate.FAST,
            ),
            master="br0",
        ),
        LiveLink(
            4,
            "br0",
            "bridge",
            "52:54:00:00:00:02",
            9000,
            True,
            LinkState.UP,
            bridge=LiveBridge(stp=True, forward_delay=4.0),
            addresses=(
                LiveAddress(Family.IPV4, "192.0.2.1", 24),
                LiveAddress(Family.IPV6, "fe80::1", 64, "link"),
            ),
        ),
        LiveLink(
            5,
            "br0.42",
            "vlan",
            None,
            1500,
            False,
            LinkState.DOWN,
            parent="br0",
            vlan_tag=42,
            vlan_reorder_hdr=False,
        ),
    ),
    routes=(
        LiveRoute(Family.IPV4, "default", "192.0.2.254", "br0", 100),
        LiveRoute(Family.IPV6, "default", "fe80::fe", "br0", None),
    ),
)


def test_a_live_snapshot_survives_json_equal_with_every_field() -> None:
    text = json.dumps(live_to_json(LIVE))
    assert live_from_json(json.loads(text)) == LIVE


def test_a_second_holder_of_the_lock_is_refused_clearly(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    with locked(host):
        assert not lock_is_free(host)
        with pytest.raises(TxnError, match="another transaction is in progress"):
            with locked(host):
                pass
    assert lock_is_free(host)
    assert (tmp_path / "run/ifsmith/lock").exists()


def test_a_lock_held_by_another_process_refuses_until_it_ends(tmp_path: Path) -> None:
    """The watchdog holds the lock in its own process; the front end sees it taken."""
    host = Host(root=tmp_path)
    code = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(tmp_path / 'run/ifsmith/lock')!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\nsys.stdin.read()\n"
    )
    (tmp_path / "run/ifsmith").mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert not lock_is_free(host)
    finally:
        holder.communicate("")
    assert lock_is_free(host)


def scratch_etc(root: Path) -> tuple[Path, Path]:
    """An existing file (mode 0640, owner 1234:4321) and a path that does not exist yet."""
    kept = root / "etc/sysconfig/network-scripts/ifcfg-eth0"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"# hand-written \xff\nDEVICE=eth0\n")
    kept.chmod(0o640)
    os.chown(kept, 1234, 4321)
    return kept, root / "etc/systemd/network/10-br0.network"


IFCFG = PurePosixPath("/etc/sysconfig/network-scripts/ifcfg-eth0")
NETWORK = PurePosixPath("/etc/systemd/network/10-br0.network")


def make_request() -> Request:
    rendering = Rendering(
        backend="test",
        files={
            IFCFG: b"DEVICE=eth0\nBRIDGE=br0\n",
            NETWORK: b"[Match]\nName=br0\n",
        },
        modes={NETWORK: 0o600},
    )
    return Request(
        action="apply",
        names=["eth0", "br0"],
        desired_xml="<interface/>",
        rendering=rendering,
        backend="ifcfg-rh",
        probes=[{"address": "192.0.2.2"}],
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown the scratch files")
def test_checkpoint_records_bytes_mode_owner_or_absence_and_restore_is_exact(
    tmp_path: Path,
) -> None:
    host = Host(root=tmp_path)
    kept, created = scratch_etc(tmp_path)
    before_bytes = kept.read_bytes()
    txn = checkpoint(host, host.state_dir / "txn" / "t1", make_request(), LIVE)
    assert txn.state == "prepared" and txn.meta["names"] == ["eth0", "br0"]
    assert txn.before() == LIVE
    entries = {e["path"]: e for e in json.loads((txn.dir / "files.json").read_text())}
    old = entries["/etc/sysconfig/network-scripts/ifcfg-eth0"]
    assert (old["existed"], old["mode"], old["uid"], old["gid"]) == (True, 0o640, 1234, 4321)
    assert (txn.dir / "saved" / str(old["n"])).read_bytes() == before_bytes
    new = entries["/etc/systemd/network/10-br0.network"]
    assert new["existed"] is False and new["made_dirs"] == ["/etc/systemd", "/etc/systemd/network"]
    assert (txn.dir / "desired.xml").read_text() == "<interface/>"

    write_files(host, txn)
    assert kept.read_bytes() == b"DEVICE=eth0\nBRIDGE=br0\n"
    assert created.stat().st_mode & 0o777 == 0o600

    restore_files(host, txn)
    assert kept.read_bytes() == before_bytes
    st = kept.stat()
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o640, 1234, 4321)
    assert not created.exists() and not (tmp_path / "etc/systemd").exists()
    restore_files(host, txn)  # twice: the same result
    assert kept.read_bytes() == before_bytes and not created.exists()


def journal(host: Host, txn_id: str, state: str, **meta: object) -> Txn:
    d = host.state_dir / "txn" / txn_id
    d.mkdir(parents=True)
    txn = Txn(d)
    txn.save(id=txn_id, state=state, created=time.time(), **meta)
    return txn


def test_pending_find_and_history_read_the_journal(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    assert all_txns(host) == [] and pending(host) is None
    journal(host, "20260101-000000-00001", "committed")
    journal(host, "20260101-000001-00002", "applied")
    assert [t.id for t in all_txns(host)] == ["20260101-000000-00001", "20260101-000001-00002"]
    found = pending(host)
    assert found is not None and found.id == "20260101-000001-00002"
    assert find(host, "00001").state == "committed"  # a unique suffix is enough
    with pytest.raises(TxnError, match="no transaction nosuch"):
        find(host, "nosuch")
    journal(host, "20260102-000000-00001", "committed")
    with pytest.raises(TxnError, match="00001 matches several transactions"):
        find(host, "00001")  # never a guess between two
    assert find(host, "20260102-000000-00001").id == "20260102-000000-00001"


def test_a_revert_restores_the_oldest_saved_files_with_the_backend_that_wrote_them(
    tmp_path: Path,
) -> None:
    host = Host(root=tmp_path)
    older = journal(host, "20260101-000000-00001", "committed", names=["eth0"],
                    backend="ifcfg-rh", activate="kernel")  # fmt: skip
    (older.dir / "saved").mkdir()
    (older.dir / "saved" / "0").write_bytes(b"DEVICE=eth0\n")
    entries = [
        {"path": str(IFCFG), "n": 0, "existed": True, "mode": 0o644},
        {"path": str(NETWORK), "n": 1, "existed": False},
    ]
    (older.dir / "files.json").write_text(json.dumps(entries))
    newer = journal(host, "20260101-000001-00002", "committed", names=["br0"])  # live only
    (newer.dir / "files.json").write_text("[]")
    revert = revert_of(host, "00001")
    assert [t.id for t in revert.undone] == [newer.id, older.id]
    assert revert.names == ["br0", "eth0"]
    assert revert.backend == "ifcfg-rh" and revert.activate == "kernel"
    assert revert.rendering is not None
    assert revert.rendering.files == {IFCFG: b"DEVICE=eth0\n"}
    assert revert.rendering.removed == frozenset({NETWORK})


def test_a_revert_refuses_a_transaction_that_is_not_committed(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    journal(host, "20260101-000000-00001", "rolled-back")
    with pytest.raises(TxnError, match="is rolled-back, not committed"):
        revert_of(host, "00001")


def test_recover_with_only_finished_transactions_changes_nothing(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    for n, state in enumerate(("committed", "rolled-back", "failed")):
        journal(host, f"2026010{n}-000000-00001", state)
    snapshot_of_journal = {p: p.read_bytes() for p in tmp_path.rglob("meta.json")}
    assert recover(host) == []
    assert {p: p.read_bytes() for p in tmp_path.rglob("meta.json")} == snapshot_of_journal


def test_following_a_dead_watchdog_says_to_run_recover(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    txn = journal(host, "20260101-000000-00001", "applying", watchdog_pid=dead.pid)
    with pytest.raises(TxnError, match=r"died in state applying.*ifsmith recover"):
        wait_final(txn)


def test_following_reports_each_update_until_the_final_state(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    txn = journal(host, "20260101-000000-00001", "committed", watchdog_pid=os.getpid())
    seen: list[str] = []
    final = wait_final(txn, lambda t: seen.append(t.state))
    assert final.state == "committed" and seen == ["committed"]


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_injection_kills_the_process_at_the_named_step_only(fault: str) -> None:
    code = (
        "from ifsmith.core.txn import _fault\n"
        f"for step in ('elsewhere', {fault!r}):\n    _fault(step)\n    print(step, flush=True)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, IFSMITH_FAULT=fault))  # fmt: skip
    assert result.returncode == 99 and result.stdout == "elsewhere\n"


def test_verify_names_each_device_that_differs() -> None:
    changed = LiveHost(
        links=tuple(
            link if link.name != "br0" else LiveLink(4, "br0", "bridge", mtu=1500)
            for link in LIVE.links
        ),
        routes=LIVE.routes,
    )
    assert verify(LIVE, LIVE, {"br0", "eth0"}) == []
    diff = verify(LIVE, changed, {"br0", "eth0"})
    assert len(diff) == 1 and diff[0].startswith("br0: was {")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown the scratch files")
def test_recover_after_a_reboot_restores_the_files_only(tmp_path: Path) -> None:
    """The live change died with the old boot; the network service starts from the files."""
    # A namespace that does not exist: touching the kernel would fail loudly.
    host = Host(root=tmp_path, netns="ifst-gone-after-reboot")
    kept, created = scratch_etc(tmp_path)
    before_bytes = kept.read_bytes()
    txn = checkpoint(host, host.state_dir / "txn" / "t1", make_request(), LIVE)
    assert txn.meta["boot_id"] == boot_id() != ""
    write_files(host, txn)
    txn.save(state="applied", boot_id="an-earlier-boot")
    assert recover(host) == ["t1"]
    assert kept.read_bytes() == before_bytes and not created.exists()
    done = find(host, "t1")
    assert done.state == "rolled-back" and "after a reboot: files only" in done.meta["reason"]
    assert recover(host) == []


def test_following_can_tick_while_nothing_changes_for_a_countdown(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    txn = journal(host, "20260101-000000-00001", "applied", watchdog_pid=os.getpid())
    ticks: list[str] = []

    def on_update(t: Txn) -> None:
        ticks.append(t.state)
        if len(ticks) == 4:  # the watchdog commits after a while
            Txn(t.dir).load().save(state="committed")

    final = wait_final(txn, on_update, poll=0.01, every=0.02)
    assert final.state == "committed"
    assert ticks == ["applied"] * 4 + ["committed"]  # ticks without a journal change


@pytest.mark.skipif(os.geteuid() != 0, reason="begin() refuses non-root before anything else")
def test_a_new_change_after_a_dead_watchdog_is_refused_until_recover(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    journal(host, "20260101-000000-00001", "committed")
    journal(host, "20260101-000001-00002", "applying")  # its watchdog died
    with pytest.raises(TxnError, match=r"00002 was never finished.*ifsmith recover"):
        begin(host, make_request(), LIVE)
    with pytest.raises(TxnError, match="never finished"):
        revert_of(host, "00001")
    assert [t.id for t in all_txns(host)] == ["20260101-000000-00001", "20260101-000001-00002"]
    assert find(host, "00001").state == "committed"


def test_recover_of_a_change_that_never_started_touches_nothing(tmp_path: Path) -> None:
    """Died right after the checkpoint: what others changed since is not undone."""
    host = Host(root=tmp_path, netns="ifst-never-touched")  # the kernel is not asked
    target = tmp_path / "etc/sysconfig/network-scripts/ifcfg-eth0"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"DEVICE=eth0\n")
    checkpoint(host, host.state_dir / "txn" / "t1", make_request(), LIVE)
    target.write_bytes(b"DEVICE=eth0\n# edited by the admin since\n")
    assert recover(host) == ["t1"]
    assert target.read_bytes() == b"DEVICE=eth0\n# edited by the admin since\n"
    assert not (tmp_path / NETWORK.relative_to("/")).exists()
    assert "nothing had been changed" in find(host, "t1").meta["reason"]
