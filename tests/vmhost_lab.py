"""The VM host of README's "Story: a VM host", built in user-mode Linux by each stack.

The host namespace has nic0, nic1 (the bond's NICs) and tap0 (a VM's tap), veths all.  Its
neighbours, each a namespace of its own:

- ``-sw``, the switch: a plain bridge ``sw`` joining nic0's and nic1's peers and the peers'
  uplinks; untagged it holds 10.10.0.9/24 (the trunk carries no untagged VLAN: it must not
  reach br0.10);
- ``-p10``, a peer on VLAN 10 (10.10.0.2/24: reaches br0.10) and on VLAN 30 (10.30.0.2/24:
  reaches the VM through the trunk and the access port);
- ``-p20``, a peer on VLAN 20 in the management subnet (10.10.0.3/24: must not reach
  br0.10) and in the storage subnet (10.20.0.2/24: reaches br0.20);
- ``-vm``, the VM behind tap0, untagged 10.30.0.5/24.

``stack_script`` is the shell script run in a private mount namespace of the host
namespace: it starts the stack's daemon (their /run, configuration and ifsmith's journal in
tmpfs), lets ``ifsmith apply`` write the files and activate them, waits until the addresses
and routes are there, and prints ``@@key value`` lines: the apply's output, ``ifsmith
check``, ``dumpxml --inactive`` and ``--live``, and what the stack made of the DNS.  The
daemon keeps running afterwards, while the test reads the kernel with ``ip``/``bridge``
and pings; the namespace's teardown ends it.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.umlhost import DHCP_SHELL, UML

VMHOST_XML = """\
<interfaces xmlns:ifsmith='https://ifsmith.dev/xml/interface/1'>
  <!-- br0: the VM host's VLAN-aware bridge. The uplink bond0 is a trunk, the VMs'
       taps are access ports; the host itself lives on VLANs 10 and 20 only. -->
  <interface type='bridge' name='br0'>
    <start mode='onboot'/>
    <bridge stp='off' delay='0' ifsmith:vlan-filtering='on' ifsmith:vlans='10 20'>
      <!-- Uplink: two NICs, nic0 preferred; back to nic0 only when it is better, not
           on every flap. A trunk for management (10), storage (20) and the VMs (30),
           with no untagged VLAN. -->
      <interface type='bond' name='bond0' ifsmith:vlans='10 20 30' ifsmith:pvid='none'>
        <bond mode='active-backup' ifsmith:primary-reselect='better' ifsmith:num-grat-arp='3'>
          <miimon freq='100' updelay='200'/>
          <interface type='ethernet' name='nic0'/>
          <interface type='ethernet' name='nic1'/>
        </bond>
      </interface>
      <!-- A VM's tap: an access port in the VMs' VLAN 30. -->
      <interface type='ethernet' name='tap0' ifsmith:pvid='30'/>
    </bridge>
  </interface>
  <!-- Management: the host's address, its default gateway, the backup network behind
       a second router, and the resolver. -->
  <interface type='vlan' name='br0.10'>
    <start mode='onboot'/>
    <protocol family='ipv4'>
      <ip address='10.10.0.1' prefix='24'/>
      <route gateway='10.10.0.254'/>
      <ifsmith:route address='10.99.0.0' prefix='16' gateway='10.10.0.253' metric='100'/>
    </protocol>
    <ifsmith:dns servers='10.10.0.53' search='vm.example.com'/>
    <vlan tag='10'>
      <interface name='br0'/>
    </vlan>
  </interface>
  <!-- Storage: a subnet and an MTU of its own. -->
  <interface type='vlan' name='br0.20'>
    <start mode='onboot'/>
    <mtu size='1400'/>
    <protocol family='ipv4'>
      <ip address='10.20.0.1' prefix='24'/>
    </protocol>
    <vlan tag='20'>
      <interface name='br0'/>
    </vlan>
  </interface>
</interfaces>
"""

# The neighbours ("$1" is the host namespace).  The switch's bridge does not filter: it
# carries every tag, as a trunk port of a real switch would.
NEIGHBOURS = """set -e
h=$1
for n in sw p10 p20 vm; do ip netns add $h-$n; ip -n $h-$n link set lo up; done
ip -n $h link add nic0 type veth peer name nic0p netns $h-sw
ip -n $h link add nic1 type veth peer name nic1p netns $h-sw
ip -n $h link add tap0 type veth peer name eth0 netns $h-vm
ip -n $h-sw link add sw type bridge stp_state 0
for p in p10 p20; do
  ip -n $h-sw link add to$p type veth peer name up0 netns $h-$p
  ip -n $h-$p link set up0 up
