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
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.live import snapshot
    from ifsmith.tui.cmd_files import host_definitions
    from ifsmith.tui.cmd_txn import require_root, run_transaction

    require_root()
    names = list(dict.fromkeys(args.names))
    live = snapshot(host)
    defined = host_definitions(args, host)
    refused = refusals(names, {i.name for top in defined for i, _m in top.walk()}, live)
    if refused:
        raise IfsmithError("\n".join(refused) + "\nnothing was changed")
    # The kernel activator removes the devices: a daemon's reload would not delete a
    # device whose file is gone (networkd keeps netdevs), and the plan is what was shown.
    args.activate = "kernel"
    from ifsmith.tui.cmd_txn import DAEMONS, _daemons_running

    daemons = set().union(*DAEMONS.values()) & _daemons_running(host)
    if daemons:
        print(f"note: {', '.join(sorted(daemons))} runs here; reload it after the change so "
              "that it forgets what was deleted", file=sys.stderr)  # fmt: skip
    return run_transaction(args, host, "delete", [], names, remove=names, defined=defined)


def refusals(names: list[str], defined: set[str], live: Any) -> list[str]:
    """Why NAMES cannot be deleted, a line each (none: they can)."""
    from ifsmith.core.plan import is_made

    out = []
    for name in names:
        link = live.link(name)
        if link is None and name not in defined:
            out.append(f"no interface named {name}, defined or running")
        elif link is not None and link.is_loopback:
            out.append(f"{name} is the loopback interface; it cannot be deleted")
        elif link is not None and is_made(link):
            # The kernel deletes the VLANs on a device with it: the admin names them too.
            stacked = sorted(
                lnk.name
                for lnk in live.links
                if lnk.parent == name and lnk.vlan_tag is not None and lnk.name not in names
            )
            if stacked:
                out.append(
                    f"{name}: VLAN {', '.join(stacked)} runs on it and would go with it; "
                    f"name it too (ifsmith delete {' '.join(stacked)} {name})"
                )
    return out
