"""Where the TUI gets live state from: the real namespace, or a fixed fake for tests.

The TUI never reads netlink itself; it asks a ``LiveSource``.  ``NetnsSource`` wraps
core.live; ``FakeSource`` serves a fixed LiveHost (fixed MACs) so snapshots are stable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol

from ifsmith.core.host import Host
from ifsmith.core.model import LiveHost


class LiveSource(Protocol):
    def snapshot(self) -> LiveHost: ...

    def changes(self) -> AsyncIterator[str]:
        """Yields "change" (or "resync") whenever the namespace changed."""
        ...


class NetnsSource:
    """The live state of a Host's namespace through core.live."""

    def __init__(self, host: Host, rcvbuf: int = 8 << 20) -> None:
        self.host = host
        self.rcvbuf = rcvbuf  # the event socket's buffer (tests make it small to overflow)

    def snapshot(self) -> LiveHost:
        from ifsmith.core.live import snapshot

        return snapshot(self.host)

    async def changes(self) -> AsyncIterator[str]:
        from ifsmith.core.live import events

        async for event in events(self.host, self.rcvbuf):
            yield "resync" if event.what == "resync" else "change"


class FakeSource:
    """A fixed LiveHost; ``update`` replaces it and wakes the watchers (tests)."""

    def __init__(self, live: LiveHost) -> None:
        self.live = live
        self._changed = asyncio.Event()

    def snapshot(self) -> LiveHost:
        return self.live

    def update(self, live: LiveHost) -> None:
        self.live = live
        self._changed.set()

    async def changes(self) -> AsyncIterator[str]:
        while True:
            await self._changed.wait()
            self._changed.clear()
            yield "change"
