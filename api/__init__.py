"""ifsmith's Python API: the command line's operations as functions, on the same core.

Every function takes the command line's global options as keywords: ``root`` (a
filesystem root, default /), ``netns`` (an ``ip netns`` name), or a ready ``host``
(``ifsmith.core.host.Host``); the ones that read or write files take ``backend``
(a backend name or ``"auto"``, the detected stack).  Nothing runs ifsmith as a
subprocess except the watchdog, which every change needs.

Results are frozen dataclasses (``ifsmith.api.results``) with ``to_json()``.  Refusals
raise an ``IfsmithError`` subclass (``ifsmith.api.errors``) carrying the message the
command line prints; when one is raised, nothing was changed.  A change that rolled back
is not an exception: the returned Transaction says ``rolled-back`` and why.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ifsmith.api.errors import (
    BackendError,
    IfsmithError,
    InvalidDefinition,
    NeedsRoot,
    NoSuchInterface,
    PlanError,
    Refused,
    TransactionError,
)
from ifsmith.api.results import (
    ChangePlan,
    CheckReport,
    FileChange,
    InterfaceCheck,
    InterfaceInfo,
    Transaction,
)
from ifsmith.core.host import Host

if TYPE_CHECKING:
    from ifsmith.api.change import Change
    from ifsmith.core.model import Interface, LiveHost
    from ifsmith.core.probe import Target
    from ifsmith.core.txn import Request, Txn

__all__ = [
    "BackendError",
    "ChangePlan",
    "CheckReport",
    "FileChange",
    "IfsmithError",
    "InterfaceCheck",
    "InterfaceInfo",
    "InvalidDefinition",
    "NeedsRoot",
    "NoSuchInterface",
    "PlanError",
    "Refused",
    "Transaction",
    "TransactionError",
    "apply",
    "check",
    "confirm",
    "definition",
    "delete",
    "history",
    "list_interfaces",
    "plan",
    "rollback",
    "status",
]

Xml = str | bytes | os.PathLike[str]
"""Interface XML: the document's text (str or bytes), or a path to a file holding it."""


def _host(root: str | os.PathLike[str] | None, netns: str | None, host: Host | None) -> Host:
    if host is not None:
        if root is not None or netns is not None:
            raise TypeError("give either host= or root=/netns=, not both")
        return host
    return Host.from_options(os.fspath(root) if root is not None else None, netns)


ACTIVATE = ("auto", "kernel", "distro")


def _activate(choice: str) -> str:
    if choice not in ACTIVATE:
        raise Refused(f"activate must be one of {', '.join(ACTIVATE)}, not {choice!r}")
    return choice


def require_root() -> None:
    """NeedsRoot unless this process may change the network."""
    from ifsmith.core.host import root_check_skipped

    if os.geteuid() != 0 and not root_check_skipped():
        raise NeedsRoot("changing the network needs root (try sudo); nothing was changed")


# ---------------------------------------------------------------------------------------
# Reading: nothing here changes the host.


def list_interfaces(
    *,
    root: str | os.PathLike[str] | None = None,
    netns: str | None = None,
    host: Host | None = None,
    backend: str = "auto",
    loopback: bool = False,
) -> list[InterfaceInfo]:
    """Every interface the kernel runs or the files define (``list`` and ``list
    --inactive`` together): running ones in the kernel's order, then defined-only ones.
    With ``backend="auto"`` and no stack detected, only the running ones."""
    from ifsmith.api.stack import host_definitions
    from ifsmith.core.live import snapshot

    h = _host(root, netns, host)
    defined, warnings = host_definitions(h, backend)
    _log(warnings)
    live = snapshot(h)
    found: dict[str, tuple[Interface, str | None]] = {}
    for top in defined:
        for sub, parent in top.walk():
            found.setdefault(sub.name, (sub, parent.name if parent else None))
    out = []
    for link in live.links:
        if link.is_loopback and not loopback and link.name not in found:
            continue
        iface: Interface | None = None
        master: str | None = None
        if link.name in found:
            iface, master = found.pop(link.name)
        out.append(InterfaceInfo(link.name, link, iface, master, live))
    out += [InterfaceInfo(name, None, i, m) for name, (i, m) in found.items()]
    return out


