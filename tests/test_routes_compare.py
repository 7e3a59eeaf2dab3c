"""The plan and the drift report judge a running route by one rule (core/routes.py): a
route written in any form — host bits in the destination, a long IPv6 gateway, the
kernel's default metric spelled out — is the route the kernel runs."""

from __future__ import annotations

import pytest

from ifsmith.core.definition import drift
from ifsmith.core.model import (
    Family,
    IfType,
    Interface,
    IpAddress,
    LinkState,
    LiveAddress,
    LiveHost,
    LiveLink,
    LiveRoute,
    Protocol,
    Route,
    StartMode,
)
from ifsmith.core.plan import AddRoute, DelRoute, make_plan
from ifsmith.core.routes import canonical_route, same_route

LINK = LiveLink(
    2, "eth0", "", mtu=1500, admin_up=True, operstate=LinkState.UP,
    addresses=(LiveAddress(Family.IPV4, "192.0.2.10", 24),
               LiveAddress(Family.IPV6, "2001:db8::10", 64)),
)  # fmt: skip
RUNNING = LiveHost(
    (LINK,),
    (
        LiveRoute(Family.IPV4, "10.20.0.0/16", "192.0.2.254", "eth0"),
        LiveRoute(Family.IPV4, "198.51.100.0/24", None, "eth0", metric=100),
        LiveRoute(Family.IPV6, "2001:db8:1::/48", "2001:db8::1", "eth0"),
    ),
)


def eth0(v4: tuple[Route, ...], v6: tuple[Route, ...]) -> Interface:
    return Interface(
        IfType.ETHERNET,
        "eth0",
        start_mode=StartMode.ONBOOT,
        protocols=(
            Protocol(Family.IPV4, addresses=(IpAddress("192.0.2.10", 24),), routes=v4),
            Protocol(Family.IPV6, addresses=(IpAddress("2001:db8::10", 64),), routes=v6),
        ),
    )


def route_ops(iface: Interface) -> list[str]:
    ops = make_plan([iface], RUNNING).operations
    return [str(op) for op in ops if isinstance(op, AddRoute | DelRoute)]


def route_drift(iface: Interface) -> list[str]:
    return [line for line in drift(iface, RUNNING) if " route " in line]


def test_routes_written_in_other_forms_are_the_running_ones_for_plan_and_drift() -> None:
    iface = eth0(
        (Route("10.20.7.1", 16, "192.0.2.254", metric=0), Route("198.51.100.0", 24, None)),
        (Route("2001:db8:1::", 48, "2001:0db8:0000::0001", metric=1024),),
    )
    assert route_ops(iface) == []
    assert route_drift(iface) == []


def test_another_metric_or_gateway_is_another_route_for_plan_and_drift() -> None:
    iface = eth0(
        (Route("10.20.0.0", 16, "192.0.2.254", metric=50), Route("198.51.100.0", 24, None)),
        (Route("2001:db8:1::", 48, "2001:db8::2"),),
    )
    assert sorted(route_ops(iface)) == [
        "add route (ipv4) 10.20.0.0/16 via 192.0.2.254 metric 50 dev eth0",
        "add route (ipv6) 2001:db8:1::/48 via 2001:db8::2 dev eth0",
        "remove route (ipv4) 10.20.0.0/16 via 192.0.2.254 dev eth0",
        "remove route (ipv6) 2001:db8:1::/48 via 2001:db8::1 dev eth0",
    ]
    assert route_drift(iface) == [
        "eth0: route 10.20.0.0/16 via 192.0.2.254 metric 50 defined, not running",
        "eth0: route 10.20.0.0/16 via 192.0.2.254 running, not defined",
        "eth0: route 2001:db8:1::/48 via 2001:db8::2 defined, not running",
        "eth0: route 2001:db8:1::/48 via 2001:db8::1 running, not defined",
    ]


@pytest.mark.parametrize(
    ("route", "canonical"),
    [
        (Route("10.20.7.1", 16, "192.0.2.254", 0, line=7), Route("10.20.0.0", 16, "192.0.2.254")),
        (
            Route("2001:db8:1::9", 48, "2001:db8::01", 1024),
            Route("2001:db8:1::", 48, "2001:db8::1"),
        ),
        (Route("2001:db8:1::", 48, None, 0), Route("2001:db8:1::", 48, None, 0)),
    ],
)
def test_a_route_as_the_live_view_shows_it(route: Route, canonical: Route) -> None:
    assert canonical_route(route) == canonical and canonical_route(route).line is None


def test_a_destination_that_is_no_network_matches_no_running_route() -> None:
    running = Route("10.20.0.0", 16, "192.0.2.254")
    assert not same_route(Route("bogus", 16, "192.0.2.254"), running)
    assert same_route(Route("10.20.0.0", 16, "192.0.2.254"), running)
