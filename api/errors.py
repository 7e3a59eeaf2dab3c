"""The exceptions ``ifsmith.api`` raises.  Each is an ``IfsmithError`` whose message is the
one the command line prints; when one is raised, nothing was changed."""

from __future__ import annotations

from ifsmith.core.errors import IfsmithError, PlanError
from ifsmith.core.errors import TxnError as TransactionError


class InvalidDefinition(IfsmithError):
    """The interface XML cannot be parsed, or fails the checks (every problem is listed,
    with its element and line); ``warnings`` holds the checks' warnings."""

    def __init__(self, message: str, warnings: list[str] | None = None) -> None:
        super().__init__(message)
        self.warnings: list[str] = warnings or []


class BackendError(IfsmithError):
    """No configuration stack was detected (and none named), the backend named is unknown
    or cannot be imported, or it refuses a value its format cannot carry safely."""


class NoSuchInterface(IfsmithError):
    """An interface named is neither defined in the files nor running."""


class Refused(IfsmithError):
    """The change is refused as asked (deleting the loopback, or a device that takes
    VLANs not named with it, a probe target that cannot be parsed)."""


class NeedsRoot(IfsmithError):
    """Changing the network needs root."""


__all__ = [
    "BackendError",
    "IfsmithError",
    "InvalidDefinition",
    "NeedsRoot",
    "NoSuchInterface",
    "PlanError",
    "Refused",
    "TransactionError",
]
