"""A fixed fake host for TUI tests: stable names, MACs and addresses."""

from __future__ import annotations

from ifsmith.core.model import (
    BondMode,
    Family,
    LinkState,
    LiveAddress,
    LiveBond,
    LiveBridge,
    LiveHost,
    LiveLink,
    LiveRoute,
)

UP = LinkState.UP


def fake_live() -> LiveHost:
    """lo, a bond of two NICs with a VLAN on it bridged into br100, a free NIC, a bridge."""
    links = (
        LiveLink(
            1,
            "lo",
            "",
            "00:00:00:00:00:00",
            65536,
            True,
            LinkState.UNKNOWN,
            is_loopback=True,
            addresses=(LiveAddress(Family.IPV4, "127.0.0.1", 8, "host"),),
        ),
        LiveLink(2, "eth0", "", "52:54:00:00:00:01", 1500, True, UP, True, 1000, master="bond0"),
        LiveLink(3, "eth1", "", "52:54:00:00:00:02", 1500, True, UP, True, 1000, master="bond0"),
        LiveLink(
            4,
            "eth2",
            "",
            "52:54:00:00:00:03",
            1500,
            True,
            LinkState.DOWN,
            False,
            None,
            addresses=(LiveAddress(Family.IPV4, "198.51.100.7", 24),),
        ),
        LiveLink(
            5,
            "bond0",
            "bond",
            "52:54:00:00:00:01",
            1500,
            True,
            UP,
            True,
            bond=LiveBond(BondMode.ACTIVE_BACKUP, miimon=100, primary="eth0", active_slave="eth0"),
            addresses=(LiveAddress(Family.IPV4, "192.0.2.10", 24),),
        ),
        LiveLink(
            6,
            "bond0.100",
            "vlan",
            "52:54:00:00:00:01",
            1500,
            True,
            UP,
            True,
            master="br100",
            parent="bond0",
            vlan_tag=100,
            vlan_reorder_hdr=True,
        ),
        LiveLink(
            7,
            "br100",
            "bridge",
            "52:54:00:00:00:01",
            1500,
            True,
            UP,
            True,
            bridge=LiveBridge(stp=False, forward_delay=0.0),
            addresses=(
                LiveAddress(Family.IPV4, "203.0.113.1", 24),
                LiveAddress(Family.IPV6, "2001:db8::1", 64),
            ),
        ),
        LiveLink(8, "eth3", "", "52:54:00:00:00:04", 9000, False, LinkState.DOWN, False),
    )
    routes = (LiveRoute(Family.IPV4, "default", "192.0.2.1", "bond0"),)
    return LiveHost(links, routes)
