"""Debian ifupdown: ``/etc/network/interfaces`` and the files it sources.

ifupdown has no quoting at all: an option's value is the rest of its line, and ifupdown
and its hook scripts paste values into ``/bin/sh -c`` command strings.  So every value this
module writes is checked against a strict pattern (names, addresses, MACs, numbers) and
anything else raises ``UnsafeValue``; the free-text label goes into a comment, JSON-quoted so
that no newline or backslash can escape it.

Rendering edits the stanzas of the named interfaces wherever they live (the main file or a
sourced one), keeps every other line byte for byte, keeps options it does not model, and puts
new interfaces into ``/etc/network/interfaces.d/<name>``.  Within a stanza it edits only the
lines of fields whose value differs from what the files say, in the spelling they have, so
an unchanged round trip writes nothing.  Static routes are ``up ip route add … dev NAME``
lines and DNS resolvconf's ``dns-nameservers``/``dns-search`` (issue 10), read into the model;
a NIC that becomes a slave or port hands the route and ``dns-*`` lines the model does not
hold to the top of its tree (the modelled ones are the top's own, in its interface).
``mtu``/``hwaddress`` go where ifupdown 0.8 applies them: methods that ignore them
(``inet dhcp``: mtu, but for a bridge's, which bridge-utils applies to its ports;
``inet6 auto``: both) get an ``ip link set`` command instead, which the reader reads back.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import logging
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TypeVar

from ifsmith.backends import DhcpClient, ReadResult, ifupdown_options, ifupdown_state
from ifsmith.backends.route_text import (
    family_of,
    parse_route,
    route_words,
    safe_search,
    safe_servers,
)
from ifsmith.core.files import (
    FileView,
    HostFiles,
    RenderedFiles,
    Rendering,
    RenderWarning,
    UnsafePath,
    UnsafeValue,
    in_root,
    split_lines,
)
from ifsmith.core.host import Host
from ifsmith.core.model import (
    PRIMARY_MODES,
    ArpMon,
    ArpValidate,
    Bond,
    BondMode,
    Bridge,
    Carrier,
    Dns,
    Family,
    IfType,
    Interface,
    IpAddress,
    LacpRate,
    MiiMon,
    Protocol,
    Route,
    StartMode,
    Vlan,
    XmitHashPolicy,
)

NAME = "ifupdown"
CARRIES = frozenset({"routes", "dns", *ifupdown_options.CARRIES})  # see backends.render
INTERFACES = PurePosixPath("/etc/network/interfaces")
INTERFACES_D = PurePosixPath("/etc/network/interfaces.d")

log = logging.getLogger(__name__)

# interfaces(5): source-directory silently skips every other file name.
SOURCE_DIRECTORY_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
# Names we write: what a shell passes through unchanged, unquoted (no metacharacters,
# no whitespace, no glob characters, no '=' (ifup's IFACE=LOGICAL), no ':' (aliases)).
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+@-]*$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_LABEL = re.compile(r'^#\s*label\s+(\S+):\s*(".*")\s*$')
# The pre-up/post-down commands we write for VLANs whose name ifupdown cannot parse.
_VLAN_PRE_UP = re.compile(
    r"^ip link show dev (\S+) >/dev/null 2>&1 \|\| "
    r"ip link add link (\S+) name \1 type vlan id (\d+)( reorder_hdr off)?$"
)
_VLAN_POST_DOWN = re.compile(r"^ip link delete dev (\S+) 2>/dev/null \|\| true$")

# Lines that open a new stanza (or stand alone); everything else inside a stanza is an option.
_STANZA_WORDS = frozenset(
    {
        "iface",
        "mapping",
        "auto",
        "source",
        "source-directory",
        "rename",
        "no-auto-down",
        "no-scripts",
        "template",
    }
)
_START_WORDS = {
    "auto": StartMode.ONBOOT,
    "allow-auto": StartMode.ONBOOT,
    "allow-hotplug": StartMode.HOTPLUG,
}
_METHODS = {
    "inet": frozenset({"static", "dhcp", "manual", "loopback"}),
    "inet6": frozenset({"static", "dhcp", "auto", "manual", "loopback"}),
}
# Option keys (normalised: lower case, '_' → '-') whose lines this backend owns, each with
# the model field it writes: a render edits only the lines of fields whose value changed.
_FIELD_OF_KEY = {
    "mtu": "mtu",
    "hwaddress": "mac",
    "bond-slaves": "slaves",
    "slaves": "slaves",
    "bond-members": "slaves",
    "bond-master": "master",
    "bond-mode": "bond-mode",
    "bond-miimon": "miimon",
    "bond-updelay": "miimon",
    "bond-downdelay": "miimon",
    "bond-use-carrier": "miimon",
    "bond-arp-interval": "arpmon",
    "bond-arp-ip-target": "arpmon",
    "bond-arp-validate": "arpmon",
    "bond-primary": "primary",
    "bond-xmit-hash-policy": "xmit-hash-policy",
    "bond-lacp-rate": "lacp-rate",
    **{key: "bond-options" for key in ifupdown_options.BOND_KEYS.values()},
    **{key: "bridge-options" for key in ifupdown_options.BRIDGE_KEYS.values()},
    **{key: "port-options" for key in ifupdown_options.PORT_KEYS.values()},
    **{key: "port-options" for key in ifupdown_options.PORT_OTHER_KEYS},
    "bridge-ports": "ports",
    "bridge-stp": "stp",
    "bridge-fd": "delay",
    "vlan-raw-device": "vlan",
    "vlan-id": "vlan",
}
# The link fields, in the order a new stanza lists them.
_LINK_FIELDS = tuple(dict.fromkeys(_FIELD_OF_KEY.values()))
# Methods whose stanza ifupdown 0.8 applies the option in (inet.defn / inet6.defn, interfaces(5)):
# "inet dhcp" ignores mtu, "inet6 auto" ignores both.  Elsewhere a hook command sets them.
_APPLIES = {
    "mtu": frozenset({"static", "manual"}),
    "hwaddress": frozenset({"static", "manual", "dhcp"}),
}
_LINK_SET_WORD = {"mtu": "mtu", "hwaddress": "address"}


def _applies(key: str, method: str | None, bridge: bool) -> bool:
    """Does ifupdown apply ``mtu``/``hwaddress`` in a stanza of this method?

    A bridge's ``mtu`` applies in every method: bridge-utils' hook sets it on each port
    before adding it, and the kernel gives a bridge its ports' smallest MTU.
    """
    return method in _APPLIES[key] or (bridge and key == "mtu")


_PLACED_KEY = {"mtu": "mtu", "mac": "hwaddress"}  # field → the key whose stanza matters
_LINK_SET = re.compile(r"^ip link set dev (\S+) (mtu|address) (\S+)$")
_HOOK_KEYS = frozenset({"pre-up", "up", "post-up"})
# Commands that belong to a stanza's addressing: they move with it when a NIC is enslaved.
_ROUTE_COMMAND = re.compile(
    r"^(/s?bin/|/usr/s?bin/)?ip (-[46] )?route (add|replace|append|del|delete|change) "
)
_COMMAND_KEYS = frozenset({"pre-up", "up", "post-up", "down", "pre-down", "post-down"})
_ADDRESS_KEYS = frozenset({"address", "netmask", "gateway", "autoconf", "dhcp"})
# resolvconf's keys the model holds (dns-domain reads as the search list when there is none;
# dns-sortlist, dns-options … stay the stanza's own lines).
_DNS_KEYS = frozenset({"dns-nameservers", "dns-nameserver", "dns-search", "dns-domain"})
_ROUTE_FIELDS = {"routes4": Family.IPV4, "routes6": Family.IPV6}
_MODELLED_LINES = frozenset({"dns", *_ROUTE_FIELDS})
_IP = frozenset({"ip", "/sbin/ip", "/bin/ip", "/usr/sbin/ip", "/usr/bin/ip"})


def _route_command(key: str, value: str, name: str) -> tuple[str, Route] | None:
    """``up ip route add DEST [via GW] [metric N] [dev NAME]`` (or ``post-up``), or its
    ``down ip route del …``, as ("add" or "del", the route) when the model holds every word."""
    words = value.split()
    if len(words) < 4 or words[0] not in _IP:
        return None
    at = 2 if words[1] in ("-4", "-6") else 1
    if words[at : at + 1] != ["route"]:
        return None
    verb = words[at + 1] if len(words) > at + 1 else ""
    if verb == "add" and key in ("up", "post-up"):
        kind = "add"
    elif verb in ("del", "delete") and key in ("down", "pre-down", "post-down"):
        kind = "del"
    else:
        return None
    route = parse_route(words[at + 2 :], name)
    if route is None or (at == 2 and words[1] != ("-6" if ":" in route.address else "-4")):
        return None
    return kind, route


def _key(word: str) -> str:
    return word.lower().replace("_", "-")


# ---------------------------------------------------------------------------------------
# Parsing: files → logical lines → stanzas, keeping where every line came from.


@dataclass
class Line:
    """One logical line (continuations joined) of a file, with its physical span."""

    path: PurePosixPath
    first: int  # index of the first physical line
    last: int  # one past the last physical line
    text: str

    @property
    def lineno(self) -> int:
        return self.first + 1

    @property
    def words(self) -> list[str]:
        return self.text.split()

    def where(self) -> str:
        return f"{self.path}:{self.lineno}"


@dataclass
class Option:
    key: str  # normalised
    value: str
    line: Line


@dataclass
class Stanza:
    """An ``iface`` stanza: its head line and the option (and comment) lines inside it."""

    head: Line
    name: str
    family: str | None
    method: str | None
    inherits: str | None
    options: list[Option] = field(default_factory=list)
    end: int = 0  # one past the last option line (or the head)

    @property
    def device(self) -> str:
        """The kernel device: an alias ``eth0:1`` configures ``eth0``."""
        return self.name.split(":", 1)[0]

    def values(self, key: str) -> list[str]:
        return [o.value for o in self.options if o.key == key]

    def value(self, key: str) -> str | None:
        values = self.values(key)
        return values[0] if values else None


@dataclass
class Config:
    """Everything the interfaces files say, in reading order."""

    files: dict[PurePosixPath, list[str]] = field(default_factory=dict)
    stanzas: list[Stanza] = field(default_factory=list)
    starts: list[Line] = field(default_factory=list)  # auto / allow-* lines
    labels: dict[str, Line] = field(default_factory=dict)
    source_dirs: list[PurePosixPath] = field(default_factory=list)
    source_globs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def by_device(self) -> dict[str, list[Stanza]]:
        out: dict[str, list[Stanza]] = {}
        for st in self.stanzas:
            out.setdefault(st.device, []).append(st)
        return out

    def startsplit_lines(self) -> dict[str, list[Line]]:
        out: dict[str, list[Line]] = {}
        for line in self.starts:
            for name in line.words[1:]:
                out.setdefault(name, []).append(line)
        return out

    def sources(self, path: PurePosixPath) -> bool:
        """Would ifupdown read a file at ``path`` through a source or source-directory line?"""
        if path.parent in self.source_dirs and SOURCE_DIRECTORY_NAME.match(path.name):
            return True
        return any(fnmatch.fnmatchcase(str(path), g) for g in self.source_globs)


def logicalsplit_lines(path: PurePosixPath, physical: list[str]) -> Iterator[Line]:
    """Join continuation lines (a trailing backslash); comments never continue."""
    i = 0
    while i < len(physical):
        first = i
        text = physical[i].rstrip("\r\n")
        i += 1
        if not text.lstrip().startswith("#"):
            while text.endswith("\\") and i < len(physical):
                text = text[:-1] + physical[i].rstrip("\r\n")
                i += 1
            text = text.removesuffix("\\")
        yield Line(path, first, i, text.strip())


def parse(existing: FileView) -> Config:
    """Read /etc/network/interfaces and everything it sources."""
    cfg = Config()
    _parse_file(cfg, existing, INTERFACES, depth=0)
    return cfg


def _parse_file(cfg: Config, files: FileView, path: PurePosixPath, depth: int) -> None:
    if path in cfg.files or depth > 8:
        return
    data = files.read(path)
    if data is None:
        if depth == 0:
            return
        cfg.problems.append(f"{path}: sourced but missing")
        return
    physical = split_lines(data.decode("utf-8", errors="surrogateescape"))
    cfg.files[path] = physical
    current: Stanza | None = None
    in_other = False  # inside a mapping stanza: its options are not ours
    for line in logicalsplit_lines(path, physical):
        words = line.words
        if not words:
            continue
        if words[0].startswith("#"):
            m = _LABEL.match(line.text)
            if m:
                cfg.labels.setdefault(m.group(1), line)
            continue
        word = words[0]
        if word in _STANZA_WORDS or word.startswith("allow-"):
            current, in_other = None, False
            if word == "iface":
                current = _parse_iface(cfg, line)
            elif word == "auto" or word.startswith("allow-"):
                cfg.starts.append(line)
            elif word in ("source", "source-directory"):
                _follow(cfg, files, line, depth)
            elif word == "mapping":
                in_other = True
            continue
        if current is None:
            if not in_other:
                cfg.problems.append(f"{line.where()}: option outside an iface stanza ignored")
            continue
        value = line.text[len(word) :].strip()
        current.options.append(Option(_key(word), value, line))
        current.end = line.last


def _parse_iface(cfg: Config, line: Line) -> Stanza | None:
    words = line.words[1:]
    if not words:
        cfg.problems.append(f"{line.where()}: iface line without an interface name ignored")
        return None
    name, rest = words[0], words[1:]
    inherits = None
    if "inherits" in rest:
        at = rest.index("inherits")
        if at + 1 >= len(rest):
            cfg.problems.append(f"{line.where()}: 'inherits' without a template ignored")
            return None
        inherits = rest[at + 1]
        rest = rest[:at]
    family = rest[0] if rest else None
    method = rest[1] if len(rest) > 1 else None
    if len(rest) > 2:
        cfg.problems.append(f"{line.where()}: extra words on the iface line ignored: {rest[2:]}")
    stanza = Stanza(line, name, family, method, inherits, end=line.last)
    cfg.stanzas.append(stanza)
    return stanza


def _follow(cfg: Config, files: FileView, line: Line, depth: int) -> None:
    words = line.words
    if len(words) < 2:
        cfg.problems.append(f"{line.where()}: {words[0]} without a path ignored")
        return
    base = line.path.parent
    for pattern in words[1:]:
        full = str(base / pattern) if not pattern.startswith("/") else pattern
        # The part without wildcards is checked before anything is listed or read.
        fixed = PurePosixPath(*_fixed_parts(full))
        listed = fixed != PurePosixPath(full) or words[0] == "source-directory"
        if not _confined(files, fixed, line, pattern, directory=listed):
            continue
        if words[0] == "source":
            cfg.source_globs.append(full)
            for path in _glob(files, full):
                if _confined(files, path, line, pattern, directory=False):
                    _parse_file(cfg, files, path, depth + 1)
        else:
            for directory in _glob(files, full):
                _confined(files, directory, line, pattern, directory=True)
                cfg.source_dirs.append(directory)
                for name in files.listdir(directory):
                    if SOURCE_DIRECTORY_NAME.match(name) and _confined(
                        files, directory / name, line, pattern, directory=False
                    ):
                        _parse_file(cfg, files, directory / name, depth + 1)


def _glob(files: FileView, pattern: str) -> list[PurePosixPath]:
    """Expand shell wildcards component by component through the file view."""
    parts = PurePosixPath(pattern).parts
    found = [PurePosixPath(parts[0])]
    for part in parts[1:]:
        if not any(c in part for c in "*?["):
            found = [p / part for p in found]
            continue
        found = [
            p / n
            for p in found
            for n in files.listdir(p)
            if fnmatch.fnmatchcase(n, part) and not n.startswith(".")
        ]
    if not any(c in pattern for c in "*?["):
        return found
    return sorted(found)


# What a source or source-directory line may reach: ifupdown's own tree under the root.
SOURCE_TREE = INTERFACES.parent


def _fixed_parts(pattern: str) -> list[str]:
    """The leading path parts of PATTERN before the first one with a wildcard."""
    parts = list(PurePosixPath(pattern).parts)
    at = next((i for i, p in enumerate(parts) if any(c in p for c in "*?[")), len(parts))
    return parts[:at]


def _landing(files: FileView, path: PurePosixPath) -> tuple[PurePosixPath, bool]:
    """Where PATH lands as the target system resolves it, and whether a symbolic link
    took it there: links followed inside the root for the host's files (``in_root``),
    '..' taken by name for files held in memory (they have no links)."""
    view = files
    while isinstance(view, RenderedFiles):
        view = view.base
    if isinstance(view, HostFiles):
        done, links = in_root(view.host, path)
        return done, links > 0
    out: list[str] = []
    for part in path.parts[1:]:
        if part == "..":
            out = out[:-1]
        elif part != ".":
            out.append(part)
    return PurePosixPath("/", *out), False


def _confined(files: FileView, path: PurePosixPath, line: Line, pattern: str,
              directory: bool) -> bool:  # fmt: skip
    """True when a sourced PATH lands inside /etc/network, False for /dev/null (Debian's
    own examples source it: nothing to read); anything else is refused, before it is read
    and so before any write: ``source ../../../etc/shadow``, a linked directory, a glob's
    match outside the tree."""
    landing, linked = _landing(files, path)
    if (landing == SOURCE_TREE and directory) or SOURCE_TREE in landing.parents:
        return True
    if landing == PurePosixPath("/dev/null") and not directory:
        return False
    how = f"{path}, a symbolic link to {landing}," if linked else str(landing)
    raise UnsafePath(f"{line.where()}: {line.words[0]} {pattern}: {how} is outside "
                     f"{SOURCE_TREE}; refusing to read it")  # fmt: skip


# ---------------------------------------------------------------------------------------
# Reading: stanzas → interfaces.


@dataclass
class _Device:
    name: str
    stanzas: list[tuple[Stanza, list[Option]]] = field(default_factory=list)

    def options(self, key: str) -> list[str]:
        return [o.value for _, opts in self.stanzas for o in opts if o.key == key]

    def option(self, key: str) -> str | None:
        values = self.options(key)
        return values[0] if values else None


def read_files(existing: FileView) -> list[Interface]:
    """What the files say, as top-level interfaces; problems are logged as warnings."""
    return read_report(existing).logged(log)


def read(host: Host) -> list[Interface]:
    """What the host's interfaces files say."""
    return read_files(HostFiles(host))


