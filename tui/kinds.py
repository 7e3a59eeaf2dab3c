"""Which kinds of interface this kernel can make: bonds need the ``bonding`` module,
VLANs ``8021q``, bridges ``bridge``.

A kernel without one answers ``ip link add … type bond`` with "Unknown device type" at
apply time.  The TUI says so up front instead of offering the form.  In the sandbox (its
own namespace) ``probe`` asks the kernel itself: it makes one of each and removes it.  On
a real host nothing is made: ``from_modules`` reads what is loaded (/sys/module), built
in or installed (/lib/modules/<release>), and claims nothing where those cannot be read.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ifsmith.core.model import IfType

# The kernel module of each kind, and the `ip link` type that makes one.
MODULES = {IfType.BOND: "bonding", IfType.VLAN: "8021q", IfType.BRIDGE: "bridge"}
PLURAL = {IfType.BOND: "bonds", IfType.VLAN: "VLANs", IfType.BRIDGE: "bridges"}


def reason(kind: IfType) -> str:
    """What the admin reads: "this kernel cannot make bonds (no bonding module: modprobe
    bonding)"."""
    module = MODULES[kind]
    return f"this kernel cannot make {PLURAL[kind]} (no {module} module: modprobe {module})"


def probe(netns: str) -> dict[IfType, str]:
    """The kinds the kernel refuses to make in ``netns`` (a namespace ifsmith made and
    owns, such as the sandbox's), each with ``reason``."""
    missing: dict[IfType, str] = {}
    for kind in MODULES:
        name = f"ifsmith-k{kind.value[:2]}"
        if kind is IfType.VLAN:
            # A VLAN needs a parent: a bridge is the one device every test kernel has.
            setup = [["link", "add", "ifsmith-kpar", "type", "bridge"]]
            add = ["link", "add", "link", "ifsmith-kpar", name, "type", "vlan", "id", "2"]
        else:
            setup = []
            add = ["link", "add", name, "type", "bridge" if kind is IfType.BRIDGE else "bond"]
        try:
            for cmd in setup:
                _ip(netns, cmd)
            made = _ip(netns, add)
        finally:
            for gone in (name, "ifsmith-kpar"):
                _ip(netns, ["link", "del", gone])
        if not made:
            missing[kind] = reason(kind)
    return missing


def _ip(netns: str, args: list[str]) -> bool:
    result = subprocess.run(["ip", "-n", netns, *args], capture_output=True, text=True)
    return result.returncode == 0


def from_modules(
    sys_module: Path = Path("/sys/module"), lib: Path | None = None
) -> dict[IfType, str]:
    """The kinds whose module is neither loaded, built in nor installed; nothing when the
    kernel's module list cannot be read (a container without /lib/modules)."""
    if lib is None:
        lib = Path("/lib/modules") / os.uname().release
    try:
        listed = (lib / "modules.builtin").read_text() + (lib / "modules.dep").read_text()
    except OSError:
        return {}
    missing: dict[IfType, str] = {}
    for kind, module in MODULES.items():
        if (sys_module / module).exists() or f"/{module}.ko" in listed:
            continue
        missing[kind] = reason(kind)
    return missing