def definition(
    name: str,
    *,
    root: str | os.PathLike[str] | None = None,
    netns: str | None = None,
    host: Host | None = None,
    backend: str = "auto",
) -> Interface | None:
    """The interface NAME as the files define it (``dumpxml --inactive``), or None.
    A subordinate (a bond's slave, a bridge's port) is found too."""
    from ifsmith.api.stack import read_definitions
    from ifsmith.core.definition import find

    defined, warnings = read_definitions(_host(root, netns, host), backend)
    _log(warnings)
    found = find(defined, name)
    return found[0] if found is not None else None


def check(
    names: Iterable[str] = (),
    *,
    root: str | os.PathLike[str] | None = None,
    netns: str | None = None,
    host: Host | None = None,
    backend: str = "auto",
) -> CheckReport:
    """``ifsmith check``: per interface (only NAMES when given), what the files define
    against what runs.  NoSuchInterface for a name neither defined nor running."""
    from ifsmith.api.stack import host_definitions
    from ifsmith.core.live import snapshot

    h = _host(root, netns, host)
    defined, warnings = host_definitions(h, backend)
    report = drift_report(defined, snapshot(h), names)
    tops = {t.name for t in defined}
    return CheckReport(
        [InterfaceCheck(n, n in tops, d) for n, d in report.items()], warnings=warnings
    )