def read_report(existing: FileView) -> ReadResult:
    """The interfaces the files define and the lines that were skipped, with reasons."""
    return _read_config(parse(existing))


def _read_config(cfg: Config) -> ReadResult:
    problems = list(cfg.problems)
    devices = _devices(cfg, problems)
    starts: dict[str, StartMode] = {}
    for line in cfg.starts:
        mode = _START_WORDS.get(line.words[0])
        for name in line.words[1:]:
            if mode is not None:
                starts.setdefault(name, mode)
    built: dict[str, Interface] = {}
    masters: dict[str, str] = {}
    named = _bond_masters(devices)
    for name, dev in devices.items():
        built[name] = _interface(cfg, dev, named, problems)
    # Nest subordinates under their masters, as the XML does.
    children: dict[str, list[str]] = {}
    for name, _iface in built.items():
        subs = _subordinate_names(devices[name], named)
        for sub in subs:
            if sub in masters:
                problems.append(
                    f"{sub}: claimed by both {masters[sub]} and {name}; kept under {masters[sub]}"
                )
                continue
            if sub == name or _is_ancestor(sub, name, masters):
                problems.append(f"{name}: {sub} would be its own master; ignored")
                continue
            masters[sub] = name
            children.setdefault(name, []).append(sub)

    def nest(name: str, top: bool) -> Interface:
        iface = built.get(name) or _bare(name)
        iface = _implicit_primary(
            with_subordinates(iface, tuple(nest(s, False) for s in children.get(name, ())))
        )
        if iface.bridge is not None:
            ports = tuple(
                replace(p, port_options=ifupdown_options.read_port(
                    devices[p.name].option, p.name, problems))
                if p.name in devices else p
                for p in iface.bridge.ports
            )  # fmt: skip
            iface = replace(iface, bridge=replace(iface.bridge, ports=ports))
        if top:
            return replace(iface, start_mode=starts.get(name, StartMode.NONE))
        if iface.protocols or iface.dns:
            problems.append(
                f"{name}: addresses, routes and DNS on a port or slave are not modelled "
                f"(libvirt's nested interfaces carry none); ignored"
            )
        return replace(iface, start_mode=None, protocols=(), dns=None)

    out = [nest(name, True) for name in built if name not in masters]
    port_keys = (*ifupdown_options.PORT_KEYS.values(), *ifupdown_options.PORT_OTHER_KEYS)
    for name, dev in devices.items():
        master = built.get(masters.get(name, ""))
        if (master is None or master.bridge is None) and not dev.options("bridge-ports"):
            for key in port_keys:
                if dev.option(key) is not None:
                    problems.append(f"{name}: {key} on an interface that is no bridge's port "
                                    "is not read; kept")  # fmt: skip
    return ReadResult([_drop_inherited_mtu(t) for t in out], problems)


def _implicit_primary(iface: Interface) -> Interface:
    """A bond-primary naming the first slave says what libvirt's rule says: leave it implicit.

    (``_bond`` does this for slaves listed on the bond; this also covers slaves that name
    their bond with ``bond-master``, known only once the tree is built.)
    """
    bond = iface.bond
    if (
        bond is not None
        and bond.slaves
        and bond.mode in PRIMARY_MODES
        and bond.primary_slave == bond.slaves[0].name
    ):
        return replace(iface, bond=replace(bond, primary_slave=None))
    return iface


