"""IPv4 addresses in one subnet, changed by the kernel activator: the result is exactly the
defined addresses whatever net.ipv4.conf.IF.promote_secondaries says, the addresses that
stay are never deleted on the way, and the setting is as it was afterwards.

The kernel makes an address added in the subnet of another a secondary of that primary,
and deleting the primary (promote_secondaries 0: a fresh namespace) deleted both: replacing
198.51.100.4/24 by .6/24 left d0 without an IPv4 address, and the transaction committed.
`ip -j addr` is the oracle; the changes go through `ifsmith apply` on a bare --root.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ifsmith.backends import kernel, kernel_addresses
from ifsmith.core.host import Host
from ifsmith.core.live import netlink_socket, snapshot
from ifsmith.core.plan import make_plan
from ifsmith.core.xmlio import parse
from tests.netns import can_make_netns, ip, make_netns

RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR = 0x10, 0x100
RTM_DELADDR, IFA_ADDRESS, IFA_LOCAL = 21, 1, 2


@pytest.fixture
def ns() -> Iterator[str]:
    """A namespace holding a NIC d0 (a veth; this kernel has no dummy driver), up, with
    the namespace's own promote_secondaries (0)."""
    reason = can_make_netns()
    if reason:
        pytest.skip(f"n/a: {reason}")
    with make_netns("promote-") as name:
        ip("link", "add", "d0", "type", "veth", "peer", "name", "d1", netns=name)
        ip("link", "set", "d0", "up", netns=name)
        yield name


def promote(ns: str) -> str:
    return sysctl(ns, "net.ipv4.conf.d0.promote_secondaries")


def sysctl(ns: str, key: str, value: str | None = None) -> str:
    argv = ["ip", "netns", "exec", ns, "sysctl"]
    argv += ["-qw", f"{key}={value}"] if value is not None else ["-n", key]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def addresses(ns: str, family: str = "inet") -> list[str]:
    """d0's global addresses of a family as `ip -j addr` lists them (primary first)."""
    (entry,) = json.loads(ip("-j", "addr", "show", "dev", "d0", netns=ns))
    return [
        f"{a['local']}/{a['prefixlen']}"
        for a in entry["addr_info"]
        if a["family"] == family and a.get("scope") == "global"
    ]


def definition(tmp_path: Path, *ips: str) -> Path:
    """d0's definition with these addresses, in this order."""
    lines: dict[int, list[str]] = {4: [], 6: []}
    for text in ips:
        address, prefix = text.split("/")
        lines[6 if ":" in address else 4].append(f"    <ip address='{address}' prefix='{prefix}'/>")
    xml = "<interface type='ethernet' name='d0'>\n  <start mode='onboot'/>\n"
    for version, family in ((4, "ipv4"), (6, "ipv6")):
        if lines[version]:
            xml += f"  <protocol family='{family}'>\n" + "\n".join(lines[version])
            xml += "\n  </protocol>\n"
    path = tmp_path / f"d0-{len(list(tmp_path.glob('d0-*.xml')))}.xml"
    path.write_text(xml + "</interface>\n")
    return path


