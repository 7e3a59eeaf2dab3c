"""A plain install has every backend (PyYAML is a runtime dependency), a backend whose
Python module is missing names it, and the first run's setup says what it installs."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from ifsmith.tui.cli import main

REPO = Path(__file__).resolve().parents[1]
RUNTIME_DIRS = ("api", "core", "backends", "tui")


def third_party_imports() -> dict[str, str]:
    """Top-level modules the shipped code imports that are not stdlib: module → file."""
    found: dict[str, str] = {}
    for folder in RUNTIME_DIRS:
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in ("ifsmith", "tests"):
                        found.setdefault(top, str(path.relative_to(REPO)))
    return found


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def installed_with(declared: set[str]) -> set[str]:
    """The distributions a plain install brings: the declared ones and, transitively,
    what they require (extras and environment-marked requirements left out)."""
    seen: set[str] = set()
    todo = list(declared)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [_name(r) for r in requires if ";" not in r]
    return seen


def test_every_module_the_code_imports_comes_with_a_plain_install() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {_name(d) for d in project["dependencies"]}
    assert "pyyaml" in declared  # the netplan backend's, not only a test extra
    present = installed_with(declared)
    dists = packages_distributions()
    imports = third_party_imports()
    assert "yaml" in imports and "lxml" in imports
    for module, where in imports.items():
        names = {_name(d) for d in dists.get(module, [module])}
        assert names & present, f"{where} imports {module}: not installed by the dependencies"


def test_a_backend_whose_module_is_missing_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # `import yaml` raises ModuleNotFoundError
    monkeypatch.delitem(sys.modules, "ifsmith.backends.netplan", raising=False)
    doc = tmp_path / "eth0.xml"
    doc.write_text("<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>")
    assert main(["--root", str(tmp_path), "render", str(doc), "--backend", "netplan"]) == 1
    err = capsys.readouterr().err
    assert "backend netplan needs the Python module yaml, which is not installed" in err
    assert "pip install PyYAML" in err
    assert main(["--root", str(tmp_path), "backends", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "netplan" not in report["available"] and "yaml" in report["missing"]["netplan"]


@pytest.mark.slow
def test_first_run_prints_each_setup_step_and_installs_all_seven_backends(
    tmp_path: Path,
) -> None:
    """scripts/run.sh on a fresh checkout (no .venv): one line per step, then ifsmith."""
    if shutil.which("python3") is None:
        pytest.skip("n/a: no python3 on PATH for scripts/setup.sh")
    checkout = tmp_path / "ifsmith"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("api", "core", "backends", "tui", "scripts"):
        shutil.copytree(REPO / name, checkout / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, checkout / name)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    result = subprocess.run([str(checkout / "scripts/run.sh"), "backends", "--json"],
                            capture_output=True, text=True, timeout=600, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    steps = [line for line in result.stderr.splitlines() if line.startswith("setup: ")]
    assert steps[0] == "setup: creating the virtual environment ./.venv"
    assert steps[1].startswith("setup: installing ifsmith and its Python packages")
    assert "PyYAML" in steps[1] and steps[-1] == "setup: done"
    report = json.loads(result.stdout)
    assert len(report["available"]) == 7 and report["missing"] == {}
    # The second run sets nothing up: no line at all.
    again = subprocess.run([str(checkout / "scripts/run.sh"), "--version"],
                           capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert again.returncode == 0 and again.stdout.startswith("ifsmith ")
    assert "setup:" not in again.stderr
