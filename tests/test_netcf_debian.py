"""netcf as an oracle for the ifupdown backend: for each netcf interface XML, our
/etc/network/interfaces rendering carries the same settings as netcf's expected Debian tree
(tests/debian/schema/*.xml, Augeas "forest" notation), compared key by key after
normalising spelling.  Deliberate differences are listed with their reason."""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from pathlib import Path

import pytest
from lxml import etree

from ifsmith.backends import ifupdown
from ifsmith.core.files import MemoryFiles
from ifsmith.core.xmlio import parse

# Keys netcf writes that we express differently, and why.
DELIBERATE = {
    # netcf brings a VLAN bridge port up with "pre-up ifup X"/"post-down ifdown X" on the
    # bridge; we give the port its own "auto" stanza, which ifup -a brings up first.
    "pre-up ifup", "post-down ifdown",
    # netcf switches IPv6 SLAAC off with "echo 0 > /proc/.../autoconf"; ifupdown's inet6
    # static method already defaults to autoconf 0 and accept_ra 0.
    "pre-up echo", "post-down echo",
    # netcf adds extra IPv6 addresses with "up/down /sbin/ifconfig … inet6 add/del"; we write
    # one inet6 stanza per address (ifupdown uses only the first address line of a stanza),
    # and the test compares the resulting address sets instead.
    "up /sbin/ifconfig", "down /sbin/ifconfig",
}  # fmt: skip

# Keys that only say what the name already says: with a VLAN named PARENT.TAG, ifupdown
# (0.8+) derives the parent and tag itself; we write vlan-raw-device/vlan-id anyway.
OURS_ONLY = {"vlan_id", "bond_master"}


def netcf_tree(path: Path) -> tuple[set[str], dict[tuple[str, str], dict[str, list[str]]]]:
    """(auto names, {(iface, family): {option: [values]}}) from a netcf Debian tree."""
    root = etree.parse(str(path)).getroot()
    autos = {n.get("value") for a in root.iter("array") if a.get("label") == "auto"
             for n in a.iter("node")}  # fmt: skip
    stanzas: dict[tuple[str, str], dict[str, list[str]]] = {}
    for array in root.iter("array"):
        if array.get("label") != "iface":
            continue
        for element in array.iter("element"):
            options: dict[str, list[str]] = defaultdict(list)
            for node in element.iter("node"):
                options[node.get("label")].append(node.get("value"))
            family = options.pop("family")[0]
            stanzas[(element.get("key"), family)] = dict(options)
    return {a for a in autos if a}, stanzas


def our_stanzas(files: dict[str, bytes]) -> tuple[set[str], dict[tuple[str, str], list[dict]]]:  # type: ignore[type-arg]
    """(auto names, {(iface, family): [options of each stanza]}) from our rendering."""
    autos: set[str] = set()
    stanzas: dict[tuple[str, str], list[dict[str, list[str]]]] = defaultdict(list)
    current: dict[str, list[str]] | None = None
    for data in files.values():
        for line in data.decode().splitlines():
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if words[0] in ("auto", "allow-auto"):
                autos.update(words[1:])
                current = None
            elif words[0] == "iface":
                current = {"method": [words[3]]}
                stanzas[(words[1], words[2])].append(current)
            elif current is not None and line[:1].isspace():
                current.setdefault(words[0].replace("-", "_"), []).append(" ".join(words[1:]))
            else:
                current = None
    return autos - {"lo"}, stanzas


def addresses(options: list[dict[str, list[str]]], netcf: dict[str, list[str]] | None) -> set[str]:
    found = set()
    for opts in options:
        for text in opts.get("address", []):
            found.add(str(ipaddress.ip_interface(text)))
    if netcf is not None:
        found = set()
        # An address without a netmask (libvirt's prefix left out) is a host address.
        masks = netcf.get("netmask", []) or ["32" if ":" not in a else "128"
                                             for a in netcf.get("address", [])]  # fmt: skip
        for a, mask in zip(netcf.get("address", []), masks, strict=False):
            found.add(str(ipaddress.ip_interface(f"{a}/{mask}")))
        for up in netcf.get("up", []):
            found.add(str(ipaddress.ip_interface(up.split()[-1])))
    return found


