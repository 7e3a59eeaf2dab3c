"""`ifsmith delete` of a bond and its VLAN on a kernel that has bonding and 8021q
(user-mode Linux, in a namespace of it made per test): the devices go, the slaves are set
free, the ifupdown files under --root go, and the rollback brings both back."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from tests.umlhost import UML

DOC = """<interfaces>
<interface type='bond' name='bond0'><start mode='onboot'/>
  <bond mode='active-backup'><miimon freq='100'/>
    <interface type='ethernet' name='d0'/><interface type='ethernet' name='d1'/>
  </bond>
</interface>
<interface type='vlan' name='bond0.100'><start mode='onboot'/>
  <protocol family='ipv4'><ip address='10.9.0.1' prefix='24'/></protocol>
  <vlan tag='100'><interface name='bond0'/></vlan>
</interface>
</interfaces>
"""

# Runs inside UML (its / is a throwaway overlay): the files live under $ROOT.
SETUP = """set -e
ip -n {ns} link add d0 type dummy
ip -n {ns} link add d1 type dummy
mkdir -p {root}/etc/network
printf 'auto lo\\niface lo inet loopback\\n' > {root}/etc/network/interfaces
cat > {root}/doc.xml
"""


class Box:
    def __init__(self, uml: UML, ns: str) -> None:
        self.uml, self.ns, self.root = uml, ns, f"/tmp/ifs-cli-{ns}"

    def sh(self, script: str, stdin: str | None = None) -> str:
        result = self.uml.run(["sh", "-c", script], stdin=stdin, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def ifsmith(self, *args: str) -> tuple[int, str, str]:
        argv = [sys.executable, "-m", "ifsmith.tui.cli", "--netns", self.ns,
                "--root", self.root, *args]  # fmt: skip
        result = self.uml.run(argv, timeout=90)
        return result.returncode, result.stdout, result.stderr

    def links(self) -> dict[str, dict[str, Any]]:
        out = self.sh(f"ip -n {self.ns} -d -j link")
        return {e["ifname"]: e for e in json.loads(out)}

    def files(self) -> dict[str, str]:
        out = self.sh(f"cd {self.root}/etc && find . -type f | sort | while read f; do "
                      "echo \"== $f\"; cat \"$f\"; done")  # fmt: skip
        return {part.split("\n", 1)[0]: part for part in out.split("== ")[1:]}


def test_delete_bond_and_vlan_removes_devices_and_files_and_rollback_restores_them(
    uml: UML, uml_netns: str
) -> None:
    box = Box(uml, uml_netns)
    box.sh(SETUP.format(ns=uml_netns, root=box.root), stdin=DOC)
    rc, out, err = box.ifsmith("apply", f"{box.root}/doc.xml", "--backend", "ifupdown",
                               "--yes", "--no-auto-probes", "--confirm-timeout", "0")  # fmt: skip
    assert rc == 0, out + err
    files = box.files()
    stanzas = "".join(files.values())
    assert "iface bond0 " in stanzas and "iface bond0.100 " in stanzas, files

    # The bond alone is refused: its VLAN would go with it.
    rc, out, err = box.ifsmith("delete", "bond0", "--yes", "--no-auto-probes")
    assert rc == 1 and "VLAN bond0.100 runs on it" in err and "nothing was changed" in err

    rc, out, err = box.ifsmith("delete", "bond0", "bond0.100", "--yes", "--no-auto-probes",
                               "--confirm-timeout", "120", "--no-wait")  # fmt: skip
    assert rc == 0, out + err
    assert out.index("delete bond0.100") < out.index("delete bond0\n")
    deadline = time.monotonic() + 60
    while json.loads(box.ifsmith("status", "--json")[1])["state"] != "applied":
        assert time.monotonic() < deadline, "the delete was not applied in time"
    links = box.links()
    assert "bond0" not in links and "bond0.100" not in links
    assert "master" not in links["d0"] and "master" not in links["d1"]
    assert box.files() == {"./network/interfaces": files["./network/interfaces"]}

    rc, out, err = box.ifsmith("rollback")
    assert rc == 0 and "not restored" not in out, out + err
    links = box.links()
    assert links["bond0"]["linkinfo"]["info_data"]["mode"] == "active-backup"
    assert links["d0"]["master"] == "bond0" and links["d1"]["master"] == "bond0"
    vlan = links["bond0.100"]["linkinfo"]["info_data"]
    assert vlan["id"] == 100 and links["bond0.100"]["link"] == "bond0"
    addrs = json.loads(box.sh(f"ip -n {uml_netns} -j addr show dev bond0.100"))
    assert [a["local"] for a in addrs[0]["addr_info"] if a["scope"] == "global"] == ["10.9.0.1"]
    assert box.files() == files
