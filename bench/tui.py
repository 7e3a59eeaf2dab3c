"""TUI speed with 2,000 links (DESIGN.md budgets), measured as an admin's terminal sees it.

Builds a namespace ifsu-bench-* with 1,000 veth pairs (2,000 links) and runs the real
`ifsmith --netns NS` on a pseudo-terminal of 120x36 (TERM=xterm-256color).  The bench is
the terminal: it answers Textual's query for synchronized output, so every frame arrives
between ESC[?2026h and ESC[?2026l, and it times
  start = spawn → the end of the first frame that shows the tree (the first and the last
          veth pair of the namespace's order on screen)             budget: <= 1.0 s
  keys  = bytes of a key written → the end of the last frame that answers it (the tree's
          cursor, then the details pane), for the main screen's keys (down, up, end,
          home, page down, page up)                                   budget: <= 50 ms
  forms = the same for opening each form, the first time (Textual composes and styles
          its widgets) and again (the form is reused, refilled), and for closing it with
          Escape; reported beside the budget, as is `l` (loopback shown/hidden: every
          visible row moves).
Each figure is the best of --repeat runs, the app idle before each key.
The TUI runs with its own defaults (ESCDELAY 10 ms: a lone ESC is the Escape key once
10 ms pass without the rest of a sequence; TEXTUAL_FPS 240).  The forms are composed in
the background after the tree is first shown; the bench presses its first key after that.
Prints one JSON object; exit 1 when a budget is missed.  Needs root; the namespace is
deleted afterwards, also on failure.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.netns import ip_batch, make_netns

START_BUDGET = 1.0
KEY_BUDGET = 0.050
SIZE = (120, 36)
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_SUPPORTED = b"\x1b[?2026;2$y"
FRAME_END = b"\x1b[?2026l"
KEYS = {
    "down": b"\x1b[B",
    "up": b"\x1b[A",
    "end": b"\x1b[F",
    "home": b"\x1b[H",
    "pagedown": b"\x1b[6~",
    "pageup": b"\x1b[5~",
    "escape": b"\x1b",
}
MAIN_KEYS = ["down", "up", "end", "home", "pagedown", "pageup"]
LOOPBACK = [("l", "l: loopback shown"), ("l", "l: loopback hidden")]
# (key, what the answering frame shows, what it opens, times opened)
FORMS = [
    ("e", b"Edit ", "edit form", 2),
    ("b", b"New bond", "bond form, 2,000 NICs offered", 2),
    ("B", b"New bridge", "bridge form, 2,000 ports offered", 1),
    ("v", b"New VLAN", "vlan form, 2,000 parents", 1),
]
# What the main screen shows again once a form is closed: the first row.
FIRST_ROW = b"v0a"


class Terminal:
    """A program on a pseudo-terminal, its output split into synchronized frames."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.spawned = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: a terminal of SIZE, then the program
            cols, rows = SIZE
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execvpe(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        self.pending = b""
        self.frames: list[tuple[float, bytes]] = []  # (end time, the frame's bytes)
        self.step = "start"

    def pump(self, wait: float) -> None:
        """Read what the program wrote within ``wait`` seconds; answer its queries."""
        ready, _w, _x = select.select([self.fd], [], [], wait)
        if not ready:
            return
        try:
            data = os.read(self.fd, 1 << 20)
        except OSError:
            raise SystemExit("the TUI exited") from None
        now = time.perf_counter()
        if SYNC_QUERY in data:
            os.write(self.fd, SYNC_SUPPORTED)
        self.pending += data
        while FRAME_END in self.pending:
            frame, _end, self.pending = self.pending.partition(FRAME_END)
            self.frames.append((now, frame))

    def frame_after(self, since: float, shows: bytes, limit: float = 10) -> float:
        """When the first frame ending after ``since`` that contains ``shows`` ended."""
        deadline = time.perf_counter() + limit
        seen = len(self.frames)
        while time.perf_counter() < deadline:
            for at, frame in self.frames[seen:]:
                if at >= since and shows in frame:
                    return at
            seen = len(self.frames)
            self.pump(0.05)
        raise SystemExit(f"no frame showing {shows!r} within {limit} s ({self.step})")

    def settle(self, quiet: float = 0.3) -> None:
        """Wait until the program has written nothing for ``quiet`` seconds."""
        last = time.perf_counter()
        while time.perf_counter() - last < quiet:
            count = len(self.frames) + len(self.pending)
            self.pump(0.02)
            if len(self.frames) + len(self.pending) != count:
                last = time.perf_counter()

    def press(self, key: str, shows: bytes | None = None, quiet: float = 0.1) -> float:
        """Seconds from writing ``key`` to the end of the frame that answers it: the one
        that ``shows`` something, else the last before ``quiet`` seconds of silence."""
        self.settle()
        self.step = key
        sent = time.perf_counter()
        os.write(self.fd, KEYS.get(key, key.encode()))
        if shows is not None:
            return self.frame_after(sent, shows) - sent
        end = self.frame_after(sent, b"")
        while True:
            count = len(self.frames)
            self.pump(quiet)
            if len(self.frames) == count and not self.pending:
                return end - sent
            end = self.frames[-1][0] if len(self.frames) > count else end

    def send(self, key: str) -> None:
        """Write ``key`` and let the program answer, untimed."""
        os.write(self.fd, KEYS.get(key, key.encode()))
        self.settle()

    def close(self) -> None:
        os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def build(ns: str, pairs: int) -> None:
    ip_batch(ns, [f"link add v{n}a type veth peer name v{n}b" for n in range(pairs)])


def run_tui(ns: str) -> Terminal:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
    }
    argv = [sys.executable, "-m", "ifsmith.tui.cli", "--netns", ns]
    return Terminal(argv, env)


