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
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ifsmith.core.host import Host
from ifsmith.core.model import Interface, LiveHost
from ifsmith.core.probe import Target, parse_target
from ifsmith.core.txn import FINAL, Txn, TxnError, request_confirm, request_rollback
from ifsmith.tui.pending import Pending
from ifsmith.tui.preview import LIVE_ONLY, render_pending
from ifsmith.tui.screens.changes import backend_choices
from ifsmith.tui.screens.kept import KeptScreen, kept


@dataclass(frozen=True)
class Preparation:
    """What the dialog shows before the admin decides: the live state it planned from,
    the plan's steps (or why there is none), the probe targets, warnings."""

    live: LiveHost
    steps: list[str]
    targets: list[Target]
    warnings: list[str]
    problem: str = ""


def prepare(host: Host, live: LiveHost, pending: Pending, defined: list[Interface]) -> Preparation:
    """Plan the pending set against LIVE and find the probe targets (slow: a worker's)."""
    from ifsmith.core.definition import boot_off_warnings
    from ifsmith.core.errors import IfsmithError
    from ifsmith.core.plan import make_plan
    from ifsmith.core.probe import discover

    steps: list[str] = []
    problem = ""
    try:
        steps = list(make_plan(pending.definitions, live, remove=pending.deletions).describe())
    except (IfsmithError, ValueError) as exc:
        problem = str(exc)
    found: list[str] = []
    try:
        targets = discover(host, live)
    except (IfsmithError, OSError) as exc:
        targets, found = [], [f"the probe targets could not be found: {exc}"]
    clients = [t.address for t in targets if t.why == "ssh client"]
    warnings = boot_off_warnings(pending.definitions, defined, live, clients)
    return Preparation(live, steps, targets, [*found, *warnings], problem)


@dataclass(frozen=True)
class ApplyChoice:
    """What the admin settled in the confirm dialog."""

    extra: tuple[Target, ...]
    confirm_timeout: float
    backend: str = LIVE_ONLY  # the files written: a backend's name, or LIVE_ONLY
    live: LiveHost | None = None  # the state the plan was made from
    targets: tuple[Target, ...] = ()  # the discovered probe targets


