"""Static routes and DNS in the TUI's forms (issue 10, item 5): the text form of routes
and DNS (tui/widgets/routes.py) on its own, then the forms through Pilot against the fake
host with ifupdown files that give bond0 routes and DNS."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, TextArea

from ifsmith.tui.screens.forms import BondForm
from tests.test_tui_forms import error_of, goto, ok_disabled, open_form, running
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
