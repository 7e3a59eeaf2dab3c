"""Static routes and DNS in NetworkManager keyfiles (issue 10).

A static route is ``routeN=DEST/PLEN[,GATEWAY[,METRIC]]`` in ``[ipv4]``/``[ipv6]`` (as
NetworkManager writes it: ``0.0.0.0``/``::`` for no gateway before a metric); options in
``routeN_options`` that make it another route (``table``, ``type``, ``from``, ``tos``)
leave it unmodelled — reported and kept as written — and other options (``onlink``,
``mtu``…) are reported and kept with it.  DNS is ``dns=`` (IPv4 servers in ``[ipv4]``,
IPv6 ones in ``[ipv6]``) and ``dns-search=``, read from both groups and written to the
groups that hold them (the first enabled one for a new profile).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from ifsmith.backends.keyfile_ini import KeyFile
from ifsmith.core.files import UnsafeValue
from ifsmith.core.model import Dns, Family, Interface, Route

ROUTE_KEY = re.compile(r"^routes?(\d*)$")
OPTIONS_KEY = re.compile(r"^(routes?\d*)_options$")
# Options that make a route something else than "to DESTINATION via GATEWAY".
_OTHER = {"table": ("0", "254"), "type": ("unicast",), "from": (), "tos": ("0",)}
GROUPS = ((Family.IPV4, "ipv4"), (Family.IPV6, "ipv6"))
DEFAULT = "default"  # parse_route's "why" for a default route: the model's gateway


def _options(text: str | None) -> dict[str, str]:
    out = {}
    for item in (text or "").split(","):
        key, _, value = item.strip().partition("=")
        if key:
            out[key] = value.strip()
    return out


def parse_route(text: str, options: str | None, family: Family) -> tuple[Route | None, str]:
    """One ``routeN`` value (with its options) as a route, or None and why it is not one."""
    for key, value in _options(options).items():
        if key in _OTHER and value not in _OTHER[key]:
            return None, f"option {key}={value} is not modelled"
    text = text.strip().rstrip(";")
    if ";" in text:  # legacy: dest;plen;gateway;metric
        parts = text.split(";")
        parts = [f"{parts[0]}/{parts[1]}" if len(parts) > 1 else parts[0], *parts[2:]]
    else:
        parts = text.split(",")
    dest = parts[0].strip()
    gw = parts[1].strip() if len(parts) > 1 else ""
    metric_text = parts[2].strip() if len(parts) > 2 else ""
    try:
        net = ipaddress.ip_network(dest, strict=False)
        gateway = str(ipaddress.ip_address(gw)) if gw else None
        metric = int(metric_text) if metric_text else None
    except ValueError:
        return None, "not understood"
    if (net.version == 4) != (family == Family.IPV4):
        return None, "is of the other family"
    if gateway in ("0.0.0.0", "::"):
        gateway = None
    if metric is not None and metric < 0:  # -1: NetworkManager's "default"
        metric = None
    if net.prefixlen == 0:
        if gateway is not None and metric is None and not options:
            return None, DEFAULT  # the default route, as netplan writes it: the gateway
        return None, "a default route with more than a gateway is not modelled"
    return Route(str(net.network_address), net.prefixlen, gateway, metric), ""


def _route_keys(kf: KeyFile, group: str) -> list[tuple[int, int, str]]:
    keyed = []
    for order, key in enumerate(kf.keys(group)):
        m = ROUTE_KEY.match(key)
        if m:
            keyed.append((int(m.group(1) or 0), order, key))
    return sorted(keyed)


def read_routes(
    kf: KeyFile, group: str, family: Family, where: str, problems: list[str]
) -> list[Route]:
    """The modelled routes of a group, in index order (as NetworkManager sorts them)."""
    out: list[Route] = []
    for _n, _o, key in _route_keys(kf, group):
        value = kf.get(group, key) or ""
        options = kf.get(group, f"{key}_options")
        route, why = parse_route(value, options, family)
        if why == DEFAULT:
            continue
        if route is None:
            problems.append(f"{where}: {group}.{key}={value} {why}; kept as written")
            continue
        if options:
            problems.append(f"{where}: {group}.{key}_options={options} not modelled;"
                            " read without, kept as written")  # fmt: skip
        if route not in out:
            out.append(route)
    return out


def default_gateway(kf: KeyFile, group: str, family: Family) -> str | None:
    """The gateway of the group's first default route (``route1=0.0.0.0/0,GW``)."""
    for _n, _o, key in _route_keys(kf, group):
        value = kf.get(group, key) or ""
        if parse_route(value, kf.get(group, f"{key}_options"), family)[1] == DEFAULT:
            return _gateway_of(value)
    return None


