# Copyright: ifsmith contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ifsmith_interface's controller side: a pure conversion, so it runs here when the
controller has ifsmith (no round trip to the host), else as the module on the host."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.ifsmith.net.plugins.module_utils.interface_spec import (
    ARGUMENT_SPEC,
    SpecError,
    canonical,
)

try:
    # only: is it here?
    import ifsmith.core.xmlio  # noqa: F401  # pylint: disable=unused-import
except ImportError:
    LOCAL = False
else:
    LOCAL = True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if not LOCAL:
            result.update(self._execute_module(module_name="ifsmith.net.ifsmith_interface",
                                               module_args=self._task.args,
                                               task_vars=task_vars))  # fmt: skip
            return result
        try:
            _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=str(exc))
            return result
        try:
            xml, warnings = canonical(params)
        except SpecError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        if warnings:
            result["warnings"] = warnings
        result.update(changed=False, name=params["name"], xml=xml)
        return result
