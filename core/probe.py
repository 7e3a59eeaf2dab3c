"""Connectivity probes: is the admin still reachable after a change?

Targets are discovered (default gateways, the ssh clients of the invoking session and of
every established inbound ssh connection, DNS servers) or given (``--probe HOST[:PORT]``).
A target with a port is judged by a TCP connect (a refusal counts as reachable: a RST came
back); one without by ICMP echo, and where that gets no answer, by next-hop neighbour
resolution: an active ARP request (IPv4) or Neighbour Solicitation (IPv6) on the link whose
subnet holds it — never the neighbour table, whose stale entries would hide a cut-off.
A target that does not answer at the baseline is not judged.

Namespaces: Python 3.11 has no ``os.setns``, so ``core.live.in_netns`` calls setns(2)
through ctypes on the calling thread only, opens the socket, and switches back; a socket
stays in the namespace it was created in, so every send and receive afterwards is the
namespace's.  No fork, no thread, no pyroute2 needed.
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import struct
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from ifsmith.core.host import Host
from ifsmith.core.live import in_netns
from ifsmith.core.model import LiveHost

_R = TypeVar("_R")


@dataclass(frozen=True)
class Target:
    address: str
    port: int | None = None
    why: str = "given"  # gateway, ssh client, dns, given
    # The method that reached it before the change (tcp, icmp, neighbour); judged alike after.
    method: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = (
            f"[{self.address}]:{self.port}"
            if ":" in self.address and self.port
            else (f"{self.address}:{self.port}" if self.port else self.address)
        )
        return f"{where} ({self.why})"

    def to_json(self) -> dict[str, object]:
        return {"address": self.address, "port": self.port, "why": self.why}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Target:
        port = data.get("port")
        return cls(str(data["address"]), int(port) if isinstance(port, int) else None,
                   str(data.get("why", "given")))  # fmt: skip


def parse_target(text: str) -> Target:
    """``HOST`` or ``HOST:PORT`` or ``[V6]:PORT``; raises ValueError with a clear message."""
    address, port = text, None
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else None
    elif text.count(":") == 1:
        address, port_text = text.split(":")
        port = int(port_text)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"probe target {text!r} is not an IP address[:port]") from None
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"probe target {text!r}: port out of range")
    return Target(address, port, "given")


def discover(host: Host, live: LiveHost, environ: dict[str, str] | None = None) -> list[Target]:
    """The targets a change must not cut off, as found on this host now."""
    environ = dict(os.environ) if environ is None else environ
    found: list[Target] = []
    indexes = {lnk.name: lnk.index for lnk in live.links}
    for route in live.routes:
        if route.dst == "default" and route.gateway:
            gateway = route.gateway
            if gateway.lower().startswith("fe80:") and route.ifname in indexes:
                # A link-local next hop needs its interface; a numeric scope, because
                # names would be looked up in this process's namespace, not the host's.
                gateway = f"{gateway}%{indexes[route.ifname]}"
            found.append(Target(gateway, None, "gateway"))
    ssh = environ.get("SSH_CONNECTION", "").split()
    if ssh:
        found.append(Target(ssh[0], None, "ssh client"))
    for client in ssh_clients(host):
        found.append(Target(client, None, "ssh client"))
    for server in dns_servers(host):
        found.append(Target(server, None, "dns"))
    return unique(t for t in found if _probeable(t.address))


def unique(targets: Iterable[Target]) -> list[Target]:
    seen: set[tuple[str, int | None]] = set()
    out = []
    for t in targets:
        key = (t.address, t.port)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def _probeable(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_unspecified or ip.is_multicast)


def dns_servers(host: Host) -> list[str]:
    try:
        text = host.path("/etc/resolv.conf").read_text(errors="replace")
    except OSError:
        return []
    servers = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            servers.append(parts[1])
    return servers


def ssh_ports(host: Host) -> set[int]:
    ports = set()
    try:
        for line in host.path("/etc/ssh/sshd_config").read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].lower() == "port" and parts[1].isdigit():
                ports.add(int(parts[1]))
    except OSError:
        pass
    return ports or {22}


def ssh_clients(host: Host) -> list[str]:
    """Remote addresses of established TCP connections to sshd's ports in the namespace."""
    ports = ssh_ports(host)
    clients = []
    with in_netns(host.netns):
        tables = []
        for name in ("tcp", "tcp6"):
            try:
                tables.append(Path(f"/proc/thread-self/net/{name}").read_text())
            except OSError:
                continue
    for table in tables:
        for line in table.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 4 or fields[3] != "01":  # 01 = ESTABLISHED
                continue
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port in ports:
                clients.append(_proc_address(fields[2].rsplit(":", 1)[0]))
    return clients


