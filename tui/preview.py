"""Review's preview of one backend's files, made in a thread and kept while it is true.

A preview is the diff a backend's rendering of the pending set makes against the files on
disk.  It is kept per (pending set, backend) and shown again at once — but only while it
still holds: a new pending set is a new key, and every file and directory the rendering
read is stamped (``os.stat``), so a file changed on disk since (an apply, a rollback,
another admin's edit) makes the preview stale and it is made again.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import PurePosixPath

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text

from ifsmith.core.files import FileView, HostFiles, Rendering, UnsafeValue, in_root, unified_diff
from ifsmith.core.host import Host
from ifsmith.tui.pending import Pending

LIVE_ONLY = "live only"

# What a file looked like when read: (inode, size, mtime, ctime), None when absent.
Stamp = tuple[int, int, int, int] | None


def stamp(host: Host, path: PurePosixPath) -> Stamp:
    """PATH's stamp on HOST (its symlinks followed as ``HostFiles`` follows them)."""
    try:
        st = os.stat(host.path(in_root(host, path)[0]))
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class StampedFiles:
    """A host's files (``HostFiles``) that note the stamp of each file and directory read,
    taken before it is read: a later change always shows as a different stamp."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.files = HostFiles(host)
        self.stamps: dict[PurePosixPath, Stamp] = {}

    def _note(self, path: PurePosixPath) -> None:
        path = PurePosixPath(path)
        if path not in self.stamps:
            self.stamps[path] = stamp(self.host, path)

    def read(self, path: PurePosixPath) -> bytes | None:
        self._note(path)
        return self.files.read(path)

    def listdir(self, directory: PurePosixPath) -> list[str]:
        self._note(directory)
        return self.files.listdir(directory)


def unchanged(host: Host, stamps: dict[PurePosixPath, Stamp]) -> bool:
    """Whether every file and directory stamped is as it was (a few stat calls)."""
    return all(stamp(host, path) == was for path, was in stamps.items())


def render_pending(
    host: Host, backend_name: str, pending: Pending, files: FileView | None = None
) -> Rendering:
    """The backend's files for the pending set: definitions rendered, deletions undefined."""
    from ifsmith import backends

    backend = backends.get(backend_name)
    files = HostFiles(host) if files is None else files
    rendering = backends.render(backend, pending.definitions, files)
    if pending.deletions:
        gone = backend.undefine(pending.deletions, files)
        rendering = dataclasses.replace(
            rendering,
            files={**rendering.files, **gone.files},
            removed=rendering.removed | gone.removed,
        )
    return rendering


@dataclass(frozen=True)
class Preview:
    """One backend's diff for one pending set, with the stamps of what it was made from."""

    pending: Pending
    backend: str
    shown: RenderableType
    stamps: dict[PurePosixPath, Stamp]

    def holds(self, host: Host, pending: Pending) -> bool:
        """Whether this is still the preview of PENDING on HOST's files as they are."""
        return pending is self.pending and unchanged(host, self.stamps)


def preview(host: Host, backend_name: str, pending: Pending) -> Preview:
    """The unified diff BACKEND's rendering makes against the files on disk, titled with
    the backend's name (slow: a worker's)."""
    title = Text(f"{backend_name}:", style="bold")
    if backend_name == LIVE_ONLY:
        note = Text("live only: no configuration files are written", style="dim")
        return Preview(pending, backend_name, Group(title, note, Text("")), {})
    files = StampedFiles(host)
    try:
        rendering = render_pending(host, backend_name, pending, files)
    except (UnsafeValue, ValueError) as exc:
        refused = Text(f"{backend_name}: refused: {exc}", style="bold red")
        return Preview(pending, backend_name, Group(title, refused, Text("")), files.stamps)
    diff = unified_diff(rendering, files)
    parts: list[RenderableType] = [title]
    parts.extend(Text(str(w), style="yellow") for w in rendering.warnings)
    parts.append(
        highlighted(diff, "diff")
        if diff
        else Text("the files on disk already say this", style="dim")
    )
    parts.append(Text(""))
    return Preview(pending, backend_name, Group(*parts), files.stamps)


def highlighted(code: str, lexer: str) -> Text:
    """CODE coloured as Syntax does, as plain Text: made once (in a worker), it is not
    lexed again each time the screen lays it out or draws it."""
    return Syntax(code, lexer, theme="ansi_dark").highlight(code)


def pending_xml(pending: Pending) -> str:
    """The pending definitions as one XML document ("" when there are none)."""
    from ifsmith.core.xmlio import to_document

    return to_document(pending.definitions) if pending.definitions else ""


def xml_shown(pending: Pending) -> RenderableType:
    """The pending definitions' XML as Review shows it (slow: a worker's)."""
    xml = pending_xml(pending)
    return highlighted(xml, "xml") if xml else Text("")
