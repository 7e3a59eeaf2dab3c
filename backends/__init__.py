"""The distro backends, found by name.

Each backend is a module with the same contract (see ``Backend``):
``NAME``, ``detect(host)``, ``render(interfaces, existing)``, ``undefine(names, existing)``,
``read(host)`` / ``read_files(existing)`` / ``read_report(existing)``,
``activate(host, names)``.
Modules are imported only when asked for, so the command line stays fast.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from types import ModuleType
from typing import NamedTuple, Protocol, cast

from ifsmith.core.files import FileView, Rendering
from ifsmith.core.host import Host
from ifsmith.core.model import Interface

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
