# Copyright: ifsmith contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ifsmith_apply's controller side: apply, reach the host again, then confirm.

The module applies the change and returns once the host's probes pass, leaving the
transaction open.  This plugin then drops the connection it used (``reset()``: the ssh
ControlMaster stops, so the next command opens a new TCP connection and a new login) and
confirms over that fresh connection.  So the change is kept only when the controller can
still log in through the new network configuration; when it cannot, nothing is confirmed
and the host's watchdog rolls the change back by itself at its deadline, after which this
plugin reaches the host again to report why.
"""

from __future__ import annotations

import time

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

MODULE = "ifsmith.net.ifsmith_apply"
# After the deadline the watchdog needs a moment to restore the state; the controller
# keeps trying that long (at least) before it calls the host unreachable.
GRACE = 15.0
RETRY_PAUSE = 0.5


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        if args.get("transaction"):
            result.update(failed=True, msg="transaction is set by the action plugin only")
            return result
        if args.get("src") and not args.get("remote_src"):
            try:
                args["xml"] = self._controller_file(args.pop("src"))
            except AnsibleError as exc:
                result.update(failed=True, msg=to_text(exc))
                return result
        args.pop("remote_src", None)

        started = self._execute_module(module_name=MODULE, module_args=args,
                                       task_vars=task_vars)  # fmt: skip
        result.update(started)
        if started.get("failed") or self._task.check_mode or not started.get("changed"):
            return result
        if started.get("state") != "applied":  # committed already (confirm_timeout 0)
            return result
        applied_from = started.get("connection")
        deadline = time.monotonic() + float(started.get("seconds_left") or 0)
        confirmed = self._confirm(args, started["transaction"], deadline, task_vars)
        if confirmed is None:
            result.update(
                unreachable=True,
                changed=False,
                msg=f"the controller could not reach {self._host()} again after the change; "
                f"{started['transaction']} was not confirmed, so the host rolls it back by "
                "itself (its status says how it ended)",
            )
            return result
        result.update(confirmed)
        result["connections"] = {"applied": applied_from, "confirmed": confirmed.get("connection")}
        return result

    def _controller_file(self, src):
        path = self._find_needle("files", src)
        real = self._loader.get_real_file(path, decrypt=True)
        try:
            with open(real, "rb") as f:
                return f.read().decode()
        except (OSError, UnicodeDecodeError) as exc:
            raise AnsibleError(f"{src}: {exc}") from exc
        finally:
            self._loader.cleanup_tmp_file(real)

    def _host(self):
        return self._play_context.remote_addr or self._task.delegate_to or "the host"

    def _confirm(self, args, transaction, deadline, task_vars):
        """The module's confirm call over a fresh connection, retried until the host's
        deadline (and GRACE after it, for the final state); None if never reached."""
        confirm_args = {k: args[k] for k in ("root", "netns") if args.get(k) is not None}
        confirm_args["transaction"] = transaction
        give_up = deadline + GRACE
        while True:
            self._connection.reset()
            try:
                return self._execute_module(module_name=MODULE, module_args=confirm_args,
                                            task_vars=task_vars)  # fmt: skip
            except AnsibleConnectionFailure as exc:
                self._display.vvv(f"ifsmith_apply: {self._host()} not reachable yet: {exc}")
                if time.monotonic() >= give_up:
                    return None
                time.sleep(RETRY_PAUSE)
