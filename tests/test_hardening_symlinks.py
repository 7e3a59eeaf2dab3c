"""Issue 12, item 3: a symlinked (or directory) config file never wedges the tool.

What the admin or the fault did: /etc/network/interfaces made a link to interfaces.real
(followed: the target is written, the link stays), a link leading out of /etc or a
directory in the file's place (refused before anything changes), and a journal whose file
cannot be restored (`recover` still ends, and lists it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.core.files import Rendering
from ifsmith.core.host import Host
from ifsmith.core.model import LiveHost
from ifsmith.core.txn import Request, checkpoint, find, restore_files, write_files
from tests.test_hardening_reads import XML

REAL = b"auto lo\niface lo inet loopback\n"
INTERFACES = PurePosixPath("/etc/network/interfaces")


def ifsmith(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ifsmith.tui.cli", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def linked_root(tmp_path: Path, link: str) -> Path:
    """A root whose /etc/network/interfaces is a symlink to LINK; interfaces.real exists."""
    root = tmp_path / "root"
    (root / "etc/network").mkdir(parents=True)
    (root / "etc/network/interfaces.real").write_bytes(REAL)
    (root / "etc/network/interfaces").symlink_to(link)
    (tmp_path / "eth0.xml").write_text(XML)
    return root


@pytest.mark.parametrize("link", ["interfaces.real", "/etc/network/interfaces.real",
                                  "../network/./interfaces.real"])  # fmt: skip
def test_define_through_a_link_inside_etc_writes_its_target_and_keeps_the_link(
    tmp_path: Path, link: str
) -> None:
    root = linked_root(tmp_path, link)
    result = ifsmith("--root", str(root), "define", str(tmp_path / "eth0.xml"),
                     "--backend", "ifupdown")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert os.readlink(root / "etc/network/interfaces") == link
    real = (root / "etc/network/interfaces.real").read_bytes()
    assert real == REAL + b"\nsource-directory interfaces.d\n"  # read and edited, not replaced
    assert b"iface eth0 inet dhcp" in (root / "etc/network/interfaces.d/eth0").read_bytes()
    dumped = ifsmith("--root", str(root), "dumpxml", "eth0", "--inactive", "--backend",
                     "ifupdown")  # fmt: skip
    assert dumped.returncode == 0 and "<dhcp/>" in dumped.stdout


@pytest.mark.parametrize(
    ("link", "words"),
    [("/srv/interfaces", "a symbolic link to /srv/interfaces, outside /etc"),
     ("../../../../../../../../srv/interfaces", "a symbolic link to /srv/interfaces"),
     ("interfaces", "too many levels of symbolic links")],
    ids=["absolute-out", "climbs-out", "loop"],
)  # fmt: skip
def test_define_through_a_link_out_of_etc_is_refused_before_anything_changes(
    tmp_path: Path, link: str, words: str
) -> None:
    root = linked_root(tmp_path, link)
    (root / "srv").mkdir()
    if link != "interfaces":
        (root / "srv/interfaces").write_bytes(REAL)
    before = {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    result = ifsmith("--root", str(root), "define", str(tmp_path / "eth0.xml"),
                     "--backend", "ifupdown")  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr
    assert {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_a_directory_in_place_of_the_file_is_refused_before_the_checkpoint(
    tmp_path: Path,
) -> None:
    host = Host(root=tmp_path)
    host.path("/etc/network/interfaces").mkdir(parents=True)
    request = Request(action="apply", names=["eth0"],
                      rendering=Rendering("ifupdown", {INTERFACES: REAL}))  # fmt: skip
    with pytest.raises(Exception, match="a directory, not a file; refusing to replace it"):
        checkpoint(host, host.state_dir / "txn" / "t1", request, LiveHost((), ()))
    assert not (host.state_dir / "txn" / "t1").exists()


def test_a_change_through_a_link_journals_the_target_and_rollback_restores_it(
    tmp_path: Path,
) -> None:
    root = linked_root(tmp_path, "interfaces.real")
    host = Host(root=root)
    request = Request(action="apply", names=["eth0"],
                      rendering=Rendering("ifupdown", {INTERFACES: REAL + b"# new\n"}))  # fmt: skip
    txn = checkpoint(host, host.state_dir / "txn" / "t1", request, LiveHost((), ()))
    [entry] = json.loads((txn.dir / "files.json").read_text())
    assert entry["path"] == "/etc/network/interfaces.real"
    assert entry["link"] == "/etc/network/interfaces"
    write_files(host, txn)
    assert (root / "etc/network/interfaces.real").read_bytes().endswith(b"# new\n")
    assert restore_files(host, txn) == []
    assert (root / "etc/network/interfaces.real").read_bytes() == REAL
    assert (root / "etc/network/interfaces").is_symlink()


def test_recover_of_a_journal_naming_the_link_restores_the_target(tmp_path: Path) -> None:
    """A journal written before links were followed names the link itself (its write
    failed there, and so did every rollback and recover after it)."""
    root = linked_root(tmp_path, "interfaces.real")
    host = Host(root=root)
    request = Request(action="apply", names=["eth0"],
                      rendering=Rendering("ifupdown", {INTERFACES: b"changed\n"}))  # fmt: skip
    txn = checkpoint(host, host.state_dir / "txn" / "t1", request, LiveHost((), ()))
    entries = json.loads((txn.dir / "files.json").read_text())
    entries[0]["path"] = str(INTERFACES)
    (txn.dir / "files.json").write_text(json.dumps(entries))
    (root / "etc/network/interfaces.real").write_bytes(b"half-applied\n")
    txn.save(state="applying", boot_id="an-earlier-boot")  # files only: no live state here
    result = ifsmith("--root", str(root), "recover")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "etc/network/interfaces.real").read_bytes() == REAL
    assert (root / "etc/network/interfaces").is_symlink()


def test_recover_reaches_a_final_state_and_lists_what_it_could_not_restore(
    tmp_path: Path,
) -> None:
    host = Host(root=tmp_path)
    (tmp_path / "etc/network").mkdir(parents=True)
    (tmp_path / "etc/network/interfaces").write_bytes(REAL)
    request = Request(action="apply", names=["eth0"],
                      rendering=Rendering("ifupdown", {INTERFACES: b"changed\n"}))  # fmt: skip
    txn = checkpoint(host, host.state_dir / "txn" / "t1", request, LiveHost((), ()))
    write_files(host, txn)
    # Since then a directory took the file's place.
    (tmp_path / "etc/network/interfaces").unlink()
    (tmp_path / "etc/network/interfaces").mkdir()
    txn.save(state="applied", boot_id="an-earlier-boot")
    result = ifsmith("--root", str(tmp_path), "recover")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout == (
        "rolled back t1\n  not restored: /etc/network/interfaces: not restored "
        "(/etc/network/interfaces: a directory, not a file; refusing to replace it)\n"
    )
    assert find(host, "t1").state == "rolled-back"
    again = ifsmith("--root", str(tmp_path), "recover")
    assert again.returncode == 0 and again.stdout == "nothing to recover\n"