def _gateway_of(value: str) -> str:
    """The gateway of a default route's value (``parse_route`` said it has one)."""
    return str(ipaddress.ip_address(re.split(r"[,;]", value.strip())[1].strip()))


def route_text(route: Route, family: Family) -> str:
    """A route as NetworkManager writes it."""
    text = route.destination
    none = "0.0.0.0" if family == Family.IPV4 else "::"
    if route.gateway is not None or route.metric is not None:
        text += f",{route.gateway or none}"
    if route.metric is not None:
        text += f",{int(route.metric)}"
    return text


def apply_routes(kf: KeyFile, group: str, family: Family, wanted: list[Route],
                 gateway: str | None, warn: Callable[[str], None]) -> None:  # fmt: skip
    """Keep the group's routes the model has (as written), remove the others (and their
    options, named when there were any), add the new ones after the highest index.  A
    default route stays while it says the model's gateway."""
    wanted = list(wanted)
    top = 0
    for n, _o, key in _route_keys(kf, group):
        top = max(top, n)
        options = kf.get(group, f"{key}_options")
        value = kf.get(group, key) or ""
        route, why = parse_route(value, options, family)
        if why == DEFAULT:
            if gateway is None or _gateway_of(value) != gateway:
                kf.remove(group, key)
            continue
        if route is None:
            continue
        if route in wanted:
            wanted.remove(route)
            continue
        kf.remove(group, key)
        if options is not None:
            kf.remove(group, f"{key}_options")
            warn(f"route {route} with {group}.{key}_options={options} removed")
    for route in wanted:
        top += 1
        kf.set(group, f"route{top}", route_text(route, family))


def _list(text: str | None) -> list[str]:
    return [t.strip() for t in re.split(r"[;,]", text or "") if t.strip()]


def _server(token: str, family: Family) -> str | None:
    try:
        ip = ipaddress.ip_address(token)
    except ValueError:
        return None
    return str(ip) if (ip.version == 4) == (family == Family.IPV4) else None


def unmodelled(kf: KeyFile, group: str, family: Family, key: str) -> list[str]:
    """The ``dns``/``dns-search`` entries of a group that the model does not hold."""
    tokens = _list(kf.get(group, key))
    if key == "dns":
        return [t for t in tokens if _server(t, family) is None]
    return [t for t in tokens if t.startswith("~")]


def read_dns(kf: KeyFile, where: str, problems: list[str]) -> Dns | None:
    servers: list[str] = []
    search: list[str] = []
    for family, group in GROUPS:
        for token in _list(kf.get(group, "dns")):
            server = _server(token, family)
            if server is None:
                problems.append(f"{where}: {group}.dns entry {token} not modelled; kept")
            elif server not in servers:
                servers.append(server)
        for token in _list(kf.get(group, "dns-search")):
            if token.startswith("~"):
                problems.append(f"{where}: {group}.dns-search entry {token} not modelled; kept")
            elif token not in search:
                search.append(token)
    dns = Dns(tuple(servers), tuple(search))
    return dns if dns else None


_NO_DNS = {(g, k): None for _f, g in GROUPS for k in ("dns", "dns-search")}


