"""Files that a shell sources: ifcfg (RHEL, SUSE) and Gentoo's /etc/conf.d/net.

A tolerant reader of ``KEY=value`` lines that keeps every line it does not understand
(comments, unknown keys, broken lines) in place, so a rendering changes only the keys
ifsmith models.  Problems are reported per line and never abort a read, the way
NetworkManager's ``svUnescape`` skips what it cannot parse.

Writers quote by each consumer's real rules and refuse what cannot be made safe:
- ``quote_bash``: NetworkManager's ``svEscape`` (shvar.c): bare when harmless, else double
  quotes with ``"\\$``` escaped, ANSI-C ``$'…'`` for control characters.
- ``quote_single``: SUSE/wicked, whose reader does no escape processing: ``'value'``,
  refusing a ``'``, a newline or a control character.
- ``quote_double``: netifrc (run by /bin/sh, which may be dash: no ``$'…'``): double quotes,
  newlines kept literally (netifrc's lists are newline-separated).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from ifsmith.core.files import UnsafeValue
from ifsmith.core.model import IfType, Interface

# An interface name that is safe as a file-name suffix, inside a bash value, in an argv
# (no leading '-'), in initscripts' grep patterns and in netifrc's service names.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,14}")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(r"[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=")
_WICKED_ASSIGN = re.compile(r"([A-Za-z][A-Za-z0-9_]*)=")
_BARE_SAFE = re.compile(r"[A-Za-z0-9_.,:/+@%=-]*")
_DQ_ESCAPE = re.compile(r'(["\\$`])')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Backup and package-manager leftovers that initscripts, NetworkManager and wicked skip.
IGNORED_SUFFIXES = (
    "~",
    ".bak",
    ".old",
    ".orig",
    ".rpmnew",
    ".rpmsave",
    ".rpmorig",
    ".scpmbackup",
    ".swp",
)


def check_name(name: str) -> None:
    """Refuse an interface name that is unsafe in a file name, a shell value or an argv."""
    if not _SAFE_NAME.fullmatch(name) or name in (".", ".."):
        raise UnsafeValue(
            f"interface name {name!r} cannot be written safely: only letters, digits and "
            "_ . @ + - go into distro files (at most 15 bytes, not starting with - or .)"
        )


def quote_bash(value: str, what: str) -> str:
    """A value as bash reads it back unchanged, quoted the way NetworkManager writes it."""
    if "\0" in value:
        raise UnsafeValue(f"{what}: a NUL byte cannot be written into a shell file")
    if _BARE_SAFE.fullmatch(value):
        return value
    if _CONTROL.search(value):
        return "$'" + "".join(_ansi_c(c) for c in value) + "'"
    return '"' + _DQ_ESCAPE.sub(r"\\\1", value) + '"'


def _ansi_c(c: str) -> str:
    if c == "\\":
        return "\\\\"
    if c == "'":
        return "\\'"
    if c == "\n":
        return "\\n"
    if c == "\t":
        return "\\t"
    if c == "\r":
        return "\\r"
    if _CONTROL.fullmatch(c):
        return f"\\{ord(c):03o}"
    return c


def quote_single(value: str, what: str, limit: int = 500) -> str:
    """A value for SUSE ifcfg: ``'value'``; wicked does no escape processing, so refuse ``'``."""
    if "'" in value:
        raise UnsafeValue(f"{what}: {value!r}: a ' cannot be written in SUSE ifcfg")
    if _CONTROL.search(value):
        raise UnsafeValue(
            f"{what}: {value!r}: newlines and control characters cannot be written in SUSE ifcfg"
        )
    if len(value.encode()) > limit:
        raise UnsafeValue(f"{what}: longer than wicked's {limit}-byte line limit")
    return f"'{value}'"


def quote_double(value: str, what: str) -> str:
    """A value for /bin/sh in double quotes; newlines stay literal (netifrc lists)."""
    if _CONTROL.search(value.replace("\n", "")):
        raise UnsafeValue(f"{what}: {value!r}: control characters cannot be written")
    return '"' + _DQ_ESCAPE.sub(r"\\\1", value) + '"'


