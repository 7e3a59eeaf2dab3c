"""The host's configuration stack, shared by the command line and the API: which backend,
what its files define, a document checked against the host, a rendering.

Nothing here prints: warnings come back as lines for the caller to show (the command line
prints them on stderr, the API returns them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ifsmith.api.errors import BackendError, InvalidDefinition
from ifsmith.core.errors import IfsmithError
from ifsmith.core.host import Host

if TYPE_CHECKING:
    from ifsmith.backends import Backend
    from ifsmith.core.files import FileView, Rendering
    from ifsmith.core.model import Interface

# Python modules a backend needs beyond the core's, by import name → what pip installs.
DISTRIBUTIONS = {"yaml": "PyYAML"}


def missing_module(backend: str, exc: ModuleNotFoundError) -> str:
    """The message for a backend whose module (or a module it imports) is missing."""
    module = exc.name or "?"
    dist = DISTRIBUTIONS.get(module.split(".")[0], module)
    return (
        f"backend {backend} needs the Python module {module}, which is not installed: "
        f"pip install {dist} (or run scripts/setup.sh)"
    )


def resolve_backend(name: str, host: Host) -> Backend:
    """The backend named, or the detected one for ``auto``; BackendError otherwise."""
    from ifsmith import backends

    if name == "auto":
        detected = backends.detect(host)
        if detected is None:
            raise BackendError(
                f"no network configuration stack detected under {host.root}; "
                "choose one with --backend (see `ifsmith backends`)"
            )
        name = detected
    try:
        return backends.get(name)
    except backends.UnknownBackend as exc:
        raise BackendError(str(exc)) from None
    except ModuleNotFoundError as exc:
        raise BackendError(missing_module(name, exc)) from None


def has_stack(host: Host, backend: str) -> bool:
    """False when ``auto`` finds no stack: the live state stands alone then."""
    from ifsmith import backends

    return backend != "auto" or backends.detect(host) is not None


def read_definitions(host: Host, backend: str) -> tuple[list[Interface], list[str]]:
    """What the files define through BACKEND (``auto``: the detected stack, an error when
    there is none), and a warning line per line or file the backend could not use."""
    from ifsmith.core.files import HostFiles

    chosen = resolve_backend(backend, host)
    interfaces, problems = chosen.read_report(HostFiles(host))
    return interfaces, [f"warning: {chosen.NAME}: {problem}" for problem in problems]


def host_definitions(host: Host, backend: str) -> tuple[list[Interface], list[str]]:
    """``read_definitions``, but nothing (and no error) when ``auto`` finds no stack."""
    if not has_stack(host, backend):
        return [], []
    return read_definitions(host, backend)


def checked(
    data: bytes | str, source: str, host: Host, *, offline: bool = False
) -> tuple[list[Interface], list[str]]:
    """Parse and check a document (see ``judged``)."""
    from ifsmith.core.xmlio import parse

    try:
        interfaces = parse(data, source)
    except IfsmithError as exc:
        raise InvalidDefinition(str(exc)) from None
    return interfaces, judged(interfaces, source, host, offline=offline)


def judged(
    interfaces: Sequence[Interface], source: str, host: Host, *, offline: bool = False
) -> list[str]:
    """Check parsed interfaces against the host: a line per warning, or InvalidDefinition
    listing every error (its ``warnings`` holds the warnings).

    ``offline``: the files are for another machine, so a VLAN parent found nowhere is a
    warning (``core.checks.check``)."""
    from ifsmith.core.checks import check, errors

    problems = check(interfaces, known_names(host), offline=offline)
    warnings = [f"{source}: {p}" for p in problems if p.severity == "warning"]
    bad = errors(problems)
    if bad:
        lines = "\n".join(f"  {p}" for p in bad)
        raise InvalidDefinition(f"{source} is invalid:\n{lines}", warnings)
    return warnings


def known_names(host: Host) -> set[str]:
    """Interfaces present on the host (live), so a VLAN may name an existing parent."""
    try:
        from ifsmith.core.live import snapshot

        return {link.name for link in snapshot(host).links}
    except Exception:
        return set()


def render(
    backend: Backend, interfaces: Sequence[Interface], host: Host, files: FileView | None = None
) -> Rendering:
    """Render with the backend (over the host's files, or ``files``), turning unsafe values
    into BackendError.  The rendering's own warnings stay in it."""
    from ifsmith.backends import render as render_with
    from ifsmith.core.files import HostFiles, UnsafeValue

    try:
        return render_with(backend, interfaces, files if files is not None else HostFiles(host))
    except UnsafeValue as exc:
        raise BackendError(f"{backend.NAME}: refused: {exc}") from None
