"""ifsmith.api against a real namespace and a scratch root holding systemd-networkd files:
what it reads agrees with the command line, a plan changes nothing, apply + confirm keeps a
change, a change that cuts the probe target off rolls back by itself, rollback(to=ID)
undoes a committed change, and refusals raise the documented exceptions with nothing
changed.  The kernel is read with `ip -j`, not only with ifsmith's own reader."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import ifsmith.api as api
from tests.netns import can_make_netns, ip, make_netns, server_and_client, wait_operstate

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))

NETWORK = "etc/systemd/network/10-s0.network"
S0_FILE = "[Match]\nName=s0\n\n[Network]\nAddress=192.0.2.1/24\n"

# s0 moves to another subnet: the admin's machine (192.0.2.2) is cut off.
S0_MOVED = """<interface type='ethernet' name='s0'>
  <protocol family='ipv4'>
    <ip address='203.0.113.1' prefix='24'/>
  </protocol>
</interface>
"""

# s0 keeps its address and gains a second one in another subnet: nobody is cut off.
S0_SECOND = """<interface type='ethernet' name='s0'>
  <protocol family='ipv4'>
    <ip address='192.0.2.1' prefix='24'/>
    <ip address='198.51.100.1' prefix='24'/>
  </protocol>
</interface>
"""

BRIDGE = """<interface type='bridge' name='br9'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='10.9.0.1' prefix='24'/>
  </protocol>
  <bridge stp='off'/>
</interface>
"""


@dataclass
class Lab:
    server: str  # the host ifsmith changes: s0 192.0.2.1/24
    client: str  # the admin's machine: c0 192.0.2.2/24
    root: Path  # the server's filesystem: networkd defines s0

    @property
    def kw(self) -> dict[str, object]:
        return {"root": self.root, "netns": self.server}

    def addresses(self, name: str = "s0") -> set[str]:
        """The global addresses of NAME as `ip -j addr` reports them."""
        data = json.loads(ip("-j", "addr", "show", "dev", name, netns=self.server))
        return {f"{a['local']}/{a['prefixlen']}" for d in data for a in d["addr_info"]
                if a.get("scope") == "global"}  # fmt: skip

    def links(self) -> set[str]:
        return {d["ifname"] for d in json.loads(ip("-j", "link", netns=self.server))}

    def files(self) -> dict[str, bytes]:
        """Every file under the root but the journal (the transactions' own state)."""
        return {
            str(p.relative_to(self.root)): p.read_bytes()
            for p in self.root.rglob("*")
            if p.is_file() and "var/lib/ifsmith" not in str(p) and "run/ifsmith" not in str(p)
        }

    def network_file(self) -> str:
        return (self.root / NETWORK).read_text()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ifsmith.tui.cli", "--netns", self.server,
             "--root", str(self.root), *args],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        )  # fmt: skip


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with make_netns("api-s") as server, make_netns("api-c") as client:
        server_and_client(server, client)
        wait_operstate(server, ["s0"])
        root = tmp_path / "root"
        (root / NETWORK).parent.mkdir(parents=True)
        (root / NETWORK).write_text(S0_FILE)
        yield Lab(server, client, root)


def test_list_and_definition_show_the_live_state_beside_the_files(lab: Lab) -> None:
    by_name = {i.name: i for i in api.list_interfaces(**lab.kw)}
    assert set(by_name) == {"s0"}  # the loopback only when asked
    s0 = by_name["s0"]
    assert s0.live is not None and s0.definition is not None and s0.defined
    assert "192.0.2.1/24" in {str(a) for a in s0.live.addresses}
    doc = s0.to_json()
    assert doc["live"]["addresses"][0] == "192.0.2.1/24" and doc["defined"] is True
    assert "<ip address='192.0.2.1' prefix='24'/>" in doc["xml"]
    assert json.loads(json.dumps(doc)) == doc  # plain JSON types only
    assert "lo" in {i.name for i in api.list_interfaces(loopback=True, **lab.kw)}

    iface = api.definition("s0", **lab.kw)
    assert iface is not None
    assert [str(a) for p in iface.protocols for a in p.addresses] == ["192.0.2.1/24"]
    assert api.definition("nothing0", **lab.kw) is None


def test_check_agrees_until_the_kernel_drifts_and_says_what_as_check_json_does(lab: Lab) -> None:
    report = api.check(**lab.kw)
    assert report.agree and [i.name for i in report.interfaces] == ["s0"]
    ip("addr", "add", "192.0.2.9/24", "dev", "s0", netns=lab.server)
    report = api.check(["s0"], **lab.kw)
    assert not report.agree
    assert any("192.0.2.9/24" in line for line in report.interfaces[0].differences)
    cli = lab.cli("check", "s0", "--json")
    assert cli.returncode == 1 and json.loads(cli.stdout) == report.to_json()


