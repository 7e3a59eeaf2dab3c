"""Issue 12, item 5: a full or read-only disk never wedges the tool.

The root is a real 256 KiB tmpfs, mounted in a mount namespace of its own that a `sleep`
process holds (slave propagation: this machine never sees the tmpfs, the tmpfs sees
namespaces made later); each command runs inside it through
`nsenter`, and the test reads its files through /proc/PID/root.  The live state is a
network namespace with a veth d0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import test_cli_txn
from tests.test_cli_txn import D0_ADDRESS, d0_addresses

dummy_ns = test_cli_txn.dummy_ns  # the fixture: a namespace with a veth d0

INTERFACES = b"auto lo\niface lo inet loopback\n"


@dataclass
class Disk:
    """A small tmpfs at ``root`` inside the mount namespace of process ``pid``."""

    pid: int
    root: Path

    def inside(self, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["nsenter", "-t", str(self.pid), "-m", *argv],
                              capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, **env))  # fmt: skip

    def ifsmith(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.inside(sys.executable, "-m", "ifsmith.tui.cli", "--root", str(self.root),
                           *args, **env)  # fmt: skip

    def path(self, rel: str = "") -> Path:
        """A path on the small disk, as this process can read it."""
        return Path(f"/proc/{self.pid}/root{self.root}") / rel

    def fill(self) -> None:
        """Write until the disk is full (ENOSPC), as a runaway log would."""
        code = (
            "import sys\nf = open(sys.argv[1], 'wb')\ntry:\n"
            "    while True: f.write(bytes(4096)); f.flush()\nexcept OSError: pass\n"
        )
        self.inside(sys.executable, "-c", code, str(self.root / "filler"))

    def read_only(self) -> None:
        """The root read-only; /run stays writable (a tmpfs of its own, as on a real host)."""
        self.path("run").mkdir()
        for argv in (["mount", "-t", "tmpfs", "ifsmith-run", str(self.root / "run")],
                     ["mount", "-o", "remount,ro", str(self.root)]):  # fmt: skip
            result = self.inside(*argv)
            assert result.returncode == 0, result.stderr

    def leftovers(self) -> list[str]:
        return sorted(str(p) for p in self.path().rglob("*ifsmith-tmp"))

    def etc(self) -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in self.path("etc").rglob("*") if p.is_file()}


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs in a mount namespace")
    root = tmp_path / "root"
    root.mkdir()
    holder = subprocess.Popen(["unshare", "-m", "--propagation", "slave", "sleep", "600"])
    try:
        ours = os.readlink("/proc/self/ns/mnt")
        while os.readlink(f"/proc/{holder.pid}/ns/mnt") == ours:
            time.sleep(0.01)
        d = Disk(holder.pid, root)
        mounted = d.inside("mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "ifsmith-test",
                           str(root))  # fmt: skip
        assert mounted.returncode == 0, mounted.stderr
        d.path("etc/network").mkdir(parents=True)
        d.path("etc/network/interfaces").write_bytes(INTERFACES)
        (tmp_path / "d0.xml").write_text(D0_ADDRESS)
        yield d
    finally:
        holder.kill()
        holder.wait()


def apply(disk: Disk, ns: str, **env: str) -> subprocess.CompletedProcess[str]:
    xml = disk.root.parent / "d0.xml"
    return disk.ifsmith("--netns", ns, "apply", str(xml), "--backend", "ifupdown", "--yes",
                        "--no-auto-probes", "--confirm-timeout", "0", **env)  # fmt: skip


def refused_in_one_line(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr


def test_a_checkpoint_on_a_full_disk_refuses_the_change_before_anything_changes(
    disk: Disk, dummy_ns: str
) -> None:
    disk.fill()
    etc = disk.etc()
    result = apply(disk, dummy_ns)
    refused_in_one_line(result, "cannot write the checkpoint")
    assert "No space left on device; nothing was changed" in result.stderr
    assert disk.etc() == etc and d0_addresses(dummy_ns) == set()
    assert list(disk.path("var/lib/ifsmith/txn").iterdir()) == []  # no half journal
    assert disk.leftovers() == []
    status = disk.ifsmith("status")
    assert status.returncode == 0 and status.stdout == "no transactions\n"


def test_define_on_a_full_disk_says_which_file_and_leaves_no_temp_file(disk: Disk) -> None:
    disk.fill()
    result = disk.ifsmith("define", str(disk.root.parent / "d0.xml"), "--backend", "ifupdown")
    refused_in_one_line(result, "/etc/network/interfaces: No space left on device")
    assert disk.path("etc/network/interfaces").read_bytes() == INTERFACES
    assert disk.leftovers() == []


def test_apply_on_a_read_only_root_is_refused_in_one_line(disk: Disk, dummy_ns: str) -> None:
    disk.read_only()
    result = apply(disk, dummy_ns)
    refused_in_one_line(result, "cannot write the checkpoint")
    assert "Read-only file system; nothing was changed" in result.stderr
    assert d0_addresses(dummy_ns) == set()


def test_a_disk_that_fills_during_the_change_still_rolls_back_and_recovers(
    disk: Disk, dummy_ns: str
) -> None:
    """The watchdog dies after writing the files; then the disk fills.  `recover` must
    still restore the file and record the rollback: the checkpoint set room aside."""
    etc = disk.etc()
    died = apply(disk, dummy_ns, IFSMITH_FAULT="after-files")
    assert died.returncode == 1 and "run `ifsmith recover`" in died.stderr, died.stderr
    assert disk.etc() != etc  # the new files are written
    disk.fill()
    recovered = disk.ifsmith("recover")
    assert recovered.returncode == 0, recovered.stderr
    assert recovered.stdout.startswith("rolled back ") and "Traceback" not in recovered.stderr
    assert disk.etc() == etc and disk.leftovers() == []
    assert "rolled-back" in disk.ifsmith("status").stdout
    assert disk.ifsmith("recover").stdout == "nothing to recover\n"