def _proc_address(hex_text: str) -> str:
    raw = bytes.fromhex(hex_text)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc/net/tcp6 prints the address as four host-order 32-bit words.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    text = socket.inet_ntop(socket.AF_INET6, words)
    mapped = ipaddress.IPv6Address(text).ipv4_mapped
    return str(mapped) if mapped else text


def _socket(host: Host, family: int, kind: int, proto: int) -> socket.socket:
    with in_netns(host.netns):
        return socket.socket(family, kind, proto)


def reachable(host: Host, target: Target, timeout: float = 0.5) -> bool:
    """One attempt, by the target's baseline method when it has one."""
    return (
        baseline(host, target, timeout) is not None
        if target.method is None
        else (_attempt(host, target, target.method, timeout))
    )


def baseline(host: Host, target: Target, timeout: float = 0.5) -> Target | None:
    """The target with the first method that reaches it now: TCP connect for a port, else
    ICMP echo, else (an on-link next hop that drops pings) a fresh ARP or NDP request."""
    methods = ["tcp"] if target.port is not None else ["icmp", "neighbour"]
    for method in methods:
        if _attempt(host, target, method, timeout):
            return replace(target, method=method)
    return None


def _attempt(host: Host, target: Target, method: str, timeout: float) -> bool:
    family = socket.AF_INET6 if ":" in target.address else socket.AF_INET
    if method == "tcp":
        return _tcp(host, family, target, timeout)
    if method == "icmp":
        return _icmp(host, family, target.address, timeout)
    if family == socket.AF_INET:
        return arp_probe(host, target.address, timeout)
    return ndp_probe(host, target.address, timeout)


def arp_probe(host: Host, address: str, timeout: float = 0.5) -> bool:
    """Ask "who has ADDRESS" on the link whose subnet holds it; True on a reply.

    An active request, not the neighbour table: a stale entry would claim a host that the
    change has cut off is still there.
    """
    from ifsmith.core.live import snapshot

    target = ipaddress.IPv4Address(address)
    for link in snapshot(host).links:
        if not link.mac or not link.admin_up:
            continue
        for a in link.addresses:
            if a.family.value != "ipv4":
                continue
            net = ipaddress.IPv4Interface(f"{a.address}/{a.prefix}").network
            if target in net and a.address != address:
                return _arp(host, link.name, link.mac, a.address, address, timeout)
    return False


def _arp(host: Host, ifname: str, mac: str, source: str, address: str, timeout: float) -> bool:
    eth_p_arp = 0x0806
    try:
        with in_netns(host.netns):
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(eth_p_arp))
            sock.bind((ifname, eth_p_arp))
    except OSError:
        return False
    own = bytes.fromhex(mac.replace(":", ""))
    frame = (
        b"\xff" * 6 + own + struct.pack("!H", eth_p_arp)
        + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
        + own + socket.inet_aton(source) + b"\0" * 6 + socket.inet_aton(address)
    )  # fmt: skip
    wanted = socket.inet_aton(address)
    return _exchange(
        sock,
        lambda: sock.send(frame),
        timeout,
        # An ARP reply (opcode 2) whose sender is the address asked for.
        lambda data, _sender: (
            len(data) >= 42 and struct.unpack_from("!H", data, 20)[0] == 2
            and data[28:32] == wanted
        ),
    )  # fmt: skip


def ndp_probe(host: Host, address: str, timeout: float = 0.5) -> bool:
    """Send a Neighbour Solicitation for ADDRESS (``fe80::1%IFINDEX`` or an on-link global)
    on its link; True when a Neighbour Advertisement for it comes back."""
    from ifsmith.core.live import snapshot

    text, _, scope = address.partition("%")
    target = ipaddress.IPv6Address(text)
    for link in snapshot(host).links:
        if not link.mac or not link.admin_up:
            continue
        if scope:
            if scope in (str(link.index), link.name):
                return _ndp(host, link.index, link.mac, target, timeout)
            continue
        for a in link.addresses:
            if a.family.value != "ipv6" or a.address == text:
                continue
            if target in ipaddress.IPv6Interface(f"{a.address}/{a.prefix}").network:
                return _ndp(host, link.index, link.mac, target, timeout)
    return False


