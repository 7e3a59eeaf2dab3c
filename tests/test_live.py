"""core.live against real namespaces: links, addresses, routes, trees, events, speed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from ifsmith.core.host import Host
from ifsmith.core.live import Event, events, interface_from_live, interfaces_from_live, snapshot
from ifsmith.core.model import Family, IfType, LinkState
from ifsmith.core.xmlio import to_xml
from tests.netns import can_make_netns, ip, ip_batch, make_netns

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))


@pytest.fixture
def lab() -> Iterator[str]:
    """br0 (stp on, fd 4 s) with port ve0; its peer ve1 down-free; macvlan mv0; addresses."""
    with make_netns("ifsl-") as ns:
        ip_batch(
            ns,
            [
                "link add br0 type bridge stp_state 1 forward_delay 400",
                "link add ve0 type veth peer name ve1",
                "link set ve0 master br0",
                "link set ve0 mtu 1400",
                "link set br0 mtu 1400",
                "addr add 192.0.2.1/24 dev br0",
                "addr add 2001:db8::1/64 dev br0 nodad",
                "link set br0 up",
                "link set ve0 up",
                "link set ve1 up",
                "route add default via 192.0.2.254",
                "route add default via 2001:db8::fe dev br0",
                "link add mv0 link ve1 type macvlan",
                "link set ve1 address 52:54:00:12:34:56",
            ],
        )
        yield ns


def test_snapshot_reads_kinds_masters_addresses_and_routes(lab: str) -> None:
    live = snapshot(Host(netns=lab))
    links = live.by_name()
    assert set(links) == {"lo", "br0", "ve0", "ve1", "mv0"}
    assert links["lo"].is_loopback
    br0 = links["br0"]
    assert (br0.kind, br0.type, br0.mtu, br0.admin_up) == ("bridge", IfType.BRIDGE, 1400, True)
    assert br0.bridge is not None and br0.bridge.stp is True and br0.bridge.forward_delay == 4.0
    assert {str(a) for a in br0.addresses if a.scope == "global"} == {
        "192.0.2.1/24",
        "2001:db8::1/64",
    }
    assert links["ve0"].master == "br0" and links["ve0"].kind == "veth"
    assert links["ve1"].mac == "52:54:00:12:34:56"
    assert links["mv0"].parent == "ve1" and links["mv0"].operstate is LinkState.DOWN
    assert not links["mv0"].admin_up
    assert live.gateways("br0") == {Family.IPV4: "192.0.2.254", Family.IPV6: "2001:db8::fe"}


def test_interfaces_from_live_nests_ports_under_their_bridge(lab: str) -> None:
    trees = {i.name: i for i in interfaces_from_live(snapshot(Host(netns=lab)))}
    assert set(trees) == {"br0", "ve1", "mv0"}  # ve0 is under br0; lo hidden
    br0 = trees["br0"]
    assert br0.bridge is not None
    assert [p.name for p in br0.bridge.ports] == ["ve0"]
    assert to_xml(br0).startswith(
        "<interface type='bridge' name='br0'>\n"
        "  <mtu size='1400'/>\n"
        "  <protocol family='ipv4'>\n"
        "    <ip address='192.0.2.1' prefix='24'/>\n"
        "    <route gateway='192.0.2.254'/>\n"
        "  </protocol>\n"
        "  <protocol family='ipv6'>\n"
        "    <ip address='2001:db8::1' prefix='64'/>\n"
        "    <route gateway='2001:db8::fe'/>\n"
        "  </protocol>\n"
        "  <bridge stp='on' delay='4'>\n"
        "    <interface type='ethernet' name='ve0'>\n"
        "      <link state='up'/>\n"
    )


def test_dumpxml_of_one_port_and_of_a_missing_name(lab: str) -> None:
    live = snapshot(Host(netns=lab))
    assert interface_from_live(live, "ve1").mac == "52:54:00:12:34:56"
    with pytest.raises(Exception, match="no interface named nope"):
        interface_from_live(live, "nope")


def ifsmith(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", *args], capture_output=True, text=True
    )


def test_cli_list_json_and_table(lab: str) -> None:
    result = ifsmith("--netns", lab, "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert "lo" not in rows
    assert rows["ve0"]["master"] == "br0"
    assert "192.0.2.1/24" in rows["br0"]["addresses"]
    assert rows["br0"]["gateways"] == {"ipv4": "192.0.2.254", "ipv6": "2001:db8::fe"}
    table = ifsmith("--netns", lab, "list", "--all").stdout.splitlines()
    assert table[0].split() == ["NAME", "TYPE", "STATE", "MAC", "MASTER", "ADDRESSES"]
    assert any(line.split()[:2] == ["lo", "ethernet"] for line in table)
    ve0 = next(line for line in table if line.startswith("ve0 "))
    assert ve0.split()[1:3] == ["veth", "up"] and "br0" in ve0


def test_cli_dumpxml_and_errors(lab: str) -> None:
    result = ifsmith("--netns", lab, "dumpxml", "ve1")
    assert result.returncode == 0
    assert "<mac address='52:54:00:12:34:56'/>" in result.stdout
    missing = ifsmith("--netns", lab, "dumpxml", "nope")
    assert (missing.returncode, missing.stderr) == (1, "ifsmith: no interface named nope\n")
    bad_ns = ifsmith("--netns", "ifsl-does-not-exist", "list")
    assert bad_ns.returncode == 1 and "no network namespace named" in bad_ns.stderr


def test_events_report_new_links_and_resync_after_an_overflow() -> None:
    async def scenario(ns: str) -> tuple[list[Event], list[Event]]:
        seen: list[Event] = []
        stream = events(Host(netns=ns), rcvbuf=4096)
        first = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0)  # let the subscription open before the change
        await asyncio.to_thread(ip, "link", "add", "brx", "type", "bridge", netns=ns)
        seen.append(await asyncio.wait_for(first, 5))
        # A burst far larger than a 4 KiB buffer: the stream must say "resync".
        await asyncio.to_thread(ip_batch, ns, [f"link add b{i} type bridge" for i in range(300)])
        burst: list[Event] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            event = await asyncio.wait_for(anext(stream), 5)
            burst.append(event)
            if event.what == "resync":
                break
        await stream.aclose()
        return seen, burst

    with make_netns("ifsl-") as ns:
        seen, burst = asyncio.run(scenario(ns))
    assert (seen[0].what, seen[0].action, seen[0].name) == ("link", "new", "brx")
    assert burst[-1].what == "resync"


def test_snapshot_of_2000_links_is_within_3x_of_ip() -> None:
    """A smaller version of bench/live_snapshot.py, so a speed regression fails CI."""
    with make_netns("ifsl-") as ns:
        ip_batch(ns, [f"link add v{i} type veth peer name p{i}" for i in range(1000)])

        def ip_time() -> float:
            start = time.perf_counter()
            subprocess.run(["ip", "-n", ns, "-j", "link", "show"], capture_output=True)
            subprocess.run(["ip", "-n", ns, "-j", "addr", "show"], capture_output=True)
            return time.perf_counter() - start

        def ours() -> float:
            start = time.perf_counter()
            live = snapshot(Host(netns=ns))
            elapsed = time.perf_counter() - start
            assert len(live.links) == 2001
            return elapsed

        ip_best = min(ip_time() for _ in range(3))
        our_best = min(ours() for _ in range(3))
    assert our_best <= 3 * ip_best, f"snapshot {our_best:.3f} s vs ip {ip_best:.3f} s"
