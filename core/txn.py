"""Transactions: checkpoint, detached watchdog, probes, confirm or roll back, recover.

The front end (CLI or TUI) only prepares: it takes the lock, writes the checkpoint and
starts the watchdog.  The watchdog — a separate process in its own session, holding the
lock — does everything after: write the files, activate, probe, wait for confirmation,
commit or roll back.  So a dropped ssh session or a killed front end never leaves a change
unguarded.

Journal: ``<state_dir>/txn/<id>/``
  meta.json      id, state, action, backend, names, probes, deadline, reason, results,
                 boot_id (a journal from an earlier boot is recovered by its files only)
  before.json    the live snapshot before the change
  desired.xml    what is applied (for action "apply")
  files.json     every touched file: path, existed, mode, uid, gid, directories it creates
  saved/N        the original bytes;  new/N  the bytes to write
  watchdog.log   what the watchdog did
States: prepared (nothing changed yet) → applying → applied → committed | rolled-back.
A journal left unfinished (its watchdog died) blocks new changes until ``recover``.
This module is the one place in core/ that reaches the backends (through the registry),
because the watchdog must rebuild them from the journal.

The watchdog is a plain ``setsid`` child, not a systemd transient unit: where logind kills
a closed session's processes (KillUserProcesses=yes) it dies with the session, and the
change waits, journaled, for ``ifsmith recover`` or the boot unit.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ifsmith.core.bridge_vlans import Membership
from ifsmith.core.errors import IfsmithError, TxnError
from ifsmith.core.files import (
    HostFiles,
    Rendering,
    fsync_dir,
    in_config_tree,
    remove_file,
    write_atomic,
    write_path,
)
from ifsmith.core.host import Host, root_check_skipped
from ifsmith.core.model import (
    ArpValidate,
    BondMode,
    Family,
    LacpRate,
    LinkState,
    LiveAddress,
    LiveBond,
    LiveBridge,
    LiveHost,
    LiveLink,
    LiveRoute,
    XmitHashPolicy,
)
from ifsmith.core.options import BondOptions, BridgeOptions, PortOptions

FINAL = ("committed", "rolled-back", "failed")
FAULTS = ("after-checkpoint", "after-files", "mid-activation", "after-activation", "before-commit")


# ---------------------------------------------------------------------------------------
# Live snapshots as JSON (the checkpoint must survive the process).


def live_to_json(live: LiveHost) -> dict[str, Any]:
    return asdict(live)


def live_from_json(data: dict[str, Any]) -> LiveHost:
    links = []
    for raw in data["links"]:
        raw = dict(raw)
        raw["operstate"] = LinkState(raw["operstate"])
        raw["addresses"] = tuple(
            LiveAddress(
                Family(a["family"]),
                a["address"],
                a["prefix"],
                a["scope"],
                dynamic=bool(a.get("dynamic", False)),
                origin=a.get("origin"),
                lifetime=tuple(a["lifetime"]) if a.get("lifetime") else None,
            )
            for a in raw["addresses"]
        )
        if raw.get("bond"):
            b = dict(raw["bond"])
            b["mode"] = BondMode(b["mode"])
            b["arp_targets"] = tuple(b["arp_targets"])
            b["arp_validate"] = ArpValidate(b["arp_validate"])
            b["xmit_hash_policy"] = (
                XmitHashPolicy(b["xmit_hash_policy"]) if b["xmit_hash_policy"] else None
            )
            b["lacp_rate"] = LacpRate(b["lacp_rate"]) if b["lacp_rate"] else None
            b["options"] = BondOptions(**b.get("options", {}))
            raw["bond"] = LiveBond(**b)
        if raw.get("bridge"):
            br = dict(raw["bridge"])
            br["options"] = BridgeOptions(**br.get("options", {}))
            raw["bridge"] = LiveBridge(**br)
        raw["port_options"] = PortOptions(**raw.get("port_options", {}))
        # A bridge port's or bridge's VLANs (absent from journals written before them).
        raw["vlans"] = Membership(**raw["vlans"]) if raw.get("vlans") is not None else None
        links.append(LiveLink(**raw))
    routes = tuple(
        LiveRoute(
            Family(r["family"]), r["dst"], r["gateway"], r["ifname"], r["metric"],
            r.get("origin", "static"),
        )
        for r in data["routes"]
    )
    return LiveHost(tuple(links), routes)


# ---------------------------------------------------------------------------------------
# The journal.


@dataclass
class Txn:
    """One transaction's journal directory and metadata."""

    dir: Path
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.dir.name

    @property
    def state(self) -> str:
        return str(self.meta.get("state", "?"))

    def load(self) -> Txn:
        meta = json.loads((self.dir / "meta.json").read_text())
        if not isinstance(meta, dict) or not isinstance(meta.get("state"), str):
            raise ValueError("not a transaction's metadata (no state)")
        self.meta = meta
        return self

    def save(self, **changes: Any) -> None:
        self.meta.update(changes)
        self.meta["updated"] = time.time()
        # One writer at a time by design (the front end until the watchdog starts, then
        # the watchdog); a temporary name of its own per process all the same.
        data = json.dumps(self.meta, indent=1, sort_keys=True).encode()
        try:
            self._replace_meta(data)
        except OSError as exc:
            if exc.errno != errno.ENOSPC or not self.release_reserve():
                raise
            self._replace_meta(data)  # with the room set aside at the checkpoint
        if self.state in FINAL:
            self.release_reserve()
        fsync_dir(self.dir)

    def _replace_meta(self, data: bytes) -> None:
        tmp = self.dir / f".meta.json.{os.getpid()}.tmp"
        try:
            _write_synced(tmp, data)
            os.rename(tmp, self.dir / "meta.json")
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def release_reserve(self) -> bool:
        """Free the room set aside at the checkpoint; False when it was freed already."""
        try:
            os.unlink(self.dir / RESERVE)
        except FileNotFoundError:
            return False
        return True

    def log(self, message: str) -> None:
        with open_private(self.dir / "watchdog.log", "a") as f:
            f.write(f"{time.strftime('%H:%M:%S')} {message}\n")

    def before(self) -> LiveHost:
        return live_from_json(json.loads((self.dir / "before.json").read_text()))


def txn_root(host: Host) -> Path:
    return host.state_dir / "txn"


