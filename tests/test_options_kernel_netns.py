"""Bridge and bridge-port options through the kernel activator, in a namespace (issue 10,
item 3), judged with ``ip -d -j link``: applied on create, changed in place, read back by
``dumpxml --live`` (only where they differ from the kernel's defaults), and restored by a
rollback.  Bonds need a kernel with bonding (user-mode Linux: test_options_kernel_uml)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.netns import can_make_netns, ip, make_netns

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))

XML = """\
<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='bridge' name='br0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.10' prefix='24'/>
  </protocol>
  <bridge stp='on' delay='4'{bridge}>
    <interface type='ethernet' name='eth0'{port}/>
  </bridge>
</interface>
"""
FULL = (
    " ifsmith:priority='4096' ifsmith:hello-time='1.5' ifsmith:max-age='6'"
    " ifsmith:ageing-time='0.5' ifsmith:multicast-snooping='off'"
)


def apply(ns: str, root: Path, bridge: str, port: str, timeout: str) -> str:
    doc = root / "br0.xml"
    doc.write_text(XML.format(bridge=bridge, port=port))
    done = subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", "--netns", ns, "--root", str(root),
         "apply", str(doc), "--backend", "networkd", "--activate", "kernel", "--yes",
         "--no-auto-probes", "--confirm-timeout", timeout],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode in (0, 3), done.stderr
    return done.stdout


def kernel(ns: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """br0's IFLA_BR_* and eth0's IFLA_BRPORT_* values as iproute2 reads them."""
    (br,) = json.loads(ip("-d", "-j", "link", "show", "br0", netns=ns))
    (port,) = json.loads(ip("-d", "-j", "link", "show", "eth0", netns=ns))
    data = br["linkinfo"]["info_data"]
    keys = ("hello_time", "max_age", "ageing_time", "priority", "mcast_snooping", "stp_state")
    slave = port["linkinfo"].get("info_slave_data", {})
    return {k: data[k] for k in keys}, {k: slave.get(k) for k in ("cost", "priority")}


def test_bridge_options_created_changed_read_back_and_rolled_back(tmp_path: Path) -> None:
    with make_netns("opts-br") as ns:
        ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1", netns=ns)
        out = apply(ns, tmp_path, FULL, " ifsmith:path-cost='7' ifsmith:port-priority='9'", "0")
        assert "create bridge br0 stp on forward_delay 4s priority 4096 hello_time 1.5s" in out
        assert "set bridge port eth0 path_cost 7 port_priority 9" in out
        br, port = kernel(ns)
        assert br == {
            "hello_time": 150, "max_age": 600, "ageing_time": 50, "priority": 4096,
            "mcast_snooping": 0, "stp_state": 1,
        }  # fmt: skip
        assert port == {"cost": 7, "priority": 9}

        live = subprocess.run(
            [sys.executable, "-m", "ifsmith.tui.cli", "--netns", ns, "dumpxml", "--live", "br0"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert f"<bridge stp='on' delay='4'{FULL}>" in live
        assert "name='eth0' ifsmith:path-cost='7' ifsmith:port-priority='9'>" in live

        # A change that is not confirmed rolls back: the kernel has the old values again.
        changed = FULL.replace("'4096'", "'8192'").replace("'1.5'", "'2'")
        out = apply(ns, tmp_path, changed, " ifsmith:path-cost='20' ifsmith:port-priority='9'", "2")
        assert "set bridge br0 priority 8192 hello_time 2s" in out
        assert "set bridge port eth0 path_cost 20\n" in out
        assert "Rolled back" in out
        assert kernel(ns) == (br, port)

        # Confirmed, it stays; options the document leaves out keep their values.
        apply(ns, tmp_path, " ifsmith:priority='8192'", "", "0")
        br2, port2 = kernel(ns)
        assert br2 == {**br, "priority": 8192} and port2 == port


def test_a_plain_bridge_reads_back_without_options(tmp_path: Path) -> None:
    with make_netns("opts-pl") as ns:
        ip("link", "add", "br0", "type", "bridge", netns=ns)
        ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1", netns=ns)
        ip("link", "set", "eth0", "master", "br0", netns=ns)
        live = subprocess.run(
            [sys.executable, "-m", "ifsmith.tui.cli", "--netns", ns, "dumpxml", "--live", "br0"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert "ifsmith" not in live, live


def test_drift_names_each_option_that_runs_otherwise() -> None:
    from ifsmith.core.definition import drift
    from ifsmith.core.host import Host
    from ifsmith.core.live import snapshot
    from ifsmith.core.xmlio import parse

    with make_netns("opts-dr") as ns:
        ip("link", "add", "br0", "type", "bridge", "priority", "4096", netns=ns)
        ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1", netns=ns)
        ip("link", "set", "eth0", "master", "br0", netns=ns)
        ip("link", "set", "eth0", "type", "bridge_slave", "cost", "7", netns=ns)
        doc = XML.format(bridge=" ifsmith:priority='8192'", port=" ifsmith:path-cost='9'")
        (defined,) = parse(doc)
        found = drift(defined, snapshot(Host(netns=ns)))
        assert "br0: bridge option priority 8192 defined, 4096 running" in found
        assert "eth0: bridge port option path-cost 9 defined, 7 running" in found
