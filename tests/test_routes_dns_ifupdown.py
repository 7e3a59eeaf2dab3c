"""Static routes and DNS in Debian ifupdown (issue 10): ``up ip route add … dev IF`` and
resolvconf's ``dns-nameservers``/``dns-search``, read into the model, written back only where
they changed, moved with a NIC that becomes a port, refused when unsafe, run by ``ifup``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith import backends
from ifsmith.backends import ifupdown
from ifsmith.core.files import MemoryFiles, UnsafeValue, write_rendering
from ifsmith.core.host import Host
from ifsmith.core.model import Dns, Interface, Route
from ifsmith.core.xmlio import parse
from ifsmith.tui.cmd_txn import bridge_of
from tests.netns import can_make_netns, ip, make_netns
from tests.test_roundtrip_ifupdown import diff_lines
from tests.test_routes_dns_xml import DOC

ETC = PurePosixPath("/etc/network/interfaces")
IFUP = shutil.which("ifup") or "/usr/sbin/ifup"
IFDOWN = shutil.which("ifdown") or "/usr/sbin/ifdown"

HOST = """\
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet static
    address 192.0.2.10/24
    gateway 192.0.2.1
    dns-nameservers 192.0.2.53 192.0.2.54
    dns-domain corp.example.com
    up ip route add 10.20.0.0/16 via 192.0.2.254 metric 100 dev eth0
    down ip route del 10.20.0.0/16 via 192.0.2.254 dev eth0
    post-up /sbin/ip route add 198.51.100.0/24 dev eth0
    up ip route add 203.0.113.0/24 via 192.0.2.9 table 7
    post-up /usr/local/sbin/tune eth0

iface eth0 inet6 static
    address 2001:db8::10/64
    up ip -6 route add 2001:db8:1::/48 via fe80::1 dev eth0
