"""Static routes and DNS in netplan's YAML (issue 10).

A static route is an entry of ``routes:`` — ``to``, ``via`` (none for an on-link route:
netplan then gives it scope ``link``) and ``metric``; an entry ``to: default`` with only a
``via`` is the default route, libvirt's ``<route gateway>``, handled by ``netplan`` itself.
A route in another table, of another type or from a source address is not modelled: it is
reported and kept as written.  DNS is ``nameservers: {addresses: […], search: […]}``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from ifsmith.core.model import Dns, Route

DEFAULTS = ("default", "0.0.0.0/0", "::/0")
# Keys of a route entry that leave it "to DESTINATION via GATEWAY" (attributes of it).
_ATTRIBUTES = {"to", "via", "metric", "on-link", "scope", "mtu", "congestion-window",
               "advertised-receive-window", "table", "type"}  # fmt: skip
# What a route entry written by ifsmith holds, and keys saying the default.
ROUTE_KEYS = frozenset({"to", "via", "metric", "scope", "table", "type"})


def is_default_gateway(entry: Any) -> bool:
    """A ``to: default`` entry with only ``via``: the model's gateway."""
    return (
        isinstance(entry, dict)
        and str(entry.get("to", "")) in DEFAULTS
        and set(entry) == {"to", "via"}
    )


def entry_route(entry: Any) -> tuple[Route | None, str | None]:
    """A ``routes:`` entry as the model's static route: ``(route, None)``; ``(None, why)``
    for one that is not modelled; ``(None, None)`` for the default gateway."""
    if is_default_gateway(entry):
        return None, None
    if not isinstance(entry, dict):
        return None, "is not a mapping"
    to = str(entry.get("to", ""))
    other = sorted(set(entry) - _ATTRIBUTES)
    if other:
        return None, f"{other[0]} is not modelled"
    if to in DEFAULTS:
        return None, "a default route with more than via is not modelled"
    scope = "link" if "via" not in entry else "global"
    if str(entry.get("scope", scope)) != scope:
        return (
            None,
            f"scope {entry['scope']} {'with' if 'via' in entry else 'without'} via is not modelled",
        )
    if str(entry.get("table", "254")) not in ("254", "main"):
        return None, f"table {entry['table']} is not modelled"
    if str(entry.get("type", "unicast")) != "unicast":
        return None, f"type {entry['type']} is not modelled"
    try:
        net = ipaddress.ip_network(to, strict=False)
        via = str(ipaddress.ip_address(str(entry["via"]))) if "via" in entry else None
        metric = int(str(entry["metric"])) if "metric" in entry else None
    except ValueError:
        return None, "not understood"
    if via is not None and ipaddress.ip_address(via).version != net.version:
        return None, f"a gateway of the other family ({via}) is not modelled"
    return Route(str(net.network_address), net.prefixlen, via, metric), None


def attributes(entry: dict[str, Any]) -> list[str]:
    """The keys of a modelled route entry that the model does not hold (on-link, mtu…)."""
    return sorted(set(entry) - ROUTE_KEYS)


def read_dns(ident: str, value: Any, problems: list[str]) -> Dns | None:
    """``nameservers:`` as the model's DNS; ValueError naming what is wrong."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{ident}: nameservers must be a mapping")
    for key in sorted(set(value) - {"addresses", "search"}):
        problems.append(f"{ident}: nameservers.{key} is not modelled; ignored")
    servers: list[str] = []
    search: list[str] = []
    for key, into in (("addresses", servers), ("search", search)):
        items = value.get(key) or []
        if not isinstance(items, list):
            raise ValueError(f"{ident}: nameservers.{key} must be a list")
        for item in items:
            text = str(item)
            if key == "addresses":
                try:
                    text = str(ipaddress.ip_address(text))
                except ValueError:
                    raise ValueError(
                        f"{ident}: nameservers.addresses: '{item}' is not an IP address"
                    ) from None
            if text not in into:
                into.append(text)
    dns = Dns(tuple(servers), tuple(search))
    return dns if dns else None


def static_routes(
    routes: list[Any], wanted: list[Route], warn: Callable[[str], None] | None
) -> list[Any]:
    """The entries that stay: unmodelled ones, and modelled ones the model has (as the
    admin wrote them; taken off ``wanted``).  One that goes with settings ifsmith does not
    model is named (``warn`` None: a port's, named by ``losses``)."""
    kept = []
    for entry in routes:
        route, _why = entry_route(entry)
        if route is None:
            kept.append(entry)
        elif route in wanted:
            wanted.remove(route)
            kept.append(entry)
        elif warn is not None and set(entry) - ROUTE_KEYS:
            warn(f"route {route} with {sorted(set(entry) - ROUTE_KEYS)} removed")
    return kept
