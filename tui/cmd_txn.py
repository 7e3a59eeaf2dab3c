"""Transactions from the command line: apply, confirm, rollback, status, history, start,
stop, recover, iface-bridge, iface-unbridge."""

from __future__ import annotations

import argparse
import dataclasses
import json
import select
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ifsmith.core.host import Host
from ifsmith.core.names import shown, shown_text
from ifsmith.tui import jsonout

if TYPE_CHECKING:
    from ifsmith.api.change import Change
    from ifsmith.core.files import Rendering
    from ifsmith.core.model import Interface, LiveHost
    from ifsmith.core.plan import Plan
    from ifsmith.core.probe import Target
    from ifsmith.core.txn import Request, Txn

EXIT_ROLLED_BACK = 3
COUNTDOWN = 10.0  # seconds between "N s left" lines while waiting for confirmation


def add_apply_options(p: argparse.ArgumentParser) -> None:
    from ifsmith.tui.cmd_files import add_backend_option

    add_backend_option(p)
    p.add_argument(
        "--activate",
        choices=("auto", "kernel", "distro"),
        default="auto",
        help="kernel: apply through netlink; distro: the backend's own reload commands; "
        "auto (default): distro where a daemon manages the interfaces, else kernel",
    )
    add_guard_options(p)


def add_guard_options(p: argparse.ArgumentParser) -> None:
    """How a change is judged and kept: probes, settle and confirm windows, asking."""
    p.add_argument(
        "--confirm-timeout",
        metavar="S",
        type=float,
        default=30.0,
        help="roll back unless confirmed within S seconds (default 30; 0: commit as soon "
        "as the probes pass)",
    )
    p.add_argument(
        "--settle",
        metavar="S",
        type=float,
        default=2.0,
        help="seconds the probe targets have to answer again after the change (default 2)",
    )
    p.add_argument(
        "--probe",
        metavar="HOST[:PORT]",
        action="append",
        default=[],
        help="also judge this target (ICMP, or TCP with a port); repeatable",
    )
    p.add_argument(
        "--no-auto-probes",
        action="store_true",
        help="judge only --probe targets (not gateways, ssh clients, DNS servers)",
    )
    p.add_argument("--yes", action="store_true", help="do not ask before applying")
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="return once the watchdog has started (confirm later with `ifsmith confirm`)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="JSON lines of progress events on stdout (planned, started, probe, applied, "
        "committed, rolled-back); never asks for confirmation",
    )


