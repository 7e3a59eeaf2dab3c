"""``ifsmith delete NAME...``: remove interfaces, their definition and the live device,
as one guarded transaction (the TUI's ``d`` key)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ifsmith.core.host import Host


def register(sub: Any) -> None:
    p = sub.add_parser(
        "delete",
        help="remove interfaces: their files and the live bond, bridge or VLAN (an ethernet "
        "is unconfigured and taken down, never deleted), with rollback",
    )
    p.add_argument("names", metavar="NAME", nargs="+")
    from ifsmith.tui.cmd_files import add_backend_option
    from ifsmith.tui.cmd_txn import add_guard_options

    add_backend_option(p)
    add_guard_options(p)
    p.set_defaults(func=cmd_delete)


def cmd_delete(args: argparse.Namespace, host: Host) -> int:
    """Plan the removal of every NAME, show it, ask, and run it under the watchdog."""
    from ifsmith.api.change import deletable
    from ifsmith.core.live import snapshot
    from ifsmith.tui.cmd_files import host_definitions
    from ifsmith.tui.cmd_txn import require_root, run_transaction

    require_root()
    names = list(dict.fromkeys(args.names))
    live = snapshot(host)
    defined = host_definitions(args, host)
    for note in deletable(host, names, defined, live):
        print(note, file=sys.stderr)
    # The kernel activator removes the devices: a daemon's reload would not delete a
    # device whose file is gone (networkd keeps netdevs), and the plan is what was shown.
    args.activate = "kernel"
    return run_transaction(args, host, "delete", [], names, remove=names, defined=defined)
