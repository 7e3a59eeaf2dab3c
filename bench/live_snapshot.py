"""Live snapshot speed against `ip`, side by side in one run (DESIGN.md budgets).

Builds a namespace with 6,000 links (3,000 veth pairs, every tenth with an address),
then times, best of 5:
  ip      = `ip -j link show` + `ip -j addr show`
  snapshot = core.live.snapshot() in this process         budget: <= 3x ip
  process  = the whole `ifsmith --netns NS list --json`     budget: <= 5x ip
Prints one JSON object; exit 1 when a budget is missed.  Needs root; the namespace is
deleted afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
from tests.netns import ip_batch, make_netns

PAIRS = 3000


def best(run: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    if os.geteuid() != 0:
        print(json.dumps({"benchmark": "live_snapshot", "error": "needs root"}))
        return 1
    with make_netns("ifsl-bench-") as ns:
        commands = [f"link add v{i} type veth peer name p{i}" for i in range(PAIRS)]
        commands += [f"addr add 10.{i // 250}.{i % 250}.1/24 dev v{i}" for i in range(0, PAIRS, 10)]
        ip_batch(ns, commands)
        links = len(snapshot(Host(netns=ns)).links)

        def ip_json() -> None:
            subprocess.run(["ip", "-n", ns, "-j", "link", "show"], capture_output=True, check=True)
            subprocess.run(["ip", "-n", ns, "-j", "addr", "show"], capture_output=True, check=True)

        def process() -> None:
            subprocess.run(
                [sys.executable, "-m", "ifsmith.tui.cli", "--netns", ns, "list", "--json"],
                capture_output=True,
                check=True,
            )

        ip_s = best(ip_json)
        snap_s = best(lambda: snapshot(Host(netns=ns)))
        proc_s = best(process)
    report = {
        "benchmark": "live_snapshot",
        "links": links,
        "ip_s": round(ip_s, 4),
        "snapshot_s": round(snap_s, 4),
        "process_s": round(proc_s, 4),
        "snapshot_ratio": round(snap_s / ip_s, 2),
        "process_ratio": round(proc_s / ip_s, 2),
        "budget": {"snapshot_ratio": 3, "process_ratio": 5},
    }
    report["within_budget"] = report["snapshot_ratio"] <= 3 and report["process_ratio"] <= 5
    print(json.dumps(report))
    return 0 if report["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
