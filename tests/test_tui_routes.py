"""Static routes and DNS in the TUI's forms (issue 10, item 5): the text form of routes
and DNS (tui/widgets/routes.py) on its own, then the forms through Pilot against the fake
host with ifupdown files that give bond0 routes and DNS."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from ifsmith.core.model import (
    Dns,
    Family,
    IfType,
    Interface,
    IpAddress,
    LiveRoute,
    Protocol,
    Route,
)
from ifsmith.tui.app import IfsmithApp
from ifsmith.tui.screens.changes import ChangesScreen
from ifsmith.tui.screens.forms import BondForm
from ifsmith.tui.widgets.details import Details
from ifsmith.tui.widgets.field import Choice, FieldError
from ifsmith.tui.widgets.routes import (
    format_route,
    parse_route,
    parse_routes,
    problem_field,
    route_facts,
    with_routes,
)
from tests.test_tui_forms import error_of, goto, ok_disabled, open_form, plain, running
from tests.test_tui_tree import wait_for

# bond0 as the host's ifupdown files define it: two IPv4 routes (one on-link), one IPv6
# route, DNS servers of both families and a search domain.
INTERFACES = """\
auto lo
iface lo inet loopback

auto bond0
iface bond0 inet static
    address 192.0.2.10/24
    gateway 192.0.2.1
    bond-slaves eth0 eth1
    bond-mode active-backup
    bond-miimon 100
    dns-nameservers 192.0.2.53 2001:db8::53
    dns-search example.com
    up ip route add 10.20.0.0/16 via 192.0.2.254 metric 100 dev bond0
    up ip route add 198.51.100.0/24 dev bond0

iface bond0 inet6 static
    address 2001:db8::10/64
    up ip -6 route add 2001:db8:1::/48 via 2001:db8::1 dev bond0
