"""ifupdown's record of what is up (``/run/network``), kept as ``ifup``/``ifdown`` keep it
when the kernel activator (not ifup) brings a change up.

ifupdown 0.8 writes, per interface it brought up, ``ifstate.IF`` holding the logical
interface (``IF``) and a line ``IF=LOGICAL`` in ``ifstate``; ``ifdown`` empties the first
and drops the line.  An interface missing from it is one ``ifdown`` refuses ("not
configured": a bridge's dhclient and the bridge stay) and ``ifup`` configures again (a
second dhclient).  The transaction saves the files before and restores them at rollback.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator, Sequence
from pathlib import Path

from ifsmith.core.files import write_atomic
from ifsmith.core.host import Host

STATE_DIR = "/run/network"


def state_paths(host: Host, names: Sequence[str]) -> list[Path]:
    """The state files that recording NAMES may change (none where ifupdown keeps no
    state: no /run/network, so no ``networking`` service ran)."""
    d = host.path(STATE_DIR)
    if not d.is_dir():
        return []
    return [d / "ifstate", *(d / f"ifstate.{n}" for n in names)]


@contextlib.contextmanager
def _locked(d: Path) -> Iterator[None]:
    with open(d / ".ifstate.lock", "a") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.lockf(lock, fcntl.LOCK_UN)


def mark(host: Host, up: Sequence[str], down: Sequence[str]) -> list[str]:
    """Record UP as brought up and DOWN as taken down; what changed, one line each."""
    d = host.path(STATE_DIR)
    if not d.is_dir():
        return []
    changed: list[str] = []
    with _locked(d):
        combined = d / "ifstate"
        try:
            lines = combined.read_text().splitlines()
        except FileNotFoundError:
            lines = []
        known = {line.partition("=")[0] for line in lines}
        for name in up:
            if name in known:
                continue
            lines.append(f"{name}={name}")
            write_atomic(d / f"ifstate.{name}", f"{name}\n".encode(), 0o644)
            changed.append(f"{name}: up")
        for name in down:
            if name not in known:
                continue
            lines = [line for line in lines if line.partition("=")[0] != name]
            write_atomic(d / f"ifstate.{name}", b"", 0o644)
            changed.append(f"{name}: down")
        if changed:
            write_atomic(combined, "".join(f"{line}\n" for line in lines).encode(), 0o644)
    return changed
