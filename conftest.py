"""Root conftest: pytest plugins must be declared here (not in tests/conftest.py)."""

from pathlib import Path

# The user-mode Linux fixtures (tests/conftest_uml.py): `uml`, `uml_netns`.
pytest_plugins = (
    ["tests.conftest_uml"] if (Path(__file__).parent / "tests/conftest_uml.py").exists() else []
)
