"""Issue 12, item 4: reads are bounded.

What the attacker did: made a configuration file a FIFO (every read command hung), a link
to /dev/zero or a `source` of one (read until MemoryError), or a huge file.  Only regular
files are read, up to a size cap, without blocking; the rest is refused with its name.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ifsmith.core.files import MAX_CONFIG_BYTES

XML = """<interface type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <dhcp/>
  </protocol>
</interface>
"""


def ifsmith(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ifsmith.tui.cli", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=20)  # fmt: skip


def a_fifo(interfaces: Path) -> str:
    os.mkfifo(interfaces)
    return "/etc/network/interfaces: not a regular file; refusing to read it"


def dev_zero(interfaces: Path) -> None:
    """/dev/zero of the root (links resolve inside it, as on the target system)."""
    dev = interfaces.parents[2] / "dev"
    dev.mkdir()
    os.mknod(dev / "zero", 0o666 | stat.S_IFCHR, os.makedev(1, 5))


def a_link_to_dev_zero(interfaces: Path) -> str:
    dev_zero(interfaces)
    interfaces.symlink_to("/dev/zero")
    return "/etc/network/interfaces: not a regular file; refusing to read it"


def a_source_of_dev_zero(interfaces: Path) -> str:
    """A device node inside /etc/network (a source outside it is refused before any read:
    tests/test_source_confine.py)."""
    os.mknod(interfaces.parent / "zero", 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    interfaces.write_text("auto lo\niface lo inet loopback\nsource zero\n")
    return "/etc/network/zero: not a regular file; refusing to read it"


def a_huge_file(interfaces: Path) -> str:
    with open(interfaces, "wb") as f:
        f.truncate(MAX_CONFIG_BYTES + 1)  # sparse: costs no disk
    return f"/etc/network/interfaces: more than {MAX_CONFIG_BYTES} bytes"


@pytest.mark.parametrize("plant", [a_fifo, a_link_to_dev_zero, a_source_of_dev_zero,
                                   a_huge_file], ids=lambda f: f.__name__)  # fmt: skip
@pytest.mark.parametrize("command", ["list", "define"])
def test_an_odd_config_file_is_refused_by_name_at_once(
    tmp_path: Path, plant: Callable[[Path], str], command: str
) -> None:
    root = tmp_path / "root"
    (root / "etc/network").mkdir(parents=True)
    words = plant(root / "etc/network/interfaces")
    (tmp_path / "eth0.xml").write_text(XML)
    argv = {"list": ["list", "--inactive"], "define": ["define", str(tmp_path / "eth0.xml")]}
    result = ifsmith("--root", str(root), *argv[command], "--backend", "ifupdown")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert words in result.stderr, result.stderr
    assert sorted(p.name for p in (root / "etc/network").iterdir()) in (
        ["interfaces"], ["interfaces", "zero"]
    )  # nothing written beside them
