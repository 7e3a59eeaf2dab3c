"""End to end in user-mode Linux: files rendered by a backend, brought up by the distro's own
tool, read back by core.live equal to the XML (bond + VLAN + bridge)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ifsmith.core.files import MemoryFiles, write_rendering
from ifsmith.core.host import Host
from ifsmith.core.xmlio import parse
from tests.umlhost import UML

SCENARIO = """<interfaces>
  <interface type='bond' name='bond0'>
    <start mode='onboot'/>
    <bond mode='802.3ad'>
      <miimon freq='100'/>
      <interface type='ethernet' name='eth0'/>
      <interface type='ethernet' name='eth1'/>
    </bond>
  </interface>
  <interface type='vlan' name='bond0.100'>
    <start mode='onboot'/>
    <vlan tag='100'><interface name='bond0'/></vlan>
  </interface>
  <interface type='bridge' name='br100'>
    <start mode='onboot'/>
    <protocol family='ipv4'>
      <ip address='192.0.2.10' prefix='24'/>
    </protocol>
    <bridge stp='off' delay='0'>
      <interface type='vlan' name='bond0.100'>
        <vlan tag='100'><interface name='bond0'/></vlan>
      </interface>
    </bridge>
  </interface>
</interfaces>
"""

READ = """
import json, sys
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
live = snapshot(Host(netns=sys.argv[1]))
print(json.dumps({l.name: {
    "kind": l.kind, "master": l.master, "parent": l.parent, "tag": l.vlan_tag, "up": l.admin_up,
    "mode": str(l.bond.mode) if l.bond else None, "miimon": l.bond.miimon if l.bond else None,
    "stp": l.bridge.stp if l.bridge else None,
    "addresses": sorted(str(a) for a in l.addresses if a.scope == "global")}
    for l in live.links}))