"""



def files(text: str = HOST) -> MemoryFiles:
    return MemoryFiles({ETC: text.encode()})


def eth0(view: MemoryFiles) -> Interface:
    return next(i for i in ifupdown.read_files(view) if i.name == "eth0")


def test_import_reads_routes_and_dns_and_leaves_what_the_model_does_not_hold() -> None:
    report = ifupdown.read_report(files())
    iface = next(i for i in report.interfaces if i.name == "eth0")
    assert iface.ipv4 is not None and iface.ipv6 is not None
    assert [str(r) for r in iface.ipv4.routes] == [
        "10.20.0.0/16 via 192.0.2.254 metric 100",
        "198.51.100.0/24 on-link",
    ]  # the route into table 7 is not modelled: it stays the stanza's own line
    assert [str(r) for r in iface.ipv6.routes] == ["2001:db8:1::/48 via fe80::1"]
    assert iface.dns == Dns(("192.0.2.53", "192.0.2.54"), ("corp.example.com",))
    assert iface.ipv4.gateway == "192.0.2.1"


def test_an_unchanged_round_trip_writes_nothing() -> None:
    view = files()
    assert diff_lines(backends.render(ifupdown, [eth0(view)], view), view) == []
    via_xml = parse(DOC)[0]
    first = backends.render(ifupdown, [via_xml], MemoryFiles())
    assert first.warnings == ()
    written = MemoryFiles(dict(first.files))
    assert ifupdown.read_files(written) == [via_xml]
    assert diff_lines(backends.render(ifupdown, [via_xml], written), written) == []


def test_one_field_edits_change_only_their_lines() -> None:
    view = files()
    iface = eth0(view)
    assert iface.ipv4 is not None and iface.dns is not None
    # A route's metric: its line is edited in place, its down line stays.
    routes = (replace(iface.ipv4.routes[0], metric=200), iface.ipv4.routes[1])
    metric = replace(iface, protocols=(replace(iface.ipv4, routes=routes), *iface.protocols[1:]))
    assert diff_lines(ifupdown.render([metric], view), view) == [
        "-    up ip route add 10.20.0.0/16 via 192.0.2.254 metric 100 dev eth0\n",
        "+    up ip route add 10.20.0.0/16 via 192.0.2.254 metric 200 dev eth0\n",
    ]
    # A route removed: its up and down lines go, nothing else.
    gone = replace(iface, protocols=(replace(iface.ipv4, routes=routes[1:]), *iface.protocols[1:]))
    assert diff_lines(ifupdown.render([gone], view), view) == [
        "-    up ip route add 10.20.0.0/16 via 192.0.2.254 metric 100 dev eth0\n",
        "-    down ip route del 10.20.0.0/16 via 192.0.2.254 dev eth0\n",
    ]
    # A route added: one line at the end of the inet stanza.
    added = (*iface.ipv4.routes, Route("10.30.0.0", 16, "192.0.2.254"))
    more = replace(iface, protocols=(replace(iface.ipv4, routes=added), *iface.protocols[1:]))
    lines = diff_lines(ifupdown.render([more], view), view)
    assert lines == ["+    up ip route add 10.30.0.0/16 via 192.0.2.254 dev eth0\n"]
    text = ifupdown.render([more], view).files[ETC].decode()
    assert "tune eth0\n    up ip route add 10.30.0.0/16" in text
    # A DNS server more: only the servers line; the search list keeps its dns-domain line.
    dns = replace(iface, dns=replace(iface.dns, servers=(*iface.dns.servers, "192.0.2.55")))
    assert diff_lines(ifupdown.render([dns], view), view) == [
        "-    dns-nameservers 192.0.2.53 192.0.2.54\n",
        "+    dns-nameservers 192.0.2.53 192.0.2.54 192.0.2.55\n",
    ]
    # Another search list: resolvconf's dns-search replaces the dns-domain line.
    search = replace(iface, dns=replace(iface.dns, search=("example.com", "corp.example.com")))
    assert diff_lines(ifupdown.render([search], view), view) == [
        "-    dns-domain corp.example.com\n",
        "+    dns-search example.com corp.example.com\n",
    ]
    # No DNS at all: its lines go.
    assert diff_lines(ifupdown.render([replace(iface, dns=None)], view), view) == [
        "-    dns-nameservers 192.0.2.53 192.0.2.54\n",
        "-    dns-domain corp.example.com\n",
    ]


def test_a_nic_that_becomes_a_port_hands_its_routes_and_dns_to_the_bridge() -> None:
    view = files()
    bridged = bridge_of(eth0(view), "br0", False, None)
    rendering = backends.render(ifupdown, [bridged], view)
    assert rendering.warnings == ()
    merged = MemoryFiles({**view.files, **rendering.files})
    main = merged.read(ETC)
    assert main is not None
    # What the model does not hold moves as a line, re-aimed at the bridge.
    assert b"dns-" not in main and b"10.20.0.0" not in main and b"2001:db8:1::" not in main
    br0 = merged.read(PurePosixPath("/etc/network/interfaces.d/br0"))
    assert br0 is not None
    text = br0.decode()
    assert "    dns-nameservers 192.0.2.53 192.0.2.54\n" in text
    assert "    dns-search corp.example.com\n" in text
    assert "    up ip route add 10.20.0.0/16 via 192.0.2.254 metric 100 dev br0\n" in text
    assert "    up ip route add 2001:db8:1::/48 via fe80::1 dev br0\n" in text
    assert "    up ip route add 203.0.113.0/24 via 192.0.2.9 table 7\n" in text
    (back,) = [i for i in ifupdown.read_files(merged) if i.name == "br0"]
    assert back.dns == bridged.dns and back.protocols == bridged.protocols
    # iface-unbridge gives them back to the NIC (in the model): removing br0's stanza names
    # only the line the model does not hold.
    undone = ifupdown.undefine(["br0"], merged)
    assert [str(w) for w in undone.warnings] == [
        "warning: ifupdown: br0: 'up ip route add 203.0.113.0/24 via 192.0.2.9 table 7'"
        " removed with its stanza"
    ]


@pytest.mark.parametrize(
    "dns",
    [Dns(("192.0.2.53; reboot",)), Dns(("192.0.2.53",), ("example.com\nauto evil",))],
)
def test_unsafe_dns_values_are_refused(dns: Dns) -> None:
    iface = replace(parse(DOC)[0], dns=dns)
    with pytest.raises(UnsafeValue, match="eth0: DNS"):
        ifupdown.render([iface], MemoryFiles())


def test_unsafe_route_values_are_refused() -> None:
    iface = parse(DOC)[0]
    assert iface.ipv4 is not None
    bad = replace(iface.ipv4, routes=(Route("10.0.0.0", 8, "192.0.2.1 table 7"),))
    with pytest.raises(UnsafeValue, match="route gateway"):
        ifupdown.render([replace(iface, protocols=(bad,))], MemoryFiles())


def test_ifup_runs_the_route_commands(tmp_path: Path) -> None:
    if not os.path.exists(IFUP):
        pytest.skip("n/a: ifup (Debian ifupdown) is not installed")
    host = Host(root=tmp_path / "root")
    write_rendering(host, ifupdown.render(parse(DOC), MemoryFiles()))
    state = tmp_path / "state"
    state.mkdir()
    run = subprocess.run(
        [IFUP, "--no-act", "-v", "-i", str(host.path(ETC)), "--state-dir", str(state), "eth0"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    out = run.stdout + run.stderr
    for command in (
        "ip route add 10.20.0.0/16 via 192.0.2.254 metric 100 dev eth0",
        "ip route add 198.51.100.0/24 dev eth0",
        "ip route add 2001:db8:1::/48 via fe80::1 dev eth0",
    ):
        assert command in out, out
    query = subprocess.run(
        [shutil.which("ifquery") or "/usr/sbin/ifquery", "-i", str(host.path(ETC)), "eth0"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    # What resolvconf's hook gets (IF_DNS_NAMESERVERS, IF_DNS_SEARCH).
    assert "dns-nameservers: 192.0.2.53 2001:db8::53" in query
    assert "dns-search: example.com corp.example.com" in query


def test_ifup_in_a_namespace_makes_the_routes_and_ifdown_takes_them(tmp_path: Path) -> None:
    """The real ifup (hook scripts off: no resolvconf outside user-mode Linux) brings eth0
    up in a namespace of ours: the kernel's table has the model's routes, with their
    metrics; ifdown leaves none (so no ``down … del`` lines are needed)."""
    reason = can_make_netns() or (None if os.path.exists(IFUP) else "ifup is not installed")
    if reason:
        pytest.skip(f"n/a: {reason}")
    rendering = ifupdown.render(parse(DOC), MemoryFiles())
    config = tmp_path / "interfaces"
    config.write_bytes(rendering.files[PurePosixPath("/etc/network/interfaces.d/eth0")])
    state = tmp_path / "state"
    state.mkdir()
    tool = ["--no-scripts", "-i", str(config), "--state-dir", str(state), "eth0"]
    with make_netns("rd2-up-") as ns:
        ip("link", "add", "eth0", "type", "veth", "peer", "name", "peer0", netns=ns)
        ip("link", "set", "peer0", "up", netns=ns)
        up = subprocess.run(["ip", "netns", "exec", ns, IFUP, *tool],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
        assert up.returncode == 0, up.stderr
        v4 = json.loads(ip("-j", "-4", "route", "show", "dev", "eth0", netns=ns))
        v6 = json.loads(ip("-j", "-6", "route", "show", "dev", "eth0", netns=ns))
        down = subprocess.run(["ip", "netns", "exec", ns, IFDOWN, *tool],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert down.returncode == 0, down.stderr
        after = json.loads(ip("-j", "route", "show", "dev", "eth0", netns=ns))
    got = {(r["dst"], r.get("gateway"), r.get("metric")) for r in v4}
    assert {("10.20.0.0/16", "192.0.2.254", 100), ("198.51.100.0/24", None, None)} <= got
    assert any(r["dst"] == "2001:db8:1::/48" and r.get("gateway") == "fe80::1" for r in v6)
    assert after == []