def _ndp(host: Host, index: int, mac: str, target: ipaddress.IPv6Address,
         timeout: float) -> bool:  # fmt: skip
    nd_solicit, nd_advert, opt_source_lladdr = 135, 136, 1
    try:
        with in_netns(host.netns):
            sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    except OSError:
        return False
    own = bytes.fromhex(mac.replace(":", ""))
    # The kernel fills in the ICMPv6 checksum; receivers drop NDP whose hop limit is not 255.
    solicit = (
        struct.pack("!BBHI", nd_solicit, 0, 0, 0) + target.packed
        + struct.pack("!BB", opt_source_lladdr, 1) + own
    )  # fmt: skip
    group = ipaddress.IPv6Address(b"\xff\x02" + b"\0" * 9 + b"\x01\xff" + target.packed[13:])

    def send() -> None:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        sock.sendto(solicit, (str(group), 0, 0, index))

    return _exchange(
        sock,
        send,
        timeout,
        lambda data, _sender: (
            len(data) >= 24 and data[0] == nd_advert and data[8:24] == target.packed
        ),
    )


def _exchange(
    sock: socket.socket,
    send: Callable[[], object],
    timeout: float,
    answers: Callable[[bytes, Any], bool],
) -> bool:
    """Send once, then read until a packet ``answers`` or the timeout; closes the socket."""
    deadline = time.monotonic() + timeout
    try:
        send()
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                return False
            data, sender = sock.recvfrom(2048)
            if answers(data, sender):
                return True
        return False
    except OSError:
        return False
    finally:
        sock.close()


def _tcp(host: Host, family: int, target: Target, timeout: float) -> bool:
    sock = _socket(host, family, socket.SOCK_STREAM, 0)
    sock.settimeout(timeout)
    try:
        sock.connect((target.address, target.port))
        return True
    except ConnectionRefusedError:
        return True  # a RST came back: the host is reachable
    except OSError:
        return False
    finally:
        sock.close()


_ECHO: dict[int, tuple[int, int, int]] = {
    int(socket.AF_INET): (8, 0, socket.IPPROTO_ICMP),
    int(socket.AF_INET6): (128, 129, 58),
}


def _icmp(host: Host, family: int, address: str, timeout: float) -> bool:
    request, reply, proto = _ECHO[family]
    try:
        sock = _socket(host, family, socket.SOCK_RAW, proto)
    except PermissionError:
        return False
    ident = (os.getpid() + int(time.monotonic() * 1000)) & 0xFFFF
    payload = b"ifsmith-probe"
    header = struct.pack("!BBHHH", request, 0, 0, ident, 1)
    packet = header + payload
    if family == socket.AF_INET:
        packet = struct.pack("!BBHHH", request, 0, _checksum(packet), ident, 1) + payload

    def echo_reply(data: bytes, sender: Any) -> bool:
        icmp = data[(data[0] & 0x0F) * 4 :] if family == socket.AF_INET else data
        if len(icmp) < 8:
            return False
        kind, _code, _sum, got_id, _seq = struct.unpack_from("!BBHHH", icmp)
        return kind == reply and got_id == ident and same_host(sender[0], address)

    return _exchange(sock, lambda: sock.sendto(packet, (address, 0)), timeout, echo_reply)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def baseline_all(host: Host, targets: Sequence[Target], timeout: float) -> list[Target | None]:
    """``baseline`` of every target at once: dead targets cost one timeout, not one each."""
    return _each(lambda t: baseline(host, t, timeout), targets)


def reachable_all(host: Host, targets: Sequence[Target], timeout: float) -> list[bool]:
    """``reachable`` of every target at once."""
    return _each(lambda t: reachable(host, t, timeout), targets)


def _each(attempt: Callable[[Target], _R], targets: Sequence[Target]) -> list[_R]:
    # Threads, because setns() (in_netns) is per thread and each attempt mostly waits.
    if len(targets) <= 1:
        return [attempt(t) for t in targets]
    with ThreadPoolExecutor(max_workers=min(32, len(targets))) as pool:
        return list(pool.map(attempt, targets))


def same_host(a: str, b: str) -> bool:
    """Two addresses equal, ignoring an IPv6 scope suffix (fe80::1%2)."""
    return a.split("%")[0] == b.split("%")[0]