Quote = Callable[[str, str], str]


def escape_comment(text: str) -> str:
    """Text safe on one comment line: backslash escapes for ``\\`` and control characters."""
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif _CONTROL.fullmatch(c) or c in "\u2028\u2029\x85":
            out.append(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


def unescape_comment(text: str) -> str:
    """The reverse of ``escape_comment``."""

    def sub(m: re.Match[str]) -> str:
        s = m.group(0)
        if s == "\\\\":
            return "\\"
        if s == "\\n":
            return "\n"
        if s == "\\t":
            return "\t"
        return chr(int(s[2:], 16))

    return re.sub(r"\\(?:\\|n|t|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})", sub, text)


# ---------------------------------------------------------------------------------------
# Reading.


@dataclass
class Entry:
    """One logical line: an assignment (``key``/``value``) or anything else kept verbatim."""

    text: str  # source text without the final newline (several lines for a multi-line value)
    line: int
    key: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class LineProblem:
    """A line the reader skipped, with why."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


class _Unparsable(Exception):
    def __init__(self, message: str, pos: int = 0) -> None:
        super().__init__(message)
        self.pos = pos  # where in the text the reader gave up


class _Incomplete(Exception):
    pass


_OCTAL = re.compile(r"[0-7]{1,3}")
_HEX2 = re.compile(r"[0-9a-fA-F]{1,2}")
_SEMICOLON_REST = re.compile(r";\s*(#.*)?")
_ORDINARY = re.compile(r"[^\n'\"$\\ \t;`|&<>()]+")  # none of the characters above


def _parse_bash_value(text: str, i: int = 0, n: int | None = None) -> tuple[str, int]:
    """The value of ``KEY=<text>`` as bash assigns it, and where it stops; or an exception
    for what we refuse.

    Reads ``text[i:n]`` without copying it: the value ends at ``n`` or at a newline outside
    quotes (a quoted value may run over several lines when ``n`` lies beyond them), so a
    file is read in one pass however its quotes fall.  Accepts bare words, '…', "…"
    (backslash escapes only "\\$` and newline), $'…', glued parts, and a trailing
    ``# comment`` or ``;``.  Anything that would expand or run something (``$x``,
    backticks, ``$(…)``, a second word) is refused rather than guessed.
    """
    out: list[str] = []
    n = len(text) if n is None else n
    while i < n:
        c = text[i]
        if c == "\n":
            break
        if c == "'":
            j = text.find("'", i + 1, n)
            if j < 0:
                raise _Incomplete("unterminated '")
            out.append(text[i + 1 : j])
            i = j + 1
        elif c == '"':
            i = _double_quoted(text, i + 1, n, out)
        elif c == "$" and text.startswith("$'", i):
            i = _ansi_quoted(text, i + 2, n, out)
        elif c == "\\":
            if i + 1 >= n:
                raise _Incomplete("line continuation")
            out.append(text[i + 1])
            i += 2
        elif c in " \t":
            eol = text.find("\n", i, n)
            rest = text[i : n if eol < 0 else eol].strip()
            if rest and not rest.startswith("#") and not _SEMICOLON_REST.fullmatch(rest):
                raise _Unparsable("a second word after the value (bash would run it)", i)
            break
        elif c == ";":
            eol = text.find("\n", i, n)
            rest = text[i + 1 : n if eol < 0 else eol].strip()
            if rest and not rest.startswith("#"):
                raise _Unparsable("a command after ';'", i)
            break
        elif c in "$`|&<>()":
            raise _Unparsable(f"shell syntax {c!r} in a value (expansion or a command)", i)
        else:  # a run of ordinary characters at once (a value is mostly one)
            m = _ORDINARY.match(text, i, n)
            assert m is not None  # c is one
            out.append(m.group())
            i = m.end()
    return "".join(out), i


_DQ_SPECIAL = re.compile(r'["\\$`]')


def _double_quoted(text: str, i: int, n: int, out: list[str]) -> int:
    while True:
        m = _DQ_SPECIAL.search(text, i, n)
        if m is None:
            raise _Incomplete('unterminated "')
        j = m.start()
        out.append(text[i:j])
        c = text[j]
        if c == '"':
            return j + 1
        if c == "\\":
            if j + 1 < n and text[j + 1] in '"\\$`\n':
                if text[j + 1] != "\n":
                    out.append(text[j + 1])
                i = j + 2
            else:
                out.append(c)
                i = j + 1
            continue
        raise _Unparsable(f"{c!r} inside double quotes (shell expansion)", j)


_ANSI = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
         "e": "\x1b", "E": "\x1b", "\\": "\\", "'": "'", '"': '"', "?": "?"}  # fmt: skip


def _ansi_quoted(text: str, i: int, n: int, out: list[str]) -> int:
    while i < n:
        c = text[i]
        if c == "'":
            return i + 1
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            break
        e = text[i + 1]
        if e in _ANSI:
            out.append(_ANSI[e])
            i += 2
        elif e in "01234567":
            m = _OCTAL.match(text, i + 1, n)
            assert m is not None
            out.append(chr(int(m.group(0), 8)))
            i += 1 + len(m.group(0))
        elif e == "x" and _HEX2.match(text, i + 2, n):
            m = _HEX2.match(text, i + 2, n)
            assert m is not None
            out.append(chr(int(m.group(0), 16)))
            i += 2 + len(m.group(0))
        else:
            raise _Unparsable(f"unsupported escape \\{e} in $'…'", i)
    raise _Incomplete("unterminated $'")


def _head(text: str) -> str | None:
    """TEXT up to and including its first ": " (None without one)."""
    at = text.find(": ")
    return None if at < 0 else text[: at + 2]


def _parse_wicked_value(text: str) -> str:
    """wicked's ``unquote``: a quote runs to the next identical quote; no escapes at all."""
    if text[:1] in ("'", '"'):
        j = text.find(text[0], 1)
        if j < 0:
            raise _Unparsable(f"unterminated {text[0]}")
        return text[1:j]
    return re.split(r"[ \t]", text, maxsplit=1)[0]


class ShellFile:
    """A sourced config file as entries, editable key by key, written back losslessly."""

    def __init__(self, source: str = "<file>") -> None:
        self.source = source
        self.entries: list[Entry | None] = []  # None: a removed entry
        self.problems: list[LineProblem] = []
        # Where each key is assigned.  Tuples: of ints they drop out of the garbage
        # collector's scans (a list per key of 10,000 files made a third of a read's time).
        self._index: dict[str, tuple[int, ...]] = {}
        self._notes: list[int] = []  # where the lines without an assignment are
        # Comment lines by their text up to the first ": " (a label's prefix): built when
        # first asked, so a label per interface is found without a scan per interface.
        self._heads: dict[str, list[int]] | None = None
        self.trailing_newline = True
        self.dialect = "bash"
        self.multiline = False

    # -- reading --------------------------------------------------------------------

    @classmethod
    def parse(
        cls,
        data: bytes | str | None,
        source: str = "<file>",
        *,
        dialect: str = "bash",
        multiline: bool = False,
    ) -> ShellFile:
        """Read a file; ``dialect`` "bash" (ifcfg-rh, netifrc) or "wicked" (SUSE ifcfg).

        ``multiline`` lets a quoted value run over several lines (netifrc's lists);
        without it an unterminated quote is a problem on that line, as in NetworkManager.
        """
        sf = cls(source)
        sf.dialect, sf.multiline = dialect, multiline
        if data is None:
            return sf
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="surrogateescape")
        sf.trailing_newline = data.endswith("\n") or data == ""
        # One pass over the text (a value may run over several lines): lines are found
        # as offsets, never re-joined, so a quote left open costs one scan, not one per line.
        size = len(data) - 1 if data.endswith("\n") else len(data)
        pos, lineno = 0, 1
        assignment = _WICKED_ASSIGN if dialect == "wicked" else _ASSIGN
        where: dict[str, list[int]] = {}  # the index, in lists while it grows
        while pos < len(data):
            eol = data.find("\n", pos)
            eol = len(data) if eol < 0 else eol
            text = data[pos:eol]
            m = assignment.match(text)
            if m is None:
                if text.strip() and not text.lstrip().startswith("#") and dialect == "bash":
                    sf.problems.append(
                        LineProblem(source, lineno, "not a KEY=value assignment; kept as is")
                    )
                sf._append(Entry(text, lineno))
                pos, lineno = eol + 1, lineno + 1
                continue
            key = m.group(1)
            stop = eol  # the entry runs to the end of the line holding this offset
            try:
                if dialect == "wicked":
                    value = _parse_wicked_value(text[m.end() :])
                else:
                    value, stop = _parse_bash_value(data, pos + m.end(),
                                                    size if multiline else eol)  # fmt: skip
            except _Incomplete as exc:
                sf._problem_line(lineno, key, str(exc), text)
                pos, lineno = eol + 1, lineno + 1
                continue
            except _Unparsable as exc:
                last = data.find("\n", exc.pos) if dialect != "wicked" else eol
                last = len(data) if last < 0 else last
                sf._problem_line(lineno, key, str(exc), data[pos:last])
                pos, lineno = last + 1, lineno + data.count("\n", pos, last) + 1
                continue
            last = data.find("\n", stop)
            last = len(data) if last < 0 else last
            where.setdefault(key, []).append(len(sf.entries))
            sf.entries.append(Entry(data[pos:last], lineno, key, value))
            pos, lineno = last + 1, lineno + data.count("\n", pos, last) + 1
        sf._index = {k: tuple(v) for k, v in where.items()}
        return sf

    def copy(self) -> ShellFile:
        """An independent copy (entries are replaced on edit, never changed in place)."""
        other = ShellFile(self.source)
        other.entries = list(self.entries)
        other.problems = list(self.problems)
        other._index = dict(self._index)
        other._notes = list(self._notes)
        other.trailing_newline = self.trailing_newline
        other.dialect, other.multiline = self.dialect, self.multiline
        return other

    def _problem_line(self, line: int, key: str, why: str, text: str) -> None:
        self.problems.append(LineProblem(self.source, line, f"{key}: {why}; line skipped"))
        self._append(Entry(text, line))

    def _append(self, entry: Entry) -> None:
        if entry.key is not None:
            self._index[entry.key] = (*self._index.get(entry.key, ()), len(self.entries))
        else:
            if self._heads is not None and (head := _head(entry.text)) is not None:
                self._heads.setdefault(head, []).append(len(self.entries))
            self._notes.append(len(self.entries))
        self.entries.append(entry)

    def get(self, key: str) -> str | None:
        """The last assignment's value, as bash would leave it."""
        idx = self._index.get(key)
        if not idx:
            return None
        entry = self.entries[idx[-1]]
        return entry.value if entry is not None else None

    def line_of(self, key: str) -> int | None:
        idx = self._index.get(key)
        entry = self.entries[idx[-1]] if idx else None
        return entry.line if entry is not None else None

    def keys(self) -> list[str]:
        """Assigned keys in file order."""
        return [e.key for e in self.entries if e is not None and e.key is not None]

    def items(self) -> Iterator[tuple[str, str]]:
        """(key, value) of the effective (last) assignment of each key, in file order."""
        for key, idx in self._index.items():
            entry = self.entries[idx[-1]]
            if entry is not None and entry.value is not None:
                yield key, entry.value

    # -- editing ---------------------------------------------------------------------

    def set(self, key: str, value: str | None, quote: Quote, what: str = "") -> None:
        """Assign (in place of the last assignment, dropping earlier ones) or remove (None)."""
        if value is None:
            self.remove(key)
            return
        if not _KEY.fullmatch(key):
            raise UnsafeValue(f"{what or key}: {key!r} is not a shell variable name")
        idx = self._index.get(key)
        last = self.entries[idx[-1]] if idx else None
        if idx and last is not None and last.value == value:
            # Unchanged: keep the bytes as they are (the admin's own quoting; nothing is
            # written, so nothing is quoted).
            for i in idx[:-1]:
                self.entries[i] = None
            self._index[key] = (idx[-1],)
            return
        text = f"{key}={quote(value, what or key)}"
        if idx:
            for i in idx[:-1]:
                self.entries[i] = None
            line = last.line if last is not None else 0
            self.entries[idx[-1]] = Entry(text, line, key, value)
            self._index[key] = (idx[-1],)
        else:
            self._append(Entry(text, 0, key, value))

    def remove(self, key: str) -> None:
        """Drop every assignment of ``key``."""
        for i in self._index.pop(key, ()):
            self.entries[i] = None

    def add_comment(self, text: str, first: bool = False) -> None:
        """A comment line (``text`` must already be one safe line)."""
        entry = Entry(text, 0)
        if first:
            self.entries.insert(0, entry)
            self._index = {k: tuple(i + 1 for i in v) for k, v in self._index.items()}
            self._notes = [0] + [i + 1 for i in self._notes]
            self._heads = None
        else:
            self._append(entry)

    def _comments(self, prefix: str) -> Iterator[tuple[int, Entry]]:
        """The lines without an assignment that start with PREFIX, in file order."""
        places: list[int] = self._notes
        if _head(prefix) == prefix:  # its only ": " ends it: look it up
            if self._heads is None:
                self._heads = {}
                for i in self._notes:
                    e = self.entries[i]
                    if e is not None and (head := _head(e.text)) is not None:
                        self._heads.setdefault(head, []).append(i)
            places = self._heads.get(prefix, [])
        for i in places:
            e = self.entries[i]
            if e is not None and e.key is None and e.text.startswith(prefix):
                yield i, e

    def comment_value(self, prefix: str) -> str | None:
        """The unescaped rest of the first comment line starting with ``prefix``."""
        for _i, e in self._comments(prefix):
            return unescape_comment(e.text[len(prefix) :])
        return None

    def set_comment(self, prefix: str, value: str | None, first: bool = True) -> None:
        """Set, replace or remove (None) the comment line ``prefix + escaped value``."""
        found = False
        for i, e in list(self._comments(prefix)):
            if value is None or found:
                self.entries[i] = None
            else:
                self.entries[i] = Entry(prefix + escape_comment(value), e.line)
            found = True
        if not found and value is not None:
            self.add_comment(prefix + escape_comment(value), first=first)

    def is_empty(self) -> bool:
        """No assignment and no non-blank line left."""
        return all(e is None or not e.text.strip() for e in self.entries)

    def to_text(self) -> str:
        """The file's text."""
        body = "\n".join(e.text for e in self.entries if e is not None)
        if body and self.trailing_newline:
            body += "\n"
        return body

    def to_bytes(self) -> bytes:
        return self.to_text().encode("utf-8", errors="surrogateescape")


