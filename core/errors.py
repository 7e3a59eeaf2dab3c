"""Errors a user can act on.  The command line prints them without a traceback."""

from __future__ import annotations


class IfsmithError(Exception):
    """Refused or invalid: the message names what is wrong; exit code 1."""

    exit_code = 1


class UsageError(IfsmithError):
    """The command line itself is wrong; exit code 2."""

    exit_code = 2


class TxnError(IfsmithError):
    """A transaction cannot start (another one runs, one was never finished, no root, a
    checkpoint that cannot be written), or there is none to confirm or roll back."""


class PlanError(IfsmithError):
    """The definitions cannot be made live (e.g. a missing NIC)."""
