"""The definition view: leases stay leases, absent is not "off", drift in words, leases
carried live onto a new master (core/definition.py, core/plan.py)."""

from __future__ import annotations

from ifsmith.core.definition import (
    boot_off_warnings,
    definition_of,
    derive,
    drift,
    keep_defined,
    running_note,
    with_running,
)
from ifsmith.core.model import (
    Family,
    IfType,
    Interface,
    IpAddress,
    LinkState,
    LiveAddress,
    LiveHost,
    LiveLink,
    LiveRoute,
    Protocol,
    StartMode,
)
from ifsmith.core.plan import AddAddress, SetDefaultRoute, make_plan
from ifsmith.core.xmlio import parse, to_xml

LEASE = LiveAddress(Family.IPV4, "10.55.0.123", 24, dynamic=True, origin="dhcp")
SLAAC = LiveAddress(Family.IPV6, "2001:db8::5054:ff:fe12:3456", 64, dynamic=True,
                    origin="autoconf")  # fmt: skip
HAND = LiveAddress(Family.IPV4, "198.51.100.7", 24)


def host(*addresses: LiveAddress, gateway: str | None = "10.55.0.1") -> LiveHost:
    eth0 = LiveLink(
        2, "eth0", "", mac="52:54:00:00:00:01", mtu=1500, admin_up=True,
        operstate=LinkState.UP, addresses=addresses,
    )  # fmt: skip
    routes = (LiveRoute(Family.IPV4, "default", gateway, "eth0"),) if gateway else ()
    return LiveHost((eth0,), routes)


def test_a_lease_is_derived_as_dhcp_never_as_a_static_copy() -> None:
    iface = derive(host(LEASE), "eth0")
    assert iface.ipv4 == Protocol(Family.IPV4, dhcp=True)
    assert "10.55.0.123" not in to_xml(iface) and "<dhcp/>" in to_xml(iface)


def test_slaac_is_derived_as_autoconf_and_a_hand_address_stays_static() -> None:
    iface = derive(host(SLAAC, HAND, gateway=None), "eth0")
    assert iface.ipv6 == Protocol(Family.IPV6, autoconf=True)
    assert iface.ipv4 == Protocol(Family.IPV4, addresses=(IpAddress("198.51.100.7", 24),))


def test_the_files_definition_wins_over_the_live_state() -> None:
    files = parse(
        "<interface type='ethernet' name='eth0'><start mode='onboot'/>"
        "<protocol family='ipv4'><dhcp/></protocol></interface>"
    )
    assert definition_of(files, host(LEASE), "eth0") == files[0]
    assert definition_of(files, host(LEASE), "eth9") is None


def test_absent_start_mode_keeps_the_files_and_explicit_none_turns_it_off() -> None:
    files = [Interface(IfType.ETHERNET, "eth0", start_mode=StartMode.ONBOOT)]
    silent = keep_defined([Interface(IfType.ETHERNET, "eth0", mtu=9000)], files)
    assert silent[0].start_mode is StartMode.ONBOOT and silent[0].mtu == 9000
    off = [Interface(IfType.ETHERNET, "eth0", start_mode=StartMode.NONE)]
    assert keep_defined(off, files) == off
    warnings = boot_off_warnings(off, files, host(LEASE), clients=["10.55.0.9"])
    assert warnings == [
        "eth0: boot activation turned off (start mode none); after a reboot it stays down, "
        "and it carries the ssh session from 10.55.0.9"
    ]
    assert boot_off_warnings(off, files, host(LEASE, gateway=None)) == []


def test_drift_names_each_difference_in_one_line_and_a_lease_agrees_with_dhcp() -> None:
    dhcp = parse(
        "<interface type='ethernet' name='eth0'><start mode='onboot'/><mtu size='9000'/>"
        "<protocol family='ipv4'><dhcp/></protocol></interface>"
    )[0]
    assert drift(dhcp, host(LEASE, HAND)) == [
        "eth0: mtu 9000 defined, 1500 running",
        "eth0: address 198.51.100.7/24 running, not defined",
    ]
    static = parse(
        "<interface type='ethernet' name='eth0'><protocol family='ipv4'>"
        "<ip address='10.55.0.123' prefix='24'/><route gateway='10.55.0.1'/>"
        "</protocol></interface>"
    )[0]
    assert drift(static, host(LiveAddress(Family.IPV4, "10.55.0.123", 24))) == []
    assert drift(static, host(LEASE, gateway="10.55.0.254")) == [
        "eth0: gateway 10.55.0.1 defined, 10.55.0.254 running",
    ]


def test_running_note_says_which_address_is_a_lease() -> None:
    assert running_note("eth0", host(LEASE, HAND)) == (
        "eth0 running: up, mtu 1500, 10.55.0.123/24 (dhcp lease), 198.51.100.7/24, "
        "ipv4 gateway 10.55.0.1"
    )


def test_with_running_joins_hand_added_addresses_and_the_static_gateway() -> None:
    files = Interface(
        IfType.ETHERNET, "eth0",
        protocols=(Protocol(Family.IPV4, addresses=(IpAddress("10.55.0.123", 24),)),),
    )  # fmt: skip
    live = host(LiveAddress(Family.IPV4, "10.55.0.123", 24), HAND)
    joined = with_running(files, live)
    assert joined.ipv4 == Protocol(
        Family.IPV4,
        addresses=(IpAddress("10.55.0.123", 24), IpAddress("198.51.100.7", 24)),
        gateway="10.55.0.1",
    )
    dhcp = Interface(IfType.ETHERNET, "eth0", protocols=(Protocol(Family.IPV4, dhcp=True),))
    assert with_running(dhcp, host(LEASE)).ipv4 == Protocol(Family.IPV4, dhcp=True)


def test_a_dhcp_bridge_takes_its_new_ports_lease_and_default_route_live() -> None:
    bridged = parse(
        "<interface type='bridge' name='br0'><start mode='onboot'/>"
        "<protocol family='ipv4'><dhcp/></protocol><bridge stp='off'>"
        "<interface type='ethernet' name='eth0'/></bridge></interface>"
    )
    steps = make_plan(bridged, host(LEASE)).operations
    adds = [op for op in steps if isinstance(op, AddAddress)]
    assert [(op.name, str(op.addr)) for op in adds] == [("br0", "10.55.0.123/24")]
    routes = [op for op in steps if isinstance(op, SetDefaultRoute)]
    assert [(op.name, op.gateway) for op in routes] == [("br0", "10.55.0.1")]
