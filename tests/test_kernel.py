"""The kernel activator in real namespaces: apply, idempotence, restore, errors."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from collections.abc import Iterator

import pytest

from ifsmith.backends import kernel
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
from ifsmith.core.model import Family
from ifsmith.core.plan import make_plan, restore_plan, start_plan, stop_plan
from ifsmith.core.xmlio import parse
from tests.netns import can_make_netns, ip, ip_batch, make_netns, wait_operstate

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))

BRIDGE = """<interface type='bridge' name='br0'>
  <start mode='onboot'/>
  <mtu size='1400'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.5' prefix='24'/>
    <route gateway='192.0.2.1'/>
  </protocol>
  <protocol family='ipv6'>
    <ip address='2001:db8::5' prefix='64'/>
  </protocol>
  <bridge stp='on' delay='4'>
    <interface type='ethernet' name='eth0'>
    </interface>
    <interface type='ethernet' name='eth1'>
    </interface>
  </bridge>
</interface>
"""


@pytest.fixture
def server() -> Iterator[str]:
    """eth0 (192.0.2.5/24, default via 192.0.2.1) and eth1, veths with peers in the netns."""
    with make_netns("ifsk-") as ns:
        ip_batch(
            ns,
            [
                "link add eth0 type veth peer name peer0",
                "link add eth1 type veth peer name peer1",
                "link add eth2 type veth peer name peer2",
                "addr add 192.0.2.5/24 dev eth0",
                "link set eth0 up",
                "link set peer0 up",
                "link set eth2 up",
                "route add default via 192.0.2.1",
            ],
        )
        yield ns


def comparable(host: Host) -> object:
    """What rollback must restore: everything but counters and kernel-chosen MACs."""
    live = snapshot(host)
    return sorted(
        (
            lnk.name, lnk.kind, lnk.master, lnk.mtu, lnk.admin_up, lnk.bridge,
            tuple(sorted(str(a) for a in lnk.addresses if a.scope == "global")),
            tuple(sorted((str(f), g) for f, g in live.gateways(lnk.name).items())),
        )
        for lnk in live.links
    )  # fmt: skip


def test_apply_builds_the_bridge_and_a_second_apply_changes_nothing(server: str) -> None:
    host = Host(netns=server)
    desired = parse(BRIDGE)
    kernel.apply(host, make_plan(desired, snapshot(host)))
    live = snapshot(host)
    br0 = live.link("br0")
    assert br0 is not None and br0.admin_up and br0.mtu == 1400
    assert br0.bridge is not None and br0.bridge.stp and br0.bridge.forward_delay == 4.0
    assert {str(a) for a in br0.addresses if a.scope == "global"} == {
        "192.0.2.5/24",
        "2001:db8::5/64",
    }
    assert [lnk.name for lnk in live.links if lnk.master == "br0"] == ["eth0", "eth1"]
    assert not [a for a in live.link("eth0").addresses if a.scope == "global"]  # type: ignore[union-attr]
    assert live.gateways("br0") == {Family.IPV4: "192.0.2.1"}
    assert make_plan(desired, live).is_empty


def test_untouched_interfaces_are_not_flapped(server: str) -> None:
    host = Host(netns=server)
    monitor = subprocess.Popen(
        ["ip", "-n", server, "monitor", "link"], stdout=subprocess.PIPE, text=True
    )
    try:
        kernel.apply(host, make_plan(parse(BRIDGE), snapshot(host)))
        ip("link", "add", "marker", "type", "bridge", netns=server)  # ends the capture
        lines = []
        assert monitor.stdout is not None
        for line in monitor.stdout:
            lines.append(line)
            if "marker" in line:
                break
    finally:
        monitor.terminate()
        monitor.wait()
    assert not [line for line in lines if " eth2" in line or "eth2:" in line]


def test_restore_puts_the_namespace_back_exactly(server: str) -> None:
    host = Host(netns=server)
    before_live = snapshot(host)
    before = comparable(host)
    plan = make_plan(parse(BRIDGE), before_live)
    kernel.apply(host, plan)
    assert comparable(host) != before
    restore = restore_plan(before_live, snapshot(host), plan.touched)
    kernel.apply(host, restore)
    assert comparable(host) == before
    assert restore_plan(before_live, snapshot(host), plan.touched).is_empty


def test_a_refused_operation_names_the_interface(server: str) -> None:
    host = Host(netns=server)
    # The XML parser refuses this MTU before anything else; a plan built from the model
    # (as a front end could) still meets the kernel's refusal, which names the interface.
    too_big = [dataclasses.replace(parse(BRIDGE)[0], mtu=70000)]
    with pytest.raises(kernel.KernelError, match="br0: cannot set br0 mtu 70000"):
        kernel.apply(host, make_plan(too_big, snapshot(host)))


# virsh iface-bridge eth0 br0: one port, STP off, both families with a default route.
IFACE_BRIDGE = (
    BRIDGE.replace("  <mtu size='1400'/>\n", "")
    .replace("prefix='64'/>\n", "prefix='64'/>\n    <route gateway='2001:db8::1'/>\n")
    .replace("stp='on' delay='4'", "stp='off'")
    .replace("    <interface type='ethernet' name='eth1'>\n    </interface>\n", "")
)


@pytest.fixture
def server_and_client() -> Iterator[tuple[str, str]]:
    """eth0 in the server (v4 + v6, default routes both) wired to the client's gateway."""
    with make_netns("ifsk-s-") as server, make_netns("ifsk-c-") as client:
        ip("link", "add", "eth0", "netns", server, "type", "veth", "peer", "name", "gw0",
           netns=client)  # fmt: skip
        ip_batch(client, ["addr add 192.0.2.1/24 dev gw0",
                          "addr add 2001:db8::1/64 dev gw0 nodad", "link set gw0 up"])  # fmt: skip
        ip_batch(
            server,
            [
                "addr add 192.0.2.5/24 dev eth0",
                "addr add 2001:db8::5/64 dev eth0 nodad",
                "link set eth0 up",
                "route add default via 192.0.2.1",
                "route add default via 2001:db8::1",
            ],
        )
        wait_operstate(client, ["gw0"])
        # Baseline: reachable before the change (polled: carrier and neighbour discovery
        # settle asynchronously, more slowly on a loaded machine).
        assert answering(client, ["192.0.2.5", "2001:db8::5"]), "no answer before the change"
        yield server, client


