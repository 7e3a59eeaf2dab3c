"""Root conftest: pytest plugins must be declared here (not in tests/conftest.py)."""

# The user-mode Linux fixtures: `uml`, `uml_netns`.
pytest_plugins = ["tests.conftest_umlhost"]
