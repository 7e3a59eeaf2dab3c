"""The admin's stories on a realistic host: ifupdown files saying DHCP, and a NIC holding its
lease in a namespace.  dumpxml shows the definition, a round trip changes no line, an MTU
edit changes only its line, check compares, iface-bridge keeps the lease and the session.
The kernel is checked with `ip -j`, not only with ifsmith's own reader."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.netns import can_make_netns, ip, make_netns

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))

INTERFACES = """\
# The loopback network interface
auto lo
iface lo inet loopback

# uplink, address from the office DHCP server
auto eth0
iface eth0 inet dhcp
    dns-nameservers 10.55.0.1
"""


# A stand-in dhclient: the watchdog starts the stack's DHCP client after a kernel-activated
# change, and a real one must never run outside user-mode Linux (its script could rewrite
# this machine's /etc/resolv.conf).  It records how it was called.
STAND_IN = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/calls"
"""


@dataclass
class Host:
    server: str
    client: str
    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "stand-in-bin"

    def ifsmith(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ifsmith.tui.cli", "--netns", self.server,
             "--root", str(self.root), *args],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PATH": f"{self.bin}:{os.environ['PATH']}"},
        )  # fmt: skip

    def dhcp_calls(self) -> list[str]:
        calls = self.bin / "calls"
        return calls.read_text().splitlines() if calls.exists() else []

    @property
    def interfaces(self) -> str:
        return (self.root / "etc/network/interfaces").read_text()

    def ip_json(self, *args: str) -> list[dict[str, object]]:
        out = subprocess.run(
            ["ip", "-n", self.server, "-j", *args], capture_output=True, text=True, check=True
        ).stdout
        return list(json.loads(out))

    def addresses(self, dev: str) -> dict[str, dict[str, object]]:
        """The global addresses of a device as `ip -j addr` shows them, by address/prefix."""
        (entry,) = self.ip_json("addr", "show", "dev", dev)
        return {
            f"{a['local']}/{a['prefixlen']}": a
            for a in entry["addr_info"]  # type: ignore[attr-defined]
            if a["scope"] == "global"
        }

    def client_reaches_server(self) -> bool:
        return (
            subprocess.run(
                ["ip", "netns", "exec", self.client, "ping", "-c1", "-W2", "10.55.0.123"],
                capture_output=True,
            ).returncode
            == 0
        )


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Host]:
    """eth0 with a DHCP lease (finite lifetime, as a client leaves it) and the default
    route through the DHCP server's side; ifupdown files that say DHCP."""
    with make_netns("ifsd-s") as server, make_netns("ifsd-c") as client:
        ip("link", "add", "eth0", "netns", server, "type", "veth", "peer", "name", "c0",
           "netns", client)  # fmt: skip
        ip("addr", "add", "10.55.0.1/24", "dev", "c0", netns=client)
        ip("link", "set", "c0", "up", netns=client)
        ip("link", "set", "eth0", "up", netns=server)
        ip("addr", "add", "10.55.0.123/24", "dev", "eth0", "valid_lft", "3600",
           "preferred_lft", "3600", netns=server)  # fmt: skip
        ip("route", "add", "default", "via", "10.55.0.1", "dev", "eth0", netns=server)
        etc = tmp_path / "etc/network"
        etc.mkdir(parents=True)
        (etc / "interfaces").write_text(INTERFACES)
        host = Host(server, client, tmp_path)
        host.bin.mkdir()
        (host.bin / "dhclient").write_text(STAND_IN)
        (host.bin / "dhclient").chmod(0o755)
        yield host


def test_dumpxml_shows_the_dhcp_definition_and_the_lease_only_as_a_note(office: Host) -> None:
    out = office.ifsmith("dumpxml", "eth0")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == (
        "<!-- eth0 running: up, mtu 1500, 10.55.0.123/24 (dhcp lease), "
        "ipv4 gateway 10.55.0.1 -->"
    )
    body = "\n".join(out.stdout.splitlines()[1:])
    assert "<start mode='onboot'/>" in body and "<dhcp/>" in body
    assert "10.55.0.123" not in body  # never a hard-coded copy of the lease
    live = office.ifsmith("dumpxml", "eth0", "--live")
    assert "<ip address='10.55.0.123' prefix='24'/>" in live.stdout
    assert "<start" not in live.stdout
    inactive = office.ifsmith("dumpxml", "eth0", "--inactive")
    assert "<link" not in inactive.stdout and "<dhcp/>" in inactive.stdout


