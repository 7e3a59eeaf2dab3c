"""GLib key files (GKeyFile syntax) read and edited in place.

Only the values that are set change; every other line — unknown groups and keys, comments,
blank lines, even lines GLib would reject — is written back byte for byte.  Escapes follow
GLib's ``g_key_file_parse_value_as_string``: ``\\s`` (a space), ``\\n``, ``\\t``, ``\\r``,
``\\\\``; a leading space must be written ``\\s`` or GLib strips it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ifsmith.core.files import split_lines

_GROUP = re.compile(r"^\[([^\[\]\x00-\x1f]*)\]\s*$")
_KEY = re.compile(r"^([^=\s][^=]*?)\s*=\s?(.*)$")


def escape(value: str) -> str:
    """A string as GKeyFile writes it: backslash escapes; a leading space as ``\\s``."""
    out = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    if out.startswith(" "):
        out = "\\s" + out[1:]
    return out


_UNESCAPE = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def unescape(raw: str) -> str:
    """A GKeyFile string value; unknown escapes (``\\;`` in lists) are kept as written."""
    if "\\" not in raw:
        return raw  # (most values: nothing to undo)
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            out.append(_UNESCAPE.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


@dataclass
class Entry:
    """One physical line; ``key`` is None for comments, blanks and lines GLib would reject."""

    text: str
    key: str | None = None
    raw: str = ""


@dataclass
class Group:
    name: str
    header: str
    entries: list[Entry] = field(default_factory=list)

    def find(self, key: str) -> list[int]:
        return [i for i, e in enumerate(self.entries) if e.key == key]


@dataclass
class KeyFile:
    """A key file as lines: a preamble (comments before the first group) and its groups."""

    preamble: list[Entry] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, data: bytes, source: str = "<keyfile>") -> KeyFile:
        """Read a key file; lines GLib would reject are kept and reported."""
        kf = cls()
        text = data.decode("utf-8", errors="surrogateescape")
        current: list[Entry] = kf.preamble
        for n, line in enumerate(split_lines(text), 1):
            body = line.rstrip("\r\n")
            stripped = body.strip()
            if not stripped or stripped.startswith("#"):
                current.append(Entry(line))
                continue
            m = _GROUP.match(stripped)
            if m:
                group = Group(m.group(1), line)
                kf.groups.append(group)
                current = group.entries
                continue
            m = _KEY.match(body.lstrip())
            if m and current is not kf.preamble:
                current.append(Entry(line, m.group(1), m.group(2)))
            else:
                kf.problems.append(f"{source}:{n}: not a key=value line: {stripped[:60]!r}")
                current.append(Entry(line))
        return kf

    def group(self, name: str) -> Group | None:
        """The first group of this name (GLib merges duplicates; the first one's place wins)."""
        return next((g for g in self.groups if g.name == name), None)

    def get(self, group: str, key: str) -> str | None:
        """The unescaped value; the last duplicate wins, as in GLib."""
        for g in reversed(self.groups):
            if g.name == group:
                for e in reversed(g.entries):
                    if e.key == key:
                        return unescape(e.raw)
        return None

    def keys(self, group: str) -> list[str]:
        out: list[str] = []
        for g in self.groups:
            if g.name == group:
                out += [e.key for e in g.entries if e.key is not None and e.key not in out]
        return out

    def set(self, group: str, key: str, value: str) -> None:
        """Set a value where it stands (or at the end of its group); duplicates go."""
        self.set_raw(group, key, escape(value))

    def set_raw(self, group: str, key: str, raw: str) -> None:
        """``set`` with the value as it is written in the file (already escaped)."""
        line = f"{key}={raw}\n"
        # One pass over the groups: the first of this name, and every place of the key
        # (rendering thousands of profiles sets tens of thousands of keys).
        first: Group | None = None
        places: list[tuple[Group, int]] = []
        for gg in self.groups:
            if gg.name == group:
                first = first or gg
                places += [(gg, i) for i, e in enumerate(gg.entries) if e.key == key]
        g = first or self.add_group(group)
        if not places:
            at = len(g.entries)
            while at > 0 and not g.entries[at - 1].text.strip():
                at -= 1  # before the blank lines that separate it from the next group
            g.entries.insert(at, Entry(line, key, raw))
            return
        keep_group, keep_index = places[-1]
        if keep_group.entries[keep_index].raw != raw:
            keep_group.entries[keep_index] = Entry(line, key, raw)
        for gg, i in reversed(places[:-1]):
            del gg.entries[i]

    def remove(self, group: str, key: str) -> None:
        for g in self.groups:
            if g.name == group:
                g.entries = [e for e in g.entries if e.key != key]

    def add_group(self, name: str) -> Group:
        if self.groups and self.groups[-1].entries and self.groups[-1].entries[-1].text.strip():
            self.groups[-1].entries.append(Entry("\n"))
        elif not self.groups and self.preamble and self.preamble[-1].text.strip():
            self.preamble.append(Entry("\n"))
        group = Group(name, f"[{name}]\n")
        self.groups.append(group)
        return group

    def remove_group(self, name: str) -> None:
        self.groups = [g for g in self.groups if g.name != name]

    def dumps(self) -> bytes:
        """The file's bytes: unchanged lines exactly as they were read."""
        parts = [e.text for e in self.preamble]
        for g in self.groups:
            parts.append(g.header)
            parts += [e.text for e in g.entries]
        out = "".join(p if p.endswith("\n") else p + "\n" for p in parts)
        return out.encode("utf-8", errors="surrogateescape")
