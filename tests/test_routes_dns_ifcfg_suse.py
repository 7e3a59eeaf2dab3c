"""Static routes and DNS in SUSE's wicked files (issue 10): ifroute-IF's columns, and the
host-wide NETCONFIG_DNS_STATIC_* of /etc/sysconfig/network/config — read into the model,
written only where they changed, moved with a NIC that becomes a port, quoted or refused,
and the host-wide nature of SUSE's DNS said in a warning."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import PurePosixPath

import pytest

from ifsmith import backends
from ifsmith.backends import ifcfg_suse
from ifsmith.core.files import MemoryFiles, Rendering, UnsafeValue
from ifsmith.core.model import Dns, Interface, Route
from ifsmith.core.xmlio import parse
from ifsmith.tui.cmd_txn import bridge_of
from tests.test_routes_dns_ifcfg_rh import changed
from tests.test_routes_dns_xml import DOC

DIR = PurePosixPath("/etc/sysconfig/network")
CONFIG = DIR / "config"
HOST = {
    DIR / "ifcfg-eth0": b"BOOTPROTO='static'\nSTARTMODE='auto'\nIPADDR='192.0.2.10/24'\n"
    b"IPADDR_6='2001:db8::10/64'\n",
    DIR / "ifroute-eth0": b"# uplink routes\n"
    b"default 192.0.2.1 - eth0\n"
    b"10.20.0.0/16 192.0.2.254 - eth0 metric 100\n"
    b"172.16.0.0 192.0.2.9 255.240.0.0 eth0 table 7\n"
    b"198.51.100.0/24 - - -\n"
    b"2001:db8:1::/48 fe80::1 - eth0\n",
    DIR / "ifcfg-eth1": b"BOOTPROTO='dhcp'\nSTARTMODE='auto'\n",
    CONFIG: b'## Path: Network/General\nNETCONFIG_DNS_POLICY="auto"\n'
    b'NETCONFIG_DNS_STATIC_SEARCHLIST="corp.example.com"\n'
    b'NETCONFIG_DNS_STATIC_SERVERS="192.0.2.53 192.0.2.54"\n',
}


def files() -> MemoryFiles:
    return MemoryFiles(dict(HOST))


def named(view: MemoryFiles, name: str) -> Interface:
    return next(i for i in ifcfg_suse.read_files(view) if i.name == name)


def ours(rendering: Rendering) -> list[str]:
    """The warnings about routes and DNS (IPv6 autoconf's are another matter)."""
    return [str(w) for w in rendering.warnings if "route" in w.message or "DNS" in w.message]


def with_routes(iface: Interface, *routes: Route) -> Interface:
    v4, *rest = iface.protocols
    return replace(iface, protocols=(replace(v4, routes=routes), *rest))


def test_import_reads_ifroute_and_gives_the_host_dns_to_the_gateway_interface() -> None:
    report = ifcfg_suse.read_report(files())
    got = {i.name: i for i in report.interfaces}
    eth0 = got["eth0"]
    assert eth0.ipv4 is not None and eth0.ipv6 is not None
    assert eth0.ipv4.gateway == "192.0.2.1"
    assert [str(r) for r in eth0.ipv4.routes] == [
        "10.20.0.0/16 via 192.0.2.254 metric 100",
        "198.51.100.0/24 on-link",
    ]
    assert [str(r) for r in eth0.ipv6.routes] == ["2001:db8:1::/48 via fe80::1"]
    assert eth0.dns == Dns(("192.0.2.53", "192.0.2.54"), ("corp.example.com",))
    assert got["eth1"].dns is None
    assert [p for p in report.problems if "172.16.0.0" in p and "kept in the file" in p]


def test_an_unchanged_round_trip_writes_nothing() -> None:
    view = files()
    tops = ifcfg_suse.read_files(view)
    rendering = backends.render(ifcfg_suse, tops, view)
    assert changed(rendering, view) == {} and ours(rendering) == []
    # One interface alone: the host's DNS is its own, nothing changes either.
    eth1 = named(view, "eth1")
    assert changed(backends.render(ifcfg_suse, [eth1], view), view) == {}
    wanted = parse(DOC)[0]
    first = backends.render(ifcfg_suse, [wanted], MemoryFiles())
    written = MemoryFiles(dict(first.files))
    (back,) = ifcfg_suse.read_files(written)
    assert back.dns == wanted.dns
    assert [p.routes for p in back.protocols] == [p.routes for p in wanted.protocols]
    assert first.files[DIR / "ifroute-eth0"] == (
        b"default 192.0.2.1 - eth0\n10.20.0.0/16 192.0.2.254 - eth0 metric 100\n"
        b"198.51.100.0/24 - - eth0\n2001:db8:1::/48 fe80::1 - eth0\n"
    )
    assert changed(backends.render(ifcfg_suse, [wanted], written), written) == {}


def test_one_field_edits_change_only_their_lines() -> None:
    view = files()
    eth0 = named(view, "eth0")
    assert eth0.ipv4 is not None and eth0.dns is not None
    first, second = eth0.ipv4.routes
    metric = with_routes(eth0, replace(first, metric=200), second)
    assert changed(ifcfg_suse.render([metric], view), view) == {
        "ifroute-eth0": [
            "-10.20.0.0/16 192.0.2.254 - eth0 metric 100",
            "+10.20.0.0/16 192.0.2.254 - eth0 metric 200",
        ]
    }
    gone = with_routes(eth0, first)
    assert changed(ifcfg_suse.render([gone], view), view) == {
        "ifroute-eth0": ["-198.51.100.0/24 - - -"]
    }
    dns = replace(eth0, dns=replace(eth0.dns, servers=("192.0.2.53",)))
    rendering = ifcfg_suse.render([dns], view)
    assert changed(rendering, view) == {
        "config": [
            '-NETCONFIG_DNS_STATIC_SERVERS="192.0.2.53 192.0.2.54"',
            '+NETCONFIG_DNS_STATIC_SERVERS="192.0.2.53"',
        ]
    }
    (said,) = ours(rendering)
    assert "DNS (192.0.2.53 search corp.example.com) written host-wide" in said
    assert "no per-interface DNS" in said


def test_the_dns_of_every_interface_rendered_is_merged_in_order() -> None:
    view = files()
    eth0, eth1 = named(view, "eth0"), named(view, "eth1")
    eth1 = replace(eth1, dns=Dns(("192.0.2.54", "198.51.100.53"), ("lab.example.com",)))
    rendering = ifcfg_suse.render([eth0, eth1], view)
    assert changed(rendering, view)["config"] == [
        '-NETCONFIG_DNS_STATIC_SEARCHLIST="corp.example.com"',
        '-NETCONFIG_DNS_STATIC_SERVERS="192.0.2.53 192.0.2.54"',
        '+NETCONFIG_DNS_STATIC_SEARCHLIST="corp.example.com lab.example.com"',
        '+NETCONFIG_DNS_STATIC_SERVERS="192.0.2.53 192.0.2.54 198.51.100.53"',
    ]
    # eth1 alone: eth0 (not rendered) keeps the host's DNS it was read with.
    alone = ifcfg_suse.render([eth1], view)
    assert b'"192.0.2.53 192.0.2.54 198.51.100.53"' in alone.files[CONFIG]


def test_a_nic_that_becomes_a_port_hands_its_routes_and_dns_to_the_bridge() -> None:
    view = files()
    bridged = bridge_of(named(view, "eth0"), "br0", False, None)
    rendering = backends.render(ifcfg_suse, [bridged], view)
    assert ours(rendering) == []
    assert DIR / "ifroute-eth0" in rendering.removed
    assert rendering.files[DIR / "ifroute-br0"] == (
        b"default 192.0.2.1 - br0\n10.20.0.0/16 192.0.2.254 - br0 metric 100\n"
        b"198.51.100.0/24 - - br0\n2001:db8:1::/48 fe80::1 - br0\n"
        b"172.16.0.0 192.0.2.9 255.240.0.0 br0 table 7\n"
    )
    assert CONFIG not in rendering.files  # the host's DNS stays, br0 now says it
    after = MemoryFiles({
        **{p: d for p, d in view.files.items() if p not in rendering.removed},
        **rendering.files,
    })  # fmt: skip
    back = named(after, "br0")
    assert back.dns == bridged.dns and back.protocols == bridged.protocols
    # A bridge defined without them: each is named, and the host's DNS goes.
    bare = replace(bridged, dns=None, protocols=bridged.protocols[:1])
    bare = with_routes(bare)
    said = ours(backends.render(ifcfg_suse, [bare], view))
    assert any("eth0: route 10.20.0.0/16 via 192.0.2.254 metric 100 removed" in w for w in said)
    assert any("eth0: DNS server 192.0.2.53 removed" in w for w in said)
    assert any("DNS (none) written host-wide" in w for w in said)


@pytest.mark.parametrize(
    "dns",
    [Dns(("192.0.2.53 $(reboot)",)), Dns(("192.0.2.53",), ("example.com';reboot;'",))],
)
def test_unsafe_dns_values_are_refused(dns: Dns) -> None:
    with pytest.raises(UnsafeValue, match="eth0: DNS"):
        ifcfg_suse.render([replace(parse(DOC)[0], dns=dns)], MemoryFiles())


def test_unsafe_route_values_are_refused() -> None:
    with pytest.raises(UnsafeValue, match="route gateway"):
        ifcfg_suse.render(
            [with_routes(parse(DOC)[0], Route("10.0.0.0", 8, "1.2.3.4 - eth0 table"))],
            MemoryFiles(),
        )


def test_bash_reads_the_dns_netconfig_gets() -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("n/a: no bash")
    view = files()
    eth0 = named(view, "eth0")
    new = replace(eth0, dns=Dns(("192.0.2.55", "2001:db8::53"), ("example.com",)))
    text = ifcfg_suse.render([new], view).files[CONFIG].decode()
    out = subprocess.run(
        [bash, "-c", text + '\necho "$NETCONFIG_DNS_STATIC_SERVERS|"'
         '"$NETCONFIG_DNS_STATIC_SEARCHLIST"'],
        capture_output=True, text=True, check=True, timeout=10,
    ).stdout  # fmt: skip
    assert out == "192.0.2.55 2001:db8::53|example.com\n"
