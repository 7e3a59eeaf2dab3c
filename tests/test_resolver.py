"""core/resolver.py without a transaction: which resolver manager a host has, which
interfaces' DNS a change touches, and the commands each manager gets — with stand-in
``resolvectl`` / ``resolvconf`` programs, never the machine's own resolver."""

from __future__ import annotations

from pathlib import Path

import pytest

from ifsmith.core import resolver
from ifsmith.core.host import Host
from ifsmith.core.model import Bridge, Dns, IfType, Interface
from tests.resolver_stand_ins import RESOLVCONF, RESOLVECTL, install, read_calls

DNS = Dns(("192.0.2.53", "2001:db8::53"), ("example.com",))


def eth(name: str, dns: Dns | None = None) -> Interface:
    return Interface(IfType.ETHERNET, name, dns=dns)


def bridge(name: str, port: str, dns: Dns | None = None) -> Interface:
    return Interface(IfType.BRIDGE, name, bridge=Bridge(ports=(eth(port),)), dns=dns)


# Which interfaces' DNS a change touches.


def test_dns_set_changed_or_removed_is_a_change_and_unchanged_dns_is_not() -> None:
    defined = [eth("eth0", Dns(("10.0.0.1",))), eth("eth1", DNS), eth("eth2", DNS)]
    desired = [eth("eth0", DNS), eth("eth1", DNS), eth("eth2"), eth("eth3", Dns((), ("corp",)))]
    assert resolver.changes(desired, defined) == {
        "eth0": DNS, "eth2": Dns(), "eth3": Dns((), ("corp",))
    }  # fmt: skip


def test_iface_bridge_moves_the_dns_from_the_port_to_the_bridge() -> None:
    changed = resolver.changes([bridge("br0", "eth0", DNS)], [eth("eth0", DNS)])
    assert changed == {"br0": DNS, "eth0": Dns()}


def test_a_deleted_interface_loses_its_resolver_entry_and_one_without_dns_none() -> None:
    changed = resolver.changes([], [eth("eth0", DNS), eth("eth1")], remove=["eth0", "eth1"])
    assert changed == {"eth0": Dns()}


# Which manager runs.


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "stand-in-bin"
    d.mkdir()
    monkeypatch.setenv(resolver.STAND_IN_SWITCH, str(d))
    return d


def test_a_namespace_or_a_scratch_root_has_no_resolver_manager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(resolver.STAND_IN_SWITCH, raising=False)
    (tmp_path / "run/systemd/resolve").mkdir(parents=True)
    (tmp_path / "run/resolvconf").mkdir(parents=True)
    assert resolver.detect(Host(root=tmp_path)) is None
    assert resolver.detect(Host(netns="dnslive-none")) is None


def test_resolved_wins_over_resolvconf_and_resolvconf_needs_its_run_dir(
    tmp_path: Path, bin_dir: Path
) -> None:
    install(bin_dir, RESOLVECTL, "resolvectl", netns=None)
    install(bin_dir, RESOLVCONF, "resolvconf", netns=None)
    host = Host(root=tmp_path, netns="dnslive-x")
    assert resolver.detect(host) is None  # neither runtime directory
    (tmp_path / "run/resolvconf").mkdir(parents=True)
    assert resolver.detect(host) == resolver.Manager("resolvconf", str(bin_dir / "resolvconf"))
    (tmp_path / "run/systemd/resolve").mkdir(parents=True)
    found = resolver.detect(host)
    assert found == resolver.Manager("systemd-resolved", str(bin_dir / "resolvectl"))


def test_systemds_resolvconf_link_without_resolved_is_no_manager(
    tmp_path: Path, bin_dir: Path
) -> None:
    install(bin_dir, RESOLVECTL, "resolvectl", netns=None)
    (bin_dir / "resolvconf").symlink_to("resolvectl")
    (tmp_path / "run/resolvconf").mkdir(parents=True)
    assert resolver.detect(Host(root=tmp_path)) is None


