"""Every bond and bridge option beyond libvirt's XML (ifsmith extensions).

One table per kind says what each option is: its kernel name (the dataclass field; the XML
attribute is ``ifsmith:`` + the name with ``_`` → ``-``), its type and range (as the
kernel's Documentation/networking/bonding.rst and the bridge code say), the kernel's default
and the bond modes it applies to.  The XML parser, the formatter, the checks, the live view
and the backends all read the same table, so an option is described once.

``None`` everywhere means "not set: the kernel's default".  This module imports nothing
from the model (the model imports it), so modes are compared by their names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

INT_MAX = 2**31 - 1
# Seconds the bridge keeps as a 32-bit count of centiseconds (clock_t at USER_HZ=100).
SECONDS_MAX = (2**32 - 1) / 100

OptValue = int | str | bool | float
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Spec:
    """One option: ``field`` is the kernel's name and the dataclass field."""

    field: str
    kind: str  # "int", "choice", "bool", "mac", "seconds", "vlans", "pvid"
    default: OptValue | None
    low: float = 0
    high: float = 0
    choices: tuple[str, ...] = ()
    modes: frozenset[str] | None = None  # bond modes it applies to; None: every mode
    why: str = ""  # where the range comes from, for messages
    # "vlans" for VLAN filtering: a backend that writes every other bridge option may not
    # write these (options_common: CARRIES "bridge-vlans").
    group: str = ""

    @property
    def attr(self) -> str:
        """The XML attribute's local name: ``min-links``."""
        return self.field.replace("_", "-")

    def text(self, value: OptValue) -> str:
        """The value as the XML writes it."""
        if self.kind == "bool":
            return "on" if value else "off"
        if self.kind == "seconds":
            text = repr(float(value))
            return text[:-2] if text.endswith(".0") else text
        if self.kind == "pvid" and value == PVID_NONE:
            return "none"
        return str(value)

    def parse(self, text: str) -> OptValue:
        """A value from its XML text; ``ValueError`` with the reason when it is not one."""
        if self.kind == "bool":
            if text in ("on", "off"):
                return text == "on"
            raise ValueError("expected 'on' or 'off'")
        if self.kind == "choice":
            if text in self.choices:
                return text
            raise ValueError(f"expected one of: {', '.join(self.choices)}")
        if self.kind == "mac":
            if _MAC.fullmatch(text) is None:
                raise ValueError("not a MAC address (aa:bb:cc:dd:ee:ff)")
            return text.lower()
        if self.kind == "vlans":
            return vlan_text(parse_vlans(text))
        if self.kind == "pvid":
            if text.strip() == "none":
                return PVID_NONE
            vid = _DIGITS.fullmatch(text)
            if vid is None or len(vid.group(1)) > 4 or not 1 <= int(vid.group(1)) <= VID_MAX:
                raise ValueError(f"expected a VLAN id 1-{VID_MAX} or 'none'")
            return int(vid.group(1))
        if self.kind == "seconds":
            if _SECONDS.fullmatch(text) is None:
                raise ValueError("not a number of seconds")
            whole = text.strip().split(".", 1)[0].lstrip("0")
            if len(whole) > len(str(int(self.high))) or not self.low <= float(text) <= self.high:
                raise ValueError(f"outside {self.range_text()}")
            return float(text)
        digits = _DIGITS.fullmatch(text)
        if digits is None:
            raise ValueError("not a non-negative integer")
        number = digits.group(1)
        if len(number) > len(str(int(self.high))) or not self.low <= int(number) <= self.high:
            raise ValueError(f"outside {self.range_text()}")
        return int(number)

    def range_text(self) -> str:
        unit = " s" if self.kind == "seconds" else ""
        low = self.text(self.low) if self.kind == "seconds" else str(int(self.low))
        high = self.text(self.high) if self.kind == "seconds" else str(int(self.high))
        note = f" ({self.why})" if self.why else ""
        return f"{low}-{high}{unit}{note}"

    def problem(self, value: OptValue) -> str | None:
        """Why a value built outside the parser is not one, or None."""
        try:
            self.parse(self.text(value))
        except ValueError as exc:
            return str(exc)
        if self.kind == "seconds" and abs(float(value) * 100 - round(float(value) * 100)) > 1e-6:
            return "finer than the kernel's 0.01 s"
        return None


_MAC = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
_VID = re.compile(r"0*([0-9]{1,4})")

