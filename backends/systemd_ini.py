"""systemd unit-file syntax (systemd.syntax(7)) read and edited in place.

Only the settings that are set change; every other line — unknown sections and keys,
comments, blank lines, lines systemd would reject — is written back byte for byte.
Sections may repeat (``[Address]``, ``[Route]``) and keys may repeat (``Address=`` is a
list); a trailing backslash joins the next line.  Values are written bare, so a value that
would need quoting (a newline, a leading/trailing space, a trailing backslash) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from ifsmith.core.files import UnsafeValue

_SECTION = re.compile(r"^\[([^\[\]]+)\]\s*$")
_KEY = re.compile(r"^([A-Za-z0-9_.-]+)\s*=\s*(.*)$")


def check_value(owner: str, what: str, value: str) -> str:
    """A value that can be written bare on one line, or UnsafeValue naming it."""
    if any(ch in value for ch in "\n\r\x00") or any(ord(c) < 0x20 and c != "\t" for c in value):
        raise UnsafeValue(f"{owner}: {what} {value!r} contains a newline or control character")
    if value != value.strip() or value.endswith("\\"):
        raise UnsafeValue(f"{owner}: {what} {value!r} has surrounding space or a trailing '\\'")
    return value


def check_token(owner: str, what: str, value: str) -> str:
    """A single word: no whitespace at all (systemd splits list settings on it)."""
    check_value(owner, what, value)
    if not value or any(ch.isspace() for ch in value):
        raise UnsafeValue(f"{owner}: {what} {value!r} must be one word without whitespace")
    return value


# What a logical line is: a comment or blank, a section header, a setting, or none of these.
_COMMENT, _HEADER, _SETTING, _INVALID = range(4)


def _logical_lines(data: bytes) -> Iterator[tuple[int, int, str, str, str, str]]:
    """Each logical line of a unit file (a trailing backslash joins the next line) as
    (kind, index of its first line, its text as read, header name or key, value, body):
    the one scan that both the editable ``UnitFile`` and the read-only ``UnitView`` use."""
    text = data.decode("utf-8", errors="surrogateescape")
    # systemd ends a line at \n only; str.splitlines would also split at \x85, \u2028...
    raw_lines = text.split("\n")
    raw_lines = [ln + "\n" for ln in raw_lines[:-1]] + ([raw_lines[-1]] if raw_lines[-1] else [])
    n, count = 0, len(raw_lines)
    while n < count:
        start = n
        line = raw_lines[n]
        n += 1
        body = line.strip()
        if not body or body[0] in "#;":
            yield _COMMENT, start, line, "", "", body
            continue
        # A trailing backslash continues the setting on the next line (joined by a space).
        while body.endswith("\\") and n < count:
            nxt = raw_lines[n]
            line += nxt
            n += 1
            stripped = nxt.strip()
            if stripped[:1] in ("#", ";"):
                continue  # comment lines inside a continuation are skipped
            body = body[:-1] + " " + stripped
        m = _SECTION.match(body) if body[0] == "[" else None
        if m:
            yield _HEADER, start, line, m.group(1), "", body
            continue
        m = _KEY.match(body)
        if m:
            yield _SETTING, start, line, m.group(1), m.group(2).strip(), body
        else:
            yield _INVALID, start, line, "", "", body


def _not_a_setting(source: str, start: int, body: str) -> str:
    return f"{source}:{start + 1}: not a key=value line: {body[:60]!r}"


@dataclass
class Line:
    """One logical line (continuations joined); ``key`` is None for comments and blanks."""

    text: str
    key: str | None = None
    value: str = ""


@dataclass
class Section:
    name: str
    header: str
    lines: list[Line] = field(default_factory=list)

    def values(self, key: str) -> list[str]:
        return [ln.value for ln in self.lines if ln.key == key]

    def keys(self) -> list[str]:
        return [ln.key for ln in self.lines if ln.key is not None]


@dataclass
class UnitFile:
    """A unit file as lines: a preamble (before the first section) and its sections."""

    preamble: list[Line] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, data: bytes, source: str = "<unit>") -> UnitFile:
        """Read a unit file; lines systemd would ignore are kept and reported."""
        uf = cls()
        current: list[Line] = uf.preamble
        for kind, start, text, name, value, body in _logical_lines(data):
            if kind == _HEADER:
                section = Section(name, text)
                uf.sections.append(section)
                current = section.lines
            elif kind == _SETTING and current is not uf.preamble:
                current.append(Line(text, name, value))
            else:
                if kind != _COMMENT:
                    uf.problems.append(_not_a_setting(source, start, body))
                current.append(Line(text))
        return uf

    def copy(self) -> UnitFile:
        """An independent copy: sections and their line lists are new; the lines are
        shared, as edits replace lines and never change one (a deep copy cost 2 ms a file)."""
        return UnitFile(
            preamble=list(self.preamble),
            sections=[Section(s.name, s.header, list(s.lines)) for s in self.sections],
            problems=list(self.problems),
        )

    def named(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name]

    def settings(self) -> Iterator[tuple[str, str, str]]:
        """Every (section, key, value) in file order."""
        for s in self.sections:
            for ln in s.lines:
                if ln.key is not None:
                    yield s.name, ln.key, ln.value

    def get(self, section: str, key: str) -> str | None:
        """A single-valued setting: the last assignment wins, as in systemd."""
        for s in reversed(self.sections):
            if s.name == section:
                for ln in reversed(s.lines):
                    if ln.key == key:
                        return ln.value
        return None

    def get_list(self, section: str, key: str) -> list[str]:
        """A list setting: assignments accumulate words; an empty one resets the list."""
        out: list[str] = []
        for s, k, v in self.settings():
            if s == section and k == key:
                if v:
                    out.extend(v.split())
                else:
                    out = []
        return out

    def _first(self, section: str) -> Section:
        found = self.named(section)
        return found[0] if found else self.add_section(section)

    def set(self, section: str, key: str, value: str) -> None:
        """One assignment where the first one stands (else at the section's end); others go."""
        self.set_all(section, key, [value])

    def set_all(self, section: str, key: str, values: Iterable[str]) -> None:
        """Replace every assignment of a key with one line per value, in place."""
        wanted = [f"{key}={v}\n" for v in values]
        sections = self.named(section)
        places = [(s, i) for s in sections for i, ln in enumerate(s.lines) if ln.key == key]
        current = [s.lines[i].text for s, i in places]
        if current == wanted:
            return  # unchanged: keep the bytes (spacing around '=') as they were
        if not wanted:
            self.remove(section, key)
            return
        new = [Line(t, key, t[len(key) + 1 :].strip()) for t in wanted]
        if places:
            keep, first = places[0]
            kept = keep.lines[first]
            for s in sections:
                s.lines = [ln for ln in s.lines if ln.key != key or ln is kept]
            at = next(i for i, ln in enumerate(keep.lines) if ln is kept)
            keep.lines[at : at + 1] = new
            return
        target = self._first(section)
        at = len(target.lines)
        while at > 0 and not target.lines[at - 1].text.strip():
            at -= 1  # before the blank lines that separate it from the next section
        target.lines[at:at] = new

    def set_each(
        self, section: str, key: str, values: list[str], same: Callable[[str], object] = str
    ) -> None:
        """One line per value, edited line by line: a line whose value stays (``same`` says
        when two spellings mean one value) keeps its bytes, a changed one is replaced where
        it stands, a new one follows the lines before it in the list."""
        places = [(s, ln) for s in self.named(section) for ln in s.lines if ln.key == key]
        if not places:
            self.set_all(section, key, values)
            return
        old = [same(ln.value) for _s, ln in places]
        new = [same(v) for v in values]
        if old == new:
            return
        ops = SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in reversed(ops):
            if tag == "equal":
                continue
            lines = [Line(f"{key}={v}\n", key, v) for v in values[j1:j2]]
            if i1 < i2:  # replace or delete: the new lines stand where the first old one did
                sec, first = places[i1]
                for other, ln in places[i1 + 1 : i2]:
                    other.lines = [x for x in other.lines if x is not ln]
                at = _index(sec.lines, first)
                sec.lines[at : at + 1] = lines
            elif i1 < len(places):  # insert before the line that follows in the list
                sec, ln = places[i1]
                at = _index(sec.lines, ln)
                sec.lines[at:at] = lines
            else:  # insert after the last line of the key
                sec, ln = places[-1]
                at = _index(sec.lines, ln) + 1
                sec.lines[at:at] = lines

    def remove(self, section: str, key: str) -> None:
        for s in self.named(section):
            s.lines = [ln for ln in s.lines if ln.key != key]

    def add_section(self, name: str) -> Section:
        """A new section at the end (separated by a blank line)."""
        if self.sections and self.sections[-1].lines and self.sections[-1].lines[-1].text.strip():
            self.sections[-1].lines.append(Line("\n"))
        elif not self.sections and self.preamble and self.preamble[-1].text.strip():
            self.preamble.append(Line("\n"))
        section = Section(name, f"[{name}]\n")
        self.sections.append(section)
        return section

    def drop_empty(self, names: Iterable[str], only: Iterable[Section] | None = None) -> None:
        """Remove sections of these names that hold no setting and no comment (of ``only``,
        when given: the sections an edit emptied, not ones the admin left empty)."""
        wanted = set(names)
        among = None if only is None else {id(s) for s in only}
        self.sections = [
            s
            for s in self.sections
            if s.name not in wanted
            or (among is not None and id(s) not in among)
            or any(ln.text.strip() for ln in s.lines)
        ]

    def dumps(self) -> bytes:
        """The file's bytes: unchanged lines exactly as they were read."""
        parts = [ln.text for ln in self.preamble]
        for s in self.sections:
            parts.append(s.header)
            parts += [ln.text for ln in s.lines]
        out = "".join(p if p.endswith("\n") else p + "\n" for p in parts)
        return out.encode("utf-8", errors="surrogateescape")


def _index(lines: list[Line], line: Line) -> int:
    """Where this very line object stands (Line compares by value; two lines may be equal)."""
    return next(i for i, ln in enumerate(lines) if ln is line)


class SectionView:
    """One section's settings as read, for the sections that repeat (``[Route]``,
    ``[Address]``): their keys count section by section."""

    __slots__ = ("name", "settings")

    def __init__(self, name: str, settings: tuple[tuple[str, str], ...]) -> None:
        self.name = name
        self.settings = settings

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.settings if k == key]

    def keys(self) -> list[str]:
        return [k for k, _v in self.settings]


