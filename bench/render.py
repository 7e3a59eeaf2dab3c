"""Render 4,094 VLANs on one parent with every backend; budget 0.5 s each.

Prints one JSON object: CPU seconds per backend (``time.process_time``: the machine's two
cores are shared, and other work stretches wall time), the wall seconds beside them, and
whether each is within budget.
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


def measure(name: str, interfaces: list[Interface], repeat: int = 3) -> tuple[float, float]:
    """The best CPU and the best wall seconds of REPEAT renders."""
    backend = backends.get(name)
    best, best_wall = float("inf"), float("inf")
    for _ in range(repeat):
        start, wall = time.process_time(), time.perf_counter()
        backend.render(interfaces, MemoryFiles())
        best = min(best, time.process_time() - start)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best, best_wall


def main() -> int:
    interfaces = vlans()
    figures = {name: measure(name, interfaces) for name in backends.available()}
    results = {name: round(cpu, 4) for name, (cpu, _wall) in figures.items()}
    report = {
        "benchmark": "render_4094_vlans",
        "budget_s": BUDGET_S,
        "seconds": results,
        "wall_seconds": {name: round(wall, 4) for name, (_cpu, wall) in figures.items()},
        "within_budget": all(v <= BUDGET_S for v in results.values()),
    }
    print(json.dumps(report))
    return 0 if report["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
