"""The ``ifsmith`` command line.

Start-up must stay fast: this module imports only argparse and the standard library at
the top.  Each command's module is imported when that command runs, Textual only when
the TUI starts, pyroute2 only when the kernel is read or changed.

Commands live in small modules (``cmd_*.py``), each with ``register(subparsers)``; the
handler is stored as ``func`` and called with the parsed arguments and the Host.
Exit codes: 0 ok, 1 invalid or refused, 2 usage, 3 rolled back.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

# Modules that add subcommands.  A module that is not present yet is skipped, so the
# command line works while the project grows.
COMMAND_MODULES = (
    "ifsmith.tui.cmd_live",
    "ifsmith.tui.cmd_xml",
    "ifsmith.tui.cmd_files",
    "ifsmith.tui.cmd_txn",
    "ifsmith.tui.cmd_delete",
)


def version() -> str:
    """The installed distribution's version (package metadata), without importing it."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("ifsmith")
    except PackageNotFoundError:
        return "unknown (not installed)"


class VersionAction(argparse.Action):
    """``--version``: the metadata is read only when asked (it costs --help 40 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kw: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        print(f"ifsmith {version()}")
        parser.exit()


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose usage errors are a JSON error object on stdout (still exit
    2) when the command line asks for ``--json``: a script reading stdout gets JSON."""

    json_errors = False  # set by main() for each command line

    def error(self, message: str) -> NoReturn:
        if Parser.json_errors:
            from ifsmith.tui.jsonout import emit_error

            self.print_usage(sys.stderr)
            print(f"{self.prog}: error: {message}", file=sys.stderr)
            emit_error(f"{self.prog}: {message}")
            self.exit(2)
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="ifsmith",
        description="Configure network interfaces (ethernet, bonds, bridges, VLANs) with "
        "automatic rollback. Without a command, opens the interactive TUI.",
    )
    parser.add_argument(
        "--netns", metavar="NAME", help="work on this network namespace (ip netns name)"
    )
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="filesystem root for every file ifsmith reads or writes (default /)",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="open the TUI in a throwaway namespace with three fake NICs (root); "
        "TUI only: refused with a command",
    )
    parser.add_argument("--version", action=VersionAction, help="print the version")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    Parser.json_errors = "--json" in words
    parser = build_parser()
    args = parser.parse_args(words)
    if args.sandbox and args.command is not None:
        # The lab lives only as long as the TUI session; a command would run on this
        # host's own interfaces and files instead.  Refused before anything is read.
        parser.error(
            f"--sandbox opens the TUI in a throwaway lab and cannot run `{args.command}`: "
            "a command would act on this host, not on the sandbox (nothing was done)"
        )
    if args.sandbox and (args.netns or args.root):
        parser.error("--sandbox makes its own namespace and root: drop --netns/--root")
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.host import Host
    from ifsmith.core.names import shown_text

    host = Host.from_options(args.root, args.netns)
    as_json = bool(getattr(args, "json", False))
    try:
        if args.command is None:
            return _run_tui(args, host)
        return int(args.func(args, host) or 0)
    except IfsmithError as exc:
        if as_json:
            return _json_error(str(exc), exc.exit_code)
        print(f"ifsmith: {shown_text(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if as_json:
            return _json_error("interrupted", 1)
        print("ifsmith: interrupted", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `ifsmith list | head`: the reader went away; not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        if not as_json:
            raise
        # A script reading JSON gets an error object, never a traceback (the message is
        # on stderr too, for whoever reports it).
        return _json_error(f"internal error: {type(exc).__name__}: {exc}", 1)


def _json_error(message: str, code: int) -> int:
    """The error object on stdout (the message also on stderr, as without --json)."""
    from ifsmith.core.names import shown_text
    from ifsmith.tui.jsonout import emit_error

    print(f"ifsmith: {shown_text(message)}", file=sys.stderr)
    emit_error(message)
    return code


def _run_tui(args: argparse.Namespace, host: object) -> int:
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        print(
            "ifsmith: the TUI needs a terminal; see `ifsmith --help` for commands",
            file=sys.stderr,
        )
        return 2
    # Before Textual is imported (it reads both once).  A lone Escape is taken as the key
    # after 10 ms, not 100: a terminal writes a key's whole sequence at once, and tmux 3.5
    # waits as long by default.  Frames are not held for a 60 Hz tick: a key that scrolls
    # the tree takes two frames, which at 60 Hz ended up to 35 ms after the key.
    os.environ.setdefault("ESCDELAY", "10")
    os.environ.setdefault("TEXTUAL_FPS", "240")
    from ifsmith.tui.app import run

    return int(run(host, sandbox=args.sandbox) or 0)


if __name__ == "__main__":
    sys.exit(main())
