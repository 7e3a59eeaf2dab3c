"""ifupdown in user-mode Linux: the MTU of DHCP interfaces, applied by the real ifup.

ifupdown 0.8 ignores ``mtu`` in an ``inet dhcp`` stanza (inet.defn: the dhcp method takes
no mtu).  The backend writes a ``pre-up`` (a NIC) or ``up`` (a bond: made later by the
if-pre-up.d hook) command instead; a bridge keeps ``mtu``, which bridge-utils' hook applies
to its ports in any method (and the kernel gives the bridge its ports' MTU).  Here the real
``ifup -a`` runs it, dhclient gets a lease from dnsmasq in a peer namespace (TESTHOST.md §4),
and ``ip -d -j link`` — not ifsmith's reader — says what the kernel has.  A hand-written
``mtu`` line in a NIC's dhcp stanza is the control: the kernel keeps 1500 there, and the
reader says it ignores that line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import PurePosixPath

import pytest

from ifsmith.backends import ifupdown
from ifsmith.core.files import HostFiles, MemoryFiles, write_rendering
from ifsmith.core.host import Host
from ifsmith.core.model import (
    Bond,
    BondMode,
    Bridge,
    Family,
    IfType,
    Interface,
    MiiMon,
    Protocol,
    StartMode,
)
from tests.umlhost import UML, dhcp_peer

DHCP = (Protocol(Family.IPV4, dhcp=True),)
WANTED = [
    Interface(IfType.ETHERNET, "d0", start_mode=StartMode.ONBOOT, mtu=9000, protocols=DHCP),
    Interface(
        IfType.BOND,
        "bond0",
        start_mode=StartMode.ONBOOT,
        mtu=9000,
        protocols=DHCP,
        bond=Bond(
            mode=BondMode.ACTIVE_BACKUP,
            miimon=MiiMon(100),
            slaves=(Interface(IfType.ETHERNET, "b0"),),
        ),
    ),
    Interface(
        IfType.BRIDGE,
        "br1",
        start_mode=StartMode.ONBOOT,
        mtu=9000,
        protocols=DHCP,
        bridge=Bridge(stp=False, delay=0, ports=(Interface(IfType.ETHERNET, "r0"),)),
    ),
]
# The control: what an admin writes by hand, and ifupdown 0.8 ignores.
CONTROL = b"auto c0\niface c0 inet dhcp\n    mtu 9000\n"

# The DHCP side: the NICs' veth peers in a bridge of a peer namespace, dnsmasq serving it.
SERVER = """
set -e
for nic in d0 b0 r0 c0; do ip -n "$1" link add "$nic" type veth peer name "p$nic" netns "$2"; done
ip -n "$2" link add sbr type bridge
for nic in d0 b0 r0 c0; do ip -n "$2" link set "p$nic" master sbr up; done
ip -n "$2" link set sbr up
ip -n "$2" addr add 10.55.0.1/24 dev sbr
ip netns exec "$2" dnsmasq --interface=sbr --bind-interfaces --port=0 \
    --dhcp-range=10.55.0.100,10.55.0.150,1h --dhcp-option=option:router,10.55.0.1 \
    --dhcp-leasefile="/tmp/$2.leases" --pid-file="/tmp/$2.pid"
"""


@pytest.fixture
def dhcp_server(uml: UML, uml_netns: str) -> Iterator[str]:
    """A peer namespace whose dnsmasq answers DHCP on the veths d0, b0, r0, c0 of ``uml_netns``."""
    with dhcp_peer(uml, uml_netns, SERVER) as peer:
        yield peer


def links(uml: UML, netns: str) -> dict[str, dict[str, object]]:
    """The kernel's view, from iproute2: name → link with its addresses."""
    link = uml.run(["ip", "-d", "-j", "link", "show"], netns=netns)
    addr = uml.run(["ip", "-j", "addr", "show"], netns=netns)
    assert link.returncode == 0 and addr.returncode == 0, link.stderr + addr.stderr
    out = {entry["ifname"]: entry for entry in json.loads(link.stdout)}
    for entry in json.loads(addr.stdout):
        out[entry["ifname"]]["addr_info"] = entry.get("addr_info", [])
    return out


def leased(link: dict[str, object]) -> list[str]:
    """The link's dynamic IPv4 addresses (a lease: finite lifetime, not permanent)."""
    infos = link.get("addr_info", [])
    assert isinstance(infos, list)
    return [
        f"{a['local']}/{a['prefixlen']}"
        for a in infos
        if a.get("family") == "inet" and a.get("dynamic")
    ]


def test_real_ifup_sets_the_mtu_of_dhcp_interfaces_and_gets_their_leases(
    uml: UML, uml_netns: str, dhcp_server: str
) -> None:
    name = f"ifupdown-mtu-{uml_netns}"
    host = Host(root=uml.shared / name)
    write_rendering(host, ifupdown.render(WANTED, MemoryFiles()))
    host.path("/etc/network/interfaces.d/c0").write_bytes(CONTROL)
    # What the files say, read back: the MTUs ifup applies, and the control line reported.
    got, problems = ifupdown.read_report(HostFiles(host))
    assert {i.name: i.mtu for i in got} == {"bond0": 9000, "br1": 9000, "c0": None, "d0": 9000}
    assert [p for p in problems if "c0" in p] == [
        f"{PurePosixPath('/etc/network/interfaces.d/c0')}:3: c0: ifupdown ignores mtu "
        "in an 'inet dhcp' stanza; not read"
    ]

    interfaces = f"{uml.shared_inside}/{name}/etc/network/interfaces"
    state = f"/tmp/ifstate-{uml_netns}"
    up = uml.run(
        ["sh", "-c", f"mkdir -p {state} && ifup -a -i {interfaces} --state-dir {state}"],
        netns=uml_netns,
        timeout=120,
    )
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        # ifup returns once dhclient holds a lease (it waits for one, then daemonises).
        kernel = links(uml, uml_netns)
        assert kernel["d0"]["mtu"] == 9000
        assert kernel["bond0"]["mtu"] == 9000
        assert kernel["b0"]["mtu"] == 9000 and kernel["b0"].get("master") == "bond0"
        # A bridge: bridge-utils' hook sets its "mtu" on the port, the bridge follows it.
        assert kernel["br1"]["mtu"] == 9000
        assert kernel["r0"]["mtu"] == 9000 and kernel["r0"].get("master") == "br1"
        assert kernel["c0"]["mtu"] == 1500  # the hand-written line: ignored by ifupdown
        for nic in ("d0", "bond0", "br1", "c0"):
            assert [a.rsplit(".", 1)[0] for a in leased(kernel[nic])] == ["10.55.0"], nic
    finally:
        down = uml.run(
            ["ifdown", "-a", "-i", interfaces, "--state-dir", state],
            netns=uml_netns,
            timeout=60,
        )
    assert down.returncode == 0, down.stderr