def private_dir(path: Path) -> None:
    """A journal directory, root's alone: it holds copies of files with secrets (an older
    version made them 0755, so an existing one is tightened too)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def open_private(path: Path, how: str) -> IO[Any]:
    """A journal file opened for writing ("wb", "a", "ab"), made 0600, never through a link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW
    flags |= os.O_APPEND if how.startswith("a") else os.O_TRUNC
    return os.fdopen(os.open(path, flags, 0o600), how)


QUARANTINE = "quarantine"  # beside txn/: corrupt journals, moved aside for an admin to read
WHY = "why"  # in a quarantined journal: what was wrong with it


def all_txns(host: Host) -> list[Txn]:
    """Every journal, oldest first; a corrupt one is moved aside (see ``quarantined``)."""
    return _scan(host)[0]


def quarantined(host: Host) -> list[str]:
    """A line per corrupt journal: moved aside now or at an earlier look, or (without the
    right to move it) left where it is.  Never silent: each stays listed until removed."""
    unmoved = _scan(host)[1]
    where = host.state_dir / QUARANTINE
    lines = []
    for d in sorted(where.iterdir()) if where.is_dir() else []:
        why = (d / WHY).read_text().strip() if (d / WHY).is_file() else "corrupt"
        lines.append(f"journal {d.name} is corrupt ({why}); moved aside to {d}: "
                     "read it, restore by hand what it changed, then remove it")  # fmt: skip
    return lines + unmoved


def _scan(host: Host) -> tuple[list[Txn], list[str]]:
    """The readable journals, oldest first, and a line per corrupt one that could not be
    moved aside; the others are quarantined on the way."""
    root = txn_root(host)
    try:
        entries = sorted(root.iterdir()) if root.is_dir() else []
    except PermissionError:
        raise TxnError(f"cannot read the journal {root}: it is root's alone (try sudo)") from None
    if entries:
        for d in (host.state_dir, root):
            if (why := _untrusted(d)) is not None:
                raise TxnError(f"the journal {d} is {why}; refusing to trust it")
    found: list[Txn] = []
    unmoved: list[str] = []
    for d in entries:
        if not (d / "meta.json").is_file():
            continue  # a checkpoint being written
        if (untrusted := _untrusted(d)) is not None:
            # Planted by someone else: it could name any file to "restore".
            _set_aside(host, d, untrusted, unmoved)
            continue
        try:
            found.append(Txn(d).load())
        except PermissionError:
            raise TxnError(f"cannot read {d}: it is root's alone (try sudo)") from None
        except (OSError, ValueError) as exc:
            _set_aside(host, d, f"meta.json: {exc}", unmoved)
    return found, unmoved


def _untrusted(d: Path) -> str | None:
    """Why a journal directory cannot be trusted (another owner than this user, root;
    writable by others), or None."""
    st = os.lstat(d)
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link"
    if st.st_uid != os.geteuid():
        return f"owned by uid {st.st_uid}"
    if st.st_mode & 0o022:
        return f"writable by others (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def _set_aside(host: Host, d: Path, why: str, unmoved: list[str]) -> None:
    try:
        _quarantine(host, d, why)
    except OSError as move:
        unmoved.append(
            f"journal {d.name} is corrupt ({why}); it could not be moved aside "
            f"({move.strerror}): run `ifsmith recover` as root"
        )


def _quarantine(host: Host, d: Path, why: str) -> None:
    where = host.state_dir / QUARANTINE
    private_dir(where)
    os.rename(d, where / d.name)
    (where / d.name / WHY).write_text(why + "\n")


def find(host: Host, txn_id: str) -> Txn:
    """The transaction with this id, or the one id ending in it."""
    txns = all_txns(host)
    exact = [t for t in txns if t.id == txn_id]
    found = exact or [t for t in txns if txn_id and t.id.endswith(txn_id)]
    if len(found) > 1:
        ids = ", ".join(t.id for t in found)
        raise TxnError(f"{txn_id} matches several transactions ({ids}); give more of the id")
    if not found:
        raise TxnError(f"no transaction {txn_id} (see `ifsmith history`)")
    return found[0]


def pending(host: Host) -> Txn | None:
    """The transaction not yet committed or rolled back, if any."""
    open_ = [t for t in all_txns(host) if t.state not in FINAL]
    return open_[-1] if open_ else None


# ---------------------------------------------------------------------------------------
# The lock.


@contextlib.contextmanager
def locked(host: Host) -> Iterator[int]:
    """Hold the transaction lock; a second holder is refused at once, clearly."""
    lock = host.run_dir / "lock"
    try:
        host.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        # A directory or a file in the way, a read-only /run: say which, change nothing.
        why = f"{exc.filename or lock}: {exc.strerror}"
        if host.run_dir.exists() and not host.run_dir.is_dir():
            why = f"{host.run_dir} is not a directory"
        raise TxnError(f"cannot open the lock ({why}); nothing was changed") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            active = pending(host)
            what = f" (transaction {active.id}, {active.state})" if active else ""
            raise TxnError(
                f"another transaction is in progress{what}; confirm or roll it back first "
                "(`ifsmith status`)"
            ) from None
        yield fd
    finally:
        os.close(fd)


def lock_is_free(host: Host) -> bool:
    try:
        with locked(host):
            return True
    except TxnError:
        return False


# ---------------------------------------------------------------------------------------
# Begin: checkpoint and start the watchdog.


@dataclass
class Request:
    """What the front end asks the watchdog to do."""

    action: str  # apply | start | stop | revert
    names: Sequence[str]
    desired_xml: str = ""
    rendering: Rendering | None = None
    backend: str | None = None
    activate: str = "kernel"  # kernel | distro
    confirm_timeout: float = 30.0
    settle: float = 3.0
    probes: Sequence[dict[str, Any]] = ()
    remove: Sequence[str] = ()
    # revert: the committed transactions it undoes (newest first) and the live state from
    # before the oldest of them, which it restores.
    reverts: Sequence[str] = ()
    restore_to: LiveHost | None = None
    # DNS for the running resolver (core/resolver.py ``request``), kernel activation only.
    resolver: dict[str, Any] | None = None


