"""Every bonding option beyond libvirt's XML (issue 10): ``ifsmith:`` + the kernel's name
on ``<bond>`` — parsed typed and range-checked (bonding.rst), written canonically and
byte-stable, validated by our schema and stripped for libvirt's, and checked against the
bond's mode."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ifsmith.core.checks import check, errors
from ifsmith.core.model import Bond, BondMode, IfType, Interface, MiiMon
from ifsmith.core.options import BOND_SPECS, BondOptions
from ifsmith.core.xmlio import XmlError, parse, to_xml
from ifsmith.core.xmlschema import schema_problems, strip_extensions

NS = "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' "


def bond_doc(mode: str, attrs: str, monitor: str = "<miimon freq='100'/>") -> str:
    return (
        f"<interface {NS}type='bond' name='bond0'>\n"
        "  <start mode='onboot'/>\n"
        f"  <bond mode='{mode}'{attrs}>\n"
        f"    {monitor}\n"
        "    <interface type='ethernet' name='eth0'>\n"
        "    </interface>\n"
        "    <interface type='ethernet' name='eth1'>\n"
        "    </interface>\n"
        "  </bond>\n"
        "</interface>\n"
    )


LACP = bond_doc(
    "802.3ad",
    " ifsmith:lacp-rate='fast' ifsmith:min-links='1' ifsmith:ad-select='bandwidth'"
    " ifsmith:ad-actor-sys-prio='100' ifsmith:ad-user-port-key='7'"
    " ifsmith:ad-actor-system='02:00:00:00:00:01' ifsmith:all-slaves-active='on'"
    " ifsmith:peer-notif-delay='200'",
)
ACTIVE_BACKUP = bond_doc(
    "active-backup",
    " ifsmith:primary='eth1' ifsmith:fail-over-mac='follow' ifsmith:primary-reselect='better'"
    " ifsmith:num-grat-arp='3' ifsmith:num-unsol-na='3' ifsmith:arp-all-targets='all'"
    " ifsmith:resend-igmp='4'",
    "<arpmon interval='100' target='192.0.2.1' validate='all'/>",
)
TLB = bond_doc("balance-tlb", " ifsmith:lp-interval='5' ifsmith:tlb-dynamic-lb='off'")
RR = bond_doc("balance-rr", " ifsmith:packets-per-slave='0' ifsmith:resend-igmp='0'")


@pytest.mark.parametrize("doc", [LACP, ACTIVE_BACKUP, TLB, RR], ids=["lacp", "ab", "tlb", "rr"])
def test_options_round_trip_byte_for_byte_and_check_clean(doc: str) -> None:
    (iface,) = parse(doc)
    assert to_xml(iface) == doc
    assert parse(to_xml(iface)) == [iface]
    assert check([iface]) == []


def test_every_option_of_the_issue_is_modelled_with_its_kernel_name() -> None:
    wanted = (
        "min_links ad_select ad_actor_sys_prio ad_user_port_key ad_actor_system "
        "all_slaves_active fail_over_mac primary_reselect num_grat_arp num_unsol_na "
        "arp_all_targets lp_interval packets_per_slave resend_igmp tlb_dynamic_lb "
        "peer_notif_delay"
    ).split()
    assert [s.field for s in BOND_SPECS] == wanted
    (iface,) = parse(LACP)
    assert iface.bond is not None
    assert iface.bond.options == BondOptions(
        min_links=1, ad_select="bandwidth", ad_actor_sys_prio=100, ad_user_port_key=7,
        ad_actor_system="02:00:00:00:00:01", all_slaves_active=True, peer_notif_delay=200,
    )  # fmt: skip


def test_old_constructors_still_work_and_mean_kernel_defaults() -> None:
    bond = Bond(mode=BondMode.LACP, miimon=MiiMon(100))
    assert not bond.options and bond.options == BondOptions()


@pytest.mark.parametrize("doc", [LACP, ACTIVE_BACKUP, TLB, RR], ids=["lacp", "ab", "tlb", "rr"])
def test_schema_takes_them_and_libvirt_gets_a_document_without(doc: str, anchors: Path) -> None:
    assert schema_problems(doc.encode()) == []
    stripped = strip_extensions(doc.encode())
    assert b"ifsmith" not in stripped
    assert schema_problems(stripped, anchors / "libvirt/src/conf/schemas/interface.rng") == []


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        ("min-links='-1'", "invalid ifsmith:min-links='-1': not a non-negative integer"),
        ("min-links='2147483648'", "outside 0-2147483647 (bonding.rst)"),
        ("ad-actor-sys-prio='0'", "invalid ifsmith:ad-actor-sys-prio='0': outside 1-65535"),
        ("ad-user-port-key='1024'", "outside 0-1023"),
        ("ad-select='fastest'", "expected one of: stable, bandwidth, count"),
        ("ad-actor-system='02:00:00:00:00'", "not a MAC address"),
        ("all-slaves-active='1'", "expected 'on' or 'off'"),
        ("resend-igmp='256'", "outside 0-255"),
        ("peer-notif-delay='300001'", "outside 0-300000"),
        ("lp-interval='0'", "outside 1-2147483647"),
        ("num-grat-arp='999999999999999999999999'", "outside 0-255"),
    ],
)
def test_bad_values_are_refused_naming_the_attribute_and_line(attr: str, message: str) -> None:
    doc = bond_doc("802.3ad", " ifsmith:" + attr)
    with pytest.raises(XmlError) as caught:
        parse(doc)
    assert message in str(caught.value)
    assert ":3:" in str(caught.value) or "line 3" in str(caught.value)
    assert schema_problems(doc.encode()) != []


def test_an_unknown_bond_option_is_refused() -> None:
    with pytest.raises(XmlError, match="unknown attribute ifsmith:miss-max"):
        parse(bond_doc("802.3ad", " ifsmith:miss-max='2'"))


@pytest.mark.parametrize(
    ("mode", "attr", "message"),
    [
        ("active-backup", "min-links='1'", "min-links applies only to mode 802.3ad, not active"),
        ("balance-xor", "ad-select='count'", "ad-select applies only to mode 802.3ad"),
        ("balance-rr", "ad-actor-sys-prio='5'", "ad-actor-sys-prio applies only to mode 802.3ad"),
        ("802.3ad", "packets-per-slave='3'", "packets-per-slave applies only to mode balance-rr"),
        ("802.3ad", "tlb-dynamic-lb='off'", "applies only to modes balance-alb, balance-tlb"),
        ("802.3ad", "lp-interval='3'", "lp-interval applies only to modes balance-alb, balance"),
        ("802.3ad", "fail-over-mac='active'", "fail-over-mac applies only to mode active-backup"),
        ("balance-xor", "arp-all-targets='all'", "arp-all-targets applies only to mode active"),
        ("802.3ad", "num-grat-arp='2'", "num-grat-arp applies only to mode active-backup"),
        ("broadcast", "resend-igmp='2'", "resend-igmp applies only to modes active-backup"),
        ("802.3ad", "primary-reselect='better'", "primary-reselect applies only to modes"),
        ("active-backup", "num-grat-arp='2' ifsmith:num-unsol-na='3'", "keeps one count"),
        ("802.3ad", "ad-actor-system='01:00:5e:00:00:01'", "unicast, non-zero MAC"),
    ],
)
def test_options_outside_their_modes_are_errors(mode: str, attr: str, message: str) -> None:
    (iface,) = parse(bond_doc(mode, " ifsmith:" + attr))
    found = [str(p) for p in errors(check([iface]))]
    assert any(message in text for text in found), found
    assert all("bond0" in text for text in found)


def test_the_default_mode_is_named_in_the_message() -> None:
    doc = bond_doc("x", " ifsmith:min-links='1'").replace(" mode='x'", "")
    (iface,) = parse(doc)
    found = [str(p) for p in errors(check([iface]))]
    assert any("not balance-rr (the default)" in t for t in found), found


def test_primary_reselect_needs_a_primary() -> None:
    iface = Interface(
        IfType.BOND, "bond0",
        bond=Bond(mode=BondMode.ACTIVE_BACKUP, options=BondOptions(primary_reselect="better")),
    )  # fmt: skip
    found = [str(p) for p in errors(check([iface]))]
    assert any("primary-reselect needs a primary slave" in t for t in found), found


def test_peer_notif_delay_needs_miimon_and_warns_when_rounded() -> None:
    doc = bond_doc("active-backup", " ifsmith:peer-notif-delay='250'")
    (iface,) = parse(doc)
    (problem,) = check([iface])
    assert problem.severity == "warning" and "rounds it down to 200" in str(problem)
    arp = "<arpmon interval='100' target='192.0.2.1'/>"
    (iface,) = parse(bond_doc("active-backup", " ifsmith:peer-notif-delay='200'", arp))
    assert any("needs <miimon>" in str(p) for p in errors(check([iface])))


def test_values_built_outside_the_parser_are_range_checked() -> None:
    bad = BondOptions(ad_user_port_key=5000, ad_select="nope", min_links=1)
    iface = Interface(IfType.BOND, "bond0", bond=Bond(mode=BondMode.LACP, options=bad))
    found = [str(p) for p in errors(check([iface]))]
    assert any("ad-user-port-key=5000: outside 0-1023" in t for t in found), found
    assert any("ad-select=nope: expected one of" in t for t in found), found


def test_the_schema_names_every_option_of_the_table() -> None:
    rng = (Path(__file__).parent.parent / "core/schema/interface.rng").read_text()
    for spec in BOND_SPECS:
        assert f'<attribute name="ifs:{spec.attr}">' in rng, spec.attr


# ---------------------------------------------------------------------------------------
# Netlink and the plan (the kernel here has no bonding: user-mode Linux tests the real one).


def test_netlink_encoding_and_decoding_agree_for_every_option() -> None:
    from ifsmith.backends.kernel import bond_data
    from ifsmith.core.live import _attrs, _decode_bond
    from ifsmith.core.plan import BondSpec

    wanted = BondOptions(
        min_links=2, ad_select="count", ad_actor_sys_prio=100, ad_user_port_key=1023,
        ad_actor_system="02:00:00:00:00:01", all_slaves_active=True, fail_over_mac="follow",
        primary_reselect="failure", num_grat_arp=7, num_unsol_na=7, arp_all_targets="all",
        lp_interval=9, packets_per_slave=65535, resend_igmp=255, tlb_dynamic_lb=False,
        peer_notif_delay=300,
    )  # fmt: skip
    spec = BondSpec(mode=BondMode.LACP, extra=wanted)
    data = bond_data(None, spec, with_mode=False)  # type: ignore[arg-type]
    live, _active, _primary = _decode_bond(data, _attrs(data, 0, len(data)))
    assert live.options == wanted
    # On creation the kernel's defaults are left out: a new bond has them already.
    plain = BondSpec(mode=BondMode.LACP, extra=BondOptions(min_links=0, ad_select="count"))
    created = bond_data(None, plain, with_mode=True)  # type: ignore[arg-type]
    decoded, _a, _p = _decode_bond(created, _attrs(created, 0, len(created)))
    assert decoded.options == BondOptions(ad_select="count")


def _live_bond(mode: BondMode, options: BondOptions) -> object:
    from ifsmith.core.model import LiveBond, LiveHost, LiveLink

    links = (
        LiveLink(1, "eth0", "", master="bond0", admin_up=True),
        LiveLink(2, "eth1", "", master="bond0", admin_up=True),
        LiveLink(3, "bond0", "bond", admin_up=True,
                 bond=LiveBond(mode=mode, miimon=100, options=options)),
    )  # fmt: skip
    return LiveHost(links)


KERNEL_LACP = BondOptions(
    min_links=0, ad_select="stable", ad_actor_sys_prio=65535, ad_user_port_key=0,
    ad_actor_system="00:00:00:00:00:00", all_slaves_active=False, fail_over_mac="none",
    primary_reselect="always", num_grat_arp=1, num_unsol_na=1, arp_all_targets="any",
    lp_interval=1, packets_per_slave=1, resend_igmp=1, tlb_dynamic_lb=True, peer_notif_delay=0,
)  # fmt: skip


def test_plan_sets_only_the_options_that_differ_and_keeps_the_rest() -> None:
    from ifsmith.core.plan import make_plan

    live = _live_bond(BondMode.LACP, KERNEL_LACP)
    doc = bond_doc("802.3ad", " ifsmith:min-links='1' ifsmith:ad-select='stable'")
    plan = make_plan(parse(doc), live)  # type: ignore[arg-type]
    assert plan.describe() == ["set bond bond0 min_links 1"]


def test_fail_over_mac_changes_by_recreating_the_bond() -> None:
    from ifsmith.core.plan import make_plan

    live = _live_bond(BondMode.ACTIVE_BACKUP, KERNEL_LACP)
    doc = bond_doc("active-backup", " ifsmith:fail-over-mac='active'")
    steps = make_plan(parse(doc), live).describe()  # type: ignore[arg-type]
    assert steps[0] == "delete bond0"
    create = next(s for s in steps if s.startswith("create bond bond0"))
    assert create.endswith("fail_over_mac active"), create
    assert steps.index(create) < steps.index("set eth0 master bond0")


def test_a_rollback_restores_options_the_mode_allows() -> None:
    from ifsmith.core.plan import restore_plan

    saved = _live_bond(BondMode.LACP, KERNEL_LACP)
    now = _live_bond(BondMode.LACP, dataclasses.replace(KERNEL_LACP, min_links=3))
    steps = restore_plan(saved, now, ["bond0", "eth0", "eth1"]).describe()  # type: ignore[arg-type]
    assert steps == ["set bond bond0 min_links 0"]
    # Recreated from the snapshot: the options the kernel refuses in the mode
    # (packets_per_slave, tlb_dynamic_lb outside their modes) and a zero actor are left out.
    gone = _live_bond(BondMode.LACP, KERNEL_LACP)
    empty = type(gone)(tuple(lnk for lnk in gone.links if lnk.name != "bond0"))  # type: ignore[attr-defined]
    steps = restore_plan(saved, empty, ["bond0", "eth0", "eth1"]).describe()  # type: ignore[arg-type]
    create = next(s for s in steps if s.startswith("create bond bond0"))
    assert "packets_per_slave" not in create and "tlb_dynamic_lb" not in create
    assert "ad_actor_system" not in create and "ad_actor_sys_prio 65535" in create


def test_format_libvirt_leaves_them_out_and_says_which() -> None:
    from ifsmith.core.xmlschema import without_extensions

    (iface,) = parse(LACP)
    plain, left = without_extensions(iface)
    assert "ifsmith" not in to_xml(plain)
    assert "bond0: ifsmith:min-links='1'" in left and "bond0: ifsmith:lacp-rate='fast'" in left
