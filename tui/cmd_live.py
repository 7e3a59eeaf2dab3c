"""``ifsmith list`` and ``ifsmith dumpxml``: what the kernel runs (or, with --inactive,
what the files say)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ifsmith.core.host import Host
from ifsmith.core.model import LiveHost, LiveLink


def register(sub: Any) -> None:
    from ifsmith.tui.cmd_files import add_backend_option

    p = sub.add_parser("list", help="list interfaces: name, type, state, mac, addresses, master")
    p.add_argument("--all", action="store_true", help="include the loopback interface")
    p.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    p.add_argument(
        "--inactive", action="store_true", help="what the configuration files define instead"
    )
    add_backend_option(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("dumpxml", help="one interface as libvirt interface XML")
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--inactive", action="store_true", help="as the configuration files define it"
    )
    add_backend_option(p)
    p.set_defaults(func=cmd_dumpxml)


def row(link: LiveLink, live: LiveHost) -> dict[str, Any]:
    """One interface as ``list --json`` shows it."""
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
    }


def cmd_list(args: argparse.Namespace, host: Host) -> int:
    if args.inactive:
        from ifsmith.tui.cmd_files import list_inactive

        return list_inactive(args, host)
    from ifsmith.core.live import snapshot

    live = snapshot(host)
    links = [lnk for lnk in live.links if args.all or not lnk.is_loopback]
    if args.json:
        # One dumps() and one write: the C encoder, not thousands of small writes.
        sys.stdout.write(json.dumps([row(lnk, live) for lnk in links], separators=(",", ":")))
        sys.stdout.write("\n")
        return 0
    out = [f"{'NAME':<16} {'TYPE':<9} {'STATE':<14} {'MAC':<17} {'MASTER':<16} ADDRESSES"]
    for lnk in links:
        kind = lnk.kind if lnk.kind not in ("", "bond", "bridge", "vlan") else str(lnk.type)
        if lnk.vlan_tag is not None:
            kind = f"vlan {lnk.vlan_tag}"
        addresses = " ".join(str(a) for a in lnk.addresses if a.scope != "link") or "-"
        out.append(
            f"{lnk.name:<16} {kind:<9} {lnk.operstate:<14} {lnk.mac or '-':<17} "
            f"{lnk.master or '-':<16} {addresses}"
        )
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def cmd_dumpxml(args: argparse.Namespace, host: Host) -> int:
    if args.inactive:
        from ifsmith.tui.cmd_files import dumpxml_inactive

        return dumpxml_inactive(args, host)
    from ifsmith.core.live import interface_from_live, snapshot
    from ifsmith.core.xmlio import to_xml

    sys.stdout.write(to_xml(interface_from_live(snapshot(host), args.name)))
    return 0
