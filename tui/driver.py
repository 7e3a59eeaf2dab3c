"""Textual's Linux driver, with Escape answered as soon as it can be told from a sequence.

A lone ESC byte may be the start of a key's sequence (ESC [ A is Up), so the parser waits
ESCDELAY for more bytes before it takes it as the Escape key.  Textual's input thread only
looks at that timeout when its select() wakes, every 0.1 s: Escape closed a form 100–200 ms
after the key.  This input loop wakes when the delay is over.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual import constants
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

IDLE_WAKE = 0.1  # seconds, as Textual's own loop: how often the exit flag is looked at


class Driver(LinuxDriver):
    """LinuxDriver whose input thread wakes when a pending Escape is due."""

    def run_input_thread(self) -> None:
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        # Just past the parser's delay, so its tick() finds the timeout expired.
        escape_wake = constants.ESCAPE_DELAY + 0.002
        wait = IDLE_WAKE
        try:
            while not self.exit_event.is_set():
                ready = selector.select(wait)
                wait = IDLE_WAKE
                if ready:
                    data = decode(os.read(self.fileno, 4096))
                    for event in parser.feed(data):
                        self.process_message(event)
                    if "\x1b" in data:
                        wait = escape_wake
                for event in parser.tick():
                    self.process_message(event)
        finally:
            selector.close()
            try:
                for event in parser.feed(""):
                    self.process_message(event)
            except (EOFError, ParseError):
                pass
