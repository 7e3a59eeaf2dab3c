"""``--json`` on the command line: documents, progress events and errors on stdout.

The values come from ``core.jsondoc`` (the Python API and the Ansible facts use the same
functions); this module only writes them.  A command that waits (apply, delete,
iface-bridge, rollback, confirm) writes JSON lines of progress events and ends with a
final event or an error object; every other command writes one document.  Warnings stay
on stderr, as in the text output.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from ifsmith.core.host import Host

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ifsmith.core.files import Rendering
    from ifsmith.core.model import LiveHost
    from ifsmith.core.plan import Plan
    from ifsmith.core.probe import Target
    from ifsmith.core.txn import Txn

COUNTDOWN = 10.0  # seconds between the journal looks that are not prompted by a change


def wanted(args: argparse.Namespace) -> bool:
    """Whether the command was asked for JSON."""
    return bool(getattr(args, "json", False))


def emit(doc: Any) -> None:
    """One document (or event) as one line on stdout, written at once and flushed: a
    reader following the stream sees each event as it happens."""
    sys.stdout.write(json.dumps(doc, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def emit_event(kind: str, **fields: Any) -> None:
    """One progress event (``core.jsondoc.event``)."""
    from ifsmith.core.jsondoc import event

    emit(event(kind, **fields))


def emit_error(message: str) -> None:
    """The error object (``core.jsondoc.error``), the line taken from the message."""
    from ifsmith.core.jsondoc import error

    emit(error(message))


def ask(question: str) -> bool:
    """The yes/no question of a JSON run: on stderr (stdout carries only JSON), answered
    on the terminal; refused without one (``--yes`` answers it)."""
    from ifsmith.core.errors import IfsmithError

    if not sys.stdin.isatty():
        raise IfsmithError("not a terminal: pass --yes to apply without asking; nothing changed")
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def planned(
    args: argparse.Namespace,
    host: Host,
    before: LiveHost,
    plan: Plan,
    question: str,
    warnings: Sequence[str],
    rendering: Rendering | None,
    event: dict[str, Any] | None,
) -> list[Target] | None:
    """``show_and_ask`` with --json: the ``planned`` event (EVENT's fields, the plan, each
    file RENDERING changes, the probe targets), the question on stderr unless --yes, and
    ``declined`` (None) when the answer is no."""
    from ifsmith.core.files import HostFiles
    from ifsmith.core.jsondoc import plan as plan_fields
    from ifsmith.tui.cmd_txn import chosen_targets

    targets = chosen_targets(args, host, before)
    fields = plan_fields(plan, rendering=rendering, files=HostFiles(host), warnings=warnings,
                         probes=targets)  # fmt: skip
    emit_event("planned", **(event or {}), **fields)
    if not args.yes and not ask(question):
        emit_event("declined", **(event or {}))
        return None
    return targets


def follow(txn: Txn, host: Host) -> int:
    """Follow the watchdog as events: ``probe`` for each target whose result changes
    (``phase``: baseline before the change, then settling or confirming), ``applied`` once
    the probes pass, then ``committed`` (exit 0) or ``rolled-back`` (exit 3).

    Nothing is asked: confirm with ``ifsmith confirm`` (or ``--confirm-timeout 0``)."""
    from ifsmith.core import txn as txnmod

    seen: dict[str, bool] = {}
    announced = False

    def update(t: Txn) -> None:
        nonlocal announced
        # Results recorded before the change is applied are the baseline; after it, the
        # journal's phase says which window judged them.
        phase = str(t.meta.get("phase") or "settling") if t.meta.get("applied") else "baseline"
        for target, ok in t.meta.get("results", {}).items():
            if seen.get(target) != ok and t.state != "prepared":
                seen[target] = ok
                emit_event("probe", id=t.id, target=target, reachable=ok, phase=phase)
        if t.meta.get("probes_ok") and not announced and t.state == "applied":
            announced = True
            deadline = t.meta.get("deadline")
            left = max(0.0, round(float(deadline) - time.time(), 1)) if deadline else None
            emit_event("applied", id=t.id, deadline=deadline, seconds_left=left,
                       confirm_timeout=t.meta.get("confirm_timeout"))  # fmt: skip

    try:
        final = txnmod.wait_final(txn, update, every=COUNTDOWN)
    except KeyboardInterrupt:
        # As in the text output: Ctrl-C while a change is pending means "undo it".
        (txn.dir / "rollback").touch()
        final = txnmod.wait_final(txn)
    return final_event(final, host)


def final_event(final: Txn, host: Host) -> int:
    """``committed`` (exit 0) or ``rolled-back`` with the reason (exit 3) for a finished
    transaction, each with the whole transaction (``core.jsondoc.transaction``)."""
    from ifsmith.core.jsondoc import transaction
    from ifsmith.tui.cmd_txn import EXIT_ROLLED_BACK

    doc = transaction(final, host)
    if final.state == "committed":
        emit_event("committed", id=final.id, transaction=doc)
        return 0
    emit_event(
        "rolled-back",
        id=final.id,
        state=final.state,
        reason=final.meta.get("reason", final.state),
        rollback_seconds=final.meta.get("rollback_seconds"),
        differences=list(final.meta.get("differences", [])),
        transaction=doc,
    )
    return EXIT_ROLLED_BACK