def test_the_stand_in_switch_is_ignored_outside_pytest(
    tmp_path: Path, bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(bin_dir, RESOLVECTL, "resolvectl", netns=None)
    (tmp_path / "run/systemd/resolve").mkdir(parents=True)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert resolver.detect(Host(root=tmp_path)) is None


# What the plan says.


def test_the_plan_names_the_manager_or_says_the_files_only_have_it() -> None:
    changed = {"br0": DNS, "eth0": Dns()}
    resolved = resolver.Manager("systemd-resolved", "/usr/bin/resolvectl")
    assert resolver.plan_lines(resolved, changed) == [
        "DNS for br0 set in systemd-resolved: 192.0.2.53 2001:db8::53, search example.com",
        "DNS for eth0 removed from systemd-resolved",
    ]
    resolvconf = resolver.Manager("resolvconf", "/sbin/resolvconf")
    assert resolver.plan_lines(resolvconf, {"br0": Dns((), ("corp",))}) == [
        "DNS for br0 set in resolvconf (br0.ifsmith): search corp"
    ]
    none = resolver.plan_lines(None, changed)
    assert "no resolver manager" in none[0] and "next brings the interface up" in none[0]
    assert "running resolver keeps it" in none[1]


# The watchdog's side, against the stand-ins (no namespace needed: they keep their state
# in files beside them).


def journal(manager: str, program: Path, links: dict[str, Dns]) -> dict[str, object]:
    spec = resolver.request(resolver.Manager(manager, str(program)), links)
    assert spec is not None
    return {"resolver": spec}


def test_resolvectl_set_then_restore_puts_back_what_it_showed(tmp_path: Path) -> None:
    program = install(tmp_path, RESOLVECTL, "resolvectl", netns=None)
    state = tmp_path / "state"
    state.mkdir()
    (state / "eth0.dns").write_text("10.0.0.1 2001:db8::1")
    (state / "eth0.domain").write_text("old.example ~corp")
    meta = journal("systemd-resolved", program, {"eth0": DNS, "eth1": Dns()})
    log: list[str] = []
    meta["resolver_before"] = resolver.saved(Host(), meta["resolver"], log.append)  # type: ignore[arg-type]
    assert meta["resolver_before"] == {
        "eth0": {"servers": ["10.0.0.1", "2001:db8::1"], "search": ["old.example", "~corp"]},
        "eth1": {"servers": [], "search": []},
    }
    assert resolver.apply(Host(), meta["resolver"], log.append) == []  # type: ignore[arg-type]
    assert (state / "eth0.dns").read_text().split() == ["192.0.2.53", "2001:db8::53"]
    assert (state / "eth0.domain").read_text().split() == ["example.com"]
    assert ["dns", "eth1", ""] in read_calls(tmp_path)  # flushed, as resolvectl wants it
    assert resolver.restore(Host(), meta, log.append) == []
    assert (state / "eth0.dns").read_text().split() == ["10.0.0.1", "2001:db8::1"]
    assert (state / "eth0.domain").read_text().split() == ["old.example", "~corp"]
    assert any(line.startswith("run: ") and "resolvectl dns eth0" in line for line in log)


def test_a_failing_resolver_command_is_a_warning_naming_it(tmp_path: Path) -> None:
    program = install(tmp_path, RESOLVECTL, "resolvectl", netns=None)
    (tmp_path / "fail").write_text("dns")
    meta = journal("systemd-resolved", program, {"eth0": DNS})
    warnings = resolver.apply(Host(), meta["resolver"], lambda _m: None)  # type: ignore[arg-type]
    assert warnings == [
        f"DNS for eth0 not set in systemd-resolved: `{program} dns eth0 192.0.2.53 "
        "2001:db8::53` failed: Failed to set DNS configuration: stand-in refuses"
    ]


def test_resolvconf_record_added_then_removed_at_rollback(tmp_path: Path) -> None:
    program = install(tmp_path, RESOLVCONF, "resolvconf", netns=None)
    host = Host(root=tmp_path)
    records = tmp_path / "run/resolvconf/interface"
    meta = journal("resolvconf", program, {"br0": DNS})
    meta["resolver_before"] = resolver.saved(host, meta["resolver"], lambda _m: None)  # type: ignore[arg-type]
    assert meta["resolver_before"] == {"br0": None}
    resolver.apply(host, meta["resolver"], lambda _m: None)  # type: ignore[arg-type]
    assert (records / "br0.ifsmith").read_text() == (
        "nameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example.com\n"
    )
    assert resolver.restore(host, meta, lambda _m: None) == []
    assert not (records / "br0.ifsmith").exists()
    assert read_calls(tmp_path)[-1] == ["-d", "br0.ifsmith"]
