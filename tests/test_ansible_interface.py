"""The modules by themselves (no root, no network): ifsmith_interface turns one interface
described in YAML into the XML ifsmith writes and refuses what ifsmith refuses, with its
message; a server without ifsmith's Python API is told what to install."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ifsmith.core.xmlio import parse

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / "contrib" / "ansible"
# The collection's module_utils import as ansible_collections.ifsmith.net.plugins...
sys.path.insert(0, str(COLLECTIONS))

spec = pytest.importorskip(
    "ansible_collections.ifsmith.net.plugins.module_utils.interface_spec",
    reason="n/a: ansible-core is not installed in this venv (pip install -e '.[test]')",
)

BOND = {
    "name": "bond0",
    "start": "onboot",
    "mtu": 9000,
    "bond": {"mode": "802.3ad", "miimon": 100, "lacp_rate": "fast",
             "xmit_hash_policy": "layer3+4", "min_links": 1, "slaves": ["eth1", "eth2"]},
}  # fmt: skip

BOND_XML = """\
<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='bond' name='bond0'>
  <start mode='onboot'/>
  <mtu size='9000'/>
  <bond mode='802.3ad' ifsmith:xmit-hash-policy='layer3+4' ifsmith:lacp-rate='fast' \
ifsmith:min-links='1'>
    <miimon freq='100'/>
    <interface type='ethernet' name='eth1'>
    </interface>
    <interface type='ethernet' name='eth2'>
    </interface>
  </bond>
</interface>
"""

BRIDGE = {
    "name": "br100",
    "start": "onboot",
    "addresses": ["192.0.2.10/24", "2001:db8::10/64"],
    "gateway": "192.0.2.1",
    "routes": [{"to": "10.20.0.0/16", "via": "192.0.2.254", "metric": 100}],
    "dns": {"servers": ["192.0.2.53"], "search": ["example.com"]},
    "bridge": {"stp": False, "delay": 0,
               "ports": [{"name": "bond0.100", "vlan": {"tag": 100, "parent": "bond0"}}]},
}  # fmt: skip

BRIDGE_XML = """\
<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='bridge' name='br100'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.10' prefix='24'/>
    <route gateway='192.0.2.1'/>
    <ifsmith:route address='10.20.0.0' prefix='16' gateway='192.0.2.254' metric='100'/>
  </protocol>
  <protocol family='ipv6'>
    <ip address='2001:db8::10' prefix='64'/>
  </protocol>
  <ifsmith:dns servers='192.0.2.53' search='example.com'/>
  <bridge stp='off' delay='0'>
    <interface type='vlan' name='bond0.100'>
      <vlan tag='100'>
        <interface name='bond0'/>
      </vlan>
    </interface>
  </bridge>
</interface>
"""


@pytest.mark.parametrize(("description", "xml"), [(BOND, BOND_XML), (BRIDGE, BRIDGE_XML)])
def test_a_description_becomes_canonical_interface_xml(
    description: dict[str, object], xml: str
) -> None:
    written, warnings = spec.canonical(description)
    assert written == xml
    assert warnings == []  # the VLAN's parent is judged where the change is applied
    assert parse(written)[0].name == description["name"]


def test_a_vlan_aware_bridge_with_port_options() -> None:
    written, _ = spec.canonical({"name": "br0", "bridge": {
        "stp": False, "vlan_filtering": True,
        "ports": [{"name": "eth1", "path_cost": 100, "vlans": [10, 20, "100-199"],
                   "pvid": 10}]}})  # fmt: skip
    assert "<bridge stp='off' ifsmith:vlan-filtering='on'>" in written
    assert ("<interface type='ethernet' name='eth1' ifsmith:path-cost='100' "
            "ifsmith:vlans='10 20 100-199' ifsmith:pvid='10'>") in written  # fmt: skip


def test_dhcp_and_autoconf_on_an_ethernet() -> None:
    written, _ = spec.canonical({"name": "eth0", "dhcp": True, "autoconf": True})
    assert written == (
        "<interface type='ethernet' name='eth0'>\n"
        "  <protocol family='ipv4'>\n    <dhcp/>\n  </protocol>\n"
        "  <protocol family='ipv6'>\n    <autoconf/>\n  </protocol>\n"
        "</interface>\n"
    )


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ({"name": "bond0", "bond": {"mode": "802.3ad", "slaves": ["eth1"], "lacp_speed": 1}},
         "bond0:1: <bond>: unknown attribute ifsmith:lacp-speed='1'"),
        ({"name": "eth0", "addresses": ["192.0.2.300/24"]},
         "eth0: addresses: '192.0.2.300/24' is not an address/prefix"),
        ({"name": "x0", "type": "ethernet", "bond": {"mode": "active-backup"}},
         "x0: a ethernet has no bond: settings"),
        ({"name": "v0", "vlan": {"tag": 5000, "parent": "eth0"}},
         "v0:1: <vlan>: tag='5000' is outside 1-4094"),
        ({"name": "br0", "bridge": {"ports": [{"name": "eth1", "pathcost": 5}]}},
         "br0:1: <interface name='eth1'>: unknown attribute ifsmith:pathcost='5'"),
        ({"name": "eth0", "dns": {"server": ["192.0.2.53"]}},
         "eth0: dns: unknown key 'server' (servers, search)"),
        ({"name": "bond0", "bond": {"mode": "active-backup", "updelay": 200}},
         "bond0: bond: updelay needs miimon"),
        ({"name": "bond0", "bond": {"miimon": 100, "arp_interval": 100,
                                    "arp_targets": ["192.0.2.1"]}},
         "bond0:1: <arpmon>: a bond takes <miimon> or <arpmon>, not both"),
        ({"name": "eth0", "gateway": "2001:db8::1"},
         "eth0: gateway '2001:db8::1' is not an ipv4 address"),
    ],
)  # fmt: skip
def test_what_ifsmith_refuses_is_refused_naming_it(
    description: dict[str, object], message: str
) -> None:
    with pytest.raises(spec.SpecError) as refused:
        spec.canonical(description)
    assert str(refused.value).startswith(message)


def run_module(name: str, args: dict[str, object], block: str = "") -> dict[str, object]:
    """Run the collection's module NAME as ansible-core's own module tests do (its
    arguments patched in), in a fresh Python; BLOCK: a module made unimportable there."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1])\n"
        + (f"sys.modules[{block!r}] = None\n" if block else "")
        + "from ansible.module_utils.testing import patch_module_args\n"
        f"from ansible_collections.ifsmith.net.plugins.modules import {name} as m\n"
        "with patch_module_args(json.loads(sys.stdin.read())): m.main()"
    )
    result = subprocess.run([sys.executable, "-c", code, str(COLLECTIONS)],
                            input=json.dumps(args), capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.stdout, result.stderr
    return dict(json.loads(result.stdout))


def test_the_module_on_a_host_returns_the_same_xml() -> None:
    """The module itself (as it runs on a server without the controller's shortcut)."""
    out = run_module("ifsmith_interface", BRIDGE)
    assert out["xml"] == BRIDGE_XML and out["changed"] is False

    out = run_module("ifsmith_interface", {"name": "eth0", "mtu": "big"})
    assert out["failed"] is True and "mtu" in str(out["msg"])


def test_a_server_without_ifsmith_api_is_told_what_to_install() -> None:
    out = run_module("ifsmith_facts", {}, block="ifsmith.api")
    assert out["failed"] is True
    assert "ifsmith with its Python API (ifsmith.api)" in str(out["msg"])
    assert "ansible_python_interpreter" in str(out["msg"])
