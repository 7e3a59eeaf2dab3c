"""Distro files: ``render``, ``diff``, ``define``, ``undefine``, ``backends``, and the
``--inactive`` views of ``list`` and ``dumpxml`` (what the files say)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ifsmith.core.host import Host
from ifsmith.core.names import shown, shown_text

if TYPE_CHECKING:
    from ifsmith.backends import Backend
    from ifsmith.core.files import FileView, Rendering
    from ifsmith.core.model import Interface


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """``--backend B``: a backend name, or auto (the host's detected stack)."""
    parser.add_argument(
        "--backend",
        metavar="B",
        default="auto",
        help="distro format: ifcfg-rh, ifcfg-suse, ifupdown, networkd, nm-keyfile, netplan, "
        "netifrc, or auto (detect; the default)",
    )


def register(sub: Any) -> None:
    p = sub.add_parser("render", help="print (or write under --out) the distro files for XML")
    p.add_argument("file", metavar="FILE.xml")
    add_backend_option(p)
    p.add_argument("--out", metavar="DIR", help="write the files under DIR as if it were /")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("diff", help="unified diff of the files XML would write vs. the disk")
    p.add_argument("file", metavar="FILE.xml")
    add_backend_option(p)
    p.add_argument(
        "--json", action="store_true", help="one JSON document: each changed file and its diff"
    )
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("define", help="write the distro files for XML (no activation)")
    p.add_argument("file", metavar="FILE.xml")
    add_backend_option(p)
    p.set_defaults(func=cmd_define)

    p = sub.add_parser("undefine", help="remove an interface's distro files (no activation)")
    p.add_argument("names", metavar="NAME", nargs="+")
    add_backend_option(p)
    p.set_defaults(func=cmd_undefine)

    p = sub.add_parser("backends", help="list the distro formats and which one is detected")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_backends)


def resolve_backend(name: str, host: Host) -> Backend:
    """The backend named, or the detected one for ``auto``; a clear error otherwise."""
    from ifsmith.api.stack import resolve_backend as resolve

    return resolve(name, host)


def load_valid(path: str, host: Host, *, offline: bool = False) -> list[Interface]:
    """Parse and check an XML file; refuse it (exit 1) with every problem listed.

    ``offline``: the files are for another machine, so a VLAN parent found nowhere is a
    warning (``core.checks.check``)."""
    from ifsmith.api.errors import InvalidDefinition
    from ifsmith.api.stack import judged
    from ifsmith.core.xmlio import parse_file

    interfaces = parse_file(path)
    try:
        warnings = judged(interfaces, path, host, offline=offline)
    except InvalidDefinition as exc:
        print("\n".join(exc.warnings), file=sys.stderr, end="\n" if exc.warnings else "")
        raise
    print("\n".join(warnings), file=sys.stderr, end="\n" if warnings else "")
    return interfaces


def render_for(
    backend: Backend, interfaces: Sequence[Interface], host: Host, files: FileView | None = None
) -> Rendering:
    """Render with the backend (over the host's files, or ``files``), turning unsafe values
    into a clear refusal; the format's warnings on stderr."""
    from ifsmith.api.stack import render

    rendering = render(backend, interfaces, host, files)
    for warning in rendering.warnings:
        print(shown_text(str(warning)), file=sys.stderr)
    return rendering


def boot_off_warnings(
    interfaces: Sequence[Interface], defined: Sequence[Interface], host: Host
) -> list[str]:
    """Boot activation turned off where it carries the default route or an ssh session
    (judged on this host's live state; nothing for a scratch root without a namespace)."""
    if not (host.netns or host.is_real_root):
        return []
    from ifsmith.core.definition import boot_off_warnings as warn
    from ifsmith.core.live import snapshot
    from ifsmith.core.probe import discover

    live = snapshot(host)
    clients = [t.address for t in discover(host, live) if t.why == "ssh client"]
    return warn(interfaces, defined, live, clients)


def files_for(
    args: argparse.Namespace, host: Host, *, offline: bool = False
) -> tuple[Backend, list[Interface]]:
    """The backend and the document's interfaces, checked, with the files' start modes
    kept where the document is silent; warnings on stderr."""
    from ifsmith.core.files import HostFiles

    backend = resolve_backend(args.backend, host)
    interfaces = load_valid(args.file, host, offline=offline)
    from ifsmith.core.definition import keep_defined as keep

    defined = backend.read_report(HostFiles(host)).interfaces
    interfaces = keep(interfaces, defined)
    for line in boot_off_warnings(interfaces, defined, host):
        print(f"warning: {line}", file=sys.stderr)
    return backend, interfaces


