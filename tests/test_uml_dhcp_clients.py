"""The DHCP clients the watchdog runs after a kernel-activated iface-bridge, for real in
user-mode Linux (dnsmasq serving eth0 from a peer namespace, TESTHOST.md §4).

ifupdown: after the change ifupdown's own state knows br0 is up, so the admin's later
``ifdown br0`` stops br0's dhclient (the one the watchdog started) and takes the bridge
down, and ``ifup br0`` brings it back with one client and a lease.  RHEL ifcfg and
netifrc: the dhclient command line each backend gives the watchdog runs for real, binds
the moved lease on br0 and renews it.  Judged from the processes, the kernel and
dnsmasq's lease file, not from ifsmith.
"""

from __future__ import annotations

import json
import sys

import pytest

from tests.test_uml_dhcp_bridge import (  # noqa: F401 (dhcp_server: the fixture)
    clients,
    dhcp_server,
    ipv4,
    leases,
    marked,
    run,
    session,
)
from tests.umlhost import DHCP_SHELL, UML

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


# RHEL ifcfg and Gentoo netifrc: no ifup here to bring eth0 up, so eth0's client is started
# with the command line the stack's own scripts run (ifup-eth, net/dhclient.sh), waiting for
# the lease as they do.  Then iface-bridge with the kernel activator: the watchdog stops it
# and starts br0's with the backend's command line (backends/*.py dhcp_clients).
STACKS = {
    "ifcfg-rh": (
        """
mkdir -p /etc/sysconfig/network-scripts /var/lib/dhclient
mount -t tmpfs tmpfs /etc/sysconfig/network-scripts
mount -t tmpfs tmpfs /var/lib/dhclient
printf 'DEVICE=eth0\\nTYPE=Ethernet\\nBOOTPROTO=dhcp\\nONBOOT=yes\\n' \\
    > /etc/sysconfig/network-scripts/ifcfg-eth0
dhclient -1 -q -lf /var/lib/dhclient/dhclient-eth0.leases -pf /run/dhclient-eth0.pid eth0
""",
        # generate_lease_file_name: dhclient-DEV.leases, else dhclient-UUID-DEV.lease
        "/var/lib/dhclient/dhclient*-{dev}.lease*",
    ),
    "netifrc": (
        """
mkdir -p /etc/conf.d && mount -t tmpfs tmpfs /etc/conf.d
printf 'modules="dhclient"\\nconfig_eth0="dhcp"\\n' > /etc/conf.d/net
dhclient -q -1 -pf /run/dhclient-eth0.pid eth0
""",
        "/var/lib/dhcp/dhclient.leases",
    ),
}

STACK_SETUP = """
set -u
mount -t tmpfs tmpfs /run
mkdir -p /var/lib/dhcp /var/lib/ifsmith
for d in /var/lib/dhcp /var/lib/ifsmith; do mount -t tmpfs tmpfs $d; done
umount /sys 2>/dev/null; mount -t sysfs sysfs /sys
{shell}
leases() {  # lease blocks for interface $1 in its lease file
  cat $(echo '{leasefile}' | sed "s/{dev}/$1/") 2>/dev/null | grep -c "interface \\"$1\\""
}
state() {
  echo "@@clients$1 $(clients | tr '\\n' '|')"
  echo "@@pidfiles$1 $(ls /run/ | grep dhclient | tr '\\n' ' ')"
  for dev in eth0 br0; do
    echo "@@$dev$1 $(ip -j addr show dev $dev 2>/dev/null || echo '[]')"
  done
  echo "@@leases$1 $(cat {leases} | tr '\\n' '|')"
}
{stack}
[ "$(leases eth0)" -ge 1 ] || { echo "eth0 got no lease"; exit 1; }
echo "@@mac $(cat /sys/class/net/eth0/address)"
state -before
ping -D -n -i 0.1 10.55.0.1 > /run/ping.log 2>&1 &
PING=$!
wait_for 'grep -q "icmp_seq=" /run/ping.log' 10
{python} -m ifsmith.tui.cli iface-bridge eth0 br0 --yes --confirm-timeout 0 --no-stp \\
    --backend {backend} --activate kernel > /run/ifsmith.log 2>&1
echo "@@ifsmith-rc $?"
sed 's/^/@@ifsmith /' /run/ifsmith.log
for log in /var/lib/ifsmith/txn/*/watchdog.log; do sed 's/^/@@watchdog /' "$log"; done
wait_for '[ "$(leases br0)" -ge 1 ]' 60
state -bound
# The renewal (2-minute leases: after one minute): another lease block for br0.
wait_for '[ "$(leases br0)" -ge 2 ]' 150
echo "@@renewals $(leases br0)"
state -renewed
kill $PING; wait $PING 2>/dev/null
for f in /run/dhclient*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
echo "@@ping"; cat /run/ping.log
"""


def run_stack(uml: UML, netns: str, server: str, backend: str) -> dict[str, list[str]]:
    stack, leasefile = STACKS[backend]
    script = (
        STACK_SETUP.replace("{stack}", stack)
        .replace("{shell}", DHCP_SHELL)
        .replace("{leasefile}", leasefile)
        .replace("{python}", sys.executable)
        .replace("{leases}", f"/tmp/{server}.leases")
        .replace("{backend}", backend)
    )
    result = uml.run(["unshare", "-m", "sh", "-c", script], netns=netns, timeout=400)
    out = marked(result.stdout)
    told = [line for line in result.stdout.splitlines() if not line.startswith("[")]
    out["said"] = ["\n".join(told)[-8000:] + result.stderr[-2000:]]
    assert result.returncode == 0, out["said"][0]
    return out


@pytest.mark.parametrize("backend", ["ifcfg-rh", "netifrc"])
def test_the_watchdog_started_client_renews_the_moved_lease(
    uml: UML,
    uml_netns: str,
    dhcp_server: str,  # noqa: F811
    backend: str,
) -> None:
    out = run_stack(uml, uml_netns, dhcp_server, backend)
    said = out["said"][0]
    assert out["ifsmith-rc"] == ["0"], said
    ((address, dynamic),) = ipv4(out["eth0-before"][0])
    assert dynamic, said
    mac = out["mac"][0]
    # One client, for br0, with the stack's own command line (its pid file), none for eth0.
    (client,) = clients(out, "clients-bound")
    assert client.split()[-1] == "br0" and "-pf /run/dhclient-br0.pid" in client, said
    assert out["pidfiles-bound"][0].split() == ["dhclient-br0.pid"], said
    # br0 holds eth0's lease; the server has that one lease, for eth0's MAC, all along.
    assert ipv4(out["br0-bound"][0]) == [(address, True)], said
    assert ipv4(out["eth0-bound"][0]) == [], said
    for key in ("leases-before", "leases-bound", "leases-renewed"):
        assert leases(out, key) == [(mac, address.split("/")[0])], (key, said)
    # Renewed on br0 by that client (a second lease block in its lease file).
    assert int(out["renewals"][0]) >= 2, said
    assert clients(out, "clients-renewed") == [client], said
    assert ipv4(out["br0-renewed"][0]) == [(address, True)], said
    print(f"\n{backend}: {client}; {session(out)}")
