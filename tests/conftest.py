"""Shared fixtures: where the anchors are, and the user-mode Linux plugin."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ANCHORS = REPO.parent / "shared" / "anchors"



@pytest.fixture(scope="session")
def anchors() -> Path:
    """../shared/anchors beside the checkout; tests that need it skip when it is absent."""
    if not ANCHORS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{ANCHORS} is missing in CI: the conformance tests cannot run")
        pytest.skip(f"{ANCHORS} is absent (a fresh clone without ../shared)")
    return ANCHORS
