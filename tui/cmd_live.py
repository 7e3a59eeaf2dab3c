"""``ifsmith list`` and ``ifsmith dumpxml``: what the kernel runs (or, with --inactive,
what the files say)."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import TYPE_CHECKING, Any

from ifsmith.core.errors import IfsmithError
from ifsmith.core.host import Host
from ifsmith.core.names import shown, shown_text

if TYPE_CHECKING:  # the model costs --help a tenth of a second to import
    from ifsmith.core.model import LiveLink


def register(sub: Any) -> None:
    """Add ``list`` and ``dumpxml``."""
    p = sub.add_parser("list", help="list interfaces: name, type, state, mac, addresses, master")
    p.add_argument("--all", action="store_true", help="include the loopback interface")
    p.add_argument(
        "--json", action="store_true", help="one JSON document instead of a table (schema 1)"
    )
    p.add_argument(
        "--inactive", action="store_true", help="what the configuration files define instead"
    )
    add_backend_option(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "dumpxml",
        help="one interface as libvirt interface XML: its definition, with live state beside it",
    )
    p.add_argument("name", metavar="NAME")
    view = p.add_mutually_exclusive_group()
    view.add_argument("--inactive", action="store_true", help="the configuration files alone")
    view.add_argument("--live", action="store_true", help="the kernel's state alone")
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON document: the XML, the definition as JSON, the live link",
    )
    add_backend_option(p)
    p.set_defaults(func=cmd_dumpxml)

    p = sub.add_parser(
        "check", help="compare what the files define with what runs (exit 1 on any difference)"
    )
    p.add_argument("names", metavar="NAME", nargs="*", help="only these interfaces")
    p.add_argument("--json", action="store_true", help="one JSON document")
    add_backend_option(p)
    p.set_defaults(func=cmd_check)


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """``--backend B`` for --inactive, as the file commands define it."""
    try:
        from ifsmith.tui.cmd_files import add_backend_option as add
    except ImportError:
        parser.add_argument("--backend", metavar="B", default="auto", help="distro format")
        return
    add(parser)


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
    if args.json:
        from ifsmith.core.jsondoc import live_interfaces

        # One dumps() and one write: the C encoder, not thousands of small writes.
        doc = live_interfaces(live, loopback=args.all)
        sys.stdout.write(json.dumps(doc, separators=(",", ":")) + "\n")
        return 0
    links = [lnk for lnk in live.links if args.all or not lnk.is_loopback]
    rows = [["NAME", "TYPE", "STATE", "MAC", "MASTER", "ADDRESSES"]]
    for lnk in links:
        # Link-local addresses are on every up link: the table shows the ones set on purpose.
        addresses = " ".join(str(a) for a in lnk.addresses if a.scope != "link") or "-"
        state = str(lnk.operstate)
        master = shown(lnk.master) if lnk.master else "-"
        rows.append([shown(lnk.name), type_label(lnk), state, lnk.mac or "-", master, addresses])
    sys.stdout.write(table(rows))
    return 0


def cmd_dumpxml(args: argparse.Namespace, host: Host) -> int:
    """``ifsmith dumpxml NAME``: the definition with live state beside it; ``--inactive``
    the files alone, ``--live`` the kernel alone."""
    if args.inactive:
        return int(files_command("dumpxml_inactive")(args, host))
    from ifsmith.core.live import interface_from_live, snapshot, vlan_notes
    from ifsmith.core.xmlio import to_xml

    live = snapshot(host)
    if args.live:
        iface = interface_from_live(live, args.name)
        if args.json:
            from ifsmith.core.jsondoc import interface_document, live_link

            link = live.link(args.name)
            row = live_link(link, live) if link is not None else None
            doc = interface_document(args.name, to_xml(iface), iface, defined=None, link=row)
            sys.stdout.write(json.dumps(doc, indent=2) + "\n")
            return 0
        notes = "; ".join(vlan_notes(live, args.name))  # what the XML cannot say
        sys.stdout.write(f"<!-- {_comment(shown_text(notes))} -->\n" if notes else "")
        sys.stdout.write(to_xml(iface))
        return 0
    from ifsmith.core.jsondoc import dumpxml_document

    doc = dumpxml_document(files_command("host_definitions")(args, host), live, args.name)
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return 0
    note = doc["note"]
    # A comment before the root element: every XML reader (libvirt's too) skips it.
    sys.stdout.write(f"<!-- {_comment(shown_text(note))} -->\n" if note else "")
    sys.stdout.write(doc["xml"])
    return 0


def _comment(text: str) -> str:
    """Text that cannot end an XML comment early (no "--")."""
    return text.replace("--", "- -")


def cmd_check(args: argparse.Namespace, host: Host) -> int:
    """``ifsmith check``: per interface, defined vs running, each difference in one line."""
    from ifsmith.api import drift_report
    from ifsmith.core.live import snapshot

    defined = files_command("host_definitions")(args, host)
    report = drift_report(defined, snapshot(host), args.names)
    differ = any(report.values())
    if args.json:
        from ifsmith.core.jsondoc import check_report

        out = check_report(report, (t.name for t in defined))
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return 1 if differ else 0
    if not report:
        print("nothing is defined or running that could differ")
    for name, lines in report.items():
        print(f"{shown(name)}: {'differs' if lines else 'agrees'}")
        for line in lines:
            print(f"  {shown_text(line)}")
    return 1 if differ else 0
