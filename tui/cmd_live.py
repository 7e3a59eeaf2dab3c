"""``ifsmith list`` and ``ifsmith dumpxml``: what the kernel runs (or, with --inactive,
what the files say)."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

from ifsmith.core.errors import IfsmithError
from ifsmith.core.host import Host
from ifsmith.core.model import LiveHost, LiveLink


def register(sub: Any) -> None:
    """Add ``list`` and ``dumpxml``."""
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
    p.add_argument("--inactive", action="store_true", help="as the configuration files define it")
    add_backend_option(p)
    p.set_defaults(func=cmd_dumpxml)


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """``--backend B`` for --inactive, as the file commands define it."""
    try:
        from ifsmith.tui.cmd_files import add_backend_option as add
    except ImportError:
        parser.add_argument("--backend", metavar="B", default="auto", help="distro format")
        return
    add(parser)


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


def type_label(link: LiveLink) -> str:
    """The TYPE column: bond, bridge, ``vlan TAG``, the kernel kind (veth, macvlan...),
    ethernet for a NIC, loopback for lo."""
    if link.vlan_tag is not None:
        return f"vlan {link.vlan_tag}"
    if link.kind:
        return link.kind
    return "loopback" if link.is_loopback else "ethernet"


def table(rows: list[list[str]]) -> str:
    """Rows as left-aligned columns two spaces apart (the last column not padded)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)) + "  " + r[-1] + "\n"
        for r in rows
    )


def files_command(name: str) -> Any:
    """A --inactive handler from cmd_files (the configuration files' side)."""
    try:
        module = importlib.import_module("ifsmith.tui.cmd_files")
        return getattr(module, name)
    except (ImportError, AttributeError):
        raise IfsmithError("reading configuration files is not available") from None


def cmd_list(args: argparse.Namespace, host: Host) -> int:
    """``ifsmith list``: the live links, a table or a JSON array."""
    if args.inactive:
        return int(files_command("list_inactive")(args, host))
    from ifsmith.core.live import snapshot

    live = snapshot(host)
    links = [lnk for lnk in live.links if args.all or not lnk.is_loopback]
    if args.json:
        # One dumps() and one write: the C encoder, not thousands of small writes.
        sys.stdout.write(json.dumps([row(lnk, live) for lnk in links], separators=(",", ":")))
        sys.stdout.write("\n")
        return 0
    rows = [["NAME", "TYPE", "STATE", "MAC", "MASTER", "ADDRESSES"]]
    for lnk in links:
        # Link-local addresses are on every up link: the table shows the ones set on purpose.
        addresses = " ".join(str(a) for a in lnk.addresses if a.scope != "link") or "-"
        state = str(lnk.operstate)
        rows.append(
            [lnk.name, type_label(lnk), state, lnk.mac or "-", lnk.master or "-", addresses]
        )
    sys.stdout.write(table(rows))
    return 0


def cmd_dumpxml(args: argparse.Namespace, host: Host) -> int:
    """``ifsmith dumpxml NAME``: one live interface as libvirt XML."""
    if args.inactive:
        return int(files_command("dumpxml_inactive")(args, host))
    from ifsmith.core.live import interface_from_live, snapshot
    from ifsmith.core.xmlio import to_xml

    sys.stdout.write(to_xml(interface_from_live(snapshot(host), args.name)))
    return 0
