"""ifsmith's machine interface: every value a ``--json`` command prints, as plain dicts.

One place turns the model into JSON-able values (str, int, float, bool, None, lists and
dicts of them), so the command line, the Python API and the Ansible facts say the same
thing the same way.  Every document and every progress event carries ``"schema": 1``
(``SCHEMA``); docs/json/ holds a JSON Schema for each kind.  A change that would break a
reader (a key renamed or removed, a type changed) raises ``SCHEMA``; new keys do not.

The functions are pure but for ``transaction``, which reads the journal's file list and
asks whether the watchdog still runs.  Heavy modules (the model's users, the transaction
engine) are imported only where a function needs them: ``list --json`` stays fast.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ifsmith.core.checks import Problem
    from ifsmith.core.files import FileView, Rendering
    from ifsmith.core.host import Host
    from ifsmith.core.model import Interface, LiveHost, LiveLink
    from ifsmith.core.plan import Op, Plan
    from ifsmith.core.probe import Target
    from ifsmith.core.txn import Txn

SCHEMA = 1

# What a JSON document holds; Any because JSON nests.
Json = dict[str, Any]

# The progress events of the commands that wait (apply, delete, iface-bridge, rollback),
# in the order they can come.  A stream ends with one of FINAL_EVENTS or an error object.
EVENTS = (
    "planned",  # the plan, the file diff, the probe targets, warnings
    "unchanged",  # nothing to change: the stream ends here (exit 0)
    "declined",  # the admin answered no: nothing changed (exit 1)
    "started",  # the checkpoint is made and the watchdog runs: the transaction id
    "probe",  # one probe target answered or not (each change of its result)
    "applied",  # applied and the probes pass: waiting for confirmation
    "committed",  # kept (exit 0)
    "rolled-back",  # undone, with the reason (exit 3)
)
FINAL_EVENTS = ("unchanged", "declined", "committed", "rolled-back")


def stamped(body: Mapping[str, Any]) -> Json:
    """BODY as a document: ``"schema"`` first, then its keys."""
    return {"schema": SCHEMA, **body}


def event(kind: str, **fields: Any) -> Json:
    """One progress event (a JSON line): schema, ``event`` (one of EVENTS), ``time`` (Unix
    seconds) and the event's own fields."""
    if kind not in EVENTS:
        raise ValueError(f"not a progress event: {kind}")
    return {"schema": SCHEMA, "event": kind, "time": round(time.time(), 3), **fields}


# ---------------------------------------------------------------------------------------
# Errors.

# "file.xml:7: <bond>: ..." (the XML reader) and "eth0 (line 7): ..." (the checks).
_LINE_PATTERNS = (re.compile(r"^[^\n]*?:(\d+): "), re.compile(r"\(line (\d+)\)"))


def error(message: str, line: int | None = None) -> Json:
    """The error document: ``{"schema": 1, "error": {"message": ..., "line": ...}}``.

    ``line`` is the line of the input document the error names, when it names one; without
    it, the first line number the message gives (``file.xml:7:`` or ``(line 7)``)."""
    if line is None:
        for pattern in _LINE_PATTERNS:
            found = pattern.search(message)
            if found:
                line = int(found.group(1))
                break
    return stamped({"error": {"message": message, "line": line}})


def problem(p: Problem) -> Json:
    """One finding of ``core.checks.check``: interface, message, line, severity."""
    return {"interface": p.interface, "message": p.message, "line": p.line,
            "severity": p.severity}  # fmt: skip


# ---------------------------------------------------------------------------------------
# Live interfaces (what the kernel runs).


