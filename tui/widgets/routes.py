"""Static routes and DNS in the forms: their text form, parsed and formatted, and the rows
that show them (issue 10).

Routes are one a line, both families in one list, each line as ``ip route`` writes it::

    10.20.0.0/16 via 192.0.2.254 metric 100
    198.51.100.0/24
    2001:db8:1::/48 via 2001:db8::1

(no ``via``: on-link).  Each route goes to the ``<protocol>`` of its family.  DNS servers
and search domains are words separated by spaces (or commas).  A line that does not parse
is a message naming the line; what parses is left to core.checks like every other field.
The rows that show them are in tui/widgets/routelist.py (Textual's TextArea is not loaded
before a form is).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ifsmith.core.model import Family, Interface, LiveRoute, Protocol, Route

if TYPE_CHECKING:  # field.py loads Textual's input widgets: not before a form opens
    from ifsmith.tui.widgets.field import FieldError

ROUTES = "routes"
SERVERS = "dns-servers"
SEARCH = "dns-search"
FAMILY_WORDS = {Family.IPV4: "IPv4", Family.IPV6: "IPv6"}
ONLINK_WORDS = ("on-link", "onlink")


def format_route(route: Route) -> str:
    """One route as a line: ``10.20.0.0/16 via 192.0.2.254 metric 100``."""
    words = [route.destination]
    if route.gateway:
        words += ["via", route.gateway]
    if route.metric is not None:
        words += ["metric", str(route.metric)]
    return " ".join(words)


def format_routes(protocols: Iterable[Protocol]) -> str:
    """Every protocol's routes, one a line, in the protocols' order."""
    return "\n".join(format_route(r) for p in protocols for r in p.routes)


def family_of(address: str) -> Family | None:
    try:
        version = ipaddress.ip_address(address).version
    except ValueError:
        return None
    return Family.IPV4 if version == 4 else Family.IPV6


def parse_route(text: str, number: int) -> Route:
    """One line; FieldError naming the line and what is wrong in it."""

    def bad(message: str) -> FieldError:
        from ifsmith.tui.widgets.field import FieldError

        return FieldError(ROUTES, f"route line {number}: {message}")

    words = text.split()
    destination, rest = words[0], words[1:]
    address, slash, prefix_text = destination.partition("/")
    if destination == "default":
        raise bad("the default route is the gateway field of IPv4 or IPv6")
    family = family_of(address)
    if family is None:
        raise bad(f"'{address}' is not an IP address (a network: 10.20.0.0/16)")
    if slash and not prefix_text.isdigit():
        raise bad(f"the prefix of '{destination}' must be a number")
    prefix = int(prefix_text) if slash else (32 if family is Family.IPV4 else 128)
    gateway: str | None = None
    metric: int | None = None
    seen: set[str] = set()
    at = 0
    while at < len(rest):
        word = rest[at].lower()
        if word in ONLINK_WORDS:
            at += 1
            continue
        if word not in ("via", "metric"):
            raise bad(f"unknown word '{rest[at]}' (after the network: via ADDRESS, metric N)")
        if word in seen:
            raise bad(f"'{word}' is given twice")
        seen.add(word)
        if at + 1 == len(rest):
            raise bad("'via' needs an address" if word == "via" else "'metric' needs a number")
        value = rest[at + 1]
        if word == "via":
            gw_family = family_of(value)
            if gw_family is None:
                raise bad(f"gateway '{value}' is not an IP address")
            if gw_family is not family:
                fam, gw = FAMILY_WORDS[family], FAMILY_WORDS[gw_family]
                raise bad(f"the gateway {value} is {gw}, the network {fam}")
            gateway = value
        else:
            if not value.isdigit():
                raise bad(f"the metric must be a whole number, not '{value}'")
            metric = int(value)
        at += 2
    return Route(address, prefix, gateway, metric)


def parse_routes(text: str) -> list[tuple[int, Route]]:
    """Each non-blank line's route with its line number (counted from 1, blank lines too:
    the number the list's gutter shows)."""
    return [
        (n, parse_route(line, n)) for n, line in enumerate(text.splitlines(), 1) if line.strip()
    ]


def with_routes(
    protocols: Sequence[Protocol], routes: Sequence[tuple[int, Route]]
) -> tuple[Protocol, ...]:
    """The protocols, each with the routes of its family; FieldError for a route whose
    family has no protocol (IPv4 "none", IPv6 "off"): it would have nowhere to go."""
    by_family: dict[Family, list[Route]] = {p.family: [] for p in protocols}
    for number, route in routes:
        family = family_of(route.address)
        assert family is not None  # parse_route checked it
        if family not in by_family:
            from ifsmith.tui.widgets.field import FieldError

            words = FAMILY_WORDS[family]
            raise FieldError(
                ROUTES,
                f"route line {number}: {words} has no settings; choose an {words} method "
                f"for {route.destination}",
            )
        by_family[family].append(route)
    return tuple(
        p if p.routes == tuple(by_family[p.family])
        else dataclasses.replace(p, routes=tuple(by_family[p.family]))
        for p in protocols
    )  # fmt: skip


def words(text: str) -> tuple[str, ...]:
    """Words separated by spaces or commas."""
    return tuple(text.replace(",", " ").split())


def problem_field(message: str) -> str | None:
    """The row a core.checks message about routes or DNS belongs to (None: another's)."""
    if message.startswith("route "):
        return ROUTES
    if "DNS server" in message:
        return SERVERS
    if message.startswith("search domain"):
        return SEARCH
    return None


def same_route(defined: Route, running: LiveRoute) -> bool:
    """Whether a running route is the defined one (a metric left out: any the kernel chose)."""
    try:
        if ipaddress.ip_network(defined.destination, strict=False) != ipaddress.ip_network(
            running.dst, strict=False
        ):
            return False
        if (defined.gateway is None) != (running.gateway is None):
            return False
        if defined.gateway is not None and running.gateway is not None:
            if ipaddress.ip_address(defined.gateway) != ipaddress.ip_address(running.gateway):
                return False
    except ValueError:
        return False
    return defined.metric is None or defined.metric == running.metric


def live_line(route: LiveRoute) -> str:
    via = f" via {route.gateway}" if route.gateway else ""
    metric = f" metric {route.metric}" if route.metric is not None else ""
    return f"{route.dst}{via}{metric}"


def route_facts(
    definition: Interface | None, running: Sequence[LiveRoute] | None
) -> list[tuple[str, str]]:
    """The details pane's lines for routes and DNS: each defined route with whether it
    runs, each running route the definition lacks, the defined DNS.  In words, not colour.
    ``running`` None: the interface does not run."""
    facts: list[tuple[str, str]] = []
    left = list(running or ())
    defined = [r for p in definition.protocols for r in p.routes] if definition else []
    for route in defined:
        match = next((r for r in left if same_route(route, r)), None)
        if match is not None:
            left.remove(match)
            state = "defined, running"
        else:
            state = "defined, not running"
        facts.append(("route", f"{format_route(route)} ({state})"))
    for live in left:
        state = "running, not defined" if definition is not None else "running"
        facts.append(("route", f"{live_line(live)} ({state})"))
    dns = definition.dns if definition is not None else None
    if dns and dns.servers:
        facts.append(("dns", f"{' '.join(dns.servers)} (defined)"))
    if dns and dns.search:
        facts.append(("search", f"{' '.join(dns.search)} (defined)"))
    return facts
