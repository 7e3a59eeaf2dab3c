"""DNS reaches a real resolvconf, in user-mode Linux: Debian's resolvconf package is unpacked
(never installed: its scripts would rewrite this machine's /etc/resolv.conf) into the shared
directory and used inside the guest, in a mount namespace of the test's own (tmpfs /run,
overlays on /etc and /usr/lib, /etc/resolv.conf linked to resolvconf's output as the package
links it).  ifsmith runs there as on a real host — no --netns, no --root — so it finds
resolvconf itself.  The guest's /etc/resolv.conf carries the new servers after apply and
only the old one after the rollback."""

from __future__ import annotations

import hashlib
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_uml_dhcp_bridge import marked
from tests.umlhost import DHCP_SHELL, UML

SCRIPT = """
set -eu
{shell}
RC={rc}
conf() { grep -v -e '^#' -e '^$' /etc/resolv.conf | tr '\n' '|'; }  # without resolvconf's head
mount -t tmpfs tmpfs /run
mkdir -p /var/lib/ifsmith && mount -t tmpfs tmpfs /var/lib/ifsmith
for d in etc usr/lib; do
  mkdir -p /run/ov/$d/u /run/ov/$d/w
  mount -t overlay overlay -o lowerdir=/$d,upperdir=/run/ov/$d/u,workdir=/run/ov/$d/w /$d
done
cp -a $RC/etc/resolvconf /etc/ && cp -a $RC/lib/resolvconf /usr/lib/
mkdir -p /run/resolvconf/interface && : > /run/resolvconf/enable-updates
ln -sf /run/resolvconf/resolv.conf /etc/resolv.conf
mkdir -p /etc/network && cp $RC/interfaces /etc/network/interfaces
ip link add eth0 type dummy && ip addr add 10.55.0.123/24 dev eth0 && ip link set eth0 up
ip route add default via 10.55.0.1
# What ifup's hook left for eth0's dns-nameservers:
printf 'nameserver 10.55.0.1\\n' | $RC/sbin/resolvconf -a eth0.inet
echo "@@before $(conf)"
cp $RC/eth0.xml /run/eth0.xml
export PATH=$RC/sbin:$PATH
{python} -m ifsmith.tui.cli apply /run/eth0.xml --backend ifupdown --activate kernel --yes \\
    --no-auto-probes --confirm-timeout 4 --no-wait > /run/apply.out 2>&1 \\
  || { echo "@@apply-failed"; cat /run/apply.out; exit 1; }
sed 's/^/@@apply /' /run/apply.out
wait_for 'grep -q 192.0.2.53 /etc/resolv.conf' 20
echo "@@applied $(conf)"
echo "@@record $(tr '\\n' '|' < /run/resolvconf/interface/eth0.ifsmith)"
wait_for '{python} -m ifsmith.tui.cli history | grep -q rolled-back' 30
echo "@@after $(conf)"
echo "@@records $(ls /run/resolvconf/interface | tr '\\n' ' ')"
{python} -m ifsmith.tui.cli history | sed 's/^/@@history /'
"""

INTERFACES = """auto eth0
iface eth0 inet static
    address 10.55.0.123/24
    gateway 10.55.0.1
    dns-nameservers 10.55.0.1
"""

XML = """<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <protocol family='ipv4'><ip address='10.55.0.123' prefix='24'/><route gateway='10.55.0.1'/>
  </protocol>
  <ifsmith:dns servers='192.0.2.53 2001:db8::53' search='example.com'/>
</interface>
"""


@pytest.fixture(scope="module")
def resolvconf_deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Debian's resolvconf package, downloaded (not installed)."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        pytest.skip("n/a: needs apt-get and dpkg-deb to fetch Debian's resolvconf")
    d = tmp_path_factory.mktemp("resolvconf-deb")
    got = subprocess.run(["apt-get", "download", "resolvconf"], cwd=d, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    debs = sorted(d.glob("resolvconf_*.deb"))
    if got.returncode != 0 or not debs:
        pytest.skip(f"n/a: apt-get download resolvconf failed: {got.stderr.strip()[-200:]}")
    return debs[0]


def test_real_resolvconf_gets_the_dns_and_the_rollback_takes_it_back(
    uml: UML, uml_netns: str, resolvconf_deb: Path
) -> None:
    machine = hashlib.md5(Path("/etc/resolv.conf").read_bytes()).hexdigest()
    name = f"resolvconf-{secrets.token_hex(3)}"
    subprocess.run(["dpkg-deb", "-x", str(resolvconf_deb), str(uml.shared / name)], check=True)
    (uml.shared / name / "interfaces").write_text(INTERFACES)
    (uml.shared / name / "eth0.xml").write_text(XML)
    script = SCRIPT.replace("{shell}", DHCP_SHELL).replace("{python}", sys.executable)
    script = script.replace("{rc}", f"{uml.shared_inside}/{name}")
    result = uml.run(["unshare", "-m", "sh", "-c", script], netns=uml_netns, timeout=120)
    out = marked(result.stdout)
    said = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, said
    assert out["before"] == ["nameserver 10.55.0.1|"], said
    assert "  DNS for eth0 set in resolvconf (eth0.ifsmith): 192.0.2.53 2001:db8::53, search " \
        "example.com" in out["apply"], said  # fmt: skip
    # resolvconf's own merge: eth0.inet (ifup's) first, then ifsmith's record.
    assert out["applied"] == [
        "nameserver 10.55.0.1|nameserver 192.0.2.53|nameserver 2001:db8::53|search example.com|"
    ], said
    assert out["record"] == ["nameserver 192.0.2.53|nameserver 2001:db8::53|search example.com|"]
    assert out["after"] == ["nameserver 10.55.0.1|"], said
    assert out["records"] == ["eth0.inet "], said
    assert any("rolled-back" in line and "not confirmed" in line for line in out["history"]), said
    assert hashlib.md5(Path("/etc/resolv.conf").read_bytes()).hexdigest() == machine
    print(f"\nguest /etc/resolv.conf: before {out['before'][0]!r}, applied "
          f"{out['applied'][0]!r}, after rollback {out['after'][0]!r}")  # fmt: skip
