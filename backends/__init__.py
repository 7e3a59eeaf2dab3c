"""The distro backends, found by name.

Each backend is a module with the same contract (see ``Backend``):
``NAME``, ``detect(host)``, ``render(interfaces, existing)``, ``undefine(names, existing)``,
``read(host)`` / ``read_files(existing)`` / ``read_report(existing)``,
``activate(host, names)``; optionally ``dhcp_clients(host, name)`` (see ``DhcpClient``).
Modules are imported only when asked for, so the command line stays fast.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import NamedTuple, Protocol, cast

from ifsmith.backends import options_common
from ifsmith.core.files import FileView, Rendering, RenderWarning, write_atomic
from ifsmith.core.host import Host
from ifsmith.core.model import Family, Interface, LiveHost

# Command-line name → module, in detection order: a daemon's own format before the
# files it may also read (netplan renders for networkd/NM, so it is checked first).
REGISTRY: dict[str, str] = {
    "netplan": "ifsmith.backends.netplan",
    "nm-keyfile": "ifsmith.backends.nm_keyfile",
    "networkd": "ifsmith.backends.networkd",
    "ifcfg-rh": "ifsmith.backends.ifcfg_rh",
    "ifcfg-suse": "ifsmith.backends.ifcfg_suse",
    "ifupdown": "ifsmith.backends.ifupdown",
    "netifrc": "ifsmith.backends.netifrc",
}


class ReadResult(NamedTuple):
    """What a backend's files say, and every line or file it could not use (reported,
    never raised: one malformed file does not hide the others)."""

    interfaces: list[Interface]
    problems: list[str]

    def logged(self, log: logging.Logger) -> list[Interface]:
        """The interfaces, each problem logged as a warning."""
        for problem in self.problems:
            log.warning("%s", problem)
        return self.interfaces


class Backend(Protocol):
    """The contract every backend module keeps."""

    NAME: str

    def detect(self, host: Host) -> bool:
        """Is this the host's active network configuration stack?"""
        ...

    def render(self, interfaces: Sequence[Interface], existing: FileView) -> Rendering:
        """The files for these interfaces, merged into what ``existing`` holds."""
        ...

    def undefine(self, names: Sequence[str], existing: FileView) -> Rendering:
        """Remove the configuration of these interfaces (and of their subordinates)."""
        ...

    def read_files(self, existing: FileView) -> list[Interface]:
        """What the files say, as top-level interfaces (nested like the XML)."""
        ...

    def read_report(self, existing: FileView) -> ReadResult:
        """``read_files`` with the lines and files that could not be used."""
        ...

    def activate(self, host: Host, names: Sequence[str]) -> list[list[str]]:
        """The distro's own commands that make these interfaces match their files."""
        ...


class DhcpClient(NamedTuple):
    """The DHCP client a stack without a daemon runs for one interface and family, as its
    own scripts run it (ifup, ifup-eth, netifrc's modules).  After the kernel activator
    applied a change the transaction starts it for an interface defined with ``<dhcp/>``
    and stops it (never releasing the lease) for one that became a port or slave.  A
    backend whose daemon runs the clients (networkd, NetworkManager) has none."""

    family: Family
    pidfile: Path  # where the client records its pid (under the host's root)
    start: list[str]  # returns once the client runs in the background
    stop: list[str]  # ends it without releasing the lease
    # dhclient's lease file: it keeps there the DUID its client identifier is made of
    # (``default-duid``), one per interface.  None where the identity does not depend on
    # the interface (dhcpcd's DUID is the host's; its IAID comes from the MAC).
    duid_file: Path | None = None

    def running(self) -> bool:
        """Does the process the pid file names still run?"""
        try:
            pid = int(self.pidfile.read_text().split()[0])
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split(") ", 1)[1][:1] != "Z"
        except (OSError, ValueError, IndexError):
            return False


def dhcp_clients(backend: Backend, host: Host, name: str) -> list[DhcpClient]:
    """The backend's DHCP clients for NAME (one per family), or none where its daemon
    (or no client at all) does DHCP."""
    clients = getattr(backend, "dhcp_clients", None)
    if clients is None:
        return []
    return list(clients(host, name))


def dhcp_identity(backend: Backend, host: Host, iface: Interface, live: LiveHost) -> Interface:
    """IFACE with the DHCPv4 client identity (``Protocol.client_id`` / ``iaid``) its
    running client asks with, where its definition names none and the backend's daemon
    derives it from the interface (networkd's IAID): the bridge that takes the NIC's lease
    must ask as the NIC did (core/dhcpid.py)."""
    carry = getattr(backend, "dhcp_identity", None)
    if carry is None:
        return iface
    return cast(Interface, carry(host, iface, live))


