"""Static routes through the kernel activator, in namespaces (issue 10, items 3 and 4).

server ── 192.0.2.0/24 ── router ── 10.20.0.0/16 ── client.  The server reaches the client
only through its static route ``10.20.0.0/16 via 192.0.2.254``: the plan adds it after the
address, changes its metric, and a change that removes it cuts the client off, so it rolls
back and the route is back.  Judged with ``ip -j route``, not ifsmith's own reader.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.netns import can_make_netns, ip, make_netns

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))

XML = """\
<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.10' prefix='24'/>
{routes}  </protocol>
</interface>
"""
ROUTE = "    <ifsmith:route address='10.20.0.0' prefix='16' gateway='192.0.2.254'{metric}/>\n"


@dataclass
class Lab:
    server: str
    client: str
    root: Path

    def apply(self, routes: str, *extra: str) -> subprocess.CompletedProcess[str]:
        doc = self.root / "eth0.xml"
        doc.write_text(XML.format(routes=routes))
        return subprocess.run(
            [sys.executable, "-m", "ifsmith.tui.cli", "--netns", self.server, "--root",
             str(self.root), "apply", str(doc), "--backend", "networkd", "--activate",
             "kernel", "--yes", "--no-auto-probes", "--probe", "10.20.0.5", *extra],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def routes(self) -> list[tuple[str, str | None, int | None, str]]:
        """(destination, gateway, metric, protocol) of the server's routes to networks."""
        out = ip("-j", "route", "show", "table", "main", netns=self.server)
        return [
            (r["dst"], r.get("gateway"), r.get("metric"), r["protocol"])
            for r in json.loads(out)
            if r["dst"] not in ("default", "192.0.2.0/24")
        ]

    def reaches_client(self) -> bool:
        ping = ["ip", "netns", "exec", self.server, "ping", "-c1", "-W2", "10.20.0.5"]
        return subprocess.run(ping, capture_output=True).returncode == 0


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with (
        make_netns("ifsr-s") as server,
        make_netns("ifsr-r") as router,
        make_netns("ifsr-c") as client,
    ):
        ip("link", "add", "eth0", "netns", server, "type", "veth", "peer", "name", "r0",
           "netns", router)  # fmt: skip
        ip("link", "add", "r1", "netns", router, "type", "veth", "peer", "name", "c0",
           "netns", client)  # fmt: skip
        ip("addr", "add", "192.0.2.10/24", "dev", "eth0", netns=server)
        ip("addr", "add", "192.0.2.254/24", "dev", "r0", netns=router)
        ip("addr", "add", "10.20.0.1/16", "dev", "r1", netns=router)
        ip("addr", "add", "10.20.0.5/16", "dev", "c0", netns=client)
        for ns, dev in ((server, "eth0"), (router, "r0"), (router, "r1"), (client, "c0")):
            ip("link", "set", dev, "up", netns=ns)
        ip("route", "add", "default", "via", "10.20.0.1", netns=client)
        subprocess.run(["ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
                       check=True)  # fmt: skip
        (tmp_path / "etc/systemd/network").mkdir(parents=True)
        yield Lab(server, client, tmp_path)


def test_a_route_is_added_after_the_address_and_its_metric_changed(lab: Lab) -> None:
    assert not lab.reaches_client()
    added = lab.apply(ROUTE.format(metric=""), "--confirm-timeout", "0")
    assert added.returncode == 0, added.stdout + added.stderr
    assert "add route (ipv4) 10.20.0.0/16 via 192.0.2.254 dev eth0" in added.stdout
    assert lab.routes() == [("10.20.0.0/16", "192.0.2.254", None, "static")]
    assert lab.reaches_client()
    # The files say it too, as networkd's own [Route] (or a warning if not carried).
    said = added.stdout + added.stderr
    network = (lab.root / "etc/systemd/network/10-ifsmith-eth0.network").read_text()
    assert "Destination=10.20.0.0/16" in network or "route 10.20.0.0/16" in said

    again = lab.apply(ROUTE.format(metric=""), "--confirm-timeout", "0")
    assert "nothing to change" in again.stdout, again.stdout + again.stderr

    changed = lab.apply(ROUTE.format(metric=" metric='50'"), "--confirm-timeout", "0")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    plan = changed.stdout
    added_at = plan.index("add route (ipv4) 10.20.0.0/16 via 192.0.2.254 metric 50")
    assert added_at < plan.index("remove route (ipv4) 10.20.0.0/16 via 192.0.2.254 dev")
    assert lab.routes() == [("10.20.0.0/16", "192.0.2.254", 50, "static")]
    assert lab.reaches_client()


def test_removing_the_route_the_client_is_reached_through_rolls_back(lab: Lab) -> None:
    ip("route", "add", "10.20.0.0/16", "via", "192.0.2.254", "metric", "7", netns=lab.server)
    assert lab.reaches_client()
    cut = lab.apply("", "--confirm-timeout", "0")
    assert cut.returncode == 3, cut.stdout + cut.stderr  # rolled back
    assert "remove route (ipv4) 10.20.0.0/16 via 192.0.2.254 metric 7 dev eth0" in cut.stdout
    # The baseline had the route; the rollback put it back as it was.
    assert [r[:3] for r in lab.routes()] == [("10.20.0.0/16", "192.0.2.254", 7)]
    assert lab.reaches_client()


def test_dns_with_the_kernel_activator_is_said_to_wait_for_the_stack(lab: Lab) -> None:
    ip("route", "add", "10.20.0.0/16", "via", "192.0.2.254", netns=lab.server)
    doc = lab.root / "eth0.xml"
    routes = ROUTE.format(metric="") + "  </protocol>\n  <ifsmith:dns servers='192.0.2.53'/>\n"
    doc.write_text(XML.format(routes=routes).replace("  </protocol>\n</interface>", "</interface>"))
    out = subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", "--netns", lab.server, "--root",
         str(lab.root), "apply", str(doc), "--backend", "networkd", "--activate", "kernel",
         "--yes", "--no-auto-probes", "--probe", "10.20.0.5", "--confirm-timeout", "0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    # A namespace has no resolver manager of its own (core/resolver.py): the files only.
    assert "eth0: DNS (192.0.2.53) is written to the files; no resolver manager" in out.stdout
    assert "it takes effect when the stack next brings the interface up" in out.stdout
