"""systemd-networkd's DHCPv4 client identity (core/dhcpid.py): ``[DHCPv4]
ClientIdentifier=`` (mac, duid, duid-only) and ``IAID=``.

By default networkd asks with ``ff``, an IAID and the host's DUID; the IAID is a hash
of the link's udev name (ID_NET_NAME_PATH, ...) or, without one, of its MAC.  A bridge
has no such name: taking a NIC's lease it would ask as another client.  What the NIC's
client used is in its lease file (``/run/systemd/netif/leases/IFINDEX``, ``CLIENTID=``),
so iface-bridge carries that IAID into the bridge's files: the same identifier now and
at every boot (the DUID is the host's: the same for both)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ifsmith.backends.systemd_ini import UnitView
from ifsmith.core.dhcpid import (
    client_id_bytes,
    duid_iaid,
    iaid_number,
    iaid_problem,
)
from ifsmith.core.host import Host
from ifsmith.core.model import Family, Interface, LiveHost

KINDS = ("mac", "duid", "duid-only")  # what ClientIdentifier= takes
KEYS = (("DHCPv4", "ClientIdentifier"), ("DHCPv4", "IAID"), ("DHCP", "ClientIdentifier"))
LEASES = "/run/systemd/netif/leases"


def read_identity(nw: UnitView, where: str, problems: list[str]) -> tuple[str | None, str | None]:
    """(client_id, iaid) of a .network (``[DHCP]`` is the old name of ``[DHCPv4]``)."""
    cid = nw.get("DHCPv4", "ClientIdentifier") or nw.get("DHCP", "ClientIdentifier")
    iaid = nw.get("DHCPv4", "IAID")
    if cid is not None and (cid.strip().lower() not in KINDS):
        problems.append(f"{where}: ClientIdentifier={cid} not understood; ignored")
        cid = None
    if iaid is not None and (iaid_problem(iaid.strip()) or iaid_number(iaid.strip()) is None):
        problems.append(f"{where}: IAID={iaid} not understood; ignored")
        iaid = None
    return (
        cid.strip().lower() if cid is not None else None,
        str(iaid_number(iaid.strip())) if iaid is not None else None,
    )


def identity_settings(
    cid: str | None, iaid: str | None, mac: str | None, warn: Callable[[str], None]
) -> dict[tuple[str, str], list[str]]:
    """The ``[DHCPv4]`` lines for a client identity; what networkd cannot say, a warning."""
    out: dict[tuple[str, str], list[str]] = {}
    number = iaid_number(iaid) if iaid is not None else None
    if iaid is not None and number is None:
        warn(f"networkd takes a number for IAID=, not {iaid!r}; not written")
    if cid is not None:
        data = client_id_bytes(cid)
        if cid in KINDS:
            out[("DHCPv4", "ClientIdentifier")] = [cid]
        elif data is not None and duid_iaid(data) is not None:
            # ff, IAID, DUID: networkd's own kind; the DUID is the host's.
            carried = duid_iaid(data)
            if number is not None and number != carried:
                warn(f"client identifier {cid} and IAID {iaid} disagree; IAID={iaid} written")
            else:
                number = carried
            out[("DHCPv4", "ClientIdentifier")] = ["duid"]
        elif (
            data is not None
            and len(data) == 7
            and data[0] == 1
            and mac is not None
            and data[1:].hex(":") == mac.lower()
        ):
            out[("DHCPv4", "ClientIdentifier")] = ["mac"]
        else:
            warn(
                f"networkd cannot send the client identifier {cid} (only mac, duid, "
                "duid-only); its default is used"
            )
    if number is not None:
        out[("DHCPv4", "IAID")] = [str(number)]
    return out


def with_running_identity(host: Host, iface: Interface, live: LiveHost) -> Interface:
    """IFACE with the IAID its running DHCPv4 client asks with, where its definition names
    no identity (networkd's default: ``duid``)."""
    link = live.link(iface.name)
    if link is None:
        return iface
    protos = []
    for p in iface.protocols:
        if p.family is Family.IPV4 and p.dhcp and p.client_id in (None, "duid") and not p.iaid:
            iaid = lease_iaid(host, link.index)
            if iaid is not None:
                p = replace(p, iaid=str(iaid))
        protos.append(p)
    return replace(iface, protocols=tuple(protos))


def lease_iaid(host: Host, index: int) -> int | None:
    """The IAID in the client identifier of networkd's lease for link INDEX, or None."""
    try:
        text = host.path(f"{LEASES}/{index}").read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("CLIENTID="):
            try:
                return duid_iaid(bytes.fromhex(line.partition("=")[2].strip()))
            except ValueError:
                return None
    return None
