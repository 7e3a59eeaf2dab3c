"""The DHCP clients that follow a change made by the kernel activator (no daemon).

No DHCP client runs here (it could rewrite this machine's /etc/resolv.conf): ifupdown's
commands are compared with what ``ifup --no-act`` prints, and the transaction's part is
driven with stand-in clients (a ``sleep`` whose pid file the stand-in commands write and
remove).  tests/test_uml_dhcp_bridge.py runs the real dhclient in user-mode Linux.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from ifsmith import backends
from ifsmith.backends import DhcpClient, carry_duid, ifcfg_rh, ifupdown, kernel, netifrc
from ifsmith.core import txn as txnmod
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
from ifsmith.core.model import Family
from ifsmith.core.plan import make_plan
from ifsmith.core.xmlio import parse
from tests.netns import can_make_netns, ip, ip_batch, make_netns


def no_act(tool: str, stanza: str, name: str, tmp_path: Path) -> list[str]:
    """The dhclient command line ``ifup``/``ifdown --no-act`` prints for NAME's stanza."""
    interfaces = tmp_path / "interfaces"
    interfaces.write_text(f"iface {name} {stanza}\n")
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    force = ["--force"] if tool == "ifdown" else []
    shown = subprocess.run(
        [tool, "--no-act", "-v", "-i", str(interfaces), "--state-dir", str(state), *force, name],
        capture_output=True,
        text=True,
    )
    line = next(x for x in (shown.stdout + shown.stderr).splitlines() if "dhclient" in x)
    # inet.defn's shell: CLIENT="-i"; dhclient … $CLIENT …
    return line.split(";")[-1].replace("$CLIENT", "-i").split()


@pytest.mark.skipif(shutil.which("ifup") is None, reason="ifupdown is not installed")
@pytest.mark.parametrize("family, stanza", [(Family.IPV4, "inet dhcp"),
                                            (Family.IPV6, "inet6 dhcp")])  # fmt: skip
def test_ifupdown_runs_the_dhclient_ifup_runs_without_waiting_and_stops_it_without_release(
    tmp_path: Path, family: Family, stanza: str
) -> None:
    client = next(c for c in ifupdown.dhcp_clients(Host(), "br0") if c.family is family)
    up = no_act("ifup", stanza, "br0", tmp_path)
    down = no_act("ifdown", stanza, "br0", tmp_path)
    assert [a for a in client.start if a != "-nw"] == up
    assert client.start[-2:] == ["-nw", "br0"]
    # ifdown releases (-r); the transaction stops the client without releasing (-x).
    assert client.stop == [("-x" if a == "-r" else a) for a in down]
    assert str(client.pidfile) == up[up.index("-pf") + 1]
    assert str(client.duid_file) == up[up.index("-lf") + 1]


def test_ifupdown_client_files_lie_under_the_hosts_root(tmp_path: Path) -> None:
    (v4, _) = ifupdown.dhcp_clients(Host(root=tmp_path), "br0")
    assert v4.pidfile == tmp_path / "run/dhclient.br0.pid"
    assert v4.duid_file == tmp_path / "var/lib/dhcp/dhclient.br0.leases"
    assert f"{tmp_path}/var/lib/dhcp/dhclient6.br0.leases" in v4.start


def test_a_daemon_backend_has_no_dhcp_client() -> None:
    assert backends.dhcp_clients(backends.get("networkd"), Host(), "br0") == []



