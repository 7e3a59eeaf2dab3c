"""Every backend reads and renders in time linear in its input: 10,000 interfaces each.

For every backend: render 10,000 interfaces (NICs with addresses, bridges with a port,
bonds with two slaves, VLANs) into an empty tree, read the files back, and render the
same interfaces again over them (the unchanged round trip a ``define`` on a big host
does).  Then the odd inputs a tester found quadratic: a netifrc file whose first value
opens a quote it never closes, followed by 10,000 lines; an ifupdown file of 6,000
stanzas read for ``list --inactive``.  Budget, in CPU time (``time.process_time``, so
other work on the machine counts less): 2 s for each render and read, 6 s for the
re-render (a read and two renders: the file's own definition and the wanted one, compared
so that only changed lines are written); wall time is printed too.

Prints one JSON object; exits 1 when a step is over budget.
Usage: python bench/scale.py [--count N] [--budget S] [--only BACKEND ...]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from ifsmith import backends
from ifsmith.core.files import MemoryFiles, Rendering
from ifsmith.core.model import (
    Bond,
    BondMode,
    Bridge,
    Family,
    IfType,
    Interface,
    IpAddress,
    MiiMon,
    Protocol,
    StartMode,
    Vlan,
    flatten,
)

BUDGET_S = 2.0
# The re-render reads the files and renders twice (what they define, what is wanted).
STEP_BUDGET = {"rerender": 3 * BUDGET_S}
COUNT = 10_000


def _v4(i: int) -> tuple[Protocol, ...]:
    return (Protocol(Family.IPV4, addresses=(IpAddress(f"10.{i // 65536 % 256}.{i // 256 % 256}."
                                                       f"{i % 256}", 16),)),)  # fmt: skip


def interfaces(count: int = COUNT) -> list[Interface]:
    """Top-level interfaces holding COUNT interfaces in all (ports and slaves counted),
    in groups of seven: a NIC, a bridge with one NIC port, a bond with two NIC slaves, a
    VLAN on the first NIC."""
    out: list[Interface] = []
    total = 0
    g = 0
    while total < count:
        nic = f"en{g}"
        out.append(Interface(IfType.ETHERNET, nic, start_mode=StartMode.ONBOOT, mtu=9000,
                             protocols=_v4(7 * g)))  # fmt: skip
        total += 1
        if total + 2 <= count:
            port = Interface(IfType.ETHERNET, f"ep{g}")
            out.append(Interface(IfType.BRIDGE, f"br{g}", start_mode=StartMode.ONBOOT,
                                 protocols=_v4(7 * g + 1),
                                 bridge=Bridge(stp=False, delay=2.0, ports=(port,))))  # fmt: skip
            total += 2
        if total + 3 <= count:
            slaves = (Interface(IfType.ETHERNET, f"es{g}a"), Interface(IfType.ETHERNET, f"es{g}b"))
            out.append(Interface(IfType.BOND, f"bond{g}", start_mode=StartMode.ONBOOT,
                                 protocols=_v4(7 * g + 2),
                                 bond=Bond(mode=BondMode.ACTIVE_BACKUP, miimon=MiiMon(100),
                                           slaves=slaves)))  # fmt: skip
            total += 3
        if total + 1 <= count:
            out.append(Interface(IfType.VLAN, f"{nic}.{g % 4094 + 1}", start_mode=StartMode.ONBOOT,
                                 protocols=_v4(7 * g + 3),
                                 vlan=Vlan(g % 4094 + 1, nic)))  # fmt: skip
            total += 1
        g += 1
    return out


def timed(step: Callable[[], Any]) -> tuple[Any, float, float]:
    """STEP's result, its CPU seconds and its wall seconds.  The objects alive before it
    (this harness's 10,000 input interfaces and files) are frozen out of the garbage
    collector's scans while it runs: the collections of what the step itself makes count."""
    gc.collect()
    gc.freeze()
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        result = step()
        return result, time.process_time() - cpu, time.perf_counter() - wall
    finally:
        gc.unfreeze()


class DiskLikeFiles(MemoryFiles):
    """Files in memory whose directories are listed from an index, as os.listdir lists a
    directory without looking at every other file (MemoryFiles scans them all: fine for
    tests, but here it would be counted against the backend)."""

    def __init__(self, files: dict[PurePosixPath, bytes]) -> None:
        super().__init__(files)
        self.dirs: dict[PurePosixPath, list[str]] = {}
        for path in sorted(self.files):
            self.dirs.setdefault(path.parent, []).append(path.name)

    def listdir(self, directory: PurePosixPath) -> list[str]:
        return list(self.dirs.get(PurePosixPath(directory), []))


def files_of(rendering: Rendering) -> MemoryFiles:
    return DiskLikeFiles(dict(rendering.files))


def measure_backend(name: str, ifaces: list[Interface]) -> dict[str, Any]:
    """CPU and wall seconds of render, read and re-render for one backend, and whether the
    read gave back as many interfaces as were rendered."""
    backend = backends.get(name)
    rendered, render_cpu, render_wall = timed(lambda: backend.render(ifaces, MemoryFiles()))
    files = files_of(rendered)
    result, read_cpu, read_wall = timed(lambda: backend.read_report(files))
    again, again_cpu, again_wall = timed(lambda: backend.render(ifaces, files))
    read_count = len(flatten(result.interfaces))
    return {
        "cpu": {"render": render_cpu, "read": read_cpu, "rerender": again_cpu},
        "wall": {"render": render_wall, "read": read_wall, "rerender": again_wall},
        "interfaces_read": read_count,
        "files": len(rendered.files),
        "rerender_changes": sum(1 for p, d in again.files.items() if files.read(p) != d),
    }


def netifrc_unterminated_quote(lines: int = COUNT) -> dict[str, Any]:
    """/etc/conf.d/net whose first value never closes its quote, then LINES variables."""
    body = 'config_eth0="192.0.2.1/24\n' + "".join(
        f'config_x{i}="10.0.{i // 256 % 256}.{i % 256}/24"\n' for i in range(lines)
    )
    files = MemoryFiles({PurePosixPath("/etc/conf.d/net"): body.encode()})
    backend = backends.get("netifrc")
    result, cpu, wall = timed(lambda: backend.read_report(files))
    return {"cpu": {"read": cpu}, "wall": {"read": wall}, "problems": len(result.problems)}


def ifupdown_stanzas(stanzas: int = 6000) -> dict[str, Any]:
    """/etc/network/interfaces with STANZAS static stanzas, read as ``list --inactive``
    reads it, and an undefine of the last one (re-scans per interface show up here)."""
    body = "".join(
        f"auto e{i}\niface e{i} inet static\n    address 10.{i // 65536}.{i // 256 % 256}."
        f"{i % 256}/16\n    mtu 1500\n\n"
        for i in range(stanzas)
    )
    files = MemoryFiles({PurePosixPath("/etc/network/interfaces"): body.encode()})
    backend = backends.get("ifupdown")
    result, cpu, wall = timed(lambda: backend.read_report(files))
    names = [f"e{i}" for i in range(0, stanzas, 2)]
    _, ucpu, uwall = timed(lambda: backend.undefine(names, files))
    return {
        "cpu": {"read": cpu, "undefine_half": ucpu},
        "wall": {"read": wall, "undefine_half": uwall},
        "interfaces_read": len(result.interfaces),
    }


def run(count: int, only: list[str] | None = None) -> dict[str, Any]:
    ifaces = interfaces(count)
    names = only or backends.available()
    per_backend = {name: measure_backend(name, ifaces) for name in names}
    odd: dict[str, Any] = {}
    if not only or "netifrc" in only:
        odd["netifrc_unterminated_quote"] = netifrc_unterminated_quote(count)
    if not only or "ifupdown" in only:
        odd["ifupdown_stanzas"] = ifupdown_stanzas(count * 6 // 10)
    return {"interfaces": len(flatten(ifaces)), "backends": per_backend, "odd_input": odd}


def over_budget(report: dict[str, Any], budget: float = BUDGET_S) -> list[str]:
    """'backend step: seconds' for every step whose CPU time is over its budget (BUDGET,
    scaled for the re-render)."""
    steps = list(report["backends"].items()) + list(report["odd_input"].items())
    return [f"{name} {step}: {cpu:.2f} s" for name, figures in steps
            for step, cpu in figures["cpu"].items()
            if cpu > STEP_BUDGET.get(step, BUDGET_S) * budget / BUDGET_S]  # fmt: skip


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--budget", type=float, default=BUDGET_S)
    parser.add_argument("--only", nargs="+", choices=list(backends.REGISTRY))
    args = parser.parse_args(argv)
    report = run(args.count, args.only)
    slow = over_budget(report, args.budget)
    print(json.dumps(_rounded({"benchmark": "scale", "budget_cpu_s": args.budget, **report,
                               "over_budget": slow, "within_budget": not slow})))  # fmt: skip
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
