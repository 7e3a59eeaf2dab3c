"""The DHCP clients the watchdog runs after a kernel-activated iface-bridge, for real in
user-mode Linux (dnsmasq serving eth0 from a peer namespace, TESTHOST.md §4).

ifupdown: after the change ifupdown's own state knows br0 is up, so the admin's later
``ifdown br0`` stops br0's dhclient (the one the watchdog started) and takes the bridge
down, and ``ifup br0`` brings it back with one client and a lease — judged from the
processes, the kernel and dnsmasq's lease file, not from ifsmith.
"""

from __future__ import annotations

import json

from tests.test_uml_dhcp_bridge import clients, dhcp_server, ipv4, leases, run  # noqa: F401
from tests.umlhost import UML

# After the committed change (tests/test_uml_dhcp_bridge.py's SETUP): br0's client binds,
# then the admin runs ifdown br0 and ifup br0.
IFDOWN_IFUP = """
wait_for '[ "$(leases br0)" -ge 1 ]' 60
state -bound
echo "@@ifstate-bound $(cat /run/network/ifstate | tr '\\n' ' ')"
ifdown br0 > /run/ifdown.log 2>&1
echo "@@ifdown-rc $?"
sed 's/^/@@ifdown /' /run/ifdown.log
wait_for '[ -z "$(clients)" ]' 20
state -down
echo "@@ifstate-down $(cat /run/network/ifstate | tr '\\n' ' ')"
ifup br0 > /run/ifup-br0.log 2>&1
echo "@@ifup-rc $?"
sed 's/^/@@ifup /' /run/ifup-br0.log
state -up
echo "@@ifstate-up $(cat /run/network/ifstate | tr '\\n' ' ')"
finish
"""


def test_ifdown_and_ifup_of_the_bridge_after_iface_bridge(
    uml: UML,
    uml_netns: str,
    dhcp_server: str,  # noqa: F811
) -> None:
    out = run(uml, uml_netns, dhcp_server, 0, IFDOWN_IFUP)
    said = out["said"][0]
    assert out["ifsmith-rc"] == ["0"], said
    ((address, _),) = ipv4(out["eth0-before"][0])
    mac = out["mac"][0]
    (client,) = clients(out, "clients-bound")
    assert client.split()[-1] == "br0", said
    assert out["ifstate-bound"][0].split() == ["eth0=eth0", "br0=br0"], said

    # ifdown br0: ifupdown knows br0, so it runs br0's ifdown: its dhclient stops (with the
    # release ifdown always sends), the bridge goes; eth0 stays up as a bare NIC.
    assert out["ifdown-rc"] == ["0"], said
    assert not any("not configured" in line for line in out.get("ifdown", [])), said
    assert clients(out, "clients-down") == [], said
    assert out["pidfiles-down"][0].split() == [], said
    assert out["br0-down"] == ["[]"], said
    assert out["ifstate-down"][0].split() == ["eth0=eth0"], said
    assert leases(out, "leases-down") == [], said  # released by br0's own client

    # ifup br0: one client again, the bridge has a lease from the server, for eth0's MAC.
    assert out["ifup-rc"] == ["0"], said
    (again,) = clients(out, "clients-up")
    assert again.split()[-1] == "br0", said
    assert [a for a, dynamic in ipv4(out["br0-up"][0]) if dynamic], said
    ((lease_mac, _),) = leases(out, "leases-up")
    assert lease_mac == mac, said
    routes = json.loads(out["routes-up"][0])
    assert [(r.get("gateway"), r.get("dev")) for r in routes] == [("10.55.0.1", "br0")], said
    assert out["ifstate-up"][0].split() == ["eth0=eth0", "br0=br0"], said
    print(f"\nifdown/ifup br0 after iface-bridge: lease {address} → {ipv4(out['br0-up'][0])}")
