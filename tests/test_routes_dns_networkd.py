"""Static routes and DNS in systemd-networkd files (issue 10): ``[Route]`` sections and
``DNS=``/``Domains=`` read into the model, written back in place, edited line by line,
moved to the master when a NIC becomes a port; what is not modelled is kept and named."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any

import pytest

from ifsmith import backends
from ifsmith.backends import networkd
from ifsmith.backends.systemd_ini import UnitFile
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Dns, Family, Interface, Route
from ifsmith.core.xmlio import parse
from tests.roundtrip import Change, edit, eth1_into_br9, named, replaced, unchanged_round_trip
from tests.test_backend_networkd import NETWORKD_UP
from tests.test_roundtrip_networkd import DIR, files
from tests.test_routes_dns_xml import DOC
from tests.umlhost import UML


def routes_of(iface: Interface) -> dict[Family, tuple[Route, ...]]:
    return {p.family: p.routes for p in iface.protocols}


def model() -> Interface:
    (iface,) = parse(DOC)
    return iface


def test_the_xml_s_routes_and_dns_are_written_in_networkd_s_idiom_and_read_back() -> None:
    iface = model()
    rendering = backends.render(networkd, [iface], MemoryFiles())
    assert rendering.warnings == ()  # nothing "not written"
    uf = UnitFile.parse(rendering.files[DIR / "10-ifsmith-eth0.network"])
    assert uf.get_list("Network", "DNS") == ["192.0.2.53", "2001:db8::53"]
    assert uf.get_list("Network", "Domains") == ["example.com", "corp.example.com"]
    assert uf.get_list("Network", "Gateway") == ["192.0.2.1"]  # the default route: as before
    sections = [dict((k, s.values(k)[-1]) for k in s.keys()) for s in uf.named("Route")]
    assert sections == [
        {"Destination": "10.20.0.0/16", "Gateway": "192.0.2.254", "Metric": "100"},
        {"Destination": "198.51.100.0/24", "Scope": "link"},  # on-link, as netplan writes it
        {"Destination": "2001:db8:1::/48", "Gateway": "fe80::1"},
    ]
    got, problems = networkd.read_report(MemoryFiles(dict(rendering.files)))
    assert problems == []
    assert routes_of(got[0]) == routes_of(iface) and got[0].dns == iface.dns


EXISTING = files(
    {
        "20-lan.network": (
            "[Match]\nName=eno1\n\n[Network]\nAddress=192.0.2.10/24\nGateway=192.0.2.1\n"
            "DNS=192.0.2.53 192.0.2.54\nDomains=example.com\n\n"
            "[Route]\nDestination=10.20.0.0/16\nGateway=192.0.2.254\nMetric=100\n\n"
            "# the lab, on the wire\n[Route]\nDestination=198.51.100.0/24\n\n"
            "[Route]\nGateway=192.0.2.1\nDestination=0.0.0.0/0\n"
        ),
    }
)


def test_import_reads_static_routes_apart_from_the_default_route() -> None:
    (eno1,) = networkd.read_files(EXISTING)
    v4 = eno1.ipv4
    assert v4 is not None and v4.gateway == "192.0.2.1"
    assert [str(r) for r in v4.routes] == [
        "10.20.0.0/16 via 192.0.2.254 metric 100",
        "198.51.100.0/24 on-link",  # no Scope=: networkd gives a gateway-less route link scope
    ]
    assert eno1.dns == Dns(("192.0.2.53", "192.0.2.54"), ("example.com",))


def test_an_unchanged_round_trip_writes_no_line() -> None:
    assert unchanged_round_trip(networkd, EXISTING.files) == {"direct": [], "xml": []}


def _routes(name: str, *routes: Route) -> Change:
    def one(iface: Interface) -> Interface:
        v4 = iface.ipv4
        assert v4 is not None
        others = tuple(p for p in iface.protocols if p is not v4)
        return replace(iface, protocols=(replace(v4, routes=routes), *others))

    return lambda ifs: replaced(ifs, name, one)


BOTH = (Route("10.20.0.0", 16, "192.0.2.254", 100), Route("198.51.100.0", 24))


def test_adding_a_route_adds_only_its_section() -> None:
    new = Route("203.0.113.0", 24, "192.0.2.253")
    lines, rendering = edit(networkd, EXISTING.files, _routes("eno1", *BOTH, new), via_xml=True)
    assert lines == [
        "20-lan.network: +",
        "20-lan.network: +[Route]",
        "20-lan.network: +Destination=203.0.113.0/24",
        "20-lan.network: +Gateway=192.0.2.253",
    ]
    assert rendering.warnings == ()


def test_removing_or_changing_a_route_touches_only_its_section() -> None:
    lines, _ = edit(networkd, EXISTING.files, _routes("eno1", BOTH[1]))
    assert lines == [
        "20-lan.network: -[Route]",
        "20-lan.network: -Destination=10.20.0.0/16",
        "20-lan.network: -Gateway=192.0.2.254",
        "20-lan.network: -Metric=100",
        "20-lan.network: -",
    ]
    metric = _routes("eno1", replace(BOTH[0], metric=50), BOTH[1])
    lines, _ = edit(networkd, EXISTING.files, metric)
    assert "20-lan.network: +Metric=50" in lines and "20-lan.network: -Metric=100" in lines
    assert "20-lan.network: -# the lab, on the wire" not in lines


def _dns(name: str, dns: Dns | None) -> Change:
    return lambda ifs: replaced(ifs, name, lambda i: replace(i, dns=dns))


def test_changing_a_dns_server_or_domain_changes_only_that_line() -> None:
    dns = Dns(("192.0.2.53", "192.0.2.99"), ("example.com",))
    lines, _ = edit(networkd, EXISTING.files, _dns("eno1", dns), via_xml=True)
    assert lines == ["20-lan.network: -DNS=192.0.2.53 192.0.2.54",
                     "20-lan.network: +DNS=192.0.2.53 192.0.2.99"]  # fmt: skip
    dns = Dns(("192.0.2.53", "192.0.2.54"), ("corp.example.com",))
    lines, _ = edit(networkd, EXISTING.files, _dns("eno1", dns))
    assert lines == ["20-lan.network: -Domains=example.com",
                     "20-lan.network: +Domains=corp.example.com"]  # fmt: skip
    lines, _ = edit(networkd, EXISTING.files, _dns("eno1", None))
    assert lines == ["20-lan.network: -DNS=192.0.2.53 192.0.2.54",
                     "20-lan.network: -Domains=example.com"]  # fmt: skip


UNMODELLED = files(
    {
        "20-lan.network": (
            "[Match]\nName=eno1\n\n[Network]\nAddress=192.0.2.10/24\n"
            "DNS=192.0.2.53 192.0.2.9#dns.example\nDomains=example.com ~corp\n\n"
            "[Route]\nDestination=10.60.0.0/16\nGateway=192.0.2.254\nTable=100\n\n"
            "[Route]\nDestination=10.70.0.0/16\nGateway=192.0.2.254\nGatewayOnLink=yes\n"
        ),
    }
)


def test_what_the_model_does_not_hold_is_named_and_kept_through_an_edit() -> None:
    (eno1,), problems = networkd.read_report(UNMODELLED)
    assert any("[Route] Table=100 is not modelled; kept as written" in p for p in problems)
    assert any("10.70.0.0/16 via 192.0.2.254: GatewayOnLink not modelled" in p for p in problems)
    assert any("DNS=192.0.2.9#dns.example is not modelled" in p for p in problems)
    assert any("Domains=~corp is not modelled" in p for p in problems)
    assert eno1.dns == Dns(("192.0.2.53",), ("example.com",))
    assert unchanged_round_trip(networkd, UNMODELLED.files) == {"direct": [], "xml": []}
    lines, _ = edit(networkd, UNMODELLED.files, _dns("eno1", Dns(("192.0.2.99",))))
    assert lines == [
        "20-lan.network: -DNS=192.0.2.53 192.0.2.9#dns.example",
        "20-lan.network: -Domains=example.com ~corp",
        "20-lan.network: +DNS=192.0.2.99 192.0.2.9#dns.example",
        "20-lan.network: +Domains=~corp",
    ]


def test_a_modelled_route_with_settings_ifsmith_does_not_hold_is_named_when_removed() -> None:
    _lines, rendering = edit(networkd, UNMODELLED.files, _routes("eno1"))
    assert [w.message for w in rendering.warnings] == [
        "[Route] 10.70.0.0/16 via 192.0.2.254 with ['GatewayOnLink'] removed"
    ]
    kept = UnitFile.parse(rendering.files[DIR / "20-lan.network"])
    assert [s.values("Table") for s in kept.named("Route")] == [["100"]]


NIC = files(
    {
        "20-eth1.network": (
            "[Match]\nName=eth1\n\n[Network]\nAddress=192.0.2.10/24\nGateway=192.0.2.1\n"
            "DNS=192.0.2.53\nDomains=example.com\n\n"
            "[Route]\nDestination=10.20.0.0/16\nGateway=192.0.2.254\nMetric=100\n"
        ),
    }
)


def test_a_nic_becoming_a_bridge_port_gives_its_routes_and_dns_to_the_bridge() -> None:
    lines, rendering = edit(networkd, NIC.files, eth1_into_br9)
    assert rendering.warnings == ()
    port = UnitFile.parse(rendering.files[DIR / "20-eth1.network"])
    assert port.named("Route") == [] and port.get("Network", "DNS") is None
    assert "20-eth1.network: -DNS=192.0.2.53" in lines
    after = MemoryFiles({**NIC.files, **rendering.files})
    (br9,) = networkd.read_files(after)
    (eth1,) = networkd.read_files(NIC)
    assert routes_of(br9) == routes_of(eth1) and br9.dns == eth1.dns
    assert named([br9], "eth1").dns is None


def test_a_nic_whose_master_does_not_take_its_routes_and_dns_names_them() -> None:
    def into_bare_bridge(ifs: list[Interface]) -> list[Interface]:
        (bridged,) = eth1_into_br9(ifs)
        return [replace(bridged, protocols=(), dns=None)]

    _lines, rendering = edit(networkd, NIC.files, into_bare_bridge)
    said = [w.message for w in rendering.warnings if w.interface == "eth1"]
    for lost in ("route 10.20.0.0/16 via 192.0.2.254 metric 100", "DNS server 192.0.2.53",
                 "search domain example.com"):  # fmt: skip
        assert any(m.startswith(f"{lost} removed") for m in said), (lost, said)


CARRIERS = ("networkd", "netplan", "nm-keyfile")


@pytest.mark.parametrize(
    ("source", "target"), [(a, b) for a in CARRIERS for b in CARRIERS if a != b]
)
def test_a_migration_between_two_formats_keeps_routes_and_dns(source: str, target: str) -> None:
    """Files of one format read, written in another, read back: the same routes and DNS."""
    iface = model()
    a, b = backends.get(source), backends.get(target)
    first = MemoryFiles(dict(backends.render(a, [iface], MemoryFiles()).files))
    (read_a,) = a.read_files(first)
    rendering = backends.render(b, [read_a], MemoryFiles())
    assert rendering.warnings == ()
    (read_b,) = b.read_files(MemoryFiles(dict(rendering.files)))
    assert routes_of(read_b) == routes_of(iface) and read_b.dns == iface.dns


def test_routes_and_dns_a_drop_in_gives_stay_in_the_drop_in() -> None:
    view = files(
        {
            "20-lan.network": "[Match]\nName=eno1\n\n[Network]\nAddress=192.0.2.10/24\n",
            "20-lan.network.d/routes.conf": (
                "[Network]\nDNS=192.0.2.53\n\n[Route]\nDestination=10.20.0.0/16\n"
                "Gateway=192.0.2.254\n"
            ),
        }
    )
    (eno1,) = networkd.read_files(view)
    assert eno1.ipv4 is not None and eno1.ipv4.routes == (Route("10.20.0.0", 16, "192.0.2.254"),)
    assert eno1.dns == Dns(("192.0.2.53",))
    rendering = networkd.render([eno1], view)  # (the harness's MemoryFiles has no folders)
    assert all(view.read(p) == data for p, data in rendering.files.items())


# ---------------------------------------------------------------------------------------
# The real systemd-networkd (in user-mode Linux) on the files we write: the kernel's routes
# (`ip -j route`) and the DNS networkd records for the link are the definition's.

# Polls (deadline 20 s) until every expected route is in the kernel and networkd's link
# state names the DNS servers; prints both.  Runs inside networkd's mount namespace.
WAIT_ROUTES = """
import json, subprocess, sys, time
want = json.load(open(sys.argv[1]))
index = open("/sys/class/net/eth0/ifindex").read().strip()
deadline = time.monotonic() + 20
def routes():
    out = []
    for fam in ("-4", "-6"):
        run = subprocess.run(["ip", fam, "-j", "route", "show", "dev", "eth0"],
                             capture_output=True, text=True)
        for e in json.loads(run.stdout or "[]"):
            out.append([e["dst"], e.get("gateway"), e.get("metric"), e.get("scope")])
    return out
