"""``ifsmith format`` and ``ifsmith validate``: interface XML without touching the host."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ifsmith.core.host import Host


def register(sub: Any) -> None:
    p = sub.add_parser("format", help="print the canonical XML of a file")
    p.add_argument("file", metavar="FILE", help="interface XML ('-' reads standard input)")
    p.add_argument(
        "--libvirt",
        action="store_true",
        help="leave out ifsmith's extensions (for tools that validate against libvirt's schema)",
    )
    p.set_defaults(func=cmd_format)

    p = sub.add_parser("validate", help="check interface XML files: schema and meaning")
    p.add_argument("files", metavar="FILE", nargs="+")
    p.add_argument(
        "--known",
        metavar="NAME",
        action="append",
        default=[],
        help="an interface that exists on the target (a VLAN parent); repeatable",
    )
    p.add_argument(
        "--live",
        action="store_true",
        help="judge against the (--netns) namespace: a VLAN parent found neither in the file "
        "nor there is then an error (without --live, a warning)",
    )
    p.set_defaults(func=cmd_validate)


def cmd_format(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core.xmlio import parse_file, to_document
    from ifsmith.core.xmlschema import without_extensions

    interfaces = parse_file(args.file)
    if args.libvirt:
        stripped = [without_extensions(i) for i in interfaces]
        interfaces = [iface for iface, _left in stripped]
        for _iface, left in stripped:
            for what in left:
                print(f"warning: --libvirt leaves out {what}", file=sys.stderr)
    sys.stdout.write(to_document(interfaces))
    return 0


def cmd_validate(args: argparse.Namespace, host: Host) -> int:
    """Every file judged on its own: its meaning first (element and line), then the schema.

    Without --live nothing is known of the target, so a VLAN parent found nowhere is a
    warning; with --live the (--netns) namespace is the target and it is an error."""
    known = set(args.known)
    if args.live:
        from ifsmith.core.live import snapshot

        known |= {link.name for link in snapshot(host).links}
    results = [_validate_one(name, known, offline=not args.live) for name in args.files]
    return 0 if all(results) else 1


def _validate_one(name: str, known: set[str], *, offline: bool) -> bool:
    """Print what is wrong with one file (or that it is valid); True when it is valid."""
    from ifsmith.core.checks import check
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.names import shown
    from ifsmith.core.xmlio import parse
    from ifsmith.core.xmlschema import schema_problems

    try:
        data = sys.stdin.buffer.read() if name == "-" else _read(name)
        interfaces = parse(data, name)
    except IfsmithError as exc:
        print(exc, file=sys.stderr)
        return False
    valid = True
    for problem in check(interfaces, known, offline=offline):
        print(f"{name}: {problem}", file=sys.stderr)
        valid &= problem.severity != "error"
    # The schema is a second opinion: the parser above already refuses what it cannot carry.
    for line, message in schema_problems(data):
        print(f"{name}:{line}: {message}", file=sys.stderr)
        valid = False
    if valid:
        names = ", ".join(shown(i.name) for i in interfaces)
        print(f"{name}: valid ({names})")
    return valid


def _read(name: str) -> bytes:
    from ifsmith.core.xmlio import XmlError

    try:
        with open(name, "rb") as f:
            return f.read()
    except OSError as exc:
        raise XmlError(f"{name}: {exc.strerror}") from None
