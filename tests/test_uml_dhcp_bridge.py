"""iface-bridge on a DHCP NIC with the kernel activator, in user-mode Linux, with the real
ifupdown and dhclient (TESTHOST.md §4).

dnsmasq serves eth0 from a peer namespace; ``ifup eth0`` gets its lease from the files.
Then ``ifsmith iface-bridge eth0 br0`` (ifupdown files, kernel activator): the lease and
the default route move live to br0, the watchdog stops eth0's dhclient (lease kept) and
starts br0's as ``ifup br0`` would, with eth0's DUID (ifup's ``dhclient -i`` makes the
client identifier of it: without it dnsmasq gave br0 a second address).  Judged from
outside ifsmith: ping replies from the server all along, dnsmasq's lease file (one lease,
eth0's MAC, same address), the dhclient processes and their pid files, and a renewal of
the lease on br0 (lease time 2 minutes, so the client renews after one).  Not confirmed
in time, the change rolls back and eth0's client runs again.

Inside UML / is a throwaway overlay; the test runs in a mount namespace of its own with
tmpfs over /run, /var/lib/dhcp and /var/lib/ifsmith and a copy of /etc/network, so the
real paths (the ones ifup and dhclient use) are private to it.  No DHCP client runs
outside UML.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Iterator

import pytest

from tests.umlhost import DHCP_SHELL, UML, dhcp_peer

# The server side: eth0's veth peer in the peer namespace, dnsmasq on it (2-minute leases:
# dnsmasq's shortest, so dhclient renews after one minute).
SERVER = """
set -e
ip -n "$1" link add eth0 type veth peer name peth0 netns "$2"
ip -n "$2" link set peth0 up
ip -n "$2" addr add 10.55.0.1/24 dev peth0
ip netns exec "$2" dnsmasq --interface=peth0 --bind-interfaces --port=0 \
    --dhcp-range=10.55.0.100,10.55.0.150,2m --dhcp-option=option:router,10.55.0.1 \
    --dhcp-leasefile="/tmp/$2.leases" --pid-file="/tmp/$2.pid"
"""

# The host side, in one private mount namespace: every wait is on a condition, bounded.
# eth0 comes up from ifupdown files by the real ifup; a ping to the server runs throughout.
SETUP = """
set -u
mount -t tmpfs tmpfs /run
mkdir -p /run/network /var/lib/dhcp /var/lib/ifsmith
for d in /var/lib/dhcp /var/lib/ifsmith; do mount -t tmpfs tmpfs $d; done
# A private copy of /etc/network: its hook directories (if-up.d, …) stay.
cp -a /etc/network /run/etc-network && mount --bind /run/etc-network /etc/network
umount /sys 2>/dev/null; mount -t sysfs sysfs /sys
printf 'auto lo\\niface lo inet loopback\\n\\nauto eth0\\niface eth0 inet dhcp\\n' \\
    > /etc/network/interfaces
{shell}
leases() { grep -c "^lease" /var/lib/dhcp/dhclient.$1.leases 2>/dev/null || echo 0; }
state() {  # what the kernel, the processes and the server have now, under a key suffix
  echo "@@clients$1 $(clients | tr '\\n' '|')"
  echo "@@pidfiles$1 $(ls /run/ | grep dhclient | tr '\\n' ' ')"
  for dev in eth0 br0; do
    echo "@@$dev$1 $(ip -j addr show dev $dev 2>/dev/null || echo '[]')"
  done
  echo "@@routes$1 $(ip -j route show default)"
  echo "@@leases$1 $(cat {leases} | tr '\\n' '|')"
}
finish() {
  kill $PING 2>/dev/null; wait $PING 2>/dev/null
  for f in /run/dhclient*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  echo "@@ping"; cat /run/ping.log
}

ifup eth0 > /run/ifup.log 2>&1 || { echo "ifup failed"; cat /run/ifup.log; exit 1; }
echo "@@mac $(cat /sys/class/net/eth0/address)"
state -before
ping -D -n -i 0.1 10.55.0.1 > /run/ping.log 2>&1 &
PING=$!
wait_for 'grep -q "icmp_seq=" /run/ping.log' 10 || { finish; exit 1; }