def state():
    try:
        text = open(f"/run/systemd/netif/links/{index}").read()
    except OSError:
        return {}
    return dict(ln.split("=", 1) for ln in text.splitlines() if "=" in ln)
while True:
    got, link = routes(), state()
    have = [r[:3] for r in got]
    if all(w[:3] in have for w in want["routes"]) and link.get("DNS") == want["dns"]:
        print(json.dumps({"routes": got, "link": link}))
        sys.exit(0)
    if time.monotonic() > deadline:
        sys.exit(f"not configured after 20 s: want {want}, routes {got}, link {link}")
    time.sleep(0.05)
"""


def kernel_view(
    uml: UML, netns: str, units: dict[str, bytes], iface: Interface
) -> dict[str, Any]:
    """Start the real networkd on these units (a dummy eth0) and wait until it has set up
    the interface's routes and DNS: the kernel's routes and networkd's link state."""
    uml.run(["ip", "link", "add", "eth0", "type", "dummy"], netns=netns)
    unit_dir = uml.shared / f"rd-units-{netns}"
    unit_dir.mkdir()
    for name, data in units.items():
        (unit_dir / name).write_bytes(data)
    want = {
        "routes": [
            [r.destination, r.gateway, r.metric if r.metric is not None else
             (None if p.family == Family.IPV4 else 1024)]
            for p in iface.protocols
            for r in p.routes
        ],
        "dns": " ".join(iface.dns.servers) if iface.dns else None,
    }  # fmt: skip
    (uml.shared / f"rd-want-{netns}.json").write_text(json.dumps(want))
    inside = uml.shared_inside
    result = uml.run(
        ["unshare", "-m", "sh", "-c", NETWORKD_UP, "-", f"{inside}/rd-units-{netns}",
         sys.executable, WAIT_ROUTES, f"{inside}/rd-want-{netns}.json"],
        netns=netns,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return seen


@pytest.mark.uml
def test_real_networkd_installs_our_routes_and_records_our_dns(uml: UML, uml_netns: str) -> None:
    iface = model()
    rendering = networkd.render([iface], MemoryFiles())
    seen = kernel_view(uml, uml_netns, {p.name: b for p, b in rendering.files.items()}, iface)
    by_dst = {r[0]: r for r in seen["routes"]}
    assert by_dst["10.20.0.0/16"][1:3] == ["192.0.2.254", 100]
    assert by_dst["198.51.100.0/24"][1] is None and by_dst["198.51.100.0/24"][3] == "link"
    assert by_dst["2001:db8:1::/48"][1] == "fe80::1"
    assert by_dst["default"][1] == "192.0.2.1"  # the gateway, beside the static routes
    assert seen["link"]["DOMAINS"] == "example.com corp.example.com"