"""


def render_into(uml: UML, backend: str, name: str) -> tuple[Path, str]:
    """Render SCENARIO with a backend into a scratch root in the shared directory."""
    from ifsmith import backends

    root = uml.shared / name
    rendering = backends.get(backend).render(parse(SCENARIO), MemoryFiles())
    write_rendering(Host(root=root), rendering)
    return root, f"{uml.shared_inside}/{name}"


def read_live(uml: UML, netns: str) -> dict:  # type: ignore[type-arg]
    result = uml.run([sys.executable, "-c", READ, netns])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def assert_scenario(links: dict) -> None:  # type: ignore[type-arg]
    assert links["bond0"]["kind"] == "bond" and links["bond0"]["mode"] == "802.3ad"
    assert links["bond0"]["miimon"] == 100
    assert links["eth0"]["master"] == links["eth1"]["master"] == "bond0"
    assert (links["bond0.100"]["tag"], links["bond0.100"]["parent"]) == (100, "bond0")
    assert links["bond0.100"]["master"] == "br100"
    assert links["br100"]["stp"] is False
    assert links["br100"]["addresses"] == ["192.0.2.10/24"]
    assert all(links[n]["up"] for n in ("bond0", "bond0.100", "br100"))


def test_ifupdown_files_brought_up_by_real_ifup(uml: UML, uml_netns: str) -> None:
    uml.run(["sh", "-c", "ip link add eth0 type dummy; ip link add eth1 type dummy"],
            netns=uml_netns)  # fmt: skip
    _root, inside = render_into(uml, "ifupdown", f"ifupdown-{uml_netns}")
    interfaces = f"{inside}/etc/network/interfaces"
    state = f"/tmp/ifstate-{uml_netns}"
    up = uml.run(["sh", "-c", f"mkdir -p {state} && ifup -a -i {interfaces} --state-dir {state}"],
                 netns=uml_netns, timeout=60)  # fmt: skip
    assert up.returncode == 0, up.stdout + up.stderr
    assert_scenario(read_live(uml, uml_netns))
    down = uml.run(["ifdown", "-a", "-i", interfaces, "--state-dir", state], netns=uml_netns,
                   timeout=60)  # fmt: skip
    assert down.returncode == 0, down.stderr
    links = read_live(uml, uml_netns)
    assert "bond0" not in links and "br100" not in links


NETWORKD = """
set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/network /run/systemd/netif
cp {files}/etc/systemd/network/* /run/systemd/network/
chown -R systemd-network /run/systemd/netif 2>/dev/null || true
mount -t sysfs -o ro sysfs /sys 2>/dev/null || mount -o remount,ro /sys
/lib/systemd/systemd-networkd >/tmp/networkd.log 2>&1 &
pid=$!
for i in $(seq 1 100); do
  if {python} -c "{check}" {netns}; then kill $pid; exit 0; fi
  sleep 0.1
done
kill $pid
cat /tmp/networkd.log
exit 1
"""

CHECK = (
    "import sys; from ifsmith.core.host import Host; from ifsmith.core.live import snapshot; "
    "l = snapshot(Host()).by_name(); "
    "sys.exit(0 if 'br100' in l and l['br100'].addresses and 'bond0.100' in l "
    "and l['bond0.100'].master == 'br100' and l.get('eth1') and l['eth1'].master == 'bond0' "
    "else 1)"
)


def test_networkd_files_brought_up_by_the_real_daemon(uml: UML, uml_netns: str) -> None:
    uml.run(["sh", "-c", "ip link add eth0 type dummy; ip link add eth1 type dummy"],
            netns=uml_netns)  # fmt: skip
    _root, inside = render_into(uml, "networkd", f"networkd-{uml_netns}")
    script = NETWORKD.format(files=inside, python=sys.executable, check=CHECK, netns=uml_netns)
    result = uml.run(["unshare", "-m", "sh", "-c", script], netns=uml_netns, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_scenario(read_live(uml, uml_netns))


NETWORKMANAGER = """
set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/dbus /run/NetworkManager /run/udev
mount -t tmpfs tmpfs /etc/NetworkManager/system-connections
mkdir -p /var/lib/NetworkManager && mount -t tmpfs tmpfs /var/lib/NetworkManager
cp {files}/etc/NetworkManager/system-connections/* /etc/NetworkManager/system-connections/
chmod 600 /etc/NetworkManager/system-connections/*
umount /sys 2>/dev/null || true
mount -t sysfs sysfs /sys
/lib/systemd/systemd-udevd --daemon
udevadm trigger
udevadm settle --timeout=10 || true
dbus-daemon --system --fork
printf '[main]\\nplugins=keyfile\\nno-auto-default=*\\n[logging]\\nlevel=WARN\\n' > /tmp/nm.conf
NetworkManager --no-daemon --config=/tmp/nm.conf >/tmp/nm.log 2>&1 &
pid=$!
for i in $(seq 1 40); do
  if {python} -c "{check}"; then kill $pid; exit 0; fi
  sleep 0.2
done
nmcli device 2>&1 || true
nmcli connection 2>&1 || true
kill $pid
cat /tmp/nm.log
exit 1
"""


def test_keyfiles_brought_up_by_the_real_networkmanager(uml: UML, uml_netns: str) -> None:
    # NetworkManager leaves dummy devices unmanaged: the "NICs" are veths here.
    uml.run(["sh", "-c", "ip link add eth0 type veth peer name p0; "
             "ip link add eth1 type veth peer name p1; ip link set p0 up; ip link set p1 up"],
            netns=uml_netns)  # fmt: skip
    _root, inside = render_into(uml, "nm-keyfile", f"nm-{uml_netns}")
    script = NETWORKMANAGER.format(files=inside, python=sys.executable, check=CHECK)
    result = uml.run(["unshare", "-m", "sh", "-c", script], netns=uml_netns, timeout=90)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert_scenario(read_live(uml, uml_netns))