def identity_warnings(
    backend: Backend, interfaces: Sequence[Interface]
) -> tuple[RenderWarning, ...]:
    """A DHCP client identity (``ifsmith:client-id`` / ``ifsmith:iaid``) the backend's
    files cannot hold: only networkd and NetworkManager write one (``WRITES_DHCP_IDENTITY``);
    elsewhere it is named, not dropped silently."""
    if getattr(backend, "WRITES_DHCP_IDENTITY", False):
        return ()
    out = []
    for top in interfaces:
        for iface, _master in top.walk():
            for p in iface.protocols:
                said = [f"{k} {v}" for k, v in (("client-id", p.client_id), ("iaid", p.iaid)) if v]
                if said:
                    out.append(RenderWarning(
                        iface.name,
                        f"the DHCP client identity ({', '.join(said)}) is not written: "
                        f"{backend.NAME}'s files cannot say it",
                        backend.NAME,
                    ))  # fmt: skip
    return tuple(out)


def carry_duid(heir: DhcpClient, donor: DhcpClient) -> bool:
    """Give HEIR's dhclient the DUID of DONOR's: with the same MAC it then sends the same
    client identifier, so the server renews the same lease for the bridge or bond that
    took over the NIC (and ``ifup`` of it at the next boot asks for it again).  True when
    a DUID was carried."""
    if heir.duid_file is None or donor.duid_file is None:
        return False
    try:
        donated = [
            line for line in donor.duid_file.read_bytes().splitlines(keepends=True)
            if line.startswith(b"default-duid ")
        ]  # fmt: skip
    except FileNotFoundError:
        return False
    if not donated:
        return False
    try:
        kept = [
            line for line in heir.duid_file.read_bytes().splitlines(keepends=True)
            if not line.startswith(b"default-duid ")
        ]  # fmt: skip
    except FileNotFoundError:
        kept = []
    heir.duid_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(heir.duid_file, donated[-1] + b"".join(kept), 0o644)
    return True


class UnknownBackend(LookupError):
    pass


def get(name: str) -> Backend:
    """A backend module by its command-line name."""
    try:
        module_name = REGISTRY[name]
    except KeyError:
        known = ", ".join(REGISTRY)
        raise UnknownBackend(f"unknown backend {name!r} (known: {known})") from None
    module: ModuleType = importlib.import_module(module_name)
    return cast(Backend, module)


# What a backend may declare in ``CARRIES`` beyond libvirt's XML (ifsmith: extensions).
# "bond-options"/"bridge-options"/"bridge-vlans" (or one "option:<kernel name>" each):
# backends.options_common.
EXTENSIONS = ("routes", "dns", "bond-options", "bridge-options", "bridge-vlans")


def render(backend: Backend, interfaces: Sequence[Interface], existing: FileView) -> Rendering:
    """``backend.render``, and a warning naming every route and DNS setting the backend
    does not write (it declares what it does in ``CARRIES``) and every DHCP client identity
    it cannot hold (``WRITES_DHCP_IDENTITY``): nothing goes silently."""
    rendering = backend.render(interfaces, existing)
    carries = frozenset(getattr(backend, "CARRIES", ()))
    lost: list[RenderWarning] = []
    for top in interfaces:
        if "dns" not in carries and top.dns:
            what = " ".join([*top.dns.servers, *(f"search {d}" for d in top.dns.search)])
            lost.append(RenderWarning(top.name, f"DNS ({what}) not written: {backend.NAME} does"
                                      " not carry resolver settings", backend.NAME))  # fmt: skip
        if "routes" not in carries:
            for proto in top.protocols:
                for route in proto.routes:
                    lost.append(RenderWarning(top.name, f"route {route} not written:"
                                              f" {backend.NAME} does not carry static routes",
                                              backend.NAME))  # fmt: skip
    lost.extend(identity_warnings(backend, interfaces))
    for owner, message in options_common.lost_options(backend.NAME, carries, interfaces):
        lost.append(RenderWarning(owner, message, backend.NAME))
    if not lost:
        return rendering
    return dataclasses.replace(rendering, warnings=(*rendering.warnings, *lost))


def available() -> list[str]:
    """Names of the backends whose module is present."""
    names = []
    for name, module_name in REGISTRY.items():
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        names.append(name)
    return names


def detect(host: Host) -> str | None:
    """The name of the host's active stack, or None when no backend recognises it."""
    for name in available():
        if get(name).detect(host):
            return name
    return None
