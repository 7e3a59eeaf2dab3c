"""netplan: ``/etc/netplan/*.yaml`` (also ``/run/netplan``, ``/lib/netplan``).

Files are merged in lexical order of their names; a name in /run shadows /etc, which shadows
/lib (netplan-generate(8)).  Rendering edits an interface where it is already defined,
keeping every key ifsmith does not model and every other interface; interfaces defined
nowhere go into one file of ifsmith's own, ``/etc/netplan/60-ifsmith.yaml`` — after the
``50-cloud-init.yaml`` that images carry, so that our definitions are merged last.
A definition found under /lib is edited in a copy of its file in /etc (which shadows it);
one under /run, which shadows /etc, is written back to /run and copied to /etc.
Files are written 0600 (netplan warns about more open ones).

YAML is read with a loader that keeps every scalar a string (PyYAML's YAML 1.1 resolver
would turn ``52:54:00:12:34:56`` into a base-60 integer and ``on`` into a boolean), and
netplan's own rules interpret them.  Writing quotes MACs and addresses and leaves the
scalars it read plain as they were.  An existing file is edited in place: only the lines
of what changed are rewritten (in the file's own indentation; flow lists item by item), so
comments, spacing and quoting elsewhere stay byte for byte, and a key whose old spelling
reads the same (``dhcp4: yes``, ``gateway4:``) is left alone.  Where an edit in place is
not possible (anchors, repeated keys) or does not read back as intended, the file is
rewritten whole: its leading comment block is kept, other comments are lost (a warning
says so).  Labels are comments ``# ifsmith-label <name>: "<json>"`` at the top of the file.
"""

from __future__ import annotations

import gc
import ipaddress
import json
import logging
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from ifsmith.backends import ReadResult
from ifsmith.backends import netplan_options as npo
from ifsmith.backends import netplan_routes as npr
from ifsmith.backends import networkd_routes as nr
from ifsmith.backends.networkd import (
    as_port,
    networkd_name_problem,
    parse_timespan,
    port_losses,
    seconds_text,
)
from ifsmith.backends.nm_keyfile import nm_forward_delay
from ifsmith.backends.systemd_ini import check_token
from ifsmith.core.checks import mac_problem, name_problem
from ifsmith.core.errors import IfsmithError
from ifsmith.core.files import FileView, HostFiles, Rendering, RenderWarning, UnsafeValue
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
    FlatInterface,
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
    flatten,
)
from ifsmith.core.options import BondOptions, BridgeOptions, PortOptions

NAME = "netplan"
CARRIES = frozenset({"routes", "dns", *npo.CARRIES})
DIRECTORY = PurePosixPath("/etc/netplan")
# Highest priority first: a file name in /run shadows the same name in /etc and /lib.
SEARCH_PATH = (PurePosixPath("/run/netplan"), DIRECTORY, PurePosixPath("/lib/netplan"))
OWN_FILE = DIRECTORY / "60-ifsmith.yaml"
MODE = 0o600
SECTIONS = {
    "ethernets": IfType.ETHERNET,
    "bonds": IfType.BOND,
    "bridges": IfType.BRIDGE,
    "vlans": IfType.VLAN,
}
SECTION_OF = {t: s for s, t in SECTIONS.items()}
OTHER_SECTIONS = (
    "wifis",
    "tunnels",
    "vrfs",
    "modems",
    "dummy-devices",
    "virtual-ethernets",
    "nm-devices",
)
LABEL = re.compile(r"^#\s*ifsmith-label\s+(\S+):\s*(\".*\")\s*$")
_TRUE = ("true", "yes", "on", "y")
_FALSE = ("false", "no", "off", "n")
# Keys of a definition that the model expresses (the rest is reported as not modelled).
_COMMON = {
    "dhcp4",
    "dhcp6",
    "accept-ra",
    "addresses",
    "gateway4",
    "gateway6",
    "routes",
    "nameservers",
    "mtu",
    "macaddress",
    "optional",
    "activation-mode",
    "link-local",
    "dhcp4-overrides",
    "dhcp6-overrides",
    "renderer",
    "match",
    "set-name",
}
_TYPE_KEYS = {
    IfType.ETHERNET: set(),
    IfType.BOND: {"interfaces", "parameters"},
    IfType.BRIDGE: {"interfaces", "parameters"},
    IfType.VLAN: {"id", "link"},
}
_BOND_PARAMS = {
    "mode",
    "mii-monitor-interval",
    "up-delay",
    "down-delay",
    "arp-interval",
    "arp-ip-targets",
    "arp-validate",
    "transmit-hash-policy",
    "lacp-rate",
    "primary",
    *(k for k in npo.PARAMS if k not in npo.BRIDGE_KEYS.values()),
}
_BRIDGE_PARAMS = {"stp", "forward-delay", *npo.BRIDGE_KEYS.values(), *npo.PORT_KEYS.values()}
# Keys ifsmith sets or removes when it renders a definition.
_OWNED = (
    "id",
    "link",
    "interfaces",
    "macaddress",
    "mtu",
    "optional",
    "activation-mode",
    "dhcp4",
    "dhcp6",
    "accept-ra",
    "link-local",
    "addresses",
    "gateway4",
    "gateway6",
    "nameservers",
)
# netplan's ID rule: POSIX [[:alnum:][:punct:]] in the C locale, i.e. printable ASCII
# without the space.
_VALID_ID = re.compile(r"[!-~]+")
# Names of virtual devices that netplan cannot define bare (a VLAN's parent must exist).
_VIRTUAL_NAME = re.compile(r"^(bond|br|bridge|team|vlan|virbr|vxlan|veth|dummy)|\.")

log = logging.getLogger(__name__)


class NetplanError(IfsmithError):
    """A netplan configuration netplan itself would refuse."""


# ---------------------------------------------------------------------------------------
# YAML: every scalar a string; plain scalars remembered so they are written plain again.


# libyaml's parser and emitter when PyYAML has them (5x faster on 4,094 VLANs).
if TYPE_CHECKING:
    _LoaderBase = yaml.BaseLoader
    _DumperBase = yaml.SafeDumper
else:
    _LoaderBase = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    _DumperBase = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Plain(str):
    """A scalar that is written without quotes (as read, or a boolean/number we write)."""


class Quoted(str):
    """A scalar that is always written double-quoted (MACs, addresses, names)."""


class _Loader(_LoaderBase):
    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        """BaseResolver's answer without its lookups (it has no implicit or path
        resolvers): every scalar a string; a third of the loading time on 10,000."""
        if kind is yaml.ScalarNode:
            return "tag:yaml.org,2002:str"
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"


def _construct_scalar(loader: _Loader, node: yaml.ScalarNode) -> str:
    # (a scalar's value is its text: BaseConstructor.construct_scalar, without the call)
    value = node.value if isinstance(node, yaml.ScalarNode) else loader.construct_scalar(node)
    return Plain(value) if not node.style else str(value)  # the C parser says "" for plain


_STR = "tag:yaml.org,2002:str"


def _construct(loader: _Loader, node: yaml.Node) -> Any:
    """``construct_object`` for a node inside a mapping or list.  A string scalar — most
    nodes — is made here, without its bookkeeping (which is for mappings and lists that
    aliases share, and for cycles): two fifths of the loading time on 10,000."""
    if node.tag == _STR and type(node) is yaml.ScalarNode:
        return Plain(node.value) if not node.style else str(node.value)
    return loader.construct_object(node, deep=True)


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> list[Any]:
    return [_construct(loader, child) for child in node.value]


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = _construct(loader, key_node)
        if not isinstance(key, str):
            raise NetplanError(f"{_where(key_node)}: a mapping key must be a scalar")
        value = _construct(loader, value_node)
        if key in out:
            # netplan reads nodes in order: repeated sections merge, later scalars win,
            # but a second bond primary is refused.
            if isinstance(out[key], dict) and isinstance(value, dict):
                _merge(out[key], value)
                continue
            if key == "primary":
                raise NetplanError(f"{_where(key_node)}: bond already has a primary member")
        out[str(key)] = value
        if key == "parameters" and isinstance(value_node, yaml.MappingNode):
            _refuse_ports_twice(value_node)
    return out


def _where(node: yaml.Node) -> str:
    mark = node.start_mark
    return f"{mark.name}:{mark.line + 1}:{mark.column + 1}"


def _refuse_ports_twice(params: yaml.MappingNode) -> None:
    """A bridge's path-cost/port-priority gives a port one value: netplan refuses a second
    (the mapping read would keep the last)."""
    for key_node, value_node in params.value:
        if key_node.value in npo.PORT_KEYS.values() and isinstance(value_node, yaml.MappingNode):
            ports = [k.value for k, _v in value_node.value]
            for at, (port_node, _v) in enumerate(value_node.value):
                if port_node.value in ports[:at]:
                    raise NetplanError(
                        f"{_where(port_node)}: {key_node.value} of {port_node.value} twice"
                    )


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_scalar)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


