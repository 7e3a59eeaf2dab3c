"""Atomic writes, file views and diffs."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.core.files import (
    HostFiles,
    MemoryFiles,
    Rendering,
    unified_diff,
    write_atomic,
    write_rendering,
)
from ifsmith.core.host import Host

P = PurePosixPath


def test_write_atomic_sets_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "etc/NetworkManager/system-connections/a.nmconnection"
    write_atomic(target, b"x\n", 0o600)
    assert target.read_bytes() == b"x\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(target.parent) == ["a.nmconnection"]


def test_write_atomic_refuses_to_follow_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "ifcfg-eth0"
    link.symlink_to(victim)
    with pytest.raises(OSError, match="symlink"):
        write_atomic(link, b"DEVICE=eth0\n")
    assert victim.read_text() == "precious"
    assert link.is_symlink()


def test_write_rendering_writes_under_root_and_reports_only_changes(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/same").write_bytes(b"same\n")
    (tmp_path / "etc/old").write_bytes(b"old\n")
    rendering = Rendering(
        backend="t",
        files={P("/etc/same"): b"same\n", P("/etc/new"): b"new\n"},
        removed=frozenset({P("/etc/old"), P("/etc/never-existed")}),
        modes={P("/etc/new"): 0o600},
    )
    assert write_rendering(host, rendering) == [P("/etc/new"), P("/etc/old")]
    assert (tmp_path / "etc/new").read_bytes() == b"new\n"
    assert stat.S_IMODE((tmp_path / "etc/new").stat().st_mode) == 0o600
    assert not (tmp_path / "etc/old").exists()
    assert write_rendering(host, rendering) == []


def test_unified_diff_shows_changes_additions_and_removals() -> None:
    files = MemoryFiles({"/etc/a": b"one\ntwo\n", "/etc/gone": b"bye\n"})
    rendering = Rendering(
        backend="t",
        files={P("/etc/a"): b"one\nthree\n", P("/etc/b"): b"new\n"},
        removed=frozenset({P("/etc/gone")}),
    )
    diff = unified_diff(rendering, files)
    assert "--- a/etc/a\n+++ b/etc/a\n" in diff
    assert "-two\n+three\n" in diff
    assert "--- /dev/null\n+++ b/etc/b\n" in diff
    assert "--- a/etc/gone\n+++ /dev/null\n" in diff


def test_host_files_reads_under_root_and_lists_sorted(tmp_path: Path) -> None:
    (tmp_path / "etc/network").mkdir(parents=True)
    (tmp_path / "etc/network/b").write_bytes(b"B")
    (tmp_path / "etc/network/a").write_bytes(b"A")
    view = HostFiles(Host(root=tmp_path))
    assert view.listdir(P("/etc/network")) == ["a", "b"]
    assert view.read(P("/etc/network/a")) == b"A"
    assert view.read(P("/etc/nothing")) is None
    assert view.listdir(P("/etc/nothing")) == []


def test_host_paths_stay_under_root(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    assert host.path("/etc/x") == tmp_path / "etc/x"
    assert host.state_dir == tmp_path / "var/lib/ifsmith"
    assert host.run_dir == tmp_path / "run/ifsmith"
    assert Host.from_env(host.env()) == host