# ---------------------------------------------------------------------------------------
# VLAN filtering: a set of VLAN ids is written as ids and inclusive ranges in ascending
# order, "10 20 100-199" (ifupdown2's bridge-vids, networkd's VLAN=, NM's vlans).  A
# port's pvid is its native VLAN (frames in untagged belong to it, and leave untagged);
# PVID_NONE ("none") is a port without one, which drops untagged frames.
PVID_NONE = 0
VID_MAX = 4094

VlanRanges = tuple[tuple[int, int], ...]


def parse_vlans(text: str) -> VlanRanges:
    """Inclusive (low, high) ranges of "10 20 100-199" (commas also separate), sorted,
    overlapping and adjacent ones merged (so one set of ids has one text, as the kernel's
    compressed ranges say it); ``ValueError`` naming the item that is not a VLAN id."""
    ranges: list[tuple[int, int]] = []
    for item in text.replace(",", " ").split():
        low_text, dash, high_text = item.partition("-")
        bounds = []
        for part in (low_text, high_text) if dash else (low_text,):
            match = _VID.fullmatch(part)
            if match is None or not 1 <= int(match.group(1)) <= VID_MAX:
                raise ValueError(f"'{item[:20]}' is not a VLAN id 1-{VID_MAX} or a range of them")
            bounds.append(int(match.group(1)))
        low, high = bounds[0], bounds[-1]
        if low > high:
            raise ValueError(f"range '{item}' runs backwards (write {high}-{low})")
        ranges.append((low, high))
    if not ranges:
        raise ValueError("no VLAN ids")
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:  # "10 11" is "10-11": one text a set
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return tuple(merged)


def vlan_text(ranges: VlanRanges) -> str:
    """The canonical text of VLAN ranges: "10 20 100-199"."""
    return " ".join(str(low) if low == high else f"{low}-{high}" for low, high in ranges)


def vlan_ids(text: str | None) -> frozenset[int]:
    """Every VLAN id of a canonical (or any valid) VLAN text; empty for None."""
    if not text:
        return frozenset()
    return frozenset(v for low, high in parse_vlans(text) for v in range(low, high + 1))


_DIGITS = re.compile(r"\s*0*([0-9]+)\s*")
_SECONDS = re.compile(r"\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*")

_LACP = frozenset({"802.3ad"})
_AB = frozenset({"active-backup"})
_TLB = frozenset({"balance-tlb", "balance-alb"})
PRIMARY_MODES = frozenset({"active-backup", "balance-tlb", "balance-alb"})
_IGMP = frozenset({"balance-rr", "active-backup", "balance-tlb", "balance-alb"})
_DOC = "bonding.rst"

BOND_SPECS: tuple[Spec, ...] = (
    Spec("min_links", "int", 0, 0, INT_MAX, modes=_LACP, why=_DOC),
    Spec("ad_select", "choice", "stable", choices=("stable", "bandwidth", "count"), modes=_LACP),
    Spec("ad_actor_sys_prio", "int", 65535, 1, 65535, modes=_LACP, why=_DOC),
    Spec("ad_user_port_key", "int", 0, 0, 1023, modes=_LACP, why=_DOC),
    Spec("ad_actor_system", "mac", None, modes=_LACP),
    Spec("all_slaves_active", "bool", False),
    Spec("fail_over_mac", "choice", "none", choices=("none", "active", "follow"), modes=_AB),
    Spec(
        "primary_reselect",
        "choice",
        "always",
        choices=("always", "better", "failure"),
        modes=PRIMARY_MODES,
    ),
    Spec("num_grat_arp", "int", 1, 0, 255, modes=_AB, why=_DOC),
    Spec("num_unsol_na", "int", 1, 0, 255, modes=_AB, why=_DOC),
    Spec("arp_all_targets", "choice", "any", choices=("any", "all"), modes=_AB),
    Spec("lp_interval", "int", 1, 1, INT_MAX, modes=_TLB, why="seconds; " + _DOC),
    Spec("packets_per_slave", "int", 1, 0, 65535, modes=frozenset({"balance-rr"}), why=_DOC),
    Spec("resend_igmp", "int", 1, 0, 255, modes=_IGMP, why=_DOC),
    Spec("tlb_dynamic_lb", "bool", True, modes=_TLB),
    Spec("peer_notif_delay", "int", 0, 0, 300000, why="milliseconds; " + _DOC),
)

