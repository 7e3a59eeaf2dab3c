"""`--sandbox` with a command is refused (exit 2) before anything reads or changes this
host: the lab exists only for the TUI session, and a command would have run on the real
interfaces and files instead."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from ifsmith.tui import cli


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def _minimal_argv(name: str, sub: argparse.ArgumentParser) -> list[str]:
    """The command with a value for each positional argument, so that it parses."""
    argv = [name]
    for action in sub._actions:
        if not action.option_strings and action.nargs != 0:
            argv.append("x")
    return argv


def test_every_command_with_sandbox_is_refused_before_it_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = cli.build_parser()
    ran: list[str] = []
    subs = _subparsers(parser)
    for name, sub in subs.items():
        sub.set_defaults(func=lambda args, host, name=name: ran.append(name))
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert {"list", "apply", "delete", "stop", "define"} <= set(subs)
    for name, sub in subs.items():
        argv = _minimal_argv(name, sub)
        assert cli.main(argv) == 0, name  # it parses and runs without --sandbox
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["--sandbox", *argv])
        assert exit_info.value.code == 2, name
        err = capsys.readouterr().err
        assert f"--sandbox opens the TUI in a throwaway lab and cannot run `{name}`" in err
    # Without --sandbox each of them ran once; with it, none.
    assert sorted(ran) == sorted(subs)


def test_sandbox_list_exits_2_and_lists_nothing_of_this_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", "--sandbox", "list"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""  # no interface of this machine
    assert "cannot run `list`" in result.stderr and "nothing was done" in result.stderr
    assert "Traceback" not in result.stderr


def test_sandbox_with_netns_or_root_is_a_usage_error() -> None:
    for extra in (["--netns", "x"], ["--root", "/tmp"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["--sandbox", *extra])
        assert exit_info.value.code == 2


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"ifsmith {version('ifsmith')}\n"
