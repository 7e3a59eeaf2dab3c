"""The rows of a form that show a top-level interface's static routes and DNS: a small
editable list of routes (one a line, numbered) and two one-line fields (issue 10).  Their
text form is tui/widgets/routes.py's."""

from __future__ import annotations

import dataclasses

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import TextArea

from ifsmith.core.model import Dns, Interface
from ifsmith.tui.widgets.field import field_row, hint, text_input
from ifsmith.tui.widgets.routes import (
    ROUTES,
    SEARCH,
    SERVERS,
    format_routes,
    parse_routes,
    with_routes,
    words,
)


class NumberedLines(TextArea):
    """A few lines of a form's field, with line numbers (the messages name lines)."""

    ROWS = 4

    DEFAULT_CSS = """
    NumberedLines {
        height: auto;
        width: 1fr;
    }
    """

    def __init__(self, field: str, placeholder: str) -> None:
        super().__init__(
            id=field,
            soft_wrap=False,
            show_line_numbers=True,
            compact=True,
            highlight_cursor_line=False,
            placeholder=hint(placeholder),
        )

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # A fixed number of rows: the form's grid sizes its rows by their content.
        return self.ROWS


class RouteList(NumberedLines):
    """The routes, one a line."""

    def __init__(self) -> None:
        super().__init__(ROUTES, "one a line: 10.20.0.0/16 via 192.0.2.254 metric 100")


class RoutesDns:
    """The rows of a top-level interface's routes, DNS servers and search domains."""

    def __init__(self) -> None:
        self.routes = RouteList()
        self.servers = text_input(SERVERS, "", "addresses, space-separated")
        self.search = text_input(SEARCH, "", "domains, space-separated")
        self.loaded: Dns | None = None

    def rows(self) -> list[Widget]:
        return [
            *field_row("routes", self.routes),
            *field_row("DNS servers", self.servers),
            *field_row("search domains", self.search),
        ]

    def fill(self, iface: Interface | None) -> None:
        """Show the interface's routes and DNS (None: a new interface, none)."""
        self.routes.load_text(format_routes(iface.protocols) if iface is not None else "")
        dns = iface.dns if iface is not None else None
        self.loaded = dns
        self.servers.value = " ".join(dns.servers) if dns else ""
        self.search.value = " ".join(dns.search) if dns else ""

    def apply(self, iface: Interface) -> Interface:
        """``iface`` with the routes and DNS these rows give; FieldError for a route line
        that does not parse or has no protocol of its family to go to."""
        protocols = with_routes(iface.protocols, parse_routes(self.routes.text))
        dns = Dns(words(self.servers.value), words(self.search.value))
        if not dns:
            dns = self.loaded if not self.loaded else None  # None or an empty <dns/>: kept
        elif self.loaded is not None and dns == self.loaded:
            dns = self.loaded  # its line too
        return dataclasses.replace(iface, protocols=protocols, dns=dns)