_BR = "the bridge's limit"
BRIDGE_SPECS: tuple[Spec, ...] = (
    Spec("priority", "int", 32768, 0, 65535, why="16-bit STP bridge priority"),
    Spec("hello_time", "seconds", 2.0, 1.0, 10.0, why=_BR),
    Spec("max_age", "seconds", 20.0, 6.0, 40.0, why=_BR),
    Spec("ageing_time", "seconds", 300.0, 0.0, SECONDS_MAX, why="a 32-bit count of centiseconds"),
    Spec("multicast_snooping", "bool", True),
    Spec("vlan_filtering", "bool", False, group="vlans"),
    Spec("vlans", "vlans", None, group="vlans"),  # the bridge device's own VLANs
)

PORT_SPECS: tuple[Spec, ...] = (
    Spec("path_cost", "int", None, 1, 65535, why="STP port path cost"),
    Spec("port_priority", "int", 32, 0, 63, why="6-bit STP port priority"),
    Spec("vlans", "vlans", None, group="vlans"),  # the VLANs the port carries
    Spec("pvid", "pvid", 1, group="vlans"),  # its native VLAN
)


class _Options:
    """What the three option kinds share: the values set, in table order."""

    SPECS: tuple[Spec, ...] = ()

    def items(self) -> Iterator[tuple[Spec, OptValue]]:
        """(spec, value) of every option that is set."""
        for spec in self.SPECS:
            value = getattr(self, spec.field)
            if value is not None:
                yield spec, value

    def __bool__(self) -> bool:
        return any(True for _ in self.items())



@dataclass(frozen=True)
class BondOptions(_Options):
    SPECS = BOND_SPECS

    min_links: int | None = None
    ad_select: str | None = None
    ad_actor_sys_prio: int | None = None
    ad_user_port_key: int | None = None
    ad_actor_system: str | None = None
    all_slaves_active: bool | None = None
    fail_over_mac: str | None = None
    primary_reselect: str | None = None
    num_grat_arp: int | None = None
    num_unsol_na: int | None = None
    arp_all_targets: str | None = None
    lp_interval: int | None = None
    packets_per_slave: int | None = None
    resend_igmp: int | None = None
    tlb_dynamic_lb: bool | None = None
    peer_notif_delay: int | None = None


@dataclass(frozen=True)
class BridgeOptions(_Options):
    SPECS = BRIDGE_SPECS

    priority: int | None = None
    hello_time: float | None = None
    max_age: float | None = None
    ageing_time: float | None = None
    multicast_snooping: bool | None = None
    vlan_filtering: bool | None = None
    vlans: str | None = None


@dataclass(frozen=True)
class PortOptions(_Options):
    """A bridge port's STP settings (on the port's ``<interface>`` inside ``<bridge>``)."""

    SPECS = PORT_SPECS

    path_cost: int | None = None
    port_priority: int | None = None
    vlans: str | None = None
    pvid: int | None = None


AnyOptions = BondOptions | BridgeOptions | PortOptions


_T = TypeVar("_T", BondOptions, BridgeOptions, PortOptions)


def without_defaults(options: _T) -> _T:
    """The options with every value equal to the kernel's default unset (the live view
    shows an option only where it differs, as it does xmit-hash-policy)."""
    kept: dict[str, Any] = {
        spec.field: value for spec, value in options.items() if value != spec.default
    }
    return type(options)(**kept)


def spec(kind: type[_Options], name: str) -> Spec:
    """The spec of one option by its kernel name (``min_links``) or XML name."""
    wanted = name.replace("-", "_")
    return next(s for s in kind.SPECS if s.field == wanted)


