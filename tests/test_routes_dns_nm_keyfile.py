"""Static routes and DNS in NetworkManager keyfiles (issue 10): ``routeN`` and ``dns``/
``dns-search`` read into the model, merged into profiles key by key, and checked against
the real ``nmcli --offline`` (NetworkManager's own keyfile reader and writer): it keeps
every value we write and the profile it writes reads back as the same routes and DNS."""

from __future__ import annotations

from dataclasses import replace

from ifsmith import backends
from ifsmith.backends import nm_keyfile
from ifsmith.backends.keyfile_ini import KeyFile
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Dns, Family, IfType, Interface, IpAddress, Protocol, Route
from tests.roundtrip import edit, eth1_into_br9, unchanged_round_trip
from tests.test_backend_nm_keyfile import _nmcli_normalise
from tests.test_roundtrip_nm_keyfile import DIR, profiles
from tests.test_routes_dns_networkd import BOTH, _dns, _routes, model, routes_of


def test_the_xml_s_routes_and_dns_are_written_as_route_and_dns_keys() -> None:
    iface = model()
    rendering = backends.render(nm_keyfile, [iface], MemoryFiles())
    assert rendering.warnings == ()
    kf = KeyFile.parse(rendering.files[DIR / "eth0.nmconnection"])
    assert kf.get("ipv4", "route1") == "10.20.0.0/16,192.0.2.254,100"
    assert kf.get("ipv4", "route2") == "198.51.100.0/24"  # on-link: no gateway
    assert kf.get("ipv6", "route1") == "2001:db8:1::/48,fe80::1"
    assert kf.get("ipv4", "dns") == "192.0.2.53;" and kf.get("ipv6", "dns") == "2001:db8::53;"
    assert kf.get("ipv4", "dns-search") == "example.com;corp.example.com;"
    (got,), problems = nm_keyfile.read_report(MemoryFiles(dict(rendering.files)))
    assert problems == []
    assert routes_of(got) == routes_of(iface) and got.dns == iface.dns


def test_nmcli_keeps_every_route_and_dns_value_and_reads_them_the_same() -> None:
    iface = model()
    v4 = iface.ipv4
    assert v4 is not None
    metric_only = Route("203.0.113.0", 24, metric=7)  # written 203.0.113.0/24,0.0.0.0,7
    iface = replace(iface, protocols=(replace(v4, routes=(*v4.routes, metric_only)),
                                      *iface.protocols[1:]))  # fmt: skip
    data = nm_keyfile.render([iface], MemoryFiles()).files[DIR / "eth0.nmconnection"]
    theirs = KeyFile.parse(_nmcli_normalise(data))
    ours = KeyFile.parse(data)
    for group in ("ipv4", "ipv6"):
        for key in ours.keys(group):
            if key.startswith(("route", "dns")):
                assert theirs.get(group, key) == ours.get(group, key), (group, key)
    normalised = {DIR / "eth0.nmconnection": theirs.dumps()}
    (got,), _problems = nm_keyfile.read_report(MemoryFiles(normalised))
    assert routes_of(got) == routes_of(iface) and got.dns == iface.dns


UPLINK = profiles(
    uplink=(
        "[connection]\nid=uplink\nuuid=d6c5fdf2-f8ca-401b-a775-ecae2cfe4af8\ntype=ethernet\n"
        "interface-name=eth1\n\n[ipv4]\naddress1=192.0.2.10/24,192.0.2.1\n"
        "dns=192.0.2.53;192.0.2.54;\ndns-search=example.com;\nmethod=manual\n"
        "route1=10.20.0.0/16,192.0.2.254,100\nroute2=198.51.100.0/24\n\n"
        "[ipv6]\naddr-gen-mode=stable-privacy\nmethod=auto\nroute1=2001:db8:1::/48,fe80::1,5\n"
    )
)


