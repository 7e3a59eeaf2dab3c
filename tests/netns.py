"""Network namespaces for tests: made with a unique name, always deleted by name."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def can_make_netns() -> str | None:
    """Why namespaces cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if shutil.which("ip") is None:
        return "needs iproute2 (ip)"
    return None


def ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    """Run `ip [-n NS] ARGS`; its stdout."""
    argv = ["ip"] + (["-n", netns] if netns else []) + list(args)
    result = subprocess.run(argv, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")
    return result.stdout


def ip_batch(netns: str, commands: list[str]) -> None:
    """Run many `ip` commands in one process (`ip -n NS -batch -`)."""
    subprocess.run(
        ["ip", "-n", netns, "-batch", "-"],
        input="\n".join(commands) + "\n",
        text=True,
        check=True,
        capture_output=True,
    )


def wait_operstate(netns: str, names: list[str], state: str = "UP", timeout: float = 5) -> None:
    """Poll until every named link reports ``state``: the kernel's linkwatch applies carrier
    changes asynchronously (up to a second later), so a test must not read them at once."""
    deadline = time.monotonic() + timeout
    while True:
        links = {e["ifname"]: e["operstate"] for e in json.loads(ip("-j", "link", netns=netns))}
        if all(links.get(n) == state for n in names):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{netns}: {names} not {state} after {timeout} s: {links}")
        time.sleep(0.02)


@contextlib.contextmanager
def make_netns(prefix: str = "ifs-") -> Iterator[str]:
    """A fresh namespace named PREFIX + random suffix, with lo up; deleted afterwards."""
    name = f"{prefix}{os.getpid() % 10000}-{secrets.token_hex(3)}"
    ip("netns", "add", name)
    try:
        ip("link", "set", "lo", "up", netns=name)
        yield name
    finally:
        ip("netns", "del", name, check=False)
        Path(f"/run/netns/{name}").unlink(missing_ok=True)


@pytest.fixture
def netns() -> Iterator[str]:
    """A throwaway network namespace (skips without root)."""
    reason = can_make_netns()
    if reason:
        pytest.skip(reason)
    with make_netns("ifsx-") as name:
        yield name


def server_and_client(server: str, client: str) -> None:
    """The admin's view of a server: s0 (192.0.2.1/24) in SERVER joined by a veth pair to
    c0 (192.0.2.2/24) in CLIENT, the admin's machine; both up."""
    ip("link", "add", "s0", "netns", server, "type", "veth", "peer", "name", "c0",
       "netns", client)  # fmt: skip
    ip("addr", "add", "192.0.2.1/24", "dev", "s0", netns=server)
    ip("addr", "add", "192.0.2.2/24", "dev", "c0", netns=client)
    ip("link", "set", "s0", "up", netns=server)
    ip("link", "set", "c0", "up", netns=client)
