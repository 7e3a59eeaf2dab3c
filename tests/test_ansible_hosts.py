"""The ifsmith.net collection against five servers (network namespaces with their own sshd,
see tests/ansible/lab.py), driven by ansible-playbook from a controller namespace.

Each test builds its own lab, so the two can run on different xdist workers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ansible.lab import COLLECTIONS, CONTROLLER, Lab, lab, missing

pytestmark = [pytest.mark.netns, pytest.mark.slow]

EXAMPLE = COLLECTIONS / "ansible_collections/ifsmith/net/playbooks/storage_network.yml"


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Lab]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    with lab(tmp_path) as made:
        yield made


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP's counters per host."""
    rows = re.findall(r"^(h\d)\s+:\s+(.*)$", stdout, re.M)
    return {host: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
            for host, counts in rows}  # fmt: skip


def outcomes(stdout: str) -> dict[str, dict[str, str]]:
    """The lab playbook's "Show the outcome" lines: per host, what ifsmith_apply returned."""
    found = {}
    for host, text in re.findall(r'^ok: \[(h\d)\] => \{\n\s+"msg": "(outcome .*)"', stdout, re.M):
        found[host] = dict(re.findall(r"(\w+)=(\S+)", text))
    return found


def link(host: object, name: str) -> dict[str, object] | None:
    links = host.ip_json("-d", "link")  # type: ignore[attr-defined]
    return next((entry for entry in links if entry["ifname"] == name), None)


def test_rollout_changes_every_server_its_facts_show_it_and_a_rerun_changes_nothing(
    fleet: Lab,
) -> None:
    first = fleet.playbook("bridge.yml")
    assert first.returncode == 0, first.stdout + first.stderr
    assert {h: r["changed"] for h, r in recap(first.stdout).items()} == {
        h.name: 1 for h in fleet.hosts
    }
    # The batches ran one after the other: 1, 3, 1 servers.
    assert first.stdout.count("PLAY [Bridge the uplink]") == 3
    done = outcomes(first.stdout)
    for h in fleet.hosts:
        assert h.addresses("br0") == [f"{h.address}/24"] and h.addresses("eth0") == []
        assert link(h, "eth0")["master"] == "br0"  # type: ignore[index]
        assert [m["state"] for m in h.journal()] == ["committed"]
        # Confirmed over a fresh ssh connection: another TCP connection (source port)
        # than the one the change was applied over.
        applied, confirmed = done[h.name]["applied"], done[h.name]["confirmed"]
        assert applied.split(",")[0] == confirmed.split(",")[0] == CONTROLLER
        assert applied != confirmed
        assert done[h.name]["state"] == "committed"

    facts_dir = fleet.dir / "facts"
    facts_dir.mkdir()
    read = fleet.playbook("facts.yml", "-e", f"facts_dir={facts_dir}")
    assert read.returncode == 0, read.stdout + read.stderr
    for h in fleet.hosts:
        facts = json.loads((facts_dir / f"{h.name}.json").read_text())
        interfaces = {i["name"]: i for i in facts["interfaces"]}
        assert f"{h.address}/24" in interfaces["br0"]["live"]["addresses"]
        assert interfaces["br0"]["defined"]
        assert interfaces["br0"]["definition"]["bridge"] == {
            "stp": False, "delay": 0.0, "ports": [{"name": "eth0", "type": "ethernet"}]}
        assert interfaces["eth0"]["master"] == "br0"
        assert facts["check"]["agree"] is True
        assert facts["transaction"]["state"] == "committed"
        assert facts["transaction"]["id"] == done[h.name]["txn"]

    all_at_once = ("-e", json.dumps({"batches": [len(fleet.hosts)]}))
    again = fleet.playbook("bridge.yml", *all_at_once)
    assert again.returncode == 0, again.stdout + again.stderr
    assert {h: r["changed"] for h, r in recap(again.stdout).items()} == {
        h.name: 0 for h in fleet.hosts
    }
    assert all(len(h.journal()) == 1 for h in fleet.hosts)  # no transaction started