def _is_ancestor(candidate: str, name: str, masters: dict[str, str]) -> bool:
    seen = set()
    while name in masters and name not in seen:
        seen.add(name)
        name = masters[name]
        if name == candidate:
            return True
    return False


def with_subordinates(iface: Interface, subs: tuple[Interface, ...]) -> Interface:
    """The interface with its bond slaves or bridge ports replaced."""
    if iface.bond is not None:
        return replace(iface, bond=replace(iface.bond, slaves=subs))
    if iface.bridge is not None:
        return replace(iface, bridge=replace(iface.bridge, ports=subs))
    return iface


def _drop_inherited_mtu(top: Interface) -> Interface:
    """Subordinates inherit the top's MTU; an equal explicit one reads as inherited."""

    def strip(iface: Interface) -> Interface:
        subs = tuple(strip(s) for s in iface.subordinates)
        mtu = None if iface.mtu == top.mtu else iface.mtu
        return replace(with_subordinates(iface, subs), mtu=mtu)

    return with_subordinates(top, tuple(strip(s) for s in top.subordinates))


def _devices(cfg: Config, problems: list[str]) -> dict[str, _Device]:
    by_name: dict[str, list[Stanza]] = {}
    for st in cfg.stanzas:
        by_name.setdefault(st.name, []).append(st)
    devices: dict[str, _Device] = {}
    for st in cfg.stanzas:
        options = _resolved_options(st, by_name, problems)
        family, method = _family_method(st, by_name)
        if method == "loopback":
            continue
        if family not in _METHODS:
            problems.append(
                f"{st.head.where()}: {st.name}: address family {family!r} "
                "is not modelled; stanza skipped"
            )
            continue
        if method not in _METHODS[family]:
            problems.append(
                f"{st.head.where()}: {st.name}: method '{family} {method}' "
                "is not modelled; stanza skipped"
            )
            continue
        st_resolved = Stanza(st.head, st.name, family, method, st.inherits, st.options, st.end)
        devices.setdefault(st.device, _Device(st.device)).stanzas.append((st_resolved, options))
    return devices


def _family_method(st: Stanza, by_name: dict[str, list[Stanza]]) -> tuple[str, str]:
    family, method = st.family, st.method
    if st.inherits and (family is None or method is None):
        for tpl in by_name.get(st.inherits, []):
            if family is None or tpl.family == family:
                family = family or tpl.family
                method = method or tpl.method
                break
    if family is None:  # ifupdown-ng / ifupdown2 style: "iface eth0" with options only
        family = "inet"
    if method is None:
        has_address = any(o.key == "address" for o in st.options)
        method = "static" if has_address else "manual"
    return family, method


def _resolved_options(
    st: Stanza, by_name: dict[str, list[Stanza]], problems: list[str], depth: int = 0
) -> list[Option]:
    """The stanza's options with those of its ``inherits`` template first."""
    if not st.inherits:
        return list(st.options)
    templates = by_name.get(st.inherits, [])
    tpl = next((t for t in templates if st.family is None or t.family == st.family), None)
    if tpl is None or depth > 8:
        problems.append(f"{st.head.where()}: {st.name}: template {st.inherits!r} not found")
        return list(st.options)
    inherited = _resolved_options(tpl, by_name, problems, depth + 1)
    own = {o.key for o in st.options}
    return [o for o in inherited if o.key not in own] + list(st.options)


def _bond_masters(devices: dict[str, _Device]) -> dict[str, list[str]]:
    """Bond name → the devices whose ``bond-master`` names it, in reading order (one
    pass: asking every device per bond made reading quadratic)."""
    named: dict[str, list[str]] = {}
    for other, odev in devices.items():
        master = odev.option("bond-master")
        if master is not None:
            named.setdefault(master, []).append(other)
    return named


def _subordinate_names(dev: _Device, named: dict[str, list[str]]) -> list[str]:
    subs: list[str] = []
    for key in ("bond-slaves", "slaves", "bond-members", "bridge-ports"):
        for value in dev.options(key):
            subs += [w for w in value.split() if w not in ("none", "all")]
    subs += named.get(dev.name, [])
    return list(dict.fromkeys(subs))


def _bare(name: str) -> Interface:
    vlan = _vlan_from_name(name)
    if vlan is not None:
        return Interface(IfType.VLAN, name, vlan=Vlan(tag=vlan[1], parent=vlan[0]))
    return Interface(IfType.ETHERNET, name)


def _vlan_from_name(name: str) -> tuple[str, int] | None:
    """ifupdown creates ``eth0.42`` itself: parent before the last dot, tag after it."""
    parent, dot, tag = name.rpartition(".")
    if dot and parent and tag.isdigit() and 0 <= int(tag) <= 4095:
        return parent, int(tag)
    return None


def _interface(
    cfg: Config, dev: _Device, named: dict[str, list[str]], problems: list[str]
) -> Interface:
    name = dev.name
    iftype = IfType.ETHERNET
    bond = bridge = vlan = None
    if (
        dev.option("bond-mode")
        or dev.options("bond-slaves")
        or dev.options("slaves")
        or dev.options("bond-members")
        or name in named
    ):
        iftype, bond = IfType.BOND, _bond(dev, problems)
    elif dev.options("bridge-ports"):
        iftype, bridge = IfType.BRIDGE, _bridge(dev, problems)
    else:
        vlan = _vlan(dev, problems)
        if vlan is not None:
            iftype = IfType.VLAN
    mtu = None
    mtu_text = next(iter(_link_values(dev, "mtu", problems)), None)
    if mtu_text is not None:
        try:
            mtu = int(mtu_text.split()[0])
        except (ValueError, IndexError):
            problems.append(f"{name}: mtu {mtu_text!r} is not a number; ignored")
    mac = next(iter(_link_values(dev, "hwaddress", problems)), None)
    if mac is not None:
        mac = mac.split()[-1] if mac.split() else None
        if mac is not None and not _MAC.match(mac):
            problems.append(f"{name}: hwaddress {mac!r} is not a MAC address; ignored")
            mac = None
    label = None
    label_line = cfg.labels.get(name)
    if label_line is not None:
        m = _LABEL.match(label_line.text)
        try:
            label = json.loads(m.group(2)) if m else None
        except ValueError:
            problems.append(f"{label_line.where()}: unreadable label comment ignored")
    if label is None:
        label = dev.option("description")
    return Interface(
        type=iftype,
        name=name,
        mtu=mtu,
        mac=mac,
        protocols=_protocols(dev, problems),
        bond=bond,
        bridge=bridge,
        vlan=vlan,
        label=label if isinstance(label, str) else None,
        line=dev.stanzas[0][0].head.lineno,
        dns=_dns(dev),
    )


def _link_values(dev: _Device, key: str, problems: list[str]) -> list[str]:
    """``mtu``/``hwaddress`` where ifupdown applies them, and our hook command form of them."""
    values: list[str] = []
    for st, options in dev.stanzas:
        for o in options:
            if o.key == key:
                if _applies(key, st.method, bool(dev.options("bridge-ports"))):
                    values.append(o.value)
                else:
                    problems.append(
                        f"{o.line.where()}: {dev.name}: ifupdown ignores {key} in an "
                        f"'{st.family} {st.method}' stanza; not read"
                    )
            elif o.key in _HOOK_KEYS:
                m = _LINK_SET.match(o.value)
                if m and m.group(1) == dev.name and m.group(2) == _LINK_SET_WORD[key]:
                    values.append(m.group(3))
    return values


def _int(dev: _Device, key: str, problems: list[str]) -> int | None:
    text = dev.option(key)
    if text is None:
        return None
    try:
        return int(text.split()[0])
    except (ValueError, IndexError):
        problems.append(f"{dev.name}: {key} {text!r} is not a number; ignored")
        return None


_E = TypeVar("_E")


def _enum(dev: _Device, key: str, kind: Callable[[str], _E], problems: list[str]) -> _E | None:
    text = dev.option(key)
    if text is None:
        return None
    try:
        return kind(text.strip())
    except ValueError:
        problems.append(f"{dev.name}: {key} {text!r} is not understood; ignored")
        return None


def _bond(dev: _Device, problems: list[str]) -> Bond:
    mode = _enum(dev, "bond-mode", BondMode.parse, problems)
    miimon = arpmon = None
    freq = _int(dev, "bond-miimon", problems)
    if freq:
        carrier_text = dev.option("bond-use-carrier")
        carrier = None
        if carrier_text is not None:
            carrier = Carrier.NETIF if carrier_text in ("1", "yes", "on") else Carrier.IOCTL
        miimon = MiiMon(
            freq=freq,
            downdelay=_int(dev, "bond-downdelay", problems) or 0,
            updelay=_int(dev, "bond-updelay", problems) or 0,
            carrier=carrier,
        )
    interval = _int(dev, "bond-arp-interval", problems)
    if interval:
        targets = tuple(
            t for v in dev.options("bond-arp-ip-target") for t in v.replace(",", " ").split()
        )
        arpmon = ArpMon(
            interval=interval,
            targets=targets,
            validate=_enum(dev, "bond-arp-validate", ArpValidate, problems),
        )
    primary = dev.option("bond-primary")
    slaves = [w for v in dev.options("bond-slaves") + dev.options("slaves") for w in v.split()]
    primary_slave = None
    if primary is not None:
        primary = primary.split()[0] if primary.split() else None
        first = slaves[0] if slaves else None
        if primary is not None and not (primary == first and mode in PRIMARY_MODES):
            primary_slave = primary
    return Bond(
        mode=mode,
        miimon=miimon,
        arpmon=arpmon,
        xmit_hash_policy=_enum(dev, "bond-xmit-hash-policy", XmitHashPolicy, problems),
        lacp_rate=_enum(dev, "bond-lacp-rate", LacpRate, problems),
        primary_slave=primary_slave,
        options=ifupdown_options.read_bond(dev.option, dev.name, problems),
    )


def _bridge(dev: _Device, problems: list[str]) -> Bridge:
    stp_text = dev.option("bridge-stp")
    stp = None
    if stp_text is not None:
        stp = stp_text.strip().lower() in ("on", "yes", "true", "1")
    delay = None
    fd = dev.option("bridge-fd")
    if fd is not None:
        try:
            delay = float(fd)
        except ValueError:
            problems.append(f"{dev.name}: bridge_fd {fd!r} is not a number; ignored")
    options = ifupdown_options.read_bridge(dev.option, dev.name, problems)
    hooks = [v for key in ("up", "post-up") for v in dev.options(key)]
    vlans = ifupdown_options.read_self_vlans(hooks, dev.name, problems)
    for key in ("bridge-pathcost", "bridge-portprio"):
        for value in dev.options(key):
            problems.append(f"{dev.name}: {key.replace('-', '_')} {value} (bridge-utils' form, "
                            "which ifupdown 0.8 applies for the first port only) is not read: "
                            "ifsmith writes a port's bridge-pathcosts / bridge-portprios in "
                            "its own stanza; kept")  # fmt: skip
    for key in ("bridge-vids", "bridge-pvid", "bridge-trunk"):
        if dev.option(key) is not None:
            problems.append(f"{dev.name}: {key} on a bridge (ifupdown2: the default of its "
                            "ports without one; ifupdown-ng: the bridge's own) is not read; "
                            "kept")  # fmt: skip
    return Bridge(stp=stp, delay=delay, options=replace(options, vlans=vlans))


