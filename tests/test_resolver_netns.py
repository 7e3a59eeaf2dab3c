"""DNS reaches the running resolver through a transaction: a NIC with ifupdown files in a
namespace, the kernel activator, and stand-in ``resolvectl`` / ``resolvconf`` programs
(tests/resolver_stand_ins.py; the test suite's switch IFSMITH_TEST_RESOLVER_BIN names
them, since a namespace otherwise has no resolver manager of its own).  The plan says what
the resolver gets, apply sets it, rollback — on timeout or by `recover` after the watchdog
died — puts back what it had, removing DNS removes the entry, a failing tool is a warning.
This machine's /etc/resolv.conf is checked unchanged after each test."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.netns import can_make_netns, ip, make_netns
from tests.resolver_stand_ins import RESOLVCONF, RESOLVECTL, install, read_calls

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=f"n/a: {can_make_netns()}")

INTERFACES = """\
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet static
    address 10.55.0.123/24
    gateway 10.55.0.1
    dns-nameservers 10.55.0.1
"""

XML = """\
<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='10.55.0.123' prefix='24'/>
    <route gateway='10.55.0.1'/>
  </protocol>
{dns}</interface>
"""
NEW_DNS = "  <ifsmith:dns servers='192.0.2.53 2001:db8::53' search='example.com'/>\n"
SAFE = ("--yes", "--probe", "10.55.0.1", "--no-auto-probes", "--activate", "kernel")


def resolv_conf_sum() -> str:
    return hashlib.md5(Path("/etc/resolv.conf").read_bytes()).hexdigest()


@dataclass
class Server:
    netns: str
    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "stand-in-bin"

    def ifsmith(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ifsmith.tui.cli", "--netns", self.netns,
             "--root", str(self.root), *args],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
            env={**os.environ, "IFSMITH_TEST_RESOLVER_BIN": str(self.bin), **env},
        )  # fmt: skip

    def apply(self, dns: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        doc = self.root / "eth0.xml"
        doc.write_text(XML.format(dns=dns))
        return self.ifsmith("apply", str(doc), *SAFE, *args, **env)

    def link(self, name: str) -> tuple[list[str], list[str]]:
        """What the stand-in resolved holds for link NAME: servers, domains."""
        state = self.bin / "state"

        def read(kind: str) -> list[str]:
            path = state / f"{name}.{kind}"
            return path.read_text().split() if path.exists() else []

        return read("dns"), read("domain")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """eth0 (a veth to a peer namespace) with its address and default route, ifupdown
    files that say so, with dns-nameservers."""
    before = resolv_conf_sum()
    with make_netns("dnslive-s") as ns, make_netns("dnslive-c") as client:
        ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", "c0",
           "netns", client)  # fmt: skip
        ip("addr", "add", "10.55.0.1/24", "dev", "c0", netns=client)
        ip("link", "set", "c0", "up", netns=client)
        ip("addr", "add", "10.55.0.123/24", "dev", "eth0", netns=ns)
        ip("link", "set", "eth0", "up", netns=ns)
        ip("route", "add", "default", "via", "10.55.0.1", "dev", "eth0", netns=ns)
        (tmp_path / "etc/network").mkdir(parents=True)
        (tmp_path / "etc/network/interfaces").write_text(INTERFACES)
        host = Server(ns, tmp_path)
        host.bin.mkdir()
        yield host
    assert resolv_conf_sum() == before, "this machine's /etc/resolv.conf changed"


def with_resolved(server: Server) -> None:
    """The stand-in systemd-resolved, holding eth0's DNS as ifup's hook left it."""
    install(server.bin, RESOLVECTL, "resolvectl", netns=server.netns)
    (server.root / "run/systemd/resolve").mkdir(parents=True)
    (server.bin / "state").mkdir()
    (server.bin / "state/eth0.dns").write_text("10.55.0.1")


def with_resolvconf(server: Server) -> Path:
    """The stand-in resolvconf; the directory of its records."""
    install(server.bin, RESOLVCONF, "resolvconf", netns=server.netns, root=server.root)
    records = server.root / "run/resolvconf/interface"
    records.mkdir(parents=True)
    return records


def test_plan_says_what_resolved_gets_and_rollback_puts_back_what_it_had(
    server: Server,
) -> None:
    with_resolved(server)
    out = server.apply(NEW_DNS, "--confirm-timeout", "1")
    assert out.returncode == 3, out.stdout + out.stderr  # not confirmed: rolled back
    plan = out.stdout.split("Probes:")[0]
    assert "  DNS for eth0 set in systemd-resolved: 192.0.2.53 2001:db8::53, search example.com"\
        in plan.splitlines(), plan  # fmt: skip
    assert "takes effect when" not in out.stdout
    calls = read_calls(server.bin)
    set_at = calls.index(["dns", "eth0", "192.0.2.53", "2001:db8::53"])
    assert calls[set_at + 1] == ["domain", "eth0", "example.com"]
    assert ["dns", "eth0", "10.55.0.1"] in calls[set_at + 2 :]  # put back at rollback
    assert server.link("eth0") == (["10.55.0.1"], [])
    assert "Rolled back" in out.stdout and "not restored" not in out.stdout


def test_iface_bridge_moves_the_resolver_entry_from_the_nic_to_the_bridge(
    server: Server,
) -> None:
    with_resolved(server)
    out = server.ifsmith("iface-bridge", "eth0", "br0", "--no-stp", *SAFE,
                         "--confirm-timeout", "0")  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "  DNS for br0 set in systemd-resolved: 10.55.0.1" in out.stdout.splitlines()
    assert "  DNS for eth0 removed from systemd-resolved" in out.stdout.splitlines()
    assert server.link("br0") == (["10.55.0.1"], [])
    assert server.link("eth0") == ([], [])


def test_resolvconf_gets_a_record_and_removing_the_dns_removes_it(server: Server) -> None:
    records = with_resolvconf(server)
    out = server.apply(NEW_DNS, "--confirm-timeout", "0")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "  DNS for eth0 set in resolvconf (eth0.ifsmith): 192.0.2.53 2001:db8::53, " \
        "search example.com" in out.stdout.splitlines()  # fmt: skip
    assert (records / "eth0.ifsmith").read_text() == (
        "nameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example.com\n"
    )
    merged = (server.root / "run/resolvconf/resolv.conf").read_text()
    assert "nameserver 192.0.2.53" in merged
    gone = server.apply("", "--confirm-timeout", "0")  # the document without <ifsmith:dns>
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert "  DNS for eth0 removed from resolvconf (eth0.ifsmith)" in gone.stdout.splitlines()
    assert not (records / "eth0.ifsmith").exists()
    assert "192.0.2.53" not in (server.root / "run/resolvconf/resolv.conf").read_text()
    assert "dns-nameservers" not in (server.root / "etc/network/interfaces").read_text()


def test_recover_after_the_watchdog_died_restores_the_resolver(server: Server) -> None:
    records = with_resolvconf(server)
    (records / "eth0.ifsmith").write_text("nameserver 10.55.0.1\n")  # an earlier change's
    died = server.apply(NEW_DNS, "--confirm-timeout", "0", IFSMITH_FAULT="after-activation")
    assert died.returncode == 1 and "died" in died.stdout + died.stderr, died.stdout
    assert "192.0.2.53" in (records / "eth0.ifsmith").read_text()
    recovered = server.ifsmith("recover")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert "not restored" not in recovered.stdout + recovered.stderr
    assert (records / "eth0.ifsmith").read_text() == "nameserver 10.55.0.1\n"


def test_a_failing_resolver_tool_is_a_warning_and_the_change_stands(server: Server) -> None:
    with_resolved(server)
    (server.bin / "fail").write_text("dns")
    out = server.apply(NEW_DNS, "--confirm-timeout", "0")
    assert out.returncode == 0, out.stdout + out.stderr
    program = server.bin / "resolvectl"
    assert (
        f"  warning: DNS for eth0 not set in systemd-resolved: `{program} dns eth0 192.0.2.53 "
        "2001:db8::53` failed: Failed to set DNS configuration: stand-in refuses"
    ) in out.stdout.splitlines(), out.stdout
    assert "Committed" in out.stdout
    assert server.link("eth0") == (["10.55.0.1"], ["example.com"])  # domain still set


def test_without_a_resolver_manager_the_plan_says_the_files_only_have_it(
    server: Server,
) -> None:
    install(server.bin, RESOLVECTL, "resolvectl", netns=server.netns)  # no /run/systemd/resolve
    out = server.apply(NEW_DNS, "--confirm-timeout", "0")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "eth0: DNS (192.0.2.53 2001:db8::53 example.com) is written to the files; no " \
        "resolver manager" in out.stdout  # fmt: skip
    assert "takes effect when the stack next brings the interface up" in out.stdout
    assert read_calls(server.bin) == []
