"""Static routes and DNS in Gentoo netifrc (issue 10): ``routes_IF`` lines beside the default
route, ``dns_servers_IF``/``dns_search_IF`` (and a file's own ``dns_domain_IF``), read into the
model, written only where they changed, moved with a NIC that becomes a port, quoted or
refused, and read back by /bin/sh as netifrc sources them."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import PurePosixPath

import pytest

from ifsmith import backends
from ifsmith.backends import netifrc
from ifsmith.core.files import MemoryFiles, UnsafeValue
from ifsmith.core.model import Dns, Interface, Route
from ifsmith.core.xmlio import parse
from ifsmith.tui.cmd_txn import bridge_of
from tests.test_roundtrip_ifupdown import diff_lines
from tests.test_routes_dns_xml import DOC

CONF = PurePosixPath("/etc/conf.d/net")

HOST = """\
# /etc/conf.d/net
config_eth0="192.0.2.10/24
2001:db8::10/64"
routes_eth0="default via 192.0.2.1
10.20.0.0/16 via 192.0.2.254 metric 100
-net 172.16.0.0 netmask 255.240.0.0 gw 192.0.2.9
198.51.100.0/24
2001:db8:1::/48 via fe80::1"
dns_servers_eth0="192.0.2.53 192.0.2.54"
dns_domain_eth0="corp.example.com"
dns_options_eth0="rotate"
"""


def files(text: str = HOST) -> MemoryFiles:
    return MemoryFiles({CONF: text.encode()})


def eth0(view: MemoryFiles) -> Interface:
    return next(i for i in netifrc.read_files(view) if i.name == "eth0")


def test_import_reads_routes_and_dns() -> None:
    iface = eth0(files())
    assert iface.ipv4 is not None and iface.ipv6 is not None
    assert iface.ipv4.gateway == "192.0.2.1"
    # route(8)'s "-net … gw …" is not the model's: it stays the file's own line.
    assert [str(r) for r in iface.ipv4.routes] == [
        "10.20.0.0/16 via 192.0.2.254 metric 100",
        "198.51.100.0/24 on-link",
    ]
    assert [str(r) for r in iface.ipv6.routes] == ["2001:db8:1::/48 via fe80::1"]
    assert iface.dns == Dns(("192.0.2.53", "192.0.2.54"), ("corp.example.com",))


def test_an_unchanged_round_trip_writes_nothing() -> None:
    view = files()
    assert diff_lines(backends.render(netifrc, [eth0(view)], view), view) == []
    wanted = parse(DOC)[0]
    first = backends.render(netifrc, [wanted], MemoryFiles())
    assert [w for w in first.warnings if "route" in w.message or "DNS" in w.message] == []
    written = MemoryFiles(dict(first.files))
    (back,) = netifrc.read_files(written)  # (start mode and autoconf are not in this file)
    assert back.dns == wanted.dns
    assert [p.routes for p in back.protocols] == [p.routes for p in wanted.protocols]
    assert backends.render(netifrc, [wanted], written).files == first.files


def test_one_field_edits_change_only_their_variable() -> None:
    view = files()
    iface = eth0(view)
    assert iface.ipv4 is not None and iface.dns is not None
    routes = (replace(iface.ipv4.routes[0], metric=200), iface.ipv4.routes[1])
    metric = replace(iface, protocols=(replace(iface.ipv4, routes=routes), *iface.protocols[1:]))
    assert diff_lines(netifrc.render([metric], view), view) == [
        "-10.20.0.0/16 via 192.0.2.254 metric 100\n",
        "+10.20.0.0/16 via 192.0.2.254 metric 200\n",
    ]
    after = netifrc.render([metric], view).files[CONF].decode()
    assert eth0(MemoryFiles({CONF: after.encode()})) == metric
    dns = replace(iface, dns=replace(iface.dns, servers=("192.0.2.55",)))
    assert diff_lines(netifrc.render([dns], view), view) == [
        '-dns_servers_eth0="192.0.2.53 192.0.2.54"\n',
        '+dns_servers_eth0="192.0.2.55"\n',
    ]
    search = replace(iface, dns=replace(iface.dns, search=("example.com", "corp.example.com")))
    assert diff_lines(netifrc.render([search], view), view) == [
        '-dns_domain_eth0="corp.example.com"\n',
        '+dns_search_eth0="example.com corp.example.com"\n',
    ]


def test_a_nic_that_becomes_a_port_hands_its_routes_and_dns_to_the_bridge() -> None:
    view = files()
    bridged = bridge_of(eth0(view), "br0", False, None)
    rendering = backends.render(netifrc, [bridged], view)
    assert [w for w in rendering.warnings if "runlevel" not in w.message] == []
    after = MemoryFiles(dict(rendering.files))
    text = rendering.files[CONF].decode()
    assert "_eth0=" not in text.replace('config_eth0="null"', "")
    (back,) = [i for i in netifrc.read_files(after) if i.name == "br0"]
    assert back.dns == bridged.dns and back.protocols == bridged.protocols
    assert 'dns_options_br0="rotate"' in text  # not modelled: moved as it is
    assert "-net 172.16.0.0 netmask 255.240.0.0 gw 192.0.2.9" in text
    # A bridge defined without them: each one named.
    bare = replace(bridged, dns=None, protocols=())
    said = [str(w) for w in backends.render(netifrc, [bare], view).warnings]
    assert any("eth0: route 10.20.0.0/16 via 192.0.2.254 metric 100 removed" in w for w in said)
    assert any("eth0: DNS server 192.0.2.53 removed" in w for w in said)


@pytest.mark.parametrize(
    "dns",
    [Dns(("192.0.2.53$(reboot)",)), Dns(("192.0.2.53",), ('example.com"; reboot; "',))],
)
def test_unsafe_dns_values_are_refused(dns: Dns) -> None:
    with pytest.raises(UnsafeValue, match="eth0: DNS"):
        netifrc.render([replace(parse(DOC)[0], dns=dns)], MemoryFiles())


def test_unsafe_route_values_are_refused() -> None:
    iface = parse(DOC)[0]
    assert iface.ipv4 is not None
    bad = replace(iface.ipv4, routes=(Route("10.0.0.0", 8, "192.0.2.1\nreboot"),))
    with pytest.raises(UnsafeValue, match="route gateway"):
        netifrc.render([replace(iface, protocols=(bad,))], MemoryFiles())


def test_sh_reads_the_values_netifrc_gets() -> None:
    sh = shutil.which("sh")
    if sh is None:
        pytest.skip("n/a: no /bin/sh")
    text = netifrc.render(parse(DOC), MemoryFiles()).files[CONF].decode()
    out = subprocess.run(
        [sh, "-c", text + '\nprintf "%s|%s|%s" "$routes_eth0" "$dns_servers_eth0" '
         '"$dns_search_eth0"'],
        capture_output=True, text=True, check=True, timeout=10,
    ).stdout  # fmt: skip
    assert out == (
        "default via 192.0.2.1\n10.20.0.0/16 via 192.0.2.254 metric 100\n198.51.100.0/24\n"
        "2001:db8:1::/48 via fe80::1|192.0.2.53 2001:db8::53|example.com corp.example.com"
    )
