"""Issue 12, item 11: every backend reads and renders in time linear in its input.

bench/scale.py does the work: 10,000 interfaces per backend (NICs, bridges with a port,
bonds with two slaves, VLANs) rendered into an empty tree, read back, and rendered again
over the files; a netifrc file with a quote left open before 10,000 lines; an ifupdown
file of 6,000 stanzas.  Each step must stay within its CPU-time budget (2 s; 6 s for the
re-render, a read and two renders; the suite allows 1.25 times that, see SUITE_SLACK) and
grow no faster than linearly: 10,000 interfaces may
cost at most 8 times what 2,500 do (linear is 4, quadratic 16); a step over is measured
once more and the better figure counts.  The tester's figures
before: netifrc render 45 s and reading after the open quote 174 s, ifupdown 75 s.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from ifsmith import backends

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import scale

pytestmark = pytest.mark.slow

SMALL, LARGE = 2_500, 10_000
GROWTH = 8.0  # allowed CPU ratio LARGE/SMALL: linear is 4, quadratic 16
FLOOR_S = 0.05  # below this a step's figure is noise, not growth
# bench/scale.py judges the budgets alone (2 s; it lists what is over). Here the suite runs
# the steps beside user-mode Linux and namespace tests on the same two cores, which
# inflates even CPU time: CI measured networkd's read at 2.12 s when it was 1.92 s alone
# (+10 %). With a load average of 11 on the two cores, the slowest step of three runs of
# bench/scale.py was a read of 1.78 s (nm-keyfile; networkd 1.61 s, 1.56 its median; the
# slowest render 1.53 s, re-render 3.86 s of its 6 s), so a quarter more than the budget,
# 2.5 s, stays 40 % above the worst figure measured under load; a step over is measured
# again and the better figure counts.  (It was 1.5 while networkd, netplan and ifcfg-rh
# read 10,000 interfaces in 1.9-2.4 s.)
SUITE_SLACK = 1.25


def within(step: str, large: float, small: float) -> str | None:
    """Why a step's figures fail, or None."""
    budget = scale.STEP_BUDGET.get(step, scale.BUDGET_S) * SUITE_SLACK
    if large > budget:
        return f"{step}: {large:.2f} s for {LARGE} (budget {budget} s)"
    if large > FLOOR_S and large > GROWTH * max(small, FLOOR_S / GROWTH):
        return f"{step}: {large:.2f} s for {LARGE} vs {small:.2f} s for {SMALL} (not linear)"
    return None


@pytest.mark.parametrize("name", list(backends.REGISTRY))
def test_backend_reads_and_renders_10000_interfaces_in_linear_time(name: str) -> None:
    small = scale.measure_backend(name, scale.interfaces(SMALL))
    large = scale.measure_backend(name, scale.interfaces(LARGE))
    if any(within(step, cpu, small["cpu"][step]) for step, cpu in large["cpu"].items()):
        # Best of two, as the suite's other timings take a best of three: the two cores
        # are shared with user-mode Linux and namespace tests.
        again = scale.measure_backend(name, scale.interfaces(LARGE))["cpu"]
        large["cpu"] = {step: min(cpu, again[step]) for step, cpu in large["cpu"].items()}
    assert large["interfaces_read"] == LARGE  # everything rendered was read back
    assert large["rerender_changes"] == 0  # an unchanged round trip writes nothing
    failed = [why for step in large["cpu"]
              if (why := within(step, large["cpu"][step], small["cpu"][step]))]  # fmt: skip
    assert not failed, (failed, large["wall"])


@pytest.mark.parametrize(
    ("odd", "run"),
    [
        ("netifrc_unterminated_quote", scale.netifrc_unterminated_quote),
        ("ifupdown_stanzas", lambda n: scale.ifupdown_stanzas(n * 6 // 10)),
    ],
)
def test_odd_input_is_read_in_linear_time(odd: str, run: Any) -> None:
    small, large = run(SMALL), run(LARGE)
    failed = [why for step in large["cpu"]
              if (why := within(step, large["cpu"][step], small["cpu"][step]))]  # fmt: skip
    assert not failed, (odd, failed, large["wall"])


def test_an_unterminated_quote_is_reported_once_and_the_rest_is_read() -> None:
    """The open quote costs its own line only: every later line is still read."""
    figures = scale.netifrc_unterminated_quote(100)
    assert figures["problems"] == 1


def test_loading_yaml_leaves_the_garbage_collector_as_it_found_it() -> None:
    """netplan pauses the collector while a file loads (bench/scale.py: two thirds of the
    time of 10,000 interfaces went to scanning the YAML node tree): on or off before, it
    is so after, after a load that fails too, and after loads in several threads at once."""
    import gc
    import threading

    from ifsmith.backends import netplan

    doc = b"network:\n  version: 2\n  ethernets:\n" + b"".join(
        b"    e%d: {dhcp4: true}\n" % i for i in range(2000)
    )
    assert gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            assert len(netplan.load_yaml(doc, "a.yaml")["network"]["ethernets"]) == 2000
            assert gc.isenabled() is enabled
            with pytest.raises(netplan.NetplanError):
                netplan.load_yaml(b"network: [\n", "bad.yaml")
            assert gc.isenabled() is enabled
        gc.enable()
        start = threading.Barrier(4)

        def load() -> None:
            start.wait()
            for _ in range(5):
                netplan.load_yaml(doc, "a.yaml")

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert gc.isenabled()
    finally:
        gc.enable()
