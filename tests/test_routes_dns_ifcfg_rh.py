"""Static routes and DNS in RHEL ifcfg (issue 10): route-IF in its key form (ADDRESS0=…) or
its ip form, route6-IF, DNS1=…/DOMAIN= in ifcfg-IF — read into the model, written only where
they changed and in the form the file has, moved with a NIC that becomes a port, quoted or
refused; the lines written are ones the kernel takes (``ip route add`` in a namespace)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import PurePosixPath

import pytest

from ifsmith import backends
from ifsmith.backends import ifcfg_rh
from ifsmith.backends.bash import ShellFile
from ifsmith.core.files import MemoryFiles, Rendering, UnsafeValue
from ifsmith.core.model import Dns, Interface, Route
from ifsmith.core.xmlio import parse
from ifsmith.tui.cmd_txn import bridge_of
from tests.netns import can_make_netns, ip, make_netns
from tests.test_routes_dns_xml import DOC

DIR = PurePosixPath("/etc/sysconfig/network-scripts")
IFCFG = b"""\
DEVICE=eth0
TYPE=Ethernet
ONBOOT=yes
BOOTPROTO=none
IPADDR=192.0.2.10
PREFIX=24
GATEWAY=192.0.2.1
IPV6INIT=yes
IPV6ADDR=2001:db8::10/64
DNS1=192.0.2.53
DNS2=192.0.2.54
DOMAIN="example.com corp.example.com"
"""
KEY_FORM = b"""\
# static routes
ADDRESS0=10.20.0.0
NETMASK0=255.255.0.0
GATEWAY0=192.0.2.254
METRIC0=100
ADDRESS1=172.16.0.0
NETMASK1=255.240.0.0
GATEWAY1=192.0.2.9
OPTIONS1="table 7"
ADDRESS2=198.51.100.0
NETMASK2=255.255.255.0
"""
IP_FORM = b"""\
10.20.0.0/16 via 192.0.2.254 metric 100 dev eth0
172.16.0.0/12 via 192.0.2.9 table 7
198.51.100.0/24 dev eth0
"""
ROUTE6 = b"2001:db8:1::/48 via fe80::1 dev eth0\n"


def files(route: bytes = KEY_FORM) -> MemoryFiles:
    return MemoryFiles({
        DIR / "ifcfg-eth0": IFCFG, DIR / "route-eth0": route, DIR / "route6-eth0": ROUTE6,
    })  # fmt: skip


def eth0(view: MemoryFiles) -> Interface:
    return next(i for i in ifcfg_rh.read_files(view) if i.name == "eth0")


def changed(rendering: Rendering, view: MemoryFiles) -> dict[str, list[str]]:
    """Per changed file, the lines removed (-) and added (+)."""
    out = {}
    for path, data in rendering.files.items():
        before = (view.read(path) or b"").decode().splitlines()
        after = data.decode().splitlines()
        lines = [f"-{ln}" for ln in before if ln not in after]
        lines += [f"+{ln}" for ln in after if ln not in before]
        if lines:
            out[path.name] = lines
    return out


def with_routes(iface: Interface, *routes: Route) -> Interface:
    v4, *rest = iface.protocols
    return replace(iface, protocols=(replace(v4, routes=routes), *rest))


@pytest.mark.parametrize("route", [KEY_FORM, IP_FORM], ids=["key-form", "ip-form"])
def test_import_reads_both_forms_and_reports_what_it_cannot_hold(route: bytes) -> None:
    report = ifcfg_rh.read_report(files(route))
    (iface,) = report.interfaces
    assert iface.ipv4 is not None and iface.ipv6 is not None
    assert [str(r) for r in iface.ipv4.routes] == [
        "10.20.0.0/16 via 192.0.2.254 metric 100",
        "198.51.100.0/24 on-link",
    ]
    assert [str(r) for r in iface.ipv6.routes] == ["2001:db8:1::/48 via fe80::1"]
    assert iface.dns == Dns(("192.0.2.53", "192.0.2.54"), ("example.com", "corp.example.com"))
    (problem,) = report.problems
    assert "route-eth0" in problem and "172.16.0.0" in problem and "kept in the file" in problem


@pytest.mark.parametrize("route", [KEY_FORM, IP_FORM], ids=["key-form", "ip-form"])
def test_an_unchanged_round_trip_writes_nothing(route: bytes) -> None:
    view = files(route)
    rendering = backends.render(ifcfg_rh, [eth0(view)], view)
    assert changed(rendering, view) == {} and rendering.removed == frozenset()


def test_a_new_interface_gets_the_ip_form_and_reads_back() -> None:
    wanted = parse(DOC)[0]
    first = backends.render(ifcfg_rh, [wanted], MemoryFiles())
    assert first.warnings == ()
    assert first.files[DIR / "route-eth0"] == (
        b"10.20.0.0/16 via 192.0.2.254 metric 100 dev eth0\n198.51.100.0/24 dev eth0\n"
    )
    assert first.files[DIR / "route6-eth0"] == b"2001:db8:1::/48 via fe80::1 dev eth0\n"
    sh = ShellFile.parse(first.files[DIR / "ifcfg-eth0"])
    assert [sh.get(k) for k in ("DNS1", "DNS2", "DOMAIN")] == [
        "192.0.2.53", "2001:db8::53", "example.com corp.example.com"
    ]  # fmt: skip
    written = MemoryFiles(dict(first.files))
    (back,) = ifcfg_rh.read_files(written)
    assert back.dns == wanted.dns
    assert [p.routes for p in back.protocols] == [p.routes for p in wanted.protocols]
    assert changed(backends.render(ifcfg_rh, [wanted], written), written) == {}


def test_one_field_edits_change_only_their_lines_in_the_files_form() -> None:
    view = files(KEY_FORM)
    iface = eth0(view)
    assert iface.ipv4 is not None and iface.dns is not None
    first, second = iface.ipv4.routes
    metric = with_routes(iface, replace(first, metric=200), second)
    assert changed(ifcfg_rh.render([metric], view), view) == {
        "route-eth0": ["-METRIC0=100", "+METRIC0=200"]
    }
    added = with_routes(iface, first, second, Route("10.30.0.0", 16, "192.0.2.254"))
    assert changed(ifcfg_rh.render([added], view), view) == {
        "route-eth0": ["+ADDRESS3=10.30.0.0", "+NETMASK3=255.255.0.0", "+GATEWAY3=192.0.2.254"]
    }
    # Removing the first renumbers the rest (ifup-routes stops at the first gap).
    text = ifcfg_rh.render([with_routes(iface, second)], view).files[DIR / "route-eth0"]
    (back,) = ifcfg_rh.read_files(MemoryFiles({**view.files, DIR / "route-eth0": text}))
    assert back.protocols[0].routes == (second,)
    assert b'OPTIONS0="table 7"' in text and b"ADDRESS2" not in text
    # The ip form: the one line.
    ip_view = files(IP_FORM)
    assert changed(ifcfg_rh.render([metric], ip_view), ip_view) == {
        "route-eth0": [
            "-10.20.0.0/16 via 192.0.2.254 metric 100 dev eth0",
            "+10.20.0.0/16 via 192.0.2.254 metric 200 dev eth0",
        ]
    }
    dns = replace(iface, dns=replace(iface.dns, servers=("192.0.2.53",)))
    assert changed(ifcfg_rh.render([dns], view), view) == {"ifcfg-eth0": ["-DNS2=192.0.2.54"]}
    # No routes left: the files go (route-eth0 keeps its table-7 route).
    bare = replace(iface, protocols=tuple(replace(p, routes=()) for p in iface.protocols))
    rendering = ifcfg_rh.render([bare], view)
    assert rendering.removed == {DIR / "route6-eth0"}
    assert b"ADDRESS0=172.16.0.0" in rendering.files[DIR / "route-eth0"]


def test_a_nic_that_becomes_a_port_hands_its_routes_and_dns_to_the_bridge() -> None:
    view = files(IP_FORM)
    bridged = bridge_of(eth0(view), "br0", False, None)
    rendering = backends.render(ifcfg_rh, [bridged], view)
    assert rendering.warnings == ()
    assert rendering.removed == {DIR / "route-eth0", DIR / "route6-eth0"}
    assert rendering.files[DIR / "route-br0"] == (
        b"10.20.0.0/16 via 192.0.2.254 metric 100 dev br0\n198.51.100.0/24 dev br0\n"
        b"172.16.0.0/12 via 192.0.2.9 table 7\n"
    )
    assert rendering.files[DIR / "route6-br0"] == b"2001:db8:1::/48 via fe80::1 dev br0\n"
    port = ShellFile.parse(rendering.files[DIR / "ifcfg-eth0"])
    assert port.get("DNS1") is None and port.get("DOMAIN") is None
    after = MemoryFiles({
        **{p: d for p, d in view.files.items() if p not in rendering.removed},
        **rendering.files,
    })  # fmt: skip
    (back,) = ifcfg_rh.read_files(after)
    assert back.dns == bridged.dns and back.protocols == bridged.protocols


@pytest.mark.parametrize(
    "dns",
    [Dns(("192.0.2.53$(reboot)",)), Dns(("192.0.2.53",), ("example.com`reboot`",))],
)
def test_unsafe_dns_values_are_refused(dns: Dns) -> None:
    with pytest.raises(UnsafeValue, match="eth0: DNS"):
        ifcfg_rh.render([replace(parse(DOC)[0], dns=dns)], MemoryFiles())


def test_unsafe_route_values_are_refused() -> None:
    iface = parse(DOC)[0]
    with pytest.raises(UnsafeValue, match="route gateway"):
        ifcfg_rh.render([with_routes(iface, Route("10.0.0.0", 8, "1.2.3.4 table 7"))],
                        MemoryFiles())  # fmt: skip


def test_bash_reads_the_key_form_as_ifup_routes_does() -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("n/a: no bash")
    view = files(KEY_FORM)
    iface = eth0(view)
    new = with_routes(iface, Route("10.30.0.0", 16, "192.0.2.254", 5))
    text = ifcfg_rh.render([new], view).files[DIR / "route-eth0"].decode()
    out = subprocess.run(
        [bash, "-c", text + '\necho "$ADDRESS0 $NETMASK0 $OPTIONS0 $ADDRESS1 $METRIC1 $ADDRESS2"'],
        capture_output=True, text=True, check=True, timeout=10,
    ).stdout  # fmt: skip
    assert out == "172.16.0.0 255.240.0.0 table 7 10.30.0.0 5 \n"


def test_the_kernel_takes_the_route_lines() -> None:
    """Each ip-form line as ifup-routes runs it (``ip -4|-6 route add LINE``), in a
    namespace: the kernel's routing table then holds the model's routes."""
    reason = can_make_netns()
    if reason:
        pytest.skip(f"n/a: {reason}")
    rendering = ifcfg_rh.render(parse(DOC), MemoryFiles())
    with make_netns("rd2-rh-") as ns:
        ip("link", "add", "eth0", "type", "veth", "peer", "name", "peer0", netns=ns)
        ip("link", "set", "peer0", "up", netns=ns)
        ip("addr", "add", "192.0.2.10/24", "dev", "eth0", netns=ns)
        ip("addr", "add", "2001:db8::10/64", "dev", "eth0", "nodad", netns=ns)
        ip("link", "set", "eth0", "up", netns=ns)
        for kind, flag in (("route", "-4"), ("route6", "-6")):
            for line in rendering.files[DIR / f"{kind}-eth0"].decode().splitlines():
                ip(flag, "route", "add", *line.split(), netns=ns)
        v4 = json.loads(ip("-j", "-4", "route", "show", "dev", "eth0", netns=ns))
        v6 = json.loads(ip("-j", "-6", "route", "show", "dev", "eth0", netns=ns))
    got = {(r["dst"], r.get("gateway"), r.get("metric")) for r in v4}
    assert {("10.20.0.0/16", "192.0.2.254", 100), ("198.51.100.0/24", None, None)} <= got
    assert any(r["dst"] == "2001:db8:1::/48" and r.get("gateway") == "fe80::1" for r in v6)


def test_undefine_removes_the_route_files_with_the_interface() -> None:
    rendering = ifcfg_rh.undefine(["eth0"], files(IP_FORM))
    assert rendering.removed == {
        DIR / "ifcfg-eth0", DIR / "route-eth0", DIR / "route6-eth0"
    }  # fmt: skip
