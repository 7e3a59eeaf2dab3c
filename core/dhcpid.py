"""The identity a DHCPv4 client asks with: its client identifier (option 61) and the
IAID a DUID-based identifier is made of (RFC 4361: ``ff``, IAID, DUID).

A server that keys leases on the client identifier (dnsmasq, ISC dhcpd) gives an
interface that asks as another client another address, whatever its MAC: a bridge that
takes a DHCP NIC's lease must ask as the NIC did.  The model holds the identity as the
stack's files name it (``ifsmith:client-id`` / ``ifsmith:iaid`` on ``<dhcp>``)."""

from __future__ import annotations

import re

# NetworkManager's ipv4.dhcp-client-id kinds, and networkd's ClientIdentifier= (mac, duid,
# duid-only); anything else is the identifier's bytes.
CLIENT_ID_KINDS = ("mac", "perm-mac", "duid", "duid-only", "ipv6-duid", "stable", "none")
IAID_KINDS = ("mac", "perm-mac", "ifname", "stable")
_HEX_BYTES = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2})+$")


def client_id_problem(value: str) -> str | None:
    """Why VALUE is not a client identifier, or None."""
    v = value.lower()
    if v in CLIENT_ID_KINDS or _HEX_BYTES.match(v):
        return None
    return (
        f"{value!r} is not a client identifier ({', '.join(CLIENT_ID_KINDS)}, or its bytes "
        "in hex, colon-separated)"
    )


def iaid_problem(value: str) -> str | None:
    """Why VALUE is not an IAID, or None."""
    if value.lower() in IAID_KINDS:
        return None
    if iaid_number(value) is None:
        return f"{value!r} is not an IAID (0 to 4294967295, or {', '.join(IAID_KINDS)})"
    return None


def iaid_number(value: str) -> int | None:
    """The IAID as a number (decimal, or hex with 0x), or None for a kind or garbage."""
    try:
        n = int(value, 16) if value.lower().startswith("0x") else int(value, 10)
    except ValueError:
        return None
    return n if 0 <= n < 2**32 else None


def client_id_bytes(value: str) -> bytes | None:
    """The identifier's bytes, or None for a kind."""
    return bytes.fromhex(value.replace(":", "")) if _HEX_BYTES.match(value.lower()) else None


def hex_client_id(data: bytes) -> str:
    return ":".join(f"{b:02x}" for b in data)


def duid_iaid(data: bytes) -> int | None:
    """The IAID of an RFC 4361 identifier (type 255: IAID, then a DUID), or None."""
    if len(data) >= 7 and data[0] == 0xFF:
        return int.from_bytes(data[1:5], "big")
    return None
