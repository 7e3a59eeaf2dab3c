"""Every bridge option in Gentoo's /etc/conf.d/net (issue 10), as netifrc's net/bridge.sh
applies them: ``bridge_<sysfs name>_BR`` for the bridge (times in centiseconds, vlan
filtering included) and ``brport_<sysfs name>_PORT`` for a port — read back (the old
unprefixed spelling too), merged changing only their lines, and, in a namespace, echoed
into the kernel's own sysfs files by bridge.sh's rule to give the document's values.
VLAN lists and a port's pvid have no sysfs file: a warning names each one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith import backends
from ifsmith.backends import netifrc
from ifsmith.core.files import MemoryFiles, Rendering
from ifsmith.core.model import Interface
from ifsmith.core.options import BridgeOptions, PortOptions
from ifsmith.core.xmlio import parse
from tests.netns import ip, make_netns
from tests.test_bridge_files_suse import ALL, lost, rewritten
from tests.test_roundtrip_ifupdown import diff_lines

CONF = PurePosixPath("/etc/conf.d/net")


def render(doc: str | list[Interface], view: MemoryFiles | None = None) -> Rendering:
    interfaces = parse(doc) if isinstance(doc, str) else doc
    return backends.render(backends.get("netifrc"), interfaces, view or MemoryFiles())


def test_bridge_and_port_options_are_bridge_sh_sysfs_variables() -> None:
    out = render(ALL)
    conf = out.files[CONF].decode()
    for line in (
        'bridge_priority_br0="4096"', 'bridge_hello_time_br0="200"',
        'bridge_max_age_br0="1200"', 'bridge_ageing_time_br0="60000"',
        'bridge_multicast_snooping_br0="0"', 'bridge_vlan_filtering_br0="1"',
        'brport_path_cost_eth0="100"', 'brport_priority_eth0="10"',
        'brport_path_cost_eth1="4"',
    ):  # fmt: skip
        assert line + "\n" in conf
    assert lost(out) == sorted(
        ["br0 vlans=10 20", "eth0 vlans=10 20 100-199", "eth0 pvid=10", "eth1 pvid=none"]
    )


def test_everything_written_reads_back_and_an_unchanged_round_trip_changes_no_byte() -> None:
    view = MemoryFiles(dict(render(ALL).files))
    result = netifrc.read_report(view)
    assert result.problems == []
    (br0,) = result.interfaces
    (want,) = parse(ALL)
    assert br0.bridge is not None and want.bridge is not None
    assert br0.bridge.options == replace(want.bridge.options, vlans=None)
    assert [p.port_options for p in br0.bridge.ports] == [
        PortOptions(path_cost=100, port_priority=10), PortOptions(path_cost=4)]  # fmt: skip
    assert rewritten(render([br0], view), view) == {}


ADMIN = """\
# bridge for the VMs
bridge_br0="eth0"
config_br0="192.0.2.10/24"
bridge_forward_delay_br0="0"
priority_br0="4096"
bridge_hello_time_br0="100"
brport_hairpin_mode_eth0="1"
path_cost_eth0="10"
config_eth0="null"
"""


def test_the_admins_file_keeps_its_lines_and_an_old_spelling_while_it_holds() -> None:
    view = MemoryFiles({CONF: ADMIN.encode()})
    result = netifrc.read_report(view)
    assert [i.name for i in result.interfaces] == ["br0"]  # no device "priority_br0"
    (br0,) = result.interfaces
    assert br0.bridge is not None
    assert br0.bridge.options == BridgeOptions(priority=4096, hello_time=1.0)
    assert br0.bridge.ports[0].port_options == PortOptions(path_cost=10)
    assert rewritten(render([br0], view), view) == {}
    options = replace(br0.bridge.options, priority=8192, multicast_snooping=False)
    port = replace(br0.bridge.ports[0], port_options=PortOptions(path_cost=10, port_priority=3))
    wanted = replace(br0, bridge=replace(br0.bridge, options=options, ports=(port,)))
    out = render([wanted], view)
    assert [line.rstrip("\n") for line in diff_lines(out, view)] == [
        '-priority_br0="4096"',
        '+bridge_priority_br0="8192"',
        '+bridge_multicast_snooping_br0="0"',
        '+brport_priority_eth0="3"',
    ]


def test_bad_values_are_named_and_skipped() -> None:
    view = MemoryFiles({CONF: b'bridge_br0="eth0"\nbridge_hello_time_br0="1.5"\n'
                        b'brport_path_cost_eth0="x"\n'})  # fmt: skip
    result = netifrc.read_report(view)
    (br0,) = result.interfaces
    assert br0.bridge is not None and br0.bridge.options == BridgeOptions()
    said = "\n".join(result.problems)
    assert "bridge_hello_time='1.5': not a whole number of 1/100 seconds; ignored" in said
    assert "eth0: brport_path_cost='x'" in said


# bridge.sh's rule, as netifrc documents it: for each file of the bridge's sysfs directory
# the value of bridge_<file>_<IFVAR> (or the old <file>_<IFVAR>) is echoed into it, and
# for each file of a port's brport/ directory brport_<file>_<IFVAR>.
BRIDGE_SH_RULE = r"""
. "$1"
set_from() {  # DIR PREFIX IFVAR
    for x in "$1"/*; do
        [ -f "$x" ] || continue
        n=${x##*/}
        for prefix in "" "$2"; do
            eval s=\$${prefix}${n}_$3
            if [ -n "$s" ]; then echo "$s" > "$x" || exit 1; fi
        done
    done
}
set_from /sys/class/net/br0/bridge bridge_ br0
for port in $bridge_br0; do set_from /sys/class/net/$port/brport brport_ $port; done
"""


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                    reason="n/a: needs root and iproute2 for a network namespace")  # fmt: skip
def test_bridge_sh_puts_the_values_into_the_kernel(tmp_path: Path) -> None:
    doc = ALL.replace(" ifsmith:vlan-filtering='on' ifsmith:vlans='10 20'", "")
    doc = doc.replace(" ifsmith:vlans='10 20 100-199' ifsmith:pvid='10'", "")
    doc = doc.replace(" ifsmith:pvid='none'", "")
    conf = tmp_path / "net"
    conf.write_bytes(render(doc).files[CONF])
    script = tmp_path / "bridge.sh"
    script.write_text(BRIDGE_SH_RULE)
    with make_netns("vlanfiles-") as ns:
        ip("link", "add", "br0", "type", "bridge", netns=ns)
        for port, peer in (("eth0", "peer0"), ("eth1", "peer1")):
            ip("link", "add", port, "type", "veth", "peer", "name", peer, netns=ns)
            ip("link", "set", port, "master", "br0", netns=ns)
        ran = subprocess.run(["ip", "netns", "exec", ns, "sh", str(script), str(conf)],
                             capture_output=True, text=True)  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        (br,) = json.loads(ip("-d", "-j", "link", "show", "br0", netns=ns))
        ports = {p: json.loads(ip("-d", "-j", "link", "show", p, netns=ns))[0]
                 for p in ("eth0", "eth1")}  # fmt: skip
    data = br["linkinfo"]["info_data"]
    assert (data["priority"], data["hello_time"], data["max_age"], data["ageing_time"]) == (
        4096, 200, 1200, 60000)  # fmt: skip
    assert data["mcast_snooping"] == 0
    slave = {p: v["linkinfo"]["info_slave_data"] for p, v in ports.items()}
    assert (slave["eth0"]["cost"], slave["eth0"]["priority"], slave["eth1"]["cost"]) == (
        100, 10, 4)  # fmt: skip
