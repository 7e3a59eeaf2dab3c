"""Live snapshot speed against `ip`, side by side in one run (DESIGN.md budgets).

Builds a namespace ifsl-bench-* with 6,000 links: 2,990 veth pairs and 20 bridges with
five veth ports each; every tenth veth has an IPv4 address, every twentieth an IPv6 one;
2,000 static routes (issue 10) through the veths that are up and addressed.
Then times, best of --repeat (default 5):
  ip       = `ip -j link show` + `ip -j addr show` + `ip -j route show`  (the reference)
  snapshot = core.live.snapshot() in this process             budget: <= 3x ip
  process  = the whole `ifsmith --netns NS list --json`       budget: <= 5x ip
Prints one JSON object; exit 1 when a budget is missed.  Needs root; the namespace is
deleted afterwards, also on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
from tests.netns import ip_batch, make_netns

SNAPSHOT_BUDGET = 3.0
PROCESS_BUDGET = 5.0


def best(run: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds (after one warm-up run)."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def lab_commands(links: int, routes: int = 2000) -> list[str]:
    """`ip -batch` lines for ``links`` links: veth pairs, 20 bridges, some addresses, and
    ``routes`` static routes."""
    bridges = 20
    pairs = (links - bridges) // 2
    commands = [f"link add v{i} type veth peer name p{i}" for i in range(pairs)]
    commands += [f"link add br{b} type bridge" for b in range(bridges)]
    commands += [f"link set v{i} master br{i % bridges}" for i in range(bridges * 5)]
    commands += [f"addr add 10.{i // 250}.{i % 250}.1/24 dev v{i}" for i in range(0, pairs, 10)]
    commands += [f"addr add fd00:{i:x}::1/64 dev p{i} nodad" for i in range(0, pairs, 20)]
    commands += [f"link set v{i} up" for i in range(0, pairs, 7)]
    # Static routes through veths that are up and hold an IPv4 address (every 70th).
    carriers = list(range(0, pairs, 70))
    commands += [
        f"route add 172.{16 + r // 4000}.{(r // 16) % 250}.{(r % 16) * 16}/28"
        f" via 10.{i // 250}.{i % 250}.2 dev v{i}"
        for r in range(routes)
        for i in [carriers[r % len(carriers)]]
    ]
    return commands


def ifsmith_argv() -> list[str]:
    """The installed console script beside this Python (what an admin runs), or -m."""
    script = Path(sys.executable).with_name("ifsmith")
    if script.exists():
        return [str(script)]
    found = shutil.which("ifsmith")
    return [found] if found else [sys.executable, "-m", "ifsmith.tui.cli"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=6000)
    parser.add_argument("--routes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    opts = parser.parse_args()
    if os.geteuid() != 0:
        print(json.dumps({"benchmark": "live_snapshot", "error": "needs root"}))
        return 1
    with make_netns("ifsl-bench-") as ns:
        ip_batch(ns, lab_commands(opts.links, opts.routes))
        live = snapshot(Host(netns=ns))
        links, routes = len(live.links), len(live.routes)
        command = [*ifsmith_argv(), "--netns", ns, "list", "--json"]

        def ip_json() -> None:
            subprocess.run(["ip", "-n", ns, "-j", "link", "show"], capture_output=True, check=True)
            subprocess.run(["ip", "-n", ns, "-j", "addr", "show"], capture_output=True, check=True)
            subprocess.run(["ip", "-n", ns, "-j", "route", "show"], capture_output=True, check=True)

        def process() -> None:
            subprocess.run(command, capture_output=True, check=True)

        ip_s = best(ip_json, opts.repeat)
        snap_s = best(lambda: snapshot(Host(netns=ns)), opts.repeat)
        proc_s = best(process, opts.repeat)
    report: dict[str, object] = {
        "benchmark": "live_snapshot",
        "links": links,
        "routes": routes,
        "repeat": opts.repeat,
        "ip_s": round(ip_s, 4),
        "snapshot_s": round(snap_s, 4),
        "process_s": round(proc_s, 4),
        "snapshot_ratio": round(snap_s / ip_s, 2),
        "process_ratio": round(proc_s / ip_s, 2),
        "budget": {"snapshot_ratio": SNAPSHOT_BUDGET, "process_ratio": PROCESS_BUDGET},
    }
    ok = snap_s / ip_s <= SNAPSHOT_BUDGET and proc_s / ip_s <= PROCESS_BUDGET
    report["within_budget"] = ok
    print(json.dumps(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
