#!/usr/bin/python
# Copyright: ifsmith contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ifsmith_interface
short_description: Describe one network interface in YAML and get its interface XML
description:
  - Turns a declarative description of one interface (type, name, addresses, bond, bridge
    or VLAN settings, routes, DNS) into libvirt interface XML, checked and written
    canonically by ifsmith itself, for M(ifsmith.net.ifsmith_apply).
  - Changes nothing on the host; it always reports C(changed=false).
  - Runs on the controller when ifsmith is importable there (no connection to the host),
    else on the host.
  - What ifsmith does not carry is refused with its message, never dropped.
version_added: "0.1.0"
author:
  - ifsmith contributors (@ifsmith)
requirements:
  - ifsmith importable by the Python that runs it (on the controller, or set
    C(ansible_python_interpreter) to the Python ifsmith is installed for)
options:
  name:
    description: The interface's name.
    type: str
    required: true
  type:
    description:
      - The kind of interface. Without it, C(bond), C(bridge) or C(vlan) is implied by the
        option of that name, else C(ethernet).
    type: str
    choices: [ethernet, bond, bridge, vlan]
  start:
    description: When the interface comes up (libvirt's start mode).
    type: str
    choices: [onboot, none, hotplug]
  mtu:
    description: The MTU.
    type: int
  mac:
    description: The MAC address (an ethernet's C(<mac>), any other type's C(ifsmith:mac)).
    type: str
  label:
    description: A short free-text role shown in ifsmith's TUI.
    type: str
  addresses:
    description: Static addresses as C(ADDRESS/PREFIX), IPv4 and IPv6 alike.
    type: list
    elements: str
  gateway:
    description: The IPv4 default gateway.
    type: str
  gateway6:
    description: The IPv6 default gateway.
    type: str
  dhcp:
    description: Take an IPv4 address by DHCP.
    type: bool
    default: false
  dhcp6:
    description: Run DHCPv6.
    type: bool
    default: false
  autoconf:
    description: IPv6 stateless autoconfiguration.
    type: bool
    default: false
  routes:
    description:
      - Static routes through the interface, each C(to) (a network C(ADDRESS/PREFIX)),
        optionally C(via) (the gateway; without it the route is on-link) and C(metric).
    type: list
    elements: dict
  dns:
    description: Name servers (C(servers)) and search domains (C(search)), as lists.
    type: dict
  bond:
    description:
      - A bond's settings. C(mode), C(slaves) (ethernet names, the first is the primary),
        C(miimon) with C(updelay), C(downdelay) and C(carrier), or C(arp_interval) with
        C(arp_targets) and C(arp_validate).
      - Every other key is a bonding option named as the kernel names it
        (C(lacp_rate), C(xmit_hash_policy), C(min_links), ...), written as its
        C(ifsmith:) attribute.
    type: dict
  bridge:
    description:
      - A bridge's settings. C(stp) (bool), C(delay) (forward delay in seconds) and
        C(ports), each a name (an ethernet) or a description like this one (a C(vlan) or
        C(bond) port); every other key of a port is its option (C(path_cost),
        C(port_priority), C(vlans) as a list of VLANs and ranges, C(pvid)).
      - Every other key is a bridge option (C(priority), C(hello_time), C(vlan_filtering),
        ...).
    type: dict
  vlan:
    description: A VLAN's C(tag) and C(parent) interface (and C(reorder_hdr)).
    type: dict
notes:
  - Supports check mode; the result is the same either way.
"""

EXAMPLES = r"""
- name: A bridge on VLAN 100 of bond0, with the management address
  ifsmith.net.ifsmith_interface:
    name: br100
    start: onboot
    addresses: [192.0.2.10/24]
    gateway: 192.0.2.1
    dns:
      servers: [192.0.2.53]
    bridge:
      stp: false
      ports:
        - name: bond0.100
          vlan: {tag: 100, parent: bond0}
  register: br100

- name: Apply it
  ifsmith.net.ifsmith_apply:
    xml: "{{ br100.xml }}"
"""

RETURN = r"""
xml:
  description: The interface's XML, as ifsmith writes it (canonical).
  returned: success
  type: str
  sample: "<interface type='ethernet' name='eth0'>\n  <start mode='onboot'/>\n</interface>\n"
name:
  description: The interface's name.
  returned: success
  type: str
  sample: br100
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ifsmith.net.plugins.module_utils.interface_spec import (
    ARGUMENT_SPEC,
    SpecError,
    canonical,
)
from ansible_collections.ifsmith.net.plugins.module_utils.runtime import require_ifsmith


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    require_ifsmith(module)
    try:
        xml, warnings = canonical(module.params)
    except SpecError as exc:
        module.fail_json(msg=str(exc))
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, name=module.params["name"], xml=xml)


if __name__ == "__main__":
    main()
