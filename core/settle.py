"""How long a change may take to carry traffic again: the settle window.

A bridge with STP on forwards on a port only after listening and learning, each one
forward delay long (the kernel's default is 15 s), so its probes can pass only after twice
the forward delay.  The settle window is the deadline for the probes to pass; the confirm
window starts once they have passed (core.txn), so a slow settle never eats into it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ifsmith.core.model import Interface, LiveHost

KERNEL_FORWARD_DELAY = 15.0  # seconds: a bridge's forward delay when none is set
MARGIN = 10.0  # seconds for the probe rounds after the ports forward (a loaded host is slow)


def stp_forwarding(desired: Iterable[Interface], before: LiveHost | None = None) -> float:
    """Seconds until every STP bridge in DESIRED forwards on its ports (listening and
    learning, each one forward delay long); 0 when none runs STP.  Given the live state
    BEFORE the change, a bridge that already ran STP with all these ports counts for
    nothing: its ports forward already."""
    longest = 0.0
    for top in desired:
        for iface, _master in top.walk():
            br = iface.bridge
            if br is None or not br.stp or _forwarding_already(iface, before):
                continue
            delay = br.delay if br.delay is not None else KERNEL_FORWARD_DELAY
            longest = max(longest, 2 * delay)
    return longest


def _forwarding_already(bridge: Interface, before: LiveHost | None) -> bool:
    live = before.link(bridge.name) if before is not None else None
    if live is None or live.bridge is None or not live.bridge.stp or not live.admin_up:
        return False
    ports = bridge.bridge.ports if bridge.bridge is not None else ()
    assert before is not None
    return all((p := before.link(port.name)) is not None and p.master == bridge.name
               for port in ports)  # fmt: skip


def settle_window(
    desired: Iterable[Interface], requested: float, before: LiveHost | None = None
) -> float:
    """The settle window for DESIRED: the requested one, or longer where an STP bridge
    forwards only later."""
    forwarding = stp_forwarding(desired, before)
    return max(requested, forwarding + MARGIN) if forwarding else requested
