# Copyright: ifsmith contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every ifsmith module shares: finding ifsmith on the host, and which host it is.

ifsmith must be importable by the Python the module runs with (set
``ansible_python_interpreter`` to the Python ifsmith is installed for, e.g. its venv).
"""

from __future__ import annotations

import traceback
from typing import Any

try:
    from ifsmith.core.host import Host
except ImportError:
    Host = None  # type: ignore[assignment,misc]
    IMPORT_ERROR: str | None = traceback.format_exc()
else:
    IMPORT_ERROR = None

# The options that say which host ifsmith works on.  Both default to the machine itself;
# IFSMITH_ROOT and IFSMITH_NETNS in the session's environment are ifsmith's own way to
# point it at another root or namespace (its tests and its watchdog use them).
HOST_OPTIONS: dict[str, dict[str, Any]] = {
    "root": {"type": "path", "fallback": (None, ["IFSMITH_ROOT"])},
    "netns": {"type": "str", "fallback": (None, ["IFSMITH_NETNS"])},
}


def host_options() -> dict[str, dict[str, Any]]:
    """HOST_OPTIONS with ansible's env_fallback in place (imported here, not at the top,
    so that this file also loads where only the pure parts are wanted)."""
    from ansible.module_utils.basic import env_fallback

    return {
        key: {**spec, "fallback": (env_fallback, spec["fallback"][1])}
        for key, spec in HOST_OPTIONS.items()
    }


def require_ifsmith(module: Any, api: bool = False) -> None:
    """Fail the task, saying how to fix it, when ifsmith (with ``api``: an ifsmith that
    has the Python API, ``ifsmith.api``) cannot be imported."""
    error = IMPORT_ERROR
    if error is None and api:
        try:
            import ifsmith.api  # noqa: F401  (only: is it here?)
        except ImportError:
            error = traceback.format_exc()
    if error is not None:
        from ansible.module_utils.basic import missing_required_lib

        module.fail_json(
            msg=missing_required_lib(
                "ifsmith" + (" with its Python API (ifsmith.api)" if api else ""),
                reason="for ifsmith.net's modules (set ansible_python_interpreter to the "
                "Python ifsmith is installed for)",
            ),
            exception=error,
        )


def host_of(module: Any) -> Any:
    """The ifsmith Host of the task's root and netns options."""
    return Host.from_options(module.params.get("root"), module.params.get("netns"))