def test_import_and_an_unchanged_round_trip() -> None:
    (eth1,), problems = nm_keyfile.read_report(MemoryFiles(UPLINK))
    assert problems == []
    assert eth1.ipv4 is not None and eth1.ipv4.routes == BOTH
    assert eth1.ipv6 is not None and eth1.ipv6.routes == (Route("2001:db8:1::", 48, "fe80::1", 5),)
    assert eth1.dns == Dns(("192.0.2.53", "192.0.2.54"), ("example.com",))
    assert unchanged_round_trip(nm_keyfile, UPLINK) == {"direct": [], "xml": []}


def test_one_route_or_dns_edit_changes_only_its_lines() -> None:
    new = Route("203.0.113.0", 24, "192.0.2.253")
    lines, rendering = edit(nm_keyfile, UPLINK, _routes("eth1", *BOTH, new), via_xml=True)
    assert lines == ["uplink.nmconnection: +route3=203.0.113.0/24,192.0.2.253"]
    assert rendering.warnings == ()
    lines, _ = edit(nm_keyfile, UPLINK, _routes("eth1", BOTH[1]))
    assert lines == ["uplink.nmconnection: -route1=10.20.0.0/16,192.0.2.254,100"]
    dns = Dns(("192.0.2.53", "192.0.2.99"), ("example.com",))
    lines, _ = edit(nm_keyfile, UPLINK, _dns("eth1", dns), via_xml=True)
    assert lines == ["uplink.nmconnection: -dns=192.0.2.53;192.0.2.54;",
                     "uplink.nmconnection: +dns=192.0.2.53;192.0.2.99;"]  # fmt: skip
    lines, _ = edit(nm_keyfile, UPLINK, _dns("eth1", Dns(("192.0.2.53", "2001:db8::53"))))
    assert lines == [
        "uplink.nmconnection: -dns=192.0.2.53;192.0.2.54;",
        "uplink.nmconnection: -dns-search=example.com;",
        "uplink.nmconnection: +dns=192.0.2.53;",
        "uplink.nmconnection: +dns=2001:db8::53;",
    ]


def test_netplan_s_default_route_is_the_gateway_and_stays_as_written() -> None:
    view = profiles(
        eth0="[connection]\nid=netplan-eth0\ntype=ethernet\ninterface-name=eth0\n\n"
        "[ipv4]\nmethod=manual\naddress1=192.0.2.10/24\nroute1=0.0.0.0/0,192.0.2.1\n"
        "route2=10.20.0.0/16,192.0.2.254,100\n"
    )
    (eth0,) = nm_keyfile.read_files(MemoryFiles(view))
    assert eth0.ipv4 is not None and eth0.ipv4.gateway == "192.0.2.1"
    assert eth0.ipv4.routes == (BOTH[0],)
    assert unchanged_round_trip(nm_keyfile, view) == {"direct": [], "xml": []}


def test_what_the_model_does_not_hold_is_named_and_kept() -> None:
    view = profiles(
        eth0="[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n"
        "[ipv4]\nmethod=manual\naddress1=192.0.2.10/24\ndns=192.0.2.53;\n"
        "dns-search=example.com;~corp;\n"
        "route1=10.60.0.0/16,192.0.2.254\nroute1_options=table=100\n"
        "route2=10.70.0.0/16,192.0.2.254\nroute2_options=onlink=true\n"
    )
    (eth0,), problems = nm_keyfile.read_report(MemoryFiles(view))
    assert any("ipv4.route1=10.60.0.0/16,192.0.2.254 option table=100 is not modelled" in p
               for p in problems), problems  # fmt: skip
    assert any("ipv4.route2_options=onlink=true not modelled" in p for p in problems)
    assert any("dns-search entry ~corp not modelled" in p for p in problems)
    assert eth0.dns == Dns(("192.0.2.53",), ("example.com",))
    assert unchanged_round_trip(nm_keyfile, view) == {"direct": [], "xml": []}
    lines, rendering = edit(nm_keyfile, view, _routes("eth0"))
    assert lines == ["eth0.nmconnection: -route2=10.70.0.0/16,192.0.2.254",
                     "eth0.nmconnection: -route2_options=onlink=true"]  # fmt: skip
    assert [w.message for w in rendering.warnings] == [
        "route 10.70.0.0/16 via 192.0.2.254 with ipv4.route2_options=onlink=true removed"
    ]
    lines, _ = edit(nm_keyfile, view, _dns("eth0", Dns(("192.0.2.53",), ("lab.example",))))
    assert lines == ["eth0.nmconnection: -dns-search=example.com;~corp;",
                     "eth0.nmconnection: +dns-search=lab.example;~corp;"]  # fmt: skip