"""


def with_files(tmp_path: Path) -> None:
    (tmp_path / "etc" / "network").mkdir(parents=True)
    (tmp_path / "etc" / "network" / "interfaces").write_text(INTERFACES)


async def test_an_unchanged_form_keeps_the_routes_and_dns_of_the_definition(
    tmp_path: Path,
) -> None:
    with_files(tmp_path)
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        files = next(d for d in app.defined if d.name == "bond0")
        assert files.dns is not None and files.ipv4 is not None and files.ipv4.routes
        await open_form(app, pilot, "e", BondForm, at="bond0")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        assert app.pending.definitions == [files]


# -- the text form on its own ------------------------------------------------------------


def test_routes_format_and_parse_back_line_by_line() -> None:
    routes = [
        Route("10.20.0.0", 16, "192.0.2.254", 100),
        Route("198.51.100.0", 24),
        Route("2001:db8:1::", 48, "fe80::1", 5),
    ]
    text = "\n".join(format_route(r) for r in routes)
    assert text.splitlines() == [
        "10.20.0.0/16 via 192.0.2.254 metric 100",
        "198.51.100.0/24",
        "2001:db8:1::/48 via fe80::1 metric 5",
    ]
    assert [r for _n, r in parse_routes(text)] == routes
    # Blank lines are skipped but counted: the number is the one the gutter shows.
    assert [n for n, _r in parse_routes("\n10.0.0.0/8 onlink\n\n10.1.0.0/16 metric 7\n")] == [
        2,
        4,
    ]
    assert parse_route("192.0.2.99", 1) == Route("192.0.2.99", 32)  # a host route
    assert parse_route("10.0.0.0/8 METRIC 3 VIA 192.0.2.1", 1) == Route(
        "10.0.0.0", 8, "192.0.2.1", 3
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("10.20.0.0/16 via", "route line 2: 'via' needs an address"),
        ("10.20.0.0/16 metric", "route line 2: 'metric' needs a number"),
        ("10.20.0.0/16 metric high", "route line 2: the metric must be a whole number, not 'high'"),
        ("10.20.0.0/16 via 192.0.2.1 via 192.0.2.2", "route line 2: 'via' is given twice"),
        ("10.20.0.0/16 dev bond0", "route line 2: unknown word 'dev'"),
        ("10.20.0.0/x", "route line 2: the prefix of '10.20.0.0/x' must be a number"),
        ("10.20.0.300/16", "route line 2: '10.20.0.300' is not an IP address"),
        ("default via 192.0.2.1", "route line 2: the default route is the gateway field"),
        ("10.20.0.0/16 via gw1", "route line 2: gateway 'gw1' is not an IP address"),
        ("2001:db8::/32 via 192.0.2.1", "the gateway 192.0.2.1 is IPv4, the network IPv6"),
    ],
)
def test_a_bad_route_line_is_named_with_what_is_wrong(line: str, message: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_routes(f"198.51.100.0/24\n{line}")
    assert caught.value.field == "routes"
    assert message in caught.value.message


def test_each_route_goes_to_its_family_and_a_family_without_settings_is_refused() -> None:
    v4, v6 = Protocol(Family.IPV4, dhcp=True), Protocol(Family.IPV6, autoconf=True)
    routes = parse_routes("2001:db8:1::/48 via fe80::1\n10.0.0.0/8 via 192.0.2.1")
    four, six = with_routes([v4, v6], routes)
    assert [str(r) for r in four.routes] == ["10.0.0.0/8 via 192.0.2.1"]
    assert [str(r) for r in six.routes] == ["2001:db8:1::/48 via fe80::1"]
    assert with_routes([v4, v6], []) == (v4, v6)  # none typed: none kept
    with pytest.raises(FieldError) as caught:
        with_routes([v4], routes)
    assert caught.value.message == (
        "route line 1: IPv6 has no settings; choose an IPv6 method for 2001:db8:1::/48"
    )


def test_check_messages_about_routes_and_dns_go_to_their_rows() -> None:
    assert problem_field("route 10.0.0.0/8: gateway 192.0.2.1 is not reachable") == "routes"
    assert problem_field("DNS server 'x' is not an IP address") == "dns-servers"
    assert problem_field("a DNS server is listed twice") == "dns-servers"
    assert problem_field("search domain 'a..b' is not a domain name") == "dns-search"
    assert problem_field("gateway 192.0.2.1 is outside every configured subnet") is None


def test_route_facts_say_defined_and_running_in_words() -> None:
    iface = Interface(
        IfType.ETHERNET,
        "eth0",
        protocols=(
            Protocol(
                Family.IPV4,
                addresses=(IpAddress("192.0.2.10", 24),),
                routes=(Route("10.20.0.0", 16, "192.0.2.254", 100), Route("198.51.100.0", 24)),
            ),
        ),
        dns=Dns(("192.0.2.53",), ("example.com",)),
    )
    running = [
        LiveRoute(Family.IPV4, "10.20.0.0/16", "192.0.2.254", "eth0", 100),
        LiveRoute(Family.IPV4, "203.0.113.0/24", "192.0.2.9", "eth0", None),
    ]
    assert route_facts(iface, running) == [
        ("route", "10.20.0.0/16 via 192.0.2.254 metric 100 (defined, running)"),
        ("route", "198.51.100.0/24 (defined, not running)"),
        ("route", "203.0.113.0/24 via 192.0.2.9 (running, not defined)"),
        ("dns", "192.0.2.53 (defined)"),
        ("search", "example.com (defined)"),
    ]
    assert route_facts(None, running[1:]) == [("route", "203.0.113.0/24 via 192.0.2.9 (running)")]


# -- the forms (Pilot) ---------------------------------------------------------------------


async def edit_bond0(app: IfsmithApp, pilot: Pilot[int]) -> BondForm:
    await wait_for(pilot, lambda: app.standing.known)
    form = await open_form(app, pilot, "e", BondForm, at="bond0")
    assert isinstance(form, BondForm)
    return form


async def type_routes(pilot: Pilot[int], form: BondForm, text: str) -> None:
    """Replace the routes as the admin does: focus the list, select all (with the mouse),
    delete, type."""
    area = form.query_one("#routes", TextArea)
    area.focus()
    area.select_all()
    await pilot.press("backspace")
    for line_no, line in enumerate(text.split("\n")):
        if line_no:
            await pilot.press("enter")
        await pilot.press(*[KEYS.get(c, c) for c in line])
    await wait_for(pilot, lambda: area.text == text)


KEYS = {" ": "space", "/": "slash", ".": "full_stop", ":": "colon"}


async def test_the_form_shows_the_routes_and_dns_and_an_edited_route_is_pending(
    tmp_path: Path,
) -> None:
    with_files(tmp_path)
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        form = await edit_bond0(app, pilot)
        assert form.query_one("#routes", TextArea).text == (
            "10.20.0.0/16 via 192.0.2.254 metric 100\n198.51.100.0/24\n"
            "2001:db8:1::/48 via 2001:db8::1"
        )
        assert form.query_one("#dns-servers", Input).value == "192.0.2.53 2001:db8::53"
        assert form.query_one("#dns-search", Input).value == "example.com"
        new = "10.30.0.0/16 via 192.0.2.253 metric 50\n2001:db8:2::/48 via 2001:db8::2"
        await type_routes(pilot, form, new)
        await wait_for(pilot, lambda: not ok_disabled(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        (bond0,) = app.pending.definitions
        assert bond0.ipv4 is not None and bond0.ipv6 is not None
        assert bond0.ipv4.routes == (Route("10.30.0.0", 16, "192.0.2.253", 50),)
        assert bond0.ipv6.routes == (Route("2001:db8:2::", 48, "2001:db8::2"),)
        assert bond0.dns == Dns(("192.0.2.53", "2001:db8::53"), ("example.com",))
        # The review's files carry the new route (and not the old one).
        app.backend = "ifupdown"
        screen = await open_form(app, pilot, "c", ChangesScreen)
        await wait_for(pilot, lambda: "+++" in plain(screen.query_one("#diff", Static)))
        diff = plain(screen.query_one("#diff", Static))
        assert "+    up ip route add 10.30.0.0/16 via 192.0.2.253 metric 50 dev bond0" in diff
        assert "-    up ip route add 10.20.0.0/16 via 192.0.2.254 metric 100 dev bond0" in diff


async def test_a_bad_route_line_shows_its_message_and_ok_is_refused(tmp_path: Path) -> None:
    with_files(tmp_path)
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        form = await edit_bond0(app, pilot)
        await type_routes(pilot, form, "10.20.0.0/16 via 192.0.2.254\n10.40.0.0/16 via")
        await wait_for(pilot, lambda: ok_disabled(app))
        assert error_of(app, "routes") == "route line 2: 'via' needs an address"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and not app.pending  # refused: nothing pending
        # A line that parses but that core.checks refuses: its message, beside the routes.
        await type_routes(pilot, form, "10.40.0.0/16 via 203.0.113.1")
        await wait_for(pilot, lambda: "not reachable" in error_of(app, "routes"))
        assert ok_disabled(app)
        # A bad DNS server: beside its own field.
        form.query_one("#dns-servers", Input).value = "192.0.2.53 resolver1"
        await type_routes(pilot, form, "")
        await wait_for(pilot, lambda: "resolver1" in error_of(app, "dns-servers"))
        assert ok_disabled(app)


async def test_a_changed_method_keeps_the_routes_of_the_field(tmp_path: Path) -> None:
    with_files(tmp_path)
    async with running(tmp_path) as (app, pilot):
        form = await edit_bond0(app, pilot)
        form.query_one("#ipv4-method", Choice).value = "dhcp"
        form.query_one("#dns-servers", Input).value = ""
        form.query_one("#dns-search", Input).value = ""
        await wait_for(pilot, lambda: not ok_disabled(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(app.pending))
        (bond0,) = app.pending.definitions
        assert bond0.ipv4 is not None and bond0.ipv4.dhcp
        assert [str(r) for r in bond0.ipv4.routes] == [
            "10.20.0.0/16 via 192.0.2.254 metric 100",
            "198.51.100.0/24 on-link",
        ]
        assert bond0.dns is None  # emptied: gone, as typed


async def test_the_details_pane_shows_defined_and_running_routes_and_dns(
    tmp_path: Path,
) -> None:
    with_files(tmp_path)
    async with running(tmp_path, size=(120, 40)) as (app, pilot):
        await wait_for(pilot, lambda: app.standing.known)
        await goto(app, pilot, "bond0")
        details = str(app.query_one("#details-text", Details).text)
        assert "route        10.20.0.0/16 via 192.0.2.254 metric 100 (defined, not running)" in (
            details
        )
        assert "dns          192.0.2.53 2001:db8::53 (defined)" in details
        assert "search       example.com (defined)" in details


async def test_a_new_form_has_no_routes_and_typing_in_the_list_answers_quickly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    async with running(tmp_path, size=(80, 24)) as (app, pilot):
        form = await open_form(app, pilot, "b", BondForm)
        area = form.query_one("#routes", TextArea)
        assert area.text == "" and "(one a line" in str(area.placeholder)
        assert form.query_one("#dns-servers", Input).value == ""
        area.focus()
        fields = form.query_one("#fields")
        # Focused, the list scrolls into view whole: all its rows inside the form's fields.
        await wait_for(pilot, lambda: fields.region.contains_region(area.region))
        assert fields.scroll_y > 0 and area.region.height == 4
        # Each key: the UI thread's CPU time until the list shows it and the form has
        # validated it (CPU, not wall time: the neighbours on a loaded machine are not ours).
        typed = ""
        spent = []
        for key in ["1", "0", "full_stop", "9", "full_stop", "0", "full_stop", "0", "slash", "8"]:
            typed += {"full_stop": ".", "slash": "/"}.get(key, key)
            await pilot.pause()
            start = time.thread_time()
            await pilot.press(key)
            await wait_for(pilot, lambda shown=typed: area.text == shown)
            spent.append(time.thread_time() - start)
        print("UI thread ms per key:", [round(s * 1000, 1) for s in spent])
        assert max(spent) < 0.1, f"a key took {max(spent) * 1000:.0f} ms of the UI thread"
        # A new bond's IPv4 is "none": the route has nowhere to go, and says so.
        assert error_of(app, "routes") == (
            "route line 1: IPv4 has no settings; choose an IPv4 method for 10.9.0.0/8"
        )


async def test_in_the_routes_list_escape_still_cancels_and_tab_moves_on(tmp_path: Path) -> None:
    with_files(tmp_path)
    async with running(tmp_path) as (app, pilot):
        form = await edit_bond0(app, pilot)
        area = form.query_one("#routes", TextArea)
        area.focus()
        await pilot.press("tab")  # to the next field, not a tab character
        await wait_for(pilot, lambda: app.focused is form.query_one("#dns-servers", Input))
        assert "\t" not in area.text
        area.focus()
        await pilot.press("x", "escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BondForm))
        assert not app.pending
