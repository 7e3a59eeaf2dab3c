"""TUI speed with 2,000 links (DESIGN.md budgets).

Builds a namespace ifsu-bench-* with 1,000 veth pairs (2,000 links), then measures:
  start = process start → tree shown: a fresh `python` running the app headless on the
          namespace, from the parent's spawn to the first tree with the links in it
          (best of --repeat)                                           budget: <= 1.0 s
  keys  = the work the app does to answer each main-screen key (down, up, end, home,
          page down, page up): event-loop thread CPU time from the key to the app idle
          again, rendering included, in a running app                  budget: <= 50 ms
          (Pilot's own wall time per key is reported too: it adds ~80 ms of waiting
          for idle even with 7 links, so it is not the app's answer time.)
  forms = the same for opening forms (e, b with 2,000 free NICs) and closing them; reported,
          no budget: Textual builds a form of ~40 widgets in ~0.25 s on this machine.
Prints one JSON object; exit 1 when a budget is missed.  Needs root; the namespace is
deleted afterwards, also on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ifsmith.core.host import Host
from tests.netns import ip_batch, make_netns

START_BUDGET = 1.0
KEY_BUDGET = 0.050
MAIN_KEYS = ("down", "up", "end", "home", "pagedown", "pageup")

# The child: start the app headless and print seconds since the parent spawned it as
# soon as the tree holds the namespace's links.
CHILD = """
import sys, time
from ifsmith.core.host import Host
from ifsmith.tui.app import make_app
spawned, ns, links = float(sys.argv[1]), sys.argv[2], int(sys.argv[3])
app = make_app(Host(netns=ns), read_only=None)
show = app.show
def shown(live):
    show(live)
    if len(app.query_one("#tree").root.children) >= links:
        print(time.time() - spawned, flush=True)
        app.exit()
app.show = shown
app.run(headless=True, size=(120, 36))
"""


def build(ns: str, pairs: int) -> None:
    ip_batch(ns, [f"link add v{n}a type veth peer name v{n}b" for n in range(pairs)])


def process_start(ns: str, links: int, repeat: int) -> float:
    """Best wall time from spawn to the tree shown, in seconds."""
    times = []
    for _ in range(repeat):
        spawned = time.time()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(spawned), ns, str(links)],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "TERM": "xterm-256color"},
        )  # fmt: skip
        if out.returncode != 0 or not out.stdout.strip():
            raise SystemExit(f"child failed: {out.stderr[-2000:]}")
        times.append(float(out.stdout.split()[-1]))
    return min(times)


async def key_latencies(ns: str, links: int) -> dict[str, dict[str, float]]:
    """Per key: CPU seconds of the event-loop thread and Pilot's wall seconds."""
    from textual.widgets import Tree

    from ifsmith.tui.app import make_app

    app = make_app(Host(netns=ns), read_only=None)
    out: dict[str, dict[str, float]] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        tree = app.query_one("#tree", Tree)
        deadline = time.monotonic() + 30
        while len(tree.root.children) < links and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        keys = (*MAIN_KEYS, "e", "escape", "b", "escape")
        for n, key in enumerate(keys):
            wall, cpu = time.perf_counter(), time.thread_time()
            await pilot.press(key)
            name = f"{key}#{n}" if key == "escape" else key
            out[name] = {"cpu": time.thread_time() - cpu, "wall": time.perf_counter() - wall}
            await pilot.pause(0.3)  # let the debounced details pane settle
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000, help="veth pairs (links = 2x)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with make_netns("ifsu-bench-") as ns:
        build(ns, args.pairs)
        links = 2 * args.pairs
        start = process_start(ns, links, args.repeat)
        keys = asyncio.run(key_latencies(ns, links))
    slowest = max(keys[k]["cpu"] for k in MAIN_KEYS)
    ms = {k: {what: round(v * 1000, 1) for what, v in times.items()} for k, times in keys.items()}
    result = {
        "links": links,
        "start_to_tree_s": round(start, 3),
        "start_budget_s": START_BUDGET,
        "keys_ms": {k: ms[k] for k in MAIN_KEYS},
        "forms_ms": {k: v for k, v in ms.items() if k not in MAIN_KEYS},
        "slowest_key_cpu_ms": round(slowest * 1000, 1),
        "key_budget_ms": KEY_BUDGET * 1000,
        "ok": start <= START_BUDGET and slowest <= KEY_BUDGET,
    }
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
