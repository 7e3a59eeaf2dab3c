"""Deleting a NIC unconfigures it and never deletes the device (issue 9, item 4), in the
sandbox's own lab (tui/sandbox.py: NICs that are veths whose peers sit in a LAN
namespace); and iface-unbridge keeps the address on the NIC or the bridge at every step.
Every namespace here is made by the test and deleted by name afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ifsmith.backends import kernel
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
from ifsmith.core.plan import Plan, make_plan
from ifsmith.core.xmlio import parse
from tests.netns import can_make_netns, ip, make_netns

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=f"n/a: {can_make_netns()}")
PATIENCE = 60.0


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def lab() -> Iterator[Host]:
    from ifsmith.tui.sandbox import sandbox

    with sandbox(prefix="ifs-cli-sbx-") as host:
        yield host


def ifsmith(host: Host, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", "--netns", str(host.netns),
         "--root", str(host.root), *args],
        capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def links(host: Host) -> dict[str, dict[str, Any]]:
    return {e["ifname"]: e for e in json.loads(ip("-d", "-j", "link", netns=host.netns))}


def addresses(host: Host, name: str) -> set[str]:
    out = json.loads(ip("-j", "addr", "show", "dev", name, netns=host.netns))
    return {f"{a['local']}/{a['prefixlen']}" for e in out for a in e["addr_info"]
            if a.get("scope") == "global"}  # fmt: skip


def same_nic(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The same veth, its peer still in the LAN namespace (not a new pair)."""
    return (
        after["ifindex"] == before["ifindex"]
        and after.get("link_netnsid") is not None
        and after.get("link_index") == before.get("link_index")
    )


def test_deleting_a_sandbox_nic_takes_it_down_and_revert_brings_back_the_same_device(
    lab: Host,
) -> None:
    before = links(lab)
    result = ifsmith(lab, "delete", "eth1", "--yes", "--confirm-timeout", "120", "--no-wait")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "set eth1 down" in result.stdout and "delete eth1" not in result.stdout

    def applied() -> bool:
        return bool(json.loads(ifsmith(lab, "status", "--json").stdout)["state"] == "applied")

    wait_until(applied)
    now = links(lab)
    assert same_nic(before["eth1"], now["eth1"]) and "UP" not in now["eth1"]["flags"]
    reverted = ifsmith(lab, "rollback")
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    assert "not restored" not in reverted.stdout
    now = links(lab)
    assert now.keys() == before.keys()  # no stray veth0
    assert same_nic(before["eth1"], now["eth1"]) and "UP" in now["eth1"]["flags"]


def test_deleting_the_nic_with_the_gateway_rolls_back_to_the_same_device(lab: Host) -> None:
    before = links(lab)
    result = ifsmith(lab, "delete", "eth0", "--yes", "--settle", "1")
    assert result.returncode == 3, result.stdout + result.stderr  # the gateway was lost
    assert "Rolled back" in result.stdout and "not restored" not in result.stdout
    now = links(lab)
    assert now.keys() == before.keys() and same_nic(before["eth0"], now["eth0"])
    assert addresses(lab, "eth0") == {"192.0.2.10/24"}
    routes = json.loads(ip("-j", "route", "show", "default", netns=lab.netns))
    assert [(r["gateway"], r["dev"]) for r in routes] == [("192.0.2.1", "eth0")]


NS = "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1'"
ROUTE = "<ifsmith:route address='10.20.0.0' prefix='16' gateway='192.0.2.254'/>"
BRIDGED = f"""<interface {NS} type='bridge' name='br0'><start mode='onboot'/>
<protocol family='ipv4'><ip address='192.0.2.5' prefix='24'/><route gateway='192.0.2.1'/>
{ROUTE}</protocol><bridge stp='off'><interface type='ethernet' name='eth0'/></bridge>
</interface>"""
UNBRIDGED = f"""<interface {NS} type='ethernet' name='eth0'><start mode='onboot'/>
<protocol family='ipv4'><ip address='192.0.2.5' prefix='24'/><route gateway='192.0.2.1'/>
{ROUTE}</protocol></interface>"""


def test_unbridge_keeps_the_address_and_default_route_at_every_step(tmp_path: Path) -> None:
    with make_netns("ifs-cli-ub-") as ns:
        ip("link", "add", "eth0", "type", "veth", "peer", "name", "gw0", netns=ns)
        ip("link", "set", "gw0", "up", netns=ns)
        host = Host(netns=ns)
        kernel.apply(host, make_plan(parse(BRIDGED), snapshot(host)))
        # What iface-unbridge plans: eth0 takes br0's addressing, br0 is removed.
        plan = make_plan(parse(UNBRIDGED), snapshot(host), remove=["br0"])
        steps = plan.describe()
        assert steps.index("add address 192.0.2.5/24 to eth0") < steps.index("delete br0")
        assert steps.index("set default route (ipv4) via 192.0.2.1 dev eth0") < steps.index(
            "delete br0"
        )
        held: list[tuple[str, set[str], set[str], set[str]]] = []
        for op in plan.operations:
            kernel.apply(host, Plan((op,)))
            live = snapshot(host)
            on = {lnk.name for lnk in live.links
                  if any(str(a) == "192.0.2.5/24" for a in lnk.addresses)}  # fmt: skip
            via = {r.ifname or "" for r in live.routes if r.dst == "default"}
            out = json.loads(ip("-j", "route", "show", "10.20.0.0/16", netns=ns))
            held.append((op.describe(), on, via, {r["dev"] for r in out}))
        assert all(on and via and static for _step, on, via, static in held), held
        assert held[-1][1:] == ({"eth0"}, {"eth0"}, {"eth0"})  # and br0 is gone at the end
        assert snapshot(host).link("br0") is None
