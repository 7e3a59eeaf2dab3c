"""Static routes and DNS of SUSE's wicked files (issue 10).

Routes: ``ifroute-IF`` (routes(5)), one route a line in columns
``DESTINATION GATEWAY NETMASK INTERFACE [OPTIONS]`` with ``-`` for an empty column:
``10.20.0.0/16 192.0.2.254 - eth0 metric 100``, ``198.51.100.0/24 - - eth0`` (on-link).
A line whose options are more than ``metric N`` (``table``, ``mtu``, a route type), or that
names another interface, is the file's own: kept, and reported when read.  Routes of the
host-wide ``routes`` file other than default ones are reported (not read into one
interface).

DNS: SUSE has no per-interface resolver setting.  netconfig takes the static servers and
search list from ``/etc/sysconfig/network/config`` (``NETCONFIG_DNS_STATIC_SERVERS``,
``NETCONFIG_DNS_STATIC_SEARCHLIST``), for the whole host.  Reading gives them to one
interface — the one with the default route (IPv4 first), else the first; rendering writes
the servers and domains of every interface rendered, in order, each once, and says so.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from ifsmith.backends.bash import ShellFile, quote_double
from ifsmith.backends.route_text import (
    merge_in_place,
    parse_route,
    route_words,
    safe_search,
    safe_servers,
)
from ifsmith.core.files import FileView
from ifsmith.core.model import Dns, FlatInterface, Interface, Route

CONFIG = PurePosixPath("/etc/sysconfig/network/config")
SERVERS = "NETCONFIG_DNS_STATIC_SERVERS"
SEARCH = "NETCONFIG_DNS_STATIC_SEARCHLIST"


# -- routes ----------------------------------------------------------------------------


def parse_line(line: str, name: str | None) -> Route | None:
    """One routes(5) line as a route of NAME (``-`` or NAME in the interface column), or
    None when it is a comment, a default route or a route the model does not hold."""
    words = line.split("#", 1)[0].split()
    if not words or words[0] in ("default", "0.0.0.0/0", "::/0", "0.0.0.0"):
        return None
    words += ["-"] * (4 - len(words))
    dest, gateway, netmask, dev = words[:4]
    if dev not in ("-", name):
        return None
    if netmask != "-" and "/" not in dest:
        dest = f"{dest}/{netmask}"
    try:
        net = ipaddress.ip_network(dest, strict=True)
    except ValueError:
        return None
    spelled = [str(net)] + (["via", gateway] if gateway != "-" else []) + words[4:]
    return parse_route(spelled, None)


def own_line(line: str) -> bool:
    """A line that says something: not blank, not a comment."""
    return bool(line.split("#", 1)[0].strip())


def route_line(name: str, route: Route) -> str:
    words = route_words(name, route)
    gateway = words[words.index("via") + 1] if "via" in words else "-"
    metric = ["metric", words[words.index("metric") + 1]] if "metric" in words else []
    return " ".join([words[0], gateway, "-", name, *metric])


def merge_lines(
    lines: list[str], routes: Iterable[Route], name: str, keep: bool = False
) -> list[str]:
    """The file's lines with the routes, each in the place of the line it replaces (by
    destination); the lines the model does not hold kept, and with KEEP (a file no
    definition read) every line."""
    return merge_in_place(lines, lambda ln: parse_line(ln, name),
                          lambda r: route_line(name, r), routes, keep)  # fmt: skip


def read_routes(text: str, name: str, path: PurePosixPath, problems: list[str]) -> list[Route]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        route = parse_line(line, name)
        if route is not None:
            out.append(route)
        elif own_line(line) and not _default(line):
            problems.append(f"{path}:{number}: {line.strip()!r} is not a route the model "
                            "holds; kept in the file")  # fmt: skip
    return out


def _default(line: str) -> bool:
    words = line.split()
    return bool(words) and words[0] in ("default", "0.0.0.0/0", "::/0", "0.0.0.0")


def global_route_problems(text: str, path: PurePosixPath, problems: list[str]) -> None:
    """The host-wide ``routes`` file: its routes other than default ones are not read."""
    for number, line in enumerate(text.splitlines(), 1):
        if own_line(line) and not _default(line):
            problems.append(f"{path}:{number}: {line.strip()!r}: routes of the host-wide "
                            "routes file are not read (ifroute-IF ones are); kept")  # fmt: skip


# -- DNS -------------------------------------------------------------------------------


def read_dns(existing: FileView) -> Dns | None:
    sh = ShellFile.parse(existing.read(CONFIG), str(CONFIG))
    dns = Dns(tuple((sh.get(SERVERS) or "").split()), tuple((sh.get(SEARCH) or "").split()))
    return dns or None


def dns_owner(tops: Sequence[Interface]) -> Interface | None:
    """The interface the host-wide DNS is read into: the one with the default route."""
    for family in ("ipv4", "ipv6"):
        for top in tops:
            proto = getattr(top, family)
            if proto is not None and proto.gateway:
                return top
    return tops[0] if tops else None


def render_dns(
    interfaces: Sequence[Interface], flat: list[FlatInterface], defined: Sequence[Interface],
    existing: FileView,
) -> tuple[bytes | None, str | None]:  # fmt: skip
    """The config file with the merged DNS of the rendered interfaces (and of the interface
    the DNS was read into, when it is not rendered), and a note saying so; (None, None)
    when nothing changes."""
    owner = dns_owner(defined)
    rendered = {f.name for f in flat}
    sources = [owner] if owner is not None and owner.name not in rendered else []
    sources += list(interfaces)
    servers: list[str] = []
    search: list[str] = []
    for top in sources:
        if top.dns:
            servers += [s for s in safe_servers(top.name, top.dns) if s not in servers]
            search += [d for d in safe_search(top.name, top.dns) if d not in search]
    data = existing.read(CONFIG)
    sh = ShellFile.parse(data, str(CONFIG))
    if (sh.get(SERVERS) or "").split() == servers and (sh.get(SEARCH) or "").split() == search:
        return None, None
    for key, values in ((SERVERS, servers), (SEARCH, search)):
        if sh.get(key) is not None or values:
            sh.set(key, " ".join(values), quote_double, f"{CONFIG}: {key}")
    said = " ".join([*servers, *(f"search {d}" for d in search)]) or "none"
    return sh.to_bytes(), (f"DNS ({said}) written host-wide to {CONFIG} ({SERVERS}, "
                           f"{SEARCH}): SUSE's netconfig has no per-interface DNS")  # fmt: skip