def carry_changes(shell: ShellFile, before: ShellFile, after: ShellFile, quote: Quote,
                  what: str, labels: Iterable[tuple[str, bool]] = ()) -> None:  # fmt: skip
    """Set in ``shell`` only what differs between two renderings of it.

    ``before`` is the file rendered from its own definition, ``after`` from the desired
    one: a key (or label comment, by prefix and place) they agree on keeps its bytes, so
    an unchanged definition rewrites no line and one changed field only its own lines.
    """
    for key in dict.fromkeys([*before.keys(), *after.keys()]):
        old, new = before.get(key), after.get(key)
        if old != new:
            shell.set(key, new, quote, f"{what}: {key}")
    for prefix, first in labels:
        old, new = before.comment_value(prefix), after.comment_value(prefix)
        if old != new:
            shell.set_comment(prefix, new, first=first)


def slot_names(own: list[str], count: int, fresh: Iterable[str]) -> list[str]:
    """Names for ``count`` numbered items (addresses, slaves): the file's own names first,
    in the order its reader takes them, then fresh ones; so an unchanged list keeps its
    keys and a changed item changes only its own line."""
    names = own[:count]
    for name in fresh:
        if len(names) >= count:
            break
        if name not in own:
            names.append(name)
    return names


# ---------------------------------------------------------------------------------------
# Small value helpers the three formats share.

