"""Probe targets: parsing, discovery, and reachability in namespaces."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ifsmith.core.host import Host
from ifsmith.core.live import in_netns
from ifsmith.core.model import Family, LiveHost, LiveLink, LiveRoute
from ifsmith.core.probe import (
    Target,
    arp_probe,
    baseline,
    baseline_all,
    discover,
    ndp_probe,
    parse_target,
    reachable,
    reachable_all,
    ssh_clients,
)
from tests.netns import can_make_netns, ip, make_netns, wait_operstate


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("192.0.2.1", Target("192.0.2.1")),
        ("192.0.2.1:22", Target("192.0.2.1", 22)),
        ("2001:db8::1", Target("2001:db8::1")),
        ("[2001:db8::1]:443", Target("2001:db8::1", 443)),
    ],
)
def test_parse_target(text: str, target: Target) -> None:
    assert parse_target(text) == target


@pytest.mark.parametrize("text", ["example.org", "192.0.2.1:0", "192.0.2.1:99999", "1.2.3"])
def test_bad_targets_are_refused_clearly(text: str) -> None:
    with pytest.raises(ValueError, match="probe target"):
        parse_target(text)


def test_discover_finds_gateways_the_ssh_client_and_dns(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/resolv.conf").write_text("nameserver 192.0.2.53\nnameserver 127.0.0.53\n")
    live = LiveHost(
        links=(LiveLink(2, "eth0", ""),),
        routes=(
            LiveRoute(Family.IPV4, "default", "192.0.2.1", "eth0"),
            LiveRoute(Family.IPV6, "default", "fe80::1", "eth0"),
        ),
    )
    env = {"SSH_CONNECTION": "198.51.100.7 51234 192.0.2.10 22"}
    found = discover(Host(root=tmp_path), live, env)
    assert [(t.address, t.why) for t in found] == [
        ("192.0.2.1", "gateway"),
        ("fe80::1%2", "gateway"),
        ("198.51.100.7", "ssh client"),
        ("192.0.2.53", "dns"),
    ]  # the loopback resolver is not a target


@pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))
def test_icmp_and_tcp_probes_inside_a_namespace() -> None:
    with make_netns("ifst-p") as ns:
        host = Host(netns=ns)
        ip("addr", "add", "192.0.2.9/32", "dev", "lo", netns=ns)
        assert reachable(host, Target("192.0.2.9"))
        assert reachable(host, Target("192.0.2.9", 9))  # refused = a RST = reachable
        assert not reachable(host, Target("192.0.2.200"), timeout=0.2)


@pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))
def test_a_neighbour_that_drops_pings_is_found_by_arp() -> None:
    with make_netns("ifst-p") as server, make_netns("ifst-q") as gateway:
        ip("link", "add", "s0", "netns", server, "type", "veth", "peer", "name", "g0",
           "netns", gateway)  # fmt: skip
        ip("addr", "add", "192.0.2.1/24", "dev", "s0", netns=server)
        ip("addr", "add", "192.0.2.254/24", "dev", "g0", netns=gateway)
        ip("link", "set", "s0", "up", netns=server)
        ip("link", "set", "g0", "up", netns=gateway)
        # The gateway ignores pings, as many do.
        subprocess.run(["ip", "netns", "exec", gateway, "sysctl", "-qw",
                        "net.ipv4.icmp_echo_ignore_all=1"], check=True)  # fmt: skip
        host = Host(netns=server)
        assert arp_probe(host, "192.0.2.254", timeout=1.0)
        assert reachable(host, Target("192.0.2.254"), timeout=0.5)
        assert not arp_probe(host, "192.0.2.253", timeout=0.3)  # nobody there


@pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))
def test_an_ipv6_neighbour_that_drops_pings_is_found_by_ndp() -> None:
    with make_netns("ifst-p") as server, make_netns("ifst-q") as gateway:
        ip("link", "add", "s0", "netns", server, "type", "veth", "peer", "name", "g0",
           "netns", gateway)  # fmt: skip
        ip("addr", "add", "2001:db8::1/64", "dev", "s0", "nodad", netns=server)
        ip("addr", "add", "2001:db8::fe/64", "dev", "g0", "nodad", netns=gateway)
        ip("addr", "add", "fe80::fe/64", "dev", "g0", "nodad", netns=gateway)
        ip("link", "set", "s0", "up", netns=server)
        ip("link", "set", "g0", "up", netns=gateway)
        subprocess.run(["ip", "netns", "exec", gateway, "sysctl", "-qw",
                        "net.ipv6.icmp.echo_ignore_all=1"], check=True)  # fmt: skip
        # A solicitation sent before the carrier is up is lost; generous limits for a busy rtnl.
        wait_operstate(server, ["s0"], timeout=60)
        wait_operstate(gateway, ["g0"], timeout=60)
        host = Host(netns=server)
        index = json.loads(ip("-j", "link", "show", "s0", netns=server))[0]["ifindex"]
        assert ndp_probe(host, "2001:db8::fe", timeout=1.0)
        assert ndp_probe(host, f"fe80::fe%{index}", timeout=1.0)  # a link-local gateway
        found = baseline(host, Target("2001:db8::fe"), timeout=0.5)
        assert found is not None and found.method == "neighbour"
        assert not ndp_probe(host, "2001:db8::99", timeout=0.3)  # nobody there
        # Cut off: the gateway's link goes down; the judged target no longer answers.
        ip("link", "set", "g0", "down", netns=gateway)
        assert not reachable(host, found, timeout=0.3)


@pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))
def test_established_ssh_clients_are_found_in_the_namespace_on_sshd_port(tmp_path: Path) -> None:
    """/proc/net/tcp and tcp6 of the namespace, the port from sshd_config, v4-mapped too."""
    (tmp_path / "etc/ssh").mkdir(parents=True)
    (tmp_path / "etc/ssh/sshd_config").write_text("# test\nPort 2222\n")
    with make_netns("ifst-p") as server, make_netns("ifst-q") as client:
        ip("link", "add", "s0", "netns", server, "type", "veth", "peer", "name", "c0",
           "netns", client)  # fmt: skip
        for ns, dev, v4, v6 in ((server, "s0", "192.0.2.1", "2001:db8::1"),
                                (client, "c0", "192.0.2.2", "2001:db8::2")):  # fmt: skip
            ip("addr", "add", f"{v4}/24", "dev", dev, netns=ns)
            ip("addr", "add", f"{v6}/64", "dev", dev, "nodad", netns=ns)
            ip("link", "set", dev, "up", netns=ns)
        with in_netns(server):
            listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # not sshd's port
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(("::", 2222))
        listener.listen()
        other.bind(("0.0.0.0", 2223))
        other.listen()
        with in_netns(client):
            over_v4 = socket.create_connection(("192.0.2.1", 2222), timeout=30)
            over_v6 = socket.create_connection(("2001:db8::1", 2222), timeout=30)
            elsewhere = socket.create_connection(("192.0.2.1", 2223), timeout=30)
        try:
            found = ssh_clients(Host(root=tmp_path, netns=server))
            assert sorted(found) == ["192.0.2.2", "2001:db8::2"]
            assert ssh_clients(Host(root=tmp_path, netns=client)) == []  # outbound only
        finally:
            for s in (over_v4, over_v6, elsewhere, listener, other):
                s.close()


@pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))
def test_targets_are_probed_at_once_so_dead_ones_cost_one_timeout() -> None:
    with make_netns("ifst-p") as ns:
        host = Host(netns=ns)
        ip("addr", "add", "192.0.2.9/32", "dev", "lo", netns=ns)
        # On-link addresses on a link whose other end holds none: nobody ever answers.
        ip("link", "add", "v0", "type", "veth", "peer", "name", "v1", netns=ns)
        ip("addr", "add", "198.51.100.1/24", "dev", "v0", netns=ns)
        ip("link", "set", "v0", "up", netns=ns)
        ip("link", "set", "v1", "up", netns=ns)
        dead = [Target(f"198.51.100.{n}") for n in range(50, 56)]
        start = time.monotonic()
        found = baseline_all(host, [Target("192.0.2.9"), *dead], timeout=1.0)
        elapsed = time.monotonic() - start
        assert found[0] is not None and found[0].method == "icmp"
        assert found[1:] == [None] * 6
        assert elapsed < 6.0  # measured 2.1 s; one after the other: 12 s (ICMP, then ARP)
        assert reachable_all(host, [found[0], Target("192.0.2.9", 9)], 0.5) == [True, True]