def begin(host: Host, request: Request, before: LiveHost) -> Txn:
    """Checkpoint everything the change touches and start the watchdog; returns at once."""
    if os.geteuid() != 0 and not root_check_skipped():
        raise TxnError("changing the network needs root; nothing was changed")
    with locked(host) as lock_fd:
        refuse_unfinished(host)
        d = txn_root(host) / new_id(host)
        try:
            txn = checkpoint(host, d, request, before)
        except (OSError, IfsmithError) as exc:
            # A full or read-only disk, a file that cannot be read: no journal, no change.
            if d.is_dir():
                shutil.rmtree(d, ignore_errors=True)
            if isinstance(exc, IfsmithError):
                raise
            raise TxnError(
                f"cannot write the checkpoint {d}: {exc.strerror}; nothing was changed"
            ) from None
        _start_watchdog(host, txn, lock_fd)
    return txn


def new_id(host: Host) -> str:
    """A transaction id no journal has: the time and the pid, and a counter when one process
    (a Python API caller) begins several within a second; ids sort in the order begun."""
    base = time.strftime("%Y%m%d-%H%M%S-") + f"{os.getpid() % 100000:05d}"
    txn_id, n = base, 1
    while (txn_root(host) / txn_id).exists() or (host.state_dir / QUARANTINE / txn_id).exists():
        n += 1
        txn_id = f"{base}-{n:03d}"
    return txn_id


def refuse_unfinished(host: Host) -> None:
    """A transaction whose watchdog died must be recovered before anything else changes:
    the saved state of a later change would be the half-applied one."""
    txn = pending(host)
    if txn is not None:
        raise TxnError(
            f"transaction {txn.id} was never finished ({txn.state}); run `ifsmith recover` "
            "first; nothing was changed"
        )


def checkpoint(host: Host, d: Path, request: Request, before: LiveHost) -> Txn:
    """Write the journal of a change into the new directory D, fsynced; state "prepared".
    A file the change may not write (``write_path``) is refused before anything is made."""
    rendering = request.rendering
    lands = {p: write_path(host, p) for p in rendering.touched} if rendering else {}
    private_dir(host.state_dir)
    private_dir(d.parent)
    d.mkdir(mode=0o700)
    txn = Txn(d)
    files: list[dict[str, Any]] = []
    if request.rendering is not None:
        (d / "saved").mkdir(mode=0o700)
        (d / "new").mkdir(mode=0o700)
        view = HostFiles(host)
        for n, path in enumerate(request.rendering.touched):
            # A symlink inside /etc stays; the file it names is the one written and restored.
            target = lands[path]
            real = host.path(target)
            entry: dict[str, Any] = {"path": str(target), "n": n, "existed": False}
            if target != path:
                entry["link"] = str(path)
            old = view.read(target)
            if old is not None:
                st = os.lstat(real)
                entry.update(existed=True, mode=st.st_mode & 0o7777, uid=st.st_uid,
                             gid=st.st_gid)  # fmt: skip
                _write_synced(d / "saved" / str(n), old)
            new = request.rendering.files.get(path)
            if new is not None:
                _write_synced(d / "new" / str(n), new)
                entry["new_mode"] = request.rendering.mode_of(path)
                if path in request.rendering.owners:
                    entry["new_owner"] = list(request.rendering.owners[path])
                # Directories the write will create; rollback removes them again.
                entry["made_dirs"] = [
                    str(p) for p in reversed(target.parents) if not host.path(p).exists()
                ]
            entry["remove"] = new is None
            files.append(entry)
    _write_synced(d / "files.json", json.dumps(files, indent=1).encode())
    _write_synced(d / "before.json", json.dumps(live_to_json(before)).encode())
    _write_synced(d / "desired.xml", request.desired_xml.encode())
    if request.restore_to is not None:
        _write_synced(d / "target.json", json.dumps(live_to_json(request.restore_to)).encode())
    # Room for the rest of the journal and for the restored files, set aside now: on a disk
    # that fills up during the change, rollback and recover still finish.
    saved = sum(p.stat().st_size for p in d.glob("saved/*"))
    with open_private(d / RESERVE, "wb") as f:
        os.posix_fallocate(f.fileno(), 0, RESERVE_MIN + saved)  # blocks, not a sparse file
    txn.save(
        id=d.name,
        created=time.time(),
        state="prepared",
        action=request.action,
        names=list(request.names),
        remove=list(request.remove),
        backend=request.backend,
        activate=request.activate,
        confirm_timeout=request.confirm_timeout,
        settle=request.settle,
        probes=list(request.probes),
        results={},
        host=host.env(),
        boot_id=boot_id(),
        user=os.environ.get("SUDO_USER") or os.environ.get("USER", ""),
        **({"reverts": list(request.reverts)} if request.reverts else {}),
        **({"resolver": request.resolver} if request.resolver else {}),
    )
    fsync_dir(d.parent)
    return txn


RESERVE = "reserve"
RESERVE_MIN = 64 * 1024


def _write_synced(path: Path, data: bytes) -> None:
    with open_private(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def scope_command(txn: Txn) -> list[str] | None:
    """Under systemd, the command that puts the watchdog in a scope unit of its own: out
    of the login session, so logind's KillUserProcesses=yes does not kill it with the ssh
    session.  ``systemd-run --scope`` then executes the watchdog itself (fds and
    environment inherited).  None without systemd."""
    if not os.path.isdir("/run/systemd/system"):  # sd_booted(): systemd is PID 1
        return None
    runner = shutil.which("systemd-run")
    if runner is None:
        return None
    return [runner, "--scope", "--quiet", "--collect", f"--unit=ifsmith-watchdog-{txn.id}", "--"]


WATCHDOG_START_LIMIT = 30.0  # seconds to wait for the watchdog to record itself


def _start_watchdog(host: Host, txn: Txn, lock_fd: int) -> None:
    """The watchdog: its own session (no terminal, no SIGHUP from it), holding the lock;
    under systemd also its own scope unit.  Returns once it has recorded itself in the
    journal: a scope that could not be made falls back to a plain process."""
    env = dict(os.environ)
    env.update(host.env())
    watchdog = [sys.executable, "-m", "ifsmith.core.txn", "watchdog", str(txn.dir), str(lock_fd)]
    scope = scope_command(txn)
    attempts = ([scope + watchdog] if scope else []) + [watchdog]
    for n, argv in enumerate(attempts):
        with open_private(txn.dir / "watchdog.log", "ab") as log:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                pass_fds=(lock_fd,),
                env=env,
                close_fds=True,
            )
        if _recorded(txn, proc):
            # Not saved: from now on the watchdog alone writes the journal.  A save here
            # raced the watchdog's own and lost its updates, or failed.
            txn.meta["watchdog_pid"] = proc.pid
            return
        if n + 1 < len(attempts):
            txn.log(f"the watchdog's scope unit could not be made ({argv[0]} exited "
                    f"{proc.returncode}); starting it as a plain process")  # fmt: skip
    raise TxnError(
        f"the watchdog of {txn.id} did not start (see {txn.dir / 'watchdog.log'}); "
        "run `ifsmith recover`"
    )


