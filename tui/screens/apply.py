"""Apply: a confirm dialog listing what will be judged, then the watchdog's progress.

The watchdog (core.txn) does the work in its own session; this screen only reads its
journal (``txn.load()`` in a worker) and drops the Keep / Revert request files.  Closing
the TUI, or losing the ssh session, leaves the change guarded all the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ifsmith.core.host import Host
from ifsmith.core.model import Interface
from ifsmith.core.probe import Target, parse_target
from ifsmith.core.txn import FINAL, Txn, TxnError, request_confirm, request_rollback


@dataclass(frozen=True)
class ApplyChoice:
    """What the admin settled in the confirm dialog."""

    extra: tuple[Target, ...]
    confirm_timeout: float


class ApplyConfirm(ModalScreen[ApplyChoice | None]):
    """The plan, the files' backend, the probe targets; Apply or Cancel."""

    CSS_PATH = "apply.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#extra"

    def __init__(
        self,
        steps: list[str],
        backend: str,
        targets: list[Target],
        problem: str = "",
        warnings: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.steps = steps
        self.backend = backend
        self.targets = targets
        self.problem = problem
        self.warnings = list(warnings)

    def compose(self) -> ComposeResult:
        with Vertical(id="apply-box", classes="dialog"):
            yield Static("Apply the pending changes?", classes="dialog-title")
            with VerticalScroll(id="apply-body"):
                text = Text()
                text.append("Plan\n", style="bold")
                for step in self.steps or ["no change to the live state"]:
                    text.append(f"  {step}\n")
                for warning in self.warnings:
                    text.append(f"warning: {warning}\n", style="bold yellow")
                text.append(f"Files: {self.backend}\n", style="bold")
                text.append("Probes judged after the change\n", style="bold")
                for target in self.targets:
                    text.append(f"  {target}\n")
                if not self.targets:
                    text.append(
                        "  none found: add one below, or nothing is judged\n", style="yellow"
                    )
                yield Static(text, id="apply-summary")
                with Horizontal(classes="dialog-line"):
                    yield Label("also probe", classes="caption")
                    yield Input(placeholder="HOST[:PORT] ...", id="extra", compact=True)
                with Horizontal(classes="dialog-line"):
                    yield Label("keep within s", classes="caption")
                    yield Input("30", id="timeout", compact=True)
                yield Label(self.problem, id="apply-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    "Apply",
                    id="apply",
                    variant="warning",
                    compact=True,
                    disabled=bool(self.problem),
                )
                yield Button("Cancel", id="cancel", compact=True)

    def choice(self) -> ApplyChoice | str:
        """The settled choice, or why it cannot be taken."""
        try:
            extra = tuple(parse_target(t) for t in self.query_one("#extra", Input).value.split())
        except ValueError as exc:
            return str(exc)
        try:
            timeout = float(self.query_one("#timeout", Input).value)
        except ValueError:
            return "the confirm window must be a number of seconds"
        if timeout < 0:
            return "the confirm window cannot be negative"
        return ApplyChoice(extra, timeout)

    @on(Input.Changed)
    def typed(self) -> None:
        if self.problem:
            return
        choice = self.choice()
        self.query_one("#apply-problem", Label).update(choice if isinstance(choice, str) else "")
        self.query_one("#apply", Button).disabled = isinstance(choice, str)

    @on(Button.Pressed, "#apply")
    @on(Input.Submitted)
    def apply(self) -> None:
        choice = self.choice()
        if not self.problem and not isinstance(choice, str):
            self.dismiss(choice)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


STATE_WORDS = {
    "prepared": "checkpoint saved; the watchdog is starting",
    "applying": "applying the change",
    "applied": "applied; probing",
    "committed": "committed",
    "rolled-back": "rolled back",
}


def progress_text(meta: dict[str, Any], now: float) -> Text:
    """The watchdog's progress as an admin reads it: state, probes, countdown or outcome."""
    state = str(meta.get("state", "?"))
    text = Text()
    text.append(f"Transaction {meta.get('id', '?')}: ", style="bold")
    text.append(
        STATE_WORDS.get(state, state) + "\n",
        style={"committed": "bold green", "rolled-back": "bold red"}.get(state, ""),
    )
    results: dict[str, bool] = meta.get("results", {})
    baseline = set(meta.get("baseline", results))
    for target, ok in results.items():
        if state == "prepared":
            mark, style = "…", "dim"
        elif target not in baseline:
            mark, style = "not judged (no answer before the change)", "dim"
        else:
            mark, style = ("reachable", "green") if ok else ("unreachable", "red")
        text.append(f"  probe {target}: ")
        text.append(f"{mark}\n", style=style)
    if not results and state not in FINAL:
        text.append("  no probe targets\n", style="dim")
    if state == "applied" and meta.get("probes_ok") and meta.get("deadline"):
        left = max(0, int(float(meta["deadline"]) - now + 0.999))
        text.append(
            f"\nProbes pass. Rolls back in {left} s unless you keep it.\n", style="bold yellow"
        )
    if state == "rolled-back":
        text.append(f"\nWhy: {meta.get('reason', 'unknown')}\n", style="bold")
        if meta.get("rollback_seconds") is not None:
            text.append(f"Restored in {meta['rollback_seconds']} s.\n")
        for line in meta.get("differences", []):
            text.append(f"  not restored: {line}\n", style="red")
    if state == "committed":
        text.append("\nThe change is kept.\n")
    return text


class ApplyProgress(ModalScreen[str]):
    """Follows one transaction to its end; dismisses with its final state."""

    CSS_PATH = "apply.tcss"
    BINDINGS = [
        Binding("k", "keep", "Keep"),
        Binding("r", "revert", "Revert"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, host: Host, txn: Txn, now: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.host = host
        self.txn = txn
        self.now = now
        self.meta: dict[str, Any] = dict(txn.meta)

    def compose(self) -> ComposeResult:
        with Vertical(id="progress-box", classes="dialog"):
            yield Static("Applying", classes="dialog-title")
            with VerticalScroll(id="progress-body"):
                yield Static(id="progress")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep", id="keep", variant="success", compact=True)
                yield Button("Revert", id="revert", variant="error", compact=True)
                yield Button("Close", id="close", compact=True)

    def on_mount(self) -> None:
        self.show(self.meta)
        self.follow()
        self.set_interval(0.5, lambda: self.show(self.meta))

    @property
    def final(self) -> bool:
        return str(self.meta.get("state")) in FINAL

    @work(thread=True, exclusive=True, group="journal")
    def follow(self) -> None:
        """Poll the journal until the transaction is final."""
        from textual.worker import get_current_worker

        worker = get_current_worker()
        last = None
        while not worker.is_cancelled:
            try:
                meta = dict(self.txn.load().meta)
            except (OSError, ValueError):
                meta = None  # the watchdog is replacing meta.json right now
            if meta is not None and meta.get("updated") != last:
                last = meta.get("updated")
                self.app.call_from_thread(self.show, meta)
                if str(meta.get("state")) in FINAL:
                    return
            time.sleep(0.1)

    def show(self, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.query_one("#progress", Static).update(progress_text(meta, self.now()))
        final = self.final
        self.query_one("#keep", Button).disabled = final or not meta.get("probes_ok")
        self.query_one("#revert", Button).disabled = final
        self.query_one("#close", Button).disabled = not final

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        if self.final or not self.meta.get("probes_ok"):
            return
        try:
            request_confirm(self.host)
        except TxnError as exc:
            self.notify(str(exc), severity="error")

    @on(Button.Pressed, "#revert")
    def action_revert(self) -> None:
        if self.final:
            return
        try:
            request_rollback(self.host)
        except TxnError as exc:
            self.notify(str(exc), severity="error")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        if self.final:
            self.dismiss(str(self.meta.get("state")))
        else:
            self.notify("the change is still running: Keep or Revert first", severity="warning")


DAEMON_BACKENDS = ("nm-keyfile", "networkd", "netplan", "ifcfg-suse")


def activation(backend: str, host: Host) -> str:
    """The daemon's own activation where one manages the interfaces, else the kernel's."""
    if backend in DAEMON_BACKENDS and host.netns is None and host.is_real_root:
        import os

        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() in ("NetworkManager", "systemd-network", "wickedd"):
                        return "distro"
            except OSError:
                continue
    return "kernel"


def settle_for(desired: list[Interface], requested: float = 2.0) -> float:
    """A bridge with STP forwards only after listening and learning: wait that long."""
    longest = requested
    for top in desired:
        for iface, _master in top.walk():
            br = iface.bridge
            if br is not None and br.stp:
                longest = max(longest, 2 * (br.delay if br.delay is not None else 15.0) + 2)
    return longest
