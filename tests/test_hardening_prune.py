"""Issue 12, item 9: the journal is pruned.

It keeps the newest N finished transactions (committed or rolled back; 100 unless
$IFSMITH_HISTORY_KEEP or /var/lib/ifsmith/history-keep says otherwise) and every
unfinished one, and `history` says how many were pruned.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from ifsmith.core.host import Host
from ifsmith.core.txn import Txn, all_txns, prune, pruned
from tests import test_cli_txn
from tests.test_cli_txn import D0_ADDRESS

dummy_ns = test_cli_txn.dummy_ns  # the fixture: a namespace with a veth d0


def ifsmith(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ifsmith.tui.cli", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, **env))  # fmt: skip


def journals(host: Host, states: list[str]) -> list[str]:
    """One journal per state, oldest first; their ids."""
    ids = []
    for n, state in enumerate(states):
        txn_id = f"20260101-{n:06d}-00001"
        d = host.state_dir / "txn" / txn_id
        d.mkdir(parents=True)
        Txn(d).save(id=txn_id, state=state, created=time.time() + n, action="apply",
                    names=["d0"])  # fmt: skip
        ids.append(txn_id)
    return ids


def test_pruning_keeps_the_newest_finished_and_every_unfinished_one(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    ids = journals(host, ["applying", "committed", "rolled-back", "committed", "committed",
                          "committed", "rolled-back"])  # fmt: skip
    (host.state_dir / "history-keep").write_text("3\n")
    assert prune(host) == 3 and pruned(host) == 3
    assert [t.id for t in all_txns(host)] == [ids[0], *ids[4:]]  # the oldest is unfinished
    assert prune(host) == 0 and pruned(host) == 3


def test_the_default_keeps_100_and_history_says_how_many_were_pruned(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    ids = journals(host, ["committed"] * 103)
    recovered = ifsmith("--root", str(tmp_path), "recover")  # nothing to roll back; prunes
    assert recovered.returncode == 0 and recovered.stdout == "nothing to recover\n"
    assert [t.id for t in all_txns(host)] == ids[3:]
    history = ifsmith("--root", str(tmp_path), "history").stdout.splitlines()
    assert len(history) == 101 and history[0].startswith(ids[3])
    assert history[-1] == (
        "3 older finished transactions pruned; the journal keeps the newest 100 (the default; "
        f"set by {host.state_dir / 'history-keep'} or $IFSMITH_HISTORY_KEEP)"
    )


def test_a_limit_that_is_not_a_count_keeps_the_default_and_history_says_so(
    tmp_path: Path,
) -> None:
    host = Host(root=tmp_path)
    ids = journals(host, ["committed"] * 3)
    keep = host.state_dir / "history-keep"
    keep.write_text("ten\n")
    assert ifsmith("--root", str(tmp_path), "recover").returncode == 0  # never stops at a typo
    assert len(all_txns(host)) == 3
    keep.write_text("1\n")
    assert ifsmith("--root", str(tmp_path), "recover").returncode == 0
    assert [t.id for t in all_txns(host)] == ids[2:]
    history = ifsmith("--root", str(tmp_path), "history").stdout.splitlines()
    assert history[-1].startswith(f"2 older finished transactions pruned; the journal keeps "
                                  f"the newest 1 ({keep}; set by")  # fmt: skip
    history = ifsmith("--root", str(tmp_path), "history", IFSMITH_HISTORY_KEEP="-1").stdout
    assert "keeps the newest 100 (the default: $IFSMITH_HISTORY_KEEP holds '-1', not a count;" in (
        history
    )


def test_the_watchdog_prunes_when_its_change_is_committed(tmp_path: Path, dummy_ns: str) -> None:
    host = Host(root=tmp_path)
    old = journals(host, ["committed"] * 3)
    xml = tmp_path / "d0.xml"
    xml.write_text(D0_ADDRESS)
    applied = ifsmith("--netns", dummy_ns, "--root", str(tmp_path), "apply", str(xml), "--yes",
                      "--no-auto-probes", "--confirm-timeout", "0",
                      IFSMITH_HISTORY_KEEP="2")  # fmt: skip
    assert applied.returncode == 0 and "Committed: " in applied.stdout, applied.stderr
    new = applied.stdout.split("Committed: ", 1)[1].strip()
    assert [t.id for t in all_txns(host)] == [old[2], new]
    history = ifsmith("--root", str(tmp_path), "history", IFSMITH_HISTORY_KEEP="2").stdout
    assert history.splitlines()[-1].startswith(
        "2 older finished transactions pruned; the journal keeps the newest 2 "
        "($IFSMITH_HISTORY_KEEP; set by"
    )
