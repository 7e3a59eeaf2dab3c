"""Static routes and DNS in netplan YAML (issue 10): ``routes:`` and ``nameservers:`` read
into the model, edited where they stand, and checked against the real ``netplan generate``:
the networkd files and NetworkManager keyfiles it builds from our YAML read back (with our
networkd and nm-keyfile readers) as the routes and DNS we wrote."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith import backends
from ifsmith.backends import netplan, networkd, nm_keyfile
from ifsmith.core.files import MemoryFiles, write_rendering
from ifsmith.core.host import Host
from ifsmith.core.model import Dns, Interface, Route
from tests.roundtrip import edit, eth1_into_br9, unchanged_round_trip
from tests.test_backend_netplan import NETPLAN
from tests.test_netplan_anchors import by_device, normalise_ours
from tests.test_roundtrip_netplan import files
from tests.test_routes_dns_networkd import BOTH, _dns, _routes, kernel_view, model, routes_of
from tests.umlhost import UML


def test_the_xml_s_routes_and_dns_are_written_as_routes_and_nameservers() -> None:
    iface = model()
    rendering = backends.render(netplan, [iface], MemoryFiles())
    assert rendering.warnings == ()
    doc = netplan.load_yaml(rendering.files[netplan.OWN_FILE], "own")
    eth0 = doc["network"]["ethernets"]["eth0"]
    assert eth0["nameservers"] == {
        "addresses": ["192.0.2.53", "2001:db8::53"],
        "search": ["example.com", "corp.example.com"],
    }
    assert eth0["routes"] == [
        {"to": "default", "via": "192.0.2.1"},
        {"to": "10.20.0.0/16", "via": "192.0.2.254", "metric": "100"},
        {"to": "198.51.100.0/24"},  # on-link: netplan gives it scope link
        {"to": "2001:db8:1::/48", "via": "fe80::1"},
    ]
    (got,), problems = netplan.read_report(MemoryFiles(dict(rendering.files)))
    assert problems == []
    assert routes_of(got) == routes_of(iface) and got.dns == iface.dns


def _generate(tmp_path: Path, interfaces: list[Interface], renderer: str | None) -> Path:
    if NETPLAN is None:
        pytest.skip("n/a: netplan (netplan.io) is not installed")
    existing = {}
    if renderer is not None:
        path = PurePosixPath("/etc/netplan/01-renderer.yaml")
        existing[path] = f"network:\n  version: 2\n  renderer: {renderer}\n".encode()
    host = Host(root=tmp_path)
    for path, data in existing.items():
        (tmp_path / str(path).lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / str(path).lstrip("/")).write_bytes(data)
        (tmp_path / str(path).lstrip("/")).chmod(0o600)
    write_rendering(host, netplan.render(interfaces, MemoryFiles(existing)))
    result = subprocess.run(
        [NETPLAN, "generate", "--root-dir", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return tmp_path / "run"


def test_netplan_generate_builds_networkd_files_with_our_routes_and_dns(tmp_path: Path) -> None:
    iface = model()
    run = _generate(tmp_path, [iface], None)
    generated = {p.name: p.read_bytes() for p in (run / "systemd/network").iterdir()}
    # Read with our networkd reader: the same routes and DNS.
    view = MemoryFiles({networkd.DIRECTORY / name: data for name, data in generated.items()})
    (got,), problems = networkd.read_report(view)
    assert problems == []
    assert routes_of(got) == routes_of(iface) and got.dns == iface.dns
    # And our own networkd rendering of the model says what netplan's does, key by key.
    theirs = by_device(generated)
    ours = by_device(
        {p.name: b for p, b in networkd.render([iface], MemoryFiles()).files.items()}
    )
    normalise_ours(ours, theirs)
    assert ours == theirs


def test_netplan_generate_builds_keyfiles_with_our_routes_and_dns(tmp_path: Path) -> None:
    iface = model()
    run = _generate(tmp_path, [iface], "NetworkManager")
    generated = {
        p.name: p.read_bytes() for p in (run / "NetworkManager/system-connections").iterdir()
    }
    view = MemoryFiles({nm_keyfile.DIRECTORY / n: data for n, data in generated.items()})
    (got,), _problems = nm_keyfile.read_report(view)
    assert routes_of(got) == routes_of(iface) and got.dns == iface.dns


EXISTING = files(
    {
        "50-cloud-init.yaml": (
            "network:\n"
            "  version: 2\n"
            "  ethernets:\n"
            "    eno1:\n"
            "      addresses: [192.0.2.10/24]\n"
            "      routes:\n"
            "        - to: default\n"
            "          via: 192.0.2.1\n"
            "        - to: 10.20.0.0/16\n"
            "          via: 192.0.2.254\n"
            "          metric: 100\n"
            "        # the lab, on the wire\n"
            "        - to: 198.51.100.0/24\n"
            "      nameservers:\n"
            "        addresses: [192.0.2.53, 192.0.2.54]\n"
            "        search: [example.com]\n"
        ),
    }
)


def test_import_reads_routes_apart_from_the_default_route_and_nameservers() -> None:
    (eno1,) = netplan.read_files(EXISTING)
    assert eno1.ipv4 is not None and eno1.ipv4.gateway == "192.0.2.1"
    assert eno1.ipv4.routes == BOTH
    assert eno1.dns == Dns(("192.0.2.53", "192.0.2.54"), ("example.com",))
    assert unchanged_round_trip(netplan, EXISTING.files) == {"direct": [], "xml": []}


def test_one_route_or_dns_edit_changes_only_its_lines() -> None:
    new = Route("203.0.113.0", 24, "192.0.2.253")
    lines, rendering = edit(netplan, EXISTING.files, _routes("eno1", *BOTH, new), via_xml=True)
    assert lines == [
        '50-cloud-init.yaml: +        - to: "203.0.113.0/24"',
        '50-cloud-init.yaml: +          via: "192.0.2.253"',
    ]
    assert rendering.warnings == ()
    lines, _ = edit(netplan, EXISTING.files, _routes("eno1", BOTH[1]))
    assert lines == [
        "50-cloud-init.yaml: -        - to: 10.20.0.0/16",
        "50-cloud-init.yaml: -          via: 192.0.2.254",
        "50-cloud-init.yaml: -          metric: 100",
    ]
    dns = Dns(("192.0.2.53", "192.0.2.99"), ("example.com",))
    lines, _ = edit(netplan, EXISTING.files, _dns("eno1", dns), via_xml=True)
    assert lines == [
        "50-cloud-init.yaml: -        addresses: [192.0.2.53, 192.0.2.54]",
        '50-cloud-init.yaml: +        addresses: [192.0.2.53, "192.0.2.99"]',
    ]


def test_a_route_netplan_says_more_about_is_named_and_kept() -> None:
    view = files(
        {
            "50-lan.yaml": (
                "network:\n  version: 2\n  ethernets:\n    eno1:\n"
                "      addresses: [192.0.2.10/24]\n      routes:\n"
                "        - {to: 10.60.0.0/16, via: 192.0.2.254, table: 100}\n"
                "        - {to: 10.70.0.0/16, via: 192.0.2.254, on-link: true}\n"
            ),
        }
    )
    (eno1,), problems = netplan.read_report(view)
    assert any("table 100 is not modelled; kept as written" in p for p in problems), problems
    assert any("10.70.0.0/16 via 192.0.2.254: on-link not modelled" in p for p in problems)
    assert eno1.ipv4 is not None and eno1.ipv4.routes == (Route("10.70.0.0", 16, "192.0.2.254"),)
    assert unchanged_round_trip(netplan, view.files) == {"direct": [], "xml": []}
    _lines, rendering = edit(netplan, view.files, _routes("eno1"))
    assert [w.message for w in rendering.warnings] == [
        "route 10.70.0.0/16 via 192.0.2.254 with ['on-link'] removed"
    ]
    doc = netplan.load_yaml(rendering.files[PurePosixPath("/etc/netplan/50-lan.yaml")], "x")
    assert doc["network"]["ethernets"]["eno1"]["routes"] == [
        {"to": "10.60.0.0/16", "via": "192.0.2.254", "table": "100"}
    ]


def test_a_nic_becoming_a_bridge_port_gives_its_routes_and_dns_to_the_bridge() -> None:
    view = files(
        {
            "50-lan.yaml": (
                "network:\n  version: 2\n  ethernets:\n    eth1:\n"
                "      addresses: [192.0.2.10/24]\n"
                "      routes: [{to: 10.20.0.0/16, via: 192.0.2.254}]\n"
                "      nameservers: {addresses: [192.0.2.53]}\n"
            ),
        }
    )
    _lines, rendering = edit(netplan, view.files, eth1_into_br9)
    assert rendering.warnings == ()
    after = MemoryFiles({**view.files, **rendering.files})
    (br9,) = netplan.read_files(after)
    (eth1,) = netplan.read_files(view)
    assert routes_of(br9) == routes_of(eth1) and br9.dns == eth1.dns
    config = netplan.load(after)
    assert {"routes", "nameservers"}.isdisjoint(config.definitions["eth1"].data)

    def bare(ifs: list[Interface]) -> list[Interface]:
        return [replace(b, protocols=(), dns=None) for b in eth1_into_br9(ifs)]

    _lines, rendering = edit(netplan, view.files, bare)
    said = [w.message for w in rendering.warnings]
    assert any(m.startswith("route 10.20.0.0/16 via 192.0.2.254 removed") for m in said), said
    assert any(m.startswith("DNS server 192.0.2.53 removed") for m in said), said




@pytest.mark.uml
def test_our_yaml_through_netplan_and_the_real_networkd_gives_our_routes_and_dns(
    uml: UML, uml_netns: str, tmp_path: Path
) -> None:
    """Our YAML → the real `netplan generate` → the real systemd-networkd (in user-mode
    Linux): the kernel's routes and networkd's DNS are the definition's."""
    iface = model()
    run = _generate(tmp_path, [iface], None)
    units = {p.name: p.read_bytes() for p in (run / "systemd/network").iterdir()}
    seen = kernel_view(uml, uml_netns, units, iface)
    by_dst = {r[0]: r for r in seen["routes"]}
    assert by_dst["10.20.0.0/16"][1:3] == ["192.0.2.254", 100]
    assert by_dst["198.51.100.0/24"][1] is None and by_dst["198.51.100.0/24"][3] == "link"
    assert seen["link"]["DOMAINS"] == "example.com corp.example.com"
