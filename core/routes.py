"""Static routes as the kernel runs them: what a defined route looks like in the live view,
and whether a running route is the one a definition asks for.

The plan (is the route there, or must it be added?) and the drift report (is it defined,
is it running?) ask the same question, so they ask it here.  Pure: no netlink.
"""

from __future__ import annotations

import ipaddress

from ifsmith.core.model import Family, Route

# The metric the kernel gives a route added without one: IPv4 0, IPv6 1024.
DEFAULT_METRIC = {Family.IPV4: 0, Family.IPV6: 1024}


def canonical_route(route: Route) -> Route:
    """ROUTE as the live view (core.live.live_routes) shows it: the network's address and
    the gateway in canonical form, the kernel's default metric as none, no line number.
    ValueError when the destination is no network."""
    net = ipaddress.ip_network(route.destination, strict=False)
    family = Family.IPV4 if net.version == 4 else Family.IPV6
    return Route(
        str(net.network_address),
        net.prefixlen,
        _canonical(route.gateway) if route.gateway else None,
        None if route.metric == DEFAULT_METRIC[family] else route.metric,
    )


def same_route(wanted: Route, running: Route) -> bool:
    """Does the running route (as the live view shows it) satisfy the wanted one, written
    in any form?  Without a metric, any metric will do; a destination that is no network
    is satisfied by none."""
    try:
        want = canonical_route(wanted)
    except ValueError:
        return False
    return (want.address, want.prefix, want.gateway) == (
        running.address,
        running.prefix,
        running.gateway,
    ) and want.metric in (None, running.metric)


def _canonical(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address