def test_ifcfg_rh_uses_the_lease_file_ifup_eth_would_choose(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    scripts = tmp_path / "etc/sysconfig/network-scripts"
    scripts.mkdir(parents=True)
    (scripts / "ifcfg-br0").write_text("DEVICE=br0\nTYPE=Bridge\nBOOTPROTO=dhcp\nUUID=u-1\n")
    (v4, v6) = ifcfg_rh.dhcp_clients(host, "br0")
    assert v4.duid_file == tmp_path / "var/lib/dhclient/dhclient-u-1-br0.lease"
    assert v6.duid_file == tmp_path / "var/lib/dhclient/dhclient6-u-1-br0.lease"
    assert v4.pidfile == tmp_path / "run/dhclient-br0.pid"
    # A lease file of the old name, and a per-device configuration, are used when present.
    (tmp_path / "var/lib/dhclient").mkdir(parents=True)
    (tmp_path / "var/lib/dhclient/dhclient-br0.leases").write_text("")
    (tmp_path / "etc/dhcp").mkdir()
    (tmp_path / "etc/dhcp/dhclient-br0.conf").write_text("send host-name \"h\";\n")
    (v4, _) = ifcfg_rh.dhcp_clients(host, "br0")
    assert v4.start == [
        "dhclient", "-1", "-q", "-cf", f"{tmp_path}/etc/dhcp/dhclient-br0.conf",
        "-lf", f"{tmp_path}/var/lib/dhclient/dhclient-br0.leases",
        "-pf", f"{tmp_path}/run/dhclient-br0.pid", "-nw", "br0",
    ]  # fmt: skip
    assert v4.stop[:2] == ["dhclient", "-x"] and v4.stop[-1] == "br0"


@pytest.mark.parametrize("conf, installed, tool", [
    ("", True, "dhcpcd"),
    ("", False, "dhclient"),
    ('modules="dhclient"\n', True, "dhclient"),
    ('modules_br0="!dhcpcd"\n', True, "dhclient"),
    ('modules="dhcpcd"\n', False, "dhcpcd"),
])  # fmt: skip
def test_netifrc_runs_the_client_its_dhcp_module_would(
    tmp_path: Path, conf: str, installed: bool, tool: str
) -> None:
    (tmp_path / "etc/conf.d").mkdir(parents=True)
    (tmp_path / "etc/conf.d/net").write_text(conf + 'config_br0="dhcp"\n')
    if installed:
        (tmp_path / "sbin").mkdir()
        (tmp_path / "sbin/dhcpcd").write_text("")
    (client,) = netifrc.dhcp_clients(Host(root=tmp_path), "br0")
    assert client.start[0] == tool and client.stop[:2] == [tool, "-x"]
    assert client.pidfile.name == ("br0.pid" if tool == "dhcpcd" else "dhclient-br0.pid")


DONOR = b'default-duid "\\000\\001\\000\\0012\\244%\\376";\nlease {\n  interface "eth0";\n}\n'


def client(tmp: Path, name: str) -> DhcpClient:
    return DhcpClient(Family.IPV4, tmp / f"{name}.pid", [], [], tmp / f"dhclient.{name}.leases")


def test_the_bridge_client_takes_the_duid_of_its_ports_client_and_keeps_its_leases(
    tmp_path: Path,
) -> None:
    eth0, br0 = client(tmp_path, "eth0"), client(tmp_path, "br0")
    assert eth0.duid_file is not None and br0.duid_file is not None
    eth0.duid_file.write_bytes(DONOR)
    br0.duid_file.write_bytes(b'default-duid "old";\nlease {\n  interface "br0";\n}\n')
    assert carry_duid(br0, eth0)
    assert br0.duid_file.read_bytes() == (
        b'default-duid "\\000\\001\\000\\0012\\244%\\376";\nlease {\n  interface "br0";\n}\n'
    )


def test_without_a_duid_of_the_port_the_bridge_client_is_left_alone(tmp_path: Path) -> None:
    eth0, br0 = client(tmp_path, "eth0"), client(tmp_path, "br0")
    assert not carry_duid(br0, eth0)  # eth0 never ran a client
    assert eth0.duid_file is not None and br0.duid_file is not None
    eth0.duid_file.write_bytes(b"lease {\n}\n")
    assert not carry_duid(br0, eth0)
    assert not br0.duid_file.exists()


def test_a_client_runs_while_the_process_of_its_pid_file_lives(tmp_path: Path) -> None:
    c = client(tmp_path, "eth0")
    assert not c.running()  # no pid file
    c.pidfile.write_text(f"{os.getpid()}\n")
    assert c.running()
    gone = subprocess.Popen(["true"])
    gone.wait()
    c.pidfile.write_text(f"{gone.pid}\n")
    assert not c.running()


# ---------------------------------------------------------------------------------------
# The transaction: stand-in clients.

START = "sleep 300 >/dev/null 2>&1 & echo $! > {pid}"
STOP = 'kill "$(cat {pid})" && rm {pid}'


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """A backend whose clients are ``sleep`` processes with pid files in tmp_path."""
    run = tmp_path / "run"
    run.mkdir()

    def dhcp_clients(host: Host, name: str) -> list[DhcpClient]:
        pid = run / f"{name}.pid"
        return [
            DhcpClient(
                Family.IPV4,
                pid,
                ["sh", "-c", START.format(pid=pid)],
                ["sh", "-c", STOP.format(pid=pid)],
                run / f"{name}.leases",
            )
        ]

    backend = SimpleNamespace(NAME="stand-in", dhcp_clients=dhcp_clients)
    monkeypatch.setattr(backends, "get", lambda name: backend)
    monkeypatch.setattr(txnmod, "_run_in_netns", lambda host, argv: subprocess.run(
        argv, capture_output=True, text=True, timeout=10))  # fmt: skip
    yield backend
    for pidfile in run.glob("*.pid"):
        try:
            os.kill(int(pidfile.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


BRIDGE = """<interface type='bridge' name='br0'>
  <start mode='onboot'/>
  <protocol family='ipv4'><dhcp/></protocol>
  <bridge stp='off'><interface type='ethernet' name='eth0'/></bridge>
</interface>
"""


def started(stand_in: SimpleNamespace, host: Host, name: str) -> DhcpClient:
    """NAME's stand-in client, running."""
    (client,) = stand_in.dhcp_clients(host, name)
    subprocess.run(client.start, check=True)
    assert client.running()
    return client


def journal(tmp_path: Path, action: str = "apply") -> txnmod.Txn:
    d = tmp_path / "txn"
    d.mkdir()
    (d / "desired.xml").write_text(BRIDGE)
    txn = txnmod.Txn(d)
    txn.save(state="applying", action=action, backend="stand-in", names=["br0"])
    return txn


def test_after_iface_bridge_the_bridge_client_runs_and_the_ports_is_stopped(
    tmp_path: Path, stand_in: SimpleNamespace
) -> None:
    host = Host(root=tmp_path)
    eth0 = started(stand_in, host, "eth0")
    (br0,) = stand_in.dhcp_clients(host, "br0")
    assert eth0.duid_file is not None and br0.duid_file is not None
    eth0.duid_file.write_bytes(DONOR)
    txn = journal(tmp_path)

    txnmod._follow_dhcp(host, txn)
    assert br0.running() and not eth0.running()
    assert br0.duid_file.read_bytes() == DONOR.splitlines(keepends=True)[0]
    assert txn.load().meta["dhcp_stopped"] == [["eth0", "ipv4"]]
    assert txn.meta["dhcp_started"] == [["br0", "ipv4"]]

    # Rollback: the bridge's client stops, then the port's starts again.
    txnmod._undo_dhcp(host, txn, "dhcp_started")
    assert not br0.running() and not eth0.running()
    txnmod._undo_dhcp(host, txn, "dhcp_stopped")
    assert eth0.running() and not br0.running()


def test_a_port_client_stopped_by_a_change_that_died_is_started_again_by_rollback(
    tmp_path: Path, stand_in: SimpleNamespace
) -> None:
    host = Host(root=tmp_path)
    eth0 = started(stand_in, host, "eth0")
    clients_of = stand_in.dhcp_clients

    def dies_at_br0(host: Host, name: str) -> list[DhcpClient]:
        if name == "br0" and not eth0.running():
            raise RuntimeError("the watchdog dies before br0's client starts")
        return clients_of(host, name)

    stand_in.dhcp_clients = dies_at_br0
    txn = journal(tmp_path)
    with pytest.raises(RuntimeError):
        txnmod._follow_dhcp(host, txn)
    assert not eth0.running()
    # The journal says what was stopped, so a rollback (or `ifsmith recover`) restarts it.
    stand_in.dhcp_clients = clients_of
    txnmod._undo_dhcp(host, txnmod.Txn(txn.dir).load(), "dhcp_stopped")
    assert eth0.running()


def test_a_bridge_client_already_running_is_left_as_it_is(
    tmp_path: Path, stand_in: SimpleNamespace
) -> None:
    host = Host(root=tmp_path)
    br0 = started(stand_in, host, "br0")
    pid = br0.pidfile.read_text()
    txn = journal(tmp_path)
    txnmod._follow_dhcp(host, txn)
    assert br0.pidfile.read_text() == pid and br0.running()
    assert "dhcp_started" not in txn.load().meta


def test_a_revert_or_a_change_without_files_runs_no_client(
    tmp_path: Path, stand_in: SimpleNamespace
) -> None:
    host = Host(root=tmp_path)
    txn = journal(tmp_path, action="revert")
    txnmod._follow_dhcp(host, txn)
    txn.save(action="apply", backend=None)
    txnmod._follow_dhcp(host, txn)
    assert not any((tmp_path / "run").glob("*.pid"))



# ---------------------------------------------------------------------------------------
# The kernel activator: a lease moves with what is left of its lifetime.

LEASED_BRIDGE = """<interface type='bridge' name='br0'>
  <protocol family='ipv4'><dhcp/><ip address='198.51.100.9' prefix='24'/></protocol>
  <bridge stp='off'><interface type='ethernet' name='eth0'/></bridge>
</interface>
"""


@pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))
def test_a_lease_moving_to_the_bridge_keeps_its_lifetime_and_broadcast() -> None:
    with make_netns("ifsd-") as ns:
        ip_batch(ns, [
            "link add eth0 type veth peer name peer0",
            "addr add 192.0.2.5/24 broadcast 192.0.2.255 dev eth0 valid_lft 300 "
            "preferred_lft 200",
            "link set eth0 up",
        ])  # fmt: skip
        host = Host(netns=ns)
        plan = make_plan(parse(LEASED_BRIDGE), snapshot(host))
        assert "add address 192.0.2.5/24 to br0 (lease, 300 s left)" in plan.describe()
        kernel.apply(host, plan)
        (br0,) = json.loads(ip("-j", "addr", "show", "dev", "br0", netns=ns))
        got = {a["local"]: a for a in br0["addr_info"] if a["family"] == "inet"}
        lease, static = got["192.0.2.5"], got["198.51.100.9"]
        assert lease.get("dynamic") and 250 < lease["valid_life_time"] <= 300
        assert lease["preferred_life_time"] <= 200 and lease["broadcast"] == "192.0.2.255"
        # An address the definition gives is permanent, as before.
        assert not static.get("dynamic") and static["valid_life_time"] == 4294967295