def _recorded(txn: Txn, proc: subprocess.Popen[bytes]) -> bool:
    """Wait until the watchdog has recorded its pid in the journal (True), or its process
    ended before that (False).  One still running after the limit counts as started: it
    is slow, not gone, and a second one must not be started beside it."""
    deadline = time.monotonic() + WATCHDOG_START_LIMIT
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            if Txn(txn.dir).load().meta.get("watchdog_pid"):
                return True
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    return proc.poll() is None


# ---------------------------------------------------------------------------------------
# Front-end requests to a running watchdog.


def request_confirm(host: Host) -> Txn:
    txn = pending(host)
    if txn is None:
        raise TxnError("no transaction is waiting for confirmation")
    (txn.dir / "confirm").touch()
    return txn


def request_rollback(host: Host) -> Txn:
    txn = pending(host)
    if txn is None:
        raise TxnError("no transaction is in progress")
    (txn.dir / "rollback").touch()
    return txn


def wait_final(txn: Txn, on_update: Callable[[Txn], None] | None = None,
               poll: float = 0.05, every: float | None = None,
               until: Callable[[Txn], bool] | None = None) -> Txn:  # fmt: skip
    """Follow the journal until the transaction is final (or its watchdog died), or
    ``until`` says it is far enough; call ``on_update`` on each change, and also ``every``
    seconds when given (a countdown)."""
    last = None
    called = time.monotonic()
    started = txn.meta.get("watchdog_pid")  # known to the front end before the journal
    while True:
        with contextlib.suppress(OSError, ValueError):
            txn.load()
        due = every is not None and time.monotonic() - called >= every
        if on_update is not None and (txn.meta.get("updated") != last or due):
            last = txn.meta.get("updated")
            called = time.monotonic()
            on_update(txn)
        if txn.state in FINAL or (until is not None and until(txn)):
            return txn
        pid = txn.meta.get("watchdog_pid") or started
        if pid and not _alive(int(pid)):
            txn.load()
            if txn.state in FINAL:
                return txn
            raise TxnError(
                f"the watchdog of {txn.id} died in state {txn.state}; "
                "run `ifsmith recover` to restore the state before it"
            )
        time.sleep(poll)


