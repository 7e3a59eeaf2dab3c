"""Static routes and DNS as the shell-era formats write them (issue 10).

ifupdown's ``up ip route add …``, ifcfg-rh's ``route-IF`` (ip form), netifrc's ``routes_IF``
all spell a route as iproute2's arguments: ``DEST [via GW] [metric N] [dev IF]``.  This
module reads that spelling into a ``Route`` — only when every word is one the model holds,
so a route with ``table``, ``src``, ``proto`` … stays the file's own, untouched line — and
writes it back from a ``Route`` with every value normalised (``ipaddress``, ``int``), so
nothing but addresses, digits and the interface's checked name reaches a shell.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from ifsmith.core.files import UnsafeValue
from ifsmith.core.model import Dns, Family, Interface, Route

_T = TypeVar("_T")
_METRIC_WORDS = frozenset({"metric", "preference", "priority"})
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
    r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$"
)


def family_of(route: Route) -> Family:
    return Family.IPV6 if ":" in route.address else Family.IPV4


def parse_route(words: list[str], dev: str | None) -> Route | None:
    """``DEST [via GW] [metric N] [dev IF]`` as a route of DEV, or None when a word is one
    the model does not hold (or the route is another device's, or the default route)."""
    if not words:
        return None
    try:
        net = ipaddress.ip_network(words[0], strict=True)
    except ValueError:
        return None
    gateway: str | None = None
    metric: int | None = None
    seen: set[str] = set()
    rest = words[1:]
    if len(rest) % 2:
        return None
    for key, value in zip(rest[::2], rest[1::2], strict=True):
        kind = "metric" if key in _METRIC_WORDS else key
        if kind in seen:
            return None
        seen.add(kind)
        if key == "via":
            try:
                gw = ipaddress.ip_address(value)
            except ValueError:
                return None
            if gw.version != net.version:
                return None
            gateway = str(gw)
        elif kind == "metric":
            if not value.isdigit() or int(value) >= 2**32:
                return None
            metric = int(value)
        elif key == "dev":
            if dev is None or value != dev:
                return None
        else:
            return None
    return Route(str(net.network_address), net.prefixlen, gateway, metric)


def merge_in_place(
    items: list[_T], route_of: Callable[[_T], Route | None], make: Callable[[Route], _T],
    routes: Iterable[Route], keep: bool = False,
) -> list[_T]:  # fmt: skip
    """A file's lines (or numbered slots) with ROUTES: each route in the place of the item it
    replaces (by destination), unchanged items as they are, the items that are no route the
    model holds kept, the other routes' items dropped (kept with KEEP), new routes last."""
    wanted = {r.destination: r for r in routes}
    out = []
    for item in items:
        route = route_of(item)
        if route is None or (keep and route.destination not in wanted):
            out.append(item)
        elif route.destination in wanted:
            now = wanted.pop(route.destination)
            out.append(item if now == route else make(now))
    return out + [make(r) for r in wanted.values()]


def route_words(owner: str, route: Route) -> list[str]:
    """The route as iproute2's arguments (without ``dev``), every value normalised; a value
    that is no address or number raises ``UnsafeValue`` (it would reach a shell)."""
    try:
        net = ipaddress.ip_network(f"{route.address}/{int(route.prefix)}", strict=True)
    except ValueError:
        raise UnsafeValue(
            f"{owner}: route destination {route.destination!r} is not a network"
        ) from None
    words = [str(net)]
    if route.gateway is not None:
        try:
            gw = ipaddress.ip_address(route.gateway)
        except ValueError:
            raise UnsafeValue(
                f"{owner}: route gateway {route.gateway!r} is not an address"
            ) from None
        words += ["via", str(gw)]
    if route.metric is not None:
        words += ["metric", str(int(route.metric))]
    return words


def safe_servers(owner: str, dns: Dns) -> list[str]:
    """The name servers, normalised; anything else raises ``UnsafeValue``."""
    out = []
    for server in dns.servers:
        try:
            out.append(str(ipaddress.ip_address(server)))
        except ValueError:
            raise UnsafeValue(f"{owner}: DNS server {server!r} is not an IP address") from None
    return out


def safe_search(owner: str, dns: Dns) -> list[str]:
    """The search domains; one that is not a domain name raises ``UnsafeValue``."""
    for domain in dns.search:
        if not _DOMAIN.match(domain):
            raise UnsafeValue(f"{owner}: DNS search domain {domain!r} is not a domain name")
    return list(dns.search)


def lost_on_enslaving(was: Interface, top: Interface | None) -> list[str]:
    """The routes and DNS settings of WAS, a NIC becoming a slave or port, that TOP (the
    top of its new tree) does not take over: each to be named, never dropped silently."""
    protocols = top.protocols if top is not None else ()
    routes = {r for p in protocols for r in p.routes}
    dns = top.dns if top is not None and top.dns else Dns()
    lost = [f"route {r}" for p in was.protocols for r in p.routes if r not in routes]
    if was.dns:
        lost += [f"DNS server {s}" for s in was.dns.servers if s not in dns.servers]
        lost += [f"DNS search domain {d}" for d in was.dns.search if d not in dns.search]
    return lost
