"""Static routes and DNS of RHEL's ifcfg files (issue 10).

Routes live beside ``ifcfg-IF`` in ``route-IF`` (IPv4) and ``route6-IF`` (IPv6), in either
of the two forms initscripts' ifup-routes and NetworkManager's ifcfg-rh plugin read:

- the ip form, one ``ip route add`` argument list a line:
  ``10.20.0.0/16 via 192.0.2.254 metric 100 dev eth0`` (the only form of route6-IF);
- the key form of route-IF, a sourced shell file: ``ADDRESS0=10.20.0.0``,
  ``NETMASK0=255.255.0.0``, ``GATEWAY0=192.0.2.254``, ``METRIC0=100`` (ifup-routes reads
  the numbers from 0 up to the first gap and adds ``dev IF`` itself).

A file is written in the form it has; a new one in the ip form, with ``dev IF`` (a
link-local gateway needs it).  A route the model does not hold (``OPTIONSn``, a ``table``,
``default``) stays the file's own line and is reported when read.  DNS is ``DNS1=``,
``DNS2=`` … and ``DOMAIN="a b"`` in ``ifcfg-IF``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Container
from dataclasses import replace
from pathlib import PurePosixPath

from ifsmith.backends.bash import ShellFile, quote_bash
from ifsmith.backends.route_text import (
    family_of,
    merge_in_place,
    parse_route,
    route_words,
    safe_search,
    safe_servers,
)
from ifsmith.core.files import FileView
from ifsmith.core.model import Dns, Family, Interface, Protocol, Route

KINDS = {"route": Family.IPV4, "route6": Family.IPV6}
_KEY_FORM = re.compile(r"^\s*(export\s+)?ADDRESS\d+=", re.M)
_FIELDS = ("ADDRESS", "NETMASK", "GATEWAY", "METRIC", "OPTIONS")
_DNS_N = re.compile(r"DNS(\d+)")
_Put = Callable[[str, str | None], None]


def key_form(text: str | None) -> bool:
    return bool(text and _KEY_FORM.search(text))


# -- reading ---------------------------------------------------------------------------


def read_dns(sh: ShellFile, problems: list[str]) -> Dns | None:
    """``DNS1=``, ``DNS2=`` … in their numbers' order, and ``DOMAIN=``'s search list.  A
    server the model cannot hold (NetworkManager's ``192.0.2.2#name`` for DNS over TLS)
    is reported, and stays in the file while the servers do not change."""
    numbered = sorted((int(m.group(1)), k, v) for k, v in sh.items()
                      if k.startswith("DNS") and (m := _DNS_N.fullmatch(k)) and v)  # fmt: skip
    servers = []
    for _n, key, value in numbered:
        try:
            servers.append(str(ipaddress.ip_address(value)))
        except ValueError:
            problems.append(f"{sh.source}:{sh.line_of(key)}: {key}={value} is not an IP "
                            "address; not read")  # fmt: skip
    dns = Dns(tuple(servers), tuple((sh.get("DOMAIN") or "").split()))
    return dns or None


def with_routes_and_dns(
    iface: Interface, sh: ShellFile, existing: FileView, directory: PurePosixPath,
    problems: list[str], listed: Container[str] | None = None,
) -> Interface:  # fmt: skip
    """The interface with its route files' routes and its file's DNS.  ``listed``, the
    directory's file names when the caller has them, spares a read of each route file
    an interface does not have (most have none)."""
    protocols = list(iface.protocols)
    for kind, family in KINDS.items():
        fname = f"{kind}-{iface.name}"
        if listed is not None and fname not in listed:
            continue
        path = directory / fname
        data = existing.read(path)
        if data is None:
            continue
        routes = read_routes(data.decode("utf-8", errors="surrogateescape"), iface.name,
                             path, family, problems)  # fmt: skip
        if not routes:
            continue
        at = next((i for i, p in enumerate(protocols) if p.family == family), None)
        if at is None:
            protocols.append(Protocol(family, autoconf=family == Family.IPV6,
                                      routes=tuple(routes)))  # fmt: skip
        else:
            protocols[at] = replace(protocols[at], routes=tuple(routes))
    protocols.sort(key=lambda p: p.family != Family.IPV4)
    dns = read_dns(sh, problems)
    if dns is None and iface.dns is None and tuple(protocols) == iface.protocols:
        return iface  # (most have neither routes nor DNS: spare a copy)
    return replace(iface, protocols=tuple(protocols), dns=dns)


def read_routes(
    text: str, name: str, path: PurePosixPath, family: Family, problems: list[str]
) -> list[Route]:
    """The routes of one route file that the model holds; the others are reported."""
    if key_form(text):
        slots = _slots(ShellFile.parse(text, str(path)))
        out = []
        for n, slot in enumerate(slots):
            route = _slot_route(slot)
            if route is None:
                problems.append(f"{path}: ADDRESS{n}={slot.get('ADDRESS')} with "
                                f"{' '.join(sorted(slot))} is not a route the model holds; "
                                "kept in the file")  # fmt: skip
            else:
                out.append(route)
        return out
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        route = parse_route(words, name)
        if route is None or family_of(route) != family:
            problems.append(f"{path}:{lineno}: {line.strip()!r} is not a route the model "
                            "holds; kept in the file")  # fmt: skip
            continue
        out.append(route)
    return out


def _slots(sh: ShellFile) -> list[dict[str, str]]:
    """ADDRESS0…, as ifup-routes reads them: from 0 to the first number without one."""
    slots = []
    n = 0
    while sh.get(f"ADDRESS{n}"):
        slots.append({f: v for f in _FIELDS if (v := sh.get(f"{f}{n}")) is not None})
        n += 1
    return slots


def _slot_route(slot: dict[str, str]) -> Route | None:
    if "OPTIONS" in slot:
        return None
    words = [f"{slot['ADDRESS']}/{slot.get('NETMASK', '255.255.255.255')}"]
    if slot.get("GATEWAY"):
        words += ["via", slot["GATEWAY"]]
    if slot.get("METRIC"):
        words += ["metric", slot["METRIC"]]
    try:
        words[0] = str(ipaddress.IPv4Network(words[0], strict=True))
    except ValueError:
        return None
    return parse_route(words, None)


# -- writing ---------------------------------------------------------------------------


def put_dns(sh: ShellFile, name: str, dns: Dns | None, put: _Put) -> None:
    """``DNS1``… and ``DOMAIN``, each key written only where its value changes."""
    dns = dns or Dns()
    servers = safe_servers(name, dns)
    for n, server in enumerate(servers, 1):
        put(f"DNS{n}", server)
    for key in sh.keys():
        m = _DNS_N.fullmatch(key)
        if m and not 1 <= int(m.group(1)) <= len(servers):
            put(key, None)
    put("DOMAIN", " ".join(safe_search(name, dns)) or None)


def merge_routes(text: str | None, routes: tuple[Route, ...], name: str) -> str | None:
    """The route file with these routes, each in the place of the line (or numbered slot)
    it replaces (by destination), the lines the model does not hold kept; None when the
    file has nothing left to say."""
    if text is None and not routes:
        return None
    if key_form(text):
        assert text is not None
        return _merge_key_form(text, routes, name)
    lines = merge_in_place((text or "").splitlines(), lambda ln: parse_route(ln.split(), name),
                           lambda r: _ip_line(name, r), routes)  # fmt: skip
    if not any(ln.strip() and not ln.lstrip().startswith("#") for ln in lines):
        return None
    return "\n".join(lines) + "\n"


def _ip_line(name: str, route: Route) -> str:
    return " ".join([*route_words(name, route), "dev", name])


def _merge_key_form(text: str, routes: tuple[Route, ...], name: str) -> str | None:
    sh = ShellFile.parse(text, f"route-{name}")
    old = _slots(sh)
    slots = merge_in_place(old, _slot_route, lambda r: _slot(name, r), routes)
    for n in range(max(len(old), len(slots))):
        slot = slots[n] if n < len(slots) else {}
        for f in _FIELDS:
            sh.set(f"{f}{n}", slot.get(f), quote_bash, f"{name}: route {f}{n}")
    if not sh.keys():
        return None
    return sh.to_text()


def _slot(name: str, route: Route) -> dict[str, str]:
    words = route_words(name, route)
    net = ipaddress.IPv4Network(words[0])
    slot = {"ADDRESS": str(net.network_address), "NETMASK": str(net.netmask)}
    if route.gateway is not None:
        slot["GATEWAY"] = words[words.index("via") + 1]
    if route.metric is not None:
        slot["METRIC"] = str(int(route.metric))
    return slot
