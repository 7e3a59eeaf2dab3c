"""A change made ready: the plan, the files, the warnings, the probe targets and the
request for the watchdog.  The command line and the API both prepare changes here, so
both show and apply the same thing; nothing here prints or changes the host."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ifsmith.api.errors import Refused
from ifsmith.core.host import Host

if TYPE_CHECKING:
    from ifsmith.core.files import Rendering
    from ifsmith.core.model import Interface, LiveHost
    from ifsmith.core.plan import Plan
    from ifsmith.core.probe import Target
    from ifsmith.core.txn import Request

# Which daemons read which backend's files (and fight changes made behind their back).
DAEMONS = {
    "nm-keyfile": {"NetworkManager"},
    "ifcfg-rh": {"NetworkManager"},  # NM's ifcfg-rh plugin (RHEL 7-9)
    "networkd": {"systemd-networkd"},
    "netplan": {"NetworkManager", "systemd-networkd"},
    "ifcfg-suse": {"wickedd", "NetworkManager"},
}


@dataclass
class Change:
    """One change, planned against the host as it is now."""

    action: str  # apply | delete | start | stop
    names: list[str]
    desired: list[Interface]
    remove: list[str]
    before: LiveHost
    plan: Plan
    rendering: Rendering | None
    backend: str | None
    diff: str
    notes: list[str] = field(default_factory=list)  # shown before the plan (stdout)
    file_warnings: list[str] = field(default_factory=list)  # the backend's (stderr)
    warnings: list[str] = field(default_factory=list)  # shown with the plan
    activate: str = "kernel"
    settle: float = 2.0
    # DNS for the running resolver (core/resolver.py): the plan's lines, shown after the
    # live steps, and the watchdog's request (None: no resolver manager or no DNS change).
    steps: list[str] = field(default_factory=list)
    resolver: dict[str, Any] | None = None

    @property
    def is_empty(self) -> bool:
        return self.plan.is_empty and not self.diff

    def request(self, targets: Sequence[Target], confirm_timeout: float) -> Request:
        """What the watchdog is asked to do."""
        from ifsmith.core.txn import Request
        from ifsmith.core.xmlio import to_document

        return Request(
            action=self.action,
            names=self.names,
            desired_xml=to_document(self.desired) if self.desired or self.remove else "",
            rendering=self.rendering,
            backend=self.backend,
            activate=self.activate,
            confirm_timeout=confirm_timeout,
            settle=self.settle,
            probes=[t.to_json() for t in targets],
            remove=self.remove,
            resolver=self.resolver,
        )


def prepare(
    host: Host,
    action: str,
    desired: list[Interface],
    names: list[str],
    *,
    remove: Sequence[str] = (),
    defined: list[Interface] | None = None,
    backend: str = "auto",
    activate: str = "kernel",
    settle: float = 2.0,
) -> Change:
    """Plan ACTION: the live operations, and for apply and delete the files BACKEND would
    write.  ``defined`` (the files' definitions) turns on the warnings about boot activation
    and the DNS for the running resolver.  A transaction whose watchdog died is refused first."""
    from ifsmith.core import txn as txnmod
    from ifsmith.core.files import HostFiles, unified_diff
    from ifsmith.core.live import snapshot
    from ifsmith.core.plan import make_plan, start_plan, stop_plan

    unfinished = txnmod.pending(host)
    if unfinished is not None and txnmod.watchdog_running(host, unfinished) is False:
        # Its watchdog died: even a change that looks like nothing must wait for recover.
        txnmod.refuse_unfinished(host)
    before = snapshot(host)
    if action == "stop":
        plan = stop_plan(names, before)
    elif action == "start":
        plan = start_plan(names, desired, before)
    else:
        plan = make_plan(desired, before, remove=list(remove))
    change = Change(action, names, desired, list(remove), before, plan, None, None, "")
    if action in ("apply", "delete"):
        _render(change, host, backend)
    if change.rendering is not None:
        change.diff = unified_diff(change.rendering, HostFiles(host))
    if change.is_empty:
        return change
    if defined is not None:
        from ifsmith.core.definition import boot_off_warnings

        change.warnings = boot_off_warnings(desired, defined, before, ssh_clients(host, before))
    change.activate = activation(activate, change.backend, host)
    if change.activate == "kernel" and action in ("apply", "delete"):
        from ifsmith.core.resolver import for_change

        change.resolver, lines = for_change(host, desired, defined or [], remove)
        if change.resolver is not None:
            change.steps = lines
        else:  # no resolver manager: the files only, said so nobody waits for it
            change.warnings += lines
    change.settle = settle_window(settle, desired)
    return change


def _render(change: Change, host: Host, backend: str) -> None:
    """The files of an apply or a delete, rendered over the host's (none without a stack)."""
    from ifsmith.api.stack import has_stack, render, resolve_backend
    from ifsmith.core.files import HostFiles, RenderedFiles

    if not has_stack(host, backend):
        change.notes.append(
            f"(no configuration stack detected under {host.root}: live change only)"
        )
        return
    chosen = resolve_backend(backend, host)
    change.backend = chosen.NAME
    if not change.remove:
        rendering = render(chosen, change.desired, host)
        change.file_warnings += [str(w) for w in rendering.warnings]
        change.rendering = rendering
        return
    # The removed interfaces' files go first (with their subordinates' stanzas), then the
    # definitions are rendered on top: iface-unbridge's port is written, not undefined.
    gone = chosen.undefine(change.remove, HostFiles(host))
    change.file_warnings += [str(w) for w in gone.warnings]
    rendering = render(chosen, change.desired, host, RenderedFiles(HostFiles(host), gone))
    change.file_warnings += [str(w) for w in rendering.warnings]
    files = {**{p: b for p, b in gone.files.items() if p not in rendering.removed},
             **rendering.files}  # fmt: skip
    removed = (gone.removed - set(rendering.files)) | rendering.removed
    change.rendering = dataclasses.replace(rendering, files=files, removed=removed)


def ssh_clients(host: Host, before: LiveHost) -> list[str]:
    from ifsmith.core.probe import discover

    return [t.address for t in discover(host, before) if t.why == "ssh client"]


def activation(choice: str, backend: str | None, host: Host) -> str:
    """auto: the daemon's own activation where one manages the interfaces, else kernel."""
    if choice != "auto":
        return choice
    if DAEMONS.get(backend or "", set()) & daemons_running(host):
        return "distro"
    return "kernel"


def daemons_running(host: Host) -> set[str]:
    """Network daemons running for this host: none in a namespace or under a scratch root."""
    if host.netns or not host.is_real_root:
        return set()
    wanted = {name[:15] for names in DAEMONS.values() for name in names}  # comm is 15 chars
    found = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm in wanted:
                found.add(comm)
    return {name for names in DAEMONS.values() for name in names if name[:15] in found}


def settle_window(requested: float, desired: list[Interface]) -> float:
    """A bridge with STP on forwards only after listening and learning: wait that long."""
    from ifsmith.core.settle import settle_window as window

    return window(desired, requested)


def probe_targets(host: Host, before: LiveHost, given: Sequence[str], auto: bool) -> list[Target]:
    """The GIVEN targets (HOST[:PORT]), and the discovered ones when AUTO."""
    from ifsmith.core.probe import discover, parse_target, unique

    try:
        targets = [parse_target(t) for t in given]
    except ValueError as exc:
        raise Refused(str(exc)) from None
    if auto:
        targets = unique([*targets, *discover(host, before)])
    return targets


def all_names(desired: Sequence[Interface]) -> list[str]:
    """Every device of the definitions, subordinates included, once each."""
    names: list[str] = []
    for top in desired:
        for iface, _master in top.walk():
            if iface.name not in names:
                names.append(iface.name)
    return names


def deletable(
    host: Host, names: list[str], defined: Sequence[Interface], live: LiveHost
) -> list[str]:
    """Refused (nothing changed) when NAMES cannot be deleted; else the notes to show (a
    daemon that must be reloaded to forget the deleted devices)."""
    refused = delete_refusals(names, {i.name for top in defined for i, _m in top.walk()}, live)
    if refused:
        raise Refused("\n".join(refused) + "\nnothing was changed")
    daemons = set().union(*DAEMONS.values()) & daemons_running(host)
    if not daemons:
        return []
    return [f"note: {', '.join(sorted(daemons))} runs here; reload it after the change so "
            "that it forgets what was deleted"]  # fmt: skip


def delete_refusals(names: list[str], defined: set[str], live: LiveHost) -> list[str]:
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