def samples(anchors: Path) -> list[str]:
    return sorted(p.stem for p in (anchors / "netcf/tests/debian/schema").glob("*.xml")
                  if p.name != "schemas.xml")  # fmt: skip


def test_all_eighteen_debian_trees_are_compared(anchors: Path) -> None:
    assert len(samples(anchors)) == 18


@pytest.mark.parametrize(
    "name",
    [
        "bond", "bond-arp", "bond-defaults", "bridge", "bridge-bond", "bridge-empty",
        "bridge-no-address", "bridge-vlan", "ethernet-dhcp", "ethernet-static",
        "ethernet-static-no-prefix", "ipv6-autoconf", "ipv6-autoconf-dhcp", "ipv6-dhcp",
        "ipv6-local", "ipv6-static", "ipv6-static-multi", "vlan",
    ],
)  # fmt: skip
def test_our_interfaces_file_carries_netcf_settings(anchors: Path, name: str) -> None:
    xml = anchors / "netcf/tests/interface" / f"{name}.xml"
    expected_auto, expected = netcf_tree(anchors / "netcf/tests/debian/schema" / f"{name}.xml")
    rendering = ifupdown.render(parse(xml.read_bytes()), MemoryFiles())
    auto, ours = our_stanzas({str(p): d for p, d in rendering.files.items()})
    assert expected_auto <= auto, f"auto: netcf {expected_auto}, ours {auto}"
    for (iface, family), theirs in expected.items():
        mine = ours.get((iface, family))
        assert mine, f"{iface} {family}: no stanza in our rendering"
        method = theirs["method"]
        if family == "inet6" and "<autoconf/>" in xml.read_text().replace('"', "'"):
            # netcf left SLAAC to the kernel ("manual", or "dhcp" for autoconf + DHCPv6);
            # ifupdown has a method for it: "auto" (+ "dhcp 1" for stateless DHCPv6).
            want_dhcp = method == ["dhcp"]
            method = ["auto"]
            assert (mine[0].get("dhcp") == ["1"]) == want_dhcp, f"{iface}: inet6 auto dhcp"
        assert mine[0]["method"] == method, f"{iface} {family}: method"
        if "address" in theirs:
            assert addresses(mine, None) == addresses([], theirs), f"{iface} {family}: addresses"
        merged: dict[str, list[str]] = defaultdict(list)
        for opts in mine:
            for key, values in opts.items():
                merged[key].extend(values)
        for key, values in theirs.items():
            if key in ("method", "address", "netmask", "up", "down"):
                continue
            if any(f"{key} {v}".startswith(d) for v in values for d in DELIBERATE):
                continue
            if key == "vlan_raw_device" and iface == f"{values[0]}.{iface.rsplit('.', 1)[-1]}":
                assert merged.get(key, values) == values
                continue
            if key == "bond_primary" and not re.search(r"<bond\b[^>]*mode=", xml.read_text()):
                # netcf names a primary even where the mode (balance-rr by default) has
                # none; the kernel would refuse it, so we write it only where it exists.
                assert key not in merged
                continue
            if key == "mtu" and theirs["method"] == ["dhcp"] and "<bridge" not in xml.read_text():
                # ifupdown 0.8 ignores mtu in inet dhcp (inet.defn; netcf writes it anyway):
                # we write the command that sets it.
                commands = merged.get("pre_up", []) + merged.get("up", [])
                assert f"ip link set dev {iface} mtu {values[0]}" in commands, commands
                continue
            got = merged.get(key)
            if key == "hwaddress":
                values = [v.split()[-1] for v in values]
                got = [v.split()[-1] for v in got or []]
            assert got == values, f"{iface} {family}: {key} netcf {values}, ours {got}"
