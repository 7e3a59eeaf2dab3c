"""Every bridge option and VLAN-aware bridges in SUSE's wicked files (issue 10): the ports'
path costs and priorities as BRIDGE_PATHCOSTS / BRIDGE_PORTPRIORITIES lists in BRIDGE_PORTS
order ('-' for a port without one), read back, merged into an admin's file changing only
those lines; what wicked cannot say (multicast snooping, VLAN filtering) is a warning
naming each value.

ALL below is the document the other backends' bridge-file tests share."""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePosixPath

from ifsmith import backends
from ifsmith.backends import ifcfg_suse
from ifsmith.core.files import MemoryFiles, Rendering
from ifsmith.core.model import Interface
from ifsmith.core.options import PortOptions
from ifsmith.core.xmlio import parse, to_xml
from tests.test_routes_dns_ifcfg_rh import changed

NS = "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' "
ALL = (
    f"<interface {NS}type='bridge' name='br0'>\n"
    "  <start mode='onboot'/>\n"
    "  <protocol family='ipv4'>\n"
    "    <ip address='192.0.2.10' prefix='24'/>\n"
    "  </protocol>\n"
    "  <bridge stp='on' delay='15' ifsmith:priority='4096' ifsmith:hello-time='2'"
    " ifsmith:max-age='12' ifsmith:ageing-time='600' ifsmith:multicast-snooping='off'"
    " ifsmith:vlan-filtering='on' ifsmith:vlans='10 20'>\n"
    "    <interface type='ethernet' name='eth0' ifsmith:path-cost='100'"
    " ifsmith:port-priority='10' ifsmith:vlans='10 20 100-199' ifsmith:pvid='10'>\n"
    "    </interface>\n"
    "    <interface type='ethernet' name='eth1' ifsmith:path-cost='4' ifsmith:pvid='none'>\n"
    "    </interface>\n"
    "  </bridge>\n"
    "</interface>\n"
)
# Every value of ALL, as a backend's "not written" warning names it.
VALUES = {
    "br0": ["priority=4096", "hello-time=2", "max-age=12", "ageing-time=600",
            "multicast-snooping=off", "vlan-filtering=on", "vlans=10 20"],
    "eth0": ["path-cost=100", "port-priority=10", "vlans=10 20 100-199", "pvid=10"],
    "eth1": ["path-cost=4", "pvid=none"],
}  # fmt: skip
DIR = PurePosixPath("/etc/sysconfig/network")


def render(doc: str | list[Interface], view: MemoryFiles | None = None) -> Rendering:
    interfaces = parse(doc) if isinstance(doc, str) else doc
    return backends.render(backends.get("ifcfg-suse"), interfaces, view or MemoryFiles())


def rewritten(rendering: Rendering, view: MemoryFiles) -> dict[PurePosixPath, bytes]:
    """The files a rendering writes with bytes other than the view's."""
    return {p: d for p, d in rendering.files.items() if view.read(p) != d}


def lost(rendering: Rendering) -> list[str]:
    """The values a rendering says it does not write, as 'NAME value'."""
    out = []
    for w in rendering.warnings:
        if "not written:" in w.message:
            value = w.message.split(" not written:")[0].split(" option ")[-1]
            value = value.split(") ", 1)[-1]  # a port's: "(in br0) pvid=10"
            out.append(f"{w.interface} {value}")
    return sorted(out)


def test_port_costs_and_priorities_are_lists_in_port_order_and_read_back() -> None:
    first = render(ALL)
    br0 = first.files[DIR / "ifcfg-br0"].decode()
    assert "BRIDGE_PORTS='eth0 eth1'\n" in br0
    assert "BRIDGE_PATHCOSTS='100 4'\n" in br0
    assert "BRIDGE_PORTPRIORITIES='10 -'\n" in br0
    assert "BRIDGE_PRIORITY='4096'\n" in br0 and "BRIDGE_AGEINGTIME='600'\n" in br0
    view = MemoryFiles(dict(first.files))
    (again,) = ifcfg_suse.read_files(view)
    assert again.bridge is not None
    eth0, eth1 = again.bridge.ports
    assert eth0.port_options == PortOptions(path_cost=100, port_priority=10)
    assert eth1.port_options == PortOptions(path_cost=4)
    assert rewritten(render([again], view), view) == {}  # an unchanged round trip changes no byte


def test_what_wicked_cannot_say_is_a_warning_naming_each_value() -> None:
    said = lost(render(ALL))
    assert said == sorted([
        "br0 multicast-snooping=off", "br0 vlan-filtering=on", "br0 vlans=10 20",
        "eth0 vlans=10 20 100-199", "eth0 pvid=10", "eth1 pvid=none",
    ])  # fmt: skip


def test_a_changed_cost_changes_only_that_list_in_the_admins_file() -> None:
    admin = (
        "# uplink bridge, ticket 4711\n"
        "BRIDGE='yes'\n"
        "STARTMODE='auto'\n"
        "BOOTPROTO='static'\n"
        "IPADDR='192.0.2.10/24'\n"
        'BRIDGE_PORTS="eth0 eth1"\n'
        "BRIDGE_STP='on'\n"
        "BRIDGE_FORWARDDELAY='15'\n"
        "BRIDGE_PATHCOSTS='100 -'\n"
        "ZONE='internal'\n"
    )
    view = MemoryFiles({DIR / "ifcfg-br0": admin.encode()})
    (br0,) = ifcfg_suse.read_files(view)
    assert br0.bridge is not None
    assert [p.port_options for p in br0.bridge.ports] == [PortOptions(path_cost=100),
                                                          PortOptions()]  # fmt: skip
    assert rewritten(render([br0], view), view) == {}
    eth0, eth1 = br0.bridge.ports
    eth1 = replace(eth1, port_options=PortOptions(path_cost=7, port_priority=3))
    wanted = replace(br0, bridge=replace(br0.bridge, ports=(eth0, eth1)))
    out = render([wanted], view)
    assert changed(out, view) == {
        "ifcfg-br0": ["-BRIDGE_PATHCOSTS='100 -'", "+BRIDGE_PATHCOSTS='100 7'",
                      "+BRIDGE_PORTPRIORITIES='- 3'"],
    }  # fmt: skip
    # Dropping every cost removes the list.
    ports = tuple(replace(p, port_options=PortOptions()) for p in br0.bridge.ports)
    bare = replace(br0, bridge=replace(br0.bridge, ports=ports))
    assert changed(render([bare], view), view) == {"ifcfg-br0": ["-BRIDGE_PATHCOSTS='100 -'"]}


def test_lists_that_do_not_fit_their_ports_are_reported_not_guessed() -> None:
    view = MemoryFiles({DIR / "ifcfg-br0": b"BRIDGE='yes'\nBRIDGE_PORTS='eth0'\n"
                        b"BRIDGE_PATHCOSTS='x 5'\nBRIDGE_PORTPRIORITIES='64'\n"})  # fmt: skip
    result = ifcfg_suse.read_report(view)
    (br0,) = result.interfaces
    assert br0.bridge is not None and br0.bridge.ports[0].port_options == PortOptions()
    text = "\n".join(result.problems)
    assert "BRIDGE_PATHCOSTS: 2 values for 1 BRIDGE_PORTS" in text
    assert "BRIDGE_PATHCOSTS: 'x' for eth0" in text
    assert "BRIDGE_PORTPRIORITIES: '64' for eth0" in text


def test_the_shared_document_is_canonical() -> None:
    (iface,) = parse(ALL)
    assert to_xml(iface) == ALL