def test_plan_changes_nothing_on_disk_or_in_the_kernel(lab: Lab) -> None:
    files, addresses, links = lab.files(), lab.addresses(), lab.links()
    plan = api.plan(S0_MOVED, probes=["192.0.2.2"], auto_probes=False, **lab.kw)
    assert plan.changed and plan.backend == "networkd" and plan.activate == "kernel"
    assert "add address 203.0.113.1/24 to s0" in plan.steps
    assert "remove address 192.0.2.1/24 from s0" in plan.steps
    assert [(f.path, f.change) for f in plan.files] == [(f"/{NETWORK}", "modify")]
    assert "-Address=192.0.2.1/24" in plan.diff and "+Address=203.0.113.1/24" in plan.diff
    assert plan.probes == ["192.0.2.2 (given)"]
    assert plan.to_json()["empty"] is False and plan.to_json()["schema"] == 1
    # The same diff as `ifsmith diff`.
    xml = lab.root.parent / "moved.xml"
    xml.write_text(S0_MOVED)
    assert lab.cli("diff", str(xml)).stdout == plan.diff
    assert api.plan(xml, **lab.kw).diff == plan.diff  # a path reads the file
    assert lab.files() == files and lab.addresses() == addresses and lab.links() == links
    assert not (lab.root / "var").exists()  # no journal either


def test_apply_waits_for_confirm_and_confirm_commits(lab: Lab) -> None:
    txn = api.apply(S0_SECOND, probes=["192.0.2.2"], auto_probes=False, confirm_timeout=60,
                    **lab.kw)  # fmt: skip
    assert txn is not None and txn.awaiting_confirmation, txn
    assert txn.state == "applied" and txn.probes == {"192.0.2.2 (given)": True}
    assert txn.seconds_left is not None and 0 < txn.seconds_left <= 60
    assert lab.addresses() == {"192.0.2.1/24", "198.51.100.1/24"}
    assert "Address=198.51.100.1/24" in lab.network_file()
    pending = api.status(**lab.kw)
    assert pending is not None and pending.id == txn.id and pending.watchdog == "running"

    done = api.confirm(**lab.kw)
    assert done.committed and done.id == txn.id
    assert lab.addresses() == {"192.0.2.1/24", "198.51.100.1/24"}
    # The CLI reads the same transaction the same way.
    status = lab.cli("status", "--json")
    assert json.loads(status.stdout) == api.status(**lab.kw).to_json()  # type: ignore[union-attr]
    # Applied again: nothing to change, no transaction.
    assert api.apply(S0_SECOND, auto_probes=False, **lab.kw) is None
    assert [t.id for t in api.history(**lab.kw)] == [txn.id]


def test_a_change_that_cuts_the_probe_target_off_rolls_back_by_itself(lab: Lab) -> None:
    files = lab.files()
    txn = api.apply(S0_MOVED, probes=["192.0.2.2"], auto_probes=False, confirm_timeout=60,
                    settle=1.0, **lab.kw)  # fmt: skip
    assert txn is not None and txn.rolled_back, txn
    assert txn.reason == "lost connectivity to 192.0.2.2 (given)"
    assert txn.probes == {"192.0.2.2 (given)": False} and txn.differences == []
    assert lab.addresses() == {"192.0.2.1/24"}
    assert lab.files() == files


def test_rollback_of_the_pending_change_restores_it_at_once(lab: Lab) -> None:
    txn = api.apply(S0_SECOND, auto_probes=False, confirm_timeout=60, **lab.kw)
    assert txn is not None and txn.awaiting_confirmation
    undone = api.rollback(**lab.kw)
    assert undone.rolled_back and undone.reason == "rolled back on request"
    assert lab.addresses() == {"192.0.2.1/24"} and lab.network_file() == S0_FILE


def test_rollback_to_a_committed_transaction_undoes_it_and_later_ones(lab: Lab) -> None:
    first = api.apply(S0_SECOND, auto_probes=False, confirm_timeout=0, **lab.kw)
    second = api.apply(BRIDGE, auto_probes=False, confirm_timeout=0, **lab.kw)
    assert first is not None and first.committed and second is not None and second.committed
    assert "br9" in lab.links()

    revert = api.rollback(to=first.id, auto_probes=False, confirm_timeout=0, **lab.kw)
    assert revert.committed and revert.action == "revert"
    assert lab.addresses() == {"192.0.2.1/24"} and "br9" not in lab.links()
    assert lab.network_file() == S0_FILE
    assert not list((lab.root / "etc/systemd/network").glob("*br9*"))
    # Begun by one process within a second or two: each has an id (and a journal) of its own.
    assert [t.id for t in api.history(**lab.kw)] == [first.id, second.id, revert.id]
    states = {t.id: (t.state, t.reason) for t in api.history(**lab.kw)}
    assert states[first.id] == ("rolled-back", f"reverted by transaction {revert.id}")
    assert states[second.id] == ("rolled-back", f"reverted by transaction {revert.id}")


