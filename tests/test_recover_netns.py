"""`ifsmith recover` run without --netns restores a transaction begun with --netns inside
that namespace, and never into this host's own namespace (it once recreated the
namespace's veth pair there)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.netns import can_make_netns, ip, make_netns

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=f"n/a: {can_make_netns()}")

NIC = f"rcv{os.getpid() % 100000}"  # a name nothing else uses, here or in this namespace


def ifsmith(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([sys.executable, "-m", "ifsmith.tui.cli", "--root", str(root), *args],
                            capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL,
                            env=env)  # fmt: skip
    return f"{result.returncode}\n{result.stdout}{result.stderr}"


def own_links() -> set[str]:
    """The links of the namespace this test runs in (read only)."""
    return {e["ifname"] for e in json.loads(ip("-j", "link"))}


def test_recover_without_netns_restores_inside_the_namespace(tmp_path: Path) -> None:
    before_here = own_links()
    with make_netns("ifs-cli-rcv-") as ns:
        ip("link", "add", NIC, "type", "veth", "peer", "name", f"{NIC}p", netns=ns)
        ip("link", "set", NIC, "up", netns=ns)
        index = json.loads(ip("-j", "link", "show", NIC, netns=ns))[0]["ifindex"]
        doc = tmp_path / "d.xml"
        doc.write_text(f"<interface type='bridge' name='{NIC}b'><start mode='onboot'/>"
                       f"<bridge stp='off'><interface type='ethernet' name='{NIC}'/></bridge>"
                       "</interface>")  # fmt: skip
        env = dict(os.environ, IFSMITH_FAULT="after-activation")
        died = ifsmith(tmp_path, "--netns", ns, "apply", str(doc), "--yes", "--no-auto-probes",
                       "--confirm-timeout", "0", env=env)  # fmt: skip
        assert died.startswith("1\n") and "died" in died, died
        assert f"{NIC}b" in {e["ifname"] for e in json.loads(ip("-j", "link", netns=ns))}
        try:
            recovered = ifsmith(tmp_path, "recover")  # no --netns
            leaked = own_links() - before_here
            assert not leaked, f"recover made {leaked} in this namespace"
        finally:
            for name in own_links() - before_here:  # only what this test's names made
                if name.startswith(NIC):
                    ip("link", "del", name, check=False)
        assert recovered.startswith("0\n") and "not restored" not in recovered, recovered
        links = {e["ifname"]: e for e in json.loads(ip("-j", "link", netns=ns))}
        assert f"{NIC}b" not in links and "master" not in links[NIC]
        assert links[NIC]["ifindex"] == index