def drift_report(
    defined: Sequence[Interface], live: LiveHost, names: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Per interface (only those of NAMES when given), every difference between its
    definition and what runs; running interfaces without one too.  NoSuchInterface for a
    name neither defined nor running."""
    from ifsmith.core.jsondoc import drift_report as report_of

    wanted = set(names)
    known = {i.name for top in defined for i, _m in top.walk()} | {lnk.name for lnk in live.links}
    missing = sorted(wanted - known)
    if missing:
        raise NoSuchInterface(f"no interface named {', '.join(missing)}, defined or running")
    return report_of(defined, live, wanted)


def plan(
    xml: Xml,
    *,
    root: str | os.PathLike[str] | None = None,
    netns: str | None = None,
    host: Host | None = None,
    backend: str = "auto",
    activate: str = "auto",
    probes: Sequence[str] = (),
    auto_probes: bool = True,
) -> ChangePlan:
    """What ``apply(xml)`` would do: the live operations, each file's diff, the warnings
    and the probe targets.  Nothing is changed (no root needed).  InvalidDefinition for
    a bad document, BackendError for a backend that cannot be used."""
    from ifsmith.api.change import probe_targets

    h = _host(root, netns, host)
    change, warnings = _prepare_apply(h, xml, backend, _activate(activate))
    targets = probe_targets(h, change.before, probes, auto_probes) if not change.is_empty else []
    return _plan_of(h, change, warnings, targets)


# ---------------------------------------------------------------------------------------
# Changing: each change is a transaction the watchdog guards, as on the command line.


def apply(
    xml: Xml,
    *,
    root: str | os.PathLike[str] | None = None,
    netns: str | None = None,
    host: Host | None = None,
    backend: str = "auto",
    activate: str = "auto",
    probes: Sequence[str] = (),
    auto_probes: bool = True,
    confirm_timeout: float = 30.0,
    settle: float = 2.0,
    wait: bool = True,
) -> Transaction | None:
    """Apply interface XML as ``ifsmith apply --yes`` does; None when there is nothing
    to change (no transaction).

    ``probes``: HOST or HOST:PORT targets judged beside the discovered ones (gateways,
    ssh clients, DNS servers; not with ``auto_probes=False``).  ``confirm_timeout``: the
    seconds ``confirm()`` has once the probes pass (0: committed as soon as they pass).
    ``wait``: return once the change is decided — committed, rolled back, or (with a
    confirm window) applied with the probes passed, waiting for ``confirm()``; with
    ``wait=False``, as soon as the watchdog has started."""
    from ifsmith.api.change import probe_targets

    require_root()
    h = _host(root, netns, host)
    change, warnings = _prepare_apply(h, xml, backend, _activate(activate), settle)
    _log([*warnings, *change.notes])
    if change.is_empty:
        return None
    targets = probe_targets(h, change.before, probes, auto_probes)
    return _start(h, change.request(targets, confirm_timeout), change.before, wait, warnings)


def delete(
    names: Iterable[str],
    *,
    root: str | os.PathLike[str] | None = None,
    netns: str | None = None,
    host: Host | None = None,
    backend: str = "auto",
    probes: Sequence[str] = (),
    auto_probes: bool = True,
    confirm_timeout: float = 30.0,
    settle: float = 2.0,
    wait: bool = True,
) -> Transaction | None:
    """``ifsmith delete``: remove the interfaces' files and the live bond, bridge or VLAN
    (an ethernet is unconfigured and taken down), as a guarded transaction; options as
    for ``apply``.  Refused (nothing changed) for a name neither defined nor running, the
    loopback, or a device whose VLANs are not named too."""
    from ifsmith.api.change import probe_targets

    require_root()
    h = _host(root, netns, host)
    change, warnings = _prepare_delete(h, list(names), backend, settle)
    _log([*warnings, *change.notes])
    if change.is_empty:
        return None
    targets = probe_targets(h, change.before, probes, auto_probes)
    return _start(h, change.request(targets, confirm_timeout), change.before, wait, warnings)


def confirm(
    *,
    root: str | os.PathLike[str] | None = None,
    netns: str | None = None,
    host: Host | None = None,
) -> Transaction:
    """Keep the change waiting for confirmation; the final Transaction (``committed``,
    or ``rolled-back`` when the window had closed).  TransactionError when nothing waits."""
    from ifsmith.core import txn as txnmod

    require_root()
    h = _host(root, netns, host)
    return Transaction.of(txnmod.wait_final(txnmod.request_confirm(h)), h)


def rollback(
    to: str | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    netns: str | None = None,
    host: Host | None = None,
    probes: Sequence[str] = (),
    auto_probes: bool = True,
    confirm_timeout: float = 30.0,
    settle: float = 2.0,
    wait: bool = True,
) -> Transaction:
    """Without ``to``: roll back the pending change; its final Transaction (``committed``
    when a confirm got there first).  With ``to=ID``: restore the state from before the
    committed transaction ID (it and every later one are undone) as a guarded change of
    its own, options as for ``apply``; the revert's Transaction."""
    from ifsmith.api.change import probe_targets
    from ifsmith.core import txn as txnmod

    require_root()
    h = _host(root, netns, host)
    if to is None:
        return Transaction.of(txnmod.wait_final(txnmod.request_rollback(h)), h)
    change, request = prepare_revert(h, to, settle)
    targets = probe_targets(h, change.before, probes, auto_probes)
    request = dataclasses.replace(request, confirm_timeout=confirm_timeout,
                                  probes=[t.to_json() for t in targets])  # fmt: skip
    return _start(h, request, change.before, wait, [])


def status(
    *,
    root: str | os.PathLike[str] | None = None,
    netns: str | None = None,
    host: Host | None = None,
) -> Transaction | None:
    """The pending transaction, else the last one; None when there is none."""
    from ifsmith.core import txn as txnmod

    h = _host(root, netns, host)
    _log(txnmod.quarantined(h))
    txns = txnmod.all_txns(h)
    current = txnmod.pending(h) or (txns[-1] if txns else None)
    return Transaction.of(current, h) if current is not None else None


def history(
    *,
    root: str | os.PathLike[str] | None = None,
    netns: str | None = None,
    host: Host | None = None,
) -> list[Transaction]:
    """Every transaction the journal keeps, oldest first."""
    from ifsmith.core import txn as txnmod

    h = _host(root, netns, host)
    _log(txnmod.quarantined(h))
    return [Transaction.of(t, h) for t in txnmod.all_txns(h)]


# ---------------------------------------------------------------------------------------
# Shared with the command line.


def read_xml(xml: Xml) -> tuple[bytes | str, str]:
    """The document and the name its messages use: a path's text, or the text itself."""
    if isinstance(xml, str | bytes):
        return xml, "<xml>"
    path = Path(xml)
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise InvalidDefinition(f"{path}: {exc.strerror}") from None


def _prepare_apply(
    host: Host, xml: Xml, backend: str, activate: str, settle: float = 2.0
) -> tuple[Change, list[str]]:
    """The change an apply of XML would make, and every warning on the way."""
    from ifsmith.api.stack import checked, host_definitions

    data, source = read_xml(xml)
    desired, warnings = checked(data, source, host)
    defined, more = host_definitions(host, backend)
    change = prepare_apply(host, desired, defined, backend, activate, settle)
    return change, [*warnings, *more, *change.file_warnings]


def prepare_apply(
    host: Host,
    desired: list[Interface],
    defined: list[Interface],
    backend: str,
    activate: str,
    settle: float,
    remove: Sequence[str] = (),
) -> Change:
    """``apply``'s change: what the document is silent about keeps what the files
    (DEFINED) say; every device of the definitions, subordinates too, is involved."""
    from ifsmith.api.change import all_names, prepare
    from ifsmith.core.definition import keep_defined

    desired = keep_defined(desired, defined)
    return prepare(host, "apply", desired, all_names(desired), remove=remove,
                   defined=defined, backend=backend, activate=activate,
                   settle=settle)  # fmt: skip


def _prepare_delete(
    host: Host, names: list[str], backend: str, settle: float
) -> tuple[Change, list[str]]:
    """``delete``'s change (Refused: nothing changed), and its warnings."""
    from ifsmith.api.change import deletable, prepare
    from ifsmith.api.stack import host_definitions
    from ifsmith.core.live import snapshot

    names = list(dict.fromkeys(names))
    live = snapshot(host)
    defined, warnings = host_definitions(host, backend)
    warnings += deletable(host, names, defined, live)
    # The kernel activator removes the devices: a daemon's reload would not delete a
    # device whose file is gone (networkd keeps netdevs).
    change = prepare(host, "delete", [], names, remove=names, defined=defined,
                     backend=backend, activate="kernel", settle=settle)  # fmt: skip
    return change, [*warnings, *change.file_warnings]


def prepare_revert(host: Host, txn_id: str, settle: float) -> tuple[Change, Request]:
    """``rollback --to ID``: the revert as a Change (the state now, its plan and diff)
    and its request (no probes yet, the default confirm window)."""
    from ifsmith.api.change import Change
    from ifsmith.core import txn as txnmod
    from ifsmith.core.files import HostFiles, unified_diff
    from ifsmith.core.live import snapshot

    todo = txnmod.revert_of(host, txn_id)
    before = snapshot(host)
    target = todo.target.before()
    steps = txnmod.revert_plan(target, before, todo.names)
    diff = unified_diff(todo.rendering, HostFiles(host)) if todo.rendering is not None else ""
    change = Change("revert", todo.names, [], [], before, steps, todo.rendering, todo.backend,
                    diff, activate=todo.activate, settle=settle)  # fmt: skip
    request = txnmod.Request(
        action="revert",
        names=todo.names,
        rendering=todo.rendering,
        backend=todo.backend,
        activate=todo.activate,
        settle=settle,
        reverts=[t.id for t in todo.undone],
        restore_to=target,
    )
    return change, request


def _start(
    host: Host, request: Request, before: LiveHost, wait: bool, warnings: list[str]
) -> Transaction:
    from ifsmith.core import txn as txnmod

    txn = txnmod.begin(host, request, before)
    if wait:
        txn = txnmod.wait_final(txn, until=decided)
    else:
        txn.load()
    result = Transaction.of(txn, host)
    return dataclasses.replace(result, warnings=warnings) if warnings else result


def decided(t: Txn) -> bool:
    """Far enough for a caller that confirms itself: the probes passed and the confirm
    window is open (a change with no window is followed to its commit)."""
    return (
        t.state == "applied"
        and bool(t.meta.get("probes_ok"))
        and float(t.meta.get("confirm_timeout", 30.0)) > 0
    )


def _plan_of(host: Host, change: Change, warnings: list[str], targets: list[Target]) -> ChangePlan:
    from ifsmith.core.files import HostFiles
    from ifsmith.core.jsondoc import plan as plan_fields

    warnings = [*warnings, *(f"warning: {w}" for w in change.warnings)]
    doc = plan_fields(change.plan, rendering=change.rendering, files=HostFiles(host),
                      warnings=warnings, probes=targets)  # fmt: skip
    return ChangePlan(
        steps=[step["text"] for step in doc["steps"]],
        files=[FileChange(f["path"], f["change"], f["diff"]) for f in doc["files"]],
        warnings=warnings,
        probes=[str(t) for t in targets],
        backend=change.backend,
        activate=change.activate,
        interfaces=change.desired,
        plan=change.plan,
        document=doc,
    )


def _log(lines: Iterable[str]) -> None:
    """Warnings without a result to carry them go to the ``ifsmith.api`` logger."""
    import logging

    log = logging.getLogger("ifsmith.api")
    for line in lines:
        log.warning("%s", line)