def test_check_mode_shows_the_plan_and_diff_and_changes_nothing(fleet: Lab) -> None:
    before = fleet.states()
    checked = fleet.playbook("bridge.yml", "--check", "--diff",
                             "-e", json.dumps({"batches": [len(fleet.hosts)]}))  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert {h: r["changed"] for h, r in recap(checked.stdout).items()} == {
        h.name: 1 for h in fleet.hosts
    }
    for h in fleet.hosts:  # the diff: eth0's address moves to br0
        assert f"-    address {h.address}/24\n" in checked.stdout
        assert "+iface br0 inet static\n+    bridge_ports eth0\n" in checked.stdout
    assert fleet.states() == before  # files, ip -d -j link, ip -j addr, routes
    assert all(h.journal() == [] for h in fleet.hosts)  # no transaction started

    # The XML in a file on the controller (src), in check mode; and XML ifsmith refuses.
    xml_dir = fleet.dir / "xml"
    xml_dir.mkdir()
    (xml_dir / "h1.xml").write_text(
        "<interface type='ethernet' name='eth1'>\n  <start mode='onboot'/>\n"
        "  <mtu size='1400'/>\n</interface>\n")
    from_file = fleet.playbook("from_file.yml", "--check", "--diff", "--limit", "h1",
                               "-e", f"xml_dir={xml_dir}")  # fmt: skip
    out = from_file.stdout + from_file.stderr
    assert from_file.returncode == 0, out
    assert "+auto eth1\n+iface eth1 inet manual\n+    mtu 1400\n" in from_file.stdout, out
    assert "<mtu>: size='huge' is not" in from_file.stdout, out
    assert recap(from_file.stdout)["h1"]["ignored"] == 1
    assert fleet.states() == before


def test_a_batch_that_cuts_two_servers_off_stops_the_rollout_and_they_roll_back(
    fleet: Lab,
) -> None:
    # A typo in two servers' host vars: their management address as a /32 leaves them no
    # route back to the controller once the change is live.
    for bad in ("h3", "h4"):
        (fleet.dir / "host_vars").mkdir(exist_ok=True)
        (fleet.dir / "host_vars" / f"{bad}.yml").write_text("prefix: 32\n")
    before = fleet.states()
    result = fleet.playbook("bridge.yml")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    counts = recap(result.stdout)
    # Batch 1 (h1) and the good server of batch 2 (h2) changed; the rollout stopped after
    # batch 2, so h5 never ran.
    assert counts["h1"]["changed"] == 1 and counts["h1"]["failed"] == 0
    assert counts["h2"]["changed"] == 1 and counts["h2"]["failed"] == 0
    assert counts["h3"]["failed"] == 1 and counts["h4"]["failed"] == 1
    assert "h5" not in counts
    assert "NO MORE HOSTS LEFT" in result.stdout
    for name in ("h3", "h4"):
        host = fleet.host(name)
        assert re.search(rf"fatal: \[{name}\]: FAILED!.*rolled back on the host: lost "
                         rf"connectivity to {re.escape(CONTROLLER)} \(ssh client\)",
                         result.stdout), out  # fmt: skip
        # Back as before, by an independent reader: ip -d -j link, ip -j addr, routes, files.
        assert host.state() == before[name]
        assert [m["state"] for m in host.journal()] == ["rolled-back"]
    assert fleet.host("h5").state() == before["h5"]
    assert fleet.host("h5").journal() == []
    for name in ("h1", "h2"):
        host = fleet.host(name)
        assert host.addresses("br0") == [f"{host.address}/24"]
        assert [m["state"] for m in host.journal()] == ["committed"]


def test_a_cut_the_probes_miss_is_not_confirmed_and_rolls_back_at_its_deadline(
    fleet: Lab,
) -> None:
    """Without probes the change passes on the host, but the controller cannot log in
    again to confirm it: the host's watchdog rolls it back when the window closes, and
    the controller, back in, reports why."""
    (fleet.dir / "host_vars").mkdir(exist_ok=True)
    (fleet.dir / "host_vars" / "h1.yml").write_text("prefix: 32\n")
    before = fleet.host("h1").state()
    result = fleet.playbook("bridge.yml", "--limit", "h1",
                            "-e", "auto_probes=false confirm_timeout=3")  # fmt: skip
    assert result.returncode != 0, result.stdout + result.stderr
    assert re.search(r"fatal: \[h1\]: FAILED!.*rolled back on the host: not confirmed "
                     r"within 3 s", result.stdout), result.stdout + result.stderr  # fmt: skip
    assert fleet.host("h1").state() == before
    assert [m["state"] for m in fleet.host("h1").journal()] == ["rolled-back"]


def test_example_playbook_in_check_mode_plans_bond_vlan_and_bridge_and_changes_nothing(
    fleet: Lab,
) -> None:
    before = fleet.states()
    result = fleet.playbook(EXAMPLE, "--check", "--diff")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {h: r["changed"] for h, r in recap(result.stdout).items()} == {
        h.name: 1 for h in fleet.hosts
    }
    for h in fleet.hosts:
        assert f"+    address 10.88.0.1{h.name[1:]}/24" in result.stdout
    for expected in ("+    bond-slaves eth1 eth2", "+    bond-mode 802.3ad",
                     "+    vlan-raw-device bond0", "+    bridge_ports bond0.100"):  # fmt: skip
        assert result.stdout.count(expected) == len(fleet.hosts)
    assert fleet.states() == before
    assert all(h.journal() == [] for h in fleet.hosts)