def bond_problems(
    options: BondOptions, mode: str | None, primary: str | None, miimon: int | None
) -> Iterator[tuple[str, Severity]]:
    """(message, severity) for a bond's options in its mode.  ``mode`` None is the
    kernel's default, balance-rr; ``primary`` the bond's primary slave, if any; ``miimon``
    its MII monitor interval (None or 0: off)."""
    effective = str(mode) if mode is not None else "balance-rr"
    for spec_, value in options.items():
        why = spec_.problem(value)
        if why is not None:
            yield f"bond option {spec_.attr}={spec_.text(value)}: {why}", "error"
            continue
        if spec_.modes is not None and effective not in spec_.modes:
            modes = ", ".join(sorted(spec_.modes))
            plural = "mode" if len(spec_.modes) == 1 else "modes"
            yield (
                f"bond option {spec_.attr} applies only to {plural} {modes}, "
                f"not {effective}{'' if mode is not None else ' (the default)'}"
            ), "error"
    if options.primary_reselect is not None and primary is None:
        yield "bond option primary-reselect needs a primary slave", "error"
    grat, unsol = options.num_grat_arp, options.num_unsol_na
    if grat is not None and unsol is not None and grat != unsol:
        yield (
            f"bond options num-grat-arp={grat} and num-unsol-na={unsol} differ; the kernel "
            "keeps one count for both"
        ), "error"
    if options.ad_actor_system is not None:
        first = int(options.ad_actor_system[:2], 16)
        if first & 1 or options.ad_actor_system == "00:00:00:00:00:00":
            yield (
                f"bond option ad-actor-system={options.ad_actor_system} must be a unicast, "
                "non-zero MAC address"
            ), "error"
    delay = options.peer_notif_delay
    if delay:
        if not miimon:
            yield "bond option peer-notif-delay needs <miimon> (the kernel refuses it without)", (
                "error"
            )
        elif delay % miimon:
            yield (
                f"bond option peer-notif-delay={delay} is not a multiple of miimon freq "
                f"{miimon}; the kernel rounds it down to {delay // miimon * miimon}"
            ), "warning"


def bridge_problems(
    options: BridgeOptions, stp: bool | None, delay: float | None
) -> Iterator[tuple[str, Severity]]:
    """(message, severity) for a bridge's options.  The kernel refuses hello time and max
    age outside their ranges whatever STP says; 802.1D's timer rule
    (2 × (forward delay − 1) ≥ max age ≥ 2 × (hello time + 1)) matters only with STP on."""
    for spec_, value in options.items():
        why = spec_.problem(value)
        if why is not None:
            text = f"bridge option {spec_.attr}={spec_.text(value)}: {why}"
            yield text, "warning" if why.startswith("finer") else "error"
    if options.vlans is not None and not options.vlan_filtering:
        yield (
            f"bridge option vlans='{options.vlans}' needs ifsmith:vlan-filtering='on' (without "
            "it the bridge forwards every VLAN and keeps none of its own)"
        ), "error"
    if not stp:
        return
    hello = options.hello_time if options.hello_time is not None else 2.0
    max_age = options.max_age if options.max_age is not None else 20.0
    forward = delay if delay is not None else 15.0
    if not 2 * (forward - 1) >= max_age >= 2 * (hello + 1):
        yield (
            f"with STP on, 802.1D wants 2 × (forward delay − 1) ≥ max-age ≥ 2 × (hello-time + 1); "
            f"here forward delay {forward:g} s, max-age {max_age:g} s, hello-time {hello:g} s"
        ), "warning"


def port_problems(
    options: PortOptions, filtering: bool | None = None
) -> Iterator[tuple[str, Severity]]:
    """(message, severity) for a bridge port's options; ``filtering`` is whether its
    bridge filters VLANs (ifsmith:vlan-filtering)."""
    for spec_, value in options.items():
        why = spec_.problem(value)
        if why is not None:
            yield f"bridge port option {spec_.attr}={spec_.text(value)}: {why}", "error"
    vlan_set = [spec_.attr for spec_, _ in options.items() if spec_.group == "vlans"]
    if vlan_set and not filtering:
        yield (
            f"bridge port option {' and '.join(vlan_set)} needs the bridge's "
            "ifsmith:vlan-filtering='on' (without it the bridge forwards every VLAN)"
        ), "error"
    pvid = options.pvid
    if pvid is not None and pvid != PVID_NONE and options.vlans is not None:
        if pvid not in vlan_ids(options.vlans):
            yield (
                f"bridge port option pvid={pvid} is not among the port's VLANs "
                f"(vlans='{options.vlans}'): add it there, or write pvid='none'"
            ), "error"


def drift(defined: AnyOptions, running: AnyOptions | None) -> list[str]:
    """``min-links 2 defined, 1 running`` for each option the definition sets and the
    kernel runs otherwise (an option the kernel does not report is not judged)."""
    out = []
    for spec_, value in defined.items():
        current = getattr(running, spec_.field) if running is not None else None
        if current is None:
            continue
        if spec_.kind == "seconds":
            if abs(float(value) - float(current)) < 0.005:
                continue
        elif value == current:
            continue
        unit = " s" if spec_.kind == "seconds" else ""
        out.append(
            f"{spec_.attr} {spec_.text(value)}{unit} defined, {spec_.text(current)}{unit} running"
        )
    return out