_TRUE = {"yes", "true", "on", "1", "y", "t"}
_FALSE = {"no", "false", "off", "0", "n", "f"}


def is_true(value: str | None) -> bool | None:
    """initscripts' ``is_true``/``is_false``: yes/no, true/false, on/off, 1/0, y/n, t/f."""
    if value is None:
        return None
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


def yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def parse_options(text: str) -> list[tuple[str, str]]:
    """``mode=1 miimon=100 arp_ip_target=a,b`` as ordered (name, value) pairs."""
    pairs = []
    for word in text.split():
        name, _, value = word.partition("=")
        pairs.append((name, value))
    return pairs


def merge_options(existing: str | None, ours: Iterable[tuple[str, str | None]],
                  modeled: Iterable[str]) -> str:  # fmt: skip
    """Options we model replaced where they stand (None removes), new ones appended after
    them, the admin's others kept in their order."""
    values = {name: value for name, value in ours}
    modeled_set = set(modeled) | set(values)
    words: list[str] = []
    done: set[str] = set()
    after_ours = 0  # where options new to the file go: after the last one of ours
    for word in (existing or "").split():
        name = word.partition("=")[0]
        if name not in modeled_set:
            words.append(word)
            continue
        if name not in done and values.get(name) is not None:
            words.append(f"{name}={values[name]}")
        after_ours = len(words)
        done.add(name)
    new = [f"{n}={v}" for n, v in values.items() if v is not None and n not in done]
    return " ".join(words[:after_ours] + new + words[after_ours:])