def register(sub: Any) -> None:
    p = sub.add_parser("apply", help="apply XML with automatic rollback on lost connectivity")
    p.add_argument("file", metavar="FILE.xml")
    add_apply_options(p)
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser("confirm", help="keep the change that is waiting for confirmation")
    p.add_argument("--json", action="store_true", help="the outcome as a JSON event")
    p.set_defaults(func=cmd_confirm)

    p = sub.add_parser("rollback", help="roll back the pending change, or --to a committed one")
    p.add_argument(
        "--to",
        metavar="ID",
        help="restore the state from before committed transaction ID (it and every later "
        "one are undone), guarded like an apply: probes, confirm window, rollback",
    )
    add_guard_options(p)
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("status", help="the pending (or last) transaction")
    p.add_argument("--json", action="store_true", help="one JSON document (schema 1)")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("history", help="past transactions")
    p.add_argument("--json", action="store_true", help="one JSON document (schema 1)")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("recover", help="roll back every unconfirmed change (run at boot)")
    p.set_defaults(func=cmd_recover)

    for name, help_text in (
        ("start", "bring a defined interface up (virsh iface-start), with rollback"),
        ("stop", "take an interface down (virsh iface-destroy), with rollback"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("names", metavar="NAME", nargs="+")
        add_apply_options(p)
        p.set_defaults(func=cmd_start if name == "start" else cmd_stop)

    p = sub.add_parser("iface-bridge", help="put IF into a new bridge BR, moving its addresses")
    p.add_argument("interface", metavar="IF")
    p.add_argument("bridge", metavar="BR")
    p.add_argument("--no-stp", action="store_true", help="disable STP on the bridge")
    p.add_argument("--delay", metavar="S", type=float, help="forward delay in seconds")
    add_apply_options(p)
    p.set_defaults(func=cmd_iface_bridge)

    p = sub.add_parser("iface-unbridge", help="take the only port out of bridge BR again")
    p.add_argument("bridge", metavar="BR")
    add_apply_options(p)
    p.set_defaults(func=cmd_iface_unbridge)


# ---------------------------------------------------------------------------------------


def require_root() -> None:
    from ifsmith.api import require_root as check

    check()


def cmd_apply(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.tui.cmd_files import load_valid

    require_root()
    desired = load_valid(args.file, host)
    return apply_definitions(args, host, desired)


def apply_definitions(
    args: argparse.Namespace, host: Host, desired: list[Interface], remove: list[str] | None = None
) -> int:
    """Apply definitions; what they are silent about keeps what the files define."""
    from ifsmith.api import prepare_apply

    defined = _definitions(args, host)
    change = prepare_apply(host, desired, defined, args.backend,
                           getattr(args, "activate", "kernel"), args.settle,
                           remove or [])  # fmt: skip
    return run_change(args, host, change)


def run_transaction(
    args: argparse.Namespace,
    host: Host,
    action: str,
    desired: list[Interface],
    names: list[str],
    remove: list[str] | None = None,
    defined: list[Interface] | None = None,
) -> int:
    """Plan, show, ask, start the watchdog, follow it to the end."""
    from ifsmith.api.change import prepare

    change = prepare(host, action, desired, names, remove=remove or [], defined=defined,
                     backend=getattr(args, "backend", "auto"),
                     activate=getattr(args, "activate", "kernel"),
                     settle=args.settle)  # fmt: skip
    return run_change(args, host, change)


def run_change(args: argparse.Namespace, host: Host, change: Change) -> int:
    """Show a prepared change, ask, start the watchdog on it, follow it to the end."""
    for note in change.notes:
        # With --json stdout carries only events: the note goes to stderr.
        print(note, file=sys.stderr if jsonout.wanted(args) else sys.stdout)
    for warning in change.file_warnings:
        print(shown_text(warning), file=sys.stderr)
    action, names = change.action, change.names
    if change.is_empty:
        if jsonout.wanted(args):
            from ifsmith.core.jsondoc import plan as plan_fields

            jsonout.emit_event("planned", action=action, names=names, **plan_fields(change.plan))
            jsonout.emit_event("unchanged", action=action, names=names)
            return 0
        print("nothing to change")
        return 0
    event: dict[str, Any] = {"action": action, "names": names}
    if change.steps:
        event["resolver"] = change.steps
    targets = show_and_ask(args, host, change.before, change.plan, change.diff,
                           "Apply this change?", change.warnings, rendering=change.rendering,
                           event=event, steps=change.steps)  # fmt: skip
    if targets is None:
        return 1
    request = change.request(targets, args.confirm_timeout)
    return start_and_follow(args, host, request, change.before)


def show_and_ask(
    args: argparse.Namespace,
    host: Host,
    before: LiveHost,
    plan: Plan,
    diff: str,
    question: str,
    warnings: Sequence[str] = (),
    rendering: Rendering | None = None,
    event: dict[str, Any] | None = None,
    steps: Sequence[str] = (),
) -> list[Target] | None:
    """Print the plan (STEPS after the live operations: the running resolver's), the file
    diff and the probe targets; the targets, or None when the admin says no (nothing
    changed).  With --json: the ``planned`` event (EVENT's fields, the plan, each file
    RENDERING changes), then ``declined`` when the admin says no."""
    if jsonout.wanted(args):
        return jsonout.planned(args, host, before, plan, question, warnings, rendering, event)
    print("Plan:" if not plan.is_empty or steps else "Plan: no change to the live state")
    for step in [*plan.describe(), *steps]:
        print(f"  {step}")
    for warning in warnings:
        print(f"  warning: {warning}")
    if diff:
        print(diff, end="")
    targets = probe_targets(args, host, before)
    if not args.yes and not _ask(question):
        print("nothing changed")
        return None
    return targets


def probe_targets(args: argparse.Namespace, host: Host, before: LiveHost) -> list[Target]:
    """--probe targets, and the discovered ones unless --no-auto-probes, printed."""
    targets = chosen_targets(args, host, before)
    print("Probes: " + (", ".join(str(t) for t in targets) if targets else "none"))
    return targets


def chosen_targets(args: argparse.Namespace, host: Host, before: LiveHost) -> list[Target]:
    """--probe targets, and the discovered ones unless --no-auto-probes."""
    from ifsmith.api.change import probe_targets as targets

    return targets(host, before, args.probe, not args.no_auto_probes)


def start_and_follow(
    args: argparse.Namespace, host: Host, request: Request, before: LiveHost
) -> int:
    """Start the watchdog on REQUEST and follow it (or not, with --no-wait)."""
    from ifsmith.core import txn as txnmod

    txn = txnmod.begin(host, request, before)
    if jsonout.wanted(args):
        jsonout.emit_event("started", id=txn.id, watchdog_pid=txn.meta.get("watchdog_pid"),
                           action=request.action, names=list(request.names),
                           confirm_timeout=request.confirm_timeout, settle=request.settle,
                           wait=not args.no_wait)  # fmt: skip
        return 0 if args.no_wait else jsonout.follow(txn, host)
    print(f"Transaction {txn.id} started (watchdog pid {txn.meta.get('watchdog_pid')}).")
    if args.no_wait:
        print("Confirm with `ifsmith confirm`, or it rolls back.")
        return 0
    return follow(txn, interactive=sys.stdin.isatty() and args.confirm_timeout > 0)


def _ask(question: str) -> bool:
    from ifsmith.core.errors import IfsmithError

    if not sys.stdin.isatty():
        raise IfsmithError("not a terminal: pass --yes to apply without asking; nothing changed")
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in ("y", "yes")


def follow(txn: Txn, interactive: bool) -> int:
    """Print the watchdog's progress; offer Keep on a terminal; exit 0 or 3."""
    from ifsmith.core import txn as txnmod

    shown: dict[str, bool] = {}
    warned: set[str] = set()
    asked = False

    def update(t: Txn) -> None:
        nonlocal asked
        for target, ok in t.meta.get("results", {}).items():
            if shown.get(target) != ok and t.state != "prepared":
                shown[target] = ok
                print(f"  probe {target}: {'reachable' if ok else 'unreachable'}")
        for warning in t.meta.get("warnings", []):  # the watchdog's, from activation
            if warning not in warned:
                warned.add(warning)
                print(f"  warning: {warning}")
        left = float(t.meta.get("deadline", time.time())) - time.time()
        if asked and t.state == "applied" and left >= 1:
            print(f"  {left:.0f} s left to confirm (`ifsmith confirm`)", flush=True)
        if t.meta.get("probes_ok") and not asked and t.state == "applied":
            asked = True
            if float(t.meta.get("confirm_timeout", 30.0)) <= 0:
                print("Applied; probes pass.")  # committed at once: nothing to confirm
                return
            print(f"Applied; probes pass. Rolls back in {left:.0f} s unless confirmed.")
            if interactive:
                if _keep_prompt(left):
                    txnmod.request_confirm(txnmod_host(t))
                else:
                    txnmod.request_rollback(txnmod_host(t))

    try:
        final = txnmod.wait_final(txn, update, every=COUNTDOWN)
    except KeyboardInterrupt:
        # Ctrl-C while a change is pending means "undo it", not "leave it to the deadline".
        print("\nInterrupted: rolling back now.")
        (txn.dir / "rollback").touch()
        final = txnmod.wait_final(txn)
    if final.state == "committed":
        print(f"Committed: {final.id}")
        return 0
    print(f"Rolled back: {final.meta.get('reason', final.state)}")
    if final.meta.get("rollback_seconds") is not None:
        print(f"  restored in {final.meta['rollback_seconds']} s")
    for line in final.meta.get("differences", []):
        print(f"  not restored: {line}")
    return EXIT_ROLLED_BACK


def txnmod_host(t: Txn) -> Host:
    return Host.from_env(t.meta.get("host", {}))


def _keep_prompt(seconds: float) -> bool:
    print("Keep this configuration? [y/N] ", end="", flush=True)
    ready, _, _ = select.select([sys.stdin], [], [], max(0.0, seconds - 0.5))
    if not ready:
        print()
        return False
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def cmd_confirm(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core import txn as txnmod

    require_root()
    txn = txnmod.request_confirm(host)
    final = txnmod.wait_final(txn)
    if jsonout.wanted(args):
        return jsonout.final_event(final, host)
    if final.state == "committed":
        print(f"Committed: {final.id}")
        return 0
    print(f"Too late: {final.id} was {final.state} ({final.meta.get('reason', '')})")
    return EXIT_ROLLED_BACK


def cmd_rollback(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core import txn as txnmod

    require_root()
    if args.to:
        return revert(args, host, args.to)
    txn = txnmod.wait_final(txnmod.request_rollback(host))
    if jsonout.wanted(args) and txn.state == "rolled-back":
        jsonout.final_event(txn, host)
        return 0
    if txn.state != "rolled-back":
        # A confirm (or the probes' commit) got there first: say what the watchdog did.
        reason = txn.meta.get("reason")
        late = f"Too late: {txn.id} was {txn.state}" + (f" ({reason})" if reason else "")
        if jsonout.wanted(args):
            from ifsmith.core.errors import IfsmithError

            raise IfsmithError(late)
        print(late)
        return 1
    print(f"Rolled back: {txn.id} ({txn.meta.get('reason', '')})")
    for line in txn.meta.get("differences", []):
        print(f"  not restored: {line}")
    return 0


def revert(args: argparse.Namespace, host: Host, txn_id: str) -> int:
    """``rollback --to ID``: undo committed transactions as a guarded transaction."""
    from ifsmith.api import prepare_revert

    change, request = prepare_revert(host, txn_id, args.settle)
    undoes = list(request.reverts)
    if not jsonout.wanted(args):
        print("Undoes: " + ", ".join(undoes) + " (newest first)")
    event = {"action": "revert", "names": change.names, "undoes": undoes}
    targets = show_and_ask(args, host, change.before, change.plan, change.diff,
                           "Revert to this state?", rendering=change.rendering,
                           event=event)  # fmt: skip
    if targets is None:
        return 1
    request = dataclasses.replace(request, confirm_timeout=args.confirm_timeout,
                                  probes=[t.to_json() for t in targets])  # fmt: skip
    return start_and_follow(args, host, request, change.before)


def _summary(t: Txn, host: Host) -> dict[str, Any]:
    from ifsmith.core.jsondoc import transaction

    return transaction(t, host)


def cmd_status(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core import txn as txnmod

    for line in txnmod.quarantined(host):
        print(f"ifsmith: warning: {line}", file=sys.stderr)
    txns = txnmod.all_txns(host)
    current = txnmod.pending(host) or (txns[-1] if txns else None)
    if args.json:
        from ifsmith.core.jsondoc import status

        print(json.dumps(status(current, host)))
        return 0
    if current is None:
        print("no transactions")
        return 0
    summary = _summary(current, host)
    names = " ".join(shown(n) for n in summary["names"])
    print(f"{summary['id']}: {summary['state']} ({summary['action']} {names})")
    if summary["watchdog"] == "dead":
        print(f"  its watchdog is dead (pid {current.meta.get('watchdog_pid', 'never recorded')}): "
              "nothing will confirm or roll back this change; run `ifsmith recover`")  # fmt: skip
    elif summary["phase"] == "settling":
        print(f"  settling: the probes must pass within "
              f"{max(0.0, float(current.meta['settle_deadline']) - time.time()):.0f} s; then "
              f"{float(current.meta.get('confirm_timeout', 30)):g} s to confirm")  # fmt: skip
    elif summary["seconds_left"] is not None:
        print(f"  rolls back in {summary['seconds_left']:.0f} s unless confirmed")
    for target, ok in summary["probes"].items():
        print(f"  probe {target}: {'reachable' if ok else 'unreachable'}")
    if summary["reason"]:
        print(f"  reason: {summary['reason']}")
    return 0


def cmd_history(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core import txn as txnmod

    for line in txnmod.quarantined(host):
        print(f"ifsmith: warning: {line}", file=sys.stderr)
    if args.json:
        from ifsmith.core.jsondoc import history

        print(json.dumps(history(txnmod.all_txns(host), host, txnmod.pruned(host))))
        return 0
    rows = [_summary(t, host) for t in txnmod.all_txns(host)]
    for r in rows:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["created"] or 0))
        names = " ".join(shown(n) for n in r["names"])
        print(f"{r['id']}  {when}  {r['state']:<12} {r['action']} {names}"
              + (f"  ({r['reason']})" if r["reason"] else "")
              + ("  (its watchdog is dead: run `ifsmith recover`)"
                 if r["watchdog"] == "dead" else ""))  # fmt: skip
    if not rows:
        print("no transactions")
    count = txnmod.pruned(host)
    if count:
        keep, where = txnmod.history_limit(host)
        setting = f"{host.state_dir / txnmod.KEEP_FILE} or ${txnmod.KEEP_ENV}"
        print(f"{count} older finished transactions pruned; the journal keeps the newest {keep} "
              f"({where}; set by {setting})")  # fmt: skip
    return 0


def cmd_recover(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core import txn as txnmod

    require_root()
    done = txnmod.recovered(host)
    left = []  # what a rollback could not restore
    for txn in done:
        print(f"rolled back {txn.id}")
        for line in txn.meta.get("differences", []):
            print(f"  not restored: {line}")
            left.append(line)
    if not done:
        print("nothing to recover")
    corrupt = txnmod.quarantined(host)
    for line in corrupt:
        print(f"ifsmith: {line}", file=sys.stderr)
    return 1 if corrupt or left else 0  # what is left is for the admin to see to


def _definitions(args: argparse.Namespace, host: Host) -> list[Interface]:
    """What the configuration files define (for start), or nothing without a backend."""
    from ifsmith.tui.cmd_files import host_definitions

    return host_definitions(args, host)


def cmd_start(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core.errors import IfsmithError

    require_root()
    defined = _definitions(args, host)
    tops = [i for i in defined if i.name in args.names]
    missing = set(args.names) - {i.name for i in tops}
    if missing:
        raise IfsmithError(
            f"no definition for {', '.join(sorted(missing))} (see `ifsmith list --inactive`)"
        )
    return run_transaction(args, host, "start", tops, list(args.names))


def cmd_stop(args: argparse.Namespace, host: Host) -> int:
    require_root()
    return run_transaction(args, host, "stop", [], list(args.names))


def _current_definition(args: argparse.Namespace, host: Host, name: str) -> Interface:
    """What the interface really has: its definition (the files', else derived from the
    live state, leases as DHCP) joined with the addresses and routes it runs."""
    return _current(args, host, name)[0]


def _current(args: argparse.Namespace, host: Host, name: str) -> tuple[Interface, LiveHost]:
    """The current definition of NAME (see _current_definition) and the live state."""
    from ifsmith.core.definition import derive, with_running
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.live import snapshot

    live = snapshot(host)
    iface = next((top for top in _definitions(args, host) if top.name == name), None)
    if iface is None:
        if live.link(name) is None:
            raise IfsmithError(f"no interface named {name}, defined or running")
        iface = derive(live, name)
    return with_running(iface, live), live


def bridge_of(
    iface: Interface, bridge: str, stp: bool, delay: float | None, mac: str | None = None
) -> Interface:
    """virsh iface-bridge: the bridge takes the addressing, IF becomes its bare port.

    The bridge keeps IF's MAC (MAC, the running one, else the one IF defines), pinned in
    its files and set when it is made: a DHCP server (a reservation, a lease without a
    client identifier) and the neighbours' ARP caches know the host by that MAC.  Left to
    itself the bridge takes a random MAC, or udev's persistent one (MACAddressPolicy=), so
    the address of a DHCP NIC would change with the move."""
    from ifsmith.core.model import Bridge, IfType, StartMode

    port = dataclasses.replace(
        iface, start_mode=None, mtu=None, protocols=(), link=None, label=None, dns=None
    )
    return dataclasses.replace(
        iface,
        type=IfType.BRIDGE,
        name=bridge,
        start_mode=iface.start_mode or StartMode.ONBOOT,
        mac=(mac or iface.mac or "").lower() or None,
        link=None,
        bond=None,
        vlan=None,
        bridge=Bridge(stp=stp, delay=delay if stp else None, ports=(port,)),
    )


def cmd_iface_bridge(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core.checks import check, errors
    from ifsmith.core.errors import IfsmithError

    require_root()
    iface, live = _current(args, host, args.interface)
    if iface.type.value == "bridge":
        raise IfsmithError(f"{args.interface} is a bridge already")
    link = live.link(args.interface)
    mac = link.mac if link is not None else None
    iface = _with_dhcp_identity(args, host, iface, live)
    bridged = bridge_of(iface, args.bridge, not args.no_stp, args.delay, mac)
    bad = errors(check([bridged]))
    if bad:
        raise IfsmithError("\n".join(str(p) for p in bad))
    return apply_definitions(args, host, [bridged])


def _with_dhcp_identity(
    args: argparse.Namespace, host: Host, iface: Interface, live: LiveHost
) -> Interface:
    """IFACE with the DHCP client identity its running client uses (see
    backends.dhcp_identity), so the bridge asks for the lease as the NIC did."""
    from ifsmith import backends
    from ifsmith.tui.cmd_files import resolve_backend

    name = getattr(args, "backend", "auto")
    if name == "auto" and backends.detect(host) is None:
        return iface
    return backends.dhcp_identity(resolve_backend(name, host), host, iface, live)


def cmd_iface_unbridge(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core.errors import IfsmithError

    require_root()
    bridge = _current_definition(args, host, args.bridge)
    if bridge.bridge is None:
        raise IfsmithError(f"{args.bridge} is not a bridge")
    if len(bridge.bridge.ports) != 1:
        raise IfsmithError(
            f"{args.bridge} has {len(bridge.bridge.ports)} ports; iface-unbridge needs exactly one"
        )
    port = dataclasses.replace(
        bridge.bridge.ports[0],
        start_mode=bridge.start_mode,
        mtu=bridge.mtu,
        protocols=bridge.protocols,
        dns=bridge.dns,
    )
    return apply_definitions(args, host, [port], remove=[args.bridge])
