"""netplan and bridges (issue 10): a port's path cost and priority are the bridge's
``parameters:`` mappings, port → value, which `netplan generate` turns into the networkd keys
ours are; netplan has no VLAN filtering, so a VLAN-aware bridge's values are warnings."""

from __future__ import annotations

from pathlib import Path

from ifsmith import backends
from ifsmith.backends import netplan
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Interface
from ifsmith.core.options import PortOptions
from ifsmith.core.xmlio import parse, to_xml
from tests.test_bridge_vlans_xml import FULL, doc


def xml(interfaces: list[Interface]) -> list[str]:
    return [to_xml(i) for i in interfaces]


NP_PORTS = doc(
    " ifsmith:priority='4096'",
    " ifsmith:path-cost='100' ifsmith:port-priority='32'",
    " ifsmith:port-priority='7'",
)


def test_netplan_does_not_claim_vlan_filtering() -> None:
    assert "bridge-vlans" not in netplan.CARRIES
    rendering = backends.render(netplan, parse(FULL), MemoryFiles())
    said = [w.message for w in rendering.warnings]
    assert "bridge port option (in br0) pvid=10 not written: netplan does not carry it" in said
    assert b"vlan" not in b"".join(rendering.files.values()).lower()


def test_netplan_writes_and_reads_a_ports_path_cost_and_priority() -> None:
    rendering = backends.render(netplan, parse(NP_PORTS), MemoryFiles())
    assert not [w for w in rendering.warnings if "not written" in w.message]
    (data,) = rendering.files.values()
    assert (
        '        path-cost:\n          "eth0": 100\n'
        '        port-priority:\n          "eth0": 32\n          "eth1": 7\n'
    ) in data.decode()
    files = MemoryFiles(dict(rendering.files))
    assert xml(netplan.read_files(files)) == [NP_PORTS]
    assert netplan.render(netplan.read_files(files), files).files == rendering.files


def test_netplan_keeps_an_admins_flow_mapping_and_changes_only_the_value() -> None:
    path = "/etc/netplan/01-br.yaml"
    admin = (
        b"network:\n  version: 2\n  ethernets:\n    eth0: {}\n    eth1: {}\n"
        b"  bridges:\n    br0:\n      interfaces: [eth0, eth1]\n      parameters:\n"
        b"        stp: false\n        priority: 4096\n        path-cost: {eth0: 100}\n"
        b"        port-priority: {eth0: 32, eth1: 7}\n"
        b"        max-age: 12 # the admin's comment\n"
    )
    files = MemoryFiles({path: admin})
    (br0,) = netplan.read_files(files)
    eth0, eth1 = br0.bridge.ports  # type: ignore[union-attr]
    assert eth0.port_options == PortOptions(path_cost=100, port_priority=32)
    assert eth1.port_options == PortOptions(port_priority=7)
    assert netplan.render([br0], files).files.get(Path(path), admin) == admin  # type: ignore[call-overload]
    changed = parse(to_xml(br0).replace("ifsmith:path-cost='100'", "ifsmith:path-cost='50'"))
    data = netplan.render(changed, files).files[Path(path)]  # type: ignore[index]
    assert b"max-age: 12 # the admin's comment" in data
    files2 = MemoryFiles({path: data})
    assert netplan.read_files(files2)[0].bridge.ports[0].port_options.path_cost == 50  # type: ignore[union-attr]


def test_netplan_says_stp_off_where_a_bridge_without_stp_gets_parameters() -> None:
    """netplan turns STP on for a bridge with parameters but no stp; a bridge without stp
    is the kernel's default (off) in the model: the render says it."""
    text = NP_PORTS.replace(" stp='off'", "")
    (data,) = backends.render(netplan, parse(text), MemoryFiles()).files.values()
    assert "      parameters:\n        stp: false\n        priority: 4096\n" in data.decode()


def test_netplan_generate_turns_the_ports_options_into_our_networkd_keys(tmp_path: Path) -> None:
    from tests.test_backend_netplan import compare_with_ours, generate

    interfaces = parse(NP_PORTS)
    compare_with_ours(generate(tmp_path, interfaces), interfaces)
