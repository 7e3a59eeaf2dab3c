"""Issue 12, item 2 (the journal's part): `recover` writes only what a trusted journal names,
and only in /etc.

What the attacker did: a journal whose files.json names a file outside /etc, a journal
planted by another user, a journal directory anyone may write.
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.core.files import Rendering
from ifsmith.core.host import Host
from ifsmith.core.model import LiveHost
from ifsmith.core.txn import Request, Txn, checkpoint
from tests.test_hardening_symlinks import ifsmith

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown scratch files")

KEYS = PurePosixPath("/root/.ssh/authorized_keys")
IFCFG = PurePosixPath("/etc/sysconfig/network-scripts/ifcfg-eth0")


def unfinished_journal(host: Host, names: PurePosixPath) -> Txn:
    """An unfinished journal (files only: from an earlier boot) whose files.json names
    NAMES as a file it saved, with the attacker's bytes."""
    request = Request(action="apply", names=["eth0"],
                      rendering=Rendering("ifcfg-rh", {IFCFG: b"DEVICE=eth0\n"}))  # fmt: skip
    txn = checkpoint(host, host.state_dir / "txn" / "t1", request, LiveHost((), ()))
    entries = json.loads((txn.dir / "files.json").read_text())
    entries[0].update(path=str(names), existed=True, mode=0o600, uid=0, gid=0)
    (txn.dir / "files.json").write_text(json.dumps(entries))
    (txn.dir / "saved" / "0").write_bytes(b"ssh-ed25519 AAAA attacker\n")
    txn.save(state="applying", boot_id="an-earlier-boot")
    return txn


def test_recover_never_writes_outside_etc_what_a_journal_names(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    unfinished_journal(host, KEYS)
    result = ifsmith("--root", str(tmp_path), "recover")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout == (
        "rolled back t1\n  not restored: /root/.ssh/authorized_keys: not restored "
        "(/root/.ssh/authorized_keys: outside /etc; refusing to write it)\n"
    )
    assert not host.path(KEYS).exists()


def test_a_journal_planted_by_another_user_is_set_aside_not_recovered(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    txn = unfinished_journal(host, IFCFG)
    os.chown(txn.dir, 65534, 65534)
    result = ifsmith("--root", str(tmp_path), "recover")
    assert result.returncode == 1 and result.stdout == "nothing to recover\n"
    assert "journal t1 is corrupt (owned by uid 65534)" in result.stderr
    assert not host.path(IFCFG).exists()
    assert (host.state_dir / "quarantine" / "t1").is_dir()


def test_a_journal_directory_anyone_may_write_is_not_trusted(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    unfinished_journal(host, IFCFG)
    (host.state_dir / "txn").chmod(0o777)
    result = ifsmith("--root", str(tmp_path), "recover")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == (
        f"ifsmith: the journal {host.state_dir / 'txn'} is writable by others (mode 0777); "
        "refusing to trust it\n"
    )
    assert not host.path(IFCFG).exists()
