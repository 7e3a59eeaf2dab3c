"""Issue 12, item 6: a bad run directory or a corrupt journal never wedges the tool.

What the fault did: `run/ifsmith/lock` made a directory, `run/ifsmith` made a file, a
`meta.json` cut short or overwritten.  Each is a one-line error or a warning that names the
journal and where it was moved, never a traceback and never silence.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ifsmith.core.host import Host
from ifsmith.core.txn import Txn
from tests import test_cli_txn, test_hardening_nonroot
from tests.test_cli_txn import D0_ADDRESS, d0_addresses

dummy_ns = test_cli_txn.dummy_ns  # the fixture: a namespace with a veth d0
installed = test_hardening_nonroot.installed  # the fixture: the package, world-readable


def ifsmith(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ifsmith.tui.cli", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def one_line_refusal(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr


def lock_is_a_directory(root: Path) -> str:
    (root / "run/ifsmith/lock").mkdir(parents=True)
    return "lock: Is a directory); nothing was changed"


def run_dir_is_a_file(root: Path) -> str:
    (root / "run").mkdir()
    (root / "run/ifsmith").write_text("")
    return "run/ifsmith is not a directory); nothing was changed"


Spoil = Callable[[Path], str]  # spoils the run directory; what the refusal then says
BAD_RUN_DIRS = [lock_is_a_directory, run_dir_is_a_file]


@pytest.mark.parametrize("spoil", BAD_RUN_DIRS, ids=lambda f: f.__name__)
def test_recover_with_a_bad_run_directory_is_a_one_line_error(tmp_path: Path, spoil: Spoil) -> None:
    words = spoil(tmp_path)
    one_line_refusal(ifsmith("--root", str(tmp_path), "recover"), "cannot open the lock (")
    one_line_refusal(ifsmith("--root", str(tmp_path), "recover"), words)


@pytest.mark.parametrize("spoil", BAD_RUN_DIRS, ids=lambda f: f.__name__)
def test_apply_with_a_bad_run_directory_changes_nothing(
    tmp_path: Path, dummy_ns: str, spoil: Spoil
) -> None:
    words = spoil(tmp_path)
    xml = tmp_path / "d0.xml"
    xml.write_text(D0_ADDRESS)
    result = ifsmith("--netns", dummy_ns, "--root", str(tmp_path), "apply", str(xml), "--yes",
                     "--no-auto-probes", "--confirm-timeout", "0")  # fmt: skip
    one_line_refusal(result, words)
    assert d0_addresses(dummy_ns) == set() and not (tmp_path / "var").exists()


def journal(host: Host, txn_id: str, state: str) -> Txn:
    d = host.state_dir / "txn" / txn_id
    d.mkdir(parents=True)
    txn = Txn(d)
    txn.save(id=txn_id, state=state, created=time.time(), action="apply", names=["d0"])
    return txn


@pytest.mark.parametrize(
    ("meta", "why"),
    [(b'{"state": "appl', "meta.json: Unterminated string"),
     (b"[]", "meta.json: not a transaction's metadata"),
     (b"\xff\xfe", "meta.json: 'utf-8' codec can't decode")],
    ids=["cut-short", "not-a-transaction", "not-text"],
)  # fmt: skip
def test_a_corrupt_journal_is_reported_by_status_history_recover_and_moved_aside(
    tmp_path: Path, meta: bytes, why: str
) -> None:
    host = Host(root=tmp_path)
    journal(host, "20260101-000000-00001", "committed")
    bad = journal(host, "20260101-000001-00002", "applied")
    (bad.dir / "meta.json").write_bytes(meta)
    aside = host.state_dir / "quarantine" / bad.id
    root = ["--root", str(tmp_path)]

    status = ifsmith(*root, "status")
    assert status.returncode == 0 and "Traceback" not in status.stderr
    assert f"journal {bad.id} is corrupt ({why}" in status.stderr
    assert f"moved aside to {aside}" in status.stderr
    assert status.stdout.startswith("20260101-000000-00001: committed")
    assert not bad.dir.exists() and (aside / "meta.json").read_bytes() == meta

    history = ifsmith(*root, "history", "--json")
    kept = json.loads(history.stdout)["transactions"]
    assert [r["id"] for r in kept] == ["20260101-000000-00001"]
    assert f"journal {bad.id} is corrupt" in history.stderr  # still said, at every look

    recover = ifsmith(*root, "recover")
    assert recover.returncode == 1 and "Traceback" not in recover.stderr
    assert recover.stdout == "nothing to recover\n"
    assert f"journal {bad.id} is corrupt ({why}" in recover.stderr
    assert "restore by hand what it changed, then remove it" in recover.stderr


def test_status_as_a_user_who_may_not_read_the_journal_is_a_clear_refusal(
    tmp_path: Path, installed: Path
) -> None:
    host = Host(root=tmp_path)
    journal(host, "20260101-000000-00001", "committed")
    host.state_dir.chmod(0o700)
    tmp_path.chmod(0o755)
    # The package as installed (world-readable): the checkout may sit in a directory
    # nobody cannot enter (CI's clone does).
    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         "/usr/bin/python3", "-m", "ifsmith.tui.cli", "--root", str(tmp_path), "status"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(installed)},
    )  # fmt: skip
    one_line_refusal(result, "it is root's alone (try sudo)")
