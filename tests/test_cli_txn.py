"""The transaction commands' front end: refusals that change nothing, status and history,
the kernel-only transaction on a bare root, virsh's iface-bridge XML, the boot unit.

The watchdog end to end (cut-off, SIGHUP, faults) is in test_txn_netns.py.
"""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ifsmith.api.change import activation as _activation
from ifsmith.api.change import settle_window as _settle
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
from ifsmith.core.settle import MARGIN
from ifsmith.core.xmlio import parse, to_xml
from ifsmith.core.xmlschema import strip_extensions
from ifsmith.tui.cli import main
from ifsmith.tui.cmd_txn import bridge_of
from tests.netns import can_make_netns, ip, make_netns

REPO = Path(__file__).resolve().parents[1]

D0_ADDRESS = """<interface type='ethernet' name='d0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='198.51.100.1' prefix='24'/>
  </protocol>
</interface>
"""


@pytest.fixture
def dummy_ns() -> Iterator[str]:
    """A namespace holding a NIC d0 (a veth, its peer d1 beside it; this kernel has no
    dummy driver), up, without addresses."""
    reason = can_make_netns()
    if reason:
        pytest.skip(reason)
    with make_netns("ifst-x") as ns:
        ip("link", "add", "d0", "type", "veth", "peer", "name", "d1", netns=ns)
        ip("link", "set", "d0", "up", netns=ns)
        yield ns


