"""Each interface's standing: defined in the host's files, running, or both; and where
both, whether the definition and the running state agree (core.definition.drift).

The tree marks it with one character beside the name, so the Linux console and NO_COLOR
show it too: ``~`` they differ, ``d`` defined only (not running), ``r`` running only
(nothing in the files), blank when they agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ifsmith.core.model import Interface, LiveHost

DIFFERS = "~"
DEFINED_ONLY = "d"
RUNNING_ONLY = "r"
AGREES = " "

WORDS = {
    DIFFERS: "defined and running; they differ",
    DEFINED_ONLY: "defined in the files, not running",
    RUNNING_ONLY: "running, not defined in the files",
    AGREES: "defined and running; they agree",
}


@dataclass(frozen=True)
class Standing:
    """Marks and differences by interface name; ``known`` is False while no network
    stack's files were read (then nothing is marked: the live state stands alone)."""

    known: bool = False
    marks: dict[str, str] = field(default_factory=dict)
    lines: dict[str, list[str]] = field(default_factory=dict)

    def mark(self, name: str) -> str | None:
        """The one-character mark of ``name``; None when nothing is known."""
        return self.marks.get(name, RUNNING_ONLY) if self.known else None

    def describe(self, name: str, hint: str = " (= shows them)") -> str:
        """In words, with the count of differences: "defined and running; 2 differences"."""
        mark = self.mark(name)
        if mark is None:
            return "no network stack detected: no definitions read"
        if mark == DIFFERS:
            n = len(self.lines.get(name, []))
            return f"defined and running; {n} difference{'s' if n != 1 else ''}{hint}"
        return WORDS[mark]


def standing(defined: Sequence[Interface], live: LiveHost) -> Standing:
    """Every defined and every running interface's mark, and each difference under the
    name it is about (``bond0: mtu 9000 defined, 1500 running`` is bond0's)."""
    from ifsmith.core.definition import drift  # core.live with it: not at start-up

    lines: dict[str, list[str]] = {}
    marks: dict[str, str] = {}
    running = live.by_name()
    for top in defined:
        for line in drift(top, live):
            lines.setdefault(line.split(":", 1)[0], []).append(line)
        for iface, _master in top.walk():
            marks[iface.name] = AGREES if iface.name in running else DEFINED_ONLY
    for name, mark in marks.items():
        if mark == AGREES and lines.get(name):
            marks[name] = DIFFERS
    for link in live.links:
        if link.name not in marks and not link.is_loopback:
            marks[link.name] = RUNNING_ONLY
    return Standing(True, marks, lines)
