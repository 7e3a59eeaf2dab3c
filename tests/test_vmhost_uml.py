"""README's "Story: a VM host", applied for real by each stack in user-mode Linux, and
judged by independent readers: ``ip -d -j link``, ``ip -j addr``, ``ip -j route``, ``bridge
-j vlan show`` and ping between namespaces, not ifsmith's own reader (tests/vmhost_lab.py
has the document, the neighbours and the script that drives each stack).

One document: bond0 (active-backup, two NICs, primary-reselect and grat-ARP options) is a
trunk port (VLANs 10 20 30, no untagged VLAN) of the VLAN-aware bridge br0 (own VLANs 10
and 20), tap0 an access port in VLAN 30; br0.10 holds the management address, the default
gateway, a static route and the DNS, br0.20 the storage address and an MTU.  Each stack
applies it in a fresh namespace: systemd-networkd and NetworkManager (their daemons, through
``--activate distro``), ifupdown (the real ``ifup``, ``--activate distro``) and ifsmith's
kernel activator (``--activate kernel``, with ifupdown's files).  ifupdown 0.8 does not read
a port's VLAN lines (ifupdown2's): the render warns, and the test pins what really runs
there (both ports in the kernel's VLAN 1 alone; the story does not work) and the drift
``ifsmith check`` then names.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ifsmith.core.model import Interface
from ifsmith.core.xmlio import parse
from tests.test_bridge_vlans_kernel_uml import BOTH, Lab, ids
from tests.umlhost import UML
from tests.vmhost_lab import STACKS, VMHOST_XML, apply_with, ip_json, neighbours, remove_neighbours

# The daemon or tool each stack needs inside the guest (the guest runs this machine's /).
NEEDS = {
    "networkd": "/lib/systemd/systemd-networkd",
    "networkmanager": "NetworkManager",
    "ifupdown": "ifup",
    "kernel": None,
}
DEFAULT_ONLY = {1: BOTH}  # a port the kernel added to a bridge: VLAN 1, pvid, untagged


@pytest.fixture
def lab(uml: UML, uml_netns: str) -> Iterator[Lab]:
    neighbours(uml, uml_netns)
    try:
        yield Lab(uml, uml_netns)
    finally:
        remove_neighbours(uml, uml_netns)


def state(uml: UML, ns: str) -> str:
    """What the kernel runs, for a failure's message."""
    script = "ip -br link; ip -br addr; bridge link; bridge vlan show; cat /proc/net/bonding/bond0"
    return "\n" + uml.run(["sh", "-c", script], netns=ns).stdout


def vlan_settings(iface: Interface) -> tuple[object, ...]:
    """A bridge's VLAN settings from a model: filtering, own VLANs, each port's VLANs/pvid."""
    assert iface.bridge is not None, iface
    options = iface.bridge.options
    ports = {p.name: (p.port_options.vlans, p.port_options.pvid) for p in iface.bridge.ports}
    return options.vlan_filtering, options.vlans, ports


def model_of(lines: list[str]) -> Interface:
    """The bridge of a ``dumpxml br0`` output."""
    (br0,) = (i for i in parse("\n".join(lines).encode()) if i.name == "br0")
    return br0


def test_the_readme_shows_the_document_the_stacks_apply() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert f"```xml\n{VMHOST_XML}```" in readme
    assert [i.name for i in parse(VMHOST_XML.encode())] == ["br0", "br0.10", "br0.20"]


# Known bug, found by this test and not mended yet: after the change NetworkManager keeps
# taking bond0's NICs out of the bond and putting them back for over a minute (nmcli device
# shows them deactivating / connecting in turn), so the kernel state the test reads is
# sometimes without a slave; about half the runs on a loaded machine fail.  The suspect is
# the activator's explicit `nmcli connection up` of each port beside NetworkManager's own
# activation of them.  Expected to fail until that is fixed; it passes when the bond holds.
NM_CYCLES = pytest.mark.xfail(
    reason="NetworkManager cycles bond0's slaves after the change (known bug, not mended)",
    strict=False,
)
STACK_PARAMS = [
    pytest.param(name, marks=[NM_CYCLES] if name == "networkmanager" else []) for name in STACKS
]