done
for port in nic0p nic1p top10 top20; do ip -n $h-sw link set $port master sw up; done
ip -n $h-sw link set sw up
ip -n $h-sw addr add 10.10.0.9/24 dev sw
ip -n $h-p10 link add link up0 name up0.10 type vlan id 10
ip -n $h-p10 link add link up0 name up0.30 type vlan id 30
ip -n $h-p10 addr add 10.10.0.2/24 dev up0.10
ip -n $h-p10 addr add 10.30.0.2/24 dev up0.30
ip -n $h-p20 link add link up0 name up0.20 type vlan id 20
ip -n $h-p20 addr add 10.10.0.3/24 dev up0.20
ip -n $h-p20 addr add 10.20.0.2/24 dev up0.20
ip -n $h-vm addr add 10.30.0.5/24 dev eth0
for l in p10:up0.10 p10:up0.30 p20:up0.20 vm:eth0; do ip -n $h-${l%%:*} link set ${l#*:} up; done
"""
NEIGHBOUR_NAMES = ("sw", "p10", "p20", "vm")

COMMON = """
set -u
mount -t tmpfs tmpfs /run
mkdir -p /run/dbus /run/systemd/network /run/systemd/netif /run/NetworkManager /run/udev \\
    /run/network
mkdir -p /var/lib/ifsmith && mount -t tmpfs tmpfs /var/lib/ifsmith
{shell}
ifsmith() {{ {python} -m ifsmith.tui.cli "$@"; }}
mark() {{ sed "s/^/@@$1 /" "$2"; }}
"""

# ifupdown's files in a private copy of /etc/network (its hooks stay), the Debian default
# interfaces file (lo, and the interfaces.d/ ifsmith writes into).
ETC_NETWORK = """
mkdir -p /run/etcnet && cp -a /etc/network/. /run/etcnet/ && mount --bind /run/etcnet /etc/network
rm -f /etc/network/interfaces.d/*
printf 'auto lo\\niface lo inet loopback\\n\\nsource /etc/network/interfaces.d/*\\n' \\
    > /etc/network/interfaces
"""

NETWORKD = """
mount -t tmpfs tmpfs /etc/systemd/network
# networkd waits for udev unless /sys is read-only.
umount /sys 2>/dev/null; mount -t sysfs -o ro sysfs /sys
chown -R systemd-network /run/systemd/netif
dbus-daemon --system --fork
/lib/systemd/systemd-networkd > /run/daemon.log 2>&1 &
wait_for 'networkctl list > /dev/null 2>&1' 20
"""

# NetworkManager leaves veths unmanaged (Debian's udev rule): the NICs and the tap are
# named; it writes no resolv.conf (dns=none), its DNS shows in `nmcli device show`.
NM_CONF = (
    "[main]\\nplugins=keyfile\\nno-auto-default=*\\ndns=none\\n[logging]\\nlevel=WARN\\n"
    "[device-vmhost]\\nmatch-device=interface-name:nic0;interface-name:nic1;"
    "interface-name:tap0\\nmanaged=1\\n"
)
NETWORKMANAGER = f"""
mount -t tmpfs tmpfs /etc/NetworkManager/system-connections
mkdir -p /var/lib/NetworkManager && mount -t tmpfs tmpfs /var/lib/NetworkManager
umount /sys 2>/dev/null; mount -t sysfs sysfs /sys
/lib/systemd/systemd-udevd --daemon > /dev/null 2>&1
udevadm trigger; udevadm settle --timeout=10
dbus-daemon --system --fork
printf '{NM_CONF}' > /run/nm.conf
NetworkManager --no-daemon --config=/run/nm.conf > /run/daemon.log 2>&1 &
wait_for 'nmcli -t general status > /dev/null 2>&1' 20
"""

# What each stack made of br0.10's DNS (none of them may touch this machine's resolver:
# inside UML /etc is the guest's overlay, and no resolvconf or resolved is installed).
DNS_NETWORKD = (
    'echo "@@dns $(grep -h "^DNS=" /run/systemd/netif/links/$(cat /sys/class/net/br0.10/ifindex))"'
)
DNS_NM = 'echo "@@dns $(nmcli -g IP4.DNS device show br0.10)"'
DNS_RESOLV_CONF = 'echo "@@dns $(grep -h "10.10.0.53" /etc/resolv.conf)"'

# Done: the bond with both NICs and its primary, in br0 with tap0; the addresses, the
# routes, the storage MTU.  (Once, on a loaded machine, NetworkManager's bond had no
# primary yet seconds after the apply had returned: it was still attaching the ports.)
READY = (
    "ip link show nic0 | grep -q 'master bond0' && ip link show nic1 | grep -q 'master bond0' && "
    "ip -d link show bond0 | grep -q 'primary nic0' && "
    "ip link show bond0 | grep -q 'master br0' && "
    "ip -4 -br addr show br0.10 | grep -q 10.10.0.1/24 && "
    "ip -4 -br addr show br0.20 | grep -q 10.20.0.1/24 && "
    "ip route show default | grep -q 'via 10.10.0.254' && "
    "ip route show 10.99.0.0/16 | grep -q 'via 10.10.0.253' && "
    "ip link show br0.20 | grep -q 'mtu 1400' && "
    "ip link show tap0 | grep -q 'master br0'"
)
# ... and, where the stack sets them, the ports' VLANs.
READY_VLANS = " && bridge -j vlan show dev tap0 | grep -q '\"vlan\":30'"

SCENARIO = """
since() {{ awk "BEGIN {{ printf \\"%.1f\\", $(now) - $1 }}"; }}
t0=$(now)
ifsmith apply {doc} --backend {backend} --activate {activate} --yes --no-auto-probes \\
    --confirm-timeout 0 > /run/apply.log 2>&1
echo "@@apply-rc $?"
echo "@@t-applied $(since $t0)"
mark apply /run/apply.log
for log in /var/lib/ifsmith/txn/*/watchdog.log; do mark watchdog "$log"; done
if ! wait_for "{ready}" 40; then
  echo "@@not-ready"
  {{ ip -br link; ip -br addr; ip route; bridge vlan show; networkctl list --no-pager
     nmcli device; nmcli connection; cat /run/daemon.log; }} > /run/state.log 2>&1
  mark state /run/state.log
fi
echo "@@t-ready $(since $t0)"
{{ bridge vlan show; ip -4 route; }} > /run/kernel.txt 2>&1
mark kernel /run/kernel.txt
ifsmith check --backend {backend} > /run/check.log 2>&1
echo "@@check-rc $?"
mark check /run/check.log
ifsmith dumpxml br0 --inactive --backend {backend} > /run/inactive.xml 2> /run/inactive.err
mark inactive /run/inactive.xml
mark inactive-err /run/inactive.err
ifsmith dumpxml br0 --live > /run/live.xml 2> /run/live.err
mark live /run/live.xml
mark live-err /run/live.err
{dns}
mark daemon /run/daemon.log 2>/dev/null
"""


@dataclass(frozen=True)
class Stack:
    """How one stack is started, which files ifsmith writes for it, how it activates."""

    name: str
    backend: str
    activate: str
    start: str
    dns: str
    dns_shown: str  # what ``dns`` prints once the stack has applied br0.10's DNS
    sets_port_vlans: bool = True


STACKS = {
    # networkd keeps the DNS in its link state (for resolved, which is not installed).
    "networkd": Stack("networkd", "networkd", "distro", NETWORKD, DNS_NETWORKD, "DNS=10.10.0.53"),
    "networkmanager": Stack(
        "networkmanager", "nm-keyfile", "distro", NETWORKMANAGER, DNS_NM, "10.10.0.53"
    ),
    # ifupdown 0.8 with bridge-utils does not read a port's VLAN lines (ifupdown2's), and
    # dns-nameservers only through resolvconf (not installed): no resolver changes.
    "ifupdown": Stack("ifupdown", "ifupdown", "distro", ETC_NETWORK, DNS_RESOLV_CONF, "", False),
    "kernel": Stack("kernel", "ifupdown", "kernel", ETC_NETWORK, DNS_RESOLV_CONF, ""),
}


def marked(out: str) -> dict[str, list[str]]:
    """The script's ``@@key value`` lines, by key."""
    lines: dict[str, list[str]] = {}
    for line in out.splitlines():
        if line.startswith("@@"):
            key, _, value = line[2:].partition(" ")
            lines.setdefault(key, []).append(value)
    return lines


def neighbours(uml: UML, ns: str) -> None:
    made = uml.run(["sh", "-c", NEIGHBOURS, "-", ns], timeout=60)
    assert made.returncode == 0, made.stdout + made.stderr


def remove_neighbours(uml: UML, ns: str) -> None:
    for name in NEIGHBOUR_NAMES:
        uml.delete_netns(f"{ns}-{name}")


def apply_with(uml: UML, ns: str, stack: Stack) -> dict[str, list[str]]:
    """Start STACK in namespace NS, apply the document, and return what the script saw."""
    doc = uml.shared / f"vmhost-{ns}.xml"
    doc.write_text(VMHOST_XML)
    ready = READY + (READY_VLANS if stack.sets_port_vlans else "")
    script = (
        COMMON.format(shell=DHCP_SHELL, python=sys.executable)
        + stack.start
        + SCENARIO.format(
            doc=f"{uml.shared_inside}/{doc.name}",
            backend=stack.backend,
            activate=stack.activate,
            ready=ready.replace('"', '\\"'),
            dns=stack.dns,
        )
    )
    result = uml.run(["unshare", "-m", "sh", "-c", script], netns=ns, timeout=150)
    out = marked(result.stdout)
    if os.environ.get("VMHOST_LOG_DIR"):  # the whole script output, to read at leisure
        log = Path(os.environ["VMHOST_LOG_DIR"]) / f"{stack.name}.log"
        log.write_text(result.stdout + result.stderr)
    keys = ("watchdog", "check", "daemon")
    told = [f"@@{key} {line}" for key in keys for line in out.get(key, [])]
    out["said"] = ["\n".join(told)[-8000:] + "\n" + result.stdout[-4000:] + result.stderr[-3000:]]
    return out


def ip_json(uml: UML, ns: str, *argv: str) -> list[dict[str, object]]:
    result = uml.run(list(argv), netns=ns)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout or "[]")  # type: ignore[no-any-return]
