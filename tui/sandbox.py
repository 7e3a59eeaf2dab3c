"""``ifsmith --sandbox``: a throwaway lab to try everything, apply and rollback included.

Two network namespaces: the "server" with three veth NICs eth0-eth2, and a "LAN" whose
bridge joins their peers and holds the gateway 192.0.2.1 (it answers pings, so a change
that cuts eth0 off rolls back).  Files go to a scratch root with an empty etc/.  Both
namespaces and the scratch root are removed on exit, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ifsmith.core.errors import IfsmithError
from ifsmith.core.host import Host

NICS = ("eth0", "eth1", "eth2")
GATEWAY = "192.0.2.1"
SERVER_ADDRESS = "192.0.2.10/24"


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise IfsmithError(f"sandbox: ip {' '.join(args)}: {result.stderr.strip()}")


def lab_commands(server: str, lan: str) -> list[list[str]]:
    """The `ip` commands that build the lab (pure, so a test can read them)."""
    cmds = [
        ["netns", "add", server],
        ["netns", "add", lan],
        ["-n", server, "link", "set", "lo", "up"],
        ["-n", lan, "link", "set", "lo", "up"],
        ["-n", lan, "link", "add", "lan", "type", "bridge"],
        ["-n", lan, "addr", "add", f"{GATEWAY}/24", "dev", "lan"],
        ["-n", lan, "link", "set", "lan", "up"],
    ]
    for n, nic in enumerate(NICS):
        peer = f"lan{n}"
        cmds += [
            ["link", "add", nic, "netns", server, "type", "veth", "peer", "name", peer,
             "netns", lan],
            ["-n", lan, "link", "set", peer, "master", "lan"],
            ["-n", lan, "link", "set", peer, "up"],
            ["-n", server, "link", "set", nic, "up"],
        ]  # fmt: skip
    cmds += [
        ["-n", server, "addr", "add", SERVER_ADDRESS, "dev", NICS[0]],
        ["-n", server, "route", "add", "default", "via", GATEWAY],
    ]
    return cmds


@contextlib.contextmanager
def sandbox(prefix: str = "ifsmith-sbx-") -> Iterator[Host]:
    """Build the lab, yield the Host to work on, tear everything down afterwards."""
    if os.geteuid() != 0:
        raise IfsmithError("--sandbox needs root: it creates network namespaces")
    if shutil.which("ip") is None:
        raise IfsmithError("--sandbox needs iproute2 (the ip command)")
    tag = f"{os.getpid() % 100000}"
    server, lan = f"{prefix}{tag}", f"{prefix}{tag}-lan"
    root = Path(tempfile.mkdtemp(prefix="ifsmith-sandbox-"))
    (root / "etc").mkdir()
    try:
        for cmd in lab_commands(server, lan):
            _ip(*cmd)
        yield Host(root=root, netns=server)
    finally:
        for name in (server, lan):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
