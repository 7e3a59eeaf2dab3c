"""The TUI's input loop (tui/driver.py): keys read from a terminal's bytes.

Its speed (Escape ~10 ms after the key, not at Textual's next 0.1 s poll) is measured by
bench/tui.py on a real pseudo-terminal; here, that every byte sequence still becomes the
right key, a lone ESC included.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import AsyncIterator

import pytest
from textual import events
from textual.app import App
from textual.message import Message

from ifsmith.tui.driver import Driver


class Recorder(Driver):
    """The driver with its messages kept instead of sent to an app."""

    def __init__(self, app: App[None]) -> None:
        super().__init__(app)
        self.keys: queue.Queue[str] = queue.Queue()

    def process_message(self, message: Message) -> None:
        if isinstance(message, events.Key):
            self.keys.put(message.key)


@pytest.fixture
async def terminal() -> AsyncIterator[tuple[Recorder, int]]:
    """The input loop reading the far end of a pipe; yields it and the near end (a
    driver is made inside a running event loop)."""
    read_end, write_end = os.pipe()
    driver = Recorder(App())
    driver.fileno = read_end
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    try:
        yield driver, write_end
    finally:
        driver.exit_event.set()
        thread.join(timeout=5)
        os.close(write_end)
        os.close(read_end)
    assert not thread.is_alive(), "the input loop did not stop"


def next_key(driver: Recorder) -> str:
    return driver.keys.get(timeout=5)


async def test_a_lone_escape_is_the_escape_key(terminal: tuple[Recorder, int]) -> None:
    driver, fd = terminal
    os.write(fd, b"\x1b")
    assert next_key(driver) == "escape"
    os.write(fd, b"x")
    assert next_key(driver) == "x"


async def test_sequences_and_plain_keys_are_read_whole(terminal: tuple[Recorder, int]) -> None:
    driver, fd = terminal
    os.write(fd, b"\x1b[A")  # Up
    os.write(fd, b"\x1b[6~")  # Page Down
    os.write(fd, "bé".encode())
    assert [next_key(driver) for _ in range(4)] == ["up", "pagedown", "b", "é"]
    assert driver.keys.empty()
