"""DNS into the running resolver: the kernel activator writes ``<ifsmith:dns>`` to the files,
and this module hands it to the host's resolver manager, as the stack's own scripts would
when they bring the interface up.

Two managers are known: systemd-resolved (``resolvectl dns IF …`` / ``resolvectl domain IF
…``, per link) and resolvconf (Debian's resolvconf or openresolv: a record ``IF.ifsmith``
fed to ``resolvconf -a``).  The front end finds the manager and the links whose DNS the
change sets, changes or removes (``request``); the watchdog records what the resolver had
for them (``saved``), applies (``apply``) and, at rollback, puts back what it recorded
(``restore``).  The journal carries all of it, so ``recover`` restores it after a crash.

A namespace (``--netns``) shares the machine's resolver daemon, and a ``--root`` tree is not
the running system: for either there is no resolver manager, and this machine's resolver is
never touched.  The test suite may name a directory of stand-in programs instead
(``IFSMITH_TEST_RESOLVER_BIN``), honoured only inside a pytest run of a source checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ifsmith.core.host import Host
from ifsmith.core.model import Dns, Interface

RESOLVED = "systemd-resolved"
RESOLVCONF = "resolvconf"
RECORD = "ifsmith"  # resolvconf record IF.ifsmith (ifupdown's own hook writes IF.inet)
STAND_IN_SWITCH = "IFSMITH_TEST_RESOLVER_BIN"
# Where each resolvconf keeps its records: Debian's resolvconf, openresolv.
RECORD_DIRS = ("/run/resolvconf/interface", "/run/resolvconf/interfaces")
TIMEOUT = 20.0


@dataclass(frozen=True)
class Manager:
    """The host's resolver manager: its name and the program that talks to it."""

    kind: str  # RESOLVED | RESOLVCONF
    program: str  # absolute path

    def where(self, name: str) -> str:
        """How the plan names NAME's place in this manager."""
        return f"{self.kind} ({name}.{RECORD})" if self.kind == RESOLVCONF else self.kind


def _stand_ins() -> Path | None:
    """The test suite's directory of stand-in resolver programs, or None (see module doc)."""
    where = os.environ.get(STAND_IN_SWITCH)
    if not where or "PYTEST_CURRENT_TEST" not in os.environ:
        return None
    if not (Path(__file__).resolve().parents[1] / "tests" / "conftest.py").is_file():
        return None
    return Path(str(where))


def detect(host: Host) -> Manager | None:
    """systemd-resolved where it runs (its runtime directory ``/run/systemd/resolve`` and
    ``resolvectl``), else resolvconf where installed (``resolvconf`` and its run directory
    ``/run/resolvconf``), else None — always None in a namespace or under a ``--root``."""
    stand_ins = _stand_ins()
    if stand_ins is None and (host.netns or not host.is_real_root):
        return None

    def program(name: str) -> str | None:
        found = shutil.which(name, path=str(stand_ins) if stand_ins else None)
        return os.path.abspath(found) if found else None

    resolvectl = program("resolvectl")
    if resolvectl and host.path("/run/systemd/resolve").is_dir():
        return Manager(RESOLVED, resolvectl)
    resolvconf = program("resolvconf")
    # systemd ships `resolvconf` as a link to resolvectl: without resolved it does nothing.
    if (resolvconf and Path(resolvconf).resolve().name != "resolvectl"
            and host.path("/run/resolvconf").is_dir()):  # fmt: skip
        return Manager(RESOLVCONF, resolvconf)
    return None


def changes(
    desired: Sequence[Interface], defined: Sequence[Interface], remove: Sequence[str] = ()
) -> dict[str, Dns]:
    """The interfaces whose DNS the change sets, changes or removes (an empty Dns), with
    their new DNS: a port or slave has none (``iface-bridge`` moves it to the master), a
    removed interface none."""
    before = {i.name: i.dns or Dns() for i in defined}
    out: dict[str, Dns] = {}
    for top in desired:
        for iface, master in top.walk():
            new = (iface.dns or Dns()) if master is None else Dns()
            if new != before.get(iface.name, Dns()):
                out[iface.name] = new
    for name in remove:
        if name not in out and before.get(name):
            out[name] = Dns()
    return out


def request(manager: Manager | None, changed: dict[str, Dns]) -> dict[str, Any] | None:
    """What the journal tells the watchdog to do ("resolver"), or None."""
    if manager is None or not changed:
        return None
    links = {n: {"servers": list(d.servers), "search": list(d.search)} for n, d in changed.items()}
    return {"manager": manager.kind, "program": manager.program, "links": links}


def for_change(
    host: Host, desired: Sequence[Interface], defined: Sequence[Interface], remove: Sequence[str]
) -> tuple[dict[str, Any] | None, list[str]]:
    """For a kernel-activated change: the watchdog's request (None: no resolver manager, or
    no DNS changes) and the plan's lines about the running resolver."""
    changed = changes(desired, defined, remove)
    manager = detect(host) if changed else None
    return request(manager, changed), plan_lines(manager, changed)


def plan_lines(manager: Manager | None, changed: dict[str, Dns]) -> list[str]:
    """What the plan says about the running resolver, one line per interface."""
    lines = []
    for name, dns in changed.items():
        said = " ".join(dns.servers) + (f", search {' '.join(dns.search)}" if dns.search else "")
        if manager is not None:
            lines.append(
                f"DNS for {name} set in {manager.where(name)}: {said.strip(', ')}"
                if dns
                else f"DNS for {name} removed from {manager.where(name)}"
            )
        elif dns:
            lines.append(
                f"{name}: DNS ({' '.join([*dns.servers, *dns.search])}) is written to"
                " the files; no resolver manager (systemd-resolved, resolvconf) runs"
                " here: it takes effect when the stack next brings the interface up"
            )
        else:
            lines.append(
                f"{name}: DNS is removed from the files; no resolver manager"
                " (systemd-resolved, resolvconf) runs here: the running resolver"
                " keeps it until the stack next brings the interface up"
            )
    return lines


