"""Static routes and DNS in systemd-networkd's ``.network`` (issue 10).

A static route is a ``[Route]`` section: ``Destination=``, ``Gateway=`` (none for an
on-link route: networkd then gives the unicast route scope ``link``, as ``ip route add …
dev IF`` does) and ``Metric=``.  A ``[Route]`` with a gateway and no (or a default)
``Destination=`` is the default route, libvirt's ``<route gateway>``, read and written by
``networkd`` itself.  A route in another table, of another type, from a source prefix or
through a multipath next hop is not modelled: it is reported and kept as written.

DNS is ``DNS=`` and ``Domains=`` in ``[Network]``.  A server with a port, an interface or a
DoT name (``192.0.2.53:853#dns.example``) and a routing-only domain (``~corp``) are not
modelled: reported, and kept where they stand.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from ifsmith.backends.systemd_ini import Line, Section, SectionView, UnitFile, UnitView, check_token
from ifsmith.core.model import Dns, Family, Protocol, Route

# [Route] keys that make a route something else than "to DESTINATION via GATEWAY".
_OTHER_ROUTE = ("Source", "MultiPathRoute", "NextHop")
# What a route section written by ifsmith holds (Scope=link for an on-link route, as
# netplan writes it: networkd's own default since v247, explicit for older ones).
ROUTE_KEYS = frozenset({"Destination", "Gateway", "Metric", "Scope"})
# Keys that say what is the default anyway.
_DEFAULT_VALUES = {"Table": ("main", "254"), "Type": ("unicast",), "Protocol": ("static",)}
_DEFAULTS = ("", "0.0.0.0/0", "::/0", "default")


def _last(sec: Section | SectionView, key: str) -> str:
    return next(iter(sec.values(key)[-1:]), "").strip()


def section_route(sec: Section | SectionView) -> tuple[Route | None, str | None]:
    """A ``[Route]`` as the model's static route: ``(route, None)``; ``(None, why)`` for one
    that is not modelled; ``(None, None)`` for a default route (the gateway's business)."""
    dest, gw = _last(sec, "Destination"), _last(sec, "Gateway")
    if dest in _DEFAULTS:
        return None, None if gw else "a default route without a gateway is not modelled"
    for key, defaults in _DEFAULT_VALUES.items():
        value = _last(sec, key)
        if value not in ("", *defaults):
            return None, f"{key}={value} is not modelled"
    scope = _last(sec, "Scope")
    if scope not in ("", "global" if gw else "link"):
        return None, f"Scope={scope} {'with' if gw else 'without'} a gateway is not modelled"
    other = [k for k in _OTHER_ROUTE if sec.values(k)]
    if other:
        return None, f"{other[0]}= is not modelled"
    try:
        net = ipaddress.ip_network(dest, strict=False)
        gateway = str(ipaddress.ip_address(gw)) if gw else None
    except ValueError:
        return None, f"Destination={dest} Gateway={gw} not understood"
    if gateway is not None and ipaddress.ip_address(gateway).version != net.version:
        return None, f"a gateway of the other family ({gateway}) is not modelled"
    metric_text = _last(sec, "Metric")
    metric = None
    if metric_text:
        try:
            metric = int(metric_text)
        except ValueError:
            return None, f"Metric={metric_text} not understood"
    return Route(str(net.network_address), net.prefixlen, gateway, metric), None


def read_routes(uf: UnitView, where: str, problems: list[str]) -> dict[Family, list[Route]]:
    """The modelled static routes of a ``.network`` by family, in file order."""
    out: dict[Family, list[Route]] = {Family.IPV4: [], Family.IPV6: []}
    for sec in uf.named("Route"):
        route, why = section_route(sec)
        if route is None:
            if why is not None:
                problems.append(f"{where}: [Route] {why}; kept as written")
            continue
        family = Family.IPV6 if ":" in route.address else Family.IPV4
        extra = sorted(set(sec.keys()) - ROUTE_KEYS - set(_DEFAULT_VALUES))
        if extra:
            problems.append(f"{where}: [Route] {route}: {', '.join(extra)} not modelled;"
                            " read without, kept as written")  # fmt: skip
        if route not in out[family]:
            out[family].append(route)
    return out


def _server(token: str) -> str | None:
    """A ``DNS=`` entry that is a plain address, canonical; None for the other forms."""
    try:
        return str(ipaddress.ip_address(token))
    except ValueError:
        return None


def _search(token: str) -> str | None:
    """A ``Domains=`` entry that is a search domain; None for routing-only ``~domain``."""
    return None if token.startswith("~") else token.rstrip(".") or None


def read_dns(uf: UnitView, where: str, problems: list[str]) -> Dns | None:
    """``DNS=`` and ``Domains=`` of ``[Network]`` as the model's DNS (None when neither)."""
    servers: list[str] = []
    search: list[str] = []
    for key, parse, into in (("DNS", _server, servers), ("Domains", _search, search)):
        for token in uf.get_list("Network", key):
            value = parse(token)
            if value is None:
                problems.append(f"{where}: {key}={token} is not modelled; kept as written")
            elif value not in into:
                into.append(value)
    dns = Dns(tuple(servers), tuple(search))
    return dns if dns else None


def unmodelled(uf: UnitFile, key: str) -> list[str]:
    """The ``DNS=``/``Domains=`` entries of a file that the model does not hold."""
    parse = _server if key == "DNS" else _search
    return [t for t in uf.get_list("Network", key) if parse(t) is None]


def dns_lines(uf: UnitFile | None, key: str, values: list[str]) -> list[str]:
    """The values of ``DNS=``/``Domains=`` lines to write: one per value, or all on one line
    where the file holds them so; the entries ifsmith does not model stay."""
    kept = unmodelled(uf, key) if uf is not None else []
    words = [*values, *(k for k in kept if k not in values)]
    if uf is None or not words:
        return words
    lines = [ln.value for s in uf.named("Network") for ln in s.lines if ln.key == key]
    if len(lines) == 1 and len(lines[0].split()) > 1:
        return [" ".join(words)]
    return words


def canonical_dns(text: str) -> object:
    """For line-by-line edits: two spellings of one entry are one value."""
    return tuple(_server(t) or t for t in text.split())


def with_routes(protocols: list[Protocol], routes: dict[Family, list[Route]]) -> list[Protocol]:
    """The protocols with their routes, and a protocol for a family that has only routes."""
    from dataclasses import replace

    out = []
    seen = set()
    for proto in protocols:
        seen.add(proto.family)
        out.append(replace(proto, routes=tuple(routes[proto.family])))
    for family in (Family.IPV4, Family.IPV6):
        if family not in seen and routes[family]:
            out.append(Protocol(family, routes=tuple(routes[family])))
    order = {Family.IPV4: 0, Family.IPV6: 1}
    return sorted(out, key=lambda p: order[p.family])


def wanted_routes(protocols: tuple[Protocol, ...]) -> list[Route]:
    return [r for p in protocols for r in p.routes]


def keep_route_section(sec: Section, wanted: list[Route], warn: Callable[[str], None]) -> bool:
    """Whether a modelled ``[Route]`` stays (the model has it: as the admin wrote it); one that
    goes is named where it held settings ifsmith does not model."""
    route, _why = section_route(sec)
    if route is None:
        return True  # a default route or one not modelled: not ours to judge here
    if route in wanted:
        wanted.remove(route)
        return True
    extra = sorted(set(sec.keys()) - ROUTE_KEYS - set(_DEFAULT_VALUES))
    if extra:
        warn(f"[Route] {route} with {extra} removed")
    return False


def carry_comments(dropped: Section, kept: list[Section], uf: UnitFile) -> None:
    """The comment block that ends a dropped section stands above the next one's header:
    it stays, at the end of the section kept before it (or of the preamble)."""
    at = len(dropped.lines)
    while at > 0 and dropped.lines[at - 1].key is None and dropped.lines[at - 1].text.strip():
        at -= 1
    block = dropped.lines[at:]
    if not block or (at > 0 and dropped.lines[at - 1].key is not None):
        return  # no comment block of its own below a blank line
    (kept[-1].lines if kept else uf.preamble).extend(block)


def add_route_sections(uf: UnitFile, routes: list[Route], owner: str) -> None:
    """A ``[Route]`` section per route, at the end of the file."""
    for route in routes:
        sec = uf.add_section("Route")
        dest = check_token(owner, "route destination", route.destination)
        sec.lines.append(Line(f"Destination={dest}\n", "Destination", dest))
        if route.gateway is not None:
            gw = check_token(owner, "route gateway", route.gateway)
            sec.lines.append(Line(f"Gateway={gw}\n", "Gateway", gw))
        else:
            sec.lines.append(Line("Scope=link\n", "Scope", "link"))
        if route.metric is not None:
            sec.lines.append(Line(f"Metric={int(route.metric)}\n", "Metric", str(route.metric)))


def losses(
    was: tuple[Protocol, ...],
    dns: Dns | None,
    master: tuple[tuple[Protocol, ...], Dns | None],
    warn: Callable[[str], None],
) -> None:
    """Name the routes and DNS settings a NIC loses by becoming a port that its master
    does not take over."""
    theirs, their_dns = master
    taken = wanted_routes(theirs)
    for route in wanted_routes(was):
        if route not in taken:
            warn(f"route {route} removed: a port has no IP settings, and its master does not"
                 " take it")  # fmt: skip
    if dns is None:
        return
    other = their_dns or Dns()
    for server in dns.servers:
        if server not in other.servers:
            warn(f"DNS server {server} removed: a port has no IP settings, and its master does"
                 " not take it")  # fmt: skip
    for domain in dns.search:
        if domain not in other.search:
            warn(f"search domain {domain} removed: a port has no IP settings, and its master"
                 " does not take it")  # fmt: skip