class _Dumper(_DumperBase):
    pass


def _represent_plain(dumper: _Dumper, value: Plain) -> yaml.ScalarNode:
    text = str(value)
    tag = dumper.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if text == "" or any(c in text for c in "\n\r#:{}[],&*!|>'\"%@`") or text != text.strip():
        return dumper.represent_scalar("tag:yaml.org,2002:str", text)
    return dumper.represent_scalar(tag, text)


def _represent_quoted(dumper: _Dumper, value: Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


_Dumper.add_representer(Plain, _represent_plain)
_Dumper.add_representer(Quoted, _represent_quoted)


_pause_lock = threading.Lock()
_pauses = 0  # loads under way that paused the collector
_collector_was_on = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while YAML is loaded.  The node tree PyYAML
    composes holds several objects per scalar (the node, its two marks) and lives only
    until it is constructed; as it grows the collector scans it over and over: two thirds
    of the loading time for 10,000 interfaces, for no garbage (a tree has no cycles).
    Loads in several threads share one pause; the last to end restores the collector."""
    global _pauses, _collector_was_on
    with _pause_lock:
        if _pauses == 0:
            _collector_was_on = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_on:
                gc.enable()


def load_yaml(data: bytes, source: str) -> dict[str, Any]:
    """A netplan file as nested dicts of strings; NetplanError naming file:line for bad YAML."""
    try:
        loader = _Loader(data.decode("utf-8"))
        loader.name = source  # marks in errors name the file
        try:
            with _collector_paused():
                doc = loader.get_single_data()
        finally:
            loader.dispose()
    except UnicodeDecodeError:
        raise NetplanError(f"{source}: not UTF-8") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise NetplanError(f"{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise NetplanError(f"{source}: {exc}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise NetplanError(f"{source}: the top level must be a mapping")
    return doc


def dump_yaml(doc: dict[str, Any]) -> str:
    return yaml.dump(
        doc,
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=False,
        width=200,
        allow_unicode=False,
    )


# ---------------------------------------------------------------------------------------
# YAML edited in place: only what changed is rewritten, every other byte stays.


class _Indented(yaml.SafeDumper):
    """The emitter for files that indent a sequence under its key (``  - a``)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_Indented.add_representer(Plain, _represent_plain)  # type: ignore[arg-type]
_Indented.add_representer(Quoted, _represent_quoted)  # type: ignore[arg-type]


class _CannotPatch(Exception):
    """The text cannot be edited in place (duplicate keys, anchors, a shape we do not edit)."""


@dataclass
class _Style:
    """How a file lays out its blocks: the indent step and whether sequences are indented."""

    step: int = 2
    indented_sequences: bool = True

    def block(self, value: Any, column: int) -> str:
        """``value`` (a one-key mapping or a one-item list) as block lines at ``column``."""
        text = yaml.dump(
            value,
            Dumper=_Indented if self.indented_sequences else _Dumper,
            default_flow_style=False,
            sort_keys=False,
            width=200,
            allow_unicode=False,
            indent=self.step,
        )
        return "".join(" " * column + ln if ln.strip() else ln for ln in text.splitlines(True))


def _style(root: yaml.Node) -> _Style:
    style = _Style(indented_sequences=False)
    steps: list[int] = []
    seen_sequence = False

    def visit(node: yaml.Node) -> None:
        nonlocal seen_sequence
        if isinstance(node, yaml.MappingNode) and not node.flow_style:
            for key, value in node.value:
                if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value:
                    steps.append(value.start_mark.column - key.start_mark.column)
                if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
                    if not seen_sequence:
                        seen_sequence = True
                        style.indented_sequences = value.start_mark.column > key.start_mark.column
                visit(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                visit(item)

    visit(root)
    if steps:
        style.step = max(1, min(steps))
    elif not seen_sequence:
        style.indented_sequences = True
    return style


def _scalar_text(value: Any) -> str:
    """A scalar as it stands after ``key: `` (quoted by the dumper's rules)."""
    return dump_yaml({"k": value})[3:].rstrip("\n")


def _flow_text(value: Any) -> str:
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, sort_keys=False, width=100000)
    return text.rstrip("\n").removesuffix("\n...").removesuffix("...").rstrip("\n")


def _last_end(node: yaml.Node) -> int:
    """Where a node's own text ends (a block collection's end mark is the next token's)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _last_end(node.value[-1])
    return int(node.end_mark.index)


class _Patch:
    """Edits of one file's text: (start, end, replacement), applied from the end."""

    def __init__(self, text: str, style: _Style) -> None:
        self.text = text
        self.style = style
        self.edits: list[tuple[int, int, str]] = []

    def line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def line_end(self, index: int) -> int:
        end = self.text.find("\n", index)
        return len(self.text) if end < 0 else end + 1

    def result(self) -> str:
        text = self.text
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            text = text[:start] + new + text[end:]
        return text

    def node(self, node: yaml.Node, old: Any, new: Any) -> None:
        if old == new:
            return
        if isinstance(node, yaml.ScalarNode) and not isinstance(new, (dict, list)):
            self.edits.append((node.start_mark.index, node.end_mark.index, _scalar_text(new)))
        elif (
            isinstance(node, yaml.SequenceNode)
            and node.flow_style
            and self.flow_items(node, old, new)
        ):
            return
        elif getattr(node, "flow_style", False) and isinstance(new, (dict, list)):
            self.edits.append((node.start_mark.index, node.end_mark.index, _flow_text(new)))
        elif isinstance(node, yaml.MappingNode) and isinstance(old, dict) and isinstance(new, dict):
            self.mapping(node, old, new)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(old, list) and isinstance(new, list)
        ):
            self.sequence(node, old, new)
        else:
            raise _CannotPatch(f"{type(node).__name__} becomes {type(new).__name__}")

    def flow_items(self, node: yaml.SequenceNode, old: Any, new: Any) -> bool:
        """A flow list of scalars edited item by item, the brackets and spacing kept."""
        items = list(node.value)
        if not (items and new and isinstance(old, list) and isinstance(new, list)):
            return False
        if len(items) != len(old) or not all(isinstance(i, yaml.ScalarNode) for i in items):
            return False
        if any(isinstance(x, (dict, list)) for x in new):
            return False
        texts = [self.text[i.start_mark.index : i.end_mark.index] for i in items]
        between = items[1].start_mark.index if len(items) > 1 else -1
        sep = self.text[items[0].end_mark.index : between] if between > 0 else ", "
        parts = [
            next((t for t, o in zip(texts, old, strict=True) if o == x), None) or _scalar_text(x)
            for x in new
        ]
        self.edits.append((items[0].start_mark.index, items[-1].end_mark.index, sep.join(parts)))
        return True

    def mapping(self, node: yaml.MappingNode, old: dict[str, Any], new: dict[str, Any]) -> None:
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.value in entries:
                raise _CannotPatch("a repeated or complex key")
            entries[key.value] = (key, value)
        if not entries:
            raise _CannotPatch("an empty block mapping")
        for name, (key, value) in entries.items():
            if name not in new:
                start = self.line_start(key.start_mark.index)
                self.edits.append((start, self.line_end(_last_end(value)), ""))
            elif (
                isinstance(old.get(name), dict) != isinstance(new[name], dict)
                or isinstance(old.get(name), list) != isinstance(new[name], list)
                or (
                    new[name] in ({}, [])
                    and old.get(name)
                    and not getattr(value, "flow_style", False)
                )
            ):
                start = self.line_start(key.start_mark.index)
                text = self.style.block({name: new[name]}, key.start_mark.column)
                self.edits.append((start, self.line_end(_last_end(value)), text))
            else:
                self.node(value, old.get(name), new[name])
        added = {k: v for k, v in new.items() if k not in entries}
        if added:
            column = node.value[0][0].start_mark.column
            at = self.line_end(_last_end(node.value[-1][1]))
            prefix = "" if at == 0 or self.text[at - 1] == "\n" else "\n"
            self.edits.append((at, at, prefix + self.style.block(added, column)))

    def sequence(self, node: yaml.SequenceNode, old: list[Any], new: list[Any]) -> None:
        items = list(node.value)
        if len(items) != len(old) or not items:
            raise _CannotPatch("a sequence we cannot line up")
        column = node.start_mark.column
        keys = [json.dumps(x, sort_keys=True) for x in old]
        wanted = [json.dumps(x, sort_keys=True) for x in new]
        ops = SequenceMatcher(a=keys, b=wanted, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in ops:
            if tag == "equal":
                continue
            if tag == "replace" and i2 - i1 == j2 - j1:
                for n, item in enumerate(items[i1:i2]):
                    self.item(item, old[i1 + n], new[j1 + n], column)
                continue
            if i1 < i2:
                start = self.line_start(items[i1].start_mark.index)
                self.edits.append((start, self.line_end(_last_end(items[i2 - 1])), ""))
            if j1 < j2:
                text = self.style.block(new[j1:j2], column)
                if i1 < len(items):
                    at = self.line_start(items[i1].start_mark.index)
                else:
                    at = self.line_end(_last_end(items[-1]))
                self.edits.append((at, at, text))

    def item(self, item: yaml.Node, old: Any, new: Any, column: int) -> None:
        if isinstance(item, yaml.ScalarNode) != (not isinstance(new, (dict, list))):
            start = self.line_start(item.start_mark.index)
            text = self.style.block([new], column)
            self.edits.append((start, self.line_end(_last_end(item)), text))
        else:
            self.node(item, old, new)


def patch_yaml(text: str, new: dict[str, Any], source: str,
               old: dict[str, Any] | None = None) -> str | None:  # fmt: skip
    """``text`` edited so that it reads as ``new``, keeping every untouched line (comments
    included) byte for byte; None where it cannot be edited in place.  ``old`` is what
    ``text`` reads as, when the caller has it (the result is checked by reading it back
    either way)."""
    old = load_yaml(text.encode(), source) if old is None else old
    if old == new:
        return text
    try:
        root = yaml.compose(text, Loader=_LoaderBase)
        if not isinstance(root, yaml.MappingNode) or root.flow_style or "&" in text:
            return None
        patch = _Patch(text, _style(root))
        patch.mapping(root, old, new)
        result = patch.result()
    except (_CannotPatch, yaml.YAMLError):
        return None
    try:
        if load_yaml(result.encode(), source) != new:
            return None
    except NetplanError:
        return None
    return result


# ---------------------------------------------------------------------------------------
# Loading the files.


@dataclass
class NetplanFile:
    path: PurePosixPath
    doc: dict[str, Any]
    text: str

    def network(self) -> dict[str, Any]:
        net = self.doc.get("network")
        return net if isinstance(net, dict) else {}

    def section(self, name: str) -> dict[str, Any]:
        sec = self.network().get(name)
        return sec if isinstance(sec, dict) else {}


@dataclass
class Definition:
    """One netplan ID, merged over the files that define it."""

    id: str
    type: IfType
    data: dict[str, Any]
    files: list[NetplanFile]

    @property
    def device(self) -> str | None:
        """The kernel name: set-name, else a literal match name, else the ID (no match)."""
        match = self.data.get("match")
        if match is None:
            return self.id
        set_name = self.data.get("set-name")
        if isinstance(match, dict) and isinstance(set_name, str):
            # cloud-init's way: matched by MAC, renamed by a udev .link to this name.
            return set_name
        if isinstance(match, dict) and set(match) == {"name"} and isinstance(match["name"], str):
            if not re.search(r"[*?\[]", match["name"]):
                return str(match["name"])
        return None


@dataclass
class Config:
    files: list[NetplanFile] = field(default_factory=list)
    definitions: dict[str, Definition] = field(default_factory=dict)
    renderer: str = "networkd"
    problems: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    def by_device(self) -> dict[str, Definition]:
        out: dict[str, Definition] = {}
        for d in self.definitions.values():
            if d.device is not None:
                out.setdefault(d.device, d)
        return out


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """netplan's merge: mappings merge key by key, later scalars and lists win."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def load(existing: FileView) -> Config:
    """Every netplan file, merged in lexical order of names; NetplanError for broken YAML."""
    config = Config()
    chosen: dict[str, PurePosixPath] = {}
    for directory in SEARCH_PATH:
        for fname in existing.listdir(directory):
            if fname.endswith(".yaml") and not fname.startswith("."):
                chosen.setdefault(fname, directory / fname)
    for fname in sorted(chosen):
        data = existing.read(chosen[fname])
        if data is None:
            continue
        nf = NetplanFile(chosen[fname], load_yaml(data, str(chosen[fname])), data.decode())
        config.files.append(nf)
        for line in nf.text.splitlines():
            m = LABEL.match(line.strip())
            if m:
                try:
                    config.labels[m.group(1)] = json.loads(m.group(2))
                except ValueError:
                    config.problems.append(f"{nf.path}: unreadable label comment ignored")
        net = nf.doc.get("network")
        if not isinstance(net, dict):
            if nf.doc:
                config.problems.append(f"{nf.path}: no 'network:' mapping; ignored")
            continue
        if isinstance(net.get("renderer"), str):
            config.renderer = net["renderer"]
        for section, iftype in SECTIONS.items():
            defs = net.get(section)
            if defs is None:
                continue
            if not isinstance(defs, dict):
                raise NetplanError(f"{nf.path}: {section} must be a mapping")
            for ident, body in defs.items():
                if ident == "renderer":
                    continue
                problem = id_problem(ident)
                if problem is not None:
                    raise NetplanError(f"{nf.path}: {section}: {ident!r}: {problem}")
                if not isinstance(body, dict):
                    body = {}
                found = config.definitions.get(ident)
                if found is not None and found.type != iftype:
                    raise NetplanError(
                        f"{nf.path}: {ident} is defined as {SECTION_OF[found.type]} and {section}"
                    )
                if found is None:
                    found = config.definitions[ident] = Definition(ident, iftype, {}, [])
                _merge(found.data, _unshared(body))
                found.files.append(nf)
        for section in OTHER_SECTIONS:
            if net.get(section):
                config.problems.append(f"{nf.path}: {section} are not modelled; ignored")
    return config


# ---------------------------------------------------------------------------------------
# Reading: netplan's rules, strictly.


def read_files(existing: FileView) -> list[Interface]:
    """What the netplan files say, as top-level interfaces; problems are logged."""
    return read_report(existing).logged(log)


def read(host: Host) -> list[Interface]:
    """What the host's netplan files say."""
    return read_files(HostFiles(host))


def read_report(existing: FileView) -> ReadResult:
    """The interfaces netplan defines, and what is not modelled; NetplanError if netplan
    would refuse the configuration."""
    config = load(existing)
    return interfaces_of(config, list(config.problems))


def _bool(d: Definition, key: str, value: Any) -> bool:
    if isinstance(value, str):
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
    raise NetplanError(f"{d.id}: {key}: invalid boolean value {value!r}")


def _opt_bool(d: Definition, data: dict[str, Any], key: str) -> bool | None:
    return None if data.get(key) is None else _bool(d, key, data[key])


def _int(d: Definition, key: str, value: Any, low: int = 0, high: int = 2**31 - 1) -> int:
    if isinstance(value, str) and value.strip().isdigit() and low <= int(value) <= high:
        return int(value)
    raise NetplanError(f"{d.id}: {key}: invalid value {value!r}")


def _ms(d: Definition, key: str, value: Any) -> int:
    """netplan bond intervals: a number of milliseconds or a systemd time span."""
    if isinstance(value, str):
        if value.strip().isdigit():
            return int(value)
        try:
            return round(parse_timespan(value) * 1000)
        except ValueError:
            pass
    raise NetplanError(f"{d.id}: {key}: invalid interval {value!r}")


def _seconds(d: Definition, key: str, value: Any) -> float:
    """netplan bridge times: seconds, or a systemd time span."""
    try:
        return parse_timespan(str(value))
    except ValueError:
        raise NetplanError(f"{d.id}: {key}: invalid time {value!r}") from None


def _ip(d: Definition, key: str, value: Any, version: int | None = None) -> str:
    try:
        ip = ipaddress.ip_address(str(value))
    except ValueError:
        raise NetplanError(f"{d.id}: {key}: invalid IP address {value!r}") from None
    if version is not None and ip.version != version:
        raise NetplanError(f"{d.id}: {key}: {value!r} is not an IPv{version} address")
    return str(ip)


_T = TypeVar("_T")


def _choice(d: Definition, key: str, value: Any, kind: Callable[[str], _T]) -> _T:
    try:
        return kind(str(value))
    except ValueError:
        raise NetplanError(f"{d.id}: unknown {key} {value!r}") from None


@dataclass
class _Read:
    iface: Interface
    members: list[str] = field(default_factory=list)
    primary: str | None = None
    port_options: dict[str, PortOptions] = field(default_factory=dict)  # by member id


def interfaces_of(config: Config, problems: list[str]) -> ReadResult:
    """Definitions → interfaces nested like the XML; NetplanError where netplan refuses."""
    devices = {ident: d.device for ident, d in config.definitions.items()}
    records: dict[str, _Read] = {}
    for ident, d in config.definitions.items():
        rec = _definition(d, config, problems)
        if rec is not None:
            records[ident] = rec
    master_of: dict[str, str] = {}
    for ident, rec in records.items():
        d = config.definitions[ident]
        for member in rec.members:
            if member not in config.definitions:
                raise NetplanError(f"{ident}: interface '{member}' is not defined")
            if member == ident:
                raise NetplanError(f"{ident}: cannot be its own member")
            if member in master_of:
                raise NetplanError(
                    f"{ident}: interface '{member}' is already assigned to {master_of[member]}"
                )
            master_of[member] = ident
        for port in sorted(set(rec.port_options) - set(rec.members)):
            raise NetplanError(f"{ident}: path-cost or port-priority of {port}, not a member")
        if rec.primary is not None and rec.primary not in rec.members:
            raise NetplanError(f"{ident}: primary '{rec.primary}' is not a member of {d.id}")
        vlan = rec.iface.vlan
        if vlan is not None and vlan.parent is not None:
            parent = config.definitions.get(vlan.parent)
            if parent is None and config.renderer != "NetworkManager":
                raise NetplanError(f"{ident}: interface '{vlan.parent}' is not defined")
            device = devices.get(vlan.parent) if parent else vlan.parent
            if device is None:
                problems.append(f"{ident}: its link {vlan.parent} is not a modelled device")
                device = vlan.parent
            rec.iface = replace(rec.iface, vlan=replace(vlan, parent=device))

    for member in master_of:
        data = config.definitions[member].data
        ip_keys = [
            k
            for k in ("dhcp4", "dhcp6", "addresses", "gateway4", "gateway6", "nameservers")
            if data.get(k) not in (None, [], *_FALSE)
        ]
        if ip_keys:
            problems.append(f"{member}: IP settings {ip_keys} on a member are not modelled")

    def nest(ident: str, top: bool) -> Interface:
        rec = records[ident]
        iface = rec.iface
        subs = tuple(nest(m, False) for m in rec.members if m in records)
        if iface.bond is not None:
            primary = devices.get(rec.primary) if rec.primary else None
            if subs and primary == subs[0].name and iface.bond.mode in PRIMARY_MODES:
                primary = None  # libvirt's rule: the first slave
            iface = replace(iface, bond=replace(iface.bond, slaves=subs, primary_slave=primary))
        elif iface.bridge is not None:
            ports = tuple(
                replace(s, port_options=rec.port_options[m]) if m in rec.port_options else s
                for m, s in zip((m for m in rec.members if m in records), subs, strict=True)
            )
            iface = replace(iface, bridge=replace(iface.bridge, ports=ports))
        return iface if top else replace(iface, start_mode=None, protocols=(), dns=None)

    return ReadResult([nest(i, True) for i in records if i not in master_of], problems)


def _definition(d: Definition, config: Config, problems: list[str]) -> _Read | None:
    data = d.data
    if data.get("renderer") not in (None, "networkd", "NetworkManager"):
        problems.append(f"{d.id}: renderer {data['renderer']} is not modelled; skipped")
        return None
    unknown = sorted(set(data) - _COMMON - _TYPE_KEYS[d.type])
    if data.get("networkmanager") == {"passthrough": {"ipv4.method": "disabled"}}:
        unknown.remove("networkmanager")  # what ifsmith writes for "no IPv4" (see render)
    for key in unknown:
        problems.append(f"{d.id}: {key} is not modelled; ignored")
    if _renderer(config, data) == "networkd":
        _same_dhcp_overrides(d)
    if d.device is None:
        problems.append(f"{d.id}: matches devices by {data.get('match')!r}; not modelled, skipped")
        return None
    name = d.device
    rec = _Read(Interface(d.type, name))
    bond = bridge = vlan = None
    if d.type in (IfType.BOND, IfType.BRIDGE):
        members = data.get("interfaces") or []
        if not isinstance(members, list):
            raise NetplanError(f"{d.id}: interfaces must be a list")
        rec.members = [str(m) for m in members]
        params = data.get("parameters") or {}
        if not isinstance(params, dict):
            raise NetplanError(f"{d.id}: parameters must be a mapping")
        allowed = _BOND_PARAMS if d.type == IfType.BOND else _BRIDGE_PARAMS
        for key in sorted(set(params) - allowed):
            problems.append(f"{d.id}: parameters.{key} is not modelled; ignored")
        if d.type == IfType.BOND:
            bond = _bond(d, params, problems)
            rec.primary = str(params["primary"]) if params.get("primary") is not None else None
        else:
            delay = None
            if params.get("forward-delay") is not None:
                delay = _seconds(d, "forward-delay", params["forward-delay"])
            options = npo.read(BridgeOptions, params, d.id, problems, parse_timespan)
            rec.port_options = npo.read_ports(params, d.id, problems)
            stp = _opt_bool(d, params, "stp")
            if stp is None and params:  # netplan's default once a bridge has parameters
                stp = True
            bridge = Bridge(stp=stp, delay=delay, options=options)
    elif d.type == IfType.VLAN:
        if data.get("id") is None:
            raise NetplanError(f"{d.id}: missing 'id' property")
        if data.get("link") is None:
            raise NetplanError(f"{d.id}: missing 'link' property")
        vlan = Vlan(_int(d, "id", data["id"], 0, 4094), parent=str(data["link"]))
    mac = data.get("macaddress")
    if mac is not None and mac_problem(str(mac)) is not None:
        if str(mac) in ("permanent", "random", "stable", "preserve"):
            problems.append(f"{d.id}: macaddress {mac} is not modelled; ignored")
            mac = None
        else:
            raise NetplanError(f"{d.id}: invalid MAC address '{mac}'")
    mode = data.get("activation-mode")
    start = StartMode.ONBOOT
    if mode is not None:
        if mode not in ("manual", "off"):
            raise NetplanError(f"{d.id}: activation-mode {mode!r} must be manual or off")
        if mode == "off" and config.renderer == "NetworkManager":
            raise NetplanError(f"{d.id}: activation-mode off is not supported by NetworkManager")
        if mode == "off":
            problems.append(f"{d.id}: activation-mode off (always down) read as start mode none")
        start = StartMode.NONE
    elif _opt_bool(d, data, "optional"):
        start = StartMode.HOTPLUG
    rec.iface = Interface(
        d.type,
        name,
        start_mode=start,
        mtu=_int(d, "mtu", data["mtu"], 1) if data.get("mtu") is not None else None,
        mac=str(mac).lower() if mac else None,
        protocols=_nm_protocols(d, _protocols(d, problems), config, problems),
        bond=bond,
        bridge=bridge,
        vlan=vlan,
        label=config.labels.get(name),
        dns=_dns(d, problems),
    )
    return rec


def _dns(d: Definition, problems: list[str]) -> Dns | None:
    try:
        return npr.read_dns(d.id, d.data.get("nameservers"), problems)
    except ValueError as e:
        raise NetplanError(str(e)) from None


def _nm_protocols(
    d: Definition, protocols: tuple[Protocol, ...], config: Config, problems: list[str]
) -> tuple[Protocol, ...]:
    """NetworkManager takes ``passthrough: {ipv4.method: disabled}`` over netplan's IPv4."""
    nm = d.data.get("networkmanager")
    passthrough = nm.get("passthrough") if isinstance(nm, dict) else None
    if _renderer(config, d.data) != "NetworkManager" or not isinstance(passthrough, dict):
        return protocols
    if passthrough.get("ipv4.method") != "disabled":
        return protocols
    if any(p.family == Family.IPV4 for p in protocols):
        problems.append(f"{d.id}: IPv4 settings overridden by passthrough ipv4.method=disabled")
    return tuple(p for p in protocols if p.family != Family.IPV4)


# DHCP overrides netplan writes once into networkd's [DHCP] section, with their defaults.
_SHARED_OVERRIDES: dict[str, str | None] = {
    "use-dns": "true",
    "use-ntp": "true",
    "send-hostname": "true",
    "use-hostname": "true",
    "use-mtu": "true",
    "use-routes": "true",
    "use-domains": None,
    "hostname": None,
    "route-metric": None,
}


def _same_dhcp_overrides(d: Definition) -> None:
    """netplan's networkd renderer refuses DHCPv4/v6 overrides that differ when both run."""
    data = d.data
    if not (_opt_bool(d, data, "dhcp4") and _opt_bool(d, data, "dhcp6")):
        return
    o4, o6 = (data.get(f"dhcp{v}-overrides") for v in (4, 6))
    o4 = o4 if isinstance(o4, dict) else {}
    o6 = o6 if isinstance(o6, dict) else {}
    for key, default in _SHARED_OVERRIDES.items():
        a, b = o4.get(key, default), o6.get(key, default)
        if default == "true":
            a = None if a is None else str(_bool(d, key, a))
            b = None if b is None else str(_bool(d, key, b))
        if a != b:
            raise NetplanError(
                f"{d.id}: networkd requires that {key} has the same value in both "
                "dhcp4_overrides and dhcp6_overrides"
            )


def _bond(d: Definition, params: dict[str, Any], problems: list[str]) -> Bond:
    mode = None
    if params.get("mode") is not None:
        mode = _choice(d, "bond mode", params["mode"], BondMode)
    miimon = arpmon = None
    if params.get("mii-monitor-interval") is not None:
        freq = _ms(d, "mii-monitor-interval", params["mii-monitor-interval"])
        up = _ms(d, "up-delay", params["up-delay"]) if params.get("up-delay") else 0
        down = _ms(d, "down-delay", params["down-delay"]) if params.get("down-delay") else 0
        miimon = MiiMon(freq, downdelay=down, updelay=up) if freq else None
    if params.get("arp-interval") is not None:
        targets = params.get("arp-ip-targets") or []
        if not isinstance(targets, list):
            raise NetplanError(f"{d.id}: arp-ip-targets must be a list")
        validate = None
        if params.get("arp-validate") is not None:
            validate = _choice(d, "arp-validate", params["arp-validate"], ArpValidate)
        interval = _ms(d, "arp-interval", params["arp-interval"])
        arpmon = (
            ArpMon(interval, tuple(_ip(d, "arp-ip-targets", t, 4) for t in targets), validate)
            if interval
            else None
        )
    elif params.get("arp-ip-targets"):
        for t in params["arp-ip-targets"]:
            _ip(d, "arp-ip-targets", t, 4)
        problems.append(f"{d.id}: arp-ip-targets without arp-interval are not modelled")
    policy = None
    if params.get("transmit-hash-policy") is not None:
        text = str(params["transmit-hash-policy"])
        try:
            policy = XmitHashPolicy(text)
        except ValueError:
            problems.append(f"{d.id}: transmit-hash-policy {text} is not modelled; ignored")
    lacp = None
    if params.get("lacp-rate") is not None:
        lacp = _choice(d, "lacp-rate", params["lacp-rate"], LacpRate)
    options = npo.read(BondOptions, params, d.id, problems, parse_timespan)
    return Bond(mode=mode, miimon=miimon, arpmon=arpmon, xmit_hash_policy=policy, lacp_rate=lacp,
                options=options)  # fmt: skip


def _address(d: Definition, value: Any) -> IpAddress:
    text = str(value)
    addr, _, plen = text.partition("/")
    try:
        ip = ipaddress.ip_address(addr)
        prefix = int(plen)
        if not 0 <= prefix <= ip.max_prefixlen:  # (what ip_network would refuse)
            raise ValueError(text)
    except ValueError:
        raise NetplanError(f"{d.id}: invalid address '{text}' (expected a/prefix)") from None
    return IpAddress(str(ip), prefix)


def _protocols(d: Definition, problems: list[str]) -> tuple[Protocol, ...]:
    data = d.data
    addresses = data.get("addresses") or []
    if not isinstance(addresses, list):
        raise NetplanError(f"{d.id}: addresses must be a list")
    parsed: list[IpAddress] = []
    for a in addresses:
        if isinstance(a, dict):
            problems.append(f"{d.id}: address options (lifetime, label) are not modelled")
            a = next(iter(a), "")
        parsed.append(_address(d, a))
    gateways: dict[int, str] = {}
    for version in (4, 6):
        value = data.get(f"gateway{version}")
        if value is not None:
            gateways[version] = _ip(d, f"gateway{version}", value, version)
    routes = data.get("routes") or []
    if not isinstance(routes, list):
        raise NetplanError(f"{d.id}: routes must be a list")
    statics: dict[Family, list[Route]] = {Family.IPV4: [], Family.IPV6: []}
    for route in routes:
        if not isinstance(route, dict):
            raise NetplanError(f"{d.id}: a route must be a mapping")
        to = str(route.get("to", ""))
        if npr.is_default_gateway(route):
            via = _ip(d, "routes.via", route["via"])
            version = ipaddress.ip_address(via).version
            if to != "default" and ipaddress.ip_network(to).version != version:
                raise NetplanError(f"{d.id}: route to {to} via {via}: families differ")
            gateways.setdefault(version, via)
            continue
        static, why = npr.entry_route(route)
        if static is None:
            problems.append(f"{d.id}: route {dict(route)!r}: {why}; kept as written")
            continue
        family = Family.IPV6 if ":" in static.address else Family.IPV4
        if npr.attributes(route):
            problems.append(f"{d.id}: route {static}: {', '.join(npr.attributes(route))} not"
                            " modelled; read without, kept as written")  # fmt: skip
        if static not in statics[family]:
            statics[family].append(static)
    ll = data.get("link-local")
    ll_list = ["ipv6"] if ll is None else [str(x) for x in ll] if isinstance(ll, list) else []
    if "ipv4" in ll_list:
        problems.append(f"{d.id}: IPv4 link-local addressing is not modelled")
    ll6 = "ipv6" in ll_list
    ra = _opt_bool(d, data, "accept-ra")
    out: list[Protocol] = []
    for family, version in ((Family.IPV4, 4), (Family.IPV6, 6)):
        dhcp = bool(_opt_bool(d, data, f"dhcp{version}"))
        mine = tuple(a for a in parsed if (6 if ":" in a.address else 4) == version)
        overrides = data.get(f"dhcp{version}-overrides") or {}
        peerdns = None
        if isinstance(overrides, dict):
            for key in sorted(set(overrides) - {"use-dns"}):
                problems.append(f"{d.id}: dhcp{version}-overrides.{key} is not modelled")
            peerdns = _opt_bool(d, overrides, "use-dns")
        autoconf = version == 6 and (ra is True or (ra is None and ll6))
        if not (dhcp or mine or version in gateways or (version == 6 and (ll6 or autoconf))):
            continue
        if version == 6 and not ll6:
            problems.append(f"{d.id}: IPv6 without a link-local address is not modelled")
        out.append(
            Protocol(
                family,
                dhcp=dhcp,
                peerdns=peerdns,
                autoconf=autoconf,
                addresses=mine,
                gateway=gateways.get(version),
            )
        )
    return tuple(nr.with_routes(out, statics))


# ---------------------------------------------------------------------------------------
# Rendering.


def _name(owner: str, what: str, value: str) -> str:
    # netplan writes the name into networkd's [Match] Name= (its default renderer).
    problem = name_problem(value) or id_problem(value) or networkd_name_problem(value)
    if problem is not None:
        raise UnsafeValue(f"{owner}: {what} {value!r}: {problem}")
    return check_token(owner, what, value)


def id_problem(ident: str) -> str | None:
    """Why netplan refuses a definition ID (its ``assert_valid_id`` and globbing rules)."""
    if not _VALID_ID.fullmatch(ident):
        return "netplan accepts only ASCII letters, digits and punctuation in a name"
    if any(ch in ident for ch in "*[]?"):
        return "netplan refuses glob characters (* ? [ ]) in a name"
    return None


def _check_ip(owner: str, what: str, value: str) -> str:
    try:
        text = str(ipaddress.ip_address(value))
    except ValueError:
        raise UnsafeValue(f"{owner}: {what} {value!r} is not an IP address") from None
    # Python accepts any IPv6 scope id ("fe80::1%<anything>"), newlines included.
    return check_token(owner, what, text)


def _yes(value: bool) -> Plain:
    return Plain("true" if value else "false")


def definition_keys(
    fi: FlatInterface, ids: Callable[[str], str], primary: str | None, warn: Callable[[str], None]
) -> dict[str, Any]:
    """The keys of one netplan definition (None: the key must go)."""
    iface = fi.interface
    name = iface.name
    keys: dict[str, Any] = {k: None for k in _OWNED}
    keys["mtu"] = Plain(str(int(iface.mtu))) if iface.mtu is not None else None
    if iface.mac is not None:
        problem = mac_problem(iface.mac)
        if problem is not None:
            raise UnsafeValue(f"{name}: {problem}")
        keys["macaddress"] = Quoted(iface.mac.lower())
    if fi.start_mode == StartMode.NONE:
        keys["activation-mode"] = Plain("manual")
    elif fi.start_mode == StartMode.HOTPLUG:
        keys["optional"] = _yes(True)
    if iface.bond is not None:
        keys["interfaces"] = [Quoted(ids(s.name)) for s in iface.bond.slaves]
        keys["parameters"] = _bond_params(name, iface.bond, primary, ids, warn)
    elif iface.bridge is not None:
        keys["interfaces"] = [Quoted(ids(p.name)) for p in iface.bridge.ports]
        params: dict[str, Any] = {}
        if iface.bridge.stp is not None:
            params["stp"] = _yes(iface.bridge.stp)
        if iface.bridge.delay is not None:
            params["forward-delay"] = Plain(seconds_text(iface.bridge.delay))
        params.update({k: Plain(v) for k, v in npo.params(iface.bridge.options).items()})
        by_port = [(ids(p.name), p.port_options) for p in iface.bridge.ports]
        for key, values in npo.port_params(by_port).items():
            params[key] = {Quoted(i): Plain(v) for i, v in values.items()}
        if params and "stp" not in params:
            # netplan turns STP on for a bridge with parameters and no stp: say the
            # kernel's default (off), which a bridge without stp means everywhere else.
            params = {"stp": _yes(False), **params}
        keys["parameters"] = params
    if iface.vlan is not None:
        if iface.vlan.parent is None:
            raise UnsafeValue(f"{name}: VLAN without a parent interface")
        keys["id"] = Plain(str(int(iface.vlan.tag)))
        keys["link"] = Quoted(ids(iface.vlan.parent))
        if iface.vlan.reorder_hdr is False:
            warn("netplan cannot turn VLAN reorder_hdr off; the kernel default (on) applies")
    if fi.master is not None:
        keys["link-local"] = []
        return keys
    keys["nameservers"] = _nameservers(name, iface.dns)
    v4, v6 = iface.ipv4, iface.ipv6
    addresses: list[Quoted] = []
    keys["dhcp4"] = _yes(True) if v4 is not None and v4.dhcp else None
    keys["dhcp6"] = _yes(True) if v6 is not None and v6.dhcp else None
    keys["link-local"] = [Plain("ipv6")] if v6 is not None else []
    keys["accept-ra"] = _yes(v6.autoconf) if v6 is not None else None
    for proto in (v4, v6):
        if proto is None:
            continue
        for a in proto.addresses:
            text = _check_ip(name, "address", a.address)
            if a.prefix is None:
                a = IpAddress(text, 32 if proto.family == Family.IPV4 else 128)
                warn(f"address {text} has no prefix; netplan needs one: /{a.prefix} written")
            addresses.append(Quoted(f"{text}/{a.prefix}"))
    keys["addresses"] = addresses or None
    return keys


def _nameservers(name: str, dns: Dns | None) -> dict[str, Any] | None:
    if not dns:
        return None
    out: dict[str, Any] = {}
    if dns.servers:
        out["addresses"] = [Quoted(_check_ip(name, "DNS server", a)) for a in dns.servers]
    if dns.search:
        out["search"] = [Quoted(check_token(name, "search domain", d)) for d in dns.search]
    return out


def _bond_params(
    name: str,
    bond: Bond,
    primary: str | None,
    ids: Callable[[str], str],
    warn: Callable[[str], None],
) -> dict[str, Any]:
    params: dict[str, Any] = {"mode": Plain((bond.mode or BondMode.BALANCE_RR).value)}
    if bond.miimon is not None:
        mii = bond.miimon
        params["mii-monitor-interval"] = Plain(str(int(mii.freq)))
        if mii.updelay:
            params["up-delay"] = Plain(str(int(mii.updelay)))
        if mii.downdelay:
            params["down-delay"] = Plain(str(int(mii.downdelay)))
        if mii.carrier == Carrier.IOCTL:
            warn("netplan has no use_carrier setting; the kernel's netif carrier is used")
    if bond.arpmon is not None:
        arp = bond.arpmon
        params["arp-interval"] = Plain(str(int(arp.interval)))
        if arp.targets:
            params["arp-ip-targets"] = [
                Quoted(_check_ip(name, "ARP target", t)) for t in arp.targets
            ]
        if arp.validate is not None:
            params["arp-validate"] = Plain(arp.validate.value)
    if bond.xmit_hash_policy is not None:
        params["transmit-hash-policy"] = Plain(bond.xmit_hash_policy.value)
    if bond.lacp_rate is not None:
        params["lacp-rate"] = Plain(bond.lacp_rate.value)
    if primary is not None:
        params["primary"] = Quoted(ids(primary))
    params.update({k: Plain(v) for k, v in npo.params(bond.options).items()})
    return params


def _gateway_routes(
    name: str,
    iface: Interface,
    routes: list[Any],
    is_port: bool,
    warn: Callable[[str], None] | None = None,
) -> list[Any] | None:
    """Routes with the default routes (``to``/``via`` only) made the model's gateways and
    the static routes the model's: one that stays is kept where it stands, new ones follow;
    routes ifsmith does not model are kept as they are."""
    statics = [] if is_port else nr.wanted_routes(iface.protocols)
    routes = npr.static_routes(routes, statics, None if is_port else warn)
    wanted = []
    if not is_port:
        for proto in (iface.ipv4, iface.ipv6):
            if proto is not None and proto.gateway:
                wanted.append(_check_ip(name, "gateway", proto.gateway))
    kept = []
    for r in routes:
        if (
            isinstance(r, dict)
            and str(r.get("to", "")) in ("default", "0.0.0.0/0", "::/0")
            and set(r) == {"to", "via"}
        ):
            via = _canonical_ip(str(r["via"]))
            if via not in wanted:
                continue
            wanted.remove(via)
        kept.append(r)
    kept += [{"to": Plain("default"), "via": Quoted(via)} for via in wanted]
    for route in statics:
        entry: dict[str, Any] = {"to": Quoted(check_token(name, "route", route.destination))}
        if route.gateway is not None:
            entry["via"] = Quoted(_check_ip(name, "route gateway", route.gateway))
        if route.metric is not None:
            entry["metric"] = Plain(str(int(route.metric)))
        kept.append(entry)
    return kept or None


def _canonical_ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _apply(body: dict[str, Any], keys: dict[str, Any], routes: list[Any] | None) -> None:
    parameters = keys.pop("parameters", None)
    for key, value in keys.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    if routes is None:
        body.pop("routes", None)
    else:
        body["routes"] = routes
    for overrides in ("dhcp4-overrides", "dhcp6-overrides"):
        if isinstance(body.get(overrides), dict):
            body[overrides].pop("use-dns", None)
            if not body[overrides]:
                del body[overrides]
    if parameters is not None:
        params = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        assert isinstance(params, dict)
        owned = _BOND_PARAMS | _BRIDGE_PARAMS
        merged = {k: v for k, v in params.items() if k not in owned}
        for k in list(params):
            if k in parameters:
                merged[k] = parameters[k]
        merged.update({k: v for k, v in parameters.items() if k not in merged})
        body["parameters"] = {k: merged[k] for k in list(params) + list(parameters) if k in merged}
        if not body["parameters"]:
            del body["parameters"]
    else:
        body.pop("parameters", None)


def _nm_forward_delay(
    body: dict[str, Any], iface: Interface, renderer: str, warn: Callable[[str], None]
) -> None:
    """A bridge forward delay NetworkManager cannot take (outside 2 to 30 s, a fraction):
    the nearest it can, with a warning naming the value (netplan would hand NetworkManager
    a profile it refuses)."""
    if renderer != "NetworkManager" or iface.bridge is None or iface.bridge.delay is None:
        return
    seconds, message = nm_forward_delay(iface.bridge.delay)
    params = body.get("parameters")
    if message is not None and isinstance(params, dict):
        params["forward-delay"] = Plain(str(seconds))
        warn(message)


def _peerdns(
    body: dict[str, Any], iface: Interface, renderer: str, warn: Callable[[str], None]
) -> None:
    v4, v6 = iface.ipv4, iface.ipv6
    if renderer == "networkd" and v4 is not None and v6 is not None and v4.dhcp and v6.dhcp:
        dns4 = v4.peerdns is not False
        if dns4 != (v6.peerdns is not False):
            # netplan writes one [DHCP] UseDNS= for both and refuses differing values.
            warn(
                "netplan's networkd renderer takes one use-dns for DHCPv4 and DHCPv6: "
                f"the IPv4 setting ({'yes' if dns4 else 'no'}) is written for both"
            )
            v6 = replace(v6, peerdns=dns4)
    for proto, key in ((v4, "dhcp4-overrides"), (v6, "dhcp6-overrides")):
        if proto is not None and proto.peerdns is not None:
            overrides = body.get(key) if isinstance(body.get(key), dict) else {}
            assert isinstance(overrides, dict)
            overrides["use-dns"] = _yes(proto.peerdns)
            body[key] = overrides


@dataclass
class _Edit:
    """The files being rewritten: target path → document (and the original file)."""

    config: Config
    docs: dict[PurePosixPath, dict[str, Any]] = field(default_factory=dict)
    sources: dict[PurePosixPath, NetplanFile] = field(default_factory=dict)

    def doc(self, nf: NetplanFile | None) -> tuple[PurePosixPath, dict[str, Any]]:
        """The document to edit for a file (a copy in /etc for one under /run or /lib)."""
        if nf is None:
            path = OWN_FILE
            if path not in self.docs:
                own = next((f for f in self.config.files if f.path == OWN_FILE), None)
                if own is not None:
                    return self.doc(own)
                self.docs[path] = {"network": {"version": Plain("2")}}
            return path, self.docs[path]
        path = DIRECTORY / nf.path.name
        if path not in self.docs:
            self.docs[path] = _unshared(nf.doc)  # YAML aliases share nodes; edits must not
            self.sources[path] = nf
        return path, self.docs[path]

    def body(self, nf: NetplanFile | None, section: str, ident: str) -> dict[str, Any]:
        _, doc = self.doc(nf)
        net = doc.setdefault("network", {})
        if not isinstance(net, dict):
            raise NetplanError(f"{nf.path if nf else OWN_FILE}: 'network' is not a mapping")
        defs = net.get(section)
        if not isinstance(defs, dict):
            defs = net[section] = {}
        body = defs.get(ident)
        if not isinstance(body, dict):
            body = defs[ident] = {}
        return body


def _unshared(value: Any) -> Any:
    """A copy in which no mapping or list is shared (a YAML alias reads as the same object)."""
    if isinstance(value, dict):
        return {k: _unshared(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unshared(v) for v in value]
    return value


def render(interfaces: Sequence[Interface], existing: FileView) -> Rendering:
    """The definitions edited where they stand; new ones in /etc/netplan/60-ifsmith.yaml."""
    config = load(existing)
    by_device = config.by_device()
    edit = _Edit(config)
    warnings: list[RenderWarning] = []
    flat = flatten(list(interfaces))
    rendered = {fi.name: fi for fi in flat}

    def ids(device: str) -> str:
        found = by_device.get(device)
        if found is not None and (
            device not in rendered or found.type == rendered[device].interface.type
        ):
            return found.id
        return device

    # netplan needs every VLAN's parent defined.
    bare: list[str] = []
    for fi in flat:
        vlan = fi.interface.vlan
        if vlan is None or vlan.parent is None:
            continue
        parent = _name(fi.name, "VLAN parent", vlan.parent)
        if parent in rendered or parent in by_device or config.renderer == "NetworkManager":
            continue  # (netplan's NetworkManager renderer takes an undefined parent)
        if _VIRTUAL_NAME.search(parent):
            raise IfsmithError(
                f"{fi.name}: VLAN parent {parent} is not defined in the XML nor in "
                f"{DIRECTORY}; netplan needs it defined, and a virtual device cannot be "
                "defined bare — define it first"
            )
        if parent not in bare:
            bare.append(parent)
    primaries = {
        i.name: i.bond.primary
        for top in interfaces
        for i, _m in top.walk()
        if i.bond is not None and (i.bond.mode in PRIMARY_MODES or i.bond.primary_slave)
    }
    members = {
        m: d.device for d in config.definitions.values() for m in _members(d.data) if d.device
    }
    works: dict[str, _Work] = {}
    masters = {i.name: i for top in interfaces for i, _m in top.walk()}
    for fi in flat:
        name = _name(fi.name, "interface name", fi.name)
        iface = fi.interface

        def warn(message: str, name: str = name) -> None:
            warnings.append(RenderWarning(name, message, NAME))

        section = SECTION_OF[iface.type]
        found = by_device.get(name)
        if found is not None and found.type != iface.type:
            _remove_definition(edit, found)  # the type changed: the old definition goes
            found = None
        ident = found.id if found is not None else name
        keys = definition_keys(fi, ids, primaries.get(name), warn)
        if found is not None and isinstance(keys.get("interfaces"), list):
            keys["interfaces"] = _with_unmodelled_members(found, config, keys["interfaces"])
        port = fi.master is not None
        already = found is not None and port and members.get(found.id) == fi.master
        if already:  # its own IP settings the model cannot hold: as the files say
            for key in _PORT_OWN:
                keys.pop(key, None)
        # The definition as netplan merges it is edited, then written back to the files.
        body = _unshared(found.data) if found is not None else edit.body(None, section, ident)
        routes = list(body.get("routes") or []) or None
        if not already:
            routes = _gateway_routes(name, iface, routes or [], port, warn)
        _apply(body, keys, routes)
        if not port:
            _peerdns(body, iface, _renderer(config, body), warn)
            _nm_link_local(body, iface, _renderer(config, body))
        _nm_forward_delay(body, iface, _renderer(config, body), warn)
        work = works[name] = _Work(found, section, ident, body)
        if found is not None:
            work.keep_what_reads_the_same(config, port)
            if port and not already and fi.master in works:  # a NIC becoming a port
                was = _protocols(found, [])
                port_losses(was, masters.get(fi.master), warn)
                top = masters.get(fi.master)
                theirs = (top.protocols, top.dns) if top is not None else ((), None)
                nr.losses(was, _dns(found, []), theirs, warn)
                hand_over(work.body, works[fi.master].body, fi.master, warn)
        config.labels.pop(name, None)
        if iface.label is not None:
            config.labels[name] = iface.label
    for work in works.values():
        work.write(edit)
    for parent in bare:
        # No IPv6 link-local on a trunk that only carries VLANs: as the networkd backend's
        # bare parent (LinkLocalAddressing=no), so both stacks bring up the same thing.
        trunk = edit.body(None, "ethernets", parent)
        trunk.setdefault("link-local", [])
        _nm_link_local(trunk, None, _renderer(config, trunk))
        warnings.append(
            RenderWarning(
                parent,
                "netplan needs a VLAN's parent defined: defined as a bare ethernet "
                "without addresses (netplan then manages it)",
                NAME,
            )
        )
    files = _edited_files(edit, warnings)
    return Rendering(backend=NAME, files=files, warnings=tuple(warnings), mode=MODE)


def hand_over(
    port: dict[str, Any], master: dict[str, Any], master_name: str, warn: Callable[[str], None]
) -> None:
    """A port keeps no IP settings.  Addresses, gateways, static routes and DNS are the
    model's, the master's to say (``port_losses`` names what it does not take); a route
    ifsmith does not model moves to the master, unless that routes its destination
    otherwise: then a warning names it."""
    port.pop("nameservers", None)
    routes = port.pop("routes", None)
    if not isinstance(routes, list):
        return
    into = master.get("routes") if isinstance(master.get("routes"), list) else []
    assert isinstance(into, list)
    for route in routes:
        if route in into:
            continue
        to = route.get("to") if isinstance(route, dict) else None
        if any(isinstance(r, dict) and r.get("to") == to for r in into):
            warn(
                f"route {_flow_text(route)} removed (a port has no routes); "
                f"{master_name} routes {to}"
            )
            continue
        into.append(route)
    if into:
        master["routes"] = into


# What an existing port's definition says about its own IP (the model has none for a port).
_PORT_OWN = (
    "link-local",
    "dhcp4",
    "dhcp6",
    "accept-ra",
    "addresses",
    "gateway4",
    "gateway6",
    "nameservers",
)


def _with_unmodelled_members(d: Definition, config: Config, wanted: list[Any]) -> list[Any]:
    """A master's member list as the model has it, with the members the model cannot hold
    (definitions matched by driver or glob) kept where they stand, not dropped."""
    old = _members(d.data)
    unmodelled = {
        m for m in old if (md := config.definitions.get(m)) is not None and md.device is None
    }
    if not unmodelled:
        return wanted
    if [m for m in old if m in wanted] == [m for m in wanted if m in old]:
        kept = [m for m in old if m in wanted or m in unmodelled]
        return [*kept, *(m for m in wanted if m not in old)]
    return [*wanted, *(m for m in old if m in unmodelled)]


def _members(data: dict[str, Any]) -> list[str]:
    found = data.get("interfaces")
    return [str(m) for m in found] if isinstance(found, list) else []


@dataclass
class _Work:
    """One definition being rendered: as netplan merges it (``body``) and as it was."""

    found: Definition | None
    section: str
    ident: str
    body: dict[str, Any]

    def reading(self, config: Config, body: dict[str, Any], port: bool) -> object:
        """How the definition reads with this body (a trial netplan refuses reads as no
        other: it is never kept)."""
        assert self.found is not None
        try:
            rec = _definition(replace(self.found, data=body), config, [])
        except NetplanError:
            return object()
        if rec is None:
            return None
        if port:
            rec.iface = as_port(rec.iface)
        bond = rec.iface.bond
        if bond is not None and bond.mode is None:  # the kernel's default mode
            bond = replace(bond, mode=BondMode.BALANCE_RR)
            rec.iface = replace(rec.iface, bond=bond)
        if bond is not None and bond.mode in PRIMARY_MODES and rec.members[:1] == [rec.primary]:
            rec.primary = None  # libvirt's rule: the first slave is the primary anyway
        return rec

    def keep_what_reads_the_same(self, config: Config, port: bool) -> None:
        """Leave a key as the files have it where the definition then reads the same:
        ``dhcp4: yes`` for ``true``, a default left unwritten, ``gateway4:`` for a default
        route.  Keys of the old definition are tried first, so an old spelling wins."""
        assert self.found is not None
        before = self.found.data
        target = self.reading(config, self.body, port)
        for key in [*before, *(k for k in self.body if k not in before)]:
            old, new = before.get(key), self.body.get(key)
            if old == new or (port and key == "link-local"):
                continue  # a new port's link-local goes off though the model has no IP
            if isinstance(old, dict) and isinstance(new, dict):
                for sub in [*old, *(k for k in new if k not in old)]:
                    trial = _unshared(self.body)
                    _restore(trial[key], old, sub)
                    if self.reading(config, trial, port) == target:
                        self.body = trial
                continue
            trial = dict(self.body)
            _restore(trial, before, key)
            if self.reading(config, trial, port) == target:
                self.body = trial

    def write(self, edit: _Edit) -> None:
        """The changed keys into the files: each where it is defined last (which wins in
        netplan's merge), else in the first file; other files' copies of it go."""
        if self.found is None:
            return  # a new definition: written in our own file already
        before, files = self.found.data, self.found.files
        bodies = [edit.body(nf, self.section, self.ident) for nf in files]  # written, as they are
        for key in [*before, *(k for k in self.body if k not in before)]:
            if before.get(key) == self.body.get(key):
                continue
            holders = [b for b in bodies if key in b] or bodies[:1]
            for b in bodies:
                if b is not holders[-1] or key not in self.body:
                    b.pop(key, None)
            if key in self.body:
                holders[-1][key] = self.body[key]


def _restore(into: dict[str, Any], before: dict[str, Any], key: str) -> None:
    if key in before:
        into[key] = _unshared(before[key])
    else:
        into.pop(key, None)


def _nm_link_local(body: dict[str, Any], iface: Interface | None, renderer: str) -> None:
    """NetworkManager via netplan gives an interface without IPv4 ``method=link-local``
    (169.254/16) whatever ``link-local:`` says; netplan's passthrough sets
    ``ipv4.method=disabled``, which is what the definition means."""
    nm = body.get("networkmanager")
    passthrough = nm.get("passthrough") if isinstance(nm, dict) else None
    wanted = renderer == "NetworkManager" and (iface is None or iface.ipv4 is None)
    if wanted:
        nm = body.setdefault("networkmanager", {}) if isinstance(nm, dict) or nm is None else nm
        if not isinstance(nm, dict):
            return
        passthrough = nm.setdefault("passthrough", {})
        if isinstance(passthrough, dict):
            passthrough["ipv4.method"] = Plain("disabled")
    elif isinstance(passthrough, dict) and passthrough.get("ipv4.method") == "disabled":
        del passthrough["ipv4.method"]
        if not passthrough and isinstance(nm, dict):
            del nm["passthrough"]
        if not nm:
            del body["networkmanager"]


def _edited_files(edit: _Edit, warnings: list[RenderWarning]) -> dict[PurePosixPath, bytes]:
    """The edited documents as files in /etc; a file from /run is also written back there.

    A file in /run/netplan shadows the same name in /etc: the /etc copy alone would change
    nothing until /run is cleared (a reboot).  So both are written: /run for now, /etc to
    persist — unless whatever wrote /run writes it again at boot (a warning says so).
    """
    files: dict[PurePosixPath, bytes] = {}
    for path, doc in edit.docs.items():
        source = edit.sources.get(path)
        files[path] = _dump_file(doc, source, edit.config.labels, warnings)
        if source is not None and source.path.parent == SEARCH_PATH[0]:
            files[source.path] = files[path]
            message = (
                f"{source.path} shadows {path}: both written; if a program writes the /run "
                "file at boot, it replaces this change there"
            )
            warnings.append(RenderWarning(str(source.path), message, NAME))
    return files


def _renderer(config: Config, body: dict[str, Any]) -> str:
    """The renderer of a definition: its own ``renderer:``, else the files' global one."""
    own = body.get("renderer")
    return str(own) if isinstance(own, str) else config.renderer


def _remove_definition(edit: _Edit, d: Definition) -> None:
    for nf in d.files:
        _, doc = edit.doc(nf)
        defs = doc.get("network", {}).get(SECTION_OF[d.type])
        if isinstance(defs, dict):
            defs.pop(d.id, None)
            if not defs:
                del doc["network"][SECTION_OF[d.type]]


def _dump_file(
    doc: dict[str, Any],
    source: NetplanFile | None,
    labels: dict[str, str],
    warnings: list[RenderWarning],
) -> bytes:
    """The YAML text: the file edited in place where it can be, else the leading comment
    block kept, label comments, then the document."""
    wanted = _label_lines(doc, labels)
    if source is not None:
        edited = patch_yaml(source.text, doc, str(source.path), source.doc)
        if edited is not None:
            return _with_labels(edited, wanted).encode("utf-8")
    head: list[str] = []
    if source is not None:
        lines = source.text.splitlines()
        n = 0
        while n < len(lines) and (not lines[n].strip() or lines[n].lstrip().startswith("#")):
            if not LABEL.match(lines[n].strip()):
                head.append(lines[n])
            n += 1
        if any(re.search(r"(^|\s)#", ln) for ln in lines[n:]):
            warnings.append(
                RenderWarning(
                    str(source.path),
                    "comments inside the YAML are not kept when it is rewritten",
                    NAME,
                )
            )
    head += wanted
    while head and not head[-1].strip():
        head.pop()
    text = "\n".join(head) + ("\n" if head else "") + dump_yaml(doc)
    return text.encode("utf-8")


def _label_lines(doc: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """The label comments of the interfaces a document defines."""
    defined = set()
    net = doc.get("network")
    if isinstance(net, dict):
        for section in SECTIONS:
            defs = net.get(section)
            if isinstance(defs, dict):
                for ident, body in defs.items():
                    defined.add(ident)
                    if isinstance(body, dict) and isinstance(body.get("set-name"), str):
                        defined.add(body["set-name"])
    return [f"# ifsmith-label {n}: {json.dumps(labels[n])}" for n in sorted(labels) if n in defined]


def _with_labels(text: str, wanted: list[str]) -> str:
    """The text with these label comments in its leading comment block (as they were if
    unchanged; else where the first stood, or after the block's comments)."""
    lines = text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and (not lines[n].strip() or lines[n].lstrip().startswith("#")):
        n += 1
    found = [i for i in range(n) if LABEL.match(lines[i].strip())]
    if [lines[i].strip() for i in found] == wanted:
        return text
    if found:
        at = found[0]
    else:
        at = max((i + 1 for i in range(n) if lines[i].strip()), default=0)
    kept = [ln for i, ln in enumerate(lines) if i not in set(found)]
    return "".join(kept[:at] + [w + "\n" for w in wanted] + kept[at:])


def undefine(names: Sequence[str], existing: FileView) -> Rendering:
    """Remove the definitions of these interfaces (and of their members)."""
    config = load(existing)
    interfaces, _ = interfaces_of(config, [])
    doomed = set(names)
    for top in interfaces:
        for iface, _m in top.walk():
            if iface.name in names:
                doomed |= {i.name for i, _mm in iface.walk()}
    for top in interfaces:
        for iface, _m in top.walk():
            if iface.vlan is not None and iface.vlan.parent in doomed and iface.name not in doomed:
                raise IfsmithError(
                    f"{iface.vlan.parent}: VLAN {iface.name} is defined on it; undefine that first"
                )
    edit = _Edit(config)
    by_device = config.by_device()
    found = [n for n in doomed if n in by_device]
    for name in found:
        _remove_definition(edit, by_device[name])
        config.labels.pop(name, None)
    for d in config.definitions.values():  # masters stop listing removed members
        if d.device not in doomed and isinstance(d.data.get("interfaces"), list):
            for nf in d.files:
                body = edit.body(nf, SECTION_OF[d.type], d.id)
                if isinstance(body.get("interfaces"), list):
                    body["interfaces"] = [
                        m
                        for m in body["interfaces"]
                        if config.definitions.get(m) is None
                        or config.definitions[m].device not in doomed
                    ]
    warnings: list[RenderWarning] = [
        RenderWarning(n, "no netplan file defines this interface", NAME)
        for n in sorted(set(names) - set(found))
    ]
    files = _edited_files(edit, warnings)
    removed = frozenset(
        p
        for p, doc in edit.docs.items()
        if p == OWN_FILE and not any(doc.get("network", {}).get(s) for s in SECTIONS)
    )
    for p in removed:
        files.pop(p, None)
    return Rendering(
        backend=NAME, files=files, removed=removed, warnings=tuple(warnings), mode=MODE
    )


# ---------------------------------------------------------------------------------------
# The host.


def detect(host: Host) -> bool:
    """netplan files define an interface (and, on the real root, netplan is installed)."""
    try:
        config = load(HostFiles(host))
    except NetplanError:
        return True  # netplan's files, even broken ones, mean netplan is the stack
    defined = bool(config.definitions)
    if host.is_real_root:
        return defined and shutil.which("netplan") is not None
    return defined


def activate(host: Host, names: Sequence[str]) -> list[list[str]]:
    """``netplan apply`` (generate + reload the renderer); under another root, generate only."""
    prefix = ["ip", "netns", "exec", host.netns] if host.netns else []
    if not host.is_real_root:
        return [[*prefix, "netplan", "generate", "--root-dir", str(host.root)]]
    return [[*prefix, "netplan", "apply"]]