def ifsmith(ns: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command on a bare root (no configuration stack: the kernel activator)."""
    return subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", "--netns", ns, "--root", str(root), *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def apply(
    ns: str, root: Path, xml: Path, confirm_timeout: str = "0"
) -> subprocess.CompletedProcess[str]:
    return ifsmith(ns, root, "apply", str(xml), "--yes", "--no-auto-probes",
                   "--confirm-timeout", confirm_timeout)  # fmt: skip


def change(ns: str, root: Path, *ips: str) -> list[str]:
    """Apply d0's definition with these addresses (committed at once); the addresses the
    kernel deleted meanwhile."""
    seen = Deletions(ns)
    result = apply(ns, root, definition(root, *ips))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Committed:" in result.stdout
    return seen.read()


class Deletions:
    """Every address the kernel announces as deleted in the namespace while this is open
    (subscribed before the change, so none is missed)."""

    def __init__(self, ns: str) -> None:
        self.sock = netlink_socket(ns, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR)
        self.sock.setblocking(False)

    def read(self) -> list[str]:
        out = []
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except BlockingIOError:
                break
            offset = 0
            while offset + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind == RTM_DELADDR:
                    out.append(_address_of(data[offset : offset + length]))
                offset += (length + 3) & ~3
        self.sock.close()
        return out


def _address_of(msg: bytes) -> str:
    family, prefix = msg[16], msg[17]
    offset, found = 24, {}
    while offset + 4 <= len(msg):
        length, kind = struct.unpack_from("=HH", msg, offset)
        if length < 4:
            break
        found[kind] = msg[offset + 4 : offset + length]
        offset += (length + 3) & ~3
    raw = found.get(IFA_LOCAL) or found[IFA_ADDRESS]
    return f"{socket.inet_ntop(family, raw)}/{prefix}"


@pytest.mark.parametrize("setting", ["0", "1"])
def test_replacing_an_address_in_its_subnet_leaves_the_new_one(
    ns: str, tmp_path: Path, setting: str
) -> None:
    sysctl(ns, "net.ipv4.conf.d0.promote_secondaries", setting)
    ip("addr", "add", "198.51.100.4/24", "dev", "d0", netns=ns)
    deleted = change(ns, tmp_path, "198.51.100.6/24")
    assert addresses(ns) == ["198.51.100.6/24"]
    assert deleted == ["198.51.100.4/24"]  # the new address never left
    assert promote(ns) == setting


def test_removing_the_primary_keeps_the_secondary_that_stays(ns: str, tmp_path: Path) -> None:
    ip("addr", "add", "198.51.100.4/24", "dev", "d0", netns=ns)
    ip("addr", "add", "198.51.100.5/24", "dev", "d0", netns=ns)
    assert change(ns, tmp_path, "198.51.100.5/24") == ["198.51.100.4/24"]
    assert addresses(ns) == ["198.51.100.5/24"]
    assert promote(ns) == "0"
    # With a replacement beside the one that stays: both stay, the primary goes.
    ip("addr", "add", "198.51.100.4/24", "dev", "d0", netns=ns)  # a secondary of .5 now
    assert change(ns, tmp_path, "198.51.100.4/24", "198.51.100.7/24") == ["198.51.100.5/24"]
    assert addresses(ns) == ["198.51.100.4/24", "198.51.100.7/24"]
    assert promote(ns) == "0"


def test_two_addresses_swapped_in_the_definition_both_stay(ns: str, tmp_path: Path) -> None:
    ip("addr", "add", "198.51.100.4/24", "dev", "d0", netns=ns)
    ip("addr", "add", "198.51.100.5/24", "dev", "d0", netns=ns)
    swapped = definition(tmp_path, "198.51.100.5/24", "198.51.100.4/24")
    result = apply(ns, tmp_path, swapped)
    assert result.returncode == 0 and result.stdout.strip().endswith("nothing to change")
    # The other way round in the kernel too: .5 the primary, .4 its secondary, then .4
    # alone (its primary goes) and .5 back beside it.
    for ips, after in [
        (["198.51.100.5/24"], ["198.51.100.5/24"]),
        (["198.51.100.5/24", "198.51.100.4/24"], ["198.51.100.5/24", "198.51.100.4/24"]),
        (["198.51.100.4/24"], ["198.51.100.4/24"]),
        (["198.51.100.5/24", "198.51.100.4/24"], ["198.51.100.4/24", "198.51.100.5/24"]),
    ]:
        deleted = change(ns, tmp_path, *ips)
        assert addresses(ns) == after
        assert not set(deleted) & set(after)  # what stays is never deleted on the way
    assert promote(ns) == "0"


def test_ipv6_addresses_are_unaffected(ns: str, tmp_path: Path) -> None:
    ip("addr", "add", "198.51.100.4/24", "dev", "d0", netns=ns)
    ip("addr", "add", "2001:db8::4/64", "dev", "d0", "nodad", netns=ns)
    ip("addr", "add", "2001:db8::5/64", "dev", "d0", "nodad", netns=ns)
    deleted = change(ns, tmp_path, "198.51.100.6/24", "2001:db8::5/64", "2001:db8::6/64")
    assert addresses(ns) == ["198.51.100.6/24"]
    assert sorted(addresses(ns, "inet6")) == ["2001:db8::5/64", "2001:db8::6/64"]
    assert sorted(deleted) == ["198.51.100.4/24", "2001:db8::4/64"]
    assert promote(ns) == "0"


def test_a_rollback_restores_a_replaced_address_of_the_same_subnet(ns: str, tmp_path: Path) -> None:
    """The restore adds .4 (a secondary of .6) and deletes .6: the same activator."""
    ip("addr", "add", "198.51.100.4/24", "dev", "d0", netns=ns)
    replace = definition(tmp_path, "198.51.100.6/24")
    # Not confirmed within its window: rolled back.
    result = apply(ns, tmp_path, replace, confirm_timeout="1")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "not confirmed within 1 s" in result.stdout
    assert addresses(ns) == ["198.51.100.4/24"]
    assert promote(ns) == "0"
    status = json.loads(ifsmith(ns, tmp_path, "status", "--json").stdout)
    assert status["state"] == "rolled-back" and status["differences"] == []
    # Committed, then undone with rollback --to.
    result = apply(ns, tmp_path, replace)
    assert result.returncode == 0 and addresses(ns) == ["198.51.100.6/24"]
    txn = json.loads(ifsmith(ns, tmp_path, "status", "--json").stdout)["id"]
    undo = ifsmith(ns, tmp_path, "rollback", "--to", txn, "--yes", "--no-auto-probes",
                   "--confirm-timeout", "0")  # fmt: skip
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert addresses(ns) == ["198.51.100.4/24"]
    assert promote(ns) == "0"


def test_an_address_the_kernel_dropped_is_an_error_naming_it(
    ns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check after a plan: with the promotion taken away, the loss is named."""
    ip("addr", "add", "198.51.100.4/24", "dev", "d0", netns=ns)
    ip("addr", "add", "198.51.100.5/24", "dev", "d0", netns=ns)
    host = Host(netns=ns)
    xml = b"""<interface type='ethernet' name='d0'><protocol family='ipv4'>
      <ip address='198.51.100.5' prefix='24'/><ip address='198.51.100.6' prefix='24'/>
    </protocol></interface>"""
    plan = make_plan(parse(xml, "d0.xml"), snapshot(host))
    monkeypatch.setattr(kernel_addresses, "set_promote_secondaries", lambda *a: None)
    with pytest.raises(kernel.KernelError) as error:
        kernel.apply(host, plan)
    assert str(error.value) == (
        "d0: address 198.51.100.5/24 is missing after the change; "
        "d0: address 198.51.100.6/24 is missing after the change"
    )
    assert addresses(ns) == []


NO_PROMOTION = """\
# Loaded at the start of every Python process of the test (the CLI and its watchdog):
# the activator without the promotion, as before the fix.
from ifsmith.backends import kernel_addresses

kernel_addresses.set_promote_secondaries = lambda net, index, value: None
"""


def test_a_lost_address_rolls_the_transaction_back_naming_it(ns: str, tmp_path: Path) -> None:
    """The check in the watchdog: the change is not committed, the reason names the
    address, and the rollback puts back what was there (.6 went with .4: the restore only
    adds .4)."""
    ip("addr", "add", "198.51.100.4/24", "dev", "d0", netns=ns)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(NO_PROMOTION)
    env = {**os.environ, "PYTHONPATH": str(hook)}
    xml = definition(tmp_path, "198.51.100.6/24")
    result = subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", "--netns", ns, "--root", str(tmp_path),
         "apply", str(xml), "--yes", "--no-auto-probes", "--confirm-timeout", "0"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    assert "d0: address 198.51.100.6/24 is missing after the change" in result.stdout
    status = json.loads(ifsmith(ns, tmp_path, "status", "--json").stdout)
    assert status["state"] == "rolled-back"
    assert "198.51.100.6/24 is missing after the change" in status["reason"]
    assert status["differences"] == [] and addresses(ns) == ["198.51.100.4/24"]


def test_promote_secondaries_is_read_and_set_over_netlink(ns: str) -> None:
    """IPV4_DEVCONF_PROMOTE_SECONDARIES (20) is the devconf the sysctl shows."""
    net = kernel.Netlink(Host(netns=ns))
    try:
        index = net.index("d0")
        assert kernel_addresses.promote_secondaries(net, index) == 0
        sysctl(ns, "net.ipv4.conf.d0.promote_secondaries", "1")
        assert kernel_addresses.promote_secondaries(net, index) == 1
        kernel_addresses.set_promote_secondaries(net, index, 0)
        assert promote(ns) == "0"
        assert sysctl(ns, "net.ipv4.conf.d0.arp_ignore") == "0"  # its neighbour untouched
        with pytest.raises(OSError) as gone:
            kernel_addresses.set_promote_secondaries(net, 999999, 1)
        assert gone.value.errno == errno.ENODEV
    finally:
        net.close()