def _vlan(dev: _Device, problems: list[str]) -> Vlan | None:
    parent = dev.option("vlan-raw-device")
    tag_text = dev.option("vlan-id")
    reorder = None
    for pre_up in dev.options("pre-up"):
        m = _VLAN_PRE_UP.match(pre_up)
        if m and m.group(1) == dev.name:
            parent, tag_text = m.group(2), m.group(3)
            reorder = False if m.group(4) else None
    from_name = _vlan_from_name(dev.name)
    if parent is None and tag_text is None and from_name is None:
        return None
    tag = from_name[1] if from_name else None
    if tag_text is not None:
        try:
            tag = int(tag_text)
        except ValueError:
            problems.append(f"{dev.name}: vlan-id {tag_text!r} is not a number; ignored")
    if tag is None:
        digits = re.search(r"(\d+)$", dev.name)  # the vlan package's vlanNNNN names
        tag = int(digits.group(1)) if digits else None
    if tag is None:
        problems.append(f"{dev.name}: VLAN without a tag; read as ethernet")
        return None
    return Vlan(
        tag=tag, parent=parent or (from_name[0] if from_name else None), reorder_hdr=reorder
    )


def _protocols(dev: _Device, problems: list[str]) -> tuple[Protocol, ...]:
    v4 = _ProtoAcc()
    v6 = _ProtoAcc()
    for st, options in dev.stanzas:
        fam = v4 if st.family == "inet" else v6
        # An IPv6 stanza of any method configures IPv6 (manual: link-local only); an IPv4
        # one only with DHCP or an address.
        fam.present = fam.present or st.family == "inet6" or st.method == "dhcp"
        if st.method == "dhcp":
            fam.dhcp = True
            if st.family == "inet6":
                fam.autoconf = fam.autoconf or _opt(options, "autoconf") != "0"
        elif st.method == "auto":
            fam.autoconf = True
            fam.dhcp = fam.dhcp or _opt(options, "dhcp") == "1"
        elif st.method == "static" and st.family == "inet6":
            fam.autoconf = fam.autoconf or _opt(options, "autoconf") == "1"
        netmask = _opt(options, "netmask")
        for o in options:
            if o.key == "address" and st.method == "static":
                address = _address(st.name, o.value, netmask, problems, o.line)
                if address is not None:
                    acc = v4 if ipaddress.ip_address(address.address).version == 4 else v6
                    acc.present = True
                    acc.addresses.append(address)
            elif o.key == "gateway" and st.method in ("static", "dhcp"):
                try:
                    gw = ipaddress.ip_address(o.value)
                except ValueError:
                    problems.append(
                        f"{o.line.where()}: {st.name}: gateway {o.value!r} "
                        "is not an address; ignored"
                    )
                    continue
                acc = v4 if gw.version == 4 else v6
                acc.gateway = acc.gateway or str(gw)
            elif o.key in ("up", "post-up"):
                routed = _route_command(o.key, o.value, dev.name)
                if routed is not None:
                    acc = v6 if family_of(routed[1]) == Family.IPV6 else v4
                    acc.present = True
                    acc.routes.append(replace(routed[1], line=o.line.lineno))
    out = []
    if v4.present:
        out.append(v4.protocol(Family.IPV4))
    if v6.present:
        out.append(v6.protocol(Family.IPV6))
    return tuple(out)


@dataclass
class _ProtoAcc:
    present: bool = False
    dhcp: bool = False
    autoconf: bool = False
    addresses: list[IpAddress] = field(default_factory=list)
    gateway: str | None = None
    routes: list[Route] = field(default_factory=list)

    def protocol(self, family: Family) -> Protocol:
        return Protocol(
            family,
            dhcp=self.dhcp,
            autoconf=self.autoconf,
            addresses=tuple(dict.fromkeys(self.addresses)),
            gateway=self.gateway,
            routes=tuple(self.routes),
        )


def _dns(dev: _Device) -> Dns | None:
    """resolvconf's ``dns-nameservers`` (or ``dns-nameserver``, one a line) and
    ``dns-search`` of the device's stanzas, in order; ``dns-domain`` is the search list
    where there is no ``dns-search`` (the C library's resolver lets a search line win)."""
    servers: list[str] = []
    search: list[str] = []
    domain: list[str] = []
    first: int | None = None
    for _st, options in dev.stanzas:
        for o in options:
            if o.key in _DNS_KEYS:
                first = first or o.line.lineno
                {"dns-search": search, "dns-domain": domain}.get(o.key, servers).extend(
                    o.value.split()
                )
    dns = Dns(tuple(dict.fromkeys(servers)), tuple(search or domain[:1]), first)
    return dns or None


def _opt(options: list[Option], key: str) -> str | None:
    return next((o.value for o in options if o.key == key), None)


def _address(
    name: str, text: str, netmask: str | None, problems: list[str], line: Line
) -> IpAddress | None:
    """``address A[/P]`` with an optional ``netmask`` (which wins, as in ifupdown)."""
    addr, _, plen = text.partition("/")
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        problems.append(f"{line.where()}: {name}: address {text!r} is not an address; ignored")
        return None
    prefix: int | None = None
    if plen:
        prefix = _prefix(plen, ip.version)
    if netmask is not None:
        prefix = _prefix(netmask, ip.version)
    if (plen or netmask) and prefix is None:
        problems.append(
            f"{line.where()}: {name}: prefix of {text!r} not understood; read without a prefix"
        )
    return IpAddress(str(ip), prefix)


def _prefix(text: str, version: int) -> int | None:
    text = text.strip()
    limit = 32 if version == 4 else 128
    if text.isdigit():
        return int(text) if int(text) <= limit else None
    if version == 4:
        try:
            return ipaddress.IPv4Network(f"0.0.0.0/{text}").prefixlen
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------------------------------
# Rendering: interfaces → blocks of stanzas → edits of the files.


@dataclass
class _Spec:
    """One stanza to write: ``iface NAME FAMILY METHOD`` and its options in order."""

    family: str
    method: str
    options: list[tuple[str, str]]


@dataclass
class _Block:
    """What one interface's stanzas should say."""

    iface: Interface
    master: Interface | None
    top: str
    start: str | None  # "auto", "allow-hotplug" or None
    stanzas: list[_Spec]  # address stanzas: family, method, address options
    link: list[tuple[str, str]]  # options of the device, whatever the method
    hooks: list[tuple[str, str]] = field(default_factory=list)  # owned commands, last

    @property
    def name(self) -> str:
        return self.iface.name

    @property
    def label(self) -> str | None:
        return self.iface.label


def _safe_name(owner: str, what: str, value: str) -> str:
    if not _SAFE_NAME.match(value) or len(value.encode()) > 15:
        raise UnsafeValue(
            f"{owner}: {what} {value!r} cannot be written safely: ifupdown pastes "
            "it into shell commands; use letters, digits and _ . + @ - (at most 15 bytes)"
        )
    return value


