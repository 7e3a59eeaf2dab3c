"""Issue 12, item 1: secrets stay secret.

An edited file keeps its mode, owner and group (it may hold WPA_PSK= or a keyfile
password=); a new file gets its format's documented mode; the journal that keeps copies of
those files is root's alone; a rollback and `rollback --to` give files their owner back.
Everything runs on a scratch root (tmp_path).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.core.files import Rendering
from ifsmith.core.host import Host
from ifsmith.core.model import LiveHost
from ifsmith.core.txn import Request, Txn, checkpoint, restore_files, revert_of, write_files

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown scratch files")

BOND = """<interface type='bond' name='bond0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.{host}' prefix='24'/>
  </protocol>
  <bond mode='active-backup'>
    <interface type='ethernet' name='eth0'/>
    <interface type='ethernet' name='eth1'/>
  </bond>
</interface>
"""
NEW_FILE_MODE = {"nm-keyfile": 0o600, "netplan": 0o600}  # the others: 0644
OWNER = (1234, 4321)


def ifsmith(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ifsmith.tui.cli", *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def files_under(root: Path) -> dict[Path, os.stat_result]:
    return {p: p.lstat() for p in (root / "etc").rglob("*") if p.is_file()}


def perms(st: os.stat_result) -> tuple[int, int, int]:
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


@pytest.mark.parametrize(
    "backend", ["ifcfg-rh", "ifcfg-suse", "ifupdown", "networkd", "netifrc", "nm-keyfile",
                "netplan"]
)  # fmt: skip
def test_define_over_a_0640_file_keeps_its_mode_owner_and_group(
    tmp_path: Path, backend: str
) -> None:
    root = ["--root", str(tmp_path / "root")]
    xml = tmp_path / "bond0.xml"
    xml.write_text(BOND.format(host=10))
    first = ifsmith(*root, "define", str(xml), "--backend", backend)
    assert first.returncode == 0, first.stderr
    made = files_under(tmp_path / "root")
    assert made, first.stdout
    for path, st in made.items():  # new files: the format's documented mode
        assert stat.S_IMODE(st.st_mode) == NEW_FILE_MODE.get(backend, 0o644), path
    # The admin (or the distro's installer) protects the files that hold secrets.
    for path in made:
        os.chown(path, *OWNER)
        path.chmod(0o640)
    xml.write_text(BOND.format(host=11))
    second = ifsmith(*root, "define", str(xml), "--backend", backend)
    assert second.returncode == 0, second.stderr
    after = files_under(tmp_path / "root")
    changed = [p for p in made if f"wrote {p}" in second.stdout]
    assert changed, second.stdout  # the address changed: some file was rewritten
    for path in changed:
        assert perms(after[path]) == (0o640, *OWNER), path
    assert not list((tmp_path / "root").rglob("*.ifsmith-tmp"))


KEYFILE = PurePosixPath("/etc/NetworkManager/system-connections/wifi.nmconnection")
IFCFG = PurePosixPath("/etc/sysconfig/network-scripts/ifcfg-wlan0")


def secret_files(root: Path) -> Request:
    """An existing 0600 ifcfg file of owner 1234:4321 holding a key, and a new keyfile."""
    ifcfg = root / IFCFG.relative_to("/")
    ifcfg.parent.mkdir(parents=True)
    ifcfg.write_bytes(b"DEVICE=wlan0\nWPA_PSK=hunter2\n")
    ifcfg.chmod(0o600)
    os.chown(ifcfg, *OWNER)
    rendering = Rendering(
        backend="test",
        files={IFCFG: b"DEVICE=wlan0\nWPA_PSK=hunter3\n", KEYFILE: b"[wifi-security]\npsk=x\n"},
        modes={KEYFILE: 0o600},
    )
    return Request(action="apply", names=["wlan0"], rendering=rendering, backend="ifcfg-rh")


def test_the_journal_of_a_change_is_root_s_alone_and_nobody_reads_a_saved_secret(
    tmp_path: Path,
) -> None:
    host = Host(root=tmp_path)
    request = secret_files(tmp_path)
    # A journal directory made 0755 by an older version is tightened, not trusted.
    (host.state_dir / "txn").mkdir(parents=True)
    (host.state_dir / "txn").chmod(0o755)
    txn = checkpoint(host, host.state_dir / "txn" / "t1", request, LiveHost((), ()))
    txn.log("a line")
    for path in [host.state_dir, *host.state_dir.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    saved = [p for p in (txn.dir / "saved").iterdir()]
    assert saved and b"hunter2" in saved[0].read_bytes()
    # What the attacker did: read the saved copy as an unprivileged user.
    peek = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           "cat", str(saved[0])], capture_output=True, text=True)  # fmt: skip
    assert peek.returncode != 0 and "hunter2" not in peek.stdout
    assert "Permission denied" in peek.stderr


def test_apply_keeps_an_existing_file_s_mode_and_owner_and_rollback_restores_them(
    tmp_path: Path,
) -> None:
    host = Host(root=tmp_path)
    request = secret_files(tmp_path)
    ifcfg, keyfile = host.path(IFCFG), host.path(KEYFILE)
    txn = checkpoint(host, host.state_dir / "txn" / "t1", request, LiveHost((), ()))
    write_files(host, txn)
    assert ifcfg.read_bytes().endswith(b"hunter3\n")
    assert perms(ifcfg.stat()) == (0o600, *OWNER)
    assert perms(keyfile.stat()) == (0o600, 0, 0)
    # Someone loosens the file meanwhile; the rollback gives back exactly what was saved.
    os.chown(ifcfg, 0, 0)
    ifcfg.chmod(0o644)
    restore_files(host, txn)
    assert ifcfg.read_bytes().endswith(b"hunter2\n")
    assert perms(ifcfg.stat()) == (0o600, *OWNER)
    assert not keyfile.exists()


def test_rollback_to_gives_a_file_its_saved_mode_owner_and_group_back(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    request = secret_files(tmp_path)
    ifcfg = host.path(IFCFG)
    done = checkpoint(host, host.state_dir / "txn" / "20260101-000000-00001", request,
                      LiveHost((), ()))  # fmt: skip
    write_files(host, done)
    done.save(state="committed")
    # Since then the file was replaced as 0644 root:root (by hand, or an older ifsmith).
    os.chown(ifcfg, 0, 0)
    ifcfg.chmod(0o644)
    todo = revert_of(host, "00001")
    assert todo.rendering is not None and todo.rendering.owners == {IFCFG: OWNER}
    revert = Request(action="revert", names=todo.names, rendering=todo.rendering,
                     backend=todo.backend)  # fmt: skip
    txn = checkpoint(host, host.state_dir / "txn" / "20260101-000001-00002", revert,
                     LiveHost((), ()))  # fmt: skip
    entries = json.loads((txn.dir / "files.json").read_text())
    assert [e["new_owner"] for e in entries if e["path"] == str(IFCFG)] == [list(OWNER)]
    write_files(host, Txn(txn.dir).load())
    assert ifcfg.read_bytes().endswith(b"hunter2\n")
    assert perms(ifcfg.stat()) == (0o600, *OWNER)
    assert not host.path(KEYFILE).exists()