def watchdog_running(host: Host, txn: Txn) -> bool | None:
    """Whether an unfinished transaction still has its watchdog (None: it is finished, or
    this user cannot tell).  Its recorded pid must be alive and still be that watchdog (a
    pid is reused); before the watchdog records itself, the front end holds the lock."""
    if txn.state in FINAL:
        return None
    pid = txn.meta.get("watchdog_pid")
    if pid:
        return _alive(int(pid)) and _is_watchdog_of(int(pid), txn)
    try:
        fd = os.open(host.run_dir / "lock", os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True  # held: the change is being prepared, or its watchdog starts
    finally:
        os.close(fd)  # also lets go of the shared lock at once
    return False


def _is_watchdog_of(pid: int, txn: Txn) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    name = os.fsencode(txn.id)
    return b"ifsmith.core.txn" in argv and any(os.path.basename(a) == name for a in argv)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (our own child not yet reaped) is not alive.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------------------------------
# The watchdog.


def _fault(step: str) -> None:
    """Tests pick a step with IFSMITH_FAULT; the watchdog dies there, as if killed."""
    if os.environ.get("IFSMITH_FAULT") == step:
        os._exit(99)


def watchdog(txn_dir: Path, lock_fd: int) -> int:
    """Everything after the checkpoint; runs detached, holding the lock."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    txn = Txn(txn_dir).load()
    txn.save(watchdog_pid=os.getpid())
    host = Host.from_env(txn.meta.get("host", {}))
    try:
        return _watch(host, txn)
    except Exception as exc:
        txn.log(f"error: {exc!r}; rolling back")
        try:
            rollback(host, txn, f"error during the change: {exc}")
        except Exception as again:
            # The journal stays unfinished, so `ifsmith recover` (and the boot unit) retry.
            txn.log(f"rollback failed: {again!r}; `ifsmith recover` will retry")
            txn.save(reason=f"rollback failed: {again}; run `ifsmith recover`")
        return 1
    finally:
        with contextlib.suppress(OSError):
            prune(host)  # still under the lock
        with contextlib.suppress(OSError):
            os.close(lock_fd)


def _watch(host: Host, txn: Txn) -> int:
    from ifsmith.core.probe import Target, baseline_all, reachable_all

    _fault("after-checkpoint")
    targets = [Target.from_json(p) for p in txn.meta.get("probes", [])]
    # Each target is judged later by the method that reached it now, with a timeout long
    # enough for a distant ssh client (RTT well over 0.3 s).
    reached = baseline_all(host, targets, 1.0)
    judged = [t for t in reached if t is not None]
    txn.save(
        state="applying",
        baseline=[str(t) for t in judged],
        results={str(t): (r is not None) for t, r in zip(targets, reached, strict=True)},
    )
    txn.log(f"baseline: {len(judged)} of {len(targets)} targets reachable")
    if _distro(txn):
        # ifdown must read the configuration the interface was brought up with.
        run_distro(host, txn, down=True)
    write_files(host, txn)
    _fault("after-files")
    activate(host, txn)
    _fault("after-activation")
    applied_at = time.time()
    settle = float(txn.meta.get("settle", 3.0))
    timeout = float(txn.meta.get("confirm_timeout", 30.0))
    # Two phases: "settling" until the probes pass (they must by settle_deadline), then
    # "confirming": the confirm window starts only then, whole, however long the settle
    # took (an STP bridge forwards only after twice its forward delay).
    txn.save(state="applied", applied=applied_at, phase="settling",
             settle_deadline=applied_at + settle,
             **_stp_forwarding(txn, applied_at))  # fmt: skip
    txn.log("applied; probing")
    # Settle: every baseline target must answer again before the window ends.
    waiting = list(judged)
    results = dict(txn.meta.get("results", {}))
    settle_end = time.monotonic() + settle
    while waiting and (left := settle_end - time.monotonic()) > 0:
        if (txn.dir / "rollback").exists():
            break
        answers = reachable_all(host, waiting, max(0.2, min(1.0, left)))
        waiting = [t for t, ok in zip(waiting, answers, strict=True) if not ok]
        results.update({str(t): t not in waiting for t in judged})
        txn.save(results=results)
    if (txn.dir / "rollback").exists():
        rollback(host, txn, "rolled back on request")
        return 0
    if waiting:
        lost = ", ".join(str(t) for t in waiting)
        rollback(host, txn, f"lost connectivity to {lost}")
        return 0
    passed = time.time()
    deadline = passed + max(timeout, 0.0)
    txn.save(probes_ok=True, probes_passed=passed, phase="confirming", deadline=deadline)
    txn.log(f"probes pass after {passed - applied_at:.1f} s; confirm within {timeout:g} s")
    if timeout <= 0:
        return _commit(txn)
    while time.time() < deadline:
        if (txn.dir / "confirm").exists():
            return _commit(txn)
        if (txn.dir / "rollback").exists():
            rollback(host, txn, "rolled back on request")
            return 0
        time.sleep(0.05)
    rollback(host, txn, f"not confirmed within {timeout:g} s")
    return 0


def _stp_forwarding(txn: Txn, applied_at: float) -> dict[str, float]:
    """When the STP bridges the change makes start forwarding ({"stp_forwarding": time}),
    for the front ends' settle countdown; {} when none waits for STP."""
    from ifsmith.core.settle import stp_forwarding
    from ifsmith.core.xmlio import parse

    if txn.meta.get("action") not in ("apply", "start"):
        return {}
    try:
        desired = parse((txn.dir / "desired.xml").read_bytes(), "desired.xml")
        seconds = stp_forwarding(desired, txn.before())
    except (OSError, ValueError, IfsmithError):
        return {}
    return {"stp_forwarding": applied_at + seconds} if seconds else {}


def _commit(txn: Txn) -> int:
    _fault("before-commit")
    txn.save(state="committed", committed=time.time())
    for undone in txn.meta.get("reverts", []):
        # Under the lock this watchdog holds: nothing else writes those journals now.
        with contextlib.suppress(OSError, ValueError):
            Txn(txn.dir.parent / undone).load().save(
                state="rolled-back",
                reason=f"reverted by transaction {txn.id}",
                rolled_back=time.time(),
                differences=[],
            )
    txn.log("committed")
    return 0


def write_files(host: Host, txn: Txn) -> None:
    """Write the new files recorded in the checkpoint."""
    for entry in json.loads((txn.dir / "files.json").read_text()):
        target = host.path(write_path(host, PurePosixPath(entry["path"])))  # still in /etc
        if entry["remove"]:
            remove_file(target)
        else:
            data = (txn.dir / "new" / str(entry["n"])).read_bytes()
            owner = entry.get("new_owner")  # a revert: the file's own mode and owner back
            write_atomic(target, data, int(entry.get("new_mode", 0o644)),
                         (int(owner[0]), int(owner[1])) if owner else None,
                         exact=owner is not None)  # fmt: skip


def activate(host: Host, txn: Txn) -> None:
    """Make the kernel (or the distro's daemon) run the new configuration."""
    from ifsmith.backends import kernel
    from ifsmith.core import resolver
    from ifsmith.core.live import snapshot

    plan = build_plan(host, txn, snapshot(host))
    txn.log("plan: " + "; ".join(plan.describe()))
    if _distro(txn):
        run_distro(host, txn, down=False)
        _await_convergence(host, txn)
        if txn.meta.get("action") == "revert":
            # As in a rollback: what the daemon leaves behind (a device whose file is gone)
            # the kernel activator removes.
            kernel.apply(host, build_plan(host, txn, snapshot(host)))
        return
    if txn.meta.get("resolver"):  # what the resolver had, before anything changes
        txn.save(resolver_before=resolver.saved(host, txn.meta["resolver"], txn.log))
    ops = plan.operations
    if os.environ.get("IFSMITH_FAULT") == "mid-activation":
        from ifsmith.core.plan import Plan

        kernel.apply(host, Plan(ops[: max(1, len(ops) // 2)]))
        _fault("mid-activation")
    kernel.apply(host, plan)
    _follow_dhcp(host, txn)
    _follow_run_state(host, txn)
    if txn.meta.get("resolver"):
        txn.save(warnings=resolver.apply(host, txn.meta["resolver"], txn.log))


def _follow_dhcp(host: Host, txn: Txn) -> None:
    """Without a daemon, the DHCP clients follow the change as the stack's own scripts
    would run them: stopped (the lease kept) for every interface the change defines that
    is a port or slave or has no ``<dhcp/>`` (first: the lease has already moved live),
    then started for every top-level one with ``<dhcp/>``, with the identity of the
    client its port or slave ran (same client identifier: same lease).  Recorded for
    rollback."""
    from ifsmith import backends
    from ifsmith.core.xmlio import parse

    if txn.meta.get("action") not in ("apply", "start") or not txn.meta.get("backend"):
        return
    backend = backends.get(str(txn.meta["backend"]))
    tops: dict[str, set[Family]] = {}  # top-level interface → families with <dhcp/>
    top_of: dict[str, str] = {}  # port or slave → its top-level interface
    for top in parse((txn.dir / "desired.xml").read_bytes(), "desired.xml"):
        for iface, master in top.walk():
            if master is None:
                tops[iface.name] = {p.family for p in iface.protocols if p.dhcp}
            else:
                top_of[iface.name] = top.name
    stopped, started = [], []
    donors: dict[tuple[str, Family], backends.DhcpClient] = {}
    for name in [*tops, *top_of]:
        for client in backends.dhcp_clients(backend, host, name):
            if client.family not in tops.get(name, set()) and client.running():
                _run_client(host, txn, client.stop)
                stopped.append([name, client.family.value])
                txn.save(dhcp_stopped=stopped)  # a watchdog dying here: recover restarts it
                if name in top_of:
                    donors.setdefault((top_of[name], client.family), client)
    for name, families in tops.items():
        for client in backends.dhcp_clients(backend, host, name):
            if client.family in families and not client.running():
                donor = donors.get((name, client.family))
                if donor is not None and backends.carry_duid(client, donor):
                    txn.log(f"{name}: the DHCP client identity of {donor.pidfile.name}")
                _run_client(host, txn, client.start)
                started.append([name, client.family.value])
                txn.save(dhcp_started=started)


def _follow_run_state(host: Host, txn: Txn) -> None:
    """Without a daemon, the stack's record of what is up follows the change as its own
    tools would keep it (ifupdown's /run/network/ifstate: else a later ``ifdown br0``
    finds br0 "not configured" and leaves its dhclient running).  The files are saved in
    the journal first ("run_state"); a rollback puts them back."""
    from ifsmith import backends
    from ifsmith.core.xmlio import parse

    action = txn.meta.get("action")
    if action not in ("apply", "start", "stop") or not txn.meta.get("backend"):
        return
    backend = backends.get(str(txn.meta["backend"]))
    paths_of = getattr(backend, "run_state_paths", None)
    mark = getattr(backend, "mark_run_state", None)
    if paths_of is None or mark is None:
        return
    up: list[str] = []
    down = [str(n) for n in txn.meta.get("remove", [])]
    if action == "stop":
        down += [str(n) for n in txn.meta.get("names", [])]
    else:
        for top in parse((txn.dir / "desired.xml").read_bytes(), "desired.xml"):
            up += [iface.name for iface, _master in top.walk()]
    try:
        saved: dict[str, str | None] = {}
        for path in paths_of(host, [*up, *down]):
            try:
                saved[str(path)] = path.read_text()
            except FileNotFoundError:
                saved[str(path)] = None
        txn.save(run_state=saved)
        for line in mark(host, up, down):
            txn.log(f"{txn.meta['backend']} state: {line}")
    except OSError as exc:  # bookkeeping: the change itself stands
        txn.log(f"{txn.meta['backend']} state not recorded: {exc}")


def _undo_run_state(host: Host, txn: Txn) -> None:
    """Rollback: the stack's state files as they were before the change."""
    for path, text in (txn.meta.get("run_state") or {}).items():
        try:
            if text is None:
                Path(path).unlink(missing_ok=True)
            else:
                write_atomic(Path(path), str(text).encode(), 0o644, exact=True)
        except OSError as exc:
            txn.log(f"{path}: not restored ({exc})")


def _undo_dhcp(host: Host, txn: Txn, key: str) -> None:
    """Rollback, once the live state is restored (connectivity first: dhclient -x alone
    takes a second): the clients the change started ("dhcp_started") are stopped, then
    those it stopped ("dhcp_stopped") start again."""
    from ifsmith import backends

    if not txn.meta.get(key) or not txn.meta.get("backend"):
        return
    start = key == "dhcp_stopped"
    try:
        backend = backends.get(str(txn.meta["backend"]))
        for name, family in txn.meta[key]:
            for client in backends.dhcp_clients(backend, host, name):
                if client.family.value == family and client.running() != start:
                    _run_client(host, txn, client.start if start else client.stop)
    except Exception as exc:  # the live state is back: a client must not fail the rollback
        txn.log(f"DHCP clients ({key}): {exc!r}")


def _run_client(host: Host, txn: Txn, argv: list[str]) -> None:
    # A client that does not start costs the interface its renewals, not its address
    # (that moved live): said in the log, the change goes on.
    txn.log("run: " + " ".join(argv))
    try:
        result = _run_in_netns(host, argv)
    except (OSError, subprocess.SubprocessError) as exc:
        txn.log(f"  (failed) {exc}")
        return
    if result.returncode != 0:
        txn.log(f"  (failed, exit {result.returncode}) {result.stderr.strip()[-300:]}")


def _await_convergence(host: Host, txn: Txn) -> None:
    """A daemon applies asynchronously: wait (up to the settle window) until the kernel runs
    what was asked, so probes and commit judge the new state, not the old one."""
    from ifsmith.core.live import snapshot

    deadline = time.monotonic() + float(txn.meta.get("settle", 3.0))
    while True:
        left = build_plan(host, txn, snapshot(host))
        if left.is_empty:
            txn.log("the daemon applied the change")
            return
        if time.monotonic() > deadline:
            txn.log("the daemon has not (yet) done: " + "; ".join(left.describe()))
            return
        time.sleep(0.1)


def _distro(txn: Txn) -> bool:
    return txn.meta.get("activate") == "distro" and bool(txn.meta.get("backend"))


def run_distro(host: Host, txn: Txn, *, down: bool, check: bool = True) -> None:
    """The backend's own commands: the ``ifdown`` ones (before the files change) or the rest."""
    from ifsmith import backends

    backend = backends.get(str(txn.meta["backend"]))
    for argv in backend.activate(host, list(txn.meta["names"])):
        if ("ifdown" in argv) != down:
            continue
        txn.log("run: " + " ".join(argv))
        result = _run_in_netns(host, argv)
        if result.returncode != 0 and (down or not check):
            # Taking down what the old configuration did not know is not an error.
            txn.log(f"  (ignored) {result.stderr.strip()[:300]}")
        elif result.returncode != 0:
            raise TxnError(f"{' '.join(argv)} failed: {result.stderr.strip()[:500]}")


def _run_in_netns(host: Host, argv: list[str]) -> subprocess.CompletedProcess[str]:
    # Backends put `ip netns exec NS` in front themselves where the tool needs it.
    inside = argv[:3] == ["ip", "netns", "exec"]
    prefix = ["ip", "netns", "exec", host.netns] if host.netns and not inside else []
    return subprocess.run(prefix + argv, capture_output=True, text=True, timeout=120)


def build_plan(host: Host, txn: Txn, live: LiveHost) -> Any:
    from ifsmith.core.plan import make_plan, start_plan, stop_plan
    from ifsmith.core.xmlio import parse

    action = txn.meta.get("action")
    names = list(txn.meta.get("names", []))
    if action == "stop":
        return stop_plan(names, live)
    if action == "revert":
        target = live_from_json(json.loads((txn.dir / "target.json").read_text()))
        return revert_plan(target, live, names)
    desired = parse((txn.dir / "desired.xml").read_bytes(), "desired.xml")
    if action == "start":
        return start_plan(names, desired, live)
    return make_plan(desired, live, remove=list(txn.meta.get("remove", [])))


# ---------------------------------------------------------------------------------------
# Rollback and recovery.


def restore_files(host: Host, txn: Txn) -> list[str]:
    """Put every touched file back byte for byte, with its mode and owner, or remove it;
    what could not be restored, a line per file (the others are restored all the same)."""
    problems = []
    for entry in json.loads((txn.dir / "files.json").read_text()):
        try:
            _restore_file(host, txn, entry)
        except (OSError, IfsmithError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            problems.append(f"{entry['path']}: not restored ({why})")
    return problems


def _restore_file(host: Host, txn: Txn, entry: dict[str, Any]) -> None:
    # A journal from before symlinks were followed may name a link: its target is the file.
    target = host.path(write_path(host, PurePosixPath(entry["path"])))
    if entry["existed"]:
        data = (txn.dir / "saved" / str(entry["n"])).read_bytes()
        write_atomic(target, data, int(entry["mode"]), _owner(entry), exact=True)
        return
    remove_file(target)
    for made in reversed(entry.get("made_dirs", [])):
        if in_config_tree(PurePosixPath(made)):
            with contextlib.suppress(OSError):  # not empty: something else lives there
                host.path(made).rmdir()


def _owner(entry: dict[str, Any]) -> tuple[int, int] | None:
    """The saved owner and group of a journal's file entry (None in a journal without)."""
    if "uid" not in entry:
        return None
    return int(entry["uid"]), int(entry["gid"])


def rollback(host: Host, txn: Txn, reason: str) -> None:
    """Restore files and live state from the checkpoint, then verify what was restored."""
    from ifsmith.backends import kernel
    from ifsmith.core import resolver
    from ifsmith.core.live import snapshot
    from ifsmith.core.plan import restore_plan

    started = time.time()
    txn.release_reserve()  # the disk may be full: the restored files need the room
    txn.log(f"rolling back: {reason}")
    if txn.state == "prepared":
        # The watchdog never got to change anything: restoring the snapshot now would only
        # undo what others changed since (a DHCP renewal, an admin's ip command).
        _closed(txn, f"{reason}; nothing had been changed")
        return
    if txn.meta.get("boot_id") not in (None, boot_id()):
        # The change died with the last boot; the kernel now runs what the boot brought up,
        # and the network service will configure it from the files: restore only those
        # (live changes here would make, say, ifup fail on addresses already present).
        _closed(txn, f"{reason}; after a reboot: files only", restore_files(host, txn))
        return
    # Whatever fails below is listed, and the rollback still ends (never a journal that
    # wedges every later run): a rollback that raised would be retried forever.
    problems: list[str] = []
    distro = _distro(txn)
    if distro:
        problems += restore_files(host, txn)
        # Let the daemon read the restored files (it would otherwise keep the new ones in
        # memory); failures here do not stop the rollback, the kernel activator follows.
        with contextlib.suppress(Exception):
            run_distro(host, txn, down=False, check=False)
    before, plan = None, set()
    try:
        # Without a daemon, connectivity first: the kernel, then the files.
        before = txn.before()
        names = set(txn.meta.get("names", [])) | set(txn.meta.get("remove", []))
        now = snapshot(host)
        plan = involved_names(host, txn, before, now, names)
        restore = restore_plan(before, now, plan)
        txn.log("restore: " + "; ".join(restore.describe()))
        kernel.apply(host, restore)
        # Clients after the kernel: the session first (a client's stop takes a second).
        _undo_dhcp(host, txn, "dhcp_started")
        _undo_dhcp(host, txn, "dhcp_stopped")
        _undo_run_state(host, txn)
    except Exception as exc:
        problems.append(f"live state: not restored ({exc})")
    problems += resolver.restore(host, txn.meta, txn.log)
    if not distro:
        problems += restore_files(host, txn)
    differences = problems
    if before is not None:
        try:
            differences += verify(before, snapshot(host), plan)
        except Exception as exc:
            differences.append(f"live state: not verified ({exc})")
    txn.save(
        state="rolled-back",
        reason=reason,
        rolled_back=time.time(),
        rollback_seconds=round(time.time() - started, 3),
        differences=differences,
    )
    txn.log("rolled back" + (f"; differences: {differences}" if differences else ""))


def _closed(txn: Txn, reason: str, differences: Sequence[str] = ()) -> None:
    """Mark a transaction rolled back without a live restore (nothing to verify)."""
    txn.save(state="rolled-back", reason=reason, rolled_back=time.time(),
             differences=list(differences))  # fmt: skip
    txn.log(f"rolled back: {reason}" + (f"; differences: {differences}" if differences else ""))


def boot_id() -> str:
    """This boot's id (changes at every reboot)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def involved_names(
    host: Host, txn: Txn, before: LiveHost, now: LiveHost, names: set[str]
) -> set[str]:
    """Every device the change could have touched: named ones, their plan, masters, ports."""
    touched = set(names)
    with contextlib.suppress(Exception):
        touched |= set(build_plan(host, txn, before).touched)
    return with_neighbours(touched, before, now)


def revert_plan(target: LiveHost, live: LiveHost, names: Sequence[str]) -> Any:
    """What brings the live state back to TARGET for these devices and their neighbours."""
    from ifsmith.core.plan import restore_plan

    return restore_plan(target, live, with_neighbours(set(names), target, live))


def with_neighbours(names: set[str], *states: LiveHost) -> set[str]:
    """NAMES with their masters, and the ports and slaves of those, in any of STATES."""
    touched = set(names)
    for live in states:
        for link in live.links:
            if link.master in touched or link.name in touched:
                touched.add(link.name)
                if link.master:
                    touched.add(link.master)
    return touched


def comparable(live: LiveHost, names: set[str]) -> dict[str, Any]:
    """The restorable facts of some devices (no counters, no kernel-chosen values)."""
    out = {}
    for link in live.links:
        if link.name not in names:
            continue
        out[link.name] = {
            "kind": link.kind,
            "master": link.master,
            "mtu": link.mtu,
            "up": link.admin_up,
            "addresses": sorted(str(a) for a in link.addresses if a.scope == "global"),
            "gateways": sorted(f"{f}:{g}" for f, g in live.gateways(link.name).items()),
            "vlan": link.vlan_tag,
            "bond": link.bond.mode if link.bond else None,
            "vlans": link.vlans.words() if link.vlans is not None else None,
        }
    return out


def verify(before: LiveHost, after: LiveHost, names: set[str]) -> list[str]:
    """What differs between the saved and the restored state of these devices."""
    a, b = comparable(before, names), comparable(after, names)
    out = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            out.append(f"{name}: was {a.get(name)}, now {b.get(name)}")
    # A NIC (or veth) cannot be made again: one with the old name but a new index is
    # another device (a veth recreated without its peer's namespace, cut from its LAN).
    old, new = before.by_name(), after.by_name()
    for name in sorted(names & set(old) & set(new)):
        was, now = old[name], new[name]
        if was.kind not in ("bond", "bridge", "vlan") and was.index != now.index:
            out.append(
                f"{name}: a different device now (index {now.index}, was {was.index}); "
                "the original is gone and its connections are not restored"
            )
    return out


def own_host(host: Host, txn: Txn) -> Host:
    """The host a transaction changed: its journal's root, the namespace it recorded.  A
    `recover` run without --netns must not restore a namespace's devices into this one
    (it made a veth pair in the machine's own namespace)."""
    recorded = txn.meta.get("host") or {}
    return Host(root=host.root, netns=recorded.get("IFSMITH_NETNS") or host.netns)


def recover(host: Host) -> list[str]:
    """Roll back every transaction not committed (at boot, or after a watchdog died); their
    ids."""
    return [t.id for t in recovered(host)]


def recovered(host: Host) -> list[Txn]:
    """``recover``, giving the transactions it rolled back (their ``differences`` say what
    could not be restored), newest first."""
    done = []
    with locked(host):
        for txn in reversed(all_txns(host)):  # newest first: each restores its own "before"
            if txn.state in FINAL:
                continue
            reason = f"recovered: the change was never confirmed ({txn.state})"
            rollback(own_host(host, txn), txn, reason)
            done.append(txn)
        prune(host)
    return done


# ---------------------------------------------------------------------------------------
# Pruning: the journal keeps the newest finished transactions, and every unfinished one.

KEEP = 100  # finished transactions kept, unless configured
KEEP_ENV = "IFSMITH_HISTORY_KEEP"
KEEP_FILE = "history-keep"  # in the state directory: the number, for every run (boot too)
PRUNED_FILE = "pruned"  # in the state directory: how many were pruned so far


def history_limit(host: Host) -> tuple[int, str]:
    """How many finished transactions are kept, and where that comes from:
    $IFSMITH_HISTORY_KEEP, else the number in /var/lib/ifsmith/history-keep, else 100.
    A value that is not a count falls back to 100 (recovery never stops at a typo) and
    says so."""
    raw = os.environ.get(KEEP_ENV)
    where = f"${KEEP_ENV}"
    if raw is None:
        path = host.state_dir / KEEP_FILE
        try:
            raw = path.read_text()
        except FileNotFoundError:
            return KEEP, "the default"
        where = str(path)
    value = raw.strip()
    if not value.isdigit():
        return KEEP, f"the default: {where} holds {value!r}, not a count"
    return int(value), where


def prune(host: Host) -> int:
    """Remove the oldest finished journals beyond the limit (never an unfinished one);
    how many it removed.  The caller holds the lock."""
    keep = history_limit(host)[0]
    finished = [t for t in all_txns(host) if t.state in FINAL]
    gone = finished[: max(0, len(finished) - keep)]
    for t in gone:
        shutil.rmtree(t.dir)
    if gone:
        write_atomic(host.state_dir / PRUNED_FILE, b"%d\n" % (pruned(host) + len(gone)), 0o600)
    return len(gone)


def pruned(host: Host) -> int:
    """How many finished transactions were pruned from the journal so far."""
    try:
        return int((host.state_dir / PRUNED_FILE).read_text())
    except (OSError, ValueError):
        return 0


@dataclass
class Revert:
    """What undoing committed transactions takes: it runs as a transaction of its own, so
    a revert that cuts the admin off is rolled back like any other change."""

    target: Txn  # the oldest undone: its "before" is the state to return to
    undone: list[Txn]  # newest first
    names: list[str]
    rendering: Rendering | None  # the files as they were before the target, if any
    backend: str | None
    activate: str


def revert_of(host: Host, txn_id: str) -> Revert:
    """The revert to the state from before committed transaction TXN_ID: it and every
    transaction committed after it are undone (files and live state)."""
    target = find(host, txn_id)
    if target.state != "committed":
        raise TxnError(f"transaction {target.id} is {target.state}, not committed")
    refuse_unfinished(host)
    since = float(target.meta.get("created", 0))
    undone = sorted(
        (t for t in all_txns(host) if t.state == "committed"
         and float(t.meta.get("created", 0)) >= since),
        key=lambda t: float(t.meta.get("created", 0)),
        reverse=True,
    )  # fmt: skip
    files: dict[PurePosixPath, bytes] = {}
    modes: dict[PurePosixPath, int] = {}
    owners: dict[PurePosixPath, tuple[int, int]] = {}
    removed: set[PurePosixPath] = set()
    names: list[str] = []
    for t in undone:  # newest first: an older transaction's saved copy wins
        for entry in json.loads((t.dir / "files.json").read_text()):
            path = PurePosixPath(entry["path"])
            if entry["existed"]:
                files[path] = (t.dir / "saved" / str(entry["n"])).read_bytes()
                modes[path] = int(entry["mode"])
                owner = _owner(entry)
                if owner is not None:
                    owners[path] = owner
                removed.discard(path)
            else:
                files.pop(path, None)
                owners.pop(path, None)
                removed.add(path)
        for name in [*t.meta.get("names", []), *t.meta.get("remove", [])]:
            if name not in names:
                names.append(name)
    # The files are written, and activated, as the newest undone transaction that wrote
    # files did (a later live-only one has no backend).
    writer = next((t.meta for t in undone if t.meta.get("backend")), None)
    if writer is None or not (files or removed):
        return Revert(target, undone, names, None, None, "kernel")
    backend = str(writer["backend"])
    rendering = Rendering(backend=backend, files=files, removed=frozenset(removed), modes=modes,
                          owners=owners)  # fmt: skip
    return Revert(target, undone, names, rendering, backend, str(writer.get("activate", "kernel")))


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "watchdog":
        return watchdog(Path(argv[1]), int(argv[2]))
    print("usage: python -m ifsmith.core.txn watchdog TXN_DIR LOCK_FD", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
