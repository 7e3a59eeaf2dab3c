"""pytest fixtures for user-mode Linux: one UML per test worker, a fresh netns per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from tests.umlhost import UML, uml_unavailable


@pytest.fixture(scope="session")
def uml() -> Iterator[UML]:
    """A booted user-mode Linux (bonding, 8021q, dummy, bridge, veth) with its agent."""
    reason = uml_unavailable()
    if reason:
        pytest.skip(reason)
    machine = UML().start()
    try:
        yield machine
    finally:
        machine.stop()


@pytest.fixture
def uml_netns(uml: UML) -> Iterator[str]:
    """A network namespace inside UML for one test; it and what runs in it go afterwards."""
    name = f"t{os.getpid() % 10000}-{secrets.token_hex(3)}"
    uml.add_netns(name)
    try:
        yield name
    finally:
        uml.delete_netns(name)
