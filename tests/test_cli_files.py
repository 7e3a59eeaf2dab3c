"""`ifsmith render|diff|define|undefine|backends` and the --inactive views, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BOND = """<interface type='bond' name='bond0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.10' prefix='24'/>
    <route gateway='192.0.2.1'/>
  </protocol>
  <bond mode='active-backup'>
    <miimon freq='100'/>
    <interface type='ethernet' name='eth0'>
    </interface>
    <interface type='ethernet' name='eth1'>
    </interface>
  </bond>
</interface>
"""


def ifsmith(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", *args], capture_output=True, text=True
    )


def test_render_prints_files_with_headers(tmp_path: Path) -> None:
    xml = tmp_path / "bond0.xml"
    xml.write_text(BOND)
    result = ifsmith("--root", str(tmp_path), "render", str(xml), "--backend", "ifcfg-rh")
    assert result.returncode == 0, result.stderr
    assert "# /etc/sysconfig/network-scripts/ifcfg-bond0\n" in result.stdout
    assert "# /etc/sysconfig/network-scripts/ifcfg-eth0\n" in result.stdout
    assert "MASTER=bond0" in result.stdout
    assert not (tmp_path / "etc").exists()


def test_define_then_inactive_dumpxml_gives_the_xml_back(tmp_path: Path) -> None:
    xml = tmp_path / "bond0.xml"
    xml.write_text(BOND)
    root = ["--root", str(tmp_path)]
    result = ifsmith(*root, "define", str(xml), "--backend", "ifcfg-rh")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "etc/sysconfig/network-scripts/ifcfg-bond0").exists()
    dumped = ifsmith(*root, "dumpxml", "bond0", "--inactive", "--backend", "ifcfg-rh")
    assert dumped.returncode == 0, dumped.stderr
    assert dumped.stdout == BOND
    listed = ifsmith(*root, "list", "--inactive", "--json", "--backend", "ifcfg-rh")
    rows = {r["name"]: r for r in json.loads(listed.stdout)["definitions"]}
    assert rows["eth1"]["master"] == "bond0"
    assert rows["bond0"]["addresses"] == ["192.0.2.10/24"]
    # Defined again: nothing to change.
    again = ifsmith(*root, "define", str(xml), "--backend", "ifcfg-rh")
    assert again.stdout.strip() == "nothing to change"


def test_diff_shows_only_what_changes_and_keeps_unmodelled_keys(tmp_path: Path) -> None:
    scripts = tmp_path / "etc/sysconfig/network-scripts"
    scripts.mkdir(parents=True)
    (scripts / "ifcfg-eth0").write_text(
        '# managed by hand\nDEVICE=eth0\nONBOOT=no\nETHTOOL_OPTS="-K eth0 gro off"\n'
    )
    xml = tmp_path / "eth0.xml"
    xml.write_text("<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>")
    result = ifsmith("--root", str(tmp_path), "diff", str(xml), "--backend", "ifcfg-rh")
    assert result.returncode == 0, result.stderr
    assert "-ONBOOT=no\n+ONBOOT=yes\n" in result.stdout
    assert "ETHTOOL_OPTS" not in "".join(
        line for line in result.stdout.splitlines(keepends=True) if line[:1] in "+-"
    )


def test_undefine_removes_the_files(tmp_path: Path) -> None:
    xml = tmp_path / "bond0.xml"
    xml.write_text(BOND)
    root = ["--root", str(tmp_path)]
    assert ifsmith(*root, "define", str(xml), "--backend", "ifcfg-rh").returncode == 0
    result = ifsmith(*root, "undefine", "bond0", "--backend", "ifcfg-rh")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "etc/sysconfig/network-scripts/ifcfg-bond0").exists()
    missing = ifsmith(*root, "undefine", "bond9", "--backend", "ifcfg-rh")
    assert missing.returncode == 1
    assert "no configuration for bond9" in missing.stderr


def test_invalid_xml_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    xml = tmp_path / "bad.xml"
    xml.write_text(BOND.replace("name='eth1'", "name='eth0'"))
    result = ifsmith("--root", str(tmp_path), "define", str(xml), "--backend", "ifcfg-rh")
    assert result.returncode == 1
    assert "slave eth0 is already a slave of bond0" in result.stderr
    assert not (tmp_path / "etc").exists()


def test_unsafe_name_is_refused_with_a_message(tmp_path: Path) -> None:
    xml = tmp_path / "evil.xml"
    xml.write_text("<interface type='ethernet' name='a$(touch x)'/>")
    result = ifsmith("--root", str(tmp_path), "define", str(xml), "--backend", "ifcfg-rh")
    assert result.returncode == 1
    assert "refused" in result.stderr and "a$(touch x)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "etc").exists()


def test_unknown_backend_and_nothing_detected_are_clear_errors(tmp_path: Path) -> None:
    xml = tmp_path / "e.xml"
    xml.write_text("<interface type='ethernet' name='eth0'/>")
    wrong = ifsmith("--root", str(tmp_path), "render", str(xml), "--backend", "yast")
    assert wrong.returncode == 1 and "unknown backend 'yast'" in wrong.stderr
    auto = ifsmith("--root", str(tmp_path), "render", str(xml))
    assert auto.returncode == 1 and "no network configuration stack detected" in auto.stderr


def test_backends_lists_the_formats_and_marks_the_detected_one(tmp_path: Path) -> None:
    (tmp_path / "etc/sysconfig/network-scripts").mkdir(parents=True)
    (tmp_path / "etc/sysconfig/network-scripts/ifcfg-eth0").write_text("DEVICE=eth0\n")
    result = ifsmith("--root", str(tmp_path), "backends", "--json")
    report = json.loads(result.stdout)
    assert "ifcfg-rh" in report["available"]
    assert report["detected"] == "ifcfg-rh"


def test_inactive_list_works_for_every_backend_and_reports_skipped_lines(tmp_path: Path) -> None:
    (tmp_path / "etc/network").mkdir(parents=True)
    (tmp_path / "etc/network/interfaces").write_text(
        "auto eth0\niface eth0 inet static\n    address 192.0.2.1/24\n"
    )
    for backend in ("ifcfg-rh", "ifcfg-suse", "ifupdown", "networkd", "nm-keyfile", "netplan",
                    "netifrc"):  # fmt: skip
        result = ifsmith("--root", str(tmp_path), "list", "--inactive", "--json",
                         "--backend", backend)  # fmt: skip
        assert result.returncode == 0, f"{backend}: {result.stderr}"
        assert "Traceback" not in result.stderr
    rows = json.loads(ifsmith("--root", str(tmp_path), "list", "--inactive", "--json",
                              "--backend", "ifupdown").stdout)["definitions"]  # fmt: skip
    assert rows[0]["name"] == "eth0" and rows[0]["addresses"] == ["192.0.2.1/24"]
