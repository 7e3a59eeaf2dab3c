"""Issue 12, item 2 (ifupdown's part): `source` and `source-directory` stay in /etc/network.

What the attacker did: `source ../../../etc/shadow` (read the host's shadow), a linked
interfaces.d pointing out of the tree, a glob whose match is a link out of it.  Every
sourced path resolves inside the root and inside /etc/network, or the command is refused
with the name: nothing outside is read, nothing anywhere is written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ifsmith.backends import ifupdown
from ifsmith.core.files import MemoryFiles, UnsafePath
from ifsmith.core.model import IfType, Interface, StartMode
from tests.test_hardening_reads import XML

LO = "auto lo\niface lo inet loopback\n"


def ifsmith(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ifsmith.tui.cli", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def tree(root: Path) -> dict[str, bytes | str]:
    """Every file under ROOT with its bytes (a link: its target), to show nothing changed."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = os.readlink(path)
            elif path.is_fifo():
                out[rel] = "fifo"
            else:
                out[rel] = path.read_bytes()
    return out


def a_root(tmp_path: Path, interfaces: str) -> Path:
    """A root with a shadow file that must never be read: a FIFO, so any read would be
    refused as "not a regular file" instead of by the confinement."""
    root = tmp_path / "root"
    (root / "etc/network").mkdir(parents=True)
    os.mkfifo(root / "etc/shadow")
    (root / "srv/evil").mkdir(parents=True)
    (root / "srv/evil/eth0").write_text("iface eth0 inet static\n    address 192.0.2.9/24\n")
    (root / "etc/network/interfaces").write_text(LO + interfaces)
    (tmp_path / "eth0.xml").write_text(XML)
    return root


def refused_everywhere(tmp_path: Path, root: Path, message: str) -> None:
    """list, dumpxml and define all exit 1 with MESSAGE as their one line; no file changes."""
    before = tree(root)
    for argv in (["list", "--inactive"], ["dumpxml", "eth0", "--inactive"],
                 ["define", str(tmp_path / "eth0.xml")]):  # fmt: skip
        result = ifsmith("--root", str(root), *argv, "--backend", "ifupdown")
        assert result.returncode == 1, (argv, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert message in result.stderr, result.stderr
        assert "192.0.2.9" not in result.stdout + result.stderr
        assert tree(root) == before, argv


def test_source_of_the_hosts_shadow_is_refused_unread(tmp_path: Path) -> None:
    root = a_root(tmp_path, "source ../../../etc/shadow\n")
    refused_everywhere(tmp_path, root, "/etc/network/interfaces:3: source ../../../etc/shadow: "
                       "/etc/shadow is outside /etc/network; refusing to read it")  # fmt: skip


def test_a_source_climbing_above_the_root_stays_in_it_and_is_refused(tmp_path: Path) -> None:
    """'..' stops at the root, as on the target system: this names the root's /srv."""
    root = a_root(tmp_path, "source ../../../../../../../../srv/evil/eth0\n")
    refused_everywhere(tmp_path, root, "/srv/evil/eth0 is outside /etc/network")


@pytest.mark.parametrize("link", ["/srv/evil", "../../srv/evil"])
def test_a_linked_source_directory_out_of_the_tree_is_refused(tmp_path: Path, link: str) -> None:
    root = a_root(tmp_path, "source-directory interfaces.d\n")
    (root / "etc/network/interfaces.d").symlink_to(link)
    refused_everywhere(tmp_path, root, "source-directory interfaces.d: /etc/network/interfaces.d, "
                       "a symbolic link to /srv/evil, is outside /etc/network")  # fmt: skip


def test_a_glob_whose_match_links_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    root = a_root(tmp_path, "source interfaces.d/*\n")
    (root / "etc/network/interfaces.d").mkdir()
    (root / "etc/network/interfaces.d/eth1").write_text("iface eth1 inet dhcp\n")
    (root / "etc/network/interfaces.d/zz").symlink_to("/etc/shadow")
    refused_everywhere(tmp_path, root, "source interfaces.d/*: /etc/network/interfaces.d/zz, "
                       "a symbolic link to /etc/shadow, is outside /etc/network")  # fmt: skip


def test_a_glob_over_a_directory_out_of_the_tree_is_refused_before_listing(tmp_path: Path) -> None:
    root = a_root(tmp_path, "source ../../srv/evil/*\n")
    refused_everywhere(tmp_path, root, "source ../../srv/evil/*: /srv/evil is outside "
                       "/etc/network")  # fmt: skip


def test_links_and_globs_inside_the_tree_are_followed_and_written(tmp_path: Path) -> None:
    """The confinement refuses only what leaves the tree: a linked interfaces.d inside
    /etc/network is read, and a define edits the stanza where it lives (the link stays)."""
    root = a_root(tmp_path, "source-directory interfaces.d\nsource extra/*\n")
    (root / "etc/network/real.d").mkdir()
    (root / "etc/network/real.d/eth0").write_text("auto eth0\niface eth0 inet static\n"
                                                   "    address 192.0.2.5/24\n")  # fmt: skip
    (root / "etc/network/interfaces.d").symlink_to("real.d")
    (root / "etc/network/extra").mkdir()
    (root / "etc/network/extra/eth1").write_text("iface eth1 inet dhcp\n")
    listed = ifsmith("--root", str(root), "list", "--inactive", "--backend", "ifupdown")
    assert listed.returncode == 0, listed.stderr
    assert "eth0" in listed.stdout and "eth1" in listed.stdout
    defined = ifsmith("--root", str(root), "define", str(tmp_path / "eth0.xml"),
                      "--backend", "ifupdown")  # fmt: skip
    assert defined.returncode == 0, defined.stderr
    assert os.readlink(root / "etc/network/interfaces.d") == "real.d"
    assert (root / "etc/network/real.d/eth0").read_text() == "auto eth0\niface eth0 inet dhcp\n"
    assert (root / "srv/evil/eth0").read_text().startswith("iface eth0 inet static")


def test_dev_null_sources_nothing() -> None:
    """Debian's own testcase.10 sources /dev/null: read as empty, never refused."""
    files = MemoryFiles({"/etc/network/interfaces": (LO + "source /dev/null\n").encode()})
    assert ifupdown.read_report(files).problems == []


def test_render_refuses_what_reading_refuses() -> None:
    files = MemoryFiles({
        "/etc/network/interfaces": (LO + "source ../../../etc/shadow\n").encode(),
        "/etc/shadow": b"iface eth0 inet dhcp\n",
    })  # fmt: skip
    eth0 = Interface(IfType.ETHERNET, "eth0", start_mode=StartMode.ONBOOT)
    with pytest.raises(UnsafePath, match="/etc/shadow is outside /etc/network"):
        ifupdown.render([eth0], files)
    with pytest.raises(UnsafePath, match="/etc/shadow is outside /etc/network"):
        ifupdown.undefine(["eth0"], files)