echo "@@t-change $(now)"
{python} -m ifsmith.tui.cli iface-bridge eth0 br0 --yes --confirm-timeout {confirm} --no-stp \\
    --backend ifupdown > /run/ifsmith.log 2>&1
echo "@@ifsmith-rc $?"
echo "@@t-done $(now)"
sed 's/^/@@ifsmith /' /run/ifsmith.log
for log in /var/lib/ifsmith/txn/*/watchdog.log; do sed 's/^/@@watchdog /' "$log"; done
"""

# Committed: br0's client binds (dhclient writes the lease to its file), then renews.
COMMITTED = """
wait_for '[ "$(leases br0)" -ge 1 ]' 60
echo "@@t-bound $(now)"
state -bound
# The renewal: dhclient appends a lease block to its file at every renewal.
wait_for '[ "$(leases br0)" -ge 2 ]' 150
echo "@@t-renewed $(now)"
state -renewed
finish
"""

# Rolled back (not confirmed): eth0's client, started again, binds once more.
ROLLED_BACK = """
wait_for '[ "$(leases eth0)" -ge 2 ]' 60
echo "@@t-bound $(now)"
state -bound
finish
"""


@pytest.fixture
def dhcp_server(uml: UML, uml_netns: str) -> Iterator[str]:
    """A peer namespace whose dnsmasq serves eth0 of ``uml_netns``."""
    with dhcp_peer(uml, uml_netns, SERVER) as peer:
        yield peer


def marked(out: str) -> dict[str, list[str]]:
    """The script's ``@@key value`` lines, by key (the ping log follows ``@@ping``)."""
    lines: dict[str, list[str]] = {}
    key = None
    for line in out.splitlines():
        if line.startswith("@@"):
            key, _, value = line[2:].partition(" ")
            lines.setdefault(key, []).append(value)
        elif key == "ping":
            lines["ping"].append(line)
    return lines


def ipv4(addr_json: str) -> list[tuple[str, bool]]:
    """(address/prefix, dynamic) of one link's IPv4 addresses, from ``ip -j addr``."""
    return [
        (f"{a['local']}/{a['prefixlen']}", bool(a.get("dynamic")))
        for link in json.loads(addr_json)
        for a in link.get("addr_info", [])
        if a.get("family") == "inet"
    ]


def ping_gaps(log: list[str]) -> tuple[float, int, int]:
    """The longest time between two replies (s), replies, and sequence numbers missing."""
    replies = [
        (float(m.group(1)), int(m.group(2)))
        for line in log
        if (m := re.match(r"\[(\d+\.\d+)\].*icmp_seq=(\d+) ttl=", line))
    ]
    times = [t for t, _ in replies]
    gap = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
    seqs = [s for _, s in replies]
    missing = (max(seqs) - min(seqs) + 1 - len(set(seqs))) if seqs else 0
    return gap, len(replies), missing


def run(uml: UML, netns: str, server: str, confirm: int, then: str) -> dict[str, list[str]]:
    """The scenario up to the change and THEN; the marked output, checked for success."""
    script = (SETUP + then).replace("{python}", sys.executable).replace("{shell}", DHCP_SHELL)
    script = script.replace("{leases}", f"/tmp/{server}.leases").replace("{confirm}", str(confirm))
    result = uml.run(["unshare", "-m", "sh", "-c", script], netns=netns, timeout=300)
    out = marked(result.stdout)
    told = [line for line in result.stdout.splitlines() if not line.startswith("[")]
    out["said"] = ["\n".join(told)[-8000:] + result.stderr[-2000:]]
    assert result.returncode == 0, out["said"][0]
    return out


def clients(out: dict[str, list[str]], key: str) -> list[str]:
    """The dhclient command lines running at KEY, each ending with its interface."""
    return [c.strip() for c in out[key][0].split("|") if c.strip()]


def leases(out: dict[str, list[str]], key: str) -> list[tuple[str, str]]:
    """(MAC, address) of each lease in dnsmasq's lease file at KEY."""
    return [(f[1], f[2]) for line in out[key][0].split("|") if (f := line.split())]


def session(out: dict[str, list[str]]) -> str:
    """The ping's verdict: no request unanswered, no gap an ssh session would notice.  The
    longest gap between replies (interval 0.1 s) is the machine's scheduling."""
    gap, replies, missing = ping_gaps(out["ping"])
    assert replies > 50 and missing == 0 and gap < 2.0, out["ping"][-20:]
    return f"ping: {replies} replies, {missing} missing, longest gap {gap:.2f} s"


def test_iface_bridge_of_a_dhcp_nic_moves_its_client_to_the_bridge_without_a_drop(
    uml: UML, uml_netns: str, dhcp_server: str
) -> None:
    out = run(uml, uml_netns, dhcp_server, 0, COMMITTED)
    said = out["said"][0]
    assert out["ifsmith-rc"] == ["0"], said

    # Before: eth0 holds the lease ifup's dhclient got.
    ((address, dynamic),) = ipv4(out["eth0-before"][0])
    assert dynamic and address.startswith("10.55.0."), said
    mac = out["mac"][0]

    # After: br0 holds the same lease (the kernel activator moved it with what was left of
    # its lifetime: dhclient-script's BOUND only adds, and finds it present); eth0 holds
    # none; the default route is br0's.
    assert ipv4(out["br0-bound"][0]) == [(address, True)], said
    assert ipv4(out["eth0-bound"][0]) == [], said
    routes = json.loads(out["routes-bound"][0])
    assert [(r.get("gateway"), r.get("dev")) for r in routes] == [("10.55.0.1", "br0")], said

    # One dhclient, for br0 (as ifup br0 runs it); none for eth0, and no pid file of one.
    (client,) = clients(out, "clients-bound")
    assert client.split()[-1] == "br0", said
    assert "-pf /run/dhclient.br0.pid -lf /var/lib/dhcp/dhclient.br0.leases" in client
    assert out["pidfiles-bound"][0].split() == ["dhclient.br0.pid"], said

    # dnsmasq: one lease, eth0's MAC, the same address, before and after the move.
    for key in ("leases-before", "leases-bound", "leases-renewed"):
        assert leases(out, key) == [(mac, address.split("/")[0])], key

    # The lease was renewed on br0 (the address now has its lifetime), by br0's client.
    assert ipv4(out["br0-renewed"][0]) == [(address, True)], said
    assert clients(out, "clients-renewed") == [client], said

    # The session to the server never dropped.
    t = {k: float(out[k][0]) for k in ("t-change", "t-done", "t-bound", "t-renewed")}
    print(
        f"\ncommitted: change→committed {t['t-done'] - t['t-change']:.2f} s, "
        f"change→br0 bound {t['t-bound'] - t['t-change']:.2f} s, "
        f"bound→renewed {t['t-renewed'] - t['t-bound']:.1f} s; {session(out)}"
    )


def test_a_rolled_back_iface_bridge_gives_the_nic_its_client_back(
    uml: UML, uml_netns: str, dhcp_server: str
) -> None:
    out = run(uml, uml_netns, dhcp_server, 2, ROLLED_BACK)
    said = out["said"][0]
    assert out["ifsmith-rc"] == ["3"], said  # not confirmed: rolled back

    ((address, _),) = ipv4(out["eth0-before"][0])
    # eth0 has its address and default route back; br0 is gone, and so is its client.
    assert [a for a, _ in ipv4(out["eth0-bound"][0])] == [address], said
    assert out["br0-bound"] == ["[]"], said
    routes = json.loads(out["routes-bound"][0])
    assert [(r.get("gateway"), r.get("dev")) for r in routes] == [("10.55.0.1", "eth0")], said
    # eth0's client runs again, as ifup ran it, and has bound (the same lease).
    (client,) = clients(out, "clients-bound")
    assert client.replace(" -nw", "") == clients(out, "clients-before")[0], said
    assert out["pidfiles-bound"][0].split() == ["dhclient.eth0.pid"], said
    assert leases(out, "leases-bound") == leases(out, "leases-before"), said

    t = {k: float(out[k][0]) for k in ("t-change", "t-done", "t-bound")}
    print(
        f"\nrolled back: change→rolled back {t['t-done'] - t['t-change']:.2f} s, "
        f"change→eth0 bound again {t['t-bound'] - t['t-change']:.2f} s; {session(out)}"
    )
