"""Interface names: judged as the kernel judges them, and printed without reaching the
terminal raw (a name read from the kernel may hold ESC)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ifsmith.core.names import name_problem, shown, shown_text
from tests.netns import can_make_netns, ip, make_netns


def ifsmith(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "ifsmith.tui.cli", *args], capture_output=True)


@pytest.fixture
def netns() -> Iterator[str]:
    reason = can_make_netns()
    if reason:
        pytest.skip(reason)
    with make_netns("xmln-") as name:
        yield name


# Names and whether the kernel takes them (checked against the kernel below).
KERNEL = {
    "eth0": True,
    "br-lan.100": True,
    "abcdefghijklmno": True,  # 15 bytes
    "lan-\u00fc": True,  # ü is c3 bc
    "abcdefghijklmnop": False,  # 16 bytes
    "all": False,
    "default": False,
    ".": False,
    "..": False,
    "a%b": False,
    "a/b": False,
    "a:b": False,
    "a b": False,
    "a\tb": False,
    "a\u00e0b": False,  # à is c3 a0, and 0xa0 is white space to the kernel's isspace()
    "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9": False,  # 8 characters, 16 bytes
}


@pytest.mark.parametrize("name", list(KERNEL), ids=repr)
def test_name_rules_are_the_kernels(name: str) -> None:
    assert (name_problem(name) is None) == KERNEL[name], name_problem(name)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("eth%d", "picks a name of its own"),  # the kernel takes it, as a template
        ("a\x1bb", "non-printing character \\x1b"),
        ("a\u200bb", "non-printing character \\u200b"),
        ("a\udcffb", "is not valid UTF-8"),
    ],
    ids=repr,
)
def test_names_ifsmith_refuses_beyond_the_kernel_say_why(name: str, why: str) -> None:
    problem = name_problem(name)
    assert problem is not None and why in problem
    assert problem.isprintable()


def test_the_kernel_agrees_with_name_problem(netns: str) -> None:
    """The oracle: `ip link add` in a namespace of ours, name by name."""
    for name, fine in KERNEL.items():
        made = subprocess.run(
            ["ip", "-n", netns, "link", "add", "name", name, "type", "veth", "peer", "name", "p"],
            capture_output=True,
        )
        assert (made.returncode == 0) == fine, (name, made.stderr)
        if made.returncode == 0:
            ip("link", "del", "p", netns=netns)


@pytest.mark.parametrize("name", ["all", "a%b", "a:b", "abcdefghijklmnop", "a\u00e0b"], ids=repr)
def test_validate_refuses_what_the_kernel_would(tmp_path: Path, name: str) -> None:
    xml = tmp_path / "n.xml"
    xml.write_text(f"<interface type='ethernet' name='{name}'>\n</interface>\n")
    result = ifsmith("validate", str(xml))
    assert result.returncode == 1
    err = result.stderr.decode()
    assert err.startswith(f"{xml}: {name} (line 1): ")
    assert "kernel" in err.splitlines()[0]
    assert result.stdout == b""


def test_shown_escapes_like_repr() -> None:
    assert shown("eth0") == "eth0"
    assert shown("a\x1bb") == "a\\x1bb"
    assert shown("a\\b") == "a\\\\b"  # a backslash doubled: the escaped form reads back
    assert shown("a\udc85b") == "a\\x85b"  # a byte that was not UTF-8
    assert shown("a\x85b") == "a\\x85b"
    assert shown("lan-\u00fc") == "lan-\u00fc"
    assert shown("a\u202eb") == "a\\u202eb"  # right-to-left override
    assert shown_text("line 1\n\tline 2 \x1b[31m") == "line 1\n\tline 2 \\x1b[31m"


ODD = "a\x1b[31mb"  # ESC and a colour sequence: 8 bytes, a name the kernel takes


@pytest.fixture
def odd(netns: str) -> str:
    """A namespace holding veths named with ESC and with a byte that is not UTF-8."""
    subprocess.run(
        ["ip", "-n", netns, "link", "add", "name", ODD, "type", "veth", "peer", "name", "c\udc85d"],
        check=True,
    )
    return netns


def test_list_escapes_names_read_from_the_kernel(odd: str) -> None:
    result = ifsmith("--netns", odd, "list")
    assert result.returncode == 0, result.stderr
    assert b"\x1b" not in result.stdout and b"\x85" not in result.stdout
    names = [line.split()[0] for line in result.stdout.decode().splitlines()[1:]]
    assert sorted(names) == sorted(["a\\x1b[31mb", "c\\x85d"])
    # JSON carries the name exactly (escaped by JSON itself), for scripts.
    rows = json.loads(ifsmith("--netns", odd, "list", "--json").stdout)["interfaces"]
    assert ODD in {r["name"] for r in rows}


@pytest.mark.parametrize("view", [[], ["--live"]], ids=["definition", "live"])
def test_dumpxml_refuses_a_name_xml_cannot_carry(odd: str, view: list[str]) -> None:
    result = ifsmith("--netns", odd, "dumpxml", ODD, *view)
    assert result.returncode == 1
    assert result.stdout == b""  # not even the leading comment
    assert result.stderr.decode() == (
        "ifsmith: cannot write the interface name 'a\\x1b[31mb' as XML: it holds \\x1b, a "
        "character XML cannot carry (rename it: ip link set dev OLD name NEW)\n"
    )
    other = ifsmith("--netns", odd, "dumpxml", "c\udc85d", *view)
    assert other.returncode == 1 and other.stdout == b""
    assert b"'c\\x85d' as XML: it holds the byte \\x85, which is not UTF-8" in other.stderr


def test_dumpxml_of_a_bridge_with_an_odd_port_refuses_naming_the_port(odd: str) -> None:
    ip("link", "add", "br0", "type", "bridge", netns=odd)
    ip("link", "set", ODD, "master", "br0", netns=odd)
    result = ifsmith("--netns", odd, "dumpxml", "br0")
    assert result.returncode == 1 and result.stdout == b""
    assert b"'a\\x1b[31mb'" in result.stderr and b"\x1b" not in result.stderr
    # Once renamed, the same bridge dumps as XML that format takes back.
    ip("link", "set", ODD, "name", "port0", netns=odd)
    dumped = ifsmith("--netns", odd, "dumpxml", "br0")
    assert dumped.returncode == 0, dumped.stderr
    back = subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", "format", "-"],
        input=dumped.stdout,
        capture_output=True,
    )
    assert back.returncode == 0, back.stderr
    assert b"name='port0'" in back.stdout


def test_errors_naming_an_odd_name_reach_the_terminal_escaped(netns: str) -> None:
    result = ifsmith("--netns", netns, "dumpxml", "no\x1b]0;pwned\x07")
    assert result.returncode == 1
    assert b"\x1b" not in result.stderr and b"\x07" not in result.stderr
    assert b"no\\x1b]0;pwned\\x07" in result.stderr