def measure(ns: str, repeat: int) -> dict[str, object]:
    """Start times and key answers in seconds, best of ``repeat`` runs."""
    starts: list[float] = []
    keys: dict[str, list[float]] = {}
    forms: dict[str, list[float]] = {}
    for _ in range(repeat):
        term = run_tui(ns)
        try:
            # The first screenful: the first pair at the top of the tree.
            starts.append(term.frame_after(term.spawned, FIRST_ROW, limit=30) - term.spawned)
            for key in MAIN_KEYS:
                keys.setdefault(key, []).append(term.press(key))
            for key, name in LOOPBACK:
                forms.setdefault(name, []).append(term.press(key))
            term.send("home")  # the forms open on the first row, v0a
            for key, shows, name, times in FORMS:
                for n in range(times):
                    label = f"{key}: {name} ({'again' if n else 'first'})"
                    forms.setdefault(label, []).append(term.press(key, shows))
                    closed = term.press("escape", FIRST_ROW)
                    forms.setdefault(f"escape: close the {name.split(',')[0]}", []).append(closed)
        finally:
            term.close()
    return {"start": min(starts), "keys": keys, "forms": forms}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000, help="veth pairs (links = 2x)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with make_netns("ifsu-bench-") as ns:
        build(ns, args.pairs)
        got = measure(ns, args.repeat)

    def best_ms(times: dict[str, list[float]]) -> dict[str, float]:
        return {k: round(min(v) * 1000, 1) for k, v in times.items()}

    keys = best_ms(got["keys"])  # type: ignore[arg-type]
    forms = best_ms(got["forms"])  # type: ignore[arg-type]
    slowest = max(keys.values())
    start = float(got["start"])  # type: ignore[arg-type]
    result = {
        "links": 2 * args.pairs,
        "start_to_tree_s": round(start, 3),
        "start_budget_s": START_BUDGET,
        "keys_ms": keys,
        "others_ms": forms,
        "slowest_key_ms": slowest,
        "key_budget_ms": KEY_BUDGET * 1000,
        "ok": start <= START_BUDGET and slowest <= KEY_BUDGET * 1000,
    }
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