def live_link(link: LiveLink, live: LiveHost) -> Json:
    """One link as the kernel runs it (an entry of ``list --json``): name, libvirt type,
    kernel kind, operstate, admin_up, carrier, mac, mtu, master, parent, vlan tag, speed
    (Mbit/s), addresses (with prefix, every scope), default gateways by family, the VLANs
    of a bridge or bridge port (None where the kernel filters none) and the notes on what
    of them the XML cannot say."""
    from ifsmith.core.live import link_vlan_notes

    vlans = link.vlans
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
        "gateways": {str(f): g for f, g in live.gateways(link.name).items()},
        "vlans": (
            {"tagged": vlans.tagged, "untagged": vlans.untagged, "pvid": vlans.pvid}
            if vlans is not None
            else None
        ),
        "vlan_notes": link_vlan_notes(live, link),
    }


def live_interfaces(live: LiveHost, *, loopback: bool = False) -> Json:
    """The ``list --json`` document: ``{"schema": 1, "interfaces": [live_link...]}``,
    the loopback interface only when asked."""
    links = [lnk for lnk in live.links if loopback or not lnk.is_loopback]
    return stamped({"interfaces": [live_link(lnk, live) for lnk in links]})


# ---------------------------------------------------------------------------------------
# Definitions (what the configuration files, or an XML document, say).


def definition(iface: Interface) -> Json:
    """An interface definition, nested as the XML nests it (a bond's slaves, a bridge's
    ports): every field of ``core.model.Interface`` that is set, by its model name.

    Unset values (None, empty lists, no options) are left out; enums are their XML words;
    ``bond.options``, ``bridge.options`` and ``port_options`` map kernel option names to
    values.  Source line numbers are not part of a definition."""
    out = _plain(iface)
    assert isinstance(out, dict)
    return out


