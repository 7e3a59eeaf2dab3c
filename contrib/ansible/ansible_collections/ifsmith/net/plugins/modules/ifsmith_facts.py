#!/usr/bin/python
# Copyright: ifsmith contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ifsmith_facts
short_description: The host's interfaces as the kernel runs them and as the files define them
description:
  - Sets the fact C(ifsmith) with every interface, running or defined (the data of
    C(ifsmith list --json) and C(ifsmith list --inactive --json)), the comparison of the
    two (C(ifsmith check --json)) and the last transaction (C(ifsmith status --json)).
  - Changes nothing.
version_added: "0.1.0"
author:
  - ifsmith contributors (@ifsmith)
extends_documentation_fragment:
  - ifsmith.net.ifsmith
options:
  backend:
    description: Which network files to read; C(auto) is the host's detected stack.
    type: str
    default: auto
attributes:
  check_mode:
    description: Runs in check mode and reports what it would change, changing nothing.
    support: full
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
    support: full
"""

EXAMPLES = r"""
- name: Read the network
  ifsmith.net.ifsmith_facts:

- name: Stop when the files and the kernel disagree
  ansible.builtin.assert:
    that: ansible_facts.ifsmith.check.agree
    fail_msg: "{{ ansible_facts.ifsmith.check.interfaces | selectattr('differences') | list }}"
"""

RETURN = r"""
ansible_facts:
  description: The facts set.
  returned: always
  type: dict
  contains:
    ifsmith:
      description: What ifsmith sees on the host.
      type: dict
      returned: always
      contains:
        interfaces:
          description:
            - Every interface, running or defined. Each has C(name), C(live) (the kernel's
              view, an entry of C(ifsmith list --json), or null), C(defined), C(master),
              C(definition) (what the files define, as C(ifsmith dumpxml --json) shows it,
              or null) and C(xml) (the same as interface XML, or null).
          type: list
          elements: dict
          returned: always
        check:
          description: C(ifsmith check --json), the files against the kernel (C(agree)).
          type: dict
          returned: always
        transaction:
          description: The pending or last transaction (C(ifsmith status --json)), or null.
          type: dict
          returned: always
        warnings:
          description: Lines of the network files ifsmith could not read.
          type: list
          elements: str
          returned: always
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ifsmith.net.plugins.module_utils.runtime import (
    host_of,
    host_options,
    require_ifsmith,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={"backend": {"type": "str", "default": "auto"}, **host_options()},
        supports_check_mode=True,
    )
    require_ifsmith(module, api=True)
    from ifsmith import api

    host = host_of(module)
    backend = module.params["backend"]
    try:
        interfaces = api.list_interfaces(host=host, backend=backend)
        report = api.check(host=host, backend=backend)
        txn = api.status(host=host)
    except api.IfsmithError as exc:
        module.fail_json(msg=str(exc))
    facts = {
        "interfaces": [i.to_json() for i in interfaces],
        "check": report.to_json(),
        "transaction": txn.to_json() if txn is not None else None,
        "warnings": list(report.warnings),
    }
    module.exit_json(changed=False, ansible_facts={"ifsmith": facts})


if __name__ == "__main__":
    main()
