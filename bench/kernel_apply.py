"""The kernel activator against `ip -batch`, side by side (DESIGN.md: <= 2x).

Both create 1,000 bridges, each with an address, and bring them up, in fresh namespaces.
Prints one JSON object; exit 1 when the budget is missed.  Needs root.
"""

from __future__ import annotations

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
from tests.netns import ip_batch, make_netns

COUNT = 1000


def bridges() -> list[Interface]:
    return [
        Interface(
            IfType.BRIDGE,
            f"br{i}",
            start_mode=StartMode.ONBOOT,
            protocols=(
                Protocol(Family.IPV4, addresses=(IpAddress(f"10.{i // 250}.{i % 250}.1", 24),)),
            ),
            bridge=BridgeSettings(),
        )
        for i in range(COUNT)
    ]


def main() -> int:
    if os.geteuid() != 0:
        print(json.dumps({"benchmark": "kernel_apply", "error": "needs root"}))
        return 1
    commands = []
    for i in range(COUNT):
        commands += [
            f"link add br{i} type bridge",
            f"link set br{i} up",
            f"addr add 10.{i // 250}.{i % 250}.1/24 dev br{i}",
        ]
    ip_times, our_times, plan_times = [], [], []
    for _ in range(3):
        with make_netns("ifsk-bench-") as ns:
            start = time.perf_counter()
            ip_batch(ns, commands)
            ip_times.append(time.perf_counter() - start)
        with make_netns("ifsk-bench-") as ns:
            host = Host(netns=ns)
            start = time.perf_counter()
            plan = make_plan(bridges(), snapshot(host))
            planned = time.perf_counter()
            kernel.apply(host, plan)
            our_times.append(time.perf_counter() - planned)
            plan_times.append(planned - start)
            assert len(snapshot(host).links) == COUNT + 1
    ip_s, ours_s = min(ip_times), min(our_times)
    report = {
        "benchmark": "kernel_apply",
        "devices": COUNT,
        "ip_batch_s": round(ip_s, 4),
        "kernel_apply_s": round(ours_s, 4),
        "plan_s": round(min(plan_times), 4),
        "ratio": round(ours_s / ip_s, 2),
        "budget_ratio": 2,
    }
    report["within_budget"] = report["ratio"] <= 2
    print(json.dumps(report))
    return 0 if report["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
