"""What ``ifsmith.api`` returns: typed, frozen values, each with ``to_json()``.

The JSON comes from ``core.jsondoc``, the functions the command line's ``--json`` uses, so
a value says the same thing the same way in both (docs/json/ has the schemas)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ifsmith.core.host import Host
    from ifsmith.core.model import Interface, LiveHost, LiveLink
    from ifsmith.core.plan import Plan
    from ifsmith.core.txn import Txn


@dataclass(frozen=True)
class InterfaceInfo:
    """One interface: what the kernel runs and what the files define (either may be None)."""

    name: str
    live: LiveLink | None  # None: defined, not running
    definition: Interface | None  # None: running, not defined in the files
    master: str | None  # the defined bond or bridge this interface is a slave/port of
    snapshot: LiveHost | None = field(default=None, repr=False, compare=False)

    @property
    def defined(self) -> bool:
        return self.definition is not None

    def to_json(self) -> dict[str, Any]:
        """name, defined, master, ``live`` (a ``list --json`` entry, or None) and
        ``definition`` (``dumpxml --json``'s definition, or None) with its ``xml``."""
        from ifsmith.core import jsondoc
        from ifsmith.core.xmlio import to_xml

        live = None
        if self.live is not None and self.snapshot is not None:
            live = jsondoc.live_link(self.live, self.snapshot)
        iface = self.definition
        return {
            "name": self.name,
            "defined": iface is not None,
            "master": self.master,
            "live": live,
            "definition": jsondoc.definition(iface) if iface is not None else None,
            "xml": to_xml(iface) if iface is not None else None,
        }


@dataclass(frozen=True)
class FileChange:
    """One file a change writes or removes, with its unified diff."""

    path: str
    change: str  # create | modify | remove
    diff: str

    @property
    def removed(self) -> bool:
        return self.change == "remove"


@dataclass(frozen=True)
class ChangePlan:
    """What a change would do; nothing was changed to compute it."""

    steps: list[str]  # the live operations, as the command line shows them
    files: list[FileChange]
    warnings: list[str]
    probes: list[str]  # the targets that would judge the change (those that answer then)
    backend: str | None  # None: no stack detected, a live change only
    activate: str  # kernel | distro
    interfaces: list[Interface] = field(repr=False)  # the definitions that would be applied
    plan: Plan | None = field(default=None, repr=False)
    document: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def changed(self) -> bool:
        """False when the change would leave the files and the kernel as they are."""
        return bool(self.steps or self.files)

    @property
    def diff(self) -> str:
        """Every file's diff, in one text (``ifsmith diff``'s form)."""
        return "".join(f.diff for f in self.files)

    def to_json(self) -> dict[str, Any]:
        """The fields of the ``planned`` event of ``apply --json`` (steps, warnings,
        files, diff, probes, empty), with the backend and the activation."""
        from ifsmith.core.jsondoc import stamped

        return stamped({**self.document, "backend": self.backend, "activate": self.activate})


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
    document: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

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
        from ifsmith.core.jsondoc import transaction

        doc = transaction(t, host)
        # The status keys are this class's fields; the document keeps the rest.
        known = {f.name for f in fields(cls)} - {"warnings", "document"}
        return cls(**{k: v for k, v in doc.items() if k in known}, document=doc)

    def to_json(self) -> dict[str, Any]:
        """The document ``ifsmith status --json`` prints for this transaction."""
        from ifsmith.core.jsondoc import stamped

        return stamped(self.document)


@dataclass(frozen=True)
class InterfaceCheck:
    """One interface of a check: every difference between its files and the kernel."""

    name: str
    defined: bool
    differences: list[str]

    @property
    def agrees(self) -> bool:
        return not self.differences


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
        from ifsmith.core.jsondoc import check_report

        report = {i.name: i.differences for i in self.interfaces}
        return check_report(report, (i.name for i in self.interfaces if i.defined))