def test_what_a_keyfile_cannot_hold_is_a_warning_naming_it() -> None:
    only_v4 = Interface(
        IfType.ETHERNET,
        "eth0",
        protocols=(Protocol(Family.IPV4, addresses=(IpAddress("192.0.2.10", 24),)),),
        dns=Dns(("2001:db8::53", "192.0.2.53"), ("example.com",)),
    )
    rendering = backends.render(nm_keyfile, [only_v4], MemoryFiles())
    assert [w.message for w in rendering.warnings] == [
        "NetworkManager keeps IPv4 and IPv6 name servers apart: the IPv4 ones (192.0.2.53)"
        " are asked first",
        "DNS server 2001:db8::53 not written: NetworkManager keeps it in [ipv6], which is"
        " disabled",
    ]
    no_ip = replace(only_v4, protocols=(), dns=Dns(search=("example.com",)))
    (warning,) = backends.render(nm_keyfile, [no_ip], MemoryFiles()).warnings
    assert warning.message.startswith("search domains example.com not written")
    on_link_only = replace(
        only_v4, protocols=(Protocol(Family.IPV4, routes=(Route("198.51.100.0", 24),)),), dns=None
    )
    (warning,) = backends.render(nm_keyfile, [on_link_only], MemoryFiles()).warnings
    assert warning.message.startswith("route 198.51.100.0/24 on-link not written")


def test_a_nic_becoming_a_bridge_port_gives_its_routes_and_dns_to_the_bridge() -> None:
    _lines, rendering = edit(nm_keyfile, UPLINK, eth1_into_br9)
    assert rendering.warnings == ()
    port = KeyFile.parse(rendering.files[DIR / "uplink.nmconnection"])
    assert port.group("ipv4") is None and port.group("ipv6") is None
    after = MemoryFiles({**UPLINK, **rendering.files})
    (br9,) = nm_keyfile.read_files(after)
    (eth1,) = nm_keyfile.read_files(MemoryFiles(UPLINK))
    assert routes_of(br9) == routes_of(eth1) and br9.dns == eth1.dns
    for data in rendering.files.values():  # and NetworkManager takes both profiles
        KeyFile.parse(_nmcli_normalise(data))


def test_a_port_s_unmodelled_route_moves_to_the_master_under_a_free_number() -> None:
    view = profiles(
        uplink="[connection]\nid=uplink\ntype=ethernet\ninterface-name=eth1\n\n"
        "[ipv4]\nmethod=manual\naddress1=192.0.2.10/24\n"
        "route1=10.20.0.0/16,192.0.2.254,100\n"
        "route2=10.60.0.0/16,192.0.2.254\nroute2_options=table=100\n"
    )
    _lines, rendering = edit(nm_keyfile, view, eth1_into_br9)
    assert rendering.warnings == ()
    master = KeyFile.parse(rendering.files[DIR / "br9.nmconnection"])
    assert master.get("ipv4", "route1") == "10.20.0.0/16,192.0.2.254,100"  # the model's
    assert master.get("ipv4", "route2") == "10.60.0.0/16,192.0.2.254"  # moved as written
    assert master.get("ipv4", "route2_options") == "table=100"
