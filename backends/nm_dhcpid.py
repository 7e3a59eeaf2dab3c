"""NetworkManager's DHCPv4 client identity (core/dhcpid.py).

NetworkManager's internal client sends ``01`` + the MAC by default, which a bridge with
the NIC's MAC sends too.  NetworkManager.conf can make the default another kind for
every profile (``ipv4.dhcp-client-id=duid``, ``stable``): then the identifier is the
interface's own (an IAID of its name, a DUID of its profile), and a bridge asks as
another client.  iface-bridge then writes the exact identifier the NIC's client used,
which NetworkManager reports among the lease's options (``dhcp_client_identifier``),
into the bridge's profile: the same identifier now and at every boot."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace

from ifsmith.core.dhcpid import client_id_problem
from ifsmith.core.host import Host
from ifsmith.core.model import Family, Interface, LiveHost

_OPTION = re.compile(r"\bdhcp_client_identifier\s*=\s*([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)")


def with_running_identity(host: Host, iface: Interface, live: LiveHost) -> Interface:
    """IFACE with the client identifier its running client uses, where its profile names
    no identity and that identifier is not NetworkManager's default for the NIC's MAC."""
    link = live.link(iface.name)
    if link is None or not host.is_real_root:  # a --root tree: not this daemon's profiles
        return iface
    protos = []
    for p in iface.protocols:
        if p.family is Family.IPV4 and p.dhcp and p.client_id is None and p.iaid is None:
            cid = running_client_id(host, iface.name)
            default = "01:" + (link.mac or "").lower()
            if cid is not None and cid != default:
                p = replace(p, client_id=cid)
        protos.append(p)
    return replace(iface, protocols=tuple(protos))


def running_client_id(host: Host, name: str) -> str | None:
    """The client identifier of NAME's current DHCPv4 lease, as NetworkManager reports it."""
    tool = shutil.which("nmcli")
    if tool is None:
        return None
    prefix = ["ip", "netns", "exec", host.netns] if host.netns else []
    try:
        done = subprocess.run(
            [*prefix, tool, "-g", "DHCP4.OPTION", "device", "show", name],
            capture_output=True, text=True, timeout=15,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    # -g (terse) output escapes the colons inside values: "ff\\:2b\\:...".
    text = done.stdout.replace("\\:", ":")
    found = _OPTION.search(text) if done.returncode == 0 else None
    if found is None:
        return None
    cid = found.group(1).lower()
    return cid if client_id_problem(cid) is None else None
