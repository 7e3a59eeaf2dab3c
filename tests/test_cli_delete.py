"""`ifsmith delete`, `stop` and `undefine` as an admin meets them, in namespaces made here.

A server namespace with two veth NICs, its distro files (ifupdown) under a scratch --root.
The kernel is read back with `ip -d -j link` / `ip -j addr`, independently of ifsmith.
Bonds and VLANs need a kernel with bonding and 8021q: test_cli_delete_uml.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.netns import can_make_netns, ip, make_netns

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=f"n/a: {can_make_netns()}")

DOC = """<interfaces>
<interface type='ethernet' name='eth0'><start mode='onboot'/>
  <protocol family='ipv4'><ip address='198.51.100.1' prefix='24'/></protocol>
</interface>
<interface type='bridge' name='br0'><start mode='onboot'/>
  <protocol family='ipv4'><ip address='192.0.2.5' prefix='24'/></protocol>
  <bridge stp='off'><interface type='ethernet' name='eth1'/></bridge>
</interface>
</interfaces>
"""
PATIENCE = 60.0


@dataclass
class Server:
    ns: str
    root: Path

    def ifsmith(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ifsmith.tui.cli", "--netns", self.ns,
             "--root", str(self.root), *args],
            capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def links(self) -> dict[str, dict[str, Any]]:
        """`ip -d -j link`, by name."""
        return {e["ifname"]: e for e in json.loads(ip("-d", "-j", "link", netns=self.ns))}

    def addresses(self, name: str) -> set[str]:
        """Global addresses of one device, from `ip -j addr`."""
        out = json.loads(ip("-j", "addr", "show", "dev", name, netns=self.ns))
        return {f"{a['local']}/{a['prefixlen']}" for e in out for a in e["addr_info"]
                if a.get("scope") == "global"}  # fmt: skip

    def files(self) -> dict[str, bytes]:
        etc = self.root / "etc"
        return {str(p.relative_to(etc)): p.read_bytes() for p in etc.rglob("*") if p.is_file()}

    def status(self) -> dict[str, Any]:
        return dict(json.loads(self.ifsmith("status", "--json").stdout))


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def kind(link: dict[str, Any]) -> str:
    return str(link.get("linkinfo", {}).get("info_kind", ""))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """eth0 (198.51.100.1/24) and br0 (192.0.2.5/24, port eth1), defined in ifupdown files
    and running, applied by ifsmith itself."""
    with make_netns("ifs-cli-") as ns:
        for n in (0, 1):
            ip("link", "add", f"eth{n}", "type", "veth", "peer", "name", f"peer{n}", netns=ns)
            ip("link", "set", f"peer{n}", "up", netns=ns)
        (tmp_path / "etc/network").mkdir(parents=True)
        (tmp_path / "etc/network/interfaces").write_text("auto lo\niface lo inet loopback\n")
        doc = tmp_path / "doc.xml"
        doc.write_text(DOC)
        s = Server(ns, tmp_path)
        made = s.ifsmith("apply", str(doc), "--backend", "ifupdown", "--yes",
                         "--no-auto-probes", "--confirm-timeout", "0")  # fmt: skip
        assert made.returncode == 0, made.stdout + made.stderr
        yield s


def test_delete_removes_the_bridge_unconfigures_the_nic_and_rollback_restores_both(
    server: Server,
) -> None:
    files_before = server.files()
    links_before = server.links()
    assert {"network/interfaces.d/br0", "network/interfaces.d/eth0"} <= set(files_before)
    result = server.ifsmith("delete", "br0", "eth0", "--yes", "--no-auto-probes",
                            "--confirm-timeout", "120", "--no-wait")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # The plan shown: the bridge deleted, the NIC only unconfigured.
    assert "  delete br0\n" in result.stdout
    assert "remove address 198.51.100.1/24 from eth0" in result.stdout
    assert "set eth0 down" in result.stdout and "delete eth0" not in result.stdout
    wait_until(lambda: server.status()["state"] == "applied")

    links = server.links()
    assert "br0" not in links
    assert "master" not in links["eth1"]  # its port set free
    # eth0 is the same device, down, without its address: never deleted.
    assert links["eth0"]["ifindex"] == links_before["eth0"]["ifindex"]
    assert kind(links["eth0"]) == "veth" and "UP" not in links["eth0"]["flags"]
    assert server.addresses("eth0") == set()
    assert not any(p.startswith("network/interfaces.d/") for p in server.files())

    back = server.ifsmith("rollback")
    assert back.returncode == 0, back.stdout + back.stderr
    assert "not restored" not in back.stdout
    links = server.links()
    assert kind(links["br0"]) == "bridge" and links["eth1"]["master"] == "br0"
    assert server.addresses("br0") == {"192.0.2.5/24"}
    assert server.addresses("eth0") == {"198.51.100.1/24"} and "UP" in links["eth0"]["flags"]
    assert links["eth0"]["ifindex"] == links_before["eth0"]["ifindex"]
    assert server.files() == files_before  # byte for byte


def test_delete_of_something_unknown_or_the_loopback_is_refused_and_changes_nothing(
    server: Server,
) -> None:
    files, links = server.files(), server.links()
    for names, message in ((["nope"], "no interface named nope, defined or running"),
                           (["br0", "lo"], "lo is the loopback interface")):  # fmt: skip
        result = server.ifsmith("delete", *names, "--yes", "--no-auto-probes")
        assert result.returncode == 1 and message in result.stderr
        assert "nothing was changed" in result.stderr and "Traceback" not in result.stderr
    assert server.files() == files and server.links().keys() == links.keys()
    assert server.status()["state"] == "committed"  # no new transaction


def test_stop_of_a_bridge_removes_the_device_and_start_brings_it_back(server: Server) -> None:
    stopped = server.ifsmith("stop", "br0", "--yes", "--no-auto-probes",
                             "--confirm-timeout", "0")  # fmt: skip
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "  delete br0\n" in stopped.stdout
    links = server.links()
    assert "br0" not in links and "master" not in links["eth1"]
    assert "network/interfaces.d/br0" in server.files()  # still defined
    started = server.ifsmith("start", "br0", "--yes", "--no-auto-probes",
                             "--confirm-timeout", "0")  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr
    links = server.links()
    assert kind(links["br0"]) == "bridge" and links["eth1"]["master"] == "br0"
    assert server.addresses("br0") == {"192.0.2.5/24"}


def test_undefine_of_a_running_interface_says_it_keeps_running(server: Server) -> None:
    result = server.ifsmith("undefine", "br0", "--backend", "ifupdown")
    assert result.returncode == 0, result.stderr
    assert "note: br0 is still running (undefine changes only the files)" in result.stderr
    assert "br0" in server.links()  # undefine changes no live state


def test_a_bond_this_kernel_cannot_make_names_the_module(server: Server) -> None:
    probe = subprocess.run(["ip", "-n", server.ns, "link", "add", "probe0", "type", "bond"],
                           capture_output=True)  # fmt: skip
    if probe.returncode == 0:
        pytest.skip("n/a: this kernel has the bonding driver (the UML tests cover bonds)")
    doc = server.root / "bond.xml"
    doc.write_text("<interface type='bond' name='bond0'><start mode='onboot'/>"
                   "<bond mode='active-backup'><interface type='ethernet' name='eth0'/>"
                   "</bond></interface>")  # fmt: skip
    before = server.links()
    result = server.ifsmith("apply", str(doc), "--yes", "--no-auto-probes",
                            "--confirm-timeout", "0")  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    assert "this kernel cannot make a bond" in result.stdout
    assert "modprobe bonding" in result.stdout
    assert server.links().keys() == before.keys()
