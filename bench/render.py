"""Render 4,094 VLANs on one parent with every backend; budget 0.5 s each.

Prints one JSON object: seconds per backend and whether each is within budget.
Usage: python bench/render.py
"""

from __future__ import annotations

import json
import sys
import time

from ifsmith import backends
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Family, IfType, Interface, IpAddress, Protocol, StartMode, Vlan

BUDGET_S = 0.5


def vlans(count: int = 4094) -> list[Interface]:
    """eth0 plus VLANs 1..count on it, each with an address."""
    parent = Interface(IfType.ETHERNET, "eth0", start_mode=StartMode.ONBOOT)
    return [parent] + [
        Interface(
            IfType.VLAN,
            f"eth0.{tag}",
            start_mode=StartMode.ONBOOT,
            protocols=(
                Protocol(
                    Family.IPV4,
                    addresses=(IpAddress(f"10.{tag // 256}.{tag % 256}.1", 24),),
                ),
            ),
            vlan=Vlan(tag, "eth0"),
        )
        for tag in range(1, count + 1)
    ]


def measure(name: str, interfaces: list[Interface], repeat: int = 3) -> float:
    backend = backends.get(name)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        backend.render(interfaces, MemoryFiles())
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    interfaces = vlans()
    results = {name: round(measure(name, interfaces), 4) for name in backends.available()}
    report = {
        "benchmark": "render_4094_vlans",
        "budget_s": BUDGET_S,
        "seconds": results,
        "within_budget": all(v <= BUDGET_S for v in results.values()),
    }
    print(json.dumps(report))
    return 0 if report["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