def _plain(value: Any) -> Any:
    """A model value as JSON: dataclasses as dicts without the unset fields."""
    from ifsmith.core.options import BondOptions, BridgeOptions, PortOptions

    if isinstance(value, BondOptions | BridgeOptions | PortOptions):
        return {spec.field: v for spec, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if f.name == "line" or v is None or v == () or (_is_options(v) and not v):
                continue
            out[f.name] = _plain(v)
        return out
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _is_options(value: Any) -> bool:
    from ifsmith.core.options import BondOptions, BridgeOptions, PortOptions

    return isinstance(value, BondOptions | BridgeOptions | PortOptions)


def definition_rows(defined: Sequence[Interface]) -> Json:
    """The ``list --inactive --json`` document: one row per defined device, nested ones
    included: name, type, start (the top level's start mode, "" when unset), master, and
    addresses (static ones with prefix, ``ipv4:dhcp``/``ipv6:dhcp`` for DHCP)."""
    rows = []
    for top in defined:
        for iface, master in top.walk():
            addresses = [str(a) for p in iface.protocols for a in p.addresses]
            dynamic = [f"{p.family}:dhcp" for p in iface.protocols if p.dhcp]
            rows.append(
                {
                    "name": iface.name,
                    "type": str(iface.type),
                    "start": str(top.start_mode or ""),
                    "master": master.name if master else None,
                    "addresses": addresses + dynamic,
                }
            )
    return stamped({"definitions": rows})


def interface_document(
    name: str,
    xml: str,
    iface: Interface,
    *,
    defined: bool | None,
    note: str | None = None,
    link: Json | None = None,
) -> Json:
    """The ``dumpxml --json`` document: the interface's XML (exactly what ``dumpxml``
    prints without the comment), the same as a ``definition``, whether the files define it
    (None: not looked at, ``--live``), the note on its running state, and the live link
    (``live_link``) or None when the kernel does not run it (or it was not looked at)."""
    return stamped({"name": name, "xml": xml, "defined": defined, "note": note,
                    "definition": definition(iface), "live": link})  # fmt: skip


def dumpxml_document(defined: Sequence[Interface], live: LiveHost, name: str) -> Json:
    """What ``dumpxml NAME`` shows, as ``interface_document``: the files' definition
    (else one derived from the live state, leases as DHCP) with the live link state, the
    note on what runs, and the live link.  ``IfsmithError`` when NAME is neither defined
    nor running, ``XmlError`` for a name XML cannot carry."""
    from ifsmith.core import definition as defs
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.xmlio import to_xml

    iface = defs.definition_of(defined, live, name)
    if iface is None:
        raise IfsmithError(f"no interface named {name}, defined or running")
    has = defs.find(defined, name) is not None
    note = defs.running_note(name, live)
    if not has:
        note = f"{note}; no definition in the files: derived from the live state"
    shown = defs.with_live(iface, live)
    link = live.link(name)
    return interface_document(name, to_xml(shown), shown, defined=has, note=note or None,
                              link=live_link(link, live) if link is not None else None)  # fmt: skip


# ---------------------------------------------------------------------------------------
# Drift: definitions against the kernel.


def drift_report(
    defined: Sequence[Interface], live: LiveHost, names: Iterable[str] = ()
) -> dict[str, list[str]]:
    """What ``check`` reports, per interface: each defined top-level interface (with its
    subordinates' differences) and each one that runs without a definition, mapped to its
    differences (one sentence each; empty: it agrees).  NAMES limits it to those
    interfaces (a top level is in when any of its devices is named)."""
    from ifsmith.core import definition as defs

    wanted = set(names)
    report: dict[str, list[str]] = {}
    for top in defined:
        devices = {i.name for i, _m in top.walk()}
        if not wanted or wanted & devices:
            report[top.name] = defs.drift(top, live)
    for line in defs.undefined_running(defined, live):
        name = line.split(":", 1)[0]
        if not wanted or name in wanted:
            report.setdefault(name, []).append(line)
    return report


def check_report(report: Mapping[str, Sequence[str]], defined: Iterable[str]) -> Json:
    """The ``check --json`` document: ``agree`` (no difference anywhere) and, per
    interface, whether the files define it and its differences (one sentence each)."""
    tops = set(defined)
    return stamped({
        "agree": not any(report.values()),
        "interfaces": [
            {"name": n, "defined": n in tops, "differences": list(d)} for n, d in report.items()
        ],
    })  # fmt: skip


# ---------------------------------------------------------------------------------------
# Plans and file diffs.


def step(op: Op) -> Json:
    """One live operation of a plan: ``op`` (its kind, e.g. ``create-link``), the
    ``interface`` it changes and ``text``, the sentence the text output shows."""
    kind = re.sub(r"(?<!^)(?=[A-Z])", "-", type(op).__name__).lower()
    return {"op": kind, "interface": op.name, "text": op.describe()}


def file_changes(rendering: Rendering | None, files: FileView) -> list[Json]:
    """Per file a rendering changes (unchanged ones left out): path, ``change`` (create,
    modify or remove) and its unified diff against what ``files`` holds now."""
    if rendering is None:
        return []
    from ifsmith.core.files import Rendering, unified_diff

    out = []
    for path in rendering.touched:
        old, new = files.read(path), rendering.files.get(path)
        if old == new:
            continue
        one = Rendering(
            rendering.backend,
            files={path: new} if new is not None else {},
            removed=frozenset() if new is not None else frozenset({PurePosixPath(path)}),
        )
        change = "create" if old is None else "remove" if new is None else "modify"
        out.append({"path": str(path), "change": change, "diff": unified_diff(one, files)})
    return out


def file_diff(rendering: Rendering, files: FileView, warnings: Sequence[str] = ()) -> Json:
    """The ``diff --json`` document: the backend, each changed file (``file_changes``),
    the whole unified diff as ``diff`` prints it, and what the format could not carry."""
    from ifsmith.core.files import unified_diff

    return stamped({
        "backend": rendering.backend,
        "files": file_changes(rendering, files),
        "diff": unified_diff(rendering, files),
        "warnings": list(warnings),
    })  # fmt: skip


def target(t: Target) -> Json:
    """A probe target: ``target`` (as results name it), address, port (None: ICMP) and
    why it is judged (gateway, ssh client, dns, given)."""
    return {"target": str(t), "address": t.address, "port": t.port, "why": t.why}


def plan(
    p: Plan,
    *,
    rendering: Rendering | None = None,
    files: FileView | None = None,
    warnings: Sequence[str] = (),
    probes: Sequence[Target] = (),
) -> Json:
    """A change before it is made (the ``planned`` event's fields): the live ``steps``,
    ``warnings``, the changed ``files`` with their ``diff`` (when a rendering and the
    current files are given), the probe targets, and ``empty`` when nothing would change."""
    changes = file_changes(rendering, files) if files is not None else []
    return {
        "steps": [step(op) for op in p.operations],
        "warnings": list(warnings),
        "files": changes,
        "diff": "".join(c["diff"] for c in changes),
        "probes": [target(t) for t in probes],
        "empty": p.is_empty and not changes,
    }


# ---------------------------------------------------------------------------------------
# Transactions.

# The journal's timestamps (Unix seconds), by what happened then.
_TIMES = ("created", "applied", "probes_passed", "committed", "rolled_back", "updated")


def transaction(txn: Txn, host: Host, now: float | None = None) -> Json:
    """One transaction (``status --json``, entries of ``history --json``, the final
    events): id, state, action, names, backend, created, seconds_left (the confirm
    countdown), phase (settling | confirming while applied), watchdog (running | dead |
    unknown while unfinished), probes (target -> reachable), reason, differences (what a
    rollback could not restore) — the keys ``status --json`` always had — and: remove,
    activate, confirm_timeout, settle, deadline, rollback_seconds, reverts, times (every
    timestamp the journal holds) and files (each file it writes or removes: path, existed,
    removed)."""
    from ifsmith.core.txn import FINAL, watchdog_running

    m = txn.meta
    now = time.time() if now is None else now
    running = watchdog_running(host, txn)
    watchdog = {True: "running", False: "dead", None: None}[running]
    if running is None and txn.state not in FINAL:
        watchdog = "unknown"
    left = None
    if txn.state == "applied" and m.get("deadline") and running is not False:
        left = max(0.0, round(float(m["deadline"]) - now, 1))
    return {
        "id": txn.id,
        "state": txn.state,
        "action": m.get("action"),
        "names": list(m.get("names", [])),
        "backend": m.get("backend"),
        "created": m.get("created"),
        "seconds_left": left,
        "phase": m.get("phase") if txn.state == "applied" else None,
        "watchdog": watchdog,
        "probes": dict(m.get("results", {})),
        "reason": m.get("reason"),
        "differences": list(m.get("differences", [])),
        "remove": list(m.get("remove", [])),
        "activate": m.get("activate"),
        "confirm_timeout": m.get("confirm_timeout"),
        "settle": m.get("settle"),
        "deadline": m.get("deadline"),
        "rollback_seconds": m.get("rollback_seconds"),
        "reverts": list(m.get("reverts", [])),
        "times": {k: m[k] for k in _TIMES if m.get(k) is not None},
        "files": _journal_files(txn),
    }


def _journal_files(txn: Txn) -> list[Json]:
    """The files a transaction writes or removes, from its checkpoint ([] when it has none
    or the list cannot be read: a journal pruned or cut short is still shown)."""
    import json

    try:
        entries = json.loads((txn.dir / "files.json").read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(entries, list):
        return []
    return [
        {
            "path": str(e.get("path")),
            "existed": bool(e.get("existed")),
            "removed": bool(e.get("remove")),
        }
        for e in entries
        if isinstance(e, dict)
    ]


def status(txn: Txn | None, host: Host) -> Json:
    """The ``status --json`` document: the pending (or last) transaction's fields at the
    top level, or ``{"schema": 1, "id": null}`` when there is none."""
    return stamped(transaction(txn, host) if txn is not None else {"id": None})


def history(txns: Sequence[Txn], host: Host, pruned: int = 0) -> Json:
    """The ``history --json`` document: every transaction kept, oldest first, and how
    many older finished ones were pruned from the journal."""
    return stamped({"transactions": [transaction(t, host) for t in txns], "pruned": pruned})
