"""The ifsmith.net collection as a package: ansible-galaxy builds it, ansible-test's sanity
tests pass on it, ansible-doc reads every module's documentation.

ansible-test runs with --python 3.11 and no docker, every one of its sanity tests.  SANITY
needs nothing but ansible-test.  WITH_REQUIREMENTS install pinned packages from PyPI into
venvs of their own (--requirements); ansible-test keeps those under HOME/.ansible/test, and
HOME for them is CACHE, a fixed directory inside this venv, so only the first run
installs (1 min 40 s to 2 min 50 s, then about 25 s for the file).  ansible-test
bootstraps pip in a new venv with a get-pip.py it downloads from
ci-files.testing.ansible.com, which this machine cannot reach: GET_PIP, written into its
cache under the name it looks for, installs pip from Python's own ensurepip wheel and then
runs `pip install` with ansible-test's arguments, as get-pip.py does.  Without PyPI those
tests skip ("n/a:").  Three of them find nothing to check here and pass on no files:
pslint (no PowerShell in the collection, and no pwsh on this machine), shellcheck (no shell
scripts, no shellcheck) and changelog (no changelogs/ directory).  Only ansible-test's
docker environments (--docker) are not used.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import re
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
    "action-plugin-docs", "compile", "empty-init", "ignores", "line-endings", "no-assert",
    "no-get-exception", "no-illegal-filenames", "no-smart-quotes", "replace-urlopen",
    "shebang", "symlinks", "use-argspec-type-path", "use-compat-six",
)  # fmt: skip
WITH_REQUIREMENTS = (
    "ansible-doc", "changelog", "import", "pep8", "pslint", "pylint",
    "runtime-metadata", "shellcheck", "validate-modules", "yamllint",
)  # fmt: skip
CACHE = BIN.parent / "ansible-test-home"
GET_PIP = '''"""Stand-in for get-pip.py: pip from ensurepip's wheel, then pip install ARGS."""
import ensurepip
import os
import subprocess
import sys

ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
ENV = dict(os.environ)  # ensurepip sets PIP_CONFIG_FILE=/dev/null in os.environ
ensurepip.bootstrap()
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *ARGS], env=ENV))
'''
OFFLINE = ("Could not fetch URL", "No matching distribution found", "Download failed")


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


def requirements_home() -> Path:
    """CACHE with GET_PIP where ansible-test looks for the pip version it bootstraps."""
    spec = importlib.util.find_spec("ansible_test")
    assert spec is not None and spec.submodule_search_locations
    source = Path(spec.submodule_search_locations[0], "_internal", "python_requirements.py")
    found = re.search(r"\bpip='([0-9.]+)'", source.read_text())
    assert found, f"no pip version in {source}"
    script = CACHE / ".ansible" / "test" / "cache" / f"get_pip_{found[1].replace('.', '_')}.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    if not script.exists() or script.read_text() != GET_PIP:
        script.write_text(GET_PIP)
    return CACHE


def sanity_with_requirements(
    where: Path, tests: tuple[str, ...]
) -> subprocess.CompletedProcess[str]:
    """ansible-test sanity --requirements TESTS in WHERE, one run at a time per CACHE."""
    home = requirements_home()
    argv = [str(BIN / "ansible-test"), "sanity", "--python", "3.11", "--color", "no",
            "--requirements"]  # fmt: skip
    for test in tests:
        argv += ["--test", test]
    with (home / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(argv, cwd=where, capture_output=True, text=True,
                                env=env(home), timeout=600)  # fmt: skip
    out = result.stdout + result.stderr
    if result.returncode != 0 and any(sign in out for sign in OFFLINE):
        pytest.skip(f"n/a: ansible-test cannot install sanity requirements from PyPI: {out[-500:]}")
    return result


def test_ansible_test_sanity_with_requirements_passes(tmp_path: Path) -> None:
    result = sanity_with_requirements(copy_collection(tmp_path), WITH_REQUIREMENTS)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    for test in WITH_REQUIREMENTS:
        assert f'Running sanity test "{test}"' in out  # run, not skipped
    assert "Skipping" not in out, out


def test_validate_modules_fails_on_a_spec_the_documentation_contradicts(tmp_path: Path) -> None:
    """The run above can fail: argument_spec's default for backend no longer the documented one."""
    where = copy_collection(tmp_path)
    module = where / "plugins" / "modules" / "ifsmith_facts.py"
    text = module.read_text()
    assert '"backend": {"type": "str", "default": "auto"}' in text
    module.write_text(text.replace('"default": "auto"}', '"default": "networkd"}'))
    result = sanity_with_requirements(where, ("validate-modules",))
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "plugins/modules/ifsmith_facts.py:0:0: doc-default-does-not-match-spec" in out, out


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