def dns_keys(
    dns: Dns | None,
    enabled: dict[str, bool],
    search_groups: frozenset[str],
    check: Callable[[str], str],
    warn: Callable[[str], None],
) -> dict[tuple[str, str], str | None]:
    """``dns``/``dns-search`` of both groups.  IPv4 servers go to [ipv4], IPv6 ones to
    [ipv6]; a group that is disabled cannot hold them (a warning names each).  Search
    domains go to the groups that hold them now, else to the first enabled group."""
    if not dns:
        return dict(_NO_DNS)
    keys: dict[tuple[str, str], str | None] = {}
    v4 = [s for s in dns.servers if ":" not in s]
    if v4 and list(dns.servers[: len(v4)]) != v4:
        warn("NetworkManager keeps IPv4 and IPv6 name servers apart: the IPv4 ones"
             f" ({' '.join(v4)}) are asked first")  # fmt: skip
    for family, group in GROUPS:
        mine = [check(s) for s in dns.servers if (":" in s) == (family == Family.IPV6)]
        if mine and not enabled[group]:
            for server in mine:
                warn(f"DNS server {server} not written: NetworkManager keeps it in [{group}],"
                     f" which is disabled")  # fmt: skip
            mine = []
        keys[(group, "dns")] = "".join(f"{s};" for s in mine) or None
    places = [g for _f, g in GROUPS if g in search_groups and enabled[g]]
    if not places:
        places = [g for _f, g in GROUPS if enabled[g]][:1]
    if dns.search and not places:
        warn(f"search domains {' '.join(dns.search)} not written: NetworkManager keeps them in"
             " [ipv4] or [ipv6], which are disabled")  # fmt: skip
    for _f, group in GROUPS:
        text = "".join(f"{check(d)};" for d in dns.search) if group in places else ""
        keys[(group, "dns-search")] = text or None
    return keys


def dns_value(owner: str) -> Callable[[str], str]:
    """A DNS server or search domain fit for a keyfile list (no separators, no spaces)."""

    def check(value: str) -> str:
        if not value or any(c in value for c in ";,\\") or any(c.isspace() for c in value):
            raise UnsafeValue(f"{owner}: DNS value {value!r} cannot be written in a keyfile list")
        return value

    return check


def modelled(kf: KeyFile, group: str, key: str) -> bool:
    """A route or DNS key whose whole value the model holds."""
    family = Family.IPV4 if group == "ipv4" else Family.IPV6
    m = OPTIONS_KEY.match(key)
    route_key = m.group(1) if m else key
    if ROUTE_KEY.match(route_key):
        value = kf.get(group, route_key) or ""
        return parse_route(value, kf.get(group, f"{route_key}_options"), family)[0] is not None
    if key in ("dns", "dns-search"):
        return not unmodelled(kf, group, family, key)
    return False


def ip_keys_present(kf: KeyFile, prefixes: tuple[str, ...]) -> bool:
    """Does [ipv4] or [ipv6] hold a key starting so (one pass: 4,094 profiles render)."""
    return any(
        e.key is not None and e.key.startswith(prefixes)
        for g in kf.groups
        if g.name in ("ipv4", "ipv6")
        for e in g.entries
    )


def unmodelled_dns(kf: KeyFile) -> dict[tuple[str, str], list[str]]:
    if not ip_keys_present(kf, ("dns",)):
        return {}
    return {
        (group, key): unmodelled(kf, group, family, key)
        for family, group in GROUPS
        for key in ("dns", "dns-search")
    }


def merge_routes_and_dns(
    kf: KeyFile,
    iface: Interface,
    kept_dns: dict[tuple[str, str], list[str]],
    warn: Callable[[str], None],
) -> None:
    """The model's static routes merged into the groups; DNS entries ifsmith does not model
    put back where an edit of the list dropped them."""
    if not any(p.routes for p in iface.protocols) and not ip_keys_present(kf, ("route",)):
        return restore_dns(kf, kept_dns)
    for family, group in GROUPS:
        proto = iface.protocol(family)
        method = kf.get(group, "method") or "auto"
        if method in ("disabled", "ignore"):
            continue
        routes = list(proto.routes) if proto else []
        apply_routes(kf, group, family, routes, proto.gateway if proto else None, warn)
    restore_dns(kf, kept_dns)


def restore_dns(kf: KeyFile, kept_dns: dict[tuple[str, str], list[str]]) -> None:
    for (group, key), tokens in kept_dns.items():
        now = kf.get(group, key)
        missing = [t for t in tokens if t not in _list(now)]
        if missing and (kf.get(group, "method") or "auto") not in ("disabled", "ignore"):
            kf.set(group, key, (now or "") + "".join(f"{t};" for t in missing))