# ---------------------------------------------------------------------------------------
# Formats that list a master's subordinates by name (SUSE, netifrc): nest them.


@dataclass
class Listed:
    """One device as read, with the names its file lists as slaves or ports."""

    iface: Interface
    subs: list[str] = field(default_factory=list)
    primary: str | None = None


def nest(devices: dict[str, Listed], problems: list[str], where: str) -> list[Interface]:
    """Put listed slaves and ports inside their masters; the rest is the top level.

    A listed name with no configuration of its own becomes a bare ethernet, as in the XML.
    Subordinates keep no start mode, MTU, addressing, routes or DNS: they inherit the top
    level's.
    """
    owner: dict[str, str] = {}
    for name, dev in devices.items():
        for sub in dev.subs:
            if sub in owner:
                problems.append(f"{where}: {sub} is listed by both {owner[sub]} and {name}; "
                                f"kept under {owner[sub]}")  # fmt: skip
            elif sub != name:
                owner[sub] = name

    def build(name: str, seen: frozenset[str]) -> Interface:
        dev = devices.get(name)
        if dev is None:
            return Interface(IfType.ETHERNET, name)
        subs = [s for s in dev.subs if owner.get(s) == name and s not in seen]
        if dev.primary in subs:
            subs.remove(dev.primary)
            subs.insert(0, dev.primary)
        nested = tuple(replace(build(s, seen | {name}), start_mode=None, mtu=None, protocols=(),
                               dns=None)
                       for s in subs)  # fmt: skip
        iface = dev.iface
        if iface.bond is not None:
            bond = replace(iface.bond, slaves=nested)
            if dev.primary and bond.primary != dev.primary:
                bond = replace(bond, primary_slave=dev.primary)
            return replace(iface, bond=bond)
        if iface.bridge is not None:
            return replace(iface, bridge=replace(iface.bridge, ports=nested))
        return iface

    return [build(n, frozenset()) for n in devices if n not in owner]