def test_delete_removes_the_bridge_and_its_files(lab: Lab) -> None:
    made = api.apply(BRIDGE, auto_probes=False, confirm_timeout=0, **lab.kw)
    assert made is not None and made.committed and "br9" in lab.links()
    gone = api.delete(["br9"], auto_probes=False, confirm_timeout=0, **lab.kw)
    assert gone is not None and gone.committed and gone.action == "delete"
    assert "br9" not in lab.links()
    assert not list((lab.root / "etc/systemd/network").glob("*br9*"))
    assert lab.network_file() == S0_FILE


def test_wait_false_returns_once_the_watchdog_runs(lab: Lab) -> None:
    txn = api.apply(S0_SECOND, auto_probes=False, confirm_timeout=60, wait=False, **lab.kw)
    assert txn is not None and not txn.committed and not txn.rolled_back
    assert txn.state in ("prepared", "applying", "applied")
    assert api.confirm(**lab.kw).committed


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda kw: api.plan("<interface type='ethernet' name='s0'>\n  <mtu size='huge'/>\n"
                             "</interface>", **kw),
         api.InvalidDefinition, "<xml>:2: <mtu>: size='huge' is not"),
        (lambda kw: api.apply(S0_SECOND, probes=["gateway.example"], **kw),
         api.Refused, "probe target 'gateway.example'"),
        (lambda kw: api.plan(S0_SECOND, backend="nonsense", **kw),
         api.BackendError, "unknown backend 'nonsense'"),
        (lambda kw: api.plan("<interface type='ethernet' name='nothing0'/>", **kw),
         api.PlanError, "nothing0: no such network device on this host"),
        (lambda kw: api.plan(S0_SECOND, activate="sometimes", **kw),
         api.Refused, "activate must be one of auto, kernel, distro, not 'sometimes'"),
        (lambda kw: api.check(["nothing0"], **kw),
         api.NoSuchInterface, "no interface named nothing0, defined or running"),
        (lambda kw: api.delete(["lo"], **kw),
         api.Refused, "lo is the loopback interface; it cannot be deleted"),
        (lambda kw: api.confirm(**kw),
         api.TransactionError, "no transaction is waiting for confirmation"),
        (lambda kw: api.rollback(**kw), api.TransactionError, "no transaction is in progress"),
        (lambda kw: api.rollback(to="20260101", **kw),
         api.TransactionError, "no transaction 20260101"),
    ],
)
def test_refusals_raise_the_documented_error_with_the_cli_message_and_change_nothing(
    lab: Lab, call: object, error: type[Exception], message: str
) -> None:
    files, addresses = lab.files(), lab.addresses()
    with pytest.raises(error) as raised:
        call(lab.kw)  # type: ignore[operator]
    assert message in str(raised.value) and isinstance(raised.value, api.IfsmithError)
    assert lab.files() == files and lab.addresses() == addresses
    assert not (lab.root / "var/lib/ifsmith/txn").exists() or not any(
        (lab.root / "var/lib/ifsmith/txn").iterdir()
    )


def test_the_cli_prints_the_same_message_for_a_refusal(lab: Lab) -> None:
    bad = lab.root.parent / "bad.xml"
    bad.write_text("<interface type='ethernet' name='s0'>\n  <mtu size='huge'/>\n</interface>")
    with pytest.raises(api.InvalidDefinition) as raised:
        api.apply(bad, **lab.kw)
    cli = lab.cli("apply", str(bad), "--yes")
    assert cli.returncode == 1 and cli.stderr == f"ifsmith: {raised.value}\n"


def test_without_root_a_change_is_refused(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    monkeypatch.delenv("IFSMITH_TEST_NONROOT_OK", raising=False)
    with pytest.raises(api.NeedsRoot, match="changing the network needs root"):
        api.apply(S0_SECOND, **lab.kw)
    assert lab.addresses() == {"192.0.2.1/24"} and lab.network_file() == S0_FILE


def test_host_and_root_together_are_refused(tmp_path: Path) -> None:
    from ifsmith.core.host import Host

    with pytest.raises(TypeError, match="either host= or root="):
        api.status(host=Host(root=tmp_path), root=tmp_path)
    assert api.status(host=Host(root=tmp_path)) is None and api.history(root=tmp_path) == []


def test_transactions_begun_by_one_process_within_a_second_get_ids_of_their_own(
    tmp_path: Path,
) -> None:
    from ifsmith.core.host import Host
    from ifsmith.core.txn import new_id, txn_root

    host = Host(root=tmp_path)
    ids = []
    for _ in range(3):
        ids.append(new_id(host))
        (txn_root(host) / ids[-1]).mkdir(parents=True)
    assert len(set(ids)) == 3 and sorted(ids) == ids  # in the order begun
