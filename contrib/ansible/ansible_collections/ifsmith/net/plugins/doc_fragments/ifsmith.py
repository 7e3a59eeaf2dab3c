# Copyright: ifsmith contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation the ifsmith.net modules that work on a host share."""

from __future__ import annotations


class ModuleDocFragment:
    # ifsmith.net.ifsmith: what the module needs on the server, and which root and
    # namespace ifsmith works on there.
    DOCUMENTATION = r"""
requirements:
  - ifsmith importable by the module's Python (set C(ansible_python_interpreter) to the
    Python ifsmith is installed for)
options:
  root:
    description:
      - The filesystem root ifsmith reads and writes under, default C(/) (or the
        C(IFSMITH_ROOT) environment variable).
    type: path
  netns:
    description:
      - The network namespace to work on (an C(ip netns) name), default the one the module
        runs in (or the C(IFSMITH_NETNS) environment variable).
    type: str
"""
