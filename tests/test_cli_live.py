"""``ifsmith list`` and ``ifsmith dumpxml`` on namespaces the tests build (and --inactive)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ifsmith.tui.cli import main
from tests.netns import can_make_netns, ip_batch, make_netns, wait_operstate
from tests.test_live import lab_commands

needs_netns = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))


@pytest.fixture(scope="module")
def lab() -> Iterator[str]:
    """tests/test_live.py's lab, STP off.  Read-only for every test here: one serves all."""
    if can_make_netns() is not None:
        pytest.skip(str(can_make_netns()))
    with make_netns("ifsl-") as ns:
        ip_batch(ns, lab_commands())
        wait_operstate(ns, ["br0", "ve0", "ve1"])
        yield ns


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """main() in this process: exit code, stdout, stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@needs_netns
def test_list_json_lists_links_with_masters_addresses_and_gateways(
    lab: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(capsys, "--netns", lab, "list", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["schema"] == 1
    rows = {r["name"]: r for r in document["interfaces"]}
    assert set(rows) == {"br0", "ve0", "ve1", "mv0"}  # lo only with --all
    assert (rows["br0"]["type"], rows["br0"]["state"], rows["br0"]["mtu"]) == ("bridge", "up", 1400)
    assert {"192.0.2.1/24", "2001:db8::1/64"} <= set(rows["br0"]["addresses"])
    assert rows["br0"]["gateways"] == {"ipv4": "192.0.2.254", "ipv6": "2001:db8::fe"}
    assert (rows["ve0"]["type"], rows["ve0"]["kind"], rows["ve0"]["master"]) == (
        "ethernet",
        "veth",
        "br0",
    )
    assert rows["ve1"]["mac"] == "52:54:00:12:34:56"
    assert (rows["mv0"]["state"], rows["mv0"]["admin_up"], rows["mv0"]["parent"]) == (
        "down",
        False,
        "ve1",
    )


@needs_netns
def test_list_table_is_aligned_and_shows_loopback_only_with_all(
    lab: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(capsys, "--netns", lab, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "STATE", "MAC", "MASTER", "ADDRESSES"]
    # Every column starts where its heading does.
    starts = [lines[0].index(h) for h in ("TYPE", "STATE", "MAC", "MASTER", "ADDRESSES")]
    by_name = {line.split()[0]: line for line in lines[1:]}
    assert set(by_name) == {"br0", "ve0", "ve1", "mv0"}
    for line in by_name.values():
        assert all(line[s - 2 : s] == "  " and line[s] != " " for s in starts), line
    assert by_name["ve0"].split()[1:] == ["veth", "up", by_name["ve0"].split()[3], "br0", "-"]
    # Link-local addresses are left out of the table; the ones set on purpose stay.
    assert by_name["br0"].split()[-2:] == ["192.0.2.1/24", "2001:db8::1/64"]
    assert by_name["mv0"].split()[1:3] == ["macvlan", "down"]
    code, out, _err = run(capsys, "--netns", lab, "list", "--all")
    lo = next(line for line in out.splitlines() if line.startswith("lo "))
    assert lo.split()[1:3] == ["loopback", "unknown"] and "127.0.0.1/8" in lo


@needs_netns
def test_dumpxml_prints_the_live_bridge_with_its_port(
    lab: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(capsys, "--netns", lab, "dumpxml", "br0", "--live")
    assert code == 0
    lines = out.splitlines()
    assert lines[:11] == [
        "<interface type='bridge' name='br0'>",
        "  <mtu size='1400'/>",
        "  <protocol family='ipv4'>",
        "    <ip address='192.0.2.1' prefix='24'/>",
        "    <route gateway='192.0.2.254'/>",
        "  </protocol>",
        "  <protocol family='ipv6'>",
        "    <ip address='2001:db8::1' prefix='64'/>",
        "    <route gateway='2001:db8::fe'/>",
        "  </protocol>",
        "  <bridge stp='off' delay='15'>",
    ]
    assert lines[11:14] == [
        "    <interface type='ethernet' name='ve0'>",
        "      <link state='up'/>",
        lines[13],  # the port's random MAC
    ]
    assert lines[13].startswith("      <mac address=")
    assert lines[-3:] == ["    </interface>", "  </bridge>", "</interface>"]


@needs_netns
def test_dumpxml_of_a_port_alone_shows_it_as_itself(
    lab: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(capsys, "--netns", lab, "dumpxml", "ve1", "--live")
    assert code == 0
    assert out == (
        "<interface type='ethernet' name='ve1'>\n"
        "  <mtu size='1500'/>\n"
        "  <protocol family='ipv6'>\n"
        "  </protocol>\n"
        "  <link state='up'/>\n"
        "  <mac address='52:54:00:12:34:56'/>\n"
        "</interface>\n"
    )


def ifsmith(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as an admin runs it: its own process."""
    return subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", *args], capture_output=True, text=True
    )


@needs_netns
def test_unknown_name_and_missing_namespace_are_one_line_errors(lab: str) -> None:
    missing = ifsmith("--netns", lab, "dumpxml", "nope")
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1,
        "",
        "ifsmith: no interface named nope, defined or running\n",
    )
    for argv in (["list"], ["list", "--json"], ["dumpxml", "lo"]):
        bad = ifsmith("--netns", "ifsl-absent-x", *argv)
        assert bad.returncode == 1
        assert bad.stderr == (
            "ifsmith: no network namespace named 'ifsl-absent-x' (see `ip netns list`)\n"
        )


def test_inactive_reads_the_configuration_files_instead(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = tmp_path / "etc/sysconfig/network-scripts"
    scripts.mkdir(parents=True)
    (scripts / "ifcfg-eth9").write_text(
        "DEVICE=eth9\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=192.0.2.9\nPREFIX=24\n"
    )
    files = ["--root", str(tmp_path)]
    code, out, _err = run(capsys, *files, "list", "--inactive", "--backend", "ifcfg-rh")
    assert code == 0 and out.splitlines()[1].split() == [
        "eth9",
        "ethernet",
        "onboot",
        "-",
        "192.0.2.9/24",
    ]
    code, out, _err = run(capsys, *files, "dumpxml", "eth9", "--inactive", "--backend", "ifcfg-rh")
    assert code == 0 and "<start mode='onboot'/>" in out