def test_unchanged_round_trip_changes_no_line_and_an_mtu_edit_only_its_own(
    office: Host, tmp_path: Path
) -> None:
    xml = tmp_path / "eth0.xml"
    xml.write_text(office.ifsmith("dumpxml", "eth0").stdout)
    same = office.ifsmith("diff", str(xml))
    assert (same.returncode, same.stdout) == (0, ""), same.stderr
    assert office.ifsmith("define", str(xml)).stdout == "nothing to change\n"
    # The admin adds an MTU and leaves out <start>: boot activation stays.
    edited = xml.read_text().replace("<start mode='onboot'/>", "<mtu size='9000'/>")
    xml.write_text(edited)
    diff = office.ifsmith("diff", str(xml))
    changed = [
        line
        for line in diff.stdout.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ["+    pre-up ip link set dev eth0 mtu 9000"], diff.stdout
    assert office.ifsmith("define", str(xml)).returncode == 0
    assert "auto eth0\niface eth0 inet dhcp\n" in office.interfaces


def test_explicit_start_none_on_the_gateway_nic_is_said_in_words(
    office: Host, tmp_path: Path
) -> None:
    xml = tmp_path / "eth0.xml"
    xml.write_text(
        office.ifsmith("dumpxml", "eth0").stdout.replace("mode='onboot'", "mode='none'")
    )
    diff = office.ifsmith("diff", str(xml))
    assert "-auto eth0" in diff.stdout
    assert (
        "warning: eth0: boot activation turned off (start mode none); after a reboot it "
        "stays down, and it carries the ipv4 default route"
    ) in diff.stderr


def test_check_agrees_with_a_lease_and_names_a_hand_added_address(office: Host) -> None:
    agree = office.ifsmith("check")
    assert (agree.returncode, agree.stdout) == (0, "eth0: agrees\n"), agree.stderr
    ip("addr", "add", "198.51.100.7/24", "dev", "eth0", netns=office.server)
    ip("link", "add", "br9", "type", "bridge", netns=office.server)
    differ = office.ifsmith("check")
    assert differ.returncode == 1
    assert differ.stdout == (
        "eth0: differs\n"
        "  eth0: address 198.51.100.7/24 running, not defined\n"
        "br9: differs\n"
        "  br9: running, not defined\n"
    )
    data = json.loads(office.ifsmith("check", "--json", "eth0").stdout)
    assert data == {
        "schema": 1,
        "agree": False,
        "interfaces": [
            {
                "name": "eth0",
                "defined": True,
                "differences": ["eth0: address 198.51.100.7/24 running, not defined"],
            }
        ],
    }


def test_iface_bridge_of_a_dhcp_nic_keeps_the_lease_the_route_and_the_session(
    office: Host,
) -> None:
    assert office.client_reaches_server()
    ip("addr", "add", "198.51.100.7/24", "dev", "eth0", netns=office.server)  # by hand
    (nic,) = office.ip_json("link", "show", "dev", "eth0")
    bridged = office.ifsmith(
        "iface-bridge", "eth0", "br0", "--no-stp", "--yes", "--probe", "10.55.0.1",
        "--no-auto-probes", "--confirm-timeout", "0", "--activate", "kernel",
    )  # fmt: skip
    assert bridged.returncode == 0, bridged.stdout + bridged.stderr
    # The kernel, as iproute2 reads it: the lease (still a lease: it expires unless
    # a client renews it) and the hand-added
    # address are on br0, the default route goes through br0, eth0 is its bare port.
    on_br0 = office.addresses("br0")
    assert set(on_br0) == {"10.55.0.123/24", "198.51.100.7/24"}
    assert 0 < on_br0["10.55.0.123/24"]["valid_life_time"] <= 3600  # type: ignore[operator]
    assert on_br0["198.51.100.7/24"]["valid_life_time"] == 4294967295  # forever
    assert office.addresses("eth0") == {}
    (eth0,) = office.ip_json("link", "show", "dev", "eth0")
    assert eth0["master"] == "br0"
    # br0 answers with the NIC's MAC, set (addr_assign_type 3, NET_ADDR_SET), not taken
    # from its port: udev's MACAddressPolicy= leaves it, a DHCP server sees the same host.
    (br0_link,) = office.ip_json("link", "show", "dev", "br0")
    assert br0_link["address"] == nic["address"]
    assign = subprocess.run(
        ["ip", "netns", "exec", office.server, "cat", "/sys/class/net/br0/addr_assign_type"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert assign == "3"
    routes = office.ip_json("route", "show", "default")
    assert [(r["gateway"], r["dev"]) for r in routes] == [("10.55.0.1", "br0")]
    assert office.client_reaches_server()
    # The files: br0 is the DHCP interface, started at boot, with the hand-added address
    # and the DNS setting; eth0 is a bare port.
    assert "iface eth0 inet manual" in office.interfaces
    assert "dns-nameservers" not in office.interfaces
    br0 = (office.root / "etc/network/interfaces.d/br0").read_text()
    assert "auto br0" in br0 and "iface br0 inet dhcp" in br0
    assert "dns-nameservers 10.55.0.1" in br0 and "198.51.100.7" in br0
    assert f"hwaddress {nic['address']}" in br0
    if shutil.which("ifup"):  # the real tool as the oracle: what ifup would run for br0
        state = office.root / "ifstate"
        state.mkdir()
        ifup = subprocess.run(
            ["ifup", "--no-act", "-i", str(office.root / "etc/network/interfaces"),
             "--state-dir", str(state), "br0"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        commands = ifup.stdout + ifup.stderr  # ifup --no-act prints to stderr
        assert "dhclient -4 -v $CLIENT -pf /run/dhclient.br0.pid" in commands
        assert "ip addr add 198.51.100.7/255.255.255.0" in commands
        assert f"ip link set dev br0 address {nic['address']}" in commands
    assert office.ifsmith("check").returncode == 0, office.ifsmith("check").stdout
    # The watchdog started the client ifup would start for br0 (here the stand-in).
    assert any(call.endswith(" br0") and "-pf" in call for call in office.dhcp_calls())


def test_iface_unbridge_gives_the_lease_and_the_route_back_to_the_nic(office: Host) -> None:
    common = ("--yes", "--probe", "10.55.0.1", "--no-auto-probes", "--confirm-timeout", "0",
              "--activate", "kernel")  # fmt: skip
    assert office.ifsmith("iface-bridge", "eth0", "br0", "--no-stp", *common).returncode == 0
    unbridged = office.ifsmith("iface-unbridge", "br0", *common)
    assert unbridged.returncode == 0, unbridged.stdout + unbridged.stderr
    # DNS is not in the model yet: the bridge's resolver line goes, and says so.
    assert (
        "warning: ifupdown: br0: 'dns-nameservers 10.55.0.1' removed with its stanza"
        in unbridged.stderr
    )
    assert office.ip_json("link", "show", "type", "bridge") == []
    on_eth0 = office.addresses("eth0")
    assert set(on_eth0) == {"10.55.0.123/24"}
    assert 0 < on_eth0["10.55.0.123/24"]["valid_life_time"] <= 3600  # type: ignore[operator]
    routes = office.ip_json("route", "show", "default")
    assert [(r["gateway"], r["dev"]) for r in routes] == [("10.55.0.1", "eth0")]
    assert office.client_reaches_server()
    defined = office.ifsmith("dumpxml", "eth0", "--inactive").stdout
    assert "<start mode='onboot'/>" in defined and "<dhcp/>" in defined
    assert not (office.root / "etc/network/interfaces.d/br0").exists()
    assert office.ifsmith("check").returncode == 0
