"""`ifsmith format` and `ifsmith validate` as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def ifsmith(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
    )


def test_format_prints_canonical_xml(tmp_path: Path) -> None:
    messy = tmp_path / "eth0.xml"
    messy.write_text(
        '<?xml version="1.0"?>\n<interface name="eth0" type="ethernet"><!-- c -->'
        '<mtu size="9000"/><start mode="onboot"/></interface>'
    )
    result = ifsmith("format", str(messy))
    assert result.returncode == 0
    assert result.stdout == (
        "<interface type='ethernet' name='eth0'>\n"
        "  <start mode='onboot'/>\n"
        "  <mtu size='9000'/>\n"
        "</interface>\n"
    )


def test_format_libvirt_drops_extensions() -> None:
    doc = (
        "<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='ethernet' "
        "name='eth0' ifsmith:label='uplink'/>"
    )
    result = ifsmith("format", "--libvirt", "-", stdin=doc)
    assert result.returncode == 0
    assert "ifsmith" not in result.stdout
    assert "name=\"eth0\"" in result.stdout or "name='eth0'" in result.stdout


def test_validate_reports_schema_and_semantic_problems_with_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(
        "<interfaces>\n"
        "  <interface type='bond' name='bond0'>\n"
        "    <bond mode='active-backup'>\n"
        "      <interface type='ethernet' name='eth3'/>\n"
        "    </bond>\n"
        "  </interface>\n"
        "  <interface type='bridge' name='br0'>\n"
        "    <bridge>\n"
        "      <interface type='ethernet' name='eth3'/>\n"
        "    </bridge>\n"
        "  </interface>\n"
        "</interfaces>\n"
    )
    result = ifsmith("validate", str(bad))
    assert result.returncode == 1
    assert f"{bad}: br0 (line 9): port eth3 is already a slave of bond0" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_passes_good_files(tmp_path: Path) -> None:
    good = tmp_path / "good.xml"
    good.write_text("<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>")
    result = ifsmith("validate", str(good))
    assert (result.returncode, result.stdout) == (0, f"{good}: valid (eth0)\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<interface", "not well-formed"),
        ('<!DOCTYPE x [<!ENTITY e "x">]><interface/>', "DOCTYPE"),
    ],
)
def test_bad_input_exits_1_with_a_message_and_no_traceback(
    tmp_path: Path, content: str, message: str
) -> None:
    f = tmp_path / "x.xml"
    f.write_text(content)
    for command in ("format", "validate"):
        result = ifsmith(command, str(f))
        assert result.returncode == 1
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = ifsmith("format", str(tmp_path / "nope.xml"))
    assert result.returncode == 1
    assert "No such file or directory" in result.stderr


def test_usage_errors_exit_2() -> None:
    assert ifsmith("frobnicate").returncode == 2
    assert ifsmith("validate").returncode == 2
