"""The ifsmith.net collection as a package: ansible-galaxy builds it, ansible-test's sanity
tests pass on it, ansible-doc reads every module's documentation.

ansible-test runs with --python 3.11 and no docker.  Only the sanity tests that need no
virtual environment of their own are run (SANITY below): the others (ansible-doc, import,
pep8, pylint, validate-modules, yamllint, runtime-metadata) install pinned requirements
into a fresh venv from the network; ansible-doc itself is run directly instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / "contrib" / "ansible"
SOURCE = COLLECTIONS / "ansible_collections" / "ifsmith" / "net"
BIN = Path(sys.executable).parent
MODULES = ("ifsmith_apply", "ifsmith_facts", "ifsmith_interface")

SANITY = (
    "action-plugin-docs", "compile", "empty-init", "line-endings", "no-assert",
    "no-get-exception", "no-illegal-filenames", "no-smart-quotes", "replace-urlopen",
    "shebang", "symlinks", "use-argspec-type-path", "use-compat-six",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _ansible() -> None:
    if not (BIN / "ansible-galaxy").exists():
        pytest.skip("n/a: ansible-core is not installed in this venv (pip install -e '.[test]')")


def env(home: Path) -> dict[str, str]:
    """Tools' environment: their caches and config in HOME (a temp dir), UTF-8."""
    return {
        "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "ANSIBLE_HOME": str(home / ".ansible"),
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_NOCOLOR": "1",
    }


def copy_collection(tmp_path: Path) -> Path:
    """The collection under TMP/ansible_collections/ifsmith/net: ansible-test needs that
    path and writes tests/output inside it, which must not land in the source tree."""
    dest = tmp_path / "ansible_collections" / "ifsmith" / "net"
    shutil.copytree(SOURCE, dest, ignore=shutil.ignore_patterns("__pycache__", "output"))
    return dest


def test_the_collection_builds_with_ansible_galaxy(tmp_path: Path) -> None:
    result = subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", str(copy_collection(tmp_path)),
         "--output-path", str(tmp_path / "dist")],
        capture_output=True, text=True, env=env(tmp_path), timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    archive = tmp_path / "dist" / "ifsmith-net-0.1.0.tar.gz"
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("MANIFEST.json"))  # type: ignore[arg-type]
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == ("ifsmith", "net", "0.1.0")
    for module in MODULES:
        assert f"plugins/modules/{module}.py" in names
    assert {"plugins/action/ifsmith_apply.py", "plugins/action/ifsmith_interface.py",
            "plugins/module_utils/interface_spec.py", "plugins/module_utils/runtime.py",
            "plugins/doc_fragments/ifsmith.py",
            "playbooks/storage_network.yml", "meta/runtime.yml", "README.md"} <= names  # fmt: skip


def test_ansible_test_sanity_passes(tmp_path: Path) -> None:
    where = copy_collection(tmp_path)
    argv = [str(BIN / "ansible-test"), "sanity", "--python", "3.11", "--color", "no"]
    for test in SANITY:
        argv += ["--test", test]
    result = subprocess.run(argv, cwd=where, capture_output=True, text=True,
                            env=env(tmp_path), timeout=300)  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    for test in SANITY:
        assert f'Running sanity test "{test}"' in out  # run, not skipped


def test_ansible_test_sanity_fails_on_a_broken_module(tmp_path: Path) -> None:
    """The sanity run above can fail: a module with a syntax error and a smart quote."""
    where = copy_collection(tmp_path)
    module = where / "plugins" / "modules" / "ifsmith_facts.py"
    module.write_text(module.read_text().replace("def main() -> None:", "def main(\u201c:"))
    result = subprocess.run(
        [str(BIN / "ansible-test"), "sanity", "--python", "3.11", "--color", "no",
         "--test", "compile", "--test", "no-smart-quotes"],
        cwd=where, capture_output=True, text=True, env=env(tmp_path), timeout=300,
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "plugins/modules/ifsmith_facts.py" in out


def test_ansible_doc_reads_every_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "ansible-doc"), "--json", *(f"ifsmith.net.{m}" for m in MODULES)],
        capture_output=True, text=True, env=env(tmp_path), timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    assert set(docs) == {f"ifsmith.net.{m}" for m in MODULES}
    apply_options = docs["ifsmith.net.ifsmith_apply"]["doc"]["options"]
    assert {"xml", "src", "backend", "activate", "confirm_timeout", "probes", "root",
            "netns"} <= set(apply_options)  # root and netns from the doc fragment
    assert docs["ifsmith.net.ifsmith_apply"]["doc"]["attributes"]["check_mode"]["support"] == "full"
    assert {"bond", "bridge", "vlan", "routes", "dns"} <= set(
        docs["ifsmith.net.ifsmith_interface"]["doc"]["options"]
    )
