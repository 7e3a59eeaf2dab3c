"""Config files as the backends see them: a read-only view in, a Rendering out, atomic writes.

Backends render purely: they get a ``FileView`` of what is on disk and return a
``Rendering`` (new bytes per path, paths to remove, warnings).  Only ``write_rendering``
touches the disk, and it does so atomically (temp file, fsync, rename, fsync dir), never
through a symlink.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from ifsmith.core.errors import IfsmithError
from ifsmith.core.host import Host


class FileView(Protocol):
    """Read access to the target system's files, by absolute target path."""

    def read(self, path: PurePosixPath) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        ...

    def listdir(self, directory: PurePosixPath) -> list[str]:
        """Names in a directory, sorted; empty when it does not exist."""
        ...


MAX_CONFIG_BYTES = 16 * 1024 * 1024  # far above any real network configuration


class UnreadableFile(IfsmithError):
    """A configuration path that is no regular file (a FIFO, a device) or is too large."""


class HostFiles:
    """The files of a Host (under its root)."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def read(self, path: PurePosixPath) -> bytes | None:
        """A regular file's bytes, or None (absent, or a directory).  Anything else — a FIFO,
        /dev/zero, a file over ``MAX_CONFIG_BYTES`` — is refused with its name, without
        blocking and without reading it whole."""
        target = self.host.path(in_root(self.host, path)[0])
        try:
            _regular_or_directory(path, os.stat(target))  # a device is never even opened
            # O_NONBLOCK: a FIFO put there since opens at once instead of waiting for a writer.
            fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            st = os.fstat(fd)
            if not _regular_or_directory(path, st):
                return None
            if st.st_size <= MAX_CONFIG_BYTES:
                with os.fdopen(os.dup(fd), "rb") as f:
                    data = f.read(MAX_CONFIG_BYTES + 1)
                if len(data) <= MAX_CONFIG_BYTES:  # (it may grow while read)
                    return data
            raise UnreadableFile(
                f"{path}: more than {MAX_CONFIG_BYTES} bytes, larger than any configuration "
                "file; refusing to read it"
            )
        finally:
            os.close(fd)

    def listdir(self, directory: PurePosixPath) -> list[str]:
        try:
            return sorted(os.listdir(self.host.path(in_root(self.host, directory)[0])))
        except (FileNotFoundError, NotADirectoryError):
            return []


def _regular_or_directory(path: PurePosixPath, st: os.stat_result) -> bool:
    """True for a regular file, False for a directory; refuses anything else."""
    if stat.S_ISDIR(st.st_mode):
        return False
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableFile(f"{path}: not a regular file; refusing to read it")
    return True


class MemoryFiles:
    """Files held in a dict: for tests and for rendering on top of another rendering."""

    def __init__(self, files: Mapping[PurePosixPath | str, bytes] | None = None) -> None:
        self.files = {PurePosixPath(p): b for p, b in (files or {}).items()}

    def read(self, path: PurePosixPath) -> bytes | None:
        return self.files.get(PurePosixPath(path))

    def listdir(self, directory: PurePosixPath) -> list[str]:
        directory = PurePosixPath(directory)
        return sorted({p.name for p in self.files if p.parent == directory})


class RenderedFiles:
    """Files as they would be after a rendering: its new bytes and removals over a view
    (to render one change on top of another, such as a definition after an undefine)."""

    def __init__(self, base: FileView, rendering: Rendering) -> None:
        self.base = base
        self.changes = merge_renderings([rendering])

    def read(self, path: PurePosixPath) -> bytes | None:
        path = PurePosixPath(path)
        if path in self.changes:
            return self.changes[path]
        return self.base.read(path)

    def listdir(self, directory: PurePosixPath) -> list[str]:
        directory = PurePosixPath(directory)
        names = set(self.base.listdir(directory))
        for path, data in self.changes.items():
            if path.parent == directory:
                (names.add if data is not None else names.discard)(path.name)
        return sorted(names)


@dataclass(frozen=True)
class RenderWarning:
    """Something a format cannot express, named so an admin can act on it."""

    interface: str
    message: str
    backend: str = ""

    def __str__(self) -> str:
        prefix = f"{self.backend}: " if self.backend else ""
        return f"warning: {prefix}{self.interface}: {self.message}"


@dataclass(frozen=True)
class Rendering:
    """What a backend would write: full new contents per path, and paths to delete."""

    backend: str
    files: Mapping[PurePosixPath, bytes] = field(default_factory=dict)
    removed: frozenset[PurePosixPath] = frozenset()
    warnings: tuple[RenderWarning, ...] = ()
    mode: int = 0o644  # file mode for new files (NM keyfiles and netplan want 0600)
    modes: Mapping[PurePosixPath, int] = field(default_factory=dict)
    # Owner and group per path, given only by a restore (``rollback --to``): such a file gets
    # its mode and owner back, where an edit keeps the ones the file has now.
    owners: Mapping[PurePosixPath, tuple[int, int]] = field(default_factory=dict)

    def mode_of(self, path: PurePosixPath) -> int:
        return self.modes.get(path, self.mode)

    @property
    def touched(self) -> list[PurePosixPath]:
        """Every path this rendering writes or removes, sorted."""
        return sorted(set(self.files) | set(self.removed))


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split at "\\n" only.

    ``str.splitlines`` also breaks at U+2028, \\x85, \\x0c and friends, which config file
    readers do not: a label holding one would come back split.
    """
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


class UnsafeValue(ValueError):
    """A value that cannot be written into a file safely (shell, quoting, newlines)."""