def cmd_render(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core.files import write_rendering

    # Rendering changes nothing here: the files may be for another machine.
    backend, interfaces = files_for(args, host, offline=True)
    rendering = render_for(backend, interfaces, host)
    if args.out:
        out = Host(root=Path(args.out))
        for path in write_rendering(out, rendering):
            print(f"wrote {out.path(path)}")
        return 0
    for path in sorted(rendering.files):
        sys.stdout.write(f"# {path}\n")
        text = rendering.files[path].decode("utf-8", errors="replace")
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    for path in sorted(rendering.removed):
        sys.stdout.write(f"# {path} (removed)\n")
    return 0


def cmd_diff(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core.files import HostFiles, unified_diff

    backend, interfaces = files_for(args, host, offline=True)
    rendering = render_for(backend, interfaces, host)
    if getattr(args, "json", False):
        from ifsmith.core.jsondoc import file_diff

        warnings = [shown_text(str(w)) for w in rendering.warnings]
        print(json.dumps(file_diff(rendering, HostFiles(host), warnings), indent=2))
        return 0
    sys.stdout.write(unified_diff(rendering, HostFiles(host)))
    return 0


def cmd_define(args: argparse.Namespace, host: Host) -> int:
    # Into another machine's tree (--root without --netns) a VLAN parent cannot be looked up.
    offline = not (host.is_real_root or host.netns)
    backend, interfaces = files_for(args, host, offline=offline)
    return _write(host, render_for(backend, interfaces, host))


def cmd_undefine(args: argparse.Namespace, host: Host) -> int:
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.files import HostFiles

    backend = resolve_backend(args.backend, host)
    files = HostFiles(host)
    defined = {i.name for top in backend.read_files(files) for i, _ in top.walk()}
    missing = [n for n in args.names if n not in defined]
    if missing:
        raise IfsmithError(
            f"{backend.NAME}: no configuration for {', '.join(missing)} under {host.root}"
        )
    rendering = backend.undefine(args.names, files)
    for warning in rendering.warnings:
        print(shown_text(str(warning)), file=sys.stderr)
    result = _write(host, rendering)
    for line in still_running(args.names, host):
        print(line, file=sys.stderr)
    return result


def still_running(names: Sequence[str], host: Host) -> list[str]:
    """A note per undefined interface the kernel still runs (undefine changes only files),
    judged on this host's live state (nothing for a scratch root without a namespace)."""
    if not (host.netns or host.is_real_root):
        return []
    from ifsmith.core.live import snapshot

    live = snapshot(host)
    out = []
    for name in names:
        link = live.link(name)
        if link is not None and link.admin_up:
            out.append(
                f"note: {name} is still running (undefine changes only the files); "
                f"`ifsmith stop {name}` takes it down, `ifsmith delete {name}` does both"
            )
    return out


def _write(host: Host, rendering: Rendering) -> int:
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.files import write_rendering

    try:
        changed = write_rendering(host, rendering)
    except OSError as exc:
        raise IfsmithError(f"cannot write {exc.filename or ''}: {exc.strerror}") from None
    for path in changed:
        state = "removed" if path in rendering.removed else "wrote"
        print(f"{state} {host.path(path)}")
    if not changed:
        print("nothing to change")
    return 0


def cmd_backends(args: argparse.Namespace, host: Host) -> int:
    import importlib

    from ifsmith import backends
    from ifsmith.api.stack import missing_module

    detected = backends.detect(host)
    names = backends.available()
    missing = {}
    for name, module_name in backends.REGISTRY.items():
        if name not in names:
            try:
                importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                missing[name] = missing_module(name, exc)
    if args.json:
        print(json.dumps({"available": names, "detected": detected, "missing": missing}))
        return 0
    for name in names:
        mark = "*" if name == detected else " "
        print(f"{mark} {name}")
    for why in missing.values():
        print(f"  {why}")
    if detected is None:
        print(f"(no stack detected under {host.root})")
    return 0


def inactive_interfaces(args: argparse.Namespace, host: Host) -> list[Interface]:
    """What the configuration files say (``--inactive``)."""
    from ifsmith.api.stack import read_definitions

    # The lines and files a backend could not use are shown, not fatal.
    interfaces, warnings = read_definitions(host, getattr(args, "backend", "auto"))
    for line in warnings:
        print(line, file=sys.stderr)
    return interfaces


def host_definitions(args: argparse.Namespace, host: Host) -> list[Interface]:
    """What the host's files define, through --backend or the detected stack; nothing
    when no stack is detected (the live state stands alone then)."""
    from ifsmith.api.stack import has_stack

    if not has_stack(host, getattr(args, "backend", "auto")):
        return []
    return inactive_interfaces(args, host)


def list_inactive(args: argparse.Namespace, host: Host) -> int:
    """``ifsmith list --inactive``: the interfaces the files define."""
    from ifsmith.core.jsondoc import definition_rows

    doc = definition_rows(inactive_interfaces(args, host))
    if getattr(args, "json", False):
        print(json.dumps(doc, indent=2))
        return 0
    print(f"{'NAME':<16} {'TYPE':<9} {'START':<8} {'MASTER':<16} ADDRESSES")
    for r in doc["definitions"]:
        print(
            f"{shown(r['name']):<16} {r['type']:<9} {r['start'] or '-':<8} "
            f"{shown(r['master'] or '-'):<16} {' '.join(r['addresses']) or '-'}"
        )
    return 0


def dumpxml_inactive(args: argparse.Namespace, host: Host) -> int:
    """``ifsmith dumpxml NAME --inactive``: one interface as the files define it."""
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.xmlio import to_xml

    for top in inactive_interfaces(args, host):
        for iface, _master in top.walk():
            if iface.name == args.name:
                text = to_xml(iface)
                if getattr(args, "json", False):
                    from ifsmith.core.jsondoc import interface_document

                    doc = interface_document(iface.name, text, iface, defined=True)
                    print(json.dumps(doc, indent=2))
                    return 0
                sys.stdout.write(text)
                return 0
    raise IfsmithError(f"no configuration for an interface named {args.name}")