# ---------------------------------------------------------------------------------------
# The watchdog's side: record, apply, restore.  SPEC is the journal's "resolver" entry.

Log = Callable[[str], None]


class ResolverFailed(Exception):
    """A resolver command that failed: the command (an empty argument shown as '') and
    its message."""

    def __init__(self, argv: list[str], message: str) -> None:
        super().__init__(f"`{' '.join(a or repr(a) for a in argv)}` failed: {message[-300:]}")


def _run(argv: list[str], log: Log, stdin: str | None = None) -> str:
    """Run a resolver command; its output (ResolverFailed: why not)."""
    log("run: " + " ".join(argv))
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                              timeout=TIMEOUT)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise ResolverFailed(argv, str(exc)) from None
    if done.returncode != 0:
        raise ResolverFailed(argv, done.stderr.strip() or f"exit {done.returncode}")
    return done.stdout


def _link_values(out: str) -> list[str]:
    """``resolvectl dns IF`` / ``domain IF`` output (``Link 2 (eth0): 192.0.2.53 …``)
    as its values; a link name never holds a colon, an IPv6 address after it may."""
    for line in out.splitlines():
        if line.startswith("Link ") and ":" in line:
            return line.split(":", 1)[1].split()
    return []


def _record_path(host: Host, name: str) -> Path | None:
    for d in RECORD_DIRS:
        path = host.path(f"{d}/{name}.{RECORD}")
        if path.exists():
            return path
    return None


def _record(dns: dict[str, Any]) -> str:
    lines = [f"nameserver {s}" for s in dns.get("servers", [])]
    if dns.get("search"):
        lines.append("search " + " ".join(dns["search"]))
    return "".join(f"{line}\n" for line in lines)


def saved(host: Host, spec: dict[str, Any] | None, log: Log) -> dict[str, Any]:
    """What the resolver has now for each link SPEC changes (for the journal): resolved's
    servers and domains (None: it knows no such link), resolvconf's record (None: none)."""
    if not spec:
        return {}
    program = str(spec["program"])
    out: dict[str, Any] = {}
    for name in spec["links"]:
        if spec["manager"] == RESOLVCONF:
            path = _record_path(host, name)
            out[name] = path.read_text() if path is not None else None
            continue
        try:
            servers = _link_values(_run([program, "dns", name], log))
            search = _link_values(_run([program, "domain", name], log))
        except ResolverFailed as exc:  # a link the change makes: nothing to put back
            log(f"  {exc}")
            out[name] = None
        else:
            out[name] = {"servers": servers, "search": search}
    return out


def _set(host: Host, spec: dict[str, Any], name: str, dns: dict[str, Any] | None,
         log: Log) -> None:  # fmt: skip
    """Make the resolver hold DNS (None or empty: nothing) for link NAME."""
    program = str(spec["program"])
    if spec["manager"] == RESOLVCONF:
        text = dns if isinstance(dns, str) else _record(dns or {})
        if text:
            _run([program, "-a", f"{name}.{RECORD}"], log, stdin=text)
        elif _record_path(host, name) is not None:
            _run([program, "-d", f"{name}.{RECORD}"], log)
        return
    failed = None
    for verb, key in (("dns", "servers"), ("domain", "search")):
        try:  # an empty string flushes resolved's list for the link
            _run([program, verb, name, *((dns or {}).get(key) or [""])], log)
        except ResolverFailed as exc:  # the other list is still set
            failed = failed or exc
    if failed is not None:
        raise failed


def apply(host: Host, spec: dict[str, Any] | None, log: Log) -> list[str]:
    """Hand each link's new DNS to the resolver; a failure is a warning naming the command
    (the change goes on: the probes judge connectivity, not this)."""
    if not spec:
        return []
    warnings = []
    for name, dns in spec["links"].items():
        try:
            _set(host, spec, name, dns, log)
        except ResolverFailed as exc:
            log(f"  {exc}")
            warnings.append(f"DNS for {name} not set in {spec['manager']}: {exc}")
    return warnings


def restore(host: Host, meta: dict[str, Any], log: Log) -> list[str]:
    """Rollback: each link's resolver state as ``saved`` recorded it in the journal META
    ("resolver_before"); what could not be put back, a line each.  Never raises: the rest
    of the rollback goes on."""
    spec: dict[str, Any] = meta.get("resolver") or {}
    before: dict[str, Any] = meta.get("resolver_before") or {}
    problems = []
    for name, old in before.items():
        try:
            if old is None and spec["manager"] == RESOLVED:
                # resolved knew no such link: the change made it and the rollback deletes it
                # (resolved forgets it); a link that stays loses what the change set.
                _run([str(spec["program"]), "revert", name], log)
            else:
                _set(host, spec, name, old, log)
        except ResolverFailed as exc:
            log(f"  {exc}")
            if old is not None:
                problems.append(f"DNS for {name}: not restored in {spec['manager']} ({exc})")
        except Exception as exc:  # a damaged journal entry: said, the rollback goes on
            problems.append(f"DNS for {name}: not restored ({exc!r})")
    return problems
