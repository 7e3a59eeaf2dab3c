"""``--json``: every document and progress event the command line prints validates against
its JSON Schema in docs/json, and says what the text output says.

The server/client lab of test_txn_netns: s0 (192.0.2.1/24, an ifcfg-rh file under the
root) in a server namespace, the admin's machine 192.0.2.2 on the other end of a veth.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ifsmith.core import jsondoc
from ifsmith.core import model as m
from ifsmith.core.bridge_vlans import Membership
from ifsmith.core.live import snapshot
from ifsmith.core.options import BondOptions, BridgeOptions, PortOptions, Spec
from tests.lab_xml import CUT, KEEP
from tests.netns import can_make_netns, ip, make_netns, server_and_client
from tests.test_txn_netns import IFCFG_S0
from tests.test_txn_netns import Lab as TxnLab

jsonschema = pytest.importorskip("jsonschema", reason="n/a: jsonschema is not installed")
referencing = pytest.importorskip("referencing", reason="n/a: referencing is not installed")

SCHEMAS = Path(__file__).resolve().parents[1] / "docs/json"


def _registry() -> Any:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        if path.name != "index.json":
            schema = json.loads(path.read_text())
            resource = referencing.jsonschema.DRAFT202012.create_resource(schema)
            resources.append((schema["$id"], resource))
    return referencing.Registry().with_resources(resources)


REGISTRY = _registry()
_OPTIONS = (BondOptions, BridgeOptions, PortOptions)


def validate(kind: str, document: object) -> None:
    """DOCUMENT against docs/json/KIND.json (the schema's own validity checked too)."""
    schema = json.loads((SCHEMAS / f"{kind}.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, registry=REGISTRY).validate(document)


def events(stdout: str) -> list[dict[str, Any]]:
    """The JSON lines of a waiting command, each validated as an event (or error)."""
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert lines, "no output"
    for line in lines:
        validate("events", line)
    return lines


class Lab(TxnLab):
    """test_txn_netns's lab, read through --json."""

    def json(self, kind: str, *args: str, code: int = 0) -> dict[str, Any]:
        """One document, validated, from a command that must exit CODE."""
        result = self.ifsmith(*args, stdin=subprocess.DEVNULL)
        assert result.returncode == code, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        document = json.loads(result.stdout)
        validate(kind, document)
        return dict(document)

    def write(self, name: str, text: str) -> str:
        path = self.root / name
        path.write_text(text)
        return str(path)

    def s0_addresses(self) -> set[str]:
        link = snapshot(self.host).link("s0")
        assert link is not None
        return {str(a) for a in link.addresses if a.scope == "global"}


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    reason = can_make_netns()
    if reason:
        pytest.skip(f"n/a: {reason}")
    with make_netns("json-s") as server, make_netns("json-c") as client:
        server_and_client(server, client)
        (tmp_path / "etc/sysconfig/network-scripts").mkdir(parents=True)
        (tmp_path / "etc/sysconfig/network-scripts/ifcfg-s0").write_text(IFCFG_S0)
        yield Lab(server, client, tmp_path)


GUARD = ("--backend", "ifcfg-rh", "--yes", "--no-auto-probes", "--probe", "192.0.2.2")


def test_list_dumpxml_check_and_diff_documents_validate_and_match_the_text(lab: Lab) -> None:
    listed = lab.json("list", "list", "--json")
    rows = {r["name"]: r for r in listed["interfaces"]}
    assert set(rows) == {"s0"} and rows["s0"]["addresses"][0] == "192.0.2.1/24"
    assert "lo" in {r["name"] for r in lab.json("list", "list", "--all", "--json")["interfaces"]}

    inactive = lab.json("list-inactive", "list", "--inactive", "--json", "--backend", "ifcfg-rh")
    assert inactive["definitions"] == [
        {"name": "s0", "type": "ethernet", "start": "onboot", "master": None,
         "addresses": ["192.0.2.1/24"]}
    ]  # fmt: skip

    dumped = lab.json("dumpxml", "dumpxml", "s0", "--json", "--backend", "ifcfg-rh")
    text = lab.ifsmith("dumpxml", "s0", "--backend", "ifcfg-rh").stdout
    assert text.endswith(dumped["xml"]) and dumped["defined"] is True
    assert dumped["definition"]["protocols"][0]["addresses"] == [
        {"address": "192.0.2.1", "prefix": 24}
    ]
    assert dumped["live"]["name"] == "s0" and dumped["note"].startswith("s0 running: up")
    live = lab.json("dumpxml", "dumpxml", "s0", "--live", "--json")
    assert live["defined"] is None and live["xml"] == lab.ifsmith("dumpxml", "s0", "--live").stdout
    files = lab.json("dumpxml", "dumpxml", "s0", "--inactive", "--json", "--backend", "ifcfg-rh")
    assert files["live"] is None and files["definition"]["start_mode"] == "onboot"

    agree = lab.json("check", "check", "--json", "--backend", "ifcfg-rh")
    assert agree["agree"] is True
    ip("addr", "add", "203.0.113.9/24", "dev", "s0", netns=lab.server)
    drift = lab.json("check", "check", "--json", "--backend", "ifcfg-rh", code=1)
    assert drift["agree"] is False
    assert any("203.0.113.9/24" in d for i in drift["interfaces"] for d in i["differences"])

    xml = lab.write("keep.xml", KEEP)
    diff = lab.json("diff", "diff", xml, "--json", "--backend", "ifcfg-rh")
    assert diff["backend"] == "ifcfg-rh"
    assert diff["diff"] == lab.ifsmith("diff", xml, "--backend", "ifcfg-rh").stdout
    [change] = diff["files"]
    assert change["path"] == "/etc/sysconfig/network-scripts/ifcfg-s0"
    assert change["change"] == "modify" and "+IPADDR1=198.51.100.1" in change["diff"]


def test_apply_commits_as_events_then_status_history_and_rollback_to(lab: Lab) -> None:
    xml = lab.write("keep.xml", KEEP)
    before = lab.files()
    result = lab.ifsmith("apply", xml, "--json", *GUARD, "--confirm-timeout", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    stream = events(result.stdout)
    kinds = [e["event"] for e in stream]
    assert kinds[:2] == ["planned", "started"] and kinds[-1] == "committed"
    planned = stream[0]
    assert "add address 198.51.100.1/24 to s0" in [s["text"] for s in planned["steps"]]
    assert [f["path"] for f in planned["files"]] == ["/etc/sysconfig/network-scripts/ifcfg-s0"]
    assert planned["probes"] == [
        {"target": "192.0.2.2 (given)", "address": "192.0.2.2", "port": None, "why": "given"}
    ]
    txn_id = stream[1]["id"]
    assert stream[-1]["id"] == txn_id and stream[-1]["transaction"]["state"] == "committed"
    assert {"target": "192.0.2.2 (given)", "reachable": True} in [
        {k: e[k] for k in ("target", "reachable")} for e in stream if e["event"] == "probe"
    ]
    assert "198.51.100.1/24" in lab.s0_addresses()

    status = lab.json("status", "status", "--json")
    assert (status["id"], status["state"], status["names"]) == (txn_id, "committed", ["s0"])
    assert status["files"] == [{"path": "/etc/sysconfig/network-scripts/ifcfg-s0",
                                "existed": True, "removed": False}]  # fmt: skip
    assert set(status["times"]) >= {"created", "applied", "committed"}
    history = lab.json("history", "history", "--json")
    assert [t["id"] for t in history["transactions"]] == [txn_id]

    again = lab.ifsmith("apply", xml, "--json", *GUARD)
    assert again.returncode == 0 and [e["event"] for e in events(again.stdout)] == [
        "planned", "unchanged"
    ]  # fmt: skip

    undo = lab.ifsmith("rollback", "--to", txn_id, "--json", *GUARD[2:], "--confirm-timeout", "0")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    stream = events(undo.stdout)
    assert stream[0]["event"] == "planned" and stream[0]["undoes"] == [txn_id]
    assert stream[-1]["event"] == "committed"
    assert lab.files() == before and "198.51.100.1/24" not in lab.s0_addresses()


def test_a_cut_off_apply_ends_with_a_rolled_back_event_naming_the_reason(lab: Lab) -> None:
    before_files, before_addresses = lab.files(), lab.s0_addresses()
    xml = lab.write("cut.xml", CUT)
    result = lab.ifsmith("apply", xml, "--json", *GUARD, "--settle", "1")
    assert result.returncode == 3, result.stdout + result.stderr
    stream = events(result.stdout)
    last = stream[-1]
    assert last["event"] == "rolled-back"
    assert last["reason"] == "lost connectivity to 192.0.2.2 (given)"
    assert last["transaction"]["state"] == "rolled-back"
    # Reachable before the change (seen at the baseline, or first in the settle window on a
    # loaded machine), then lost.
    reachable = [e["reachable"] for e in stream if e["event"] == "probe"]
    assert reachable[0] is True and reachable[-1] is False
    assert lab.files() == before_files and lab.s0_addresses() == before_addresses


def test_no_wait_then_confirm_json(lab: Lab) -> None:
    xml = lab.write("keep.xml", KEEP)
    result = lab.ifsmith("apply", xml, "--json", *GUARD, "--no-wait", "--confirm-timeout", "60")
    assert result.returncode == 0, result.stdout + result.stderr
    stream = events(result.stdout)
    assert [e["event"] for e in stream] == ["planned", "started"]
    assert stream[-1]["wait"] is False
    confirmed = lab.ifsmith("confirm", "--json")
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    [event] = events(confirmed.stdout)
    assert (event["event"], event["id"]) == ("committed", stream[1]["id"])


def test_rollback_of_a_waiting_change_is_one_rolled_back_event(lab: Lab) -> None:
    xml = lab.write("keep.xml", KEEP)
    started = lab.ifsmith("apply", xml, "--json", *GUARD, "--no-wait", "--confirm-timeout", "60")
    assert started.returncode == 0, started.stdout + started.stderr
    back = lab.ifsmith("rollback", "--json")
    assert back.returncode == 0, back.stdout + back.stderr
    [event] = events(back.stdout)
    assert (event["event"], event["reason"]) == ("rolled-back", "rolled back on request")
    assert "198.51.100.1/24" not in lab.s0_addresses()
    again = lab.json("error", "rollback", "--json", code=1)
    assert again["error"]["message"] == "no transaction is in progress"


def test_iface_bridge_and_delete_as_events(lab: Lab) -> None:
    common = (*GUARD, "--confirm-timeout", "0")
    bridged = lab.ifsmith("iface-bridge", "s0", "br0", "--no-stp", "--json", *common)
    assert bridged.returncode == 0, bridged.stdout + bridged.stderr
    stream = events(bridged.stdout)
    assert stream[0]["event"] == "planned" and stream[-1]["event"] == "committed"
    assert {"create-link"} <= {s["op"] for s in stream[0]["steps"]}
    assert {f["path"] for f in stream[0]["files"]} == {
        "/etc/sysconfig/network-scripts/ifcfg-br0", "/etc/sysconfig/network-scripts/ifcfg-s0"
    }  # fmt: skip
    ip("link", "add", "br9", "type", "bridge", netns=lab.server)
    deleted = lab.ifsmith("delete", "br9", "--json", *common)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    stream = events(deleted.stdout)
    assert stream[0]["action"] == "delete" and stream[-1]["event"] == "committed"
    assert snapshot(lab.host).link("br9") is None


@pytest.mark.parametrize(
    ("argv", "code", "message", "line"),
    [
        (["apply", "{bad}", "--yes"], 1, "bad.xml:2: <mtu>: size='huge' is not", 2),
        (["diff", "{bad}", "--backend", "ifcfg-rh"], 1, "bad.xml:2: <mtu>", 2),
        (["dumpxml", "nope"], 1, "no interface named nope, defined or running", None),
        (["delete", "nope", "--yes"], 1, "no interface named nope", None),
        (["list", "--bogus"], 2, "unrecognized arguments: --bogus", None),
        (["rollback", "--to", "20990101-000000-1", "--yes"], 1, "20990101-000000-1", None),
    ],
    ids=["apply-bad-xml", "diff-bad-xml", "dumpxml-missing", "delete-missing", "usage",
         "rollback-unknown"],
)  # fmt: skip
def test_errors_are_one_json_object_with_the_usual_exit_code(
    lab: Lab, argv: list[str], code: int, message: str, line: int | None
) -> None:
    bad = lab.write("bad.xml", "<interface type='ethernet' name='s0'>\n  <mtu size='huge'/>\n"
                               "</interface>\n")  # fmt: skip
    before = lab.files(), lab.s0_addresses()
    document = lab.json("error", *[a.replace("{bad}", bad) for a in argv], "--json", code=code)
    assert message in document["error"]["message"]
    assert document["error"]["line"] == line
    assert (lab.files(), lab.s0_addresses()) == before


def test_without_yes_and_a_terminal_the_plan_is_an_event_then_an_error(lab: Lab) -> None:
    xml = lab.write("keep.xml", KEEP)
    before = lab.files()
    result = lab.ifsmith("apply", xml, "--json", "--backend", "ifcfg-rh", stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    stream = events(result.stdout)
    assert stream[0]["event"] == "planned" and "pass --yes" in stream[-1]["error"]["message"]
    assert lab.files() == before and "198.51.100.1/24" not in lab.s0_addresses()


def _vlan_bridge() -> m.LiveHost:
    """A VLAN-filtering bridge as the kernel would report it (this machine's bridge cannot
    filter): its own VLANs, a trunk port, a port holding what the XML cannot say (VLAN 1
    untagged beside the pvid 10), and a NIC outside."""
    up = {"admin_up": True, "operstate": m.LinkState.UP, "mtu": 1500}
    return m.LiveHost((
        m.LiveLink(2, "br0", "bridge", bridge=m.LiveBridge(
            options=BridgeOptions(vlan_filtering=True)),
            vlans=Membership(tagged="10 20", untagged="1", pvid=1), **up),
        m.LiveLink(3, "eth0", "", master="br0", vlans=Membership("10 20", "1", 1), **up),
        m.LiveLink(4, "eth1", "", master="br0", vlans=Membership("", "1 10", 10), **up),
        m.LiveLink(5, "eth2", "", **up),
    ))  # fmt: skip


def test_the_vlans_of_a_filtering_bridge_and_its_ports_validate_with_their_notes() -> None:
    live = _vlan_bridge()
    listed = jsondoc.live_interfaces(live)
    validate("list", listed)
    rows = {r["name"]: r for r in listed["interfaces"]}
    assert rows["br0"]["vlans"] == {"tagged": "10 20", "untagged": "1", "pvid": 1}
    assert rows["eth0"]["vlans"] == {"tagged": "10 20", "untagged": "1", "pvid": 1}
    assert rows["eth1"]["vlans"] == {"tagged": "", "untagged": "1 10", "pvid": 10}
    assert rows["eth2"]["vlans"] is None
    note = (
        "eth1: VLAN 1 leaves untagged without being the pvid (running 1 untagged,"
        " 10 pvid untagged): the XML cannot say it"
    )
    assert {n: r["vlan_notes"] for n, r in rows.items()} == {
        "br0": [], "eth0": [], "eth1": [note], "eth2": []
    }  # fmt: skip
    # dumpxml: the live link carries the bridge's own VLANs, the note (on the bridge and
    # its ports, as the text's comment) names the port's oddity.
    dumped = jsondoc.dumpxml_document([], live, "br0")
    validate("dumpxml", dumped)
    assert dumped["live"]["vlans"] == rows["br0"]["vlans"] and note in dumped["note"]
    with pytest.raises(jsonschema.ValidationError):
        validate("list", {**listed, "interfaces": [{**rows["eth1"], "vlans": {"pvid": 10}}]})


def test_status_and_history_without_transactions_validate(tmp_path: Path) -> None:
    for kind in ("status", "history"):
        argv = [sys.executable, "-m", "ifsmith.tui.cli", "--root", str(tmp_path), kind, "--json"]
        out = subprocess.run(argv, capture_output=True, text=True, check=True)
        validate(kind, json.loads(out.stdout))


def _sample(spec: Spec) -> object:
    """A valid value of one option, whatever its kind."""
    values = {"int": int(spec.low) or 1, "bool": True, "mac": "02:00:00:00:00:01",
              "seconds": float(spec.low) or 2.0, "vlans": "10 20", "pvid": 10}  # fmt: skip
    return spec.choices[0] if spec.kind == "choice" else values[spec.kind]


def _every(kind: Any) -> Any:
    return kind(**{spec.field: _sample(spec) for spec in kind.SPECS})


def _everything() -> m.Interface:
    """A bridge of a bond, a NIC and a VLAN with every field and option of the model set."""
    nic = m.Interface(m.IfType.ETHERNET, "eth2", port_options=_every(PortOptions))
    bond = m.Interface(m.IfType.BOND, "bond0", bond=m.Bond(
        mode=m.BondMode.LACP, miimon=m.MiiMon(100, 200, 200, m.Carrier.NETIF),
        arpmon=m.ArpMon(1000, ("192.0.2.9",), m.ArpValidate.ALL),
        slaves=(m.Interface(m.IfType.ETHERNET, "eth0"), m.Interface(m.IfType.ETHERNET, "eth1")),
        xmit_hash_policy=m.XmitHashPolicy.LAYER3_4, lacp_rate=m.LacpRate.FAST,
        primary_slave="eth0", options=_every(BondOptions)))  # fmt: skip
    vlan = m.Interface(m.IfType.VLAN, "eth3.100", vlan=m.Vlan(100, "eth3", reorder_hdr=False))
    return m.Interface(
        m.IfType.BRIDGE, "br0", start_mode=m.StartMode.ONBOOT, mtu=9000, mac="02:00:00:00:00:02",
        link=m.Link(m.LinkState.UP, 1000),
        protocols=(
            m.Protocol(m.Family.IPV4, dhcp=True, peerdns=False, client_id="mac", iaid="7"),
            m.Protocol(m.Family.IPV6, autoconf=True, addresses=(m.IpAddress("2001:db8::1", 64),),
                     gateway="2001:db8::fe", routes=(m.Route("2001:db8:1::", 48, "fe80::1", 5),)),
        ),
        bridge=m.Bridge(stp=True, delay=4.0, ports=(bond, nic, vlan),
                        options=_every(BridgeOptions)),
        label="uplink", dns=m.Dns(("192.0.2.53",), ("example.org",)),
    )  # fmt: skip


def _seen(document: Any, value: object, seen: set[tuple[str, str]]) -> None:
    """Collect (class, field) of every model field VALUE's DOCUMENT holds, nested ones too."""
    for f in dataclasses.fields(value):  # type: ignore[arg-type]
        if f.name not in document:
            continue
        seen.add((type(value).__name__, f.name))
        inner = getattr(value, f.name)
        items = inner if isinstance(inner, tuple) else (inner,)
        for doc, item in zip(document[f.name] if isinstance(inner, tuple) else [document[f.name]],
                             items, strict=True):  # fmt: skip
            if dataclasses.is_dataclass(item) and not isinstance(item, _OPTIONS):
                _seen(doc, item, seen)


MODEL = (m.Interface, m.Protocol, m.IpAddress, m.Route, m.Link, m.Bond, m.MiiMon, m.ArpMon,
         m.Bridge, m.Vlan, m.Dns)  # fmt: skip


def test_a_definition_with_every_field_validates_against_the_interface_schema() -> None:
    """The model and its schema stay in step: every field and option is in the document,
    and the schema, which allows no other keys, accepts it."""
    schema = {"$ref": "https://ifsmith.invalid/json/1/common.json#/$defs/interface"}
    validator = jsonschema.Draft202012Validator(schema, registry=REGISTRY)
    top = _everything()
    document = jsondoc.definition(top)
    validator.validate(document)
    seen: set[tuple[str, str]] = set()
    _seen(document, top, seen)
    every = {(c.__name__, f.name) for c in MODEL for f in dataclasses.fields(c) if f.name != "line"}
    assert every - seen == set(), "fields _everything() does not set (or JSON leaves out)"
    bond = document["bridge"]["ports"][0]["bond"]
    assert bond["options"] == {s.field: _sample(s) for s in BondOptions.SPECS}
    assert document["bridge"]["ports"][1]["port_options"]["vlans"] == "10 20"
    assert document["protocols"][1]["routes"] == [
        {"address": "2001:db8:1::", "prefix": 48, "gateway": "fe80::1", "metric": 5}
    ]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**document, "colour": "red"})


def test_every_event_the_code_knows_has_a_schema() -> None:
    schema = json.loads((SCHEMAS / "events.json").read_text())
    assert set(schema["$defs"]) == set(jsondoc.EVENTS)
    index = json.loads((SCHEMAS / "index.json").read_text())
    assert set(index["documents"]) == {p.name for p in SCHEMAS.glob("*.json")} - {"index.json"}


def test_error_line_comes_from_the_message() -> None:
    assert jsondoc.error("a.xml:7: <bond>: bad")["error"]["line"] == 7
    assert jsondoc.error("a.xml is invalid:\n  br0 (line 9): port d0")["error"]["line"] == 9
    assert jsondoc.error("no interface named x")["error"]["line"] is None