def write_atomic(
    target: Path,
    data: bytes,
    mode: int = 0o644,
    owner: tuple[int, int] | None = None,
    *,
    exact: bool = False,
) -> None:
    """Replace ``target`` with ``data``: temp file, fsync, rename, fsync the directory.

    An existing file keeps its mode, owner and group (a 0600 file of secrets stays 0600);
    ``mode`` and ``owner`` are those of a new file, or of any file when ``exact`` (a restore).
    Refuses to write through a symlink (at the target) so a planted link cannot redirect
    root's write elsewhere.  The temporary file never outlives a failed write (a full or
    read-only disk): the OSError raised names the target.
    """
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise OSError(errno.ELOOP, f"refusing to write through a symlink: {target}")
    if st is not None and not exact:
        mode, owner = stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid)
    tmp = parent / f".{target.name}.ifsmith-tmp"
    try:
        # 0600 until the owner is right: the bytes may be secrets.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            if owner is not None:
                _chown(fd, owner)
            os.fchmod(fd, mode)  # after chown, which clears set-id bits
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    fsync_dir(parent)


def _chown(fd: int, owner: tuple[int, int]) -> None:
    """Give the file its owner and group; a user who is not root cannot give files away and
    keeps them (the mode is still kept)."""
    try:
        os.fchown(fd, *owner)
    except PermissionError:
        if os.geteuid() == 0:
            raise


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_file(target: Path) -> None:
    """Remove a file (not following a symlink) and fsync its directory; absent is fine."""
    try:
        os.unlink(target)
    except FileNotFoundError:
        return
    fsync_dir(target.parent)


CONFIG_TREE = PurePosixPath("/etc")  # where a followed symlink may lead
# Runtime configuration the stacks read as well (netplan's and the daemons' /run trees):
# a definition that lives there is edited there.
RUNTIME_TREES = tuple(
    PurePosixPath(p)
    for p in ("/run/netplan", "/run/systemd/network", "/run/NetworkManager/system-connections")
)
MAX_LINKS = 40  # as the kernel's path walk


class UnsafePath(IfsmithError):
    """A path whose write would land outside the configuration tree, or on a directory."""


def in_root(host: Host, path: PurePosixPath) -> tuple[PurePosixPath, int]:
    """PATH with its symlinks followed as the target system follows them — an absolute
    link names the root's own path, ".." stops at the root — and how many links that took.
    Reads and writes under a --root never leave it."""
    parts = [p for p in PurePosixPath(path).parts if p != "/"]
    done = PurePosixPath("/")
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            done = done.parent
            continue
        here = done / part
        try:
            st = os.lstat(host.path(here))
        except (FileNotFoundError, NotADirectoryError):
            done = here  # made by a write
            continue
        if not stat.S_ISLNK(st.st_mode):
            done = here
            continue
        links += 1
        if links > MAX_LINKS:
            raise UnsafePath(f"{path}: too many levels of symbolic links")
        link = PurePosixPath(os.readlink(host.path(here)))
        parts = [p for p in link.parts if p != "/"] + parts
        done = PurePosixPath("/") if link.is_absolute() else done
    return done, links


def in_config_tree(path: PurePosixPath) -> bool:
    """Whether PATH lies in /etc (or a stack's runtime configuration tree under /run),
    the only trees ifsmith writes."""
    parents = PurePosixPath(path).parents
    return CONFIG_TREE in parents or any(tree in parents for tree in RUNTIME_TREES)


def write_path(host: Host, path: PurePosixPath) -> PurePosixPath:
    """Where writing PATH lands (``in_root``): a link such as /etc/network/interfaces →
    interfaces.real is written through to its target.  A path or a link that leads out of
    /etc, a loop, or a directory at the end are refused with the name."""
    done, links = in_root(host, path)
    if not in_config_tree(done):
        if links:
            raise UnsafePath(f"{path}: a symbolic link to {done}, outside {CONFIG_TREE}; "
                             "refusing to write through it")  # fmt: skip
        raise UnsafePath(f"{path}: outside {CONFIG_TREE}; refusing to write it")
    if os.path.isdir(host.path(done)):
        raise UnsafePath(f"{path}: a directory, not a file; refusing to replace it")
    return done


def write_rendering(host: Host, rendering: Rendering) -> list[PurePosixPath]:
    """Write a rendering under the host's root; returns the paths that changed.  Every
    path is checked (``write_path``) before the first write."""
    files = HostFiles(host)
    lands = {path: write_path(host, path) for path in rendering.touched}
    changed: list[PurePosixPath] = []
    for path, data in sorted(rendering.files.items()):
        if files.read(path) != data:
            owner = rendering.owners.get(path)
            write_atomic(host.path(lands[path]), data, rendering.mode_of(path), owner,
                         exact=owner is not None)  # fmt: skip
            changed.append(path)
    for path in sorted(rendering.removed):
        if files.read(path) is not None:
            remove_file(host.path(lands[path]))
            changed.append(path)
    return changed


def unified_diff(rendering: Rendering, files: FileView, root_label: str = "") -> str:
    """The rendering as a unified diff against what ``files`` holds."""
    import difflib

    out: list[str] = []
    for path in rendering.touched:
        old = files.read(path)
        new = rendering.files.get(path)
        if old == new:
            continue
        a = _lines(old)
        b = _lines(new)
        out.extend(
            difflib.unified_diff(
                a,
                b,
                fromfile=("a" + str(path)) if old is not None else "/dev/null",
                tofile=("b" + str(path)) if new is not None else "/dev/null",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def merge_renderings(renderings: Iterable[Rendering]) -> dict[PurePosixPath, bytes | None]:
    """Path → new bytes (None = removed) over several renderings; later ones win."""
    merged: dict[PurePosixPath, bytes | None] = {}
    for r in renderings:
        for p in r.removed:
            merged[p] = None
        merged.update(r.files)
    return merged
