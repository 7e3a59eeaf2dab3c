#!/usr/bin/python
# Copyright: ifsmith contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ifsmith_apply
short_description: Apply interface XML as a transaction that rolls itself back
description:
  - Applies libvirt interface XML (ethernet, bond, bridge, VLAN definitions) with ifsmith,
    the same change C(ifsmith apply) makes, writing the host's own network files.
  - The change is a transaction guarded by a watchdog on the host. The watchdog probes the
    gateways, the controller's ssh connection, the DNS servers and the O(probes); when one of
    them stops answering after the change, it rolls back at once.
  - Once the probes pass, the controller resets its connection and confirms over a fresh
    one. A change that cut the controller off cannot be confirmed, and the host rolls it
    back by itself when O(confirm_timeout) runs out; the task then fails with the reason.
  - Idempotent. A definition that changes no file and nothing running reports
    C(changed=false) and starts no transaction.
version_added: "0.1.0"
author:
  - ifsmith contributors (@ifsmith)
extends_documentation_fragment:
  - ifsmith.net.ifsmith
requirements:
  - root on the host
options:
  xml:
    description:
      - The interface XML, one document (an C(<interface>) or C(<interfaces>)), or a list of
        documents applied together as one change (for example the C(xml) of several
        M(ifsmith.net.ifsmith_interface) results).
      - Exactly one of O(xml) and O(src) is required.
    type: raw
  src:
    description:
      - A file holding the interface XML, on the controller (searched like
        M(ansible.builtin.copy)'s C(src)), or on the host with O(remote_src).
    type: path
  remote_src:
    description: O(src) is a path on the host.
    type: bool
    default: false
  backend:
    description:
      - Which network files to write (C(ifcfg-rh), C(ifcfg-suse), C(ifupdown),
        C(networkd), C(nm-keyfile), C(netplan), C(netifrc)); C(auto) is the host's
        detected stack.
    type: str
    default: auto
  activate:
    description:
      - How the change is made live. C(kernel) through netlink, C(distro) through the
        backend's own reload commands, C(auto) the distro's where a daemon manages the
        interfaces, else the kernel.
    type: str
    choices: [auto, kernel, distro]
    default: auto
  confirm_timeout:
    description:
      - Seconds the controller has, once the probes pass, to reach the host again and
        confirm; after that the host rolls the change back by itself. C(0) commits as soon
        as the probes pass, without waiting for the controller.
    type: float
    default: 30
  settle:
    description: Seconds the probe targets have to answer again after the change.
    type: float
    default: 2
  probes:
    description:
      - More targets that must stay reachable, C(HOST) (ICMP) or C(HOST:PORT) (TCP).
    type: list
    elements: str
    default: []
  auto_probes:
    description:
      - Also judge the change by the targets found on the host (default gateways, ssh
        clients such as the controller, DNS servers).
    type: bool
    default: true
  transaction:
    description:
      - Set by the action plugin, not by playbooks. Confirm this transaction, which an
        earlier call started, instead of applying anything.
    type: str
notes:
  - Check mode reports the plan and the file diff; nothing is changed.
  - Diff mode shows each network file's diff.
  - The C(ifsmith) action group (C(module_defaults) C(group/ifsmith.net.ifsmith)) sets
    O(root), O(netns) and O(backend) for this module and M(ifsmith.net.ifsmith_facts).
attributes:
  check_mode:
    description: Runs in check mode and reports what it would change, changing nothing.
    support: full
  diff_mode:
    description: Returns each network file's diff (what would change, in check mode).
    support: full
"""

EXAMPLES = r"""
- name: Move the management address onto a bridge over eth0 (story 1)
  ifsmith.net.ifsmith_apply:
    xml: |
      <interface type='bridge' name='br0'>
        <start mode='onboot'/>
        <protocol family='ipv4'>
          <ip address='192.0.2.10' prefix='24'/>
        </protocol>
        <bridge stp='off'>
          <interface type='ethernet' name='eth0'/>
        </bridge>
      </interface>
    confirm_timeout: 20
    probes: [192.0.2.1, "192.0.2.53:53"]

- name: Replay exported XML
  ifsmith.net.ifsmith_apply:
    src: "host_files/{{ inventory_hostname }}.xml"
    backend: nm-keyfile
"""

RETURN = r"""
transaction:
  description: The transaction's id (none when nothing changed, or in check mode).
  returned: changed
  type: str
  sample: 20260103T101500-1a2b
state:
  description: C(committed), or C(rolled-back) (then the task failed).
  returned: changed
  type: str
  sample: committed
reason:
  description: Why the host rolled the change back.
  returned: when rolled back
  type: str
  sample: lost connectivity to 10.77.0.1 (ssh client)
probes:
  description: Each probe target and whether it answered at the last probe.
  returned: changed
  type: dict
  sample: {"10.77.0.1 (ssh client)": true}
steps:
  description: The live operations of the change, in order.
  returned: always
  type: list
  elements: str
  sample: ["create bridge br0", "move 192.0.2.10/24 from eth0 to br0"]
files:
  description: The network files the change writes or removes.
  returned: always
  type: list
  elements: str
  sample: [/etc/network/interfaces]
probes_planned:
  description: The probe targets that would judge the change (those found, and O(probes)).
  returned: always
  type: list
  elements: str
  sample: ["10.77.0.1 (ssh client)"]
not_restored:
  description: What a rollback could not restore (for the admin to see to).
  returned: when a rollback left differences
  type: list
  elements: str
diff:
  description: Each network file's diff.
  returned: in diff mode, when files change
  type: list
  elements: dict
connection:
  description: The ssh connection (C(SSH_CONNECTION) on the host) the last call came over.
  returned: always
  type: str
  sample: "10.77.0.1 40330 10.77.0.11 22"
backend:
  description: The backend whose files are written (none for a live-only change).
  returned: always
  type: str
  sample: ifupdown
activate:
  description: How the change is made live (C(kernel) or C(distro)).
  returned: always
  type: str
  sample: kernel
seconds_left:
  description: Seconds that were left to confirm when the change was applied.
  returned: when confirmed by the controller
  type: float
  sample: 28.5
connections:
  description:
    - The ssh connections (C(SSH_CONNECTION) on the host) the change was applied over and
      confirmed over; they differ, since the controller confirms over a fresh one.
  returned: when confirmed by the controller
  type: dict
  sample: {"applied": "10.77.0.1 40312 10.77.0.11 22", "confirmed": "10.77.0.1 40330 10.77.0.11 22"}
"""

import logging
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ifsmith.net.plugins.module_utils.runtime import (
    host_of,
    host_options,
    require_ifsmith,
)


def argument_spec() -> dict:
    return {
        "xml": {"type": "raw"},
        "src": {"type": "path"},
        "remote_src": {"type": "bool", "default": False},
        "backend": {"type": "str", "default": "auto"},
        "activate": {"type": "str", "default": "auto", "choices": ["auto", "kernel", "distro"]},
        "confirm_timeout": {"type": "float", "default": 30.0},
        "settle": {"type": "float", "default": 2.0},
        "probes": {"type": "list", "elements": "str", "default": []},
        "auto_probes": {"type": "bool", "default": True},
        "transaction": {"type": "str"},
        **host_options(),
    }


class Warnings(logging.Handler):
    """What ifsmith.api logs as warnings becomes the task's warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def documents(module: AnsibleModule) -> str:
    """One XML document of everything given: xml (one or several documents) or src."""
    from ifsmith.core.xmlio import parse, to_document

    given = module.params["xml"]
    if given is None:
        if not module.params["src"]:
            module.fail_json(msg="one of xml and src is required")
        try:
            with open(module.params["src"], "rb") as f:
                return f.read().decode()
        except (OSError, UnicodeDecodeError) as exc:
            module.fail_json(msg=f"{module.params['src']}: {exc}")
    if isinstance(given, str):
        return given
    if not isinstance(given, list) or not all(isinstance(d, str) for d in given):
        module.fail_json(msg="xml must be a document or a list of documents")
    interfaces = []
    for n, text in enumerate(given, 1):
        # Parsed one by one, so a message names the document it is about.
        interfaces += parse(text, f"xml[{n}]")
    return to_document(interfaces)


def plan_result(plan) -> dict:
    return {
        "steps": list(plan.steps),
        "files": [f.path for f in plan.files],
        "backend": plan.backend,
        "activate": plan.activate,
        "probes_planned": list(plan.probes),
    }


def file_diffs(plan) -> list[dict]:
    return [{"before_header": f.path, "after_header": f.path, "prepared": f.diff}
            for f in plan.files]


def finished(module: AnsibleModule, txn, result: dict) -> None:
    """Exit with a transaction's outcome: a rollback is a failure naming its reason."""
    result.update(transaction=txn.id, state=txn.state, probes=dict(txn.probes),
                  reason=txn.reason)
    if txn.differences:
        result["not_restored"] = list(txn.differences)
    if txn.rolled_back or txn.state == "failed":
        result["changed"] = False  # the host is back as it was
        module.fail_json(msg=f"{txn.id} rolled back on the host: {txn.reason}", **result)
    if txn.awaiting_confirmation:
        result["seconds_left"] = txn.seconds_left
    module.exit_json(**result)


def confirm(module: AnsibleModule, api, host, result: dict) -> None:
    """The action plugin's second call, over a fresh connection: keep the change."""
    wanted = module.params["transaction"]
    txn = api.status(host=host)
    if txn is None or txn.id != wanted:
        module.fail_json(msg=f"transaction {wanted} is not in this host's journal "
                         f"(the last one is {txn.id if txn else 'none'})", **result)
    if txn.awaiting_confirmation:
        try:
            txn = api.confirm(host=host)
        except api.TransactionError:
            txn = api.status(host=host)  # decided meanwhile: its deadline passed
    finished(module, txn, result)


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[("xml", "src")])
    require_ifsmith(module, api=True)
    from ifsmith import api

    log = Warnings()
    logging.getLogger("ifsmith.api").addHandler(log)
    host = host_of(module)
    p = module.params
    # Which ssh connection this call came over (the action plugin shows that it confirms
    # over a fresh one).
    result: dict = {"changed": True, "connection": os.environ.get("SSH_CONNECTION")}
    try:
        if p["transaction"]:
            confirm(module, api, host, result)
        xml = documents(module)
        plan = api.plan(xml, host=host, backend=p["backend"], activate=p["activate"],
                        probes=p["probes"], auto_probes=p["auto_probes"])
        result.update(plan_result(plan))
        result["changed"] = plan.changed
        if module._diff and plan.files:
            result["diff"] = file_diffs(plan)
        warnings = [*plan.warnings, *log.lines]
        for line in dict.fromkeys(warnings):
            module.warn(line)
        if module.check_mode or not plan.changed:
            module.exit_json(**result)
        log.lines.clear()
        txn = api.apply(xml, host=host, backend=p["backend"], activate=p["activate"],
                        probes=p["probes"], auto_probes=p["auto_probes"],
                        confirm_timeout=p["confirm_timeout"], settle=p["settle"], wait=True)
        if txn is None:  # the host reached the definition between plan and apply
            result.update(changed=False)
            module.exit_json(**result)
        finished(module, txn, result)
    except api.IfsmithError as exc:
        result["changed"] = False
        module.fail_json(msg=str(exc), **result)


if __name__ == "__main__":
    main()