_Settings = tuple[tuple[str, str], ...]


class UnitView:
    """A unit as systemd reads it (its drop-ins appended, in order), read-only and indexed
    once: (section, key) → every value in file order.  Readers ask a unit for dozens of
    keys; ``UnitFile.get`` walks the whole file for each.  It holds strings in tuples only,
    no line objects: reading 10,000 units leaves little for the garbage collector to scan
    over and over (a ``UnitFile`` is parsed only for the files an edit touches)."""

    def __init__(self, preamble: tuple[str, ...], sections: tuple[tuple[str, _Settings], ...],
                 problems: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.preamble = preamble  # the main file's lines before its first section
        self.sections = sections  # (name, ((key, value), ...)) in file order
        self.problems = problems
        index: dict[tuple[str, str], list[str]] = {}
        for name, settings in sections:
            for key, value in settings:
                index.setdefault((name, key), []).append(value)
        self._index = {k: tuple(v) for k, v in index.items()}

    @classmethod
    def parse(
        cls, data: bytes, source: str = "<unit>", dropins: Iterable[UnitFile] = ()
    ) -> UnitView:
        """The view of a unit file's bytes, read as ``UnitFile.parse`` reads them, and of
        its drop-ins."""
        preamble: list[str] = []
        sections: list[tuple[str, _Settings]] = []
        problems: list[str] = []
        name: str | None = None
        settings: list[tuple[str, str]] = []
        for kind, start, text, word, value, body in _logical_lines(data):
            if kind == _HEADER:
                if name is not None:
                    sections.append((name, tuple(settings)))
                name, settings = word, []
            elif kind == _SETTING and name is not None:
                settings.append((word, value))
            else:
                if kind != _COMMENT:
                    problems.append(_not_a_setting(source, start, body))
                if name is None:
                    preamble.append(text)
        if name is not None:
            sections.append((name, tuple(settings)))
        for d in dropins:
            sections += _sections_of(d)
            problems += d.problems
        return cls(tuple(preamble), tuple(sections), tuple(problems))

    @classmethod
    def of(cls, main: UnitFile, dropins: Iterable[UnitFile] = ()) -> UnitView:
        """The view of a parsed (perhaps edited) unit file and its drop-ins."""
        sections = _sections_of(main)
        problems = list(main.problems)
        for d in dropins:
            sections += _sections_of(d)
            problems += d.problems
        return cls(tuple(ln.text for ln in main.preamble), tuple(sections), tuple(problems))

    def named(self, name: str) -> list[SectionView]:
        return [SectionView(n, settings) for n, settings in self.sections if n == name]

    def keys(self, section: str) -> list[str]:
        """The keys set in sections of this name, each once, in order of first use."""
        return [k for s, k in self._index if s == section]

    def get(self, section: str, key: str) -> str | None:
        """A single-valued setting: the last assignment wins, as in systemd."""
        found = self._index.get((section, key))
        return found[-1] if found else None

    def get_list(self, section: str, key: str) -> list[str]:
        """A list setting: assignments accumulate words; an empty one resets the list."""
        out: list[str] = []
        for v in self._index.get((section, key), ()):
            if v:
                out.extend(v.split())
            else:
                out = []  # an empty assignment resets the list
        return out


def _sections_of(uf: UnitFile) -> list[tuple[str, _Settings]]:
    return [(s.name, tuple((ln.key, ln.value) for ln in s.lines if ln.key is not None))
            for s in uf.sections]  # fmt: skip