def d0_addresses(ns: str) -> set[str]:
    link = snapshot(Host(netns=ns)).link("d0")
    assert link is not None
    return {str(a) for a in link.addresses if a.scope == "global"}


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def ifsmith(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, stdin not a terminal."""
    return subprocess.run([sys.executable, "-m", "ifsmith.tui.cli", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


TWO_MASTERS = """<interfaces>
  <interface type='bond' name='bond0'>
    <bond mode='active-backup'>
      <interface type='ethernet' name='d0'/>
    </bond>
  </interface>
  <interface type='bridge' name='br0'>
    <bridge>
      <interface type='ethernet' name='d0'/>
    </bridge>
  </interface>
</interfaces>
"""


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<interface type='ethernet' name='d0'>\n  <mtu size='huge'/>\n</interface>\n",
         "bad.xml:2: <mtu>: size='huge' is not"),
        (TWO_MASTERS, "br0 (line 9): port d0 is already a slave of bond0"),
    ],
)  # fmt: skip
def test_invalid_xml_is_refused_naming_the_line_and_nothing_changes(
    tmp_path: Path, dummy_ns: str, xml: str, message: str
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(xml)
    before = tree(tmp_path)
    result = ifsmith("--netns", dummy_ns, "--root", str(tmp_path), "apply", str(bad), "--yes")
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert tree(tmp_path) == before and d0_addresses(dummy_ns) == set()
    assert snapshot(Host(netns=dummy_ns)).link("bond0") is None


def test_without_a_terminal_apply_asks_for_yes_and_changes_nothing(
    tmp_path: Path, dummy_ns: str
) -> None:
    xml = tmp_path / "d0.xml"
    xml.write_text(D0_ADDRESS)
    before = tree(tmp_path)
    result = ifsmith("--netns", dummy_ns, "--root", str(tmp_path), "apply", str(xml))
    assert result.returncode == 1
    assert "pass --yes" in result.stderr
    assert "add address 198.51.100.1/24 to d0" in result.stdout  # the plan was shown
    assert tree(tmp_path) == before and d0_addresses(dummy_ns) == set()


def test_a_bad_probe_target_is_refused_before_anything_changes(
    tmp_path: Path, dummy_ns: str
) -> None:
    xml = tmp_path / "d0.xml"
    xml.write_text(D0_ADDRESS)
    result = ifsmith("--netns", dummy_ns, "--root", str(tmp_path), "apply", str(xml), "--yes",
                     "--probe", "gateway.example")  # fmt: skip
    assert result.returncode == 1 and "probe target 'gateway.example'" in result.stderr
    assert not (tmp_path / "var").exists() and d0_addresses(dummy_ns) == set()


def test_on_a_bare_root_the_transaction_changes_the_live_state_only(
    tmp_path: Path, dummy_ns: str
) -> None:
    """No configuration stack detected: no files, the kernel activator, still journaled."""
    xml = tmp_path / "d0.xml"
    xml.write_text(D0_ADDRESS)
    result = ifsmith("--netns", dummy_ns, "--root", str(tmp_path), "apply", str(xml), "--yes",
                     "--no-auto-probes", "--confirm-timeout", "0")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "live change only" in result.stdout and "Committed:" in result.stdout
    assert d0_addresses(dummy_ns) == {"198.51.100.1/24"}
    assert not (tmp_path / "etc").exists()
    status = json.loads(ifsmith("--netns", dummy_ns, "--root", str(tmp_path), "status",
                                "--json").stdout)  # fmt: skip
    assert status["state"] == "committed" and status["names"] == ["d0"]
    history = ifsmith("--netns", dummy_ns, "--root", str(tmp_path), "history")
    assert f"{status['id']} " in history.stdout and "committed" in history.stdout
    # Running the same apply again: nothing to change, no new transaction.
    again = ifsmith("--netns", dummy_ns, "--root", str(tmp_path), "apply", str(xml), "--yes")
    assert again.returncode == 0 and again.stdout.strip().endswith("nothing to change")
    undo = ifsmith("--netns", dummy_ns, "--root", str(tmp_path), "rollback", "--to",
                   status["id"], "--yes", "--no-auto-probes", "--confirm-timeout", "0")  # fmt: skip
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert d0_addresses(dummy_ns) == set()


def test_status_and_history_without_transactions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = ["--root", str(tmp_path)]
    assert main([*root, "status"]) == 0 and capsys.readouterr().out == "no transactions\n"
    assert main([*root, "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"schema": 1, "id": None}
    assert main([*root, "history", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"schema": 1, "transactions": [], "pruned": 0}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["confirm"], "no transaction is waiting for confirmation"),
        (["rollback"], "no transaction is in progress"),
        (["rollback", "--to", "20260101"], "no transaction 20260101"),
    ],
)
def test_nothing_to_confirm_or_roll_back_is_a_clear_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["--root", str(tmp_path), *argv]) == 1
    assert message in capsys.readouterr().err


ETH0 = b"""<interface type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <mac address='52:54:00:12:34:56'/>
  <mtu size='1500'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.1' prefix='24'/>
    <route gateway='192.0.2.254'/>
  </protocol>
</interface>
"""

ETH0_BRIDGED = """<interface type='bridge' name='br0'>
  <start mode='onboot'/>
  <mtu size='1500'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.1' prefix='24'/>
    <route gateway='192.0.2.254'/>
  </protocol>
  <bridge stp='on' delay='2'>
    <interface type='ethernet' name='eth0'>
      <mac address='52:54:00:12:34:56'/>
    </interface>
  </bridge>
</interface>
"""


def test_iface_bridge_builds_the_xml_as_virsh_does() -> None:
    """The bridge keeps start, mtu and protocol; mac (bond, vlan) move into the port.
    Beyond virsh, the bridge takes the NIC's MAC too (an ifsmith: extension)."""
    bridged = to_xml(bridge_of(parse(ETH0)[0], "br0", True, 2.0))
    assert bridged == ETH0_BRIDGED.replace(
        "<interface type='bridge' name='br0'>",
        "<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='bridge'"
        " name='br0' ifsmith:mac='52:54:00:12:34:56'>",
    )
    stripped = strip_extensions(bridged.encode()).decode().replace('"', "'")
    assert stripped.rstrip("\n") == ETH0_BRIDGED.rstrip("\n")
    no_stp = to_xml(bridge_of(parse(ETH0)[0], "br0", False, 2.0))
    assert "<bridge stp='off'>" in no_stp  # virsh writes the delay only with STP


def test_auto_activation_is_the_kernel_in_a_namespace_or_scratch_root(tmp_path: Path) -> None:
    assert _activation("auto", "networkd", Host(root=tmp_path)) == "kernel"
    assert _activation("auto", "nm-keyfile", Host(netns="ifst-none")) == "kernel"
    assert _activation("distro", "ifupdown", Host(root=tmp_path)) == "distro"
    assert _activation("kernel", "networkd", Host()) == "kernel"


@pytest.mark.parametrize(
    ("backend", "running", "chosen"),
    [
        ("networkd", {"systemd-networkd"}, "distro"),
        ("nm-keyfile", {"NetworkManager"}, "distro"),
        ("ifcfg-rh", {"NetworkManager"}, "distro"),  # NM's ifcfg-rh plugin
        ("ifcfg-rh", set(), "kernel"),  # initscripts
        ("ifupdown", {"NetworkManager"}, "kernel"),  # NM leaves ifupdown's NICs alone
        ("networkd", {"NetworkManager"}, "kernel"),
        (None, {"NetworkManager"}, "kernel"),  # no files at all
    ],
)
def test_auto_activation_follows_the_daemon_that_reads_the_backend_files(
    monkeypatch: pytest.MonkeyPatch, backend: str | None, running: set[str], chosen: str
) -> None:
    monkeypatch.setattr("ifsmith.api.change.daemons_running", lambda host: running)
    assert _activation("auto", backend, Host()) == chosen


def test_a_bridge_with_stp_gets_a_settle_window_past_listening_and_learning() -> None:
    stp = parse(ETH0_BRIDGED.encode())
    assert _settle(2.0, stp) == 2 * 2.0 + MARGIN
    assert _settle(2.0, parse(ETH0)) == 2.0


def test_the_boot_unit_runs_recover_before_the_network_comes_up() -> None:
    unit = configparser.ConfigParser()
    unit.read(REPO / "tui/ifsmith-recover.service")
    assert "network-pre.target" in unit["Unit"]["Before"].split()
    assert unit["Unit"]["DefaultDependencies"] == "no"
    assert unit["Service"]["Type"] == "oneshot"
    assert unit["Service"]["ExecStart"].endswith("ifsmith recover")
