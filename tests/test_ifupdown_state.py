"""ifupdown's record of what is up (/run/network/ifstate) follows a kernel-activated change
as ifup/ifdown would keep it, and a rollback puts it back.  The oracle is the real ifdown
(``--no-act``: it prints what it would run, given the state), on the office host of
tests/test_definitions_netns.py (eth0 holding a lease in a namespace, a stand-in dhclient)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.netns import can_make_netns
from tests.test_definitions_netns import Host, office  # noqa: F401 (the fixture)

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))

COMMON = ("--yes", "--probe", "10.55.0.1", "--no-auto-probes", "--activate", "kernel")


def booted(host: Host) -> Path:
    """/run/network as the networking service left it: lo and eth0 up by ifup."""
    run = host.root / "run/network"
    run.mkdir(parents=True)
    (run / "ifstate").write_text("lo=lo\neth0=eth0\n")
    (run / "ifstate.lo").write_text("lo\n")
    (run / "ifstate.eth0").write_text("eth0\n")
    return run


def state(run: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(run.glob("ifstate*"))}


def bridge(host: Host, confirm: str) -> int:
    """iface-bridge eth0 br0 with the kernel activator; its exit code."""
    done = host.ifsmith("iface-bridge", "eth0", "br0", "--no-stp", "--confirm-timeout", confirm,
                        *COMMON)  # fmt: skip
    assert done.returncode in (0, 3), done.stdout + done.stderr
    return done.returncode


def ifdown_would(host: Host, name: str) -> str:
    """What the real ifdown would do for NAME, given the state (it changes nothing)."""
    if shutil.which("ifdown") is None:
        pytest.skip("n/a: ifupdown's ifdown is not installed (the oracle)")
    done = subprocess.run(
        ["ifdown", "--no-act", "-i", str(host.root / "etc/network/interfaces"),
         "--state-dir", str(host.root / "run/network"), name],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return done.stdout + done.stderr


def test_a_committed_iface_bridge_is_recorded_as_ifup_would(office: Host) -> None:  # noqa: F811
    run = booted(office)
    assert bridge(office, "0") == 0
    assert state(run) == {
        "ifstate": "lo=lo\neth0=eth0\nbr0=br0\n",
        "ifstate.br0": "br0\n",
        "ifstate.eth0": "eth0\n",
        "ifstate.lo": "lo\n",
    }
    # ifdown br0 now stops br0's client (as ifup started it) and takes the bridge down.
    said = ifdown_would(office, "br0")
    assert "not configured" not in said
    assert "dhclient -4 -v $CLIENT -r -pf /run/dhclient.br0.pid" in said, said

    unbridged = office.ifsmith("iface-unbridge", "br0", "--confirm-timeout", "0", *COMMON)
    assert unbridged.returncode == 0, unbridged.stdout + unbridged.stderr
    # As ifdown br0 leaves it: br0's line gone, its own file empty.
    assert state(run) == {
        "ifstate": "lo=lo\neth0=eth0\n",
        "ifstate.br0": "",
        "ifstate.eth0": "eth0\n",
        "ifstate.lo": "lo\n",
    }


def test_a_rolled_back_iface_bridge_leaves_the_state_as_it_was(office: Host) -> None:  # noqa: F811
    run = booted(office)
    before = state(run)
    assert bridge(office, "1") == 3  # not confirmed within a second: rolled back
    assert state(run) == before


def test_no_state_is_written_where_ifupdown_keeps_none(office: Host) -> None:  # noqa: F811
    assert bridge(office, "0") == 0
    assert not (office.root / "run/network").exists()