@pytest.mark.uml
@pytest.mark.parametrize("name", STACK_PARAMS)
def test_the_vm_host_applied_by_each_stack(uml: UML, lab: Lab, name: str) -> None:
    stack = STACKS[name]
    needs = NEEDS[name]
    if needs and not shutil.which(needs):
        pytest.skip(f"n/a: {needs} is not installed")
    ns = lab.ns
    out = apply_with(uml, ns, stack)
    said = out["said"][0]
    assert out.get("apply-rc") == ["0"], said
    assert "not-ready" not in out, said
    applied = "\n".join(out.get("apply", []))
    if stack.backend == "nm-keyfile":
        # STP is off, so a forward delay does nothing here; the render still says so.
        assert "NetworkManager cannot set a bridge forward delay of 0 s" in applied, said
    if stack.backend == "ifupdown":
        assert "bridge-pvid, bridge-vids lines are read by ifupdown2" in applied, said
    if stack.activate == "kernel":
        # The kernel activator writes the DNS into the files and says it does not apply it.
        assert "br0.10: DNS (10.10.0.53 vm.example.com) is written to the files" in applied
    assert out["dns"] == [stack.dns_shown], said

    # ip -d -j link: the bond, its options and slaves, the bridge filtering, the VLANs.
    links = {link["ifname"]: link for link in ip_json(uml, ns, "ip", "-d", "-j", "link", "show")}
    bond = links["bond0"]["linkinfo"]["info_data"]  # type: ignore[index]
    assert (bond["mode"], bond["miimon"], bond["updelay"]) == ("active-backup", 100, 200), bond
    # iproute2 names num_grat_arp (one count with num_unsol_na) num_peer_notif.
    assert (bond.get("primary"), bond["primary_reselect"], bond["num_peer_notif"]) == (
        "nic0", "better", 3), f"{bond}\n{said}"  # fmt: skip
    masters = {n: links[n].get("master") for n in ("nic0", "nic1", "bond0", "tap0")}
    assert masters == {"nic0": "bond0", "nic1": "bond0", "bond0": "br0", "tap0": "br0"}
    bridge = links["br0"]["linkinfo"]["info_data"]  # type: ignore[index]
    assert (bridge["vlan_filtering"], bridge["stp_state"]) == (1, 0), bridge
    for vlan, tag in (("br0.10", 10), ("br0.20", 20)):
        info = links[vlan]["linkinfo"]
        assert (info["info_kind"], info["info_data"]["id"], links[vlan]["link"]) == (  # type: ignore[index]
            "vlan", tag, "br0")  # fmt: skip
    assert links["br0.20"]["mtu"] == 1400

    # bridge -j vlan show: exactly the memberships defined (ifupdown: the kernel's).
    vlans = lab.vlans()
    own = vlans["br0"]
    if stack.sets_port_vlans:
        assert vlans["bond0"] == ids("10 20 30")  # tagged, no pvid, nothing untagged
        assert vlans["tap0"] == {30: BOTH}
    else:
        assert vlans["bond0"] == vlans["tap0"] == DEFAULT_ONLY
    assert {vid: own[vid] for vid in (10, 20)} == ids("10 20"), own
    # Every stack keeps the kernel's VLAN 1 (pvid, untagged) on the bridge itself.
    assert own == {1: BOTH, **ids("10 20")}, own

    # ip -j addr / route: the addresses, the default gateway, the static route.
    ipv4 = {
        a["ifname"]: sorted(f"{i['local']}/{i['prefixlen']}" for i in a["addr_info"])
        for a in ip_json(uml, ns, "ip", "-4", "-j", "addr", "show")
        if a["addr_info"] and a["ifname"] != "lo"
    }
    assert ipv4 == {"br0.10": ["10.10.0.1/24"], "br0.20": ["10.20.0.1/24"]}
    routes = ip_json(uml, ns, "ip", "-j", "route", "show")
    default = [r for r in routes if r["dst"] == "default"]
    assert [(r["gateway"], r["dev"]) for r in default] == [("10.10.0.254", "br0.10")], routes
    static = [r for r in routes if r["dst"] == "10.99.0.0/16"]
    assert [(r["gateway"], r["dev"], r.get("metric")) for r in static] == [
        ("10.10.0.253", "br0.10", 100)], routes  # fmt: skip

    # Ping across namespaces: the VLANs carry what they should, and only that.  What
    # should answer gets up to 20 s (a daemon may still be settling the bond on a loaded
    # machine), what should not 4 s.
    works = stack.sets_port_vlans
    within = 20 if works else 4
    for peer, target, what in (
        ("p10", "10.10.0.1", "VLAN 10 to br0.10"),
        ("p20", "10.20.0.1", "VLAN 20 to br0.20"),
        ("vm", "10.30.0.2", "the VM, VLAN 30 over the trunk"),
    ):
        assert lab.reaches(peer, target, within=within) is works, what + state(uml, ns)
    assert not lab.reaches("p20", "10.10.0.1"), "VLAN 20 in br0.10's subnet"
    assert not lab.reaches("sw", "10.10.0.1"), "untagged on the trunk"

    # The files and dumpxml give back the document's VLAN settings.
    (wanted,) = (i for i in parse(VMHOST_XML.encode()) if i.name == "br0")
    assert vlan_settings(model_of(out["inactive"])) == vlan_settings(wanted), said
    live = vlan_settings(model_of(out["live"]))
    if stack.sets_port_vlans:
        assert live == vlan_settings(wanted), said
        assert out["check-rc"] == ["0"], said
    else:
        assert live == (True, "10 20", {"bond0": (None, None), "tap0": (None, None)}), said
        drift = "\n".join(out["check"])
        assert out["check-rc"] == ["1"], said
        assert "bond0: bridge port vlans 10 20 30 defined" in drift, drift
        assert "tap0: bridge port pvid 30 defined, 1 running" in drift, drift
    shown = [line for line in out["apply"] if "/usr/lib/systemd/network/" not in line]
    print("\n".join(["", *shown, *out.get("watchdog", []), *out["kernel"], *out["check"]]))
    print(f"\n{name}: applied in {out['t-applied'][0]} s, ready at {out['t-ready'][0]} s; "
          f"DNS: {out.get('dns', ['?'])[0]!r}")  # fmt: skip