class ApplyConfirm(KeptScreen[ApplyChoice | None]):
    """The plan, the backend whose files are written, the probe targets; Apply or Cancel.

    The dialog shows at once; the plan and probe targets (``prepare``, given the live
    state from ``snapshot``) and each backend's rendering are worked out in threads.
    The backend starts as the detected stack; the admin may choose another here, and the
    dialog then says it is not the detected one.  (Review's backend is only a preview.)"""

    CSS_PATH = "apply.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply", show=False),
    ]
    AUTO_FOCUS = "#extra"

    def __init__(
        self,
        host: Host,
        snapshot: Callable[[], LiveHost],
        pending: Pending,
        backend_names: Sequence[str],
        detected: str | None,
        defined: Sequence[Interface] = (),
    ) -> None:
        super().__init__()
        self.host = host
        self.snapshot = snapshot
        self.options_shown: list[tuple[str, str]] = []
        self.shown: dict[str, Text] = {}  # what refresh_state last put in each widget
        self.composed = False  # its widgets are mounted (load then updates them)
        self.opening = 0  # counts the openings: a worker's answer to an earlier one is dropped
        self.load(pending, backend_names, detected, defined)

    def load(
        self,
        pending: Pending,
        backend_names: Sequence[str],
        detected: str | None,
        defined: Sequence[Interface] = (),
    ) -> ApplyConfirm:
        """Ready the (kept) dialog for another opening: nothing planned or rendered yet,
        the detected stack's files chosen, the fields at their defaults."""
        self.pending = pending
        self.backend_names = list(backend_names)
        self.detected = detected
        self.backend = detected or LIVE_ONLY
        self.defined = list(defined)
        self.preparation: Preparation | None = None
        self.apply_when_ready = False  # Apply was asked for while planning
        # Per backend: the rendering's problem ("" when none) and its warnings.
        self.renderings: dict[str, tuple[str, list[str]]] = {LIVE_ONLY: ("", [])}
        self.opening += 1
        if self.composed:
            select = self.query_one("#apply-backend", Select)
            options = self.backend_options()
            with self.prevent(Select.Changed, Input.Changed):
                if options != self.options_shown:
                    select.set_options(options)
                    self.options_shown = options
                select.value = self.backend
                self.query_one("#extra", Input).value = ""
                self.query_one("#timeout", Input).value = "30"
            self.refresh_state()
        return self

    def backend_options(self) -> list[tuple[str, str]]:
        return backend_choices(self.backend_names, self.backend)

    def compose(self) -> ComposeResult:
        options = self.options_shown = self.backend_options()
        with Vertical(id="apply-box", classes="dialog"):
            yield Static("Apply the pending changes?", classes="dialog-title")
            with VerticalScroll(id="apply-body"):
                yield Static(Text("planning…", style="dim"), id="apply-summary")
                with Horizontal(classes="dialog-line"):
                    yield Label("write files of", classes="caption")
                    yield Select(options, value=self.backend, id="apply-backend",
                                 compact=True, allow_blank=False)  # fmt: skip
                yield Static(self.backend_note(), id="apply-backend-note")
                with Horizontal(classes="dialog-line"):
                    yield Label("also probe", classes="caption")
                    yield Input(placeholder="HOST[:PORT] ...", id="extra", compact=True)
                with Horizontal(classes="dialog-line"):
                    yield Label("keep within s", classes="caption")
                    yield Input("30", id="timeout", compact=True)
                yield Label("", id="apply-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", id="apply", variant="warning", compact=True, disabled=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.composed = True
        self.refresh_state()  # what arrived while the dialog was being composed

    def on_screen_resume(self) -> None:
        # Each opening (the dialog is kept between them; ``load`` reset it): plan and
        # render afresh.
        self.plan(self.opening, self.pending, self.defined)
        self.render_backend(self.opening, self.backend)

    @work(thread=True, exclusive=True, group="apply-plan")
    def plan(self, opening: int, pending: Pending, defined: list[Interface]) -> None:
        preparation = prepare(self.host, self.snapshot(), pending, defined)
        self.app.call_from_thread(self.planned, opening, preparation)

    def planned(self, opening: int, preparation: Preparation) -> None:
        if opening == self.opening:
            self.preparation = preparation
            self.refresh_state()

    @work(thread=True, group="apply-render")
    def render_backend(self, opening: int, backend: str) -> None:
        """Render the pending set for BACKEND once (a refusal is a problem shown)."""
        from ifsmith.core.errors import IfsmithError
        from ifsmith.core.files import UnsafeValue

        if backend in self.renderings:
            return
        try:
            warnings = [str(w) for w in render_pending(self.host, backend, self.pending).warnings]
            result = ("", warnings)
        except (IfsmithError, UnsafeValue, ValueError) as exc:
            result = (f"{backend}: refused: {exc}", [])
        self.app.call_from_thread(self.rendered, opening, backend, result)

    def rendered(self, opening: int, backend: str, result: tuple[str, list[str]]) -> None:
        if opening != self.opening:
            return
        self.renderings[backend] = result
        if backend == self.backend:
            self.refresh_state()

    def backend_note(self) -> Text:
        """Whether the chosen files are the detected stack's; marked when they are not."""
        if self.backend == self.detected:
            return Text("  the detected network stack", style="dim")
        detected = self.detected or "none found"
        if self.backend == LIVE_ONLY:
            return Text(f"  ! no files written: the change is lost at reboot "
                        f"(detected stack: {detected})", style="bold yellow")  # fmt: skip
        return Text(f"  ! NOT the detected network stack (that is: {detected})",
                    style="bold yellow")  # fmt: skip

    def summary(self) -> Text:
        text = Text()
        prep = self.preparation
        if prep is None:
            text.append("planning…\n", style="dim")
            return text
        text.append("Plan\n", style="bold")
        for step in prep.steps or ["no change to the live state"]:
            text.append(f"  {step}\n")
        _problem, rendering_warnings = self.renderings.get(self.backend, ("", []))
        for warning in [*prep.warnings, *rendering_warnings]:
            text.append(f"warning: {warning}\n", style="bold yellow")
        text.append("Probes judged after the change\n", style="bold")
        for target in prep.targets:
            text.append(f"  {target}\n")
        if not prep.targets:
            text.append("  none found: add one below, or nothing is judged\n", style="yellow")
        return text

    @property
    def ready(self) -> bool:
        """Planned and rendered for the chosen backend (whether it can be applied or not)."""
        return self.preparation is not None and self.backend in self.renderings

    def problem(self) -> str:
        """Why Apply cannot be taken now ("" when it can)."""
        if not self.ready:
            return ""
        assert self.preparation is not None
        choice = self.choice()
        return (self.preparation.problem or self.renderings[self.backend][0]
                or (choice if isinstance(choice, str) else ""))  # fmt: skip

    def refresh_state(self) -> None:
        # Only what changed is updated: each update lays the dialog out again.  Composed in
        # the background, the dialog hears its inputs' first Changed before all of it is
        # mounted: on_mount catches up.  An app closing while it composes the dialog closes
        # its widgets under it: nothing to show then.
        if not (self.composed and self.app.is_running):
            return
        problem = self.problem()
        for selector, content in (
            ("#apply-summary", self.summary()),
            ("#apply-backend-note", self.backend_note()),
            ("#apply-problem", Text(problem)),
        ):
            if self.shown.get(selector) != content:
                self.shown[selector] = content
                self.query_one(selector, Static).update(content)
        self.query_one("#apply", Button).disabled = not self.ready or bool(problem)
        if self.apply_when_ready and self.ready:
            self.apply_when_ready = False
            self.action_apply()  # as asked, unless the plan shows a problem

    @on(Select.Changed, "#apply-backend")
    def backend_chosen(self, event: Select.Changed) -> None:
        value = event.select.value  # as it is now: a change posted earlier may be stale
        if isinstance(value, str) and value != self.backend:
            self.backend = value
            self.render_backend(self.opening, value)
            self.refresh_state()

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
        if not 0 <= timeout < 1e6:
            return "the confirm window must be 0 or more seconds"
        prep = self.preparation
        return ApplyChoice(extra, timeout, self.backend, prep.live if prep else None,
                           tuple(prep.targets) if prep else ())  # fmt: skip

    @on(Input.Changed)
    def typed(self) -> None:
        self.refresh_state()

    @on(Button.Pressed, "#apply")
    @on(Input.Submitted)
    def action_apply(self) -> None:
        if not self.ready:
            # Typed ahead (the dialog shows before its plan): applied once planned, if
            # the plan, the files and the fields show no problem.
            self.apply_when_ready = True
            self.notify("still planning: applies once the plan is ready", severity="warning")
            return
        choice = self.choice()
        if not self.problem() and not isinstance(choice, str):
            self.dismiss(choice)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


APPLY = "apply-confirm"  # the name the kept Apply dialog is installed under


def apply_dialog(app: App[Any], backend: str) -> ApplyConfirm:
    """The app's one Apply dialog, loaded for an opening with its pending set, backends
    and detected stack (BACKEND; LIVE_ONLY when none was found)."""
    pending: Pending = getattr(app, "pending", Pending())
    names: list[str] = getattr(app, "backend_names", [])
    defined: list[Interface] = getattr(app, "defined", [])
    detected = None if backend == LIVE_ONLY else backend
    return kept_apply_dialog(app).load(pending, names, detected, defined)


def kept_apply_dialog(app: App[Any]) -> ApplyConfirm:
    """The app's one Apply dialog as it is; ``apply_dialog`` loads it for an opening."""
    host: Host = getattr(app, "host")  # noqa: B009 - the IfsmithApp's, typed loosely here
    snapshot = getattr(app, "source").snapshot  # noqa: B009

    return kept(app, APPLY, ApplyConfirm,
                lambda: ApplyConfirm(host, snapshot, Pending(), [], None))  # fmt: skip


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
        left = seconds_left(meta["deadline"], now)
        text.append(
            f"\nProbes pass. Rolls back in {left} s unless you keep it.\n", style="bold yellow"
        )
    elif state == "applied" and meta.get("settle_deadline"):
        text.append("\n" + settling_words(meta, now) + "\n", style="bold")
    if state == "rolled-back":
        text.append(f"\nWhy: {meta.get('reason', 'unknown')}\n", style="bold")
        if meta.get("rollback_seconds") is not None:
            text.append(f"Restored in {meta['rollback_seconds']} s.\n")
        for line in meta.get("differences", []):
            text.append(f"  not restored: {line}\n", style="red")
    if state == "committed":
        text.append("\nThe change is kept.\n")
    return text


def seconds_left(when: object, now: float) -> int:
    """Whole seconds until WHEN (a time), rounded up; 0 once past."""
    return max(0, int(float(str(when)) - now + 0.999))


def settling_words(meta: dict[str, Any], now: float) -> str:
    """The settle phase with its own countdown: the STP bridges' ports forwarding, else
    the deadline for the probes; then how long the confirm window will be."""
    window = float(meta.get("confirm_timeout", 30.0))
    then = f"then {window:g} s to keep it" if window > 0 else "then it is kept"
    forwarding = meta.get("stp_forwarding")
    if forwarding is not None and float(forwarding) > now:
        return f"Waiting for STP: ports forward in {seconds_left(forwarding, now)} s; {then}."
    left = seconds_left(meta["settle_deadline"], now)
    return f"Waiting for the probes to pass (rolls back in {left} s if not); {then}."


FINAL_TITLES = {"committed": "Committed", "rolled-back": "Rolled back", "failed": "Failed"}


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
            yield Static("Applying", id="progress-title", classes="dialog-title")
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
        state = str(meta.get("state"))
        self.query_one("#progress-title", Static).update(FINAL_TITLES.get(state, "Applying"))
        keep, revert = self.query_one("#keep", Button), self.query_one("#revert", Button)
        # Once final there is nothing to keep or revert: the buttons go, Close takes focus.
        keep.display = revert.display = not final
        keep.disabled = final or not meta.get("probes_ok")
        revert.disabled = final
        close = self.query_one("#close", Button)
        if final and close.disabled:
            close.disabled = False
            close.focus()
        close.disabled = not final

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


def settle_for(
    desired: list[Interface], requested: float = 2.0, before: LiveHost | None = None
) -> float:
    """A bridge with STP forwards only after listening and learning: wait that long."""
    from ifsmith.core.settle import settle_window

    return settle_window(desired, requested, before)
