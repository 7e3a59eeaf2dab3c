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
        help="also accept VLAN parents that exist in the (--netns) namespace",
    )
    p.set_defaults(func=cmd_validate)


def cmd_format(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core.xmlio import parse_file, strip_extensions, to_document

    text = to_document(parse_file(args.file))
    if args.libvirt:
        text = strip_extensions(text.encode()).decode() + "\n"
    sys.stdout.write(text)
    return 0


def cmd_validate(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core.checks import check
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.xmlio import load_tree, parse, schema_problems

    known = set(args.known)
    if args.live:
        from ifsmith.core.live import snapshot

        known |= {link.name for link in snapshot(host).links}
    failed = False
    for name in args.files:
        try:
            data = sys.stdin.buffer.read() if name == "-" else _read(name)
            load_tree(data, name)
            structural = schema_problems(data)
        except IfsmithError as exc:
            print(exc, file=sys.stderr)
            failed = True
            continue
        for line, message in structural:
            print(f"{name}:{line}: {message}", file=sys.stderr)
        if structural:
            failed = True
            # Meaning can still be judged when the parser accepts the document.
        try:
            interfaces = parse(data, name)
        except IfsmithError as exc:
            if not structural:
                print(exc, file=sys.stderr)
            failed = True
            continue
        problems = check(interfaces, known)
        for problem in problems:
            print(f"{name}: {problem}", file=sys.stderr)
            failed |= problem.severity == "error"
        if not failed:
            names = ", ".join(i.name for i in interfaces)
            print(f"{name}: valid ({names})")
    return 1 if failed else 0


def _read(name: str) -> bytes:
    from ifsmith.core.xmlio import XmlError

    try:
        with open(name, "rb") as f:
            return f.read()
    except OSError as exc:
        raise XmlError(f"{name}: {exc.strerror}") from None