def answers(netns: str, address: str) -> bool:
    """One echo request with a 2 s deadline from inside ``netns``."""
    argv = ["ip", "netns", "exec", netns, "ping", "-n", "-c1", "-W2", address]
    return subprocess.run(argv, capture_output=True).returncode == 0


def answering(netns: str, addresses: list[str], timeout: float = 10) -> bool:
    """Whether every address answers from ``netns`` within ``timeout`` seconds (polled: carrier
    and neighbour discovery settle asynchronously, more slowly on a loaded machine)."""
    deadline = time.monotonic() + timeout
    pending = list(addresses)
    while pending and time.monotonic() < deadline:
        pending = [a for a in pending if not answers(netns, a)]
    return not pending


def test_iface_bridge_keeps_v4_and_v6_reachable_as_soon_as_it_returns(
    server_and_client: tuple[str, str],
) -> None:
    server, client = server_and_client
    host = Host(netns=server)
    plan = make_plan(parse(IFACE_BRIDGE), snapshot(host))
    kernel.apply(host, plan)
    # The moved IPv6 address skipped DAD: usable at once, not tentative for a second or two.
    (br0,) = json.loads(ip("-j", "addr", "show", "dev", "br0", netns=server))
    moved = [a for a in br0["addr_info"] if a["local"] == "2001:db8::5"]
    assert moved and not moved[0].get("tentative"), moved
    # Nothing else is done before the client pings. Both default routes already go through
    # br0; its neighbour table fills on first use, which a loaded machine can delay past one
    # ping's deadline, hence the poll.
    assert answering(client, ["2001:db8::5", "192.0.2.5"])
    live = snapshot(host)
    assert live.gateways("br0") == {Family.IPV4: "192.0.2.1", Family.IPV6: "2001:db8::1"}
    assert live.gateways("eth0") == {}
    assert make_plan(parse(IFACE_BRIDGE), live).is_empty


def test_start_and_stop_bring_a_defined_bridge_up_and_down(server: str) -> None:
    host = Host(netns=server)
    desired = parse(BRIDGE.replace("onboot", "none"))
    kernel.apply(host, make_plan(desired, snapshot(host)))
    br0 = snapshot(host).link("br0")
    assert br0 is not None and not br0.admin_up  # defined, not started
    kernel.apply(host, start_plan(["br0"], desired, snapshot(host)))
    assert snapshot(host).link("br0").admin_up  # type: ignore[union-attr]
    kernel.apply(host, stop_plan(["br0"], snapshot(host)))
    live = snapshot(host)
    # Stopped as ifdown and virsh iface-destroy do: the bridge is gone, its ports free.
    assert live.link("br0") is None
    assert all(live.link(n).master is None for n in ("eth0", "eth1"))  # type: ignore[union-attr]
    kernel.apply(host, start_plan(["br0"], desired, snapshot(host)))
    assert snapshot(host).link("br0").admin_up  # type: ignore[union-attr]
