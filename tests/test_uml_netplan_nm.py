"""netplan with ``renderer: NetworkManager``: an interface without IPv4 stays without.

netplan.io (0.106) writes ``[ipv4] method=link-local`` into the keyfile of every definition
without IPv4 settings, ``link-local: []`` or not (TESTHOST.md §4), so NetworkManager gives an
address-less bond, bridge or VLAN trunk a 169.254/16 address.  The backend writes netplan's
``networkmanager: passthrough: {ipv4.method: disabled}`` for them.  The oracle is
``netplan generate --root-dir`` (its keyfiles, parsed); in user-mode Linux the real
NetworkManager brings the generated keyfiles up and ``ip -j addr`` is the judge.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.backends import netplan
from ifsmith.backends.keyfile_ini import KeyFile
from ifsmith.core.files import MemoryFiles, Rendering, write_rendering
from ifsmith.core.host import Host
from ifsmith.core.model import Family, IfType, Interface, IpAddress, Protocol, StartMode, Vlan
from ifsmith.core.xmlio import parse
from tests.test_uml_backends import NETWORKMANAGER, SCENARIO
from tests.umlhost import UML

NETPLAN = shutil.which("netplan") or (
    "/usr/sbin/netplan" if Path("/usr/sbin/netplan").exists() else None
)
needs_netplan = pytest.mark.skipif(NETPLAN is None, reason="netplan.io is not installed")

INSTALLER = PurePosixPath("/etc/netplan/00-installer.yaml")
NM = MemoryFiles({INSTALLER: b"network:\n  version: 2\n  renderer: NetworkManager\n"})
NETWORKD = MemoryFiles({INSTALLER: b"network:\n  version: 2\n  renderer: networkd\n"})


def scenario() -> list[Interface]:
    """The UML scenario (an 802.3ad bond carrying VLAN 100 under bridge br100) with br100
    left without an address, and VLAN 200 on the bond with a static one."""
    tops = [replace(i, protocols=()) if i.name == "br100" else i for i in parse(SCENARIO)]
    vlan200 = Interface(
        IfType.VLAN,
        "bond0.200",
        start_mode=StartMode.ONBOOT,
        protocols=(Protocol(Family.IPV4, addresses=(IpAddress("192.0.2.10", 24),)),),
        vlan=Vlan(200, "bond0"),
    )
    return [*tops, vlan200]


def rendered(view: MemoryFiles, interfaces: list[Interface]) -> MemoryFiles:
    """The view with a rendering of ``interfaces`` merged in."""
    return MemoryFiles({**view.files, **netplan.render(interfaces, view).files})


def generate(root: Path, files: MemoryFiles) -> dict[str, KeyFile]:
    """``netplan generate --root-dir``: the keyfiles it writes, by connection name."""
    write_rendering(Host(root=root), Rendering("netplan", files=files.files, mode=0o600))
    result = subprocess.run(
        [str(NETPLAN), "generate", "--root-dir", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = root / "run/NetworkManager/system-connections"
    return {
        p.stem.removeprefix("netplan-"): KeyFile.parse(p.read_bytes(), str(p))
        for p in sorted(out.glob("*.nmconnection"))
    }


@needs_netplan
def test_address_less_bond_bridge_and_trunk_get_ipv4_disabled_from_netplan(tmp_path: Path) -> None:
    keyfiles = generate(tmp_path, rendered(NM, scenario()))
    for name in ("bond0", "br100"):  # bond0.100 is a port: NetworkManager gives it no IP
        assert keyfiles[name].get("ipv4", "method") == "disabled", name
        assert keyfiles[name].get("ipv6", "method") in ("ignore", "disabled"), name
    assert keyfiles["bond0.200"].get("ipv4", "method") == "manual"
    assert keyfiles["bond0.200"].get("ipv4", "address1") == "192.0.2.10/24"


@needs_netplan
def test_without_the_passthrough_netplan_gives_them_link_local(tmp_path: Path) -> None:
    """The defect the passthrough works around (if netplan fixes it, this says so)."""
    keyfiles = generate(tmp_path, with_nm_renderer(rendered(NETWORKD, scenario())))
    assert keyfiles["bond0"].get("ipv4", "method") == "link-local"


def test_the_passthrough_is_read_back_as_no_ipv4_and_round_trips() -> None:
    files = rendered(NM, scenario())
    got, problems = netplan.read_report(files)
    assert not [p for p in problems if "networkmanager" in p], problems
    # bond0.100 is listed on its own and as br100's port: it reads back as the port only.
    # br100's forward delay of 0 is one NetworkManager cannot take (2 to 30 s): it is
    # written as 2, with a warning, and reads back so.
    want = [i for i in scenario() if i.name != "bond0.100"]
    want = [
        replace(i, bridge=replace(i.bridge, delay=2.0)) if i.bridge is not None else i
        for i in want
    ]
    assert got == want
    again = netplan.render(got, files)
    assert all(files.read(p) == data for p, data in again.files.items())


def test_an_address_given_later_drops_the_passthrough() -> None:
    files = rendered(NM, scenario())
    dhcp = (Protocol(Family.IPV4, dhcp=True),)
    with_address = [replace(i, protocols=dhcp) if i.name == "br100" else i for i in scenario()]
    doc = netplan.load_yaml(rendered(files, with_address).files[netplan.OWN_FILE], "own")
    assert "networkmanager" not in doc["network"]["bridges"]["br100"]
    assert doc["network"]["bonds"]["bond0"]["networkmanager"] == {
        "passthrough": {"ipv4.method": "disabled"}
    }


def test_the_networkd_renderer_gets_no_passthrough() -> None:
    doc = netplan.load_yaml(rendered(NETWORKD, scenario()).files[netplan.OWN_FILE], "own")
    assert all(
        "networkmanager" not in body
        for section in ("bonds", "bridges", "vlans", "ethernets")
        for body in doc["network"].get(section, {}).values()
    )


# ---------------------------------------------------------------------------------------
# The real NetworkManager in user-mode Linux.

# The condition test_uml_backends' NetworkManager script waits on: bond0 activated
# (state 100, connected), which with ipv4.method=link-local includes its 169.254 address.
CONNECTED = (
    "import subprocess, sys; "
    "out = subprocess.run(['nmcli', '-g', 'GENERAL.STATE', 'device', 'show', 'bond0'], "
    "capture_output=True, text=True).stdout; sys.exit(0 if out.startswith('100') else 1)"
)


def bond_addresses(uml: UML, netns: str, name: str, files: MemoryFiles) -> list[str]:
    """netplan's keyfiles brought up by NetworkManager; bond0's IPv4 addresses once it is
    connected."""
    root = uml.shared / name
    generate(root, files)
    shutil.copytree(
        root / "run/NetworkManager/system-connections",
        root / "etc/NetworkManager/system-connections",
    )
    uml.run(["sh", "-c", "ip link add eth0 type veth peer name p0; "
             "ip link add eth1 type veth peer name p1; ip link set p0 up; ip link set p1 up"],
            netns=netns)  # fmt: skip
    script = NETWORKMANAGER.format(
        files=f"{uml.shared_inside}/{name}", python=sys.executable, check=CONNECTED
    )
    result = uml.run(["unshare", "-m", "sh", "-c", script], netns=netns, timeout=90)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    shown = uml.run(["ip", "-j", "addr", "show", "dev", "bond0"], netns=netns)
    (link,) = json.loads(shown.stdout)
    return [a["local"] for a in link["addr_info"] if a["family"] == "inet"]


def with_nm_renderer(files: MemoryFiles) -> MemoryFiles:
    """Our own file switched to NetworkManager after rendering (so without the passthrough)."""
    text = files.files[netplan.OWN_FILE]
    assert b"networkmanager" not in text
    text = text.replace(b"version: 2", b"version: 2\n  renderer: NetworkManager")
    return MemoryFiles({**files.files, netplan.OWN_FILE: text})


@needs_netplan
def test_networkmanager_brings_the_bond_up_without_a_169_254_address(
    uml: UML, uml_netns: str
) -> None:
    addresses = bond_addresses(uml, uml_netns, f"nm-netplan-{uml_netns}", rendered(NM, scenario()))
    assert not [a for a in addresses if a.startswith("169.254.")], addresses


@needs_netplan
def test_networkmanager_gives_the_bond_169_254_without_the_passthrough(
    uml: UML, uml_netns: str
) -> None:
    """The control: the same bring-up does show the defect when the passthrough is absent."""
    files = with_nm_renderer(rendered(NETWORKD, scenario()))
    addresses = bond_addresses(uml, uml_netns, f"nm-netplan-ll-{uml_netns}", files)
    assert [a for a in addresses if a.startswith("169.254.")], addresses