def _safe_ip(owner: str, what: str, value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise UnsafeValue(f"{owner}: {what} {value!r} is not an IP address") from None


def _seconds(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _blocks(top: Interface, warnings: list[RenderWarning]) -> list[_Block]:
    """Stanzas for a top-level interface and everything nested in it, masters last."""
    out: list[_Block] = []

    def visit(iface: Interface, master: Interface | None) -> None:
        for sub in iface.subordinates:
            visit(sub, iface)
        out.append(_block(top, iface, master, warnings))

    visit(top, None)
    return out


def _block(
    top: Interface, iface: Interface, master: Interface | None, warnings: list[RenderWarning]
) -> _Block:
    name = _safe_name(iface.name, "interface name", iface.name)

    def warn(message: str) -> None:
        warnings.append(RenderWarning(name, message, NAME))

    start = None
    if master is None or iface.type != IfType.ETHERNET:
        # Virtual subordinates (a bond in a bridge) are brought up on their own, before
        # their master; ethernet slaves and ports are brought up by the bond/bridge hooks.
        start = {StartMode.ONBOOT: "auto", StartMode.HOTPLUG: "allow-hotplug"}.get(
            top.start_mode or StartMode.NONE
        )
    link: list[tuple[str, str]] = []
    if iface.mtu is not None:
        link.append(("mtu", str(int(iface.mtu))))
    if iface.mac is not None:
        if not _MAC.match(iface.mac):
            raise UnsafeValue(f"{name}: MAC {iface.mac!r} is not a MAC address")
        link.append(("hwaddress", iface.mac))
    if master is not None and master.type == IfType.BOND:
        link.append(("bond-master", master.name))
    if iface.bond is not None:
        link += _bond_options(name, iface.bond, warn)
    if iface.bridge is not None:
        br = iface.bridge
        ports = [_safe_name(name, "bridge port", p.name) for p in br.ports]
        link.append(("bridge_ports", " ".join(ports) or "none"))
        if br.stp is not None:
            link.append(("bridge_stp", "on" if br.stp else "off"))
        if br.delay is not None:
            link.append(("bridge_fd", _seconds(br.delay)))
        link += ifupdown_options.bridge_lines(br.options)
    if master is not None and master.type == IfType.BRIDGE:
        link += ifupdown_options.port_lines(iface.port_options)
    hooks: list[tuple[str, str]] = []
    if iface.bridge is not None:
        hooks = ifupdown_options.self_vlan_lines(name, iface.bridge.options)
        note = ifupdown_options.ifupdown2_only(
            iface.bridge.options, [p.port_options for p in iface.bridge.ports]
        )
        if note is not None:
            warn(note)
    if iface.vlan is not None:
        hooks, vlan_link = _vlan_options(name, iface.vlan, master, warn)
        link += vlan_link
    stanzas = _address_stanzas(iface if master is None else _no_protocols(iface), warn)
    return _Block(iface, master, top.name, start, stanzas, link, hooks)


def _no_protocols(iface: Interface) -> Interface:
    return replace(iface, protocols=())


def _bond_options(name: str, bond: Bond, warn: object) -> list[tuple[str, str]]:
    opts: list[tuple[str, str]] = []
    slaves = [_safe_name(name, "bond slave", s.name) for s in bond.slaves]
    opts.append(("bond-slaves", " ".join(slaves) or "none"))
    if bond.mode is not None:
        opts.append(("bond-mode", bond.mode.value))
    if bond.miimon is not None:
        mii = bond.miimon
        opts.append(("bond-miimon", str(int(mii.freq))))
        if mii.updelay:
            opts.append(("bond-updelay", str(int(mii.updelay))))
        if mii.downdelay:
            opts.append(("bond-downdelay", str(int(mii.downdelay))))
        if mii.carrier is not None:
            opts.append(("bond-use-carrier", "1" if mii.carrier == Carrier.NETIF else "0"))
    if bond.arpmon is not None:
        arp = bond.arpmon
        opts.append(("bond-arp-interval", str(int(arp.interval))))
        if arp.targets:
            targets = [_safe_ip(name, "ARP target", t) for t in arp.targets]
            opts.append(("bond-arp-ip-target", " ".join(targets)))
        if arp.validate is not None:
            opts.append(("bond-arp-validate", arp.validate.value))
    if bond.primary is not None:
        opts.append(("bond-primary", _safe_name(name, "bond primary", bond.primary)))
    if bond.xmit_hash_policy is not None:
        opts.append(("bond-xmit-hash-policy", bond.xmit_hash_policy.value))
    if bond.lacp_rate is not None:
        opts.append(("bond-lacp-rate", bond.lacp_rate.value))
    return opts + ifupdown_options.bond_lines(bond.options)


def _vlan_options(
    name: str, vlan: Vlan, master: Interface | None, warn: object
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    parent = vlan.parent
    if parent is None:
        raise UnsafeValue(f"{name}: VLAN without a parent interface")
    parent = _safe_name(name, "VLAN parent", parent)
    tag = int(vlan.tag)
    link = [("vlan-raw-device", parent), ("vlan-id", str(tag))]
    if _vlan_from_name(name) == (parent, tag):
        # ifupdown creates "parent.tag" itself, always with the kernel's reorder_hdr on.
        if vlan.reorder_hdr is False:
            assert callable(warn)
            warn(
                "ifupdown cannot turn VLAN reorder_hdr off for a parent.tag name; "
                "the kernel default (on) applies"
            )
        return [], link
    reorder = " reorder_hdr off" if vlan.reorder_hdr is False else ""
    pre_up = [
        (
            "pre-up",
            f"ip link show dev {name} >/dev/null 2>&1 || "
            f"ip link add link {parent} name {name} type vlan id {tag}{reorder}",
        ),
        ("post-down", f"ip link delete dev {name} 2>/dev/null || true"),
    ]
    return pre_up, link


def _address_stanzas(iface: Interface, warn: object) -> list[_Spec]:
    assert callable(warn)
    name = iface.name
    specs: list[_Spec] = []
    v4, v6 = iface.ipv4, iface.ipv6
    if v4 is None:
        specs.append(_Spec("inet", "manual", []))
    else:
        if v4.peerdns is not None:
            warn("ifupdown has no per-interface peerdns setting; left to dhclient's configuration")
        if v4.autoconf:
            warn("IPv4 has no autoconf; ignored")
        specs += _family_stanzas(name, "inet", v4, "dhcp" if v4.dhcp else None)
    if v6 is not None:
        if v6.peerdns is not None:
            warn("ifupdown has no per-interface peerdns setting for DHCPv6; ignored")
        method = None
        if v6.autoconf:
            method = "auto"
        elif v6.dhcp:
            method = "dhcp"
        stanzas = _family_stanzas(name, "inet6", v6, method)
        if not v6.addresses and method is None:
            stanzas = [_Spec("inet6", "manual", [])]
        specs += stanzas
    return specs


def _family_stanzas(name: str, family: str, proto: Protocol, method: str | None) -> list[_Spec]:
    specs: list[_Spec] = []
    if method is not None:
        opts: list[tuple[str, str]] = []
        if family == "inet6" and method == "auto" and proto.dhcp:
            opts.append(("dhcp", "1"))
        if family == "inet6" and method == "dhcp" and not proto.autoconf:
            opts.append(("autoconf", "0"))
        specs.append(_Spec(family, method, opts))
    gateway = proto.gateway
    for address in proto.addresses:
        text = _safe_ip(name, "address", address.address)
        if address.prefix is not None:
            text += f"/{int(address.prefix)}"
        opts = [("address", text)]
        if gateway is not None:
            opts.append(("gateway", _safe_ip(name, "gateway", gateway)))
            gateway = None
        if family == "inet6" and proto.autoconf:
            opts.append(("autoconf", "1"))
        specs.append(_Spec(family, "static", opts))
    if gateway is not None:
        if specs:
            specs[0].options.append(("gateway", _safe_ip(name, "gateway", gateway)))
        else:
            raise UnsafeValue(f"{name}: a {family} gateway needs an address or DHCP")
    if not specs:
        specs.append(_Spec(family, "manual", []))
    return specs


def _label_line(name: str, label: str) -> str:
    # JSON keeps newlines, backslashes and control characters inside one comment line.
    return f"# label {name}: {json.dumps(label, ensure_ascii=False)}\n"


def _format_block(block: _Block, moved: Sequence[tuple[str, str]] = ()) -> list[str]:
    lines: list[str] = []
    if block.label is not None:
        lines.append(_label_line(block.name, block.label))
    if block.start is not None:
        lines.append(f"{block.start} {block.name}\n")
    specs = _new_specs(block)
    specs[0].options += moved
    for spec in specs:
        lines += _format_stanza(block.name, spec)
    return lines


def _new_specs(block: _Block) -> list[_Spec]:
    """The block's stanzas with its link options placed where ifupdown applies them."""
    specs = [replace(spec, options=list(spec.options)) for spec in block.stanzas]
    front: list[tuple[str, str]] = []
    hooks = list(block.hooks)
    bridge = block.iface.type == IfType.BRIDGE
    for key, value in block.link:
        placed = key not in _APPLIES
        target = next((s for s in specs if placed or _applies(key, s.method, bridge)), None)
        if target is None:
            hooks.append(_link_hook(block, key, value))
        elif target is specs[0]:
            front.append((key, value))
        else:
            target.options.insert(0, (key, value))
    specs[0].options[:0] = front
    for fld, lines in _addressing_lines(block).items():
        family = {"routes4": "inet", "routes6": "inet6"}.get(fld)
        next((s for s in specs if s.family == family), specs[0]).options += lines
    specs[0].options += hooks
    return specs


def _link_hook(block: _Block, key: str, value: str) -> tuple[str, str]:
    """``mtu``/``hwaddress`` as a command, for stanzas whose method ignores the option.

    A NIC or VLAN exists before the stanza's pre-up commands run; a bond or bridge is made
    by the if-pre-up.d hooks that run after them, so its command runs at ``up``.
    """
    when = "up" if block.iface.type in (IfType.BOND, IfType.BRIDGE) else "pre-up"
    return when, f"ip link set dev {block.name} {_LINK_SET_WORD[key]} {value}"


def _format_stanza(name: str, spec: _Spec, indent: str = "    ") -> list[str]:
    return [f"iface {name} {spec.family} {spec.method}\n"] + [
        f"{indent}{k} {v}\n" for k, v in spec.options
    ]


def _file_for(name: str) -> PurePosixPath:
    """interfaces.d/<name>, with characters source-directory would skip replaced by '-'."""
    return INTERFACES_D / re.sub(r"[^a-zA-Z0-9_-]", "-", name)


@dataclass(order=True)
class _Edit:
    start: int
    end: int
    order: int
    lines: list[str] = field(compare=False)


class _Editor:
    """Edits of physical lines, applied together so that line numbers stay valid."""

    def __init__(self, cfg: Config, existing: FileView) -> None:
        self.cfg = cfg
        self.existing = existing
        self.edits: dict[PurePosixPath, list[_Edit]] = {}
        self.new: dict[PurePosixPath, list[str]] = {}
        self.seq = 0

    def edit(
        self, path: PurePosixPath, start: int, end: int, lines: list[str], first: bool = False
    ) -> None:
        """Replace physical lines [start, end); ``first`` puts an insert before earlier ones."""
        self.seq += 1
        order = -self.seq if first else self.seq
        self.edits.setdefault(path, []).append(_Edit(start, end, order, lines))

    def delete(self, line: Line) -> None:
        self.edit(line.path, line.first, line.last, [])

    def result(self) -> dict[PurePosixPath, bytes]:
        out: dict[PurePosixPath, bytes] = {}
        for path, edits in self.edits.items():
            original = self.cfg.files.get(path, [])
            if original and not original[-1].endswith("\n"):
                original = [*original[:-1], original[-1] + "\n"]
            text: list[str] = []
            cursor = 0
            for e in sorted(edits):
                if e.start < cursor:  # overlapping deletes of one line: already gone
                    text += e.lines
                    continue
                text += original[cursor : e.start]
                text += e.lines
                cursor = e.end
            text += original[cursor:]
            out[path] = "".join(text).encode("utf-8", errors="surrogateescape")
        for path, lines in self.new.items():
            out[path] = "".join(lines).encode("utf-8", errors="surrogateescape")
        return out


def render(interfaces: Sequence[Interface], existing: FileView) -> Rendering:
    """The interfaces files with these interfaces' stanzas replaced or added.

    Only the lines of fields whose value differs from what the files say are edited:
    an unchanged interface leaves its lines byte for byte, in whatever spelling they have.
    """
    cfg = parse(existing)
    warnings: list[RenderWarning] = []
    blocks = [b for top in interfaces for b in _blocks(top, warnings)]
    old = {i.name: (i, m) for top in _read_config(cfg).interfaces for i, m in top.walk()}
    editor = _Editor(cfg, existing)
    stanzas = cfg.by_device()
    merge = _Merge(editor, cfg, old, {top.name: top for top in interfaces}, warnings)
    for block in blocks:
        merge.take_addressing(block, [s for s in stanzas.get(block.name, []) if _owned(s)])
    for block in reversed(blocks):  # masters first, so subordinates know where they go
        own = [s for s in stanzas.get(block.name, []) if _owned(s)]
        where = merge.block(block, own)
        if where is not None:
            merge.placed[block.name] = where
    merge.release_old_slaves(blocks)
    for line, drop in merge.start_edits.values():
        keep = [w for w in line.words[1:] if w not in drop]
        editor.edit(
            line.path,
            line.first,
            line.last,
            [f"{line.words[0]} {' '.join(keep)}\n"] if keep else [],
        )
    files = {p: d for p, d in editor.result().items() if existing.read(p) != d}
    if any(p.parent == INTERFACES_D for p in editor.new):
        files.update(_ensure_sourced(cfg, existing, files, editor.new))
    return Rendering(backend=NAME, files=files, warnings=tuple(warnings))


def _owned(st: Stanza) -> bool:
    """Stanzas this backend rewrites: modelled families and methods (others are kept)."""
    if st.family is None:
        return True
    return (
        st.family in _METHODS
        and (st.method in _METHODS[st.family] or st.method is None)
        and st.method != "loopback"
    )


def _fields(iface: Interface, master: Interface | None) -> dict[str, object]:
    """The values each group of option lines writes, as the model holds them."""
    bond, bridge = iface.bond, iface.bridge
    return {
        "type": iface.type,
        "mtu": iface.mtu,
        "mac": iface.mac.lower() if iface.mac else None,
        "master": master.name if master is not None and master.type == IfType.BOND else None,
        # Subordinates carry no addresses (the reader and _block both leave them out).
        "ipv4": _unrouted(iface.ipv4) if master is None else None,
        "ipv6": _unrouted(iface.ipv6) if master is None else None,
        "routes4": iface.ipv4.routes if master is None and iface.ipv4 else (),
        "routes6": iface.ipv6.routes if master is None and iface.ipv6 else (),
        "dns": iface.dns if master is None and iface.dns else None,
        "slaves": tuple(s.name for s in bond.slaves) if bond else None,
        "bond-mode": bond.mode if bond else None,
        "miimon": bond.miimon if bond else None,
        "arpmon": bond.arpmon if bond else None,
        "primary": bond.primary if bond else None,
        "xmit-hash-policy": bond.xmit_hash_policy if bond else None,
        "lacp-rate": bond.lacp_rate if bond else None,
        "bond-options": bond.options if bond else None,
        "bridge-options": bridge.options if bridge else None,
        "port-options": (
            iface.port_options if master is not None and master.type == IfType.BRIDGE else None
        ),
        "ports": tuple(p.name for p in bridge.ports) if bridge else None,
        "stp": bridge.stp if bridge else None,
        "delay": bridge.delay if bridge else None,
        "vlan": iface.vlan,
    }


def _unrouted(proto: Protocol | None) -> Protocol | None:
    """The protocol's addressing: its routes are fields of their own (their own lines)."""
    return replace(proto, routes=()) if proto is not None else None


def _addressing_lines(block: _Block) -> dict[str, list[tuple[str, str]]]:
    """The route and resolver lines of each field, as this module writes them: routes as
    ``up ip route add … dev NAME`` (the kernel drops them with the address, so no ``down``
    line), DNS as resolvconf's ``dns-nameservers`` and ``dns-search``."""
    iface, name = block.iface, block.name
    out: dict[str, list[tuple[str, str]]] = {"dns": [], "routes4": [], "routes6": []}
    if block.master is not None:
        return out
    for fld, family in _ROUTE_FIELDS.items():
        proto = iface.protocol(family)
        for route in proto.routes if proto is not None else ():
            out[fld].append(
                ("up", " ".join(["ip route add", *route_words(name, route), "dev", name]))
            )
    if iface.dns:
        servers, search = safe_servers(name, iface.dns), safe_search(name, iface.dns)
        if servers:
            out["dns"].append(("dns-nameservers", " ".join(servers)))
        if search:
            out["dns"].append(("dns-search", " ".join(search)))
    return out


def _changed(old: tuple[Interface, Interface | None] | None, block: _Block) -> set[str]:
    new = _fields(block.iface, block.master)
    if old is None:
        return set(new)
    before = _fields(*old)
    changed = {k for k, v in new.items() if before[k] != v}
    return set(new) if "type" in changed else changed


def _field_of(name: str, family: str | None, key: str, value: str) -> str | None:
    """The field an option line of ``name``'s stanza writes, or None when it is not ours."""
    if key in _DNS_KEYS:
        return "dns"
    if key in _COMMAND_KEYS:
        routed = _route_command(key, value, name)
        if routed is not None:
            return "routes6" if family_of(routed[1]) == Family.IPV6 else "routes4"
    if key in _ADDRESS_KEYS:
        return "ipv6" if family == "inet6" else "ipv4"
    if key in _FIELD_OF_KEY:
        return _FIELD_OF_KEY[key]
    if key in ("pre-up", "post-down"):
        m = _VLAN_PRE_UP.match(value) or _VLAN_POST_DOWN.match(value)
        if m and m.group(1) == name:
            return "vlan"
    if key in _HOOK_KEYS:
        m = _LINK_SET.match(value)
        if m and m.group(1) == name:
            return "mtu" if m.group(2) == "mtu" else "mac"
        if ifupdown_options.self_vlan(value, name) is not None:
            return "bridge-options"
    return None


def _addressing(opt: Option) -> bool:
    """A line that belongs to a stanza's addressing: resolver settings and routes."""
    if opt.key.startswith("dns-"):
        return True
    return opt.key in _COMMAND_KEYS and bool(_ROUTE_COMMAND.match(opt.value))


def _option_line(opt: Option, value: str, physical: list[str]) -> str:
    """The option with a new value, keeping its indentation and the key's spelling."""
    raw = physical[opt.line.first]
    lead = raw[: len(raw) - len(raw.lstrip())]
    return f"{lead}{opt.line.words[0]} {value}\n"


@dataclass
class _Moved:
    """An addressing line leaving a new subordinate's stanza for its top's."""

    origin: str
    key: str
    value: str
    word: str  # the key as written


class _Merge:
    """One render's edits of existing stanzas, with what it learns on the way."""

    def __init__(
        self,
        editor: _Editor,
        cfg: Config,
        old: dict[str, tuple[Interface, Interface | None]],
        tops: dict[str, Interface],
        warnings: list[RenderWarning],
    ) -> None:
        self.editor = editor
        self.cfg = cfg
        self.old = old  # what the files say: device → (interface, master)
        self.tops = tops  # the wanted top-level interfaces by name
        self.starts = cfg.startsplit_lines()
        self.warnings = warnings
        self.start_edits: dict[int, tuple[Line, set[str]]] = {}  # id(line) → names to drop
        self.placed: dict[str, tuple[PurePosixPath, int]] = {}  # device → (file, block start)
        self.moved: dict[str, list[_Moved]] = {}  # top → lines moving to it

    def warn(self, name: str, message: str) -> None:
        self.warnings.append(RenderWarning(name, message, NAME))

    # -- a NIC that becomes a slave or port hands its addressing to the top ---------------

    def take_addressing(self, block: _Block, own: list[Stanza]) -> None:
        """Remove a new subordinate's addressing lines, to be moved to its top's stanza."""
        old = self.old.get(block.name)
        if block.master is None or old is None or old[1] is not None:
            return
        was = old[0]
        for st in own:
            if _fields(was, None)["ipv6" if st.family == "inet6" else "ipv4"] is None:
                continue
            for opt in st.options:
                if _field_of(block.name, st.family, opt.key, opt.value) in _MODELLED_LINES:
                    self.editor.delete(opt.line)  # in the model: the top's own say
                elif _addressing(opt):
                    value = self._retarget(opt.value, block.name, block.top)
                    self.moved.setdefault(block.top, []).append(
                        _Moved(block.name, opt.key, value, opt.line.words[0])
                    )
                    self.editor.delete(opt.line)
        self._warn_lost_addresses(block, was)

    @staticmethod
    def _retarget(command: str, name: str, top: str) -> str:
        """The command with ``dev NAME`` naming the top instead (a route follows the address)."""
        words = command.split(" ")
        return " ".join(
            top if i and words[i - 1] == "dev" and w == name else w for i, w in enumerate(words)
        )

    def _warn_lost_addresses(self, block: _Block, was: Interface) -> None:
        """Name each address, gateway and DHCP the new subordinate had and its top lacks."""
        top = self.tops.get(block.top)
        protocols = top.protocols if top is not None else ()
        have = {str(a) for p in protocols for a in p.addresses}
        gateways = {p.gateway for p in protocols if p.gateway}
        dhcp = {p.family for p in protocols if p.dhcp}
        routes = {r for p in protocols for r in p.routes}
        dns = top.dns if top is not None and top.dns else None
        servers, search = (dns.servers, dns.search) if dns else ((), ())
        lost_dns: list[str] = []
        if was.dns:
            lost_dns = [f"DNS server {s}" for s in was.dns.servers if s not in servers]
            lost_dns += [f"DNS search domain {d}" for d in was.dns.search if d not in search]
        for proto in (*was.protocols, None):
            if proto is None:
                lost = lost_dns
            else:
                lost = self._lost(proto, have, gateways, dhcp, routes)
            for what in lost:
                self.warn(
                    block.name,
                    f"{what} removed: a slave or port carries no addressing, "
                    f"and {block.top} does not take it over",
                )

    @staticmethod
    def _lost(
        proto: Protocol, have: set[str], gateways: set[str], dhcp: set[Family], routes: set[Route]
    ) -> list[str]:
        lost = [str(a) for a in proto.addresses if str(a) not in have]
        if proto.gateway and proto.gateway not in gateways:
            lost.append(f"gateway {proto.gateway}")
        if proto.dhcp and proto.family not in dhcp:
            lost.append(f"{proto.family} DHCP")
        return lost + [f"route {r}" for r in proto.routes if r not in routes]

    # -- one interface's stanzas ---------------------------------------------------------

    def block(self, block: _Block, own: list[Stanza]) -> tuple[PurePosixPath, int] | None:
        name = block.name
        old = self.old.get(name)
        changed = _changed(old, block)
        if not own:
            if (old is not None and not changed) or (old is None and self._listed_only(block)):
                return None  # listed on its master and nothing to add: no stanza needed
            return self._new_block(block)
        cfg, editor = self.cfg, self.editor
        head = own[0].head
        path = head.path
        block_start = head.first
        label_line = cfg.labels.get(name)
        if not (block.master is not None and block.iface.type == IfType.ETHERNET):
            # Ethernet slaves and ports keep whatever start lines they have.
            block_start = self._start(block, head, block_start)
        label_lines = [_label_line(name, block.label)] if block.label is not None else []
        if old is not None and old[0].label == block.label:
            label_line, label_lines = None, []  # as the files say it (a comment or description)
        if label_line is not None:
            if label_lines and label_line.text == label_lines[0].strip():
                label_lines = []
                if label_line.path == path and label_line.last == block_start:
                    block_start = label_line.first
            else:
                editor.delete(label_line)
        if label_lines:
            editor.edit(path, head.first, head.first, label_lines)
        # Comments right above the stanza describe it: new subordinates go above them.
        physical = cfg.files[path]
        while block_start > 0 and physical[block_start - 1].lstrip().startswith("#"):
            block_start -= 1
        self._stanzas(block, own, changed)
        return path, block_start

    def _listed_only(self, block: _Block) -> bool:
        """A new plain NIC of a master whose stanza lists its slaves or ports, none of which
        has a stanza: keep that style, the master's line is all it needs."""
        master = block.master
        if master is None or block.iface.type != IfType.ETHERNET:
            return False
        if block.iface.mtu is not None or block.iface.mac is not None or block.label is not None:
            return False
        if block.iface.port_options:
            return False
        defined = self.cfg.by_device()
        listing = ("bond-slaves", "slaves", "bond-members", "bridge-ports")
        lists = any(
            w != "none"
            for st in defined.get(master.name, [])
            for o in st.options
            if o.key in listing
            for w in o.value.split()
        )
        olds = [i.name for i, m in self.old.values() if m is not None and m.name == master.name]
        return lists and bool(olds) and not any(name in defined for name in olds)

    def _start(self, block: _Block, head: Line, block_start: int) -> int:
        """Keep an existing start line of the right kind, otherwise move it next to the stanza."""
        name = block.name
        existing = [ln for ln in self.starts.get(name, []) if ln.words[0] in _START_WORDS]
        kinds = {_START_WORDS[ln.words[0]] for ln in existing}
        wanted = {"auto": StartMode.ONBOOT, "allow-hotplug": StartMode.HOTPLUG}.get(
            block.start or ""
        )
        if kinds != ({wanted} if wanted else set()) or len(existing) > 1:
            for line in existing:
                self.start_edits.setdefault(id(line), (line, set()))[1].add(name)
            if block.start is not None:
                self.editor.edit(head.path, head.first, head.first, [f"{block.start} {name}\n"])
        elif existing and existing[0].path == head.path and existing[0].last == head.first:
            return existing[0].first
        return block_start

    def _new_block(self, block: _Block) -> tuple[PurePosixPath, int]:
        """A device with no stanza yet: beside its master's file, else its own file."""
        cfg, editor, name = self.cfg, self.editor, block.name
        master_place = self.placed.get(block.top) if block.top != name else None
        moved = [(m.word, m.value) for m in self._moved_here(block, [])]
        lines = _format_block(block, moved)
        for line in self.starts.get(name, []):
            if line.words[0] in _START_WORDS:
                self.start_edits.setdefault(id(line), (line, set()))[1].add(name)
        if name in cfg.labels:
            editor.delete(cfg.labels[name])
        if master_place is not None and master_place[0] in cfg.files:
            path, at = master_place
            editor.edit(path, at, at, [*lines, "\n"], first=True)
            return path, at
        path = _file_for(block.top)
        if path in cfg.files:
            end = len(cfg.files[path])
            editor.edit(path, end, end, ["\n", *lines])
            return path, end
        if path in editor.new:
            # Subordinates are merged after their master; keep them before it in the file.
            editor.new[path][:0] = [*lines, "\n"]
        else:
            editor.new[path] = lines
        return path, 0

    def _moved_here(self, block: _Block, own: list[Stanza]) -> list[_Moved]:
        """The addressing lines that move to this top and that it does not set already."""
        present: dict[str, str] = {}
        for st in own:
            for opt in st.options:
                present.setdefault(opt.key if opt.key.startswith("dns-") else opt.value, opt.value)
        out: list[_Moved] = []
        for m in self.moved.get(block.name, []):
            key = m.key if m.key.startswith("dns-") else m.value
            if key not in present:
                present[key] = m.value
                out.append(m)
            elif present[key] != m.value:
                self.warn(
                    m.origin,
                    f"{m.word} {m.value} not moved to {block.name}: it sets "
                    f"{m.word} {present[key]} already; removed",
                )
        return out

    def _stanzas(self, block: _Block, own: list[Stanza], changed: set[str]) -> None:
        """Edit the lines of changed fields in the device's stanzas, add and drop stanzas."""
        name, editor = block.name, self.editor
        kept: list[Stanza] = []
        methods: dict[int, str] = {}
        fresh: list[_Spec] = []
        doomed: list[Stanza] = []
        for family, fld in (("inet", "ipv4"), ("inet6", "ipv6")):
            mine = [st for st in own if (st.family or "inet") == family]
            if fld not in changed:
                kept += mine
                for st in mine:
                    methods[id(st)] = _method(st)
                continue
            queue = list(mine)
            for spec in block.stanzas:
                if spec.family != family:
                    continue
                while queue and queue[0].name != name:  # alias stanzas (eth0:1) fold in
                    doomed.append(queue.pop(0))
                if queue:
                    st = queue.pop(0)
                    self._rewrite_address(st, spec)
                    kept.append(st)
                    methods[id(st)] = spec.method
                else:
                    fresh.append(replace(spec, options=list(spec.options)))
            doomed += queue
        if not kept and not fresh:  # every stanza goes: the device keeps one for its link
            fresh = [replace(s, options=list(s.options)) for s in block.stanzas[:1]]
        kept.sort(key=own.index)
        bridge = block.iface.type == IfType.BRIDGE
        for fld, key in _PLACED_KEY.items():
            # A method this render changes may ignore a line that applied before: move it.
            if any(
                methods[id(st)] != _method(st) and not _applies(key, methods[id(st)], bridge)
                for st in kept
                if any(o.key == key for o in self._options(st))
            ):
                changed = changed | {fld}
            if fld in changed and _fields(block.iface, block.master)[fld] is None:
                for st in kept:
                    for o in self._options(st):
                        if o.key == key and o not in st.options:
                            self.warn(
                                name,
                                f"{key} {o.value} stays: {st.name} inherits it from "
                                f"{st.inherits} ({o.line.where()}), which other stanzas share",
                            )
        anchor = kept[0] if kept else None
        rescued: list[tuple[str, str]] = []
        for st in doomed:
            editor.edit(st.head.path, st.head.first, st.head.last, [])
            for opt in st.options:
                owner = _field_of(name, st.family, opt.key, opt.value)
                if owner is None or (owner not in changed and owner not in ("ipv4", "ipv6")):
                    if block.master is not None and _addressing(opt):
                        continue  # taken by take_addressing
                    editor.delete(opt.line)
                    rescued.append((opt.line.words[0], opt.value))
                else:
                    editor.delete(opt.line)
        extra: dict[int, list[tuple[str, str]]] = {}  # id(stanza or spec) → lines to add
        first = anchor if anchor is not None else fresh[0]
        extra.setdefault(id(first), []).extend(rescued)
        for fld in _LINK_FIELDS:
            if fld in changed:
                self._link_field(block, fld, own, kept, methods, fresh, extra)
        addressing = _addressing_lines(block)
        for fld in addressing:
            if fld in changed:
                self._addressing_field(block, fld, addressing[fld], kept, fresh, extra)
        extra[id(first)] += [(m.word, m.value) for m in self._moved_here(block, own)]
        for st in kept:
            if extra.get(id(st)):
                indent = _indent(self.cfg, st)
                lines = [f"{indent}{k} {v}\n" for k, v in extra[id(st)]]
                editor.edit(st.head.path, st.end, st.end, lines)
        if fresh:
            last = kept[-1] if kept else own[-1]
            text: list[str] = []
            for spec in fresh:
                spec.options += extra.get(id(spec), [])
                text += _format_stanza(name, spec, _indent(self.cfg, last))
            editor.edit(last.head.path, last.end, last.end, text)

    def _options(self, st: Stanza) -> list[Option]:
        """The stanza's options with those it inherits from its template."""
        if not st.inherits:
            return st.options
        by_name: dict[str, list[Stanza]] = {}
        for other in self.cfg.stanzas:
            by_name.setdefault(other.name, []).append(other)
        return _resolved_options(st, by_name, [])

    def _link_field(
        self,
        block: _Block,
        fld: str,
        own: list[Stanza],
        kept: list[Stanza],
        methods: dict[int, str],
        fresh: list[_Spec],
        extra: dict[int, list[tuple[str, str]]],
    ) -> None:
        """Replace one changed link field's lines, key by key, where ifupdown applies them."""
        name = block.name
        wanted = [
            (k, v) for k, v in block.link + block.hooks if _field_of(name, None, _key(k), v) == fld
        ]
        lines = [
            (st, o)
            for st in kept
            for o in st.options
            if _field_of(name, st.family, o.key, o.value) == fld
        ]
        if fld == "slaves" and all(o.value == "none" for _, o in lines) and self._slaves_point(own):
            return  # the slaves name their bond (bond-master): keep that style
        targets: list[Stanza | _Spec] = [*kept, *fresh]
        target: Stanza | _Spec = targets[0]
        placed: list[tuple[str, str]] = []
        bridge = block.iface.type == IfType.BRIDGE
        for k, v in wanted:
            if k not in _APPLIES:
                placed.append((k, v))
                continue
            ok = [
                t
                for t in targets
                if _applies(k, methods[id(t)] if isinstance(t, Stanza) else t.method, bridge)
            ]
            if ok:
                target = ok[0]
                placed.append((k, v))
            else:
                placed.append(_link_hook(block, k, v))
        pool = [(st, o) for st, o in lines if st is target or fld not in _PLACED_KEY]
        for st, o in lines:
            if (st, o) not in pool:
                self.editor.delete(o.line)
        for k, v in placed:
            match = next(((st, o) for st, o in pool if o.key == _key(k)), None)
            if match is None:
                extra.setdefault(id(target), []).append((k, v))
                continue
            pool.remove(match)
            st, o = match
            if o.value != v:
                physical = self.cfg.files[st.head.path]
                self.editor.edit(
                    st.head.path, o.line.first, o.line.last, [_option_line(o, v, physical)]
                )
        for _st, o in pool:
            self.editor.delete(o.line)

    def _addressing_field(
        self,
        block: _Block,
        fld: str,
        wanted: list[tuple[str, str]],
        kept: list[Stanza],
        fresh: list[_Spec],
        extra: dict[int, list[tuple[str, str]]],
    ) -> None:
        """Replace the route or resolver lines of one changed field: lines that still say a
        wanted route (in whatever spelling, with their ``down … del`` lines) stay, a route
        whose gateway or metric changed is edited in place, the rest added or removed."""
        name = block.name
        lines = [
            (st, o)
            for st in kept
            for o in st.options
            if _field_of(name, st.family, o.key, o.value) == fld
        ]
        family = {"routes4": "inet", "routes6": "inet6"}.get(fld)
        targets: list[Stanza | _Spec] = [*kept, *fresh]
        target = next((t for t in targets if (t.family or "inet") == family), targets[0])
        if fld == "dns":
            self._dns_lines(block, wanted, lines, target, extra)
            return
        routes = [o for _, o in lines]
        parsed = {id(o): _route_command(o.key, o.value, name) for o in routes}
        adds = [o for o in routes if (parsed[id(o)] or ("", None))[0] == "add"]
        dels = [o for o in routes if (parsed[id(o)] or ("", None))[0] == "del"]
        want = [_route_command(k, v, name) for k, v in wanted]
        left: list[tuple[tuple[str, str], Route]] = []
        for line, routed in zip(wanted, want, strict=True):
            assert routed is not None
            match = next((o for o in adds if parsed[id(o)] == routed), None)
            if match is not None:
                adds.remove(match)
            else:
                left.append((line, routed[1]))
        for (key, value), route in left:
            same = next((o for o in adds if _dest(parsed[id(o)]) == route.destination), None)
            if same is None:
                extra.setdefault(id(target), []).append((key, value))
                continue
            adds.remove(same)
            physical = self.cfg.files[same.line.path]
            self.editor.edit(
                same.line.path, same.line.first, same.line.last,
                [_option_line(same, value, physical)],
            )  # fmt: skip
        destinations = {routed[1].destination for routed in want if routed is not None}
        for o in adds + [o for o in dels if _dest(parsed[id(o)]) not in destinations]:
            self.editor.delete(o.line)

    def _dns_lines(
        self,
        block: _Block,
        wanted: list[tuple[str, str]],
        lines: list[tuple[Stanza, Option]],
        target: Stanza | _Spec,
        extra: dict[int, list[tuple[str, str]]],
    ) -> None:
        """The servers and the search list, each rewritten only when it differs."""
        for key, spellings in (
            ("dns-nameservers", ("dns-nameservers", "dns-nameserver")),
            ("dns-search", ("dns-search", "dns-domain")),
        ):
            value = next((v for k, v in wanted if k == key), None)
            mine = [o for _, o in lines if o.key in spellings]
            searched = [o for o in mine if o.key == "dns-search"] or mine[:1]
            now = " ".join(w for o in (mine if key == "dns-nameservers" else searched)
                           for w in o.value.split())  # fmt: skip
            if value == (now or None):
                continue
            if value is not None and mine:
                physical = self.cfg.files[mine[0].line.path]
                raw = physical[mine[0].line.first]
                lead = raw[: len(raw) - len(raw.lstrip())]
                self.editor.edit(
                    mine[0].line.path, mine[0].line.first, mine[0].line.last,
                    [f"{lead}{key} {value}\n"],
                )  # fmt: skip
                mine = mine[1:]
            elif value is not None:
                extra.setdefault(id(target), []).append((key, value))
            for o in mine:
                self.editor.delete(o.line)

    def release_old_slaves(self, blocks: list[_Block]) -> None:
        """A slave left out of its rendered bond loses the ``bond-master`` line naming it."""
        rendered = {b.name for b in blocks}
        bonds = {b.name for b in blocks if b.iface.bond is not None}
        for st in self.cfg.stanzas:
            if st.device in rendered:
                continue
            for opt in st.options:
                if opt.key == "bond-master" and opt.value in bonds:
                    self.editor.delete(opt.line)

    def _slaves_point(self, own: list[Stanza]) -> bool:
        """Does this bond's stanza leave its slaves to name it (``bond-slaves none``)?"""
        return not any(
            w != "none"
            for st in own
            for o in st.options
            if o.key in ("bond-slaves", "slaves", "bond-members")
            for w in o.value.split()
        )

    def _rewrite_address(self, st: Stanza, spec: _Spec) -> None:
        """The stanza's head and address lines as the spec says, keeping lines that agree."""
        editor, name = self.editor, st.name
        path = st.head.path
        if (st.family, st.method) != (spec.family, spec.method):
            extra = f" inherits {st.inherits}" if st.inherits else ""
            editor.edit(
                path,
                st.head.first,
                st.head.last,
                [f"iface {name} {spec.family} {spec.method}{extra}\n"],
            )
        wanted = list(spec.options)
        netmask = st.value("netmask")
        current = next((o for o in st.options if o.key == "address"), None)
        new = next((v for k, v in wanted if k == "address"), None)
        if current is not None and new is not None and netmask is not None:
            had = _address(name, current.value, netmask, [], current.line)
            addr, _, plen = new.partition("/")
            if had is not None and had.prefix is not None and str(had.prefix) == plen:
                # The netmask line still says the prefix: only the address line changes.
                keep = current.value if had.address == addr else addr
                wanted = [(k, keep if k == "address" else v) for k, v in wanted]
                wanted.append(("netmask", netmask))
        gateway = st.value("gateway")
        if gateway is not None:
            wanted = [
                (k, gateway if k == "gateway" and _same_ip(gateway, v) else v) for k, v in wanted
            ]
        physical = self.cfg.files[path]
        pool = [o for o in st.options if o.key in _ADDRESS_KEYS]
        left: list[str] = []
        indent = _indent(self.cfg, st)
        for k, v in wanted:
            match = next((o for o in pool if o.key == _key(k)), None)
            if match is None:
                left.append(f"{indent}{k} {v}\n")
                continue
            pool.remove(match)
            if match.value != v:
                editor.edit(
                    path, match.line.first, match.line.last, [_option_line(match, v, physical)]
                )
        for o in pool:
            editor.delete(o.line)
        if left:
            editor.edit(path, st.end, st.end, left)


def _dest(routed: tuple[str, Route] | None) -> str | None:
    return routed[1].destination if routed is not None else None


def _method(st: Stanza) -> str:
    """The stanza's method; ``iface eth0`` alone (ifupdown-ng style) by its options."""
    return st.method or ("static" if st.value("address") is not None else "manual")


def _same_ip(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


def _indent(cfg: Config, st: Stanza) -> str:
    """The indentation the stanza's options use already (four spaces when it has none)."""
    if st.options:
        raw = cfg.files[st.head.path][st.options[0].line.first]
        return raw[: len(raw) - len(raw.lstrip())] or "    "
    return "    "


def _delete_stanza(editor: _Editor, st: Stanza) -> None:
    editor.edit(st.head.path, st.head.first, st.end, [])


def _ensure_sourced(
    cfg: Config,
    existing: FileView,
    files: dict[PurePosixPath, bytes],
    new: dict[PurePosixPath, list[str]],
) -> dict[PurePosixPath, bytes]:
    """Make /etc/network/interfaces read interfaces.d when we put files there."""
    if all(cfg.sources(p) for p in new if p.parent == INTERFACES_D):
        return {}
    current = files.get(INTERFACES)
    if current is None:
        current = existing.read(INTERFACES)
    if current is None:
        text = (
            "# interfaces(5) file used by ifup(8) and ifdown(8)\n"
            "source-directory interfaces.d\n\n"
            "auto lo\niface lo inet loopback\n"
        )
        return {INTERFACES: text.encode()}
    if current and not current.endswith(b"\n"):
        current += b"\n"
    return {INTERFACES: current + b"\nsource-directory interfaces.d\n"}


def undefine(names: Sequence[str], existing: FileView) -> Rendering:
    """Remove the stanzas (and start lines, labels) of these interfaces and their subordinates."""
    cfg = parse(existing)
    interfaces, _ = read_report(existing)
    doomed: set[str] = set()
    for top in interfaces:
        for iface, _master in top.walk():
            if iface.name in names:
                doomed |= {i.name for i, _m in iface.walk()}
    doomed |= set(names)
    editor = _Editor(cfg, existing)
    warnings = []
    for st in cfg.stanzas:
        if st.device in doomed:
            _delete_stanza(editor, st)
            # Resolver and route lines the model does not hold: nothing carries them
            # elsewhere, so their loss is named.
            warnings += [
                RenderWarning(st.name, f"'{o.key} {o.value}' removed with its stanza", NAME)
                for o in st.options
                if _addressing(o)
                and _field_of(st.device, st.family, o.key, o.value) not in _MODELLED_LINES
            ]
    for line in cfg.starts:
        if line.words[0] in _START_WORDS or line.words[0] == "auto":
            keep = [w for w in line.words[1:] if w not in doomed]
            if len(keep) != len(line.words) - 1:
                editor.edit(
                    line.path,
                    line.first,
                    line.last,
                    [f"{line.words[0]} {' '.join(keep)}\n"] if keep else [],
                )
    for name in doomed:
        if name in cfg.labels:
            editor.delete(cfg.labels[name])
    files = editor.result()
    removed = frozenset(
        p
        for p, data in files.items()
        if p.parent == INTERFACES_D and not data.decode(errors="replace").strip()
    )
    return Rendering(
        backend=NAME,
        files={p: d for p, d in files.items() if p not in removed},
        removed=removed,
        warnings=tuple(warnings),
    )


# ---------------------------------------------------------------------------------------
# The host: detection and activation.


def detect(host: Host) -> bool:
    """ifupdown's files define an interface other than loopback (and ifup exists on a real root)."""
    cfg = parse(HostFiles(host))
    defined = any(st.method != "loopback" and st.name != "lo" for st in cfg.stanzas)
    if host.is_real_root:
        return defined and shutil.which("ifup") is not None
    return defined


def _tool_args(host: Host) -> list[str]:
    if host.is_real_root:
        return []
    # ifup keeps its state under the scratch root; it does not create the directory.
    host.path("/run/network").mkdir(parents=True, exist_ok=True)
    return ["-i", str(host.path(INTERFACES)), "--state-dir", str(host.path("/run/network"))]


def activate(host: Host, names: Sequence[str]) -> list[list[str]]:
    """``ifdown`` then ``ifup`` per interface, virtual subordinates before their masters."""
    prefix = ["ip", "netns", "exec", host.netns] if host.netns else []
    order: list[str] = []
    for top in read_files(HostFiles(host)):
        for iface in _post_order(top):
            if iface.name in names or top.name in names:
                if iface is top or iface.type != IfType.ETHERNET:
                    order.append(iface.name)
    order += [n for n in names if n not in order]
    args = _tool_args(host)
    return [[*prefix, "ifdown", *args, n] for n in reversed(order)] + [
        [*prefix, "ifup", *args, n] for n in order
    ]


def _post_order(iface: Interface) -> Iterable[Interface]:
    for sub in iface.subordinates:
        yield from _post_order(sub)
    yield iface


def run_state_paths(host: Host, names: Sequence[str]) -> list[Path]:
    """ifupdown's state files for NAMES (backends/ifupdown_state.py)."""
    return ifupdown_state.state_paths(host, names)


def mark_run_state(host: Host, up: Sequence[str], down: Sequence[str]) -> list[str]:
    """Record in ifupdown's state what the kernel activator brought up or took down, as
    ``ifup``/``ifdown`` would; what changed, one line each."""
    return ifupdown_state.mark(host, up, down)


def dhcp_clients(host: Host, name: str) -> list[DhcpClient]:
    """The dhclient that ``ifup`` runs for an ``inet dhcp`` / ``inet6 dhcp`` stanza of NAME
    (ifupdown 0.8's inet.defn, as ``ifup --no-act`` prints it), with ``-nw``: ifup waits
    for the lease, the transaction must not (the lease already moved live).  Stopped with
    ``-x``: the process ends, the lease is not released.  Its DUID lives in the lease file
    (``-lf``; ifup passes ``-i``, so the DHCPv4 client identifier is made of it too)."""
    run, lib = host.path("/run"), host.path("/var/lib/dhcp")
    v4, v6 = run / f"dhclient.{name}.pid", run / f"dhclient6.{name}.pid"
    leases4 = ["-lf", str(lib / f"dhclient.{name}.leases"), "-I",
               "-df", str(lib / f"dhclient6.{name}.leases")]  # fmt: skip
    leases6 = ["-lf", str(lib / f"dhclient6.{name}.leases"), "-I",
               "-df", str(lib / f"dhclient.{name}.leases")]  # fmt: skip
    return [
        DhcpClient(
            Family.IPV4,
            v4,
            ["dhclient", "-4", "-v", "-i", "-pf", str(v4), *leases4, "-nw", name],
            ["dhclient", "-4", "-v", "-i", "-x", "-pf", str(v4), *leases4, name],
            lib / f"dhclient.{name}.leases",
        ),
        DhcpClient(
            Family.IPV6,
            v6,
            ["dhclient", "-6", "-v", "-pf", str(v6), *leases6, "-nw", name],
            ["dhclient", "-6", "-v", "-x", "-pf", str(v6), *leases6, name],
            lib / f"dhclient6.{name}.leases",
        ),
    ]
