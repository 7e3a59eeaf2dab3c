"""What ``ifsmith.api`` returns: typed, frozen values, each with ``to_json()`` (a dict of
JSON types, as the command line's ``--json`` prints it where it has one)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ifsmith.core.host import Host
    from ifsmith.core.model import Interface, LiveHost, LiveLink
    from ifsmith.core.plan import Plan
    from ifsmith.core.txn import Txn


def gateways(link: LiveLink, live: LiveHost) -> dict[str, str]:
    """The default gateways through LINK, by family ("ipv4", "ipv6")."""
    return {str(f): g for f, g in live.gateways(link.name).items()}


def live_row(link: LiveLink, gateways: dict[str, str]) -> dict[str, Any]:
    """One running interface as ``list --json`` shows it."""
    return {
        "name": link.name,
        "type": str(link.type),
        "kind": link.kind or ("loopback" if link.is_loopback else "ethernet"),
        "state": str(link.operstate),
        "admin_up": link.admin_up,
        "carrier": link.carrier,
        "mac": link.mac,
        "mtu": link.mtu,
        "master": link.master,
        "parent": link.parent,
        "vlan": link.vlan_tag,
        "speed": link.speed,
        "addresses": [str(a) for a in link.addresses],
        "gateways": dict(gateways),
    }


@dataclass(frozen=True)
class InterfaceInfo:
    """One interface: what the kernel runs and what the files define (either may be None)."""

    name: str
    live: LiveLink | None  # None: defined, not running
    definition: Interface | None  # None: running, not defined in the files
    master: str | None  # the defined bond or bridge this interface is a slave/port of
    gateways: dict[str, str] = field(default_factory=dict)  # default routes through it

    @property
    def defined(self) -> bool:
        return self.definition is not None

    def to_json(self) -> dict[str, Any]:
        from ifsmith.core.xmlio import to_xml

        return {
            "name": self.name,
            "live": live_row(self.live, self.gateways) if self.live is not None else None,
            "defined": self.defined,
            "master": self.master,
            "definition": to_xml(self.definition) if self.definition is not None else None,
        }


@dataclass(frozen=True)
class FileChange:
    """One file a change writes or removes, with its unified diff."""

    path: str
    diff: str
    removed: bool

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "removed": self.removed, "diff": self.diff}


@dataclass(frozen=True)
class ChangePlan:
    """What a change would do; nothing was changed to compute it."""

    steps: list[str]  # the live operations, as the command line shows them
    files: list[FileChange]
    warnings: list[str]
    probes: list[str]  # the targets that would judge the change (those that answer now)
    backend: str | None  # None: no stack detected, a live change only
    activate: str  # kernel | distro
    interfaces: list[Interface] = field(repr=False)  # the definitions that would be applied
    plan: Plan | None = field(default=None, repr=False)

    @property
    def changed(self) -> bool:
        """False when the change would leave the files and the kernel as they are."""
        return bool(self.steps or self.files)

    @property
    def diff(self) -> str:
        """Every file's diff, in one text (``ifsmith diff``'s form)."""
        return "".join(f.diff for f in self.files)

    def to_json(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "steps": list(self.steps),
            "files": [f.to_json() for f in self.files],
            "warnings": list(self.warnings),
            "probes": list(self.probes),
            "backend": self.backend,
            "activate": self.activate,
        }


@dataclass(frozen=True)
class Transaction:
    """A transaction as ``ifsmith status`` sees it."""

    id: str
    state: str  # prepared | applying | applied | committed | rolled-back | failed
    action: str | None  # apply | delete | start | stop | revert
    names: list[str]
    backend: str | None
    created: float | None
    seconds_left: float | None  # of the confirm window, while it is open
    phase: str | None  # settling | confirming (state applied only)
    watchdog: str | None  # of an unfinished transaction: running, dead or unknown
    probes: dict[str, bool]  # target → reachable, at the last probe
    reason: str | None  # why it rolled back
    differences: list[str]  # what a rollback could not restore
    # What starting it warned about (files not understood, values a format cannot carry,
    # boot activation turned off under a session); not part of to_json(), as in status.
    warnings: list[str] = field(default_factory=list, compare=False)

    @property
    def awaiting_confirmation(self) -> bool:
        """The probes passed and the confirm window is open: ``confirm()`` keeps it."""
        return self.state == "applied" and self.phase == "confirming"

    @property
    def committed(self) -> bool:
        return self.state == "committed"

    @property
    def rolled_back(self) -> bool:
        return self.state == "rolled-back"

    @classmethod
    def of(cls, t: Txn, host: Host) -> Transaction:
        from ifsmith.core.txn import FINAL, watchdog_running

        m = t.meta
        running = watchdog_running(host, t)
        watchdog = {True: "running", False: "dead", None: None}[running]
        if running is None and t.state not in FINAL:
            watchdog = "unknown"
        left = None
        if t.state == "applied" and m.get("deadline") and running is not False:
            left = max(0.0, round(float(m["deadline"]) - time.time(), 1))
        return cls(
            id=t.id,
            state=t.state,
            action=m.get("action"),
            names=list(m.get("names", [])),
            backend=m.get("backend"),
            created=m.get("created"),
            seconds_left=left,
            phase=m.get("phase") if t.state == "applied" else None,
            watchdog=watchdog,
            probes=dict(m.get("results", {})),
            reason=m.get("reason"),
            differences=list(m.get("differences", [])),
        )

    def to_json(self) -> dict[str, Any]:
        """The object ``ifsmith status --json`` prints."""
        return {
            "id": self.id,
            "state": self.state,
            "action": self.action,
            "names": list(self.names),
            "backend": self.backend,
            "created": self.created,
            "seconds_left": self.seconds_left,
            "phase": self.phase,
            "watchdog": self.watchdog,
            "probes": dict(self.probes),
            "reason": self.reason,
            "differences": list(self.differences),
        }


@dataclass(frozen=True)
class InterfaceCheck:
    """One interface of a check: every difference between its files and the kernel."""

    name: str
    defined: bool
    differences: list[str]

    @property
    def agrees(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "defined": self.defined, "differences": list(self.differences)}


@dataclass(frozen=True)
class CheckReport:
    """``ifsmith check``: defined versus running."""

    interfaces: list[InterfaceCheck]
    warnings: list[str] = field(default_factory=list)  # lines of the files not understood

    @property
    def agree(self) -> bool:
        return all(i.agrees for i in self.interfaces)

    def to_json(self) -> dict[str, Any]:
        """The document ``ifsmith check --json`` prints."""
        return {
            "schema": 1,
            "agree": self.agree,
            "interfaces": [i.to_json() for i in self.interfaces],
        }
