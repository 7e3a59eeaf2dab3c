"""The kernel activator against `ip -batch`, side by side (DESIGN.md: <= 2x).

Two workloads, each in fresh namespaces (prefix ifsk-bench-), best of --repeat runs:
- bridges: create N bridges, each with an IPv4 address, and bring them up;
- ports: N veth ends (made beforehand, untimed) become ports of N/100 new bridges, up.
Prints one JSON object; exit 1 when a budget is missed.  Needs root.

Deleting 1,000 bridges that were up costs the kernel ~18 s per namespace (see teardown):
the default --repeat 2 keeps a run near a minute and a half.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ifsmith.backends import kernel
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
from ifsmith.core.model import Bridge as BridgeSettings
from ifsmith.core.model import Family, IfType, Interface, IpAddress, Protocol, StartMode
from ifsmith.core.plan import make_plan
from tests.netns import ip, ip_batch, make_netns

BUDGET = 2.0


def bridges(count: int) -> tuple[list[str], list[str], list[Interface]]:
    """(untimed setup, ip -batch commands, definitions) for N bridges with addresses."""
    commands = []
    for i in range(count):
        commands += [
            f"link add br{i} type bridge",
            f"link set br{i} up",
            f"addr add 10.{i // 250}.{i % 250}.1/24 dev br{i}",
        ]
    desired = [
        Interface(
            IfType.BRIDGE,
            f"br{i}",
            start_mode=StartMode.ONBOOT,
            protocols=(
                Protocol(Family.IPV4, addresses=(IpAddress(f"10.{i // 250}.{i % 250}.1", 24),)),
            ),
            bridge=BridgeSettings(),
        )
        for i in range(count)
    ]
    return [], commands, desired


def ports(count: int) -> tuple[list[str], list[str], list[Interface]]:
    """N existing veth ends become ports (100 a bridge) of new bridges, all brought up."""
    setup = [f"link add p{i} type veth peer name q{i}" for i in range(count)]
    groups = [list(range(b * 100, min(count, (b + 1) * 100))) for b in range((count + 99) // 100)]
    commands = []
    for b, members in enumerate(groups):
        commands.append(f"link add br{b} type bridge")
        commands += [f"link set p{i} master br{b}" for i in members]
        commands += [f"link set p{i} up" for i in members]
        commands.append(f"link set br{b} up")
    desired = [
        Interface(
            IfType.BRIDGE,
            f"br{b}",
            start_mode=StartMode.ONBOOT,
            bridge=BridgeSettings(
                ports=tuple(Interface(IfType.ETHERNET, f"p{i}") for i in members)
            ),
        )
        for b, members in enumerate(groups)
    ]
    return setup, commands, desired


def teardown(ns: str, devices: list[str]) -> float:
    """Delete the workload's devices in one batched request; the seconds it takes.

    The kernel needs ~18 ms for each bridge that was up (veths are cheap), whether they go
    with their namespace or here; here it is synchronous, so no background teardown slows
    whatever runs next (it holds the rtnl lock, and `ip netns del` would return at once).
    """
    ip_batch(ns, [f"link set {name} group 7" for name in devices])
    start = time.perf_counter()
    ip("link", "del", "group", "7", netns=ns)
    return time.perf_counter() - start


def measure(workload: str, count: int, repeat: int) -> dict[str, object]:
    setup, commands, desired = {"bridges": bridges, "ports": ports}[workload](count)
    # Top-level devices: deleting a veth end takes its peer along.
    devices = [d.name for d in desired] + [s.split()[2] for s in setup]
    ip_times, our_times, plan_times, teardown_s = [], [], [], 0.0
    operations = 0
    for _ in range(repeat):
        with make_netns("ifsk-bench-") as ns:
            ip_batch(ns, setup)
            start = time.perf_counter()
            ip_batch(ns, commands)
            ip_times.append(time.perf_counter() - start)
            expected = snapshot(Host(netns=ns))
            teardown_s += teardown(ns, devices)
        with make_netns("ifsk-bench-") as ns:
            host = Host(netns=ns)
            ip_batch(ns, setup)
            start = time.perf_counter()
            plan = make_plan(desired, snapshot(host))
            planned = time.perf_counter()
            kernel.apply(host, plan)
            our_times.append(time.perf_counter() - planned)
            plan_times.append(planned - start)
            operations = len(plan.operations)
            got = snapshot(host)
            # The same result as ip's (links, masters, up/down), and nothing left to do.
            assert sorted((lnk.name, lnk.master, lnk.admin_up) for lnk in got.links) == sorted(
                (lnk.name, lnk.master, lnk.admin_up) for lnk in expected.links
            )
            assert make_plan(desired, got).is_empty
            teardown_s += teardown(ns, devices)
    ip_s, ours_s = min(ip_times), min(our_times)
    return {
        "devices": count,
        "operations": operations,
        "ip_batch_s": round(ip_s, 4),
        "kernel_apply_s": round(ours_s, 4),
        "snapshot_and_plan_s": round(min(plan_times), 4),
        "ratio": round(ours_s / ip_s, 2),
        "teardown_s": round(teardown_s, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print(json.dumps({"benchmark": "kernel_apply", "error": "needs root"}))
        return 1
    report: dict[str, object] = {"benchmark": "kernel_apply", "repeat": args.repeat}
    for workload in ("bridges", "ports"):
        report[workload] = measure(workload, args.devices, args.repeat)
    report["budget_ratio"] = BUDGET
    report["within_budget"] = all(
        float(report[w]["ratio"]) <= BUDGET  # type: ignore[index]
        for w in ("bridges", "ports")
    )
    print(json.dumps(report))
    return 0 if report["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
