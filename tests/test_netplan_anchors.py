"""netplan's own generator cases: our reader, then our networkd and keyfile renderings, key by key.

For every case in ``anchors/netplan/extracted/generator`` whose YAML our model can express,
the netplan reader gives interfaces; our networkd backend renders them and the result must
equal netplan's expected ``/run/systemd/network`` files setting by setting, and our
nm-keyfile backend's must equal netplan's expected keyfiles.  Settings only netplan writes
are normalised away (listed below with why); inputs netplan rejects, we reject.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from ifsmith.backends import netplan, networkd, nm_keyfile
from ifsmith.backends.keyfile_ini import KeyFile
from ifsmith.backends.nm_keyfile_routes import parse_route
from ifsmith.backends.systemd_ini import UnitFile
from ifsmith.core.files import MemoryFiles
from ifsmith.core.model import Family

ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors"
GENERATOR = ANCHORS / "netplan/extracted/generator"
INDEX = ANCHORS / "netplan/extracted/INDEX.tsv"

# netplan-only settings: what netplan adds on its own, not what the YAML said.
NETWORKD_NETPLAN_ONLY = {
    ("Network", "ConfigureWithoutCarrier"),  # netplan's choice for virtual devices
    ("DHCP", "RouteMetric"),  # netplan's default metric 100
    ("DHCP", "UseMTU"),  # netplan's default
}
# Deliberate differences (ours → theirs), normalised below:
# - IPv6AcceptRA: netplan leaves it out (the kernel default: accept RAs); we write yes.
# - RequiredForOnline=no for `optional: true`: netplan handles optional in its own
#   wait-online logic; we write networkd's setting.
# - [Bond] Mode=balance-rr: we always write the mode (the kernel default) explicitly.
# - Default routes: netplan writes [Route] Destination=0.0.0.0/0 Gateway=…; we write
#   [Network] Gateway=… (the same route).
# - .link files (udev renames, WakeOnLan=off) are netplan's; we do not write them.
# - A renamed device (match + set-name): we match it by its new name; netplan also by its
#   permanent MAC or driver.
# - peerdns: netplan writes one [DHCP] UseDNS= (systemd applies it to DHCPv4 and DHCPv6);
#   we write [DHCPv4]/[DHCPv6] UseDNS=, the current sections, with the same value.


def _index() -> dict[str, str]:
    kinds = {}
    for line in INDEX.read_text().splitlines()[1:]:
        parts = line.split("\t")
        kinds[f"{parts[0]}/{parts[1]}"] = parts[2]
    return kinds


def cases(kind: str) -> list[Path]:
    if not INDEX.exists():
        return []
    return [GENERATOR / c for c, k in _index().items() if k == kind and (GENERATOR / c).is_dir()]


def _bool_or(value: str) -> str:
    low = value.lower()
    if low in ("yes", "true", "on", "1"):
        return "yes"
    if low in ("no", "false", "off", "0"):
        return "no"
    return value


def _norm_value(section: str, key: str, value: str) -> str:
    if key.endswith("Sec") and section in ("Bond", "Bridge"):
        return str(round(networkd.parse_timespan(value) * 1000))
    if key in ("Address", "Gateway"):
        try:
            return (
                str(ipaddress.ip_interface(value))
                if "/" in value
                else str(ipaddress.ip_address(value))
            )
        except ValueError:
            return value
    if key == "MACAddress":
        return value.lower()
    if key in ("DNS", "Destination"):  # 1234::FFFF, a destination with host bits
        try:
            if key == "DNS":
                return str(ipaddress.ip_address(value))
            return str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            return value
    return _bool_or(value)


Settings = dict[tuple[str, str], list[str]]


def unit_settings(data: bytes) -> Settings:
    """A networkd file as (section, key) → sorted values, default routes as Gateway=."""
    uf = UnitFile.parse(data)
    out: Settings = {}
    for section in uf.sections:
        keys = dict((k, section.values(k)[-1]) for k in section.keys())
        if section.name == "Route" and set(keys) == {"Destination", "Gateway"}:
            if keys["Destination"] in ("0.0.0.0/0", "::/0"):
                out.setdefault(("Network", "Gateway"), []).append(
                    _norm_value("Network", "Gateway", keys["Gateway"])
                )
                continue
        for key in dict.fromkeys(section.keys()):
            values = section.values(key)
            if (section.name, key) in (("Network", "DNS"), ("Network", "Domains")):
                values = [w for v in values for w in v.split()]  # one line or one per value
            for value in values:
                if (section.name, key) in NETWORKD_NETPLAN_ONLY:
                    continue
                out.setdefault((section.name, key), []).append(
                    _norm_value(section.name, key, value)
                )
    return {k: sorted(v) for k, v in out.items()}


def by_device(files: dict[str, bytes]) -> dict[str, Settings]:
    """``<device>.network``/``<device>.netdev`` → settings, named by Match/NetDev Name."""
    out: dict[str, Settings] = {}
    for fname, data in files.items():
        uf = UnitFile.parse(data)
        suffix = fname.rsplit(".", 1)[-1]
        if suffix == "network":
            name = uf.get("Match", "Name")
        elif suffix == "netdev":
            name = uf.get("NetDev", "Name")
        else:
            continue
        out[f"{name}.{suffix}"] = unit_settings(data)
    return out


def normalise_ours(ours: dict[str, Settings], theirs: dict[str, Settings]) -> None:
    """Apply the deliberate differences listed above to our side."""
    for unit, settings in ours.items():
        other = theirs.get(unit, {})
        if other.get(("Network", "LinkLocalAddressing")) == ["no"] and (
            ("Network", "Bond") in other or ("Network", "Bridge") in other
        ):
            other.pop(("Network", "IPv6AcceptRA"), None)  # a port: no IP settings in ours
        for key in (("Network", "IPv6AcceptRA"), ("Link", "RequiredForOnline")):
            if key not in other and settings.get(key) in (["yes"], ["no"]):
                if key[1] == "IPv6AcceptRA" and settings[key] != ["yes"]:
                    continue
                del settings[key]
        if ("Bond", "Mode") not in other and settings.get(("Bond", "Mode")) == ["balance-rr"]:
            del settings[("Bond", "Mode")]
        # libvirt's rule: an active-backup bond's first slave is its primary (netplan,
        # given no primary, names none).  Seen since bond options brought such cases
        # (gratuitous-arp) into the model's scope.
        key = ("Network", "PrimarySlave")
        if key not in other and settings.get(key) == ["yes"]:
            del settings[key]
        dns = {
            k: settings[k] for k in (("DHCPv4", "UseDNS"), ("DHCPv6", "UseDNS")) if k in settings
        }
        if (
            dns
            and other.get(("DHCP", "UseDNS")) in dns.values()
            and len(set(map(tuple, dns.values()))) == 1
        ):
            for key in dns:
                del settings[key]
            settings[("DHCP", "UseDNS")] = other[("DHCP", "UseDNS")]


# A problem that leaves the rest of a case comparable: a member matched by driver/MAC.
PARTIAL = re.compile(r"^\S+: matches devices by \{'(driver|macaddress)'")


def read_case(case: Path) -> tuple[list[networkd.Interface], list[str]]:
    view = MemoryFiles({"/etc/netplan/input.yaml": (case / "input.yaml").read_bytes()})
    return netplan.read_report(view)


def renamed(case: Path) -> set[str]:
    """Device names given by set-name to a matched definition."""
    view = MemoryFiles({"/etc/netplan/input.yaml": (case / "input.yaml").read_bytes()})
    config = netplan.load(view)
    return {str(d.data["set-name"]) for d in config.definitions.values() if "set-name" in d.data}


def expected_files(case: Path, sub: str) -> dict[str, bytes]:
    d = case / "expected/run" / sub
    if not d.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if not p.name.startswith(".")}


def _networkd_cases() -> Iterator[Path]:
    for case in cases("valid"):
        units = [n for n in expected_files(case, "systemd/network") if not n.endswith(".link")]
        if units and (case / "input.yaml").exists():
            yield case


def _skip_without_anchors() -> None:
    if not GENERATOR.is_dir():
        pytest.skip(f"anchors absent: {GENERATOR}")


def compare_networkd(case: Path) -> str | None:
    """None when equal; else the differences. Raises for inputs out of scope (n/a)."""
    interfaces, problems = read_case(case)
    if not all(PARTIAL.search(p) for p in problems):
        raise LookupError("; ".join(problems))
    theirs = by_device(expected_files(case, "systemd/network"))
    # A renamed device (match + set-name) is matched by its new name in ours; netplan also
    # matches its permanent MAC or driver.  Compared without those.
    for unit in (f"{name}.network" for name in renamed(case)):
        for key in [k for k in theirs.get(unit, {}) if k[0] == "Match" and k[1] != "Name"]:
            del theirs[unit][key]
    # Members matched by driver or MAC are not modelled: the rest of the case still is.
    theirs = {
        unit: s
        for unit, s in theirs.items()
        if not any(sec == "Match" and key != "Name" for sec, key in s)
    }
    rendered = networkd.render(interfaces, MemoryFiles()).files
    ours = by_device({p.name: b for p, b in rendered.items()})
    normalise_ours(ours, theirs)
    if ours == theirs:
        return None
    lines = []
    for unit in sorted(set(ours) | set(theirs)):
        a, b = ours.get(unit, {}), theirs.get(unit, {})
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                lines.append(f"{unit} [{key[0]}] {key[1]}: ours {a.get(key)} netplan {b.get(key)}")
    return "\n".join(lines)


def test_networkd_rendering_equals_netplans_expected_files_key_by_key() -> None:
    _skip_without_anchors()
    compared, out_of_scope, failures = 0, 0, []
    for case in _networkd_cases():
        try:
            diff = compare_networkd(case)
        except LookupError:
            out_of_scope += 1
            continue
        compared += 1
        if diff:
            failures.append(f"{case.parent.name}/{case.name}:\n{diff}")
    print(f"netplan→networkd: {compared} cases compared, {out_of_scope} out of the model's scope")
    assert not failures, "\n".join(failures)
    assert compared >= 35


@pytest.mark.parametrize("case", cases("invalid"), ids=lambda c: f"{c.parent.name}/{c.name}")
def test_inputs_netplan_rejects_we_reject(case: Path) -> None:
    try:
        _interfaces, problems = read_case(case)
    except netplan.NetplanError:
        return
    if problems:
        pytest.skip(f"n/a: uses constructs outside the model: {problems[0]}")
    pytest.fail(f"{case.name}: netplan rejects this input, we accepted it")


def test_every_valid_input_is_accepted() -> None:
    _skip_without_anchors()
    rejected = []
    for case in cases("valid"):
        if not (case / "input.yaml").exists():
            continue
        try:
            read_case(case)
        except netplan.NetplanError as exc:
            rejected.append(f"{case.name}: {exc}")
    assert not rejected, "\n".join(rejected)


# ---------------------------------------------------------------------------------------
# NetworkManager keyfiles.

NM_NETPLAN_ONLY = {
    ("connection", "id"),  # netplan names profiles netplan-<id>
    ("connection", "uuid"),
    ("ethernet", "wake-on-lan"),
    ("ipv6", "ip6-privacy"),
    ("ipv6", "addr-gen-mode"),
}
NM_GROUPS = ("connection", "ethernet", "bond", "bridge", "vlan", "ipv4", "ipv6")
# Deliberate differences (ours → theirs):
# - ipv4 method: a device without IPv4 is "disabled" for us; netplan writes "link-local"
#   (and for bond/bridge ports, which carry no IP settings in ours, the group is absent).
# - ipv6 method: netplan writes "ignore" (NetworkManager leaves IPv6 to the kernel, which
#   accepts RAs); the same intent reads as SLAAC in our model, rendered "auto".
#   With static IPv6 addresses netplan writes "manual" where ours says "auto".
# - An ethernet's MAC: ours matches the device by it, netplan sets it (cloned).
# - [bridge] stp: netplan leaves it out (NetworkManager's default: on) when the YAML does;
#   we write it always.  [vlan] flags: we write NetworkManager's default (1) explicitly.
# - [bond] mode: we write balance-rr (the default) explicitly.
# - dns-search: netplan writes it in [ipv4] and [ipv6]; we write it once, in the first
#   enabled group (NetworkManager uses both groups' domains).
NM_DEFAULTS_OURS = {
    ("bridge", "stp"),
    ("vlan", "flags"),
    ("ipv4", "method"),
    ("ipv6", "method"),
    ("bond", "mode"),
}


def keyfile_settings(data: bytes) -> dict[tuple[str, str], str]:
    """Keys by (group, key); ``addressN=a/p,gw`` and a default ``routeN`` become ``gateway``."""
    kf = KeyFile.parse(data)
    out = {}
    for group in NM_GROUPS:
        for key in kf.keys(group):
            if (group, key) in NM_NETPLAN_ONLY:
                continue
            value = kf.get(group, key) or ""
            if key == "dns":
                value = ";".join(str(ipaddress.ip_address(v)) for v in value.split(";") if v)
            if key == "dns-search":  # ours in the first enabled group, netplan's in both
                out[("ip", key)] = value
                continue
            if re.match(r"^(address|route)\d+$", key) or key == "gateway":
                parts = value.split(",")
                if key.startswith("route") and parts[0] in ("0.0.0.0/0", "::/0"):
                    out[(group, "gateway")] = str(ipaddress.ip_address(parts[1]))
                    continue
                if key.startswith("route"):
                    family = Family.IPV4 if group == "ipv4" else Family.IPV6
                    route, _why = parse_route(value, kf.get(group, f"{key}_options"), family)
                    out[(group, key)] = str(route)
                    continue
                if key.startswith("address") and len(parts) == 2:
                    out[(group, "gateway")] = str(ipaddress.ip_address(parts[1]))
                if key == "gateway":
                    value = str(ipaddress.ip_address(value))
                else:
                    value = str(ipaddress.ip_interface(parts[0])) if "/" in parts[0] else value
            if key.endswith("mac-address"):
                # An ethernet's <mac> names the device's own address: nm-keyfile matches
                # it (mac-address), netplan's `macaddress` sets it (cloned-mac-address).
                key, value = "cloned-mac-address", value.lower()
            out[(group, key)] = value
    return out


def compare_keyfiles(case: Path) -> str | None:
    interfaces, problems = read_case(case)
    if problems:
        raise LookupError("; ".join(problems))
    theirs = {}
    for data in expected_files(case, "NetworkManager/system-connections").values():
        settings = keyfile_settings(data)
        theirs[settings.get(("connection", "interface-name"), "")] = settings
    ours = {}
    for data in nm_keyfile.render(interfaces, MemoryFiles()).files.values():
        settings = keyfile_settings(data)
        ours[settings.get(("connection", "interface-name"), "")] = settings
    lines = []
    for name in sorted(set(ours) | set(theirs)):
        a, b = ours.get(name, {}), theirs.get(name, {})
        for key in sorted(set(a) | set(b)):
            if a.get(key) == b.get(key):
                continue
            if key in NM_DEFAULTS_OURS and _nm_default_difference(key, a.get(key), b.get(key)):
                continue
            lines.append(f"{name} [{key[0]}] {key[1]}: ours {a.get(key)} netplan {b.get(key)}")
    return "\n".join(lines) or None


def _nm_default_difference(key: tuple[str, str], ours: str | None, theirs: str | None) -> bool:
    if key == ("ipv4", "method"):
        return (ours, theirs) in ((None, "link-local"), ("disabled", "link-local"))
    if key == ("ipv6", "method"):
        return (ours, theirs) in (
            ("auto", "ignore"),
            (None, "ignore"),
            ("disabled", "ignore"),
            ("auto", "manual"),  # static IPv6 with accept-ra unset: SLAAC in ours
        )
    if key == ("bridge", "stp"):
        return theirs is None
    if key == ("vlan", "flags"):
        return theirs is None and ours == "1"
    if key == ("bond", "mode"):
        return theirs is None and ours == "balance-rr"
    return False


def test_keyfile_rendering_equals_netplans_expected_keyfiles_key_by_key() -> None:
    _skip_without_anchors()
    compared, out_of_scope, failures = 0, 0, []
    for case in cases("valid"):
        if not expected_files(case, "NetworkManager/system-connections"):
            continue
        try:
            diff = compare_keyfiles(case)
        except LookupError:
            out_of_scope += 1
            continue
        compared += 1
        if diff:
            failures.append(f"{case.parent.name}/{case.name}:\n{diff}")
    print(f"netplan→keyfile: {compared} cases compared, {out_of_scope} out of the model's scope")
    assert not failures, "\n".join(failures)
    assert compared >= 10


def test_names_are_kernel_names_not_netplan_ids() -> None:
    """`match: {name: enp2s1}` under ID switchport is the device enp2s1, also as a member."""
    yaml_text = b"""network:
  version: 2
  ethernets:
    switchport: {match: {name: enp2s1}}
  bonds:
    bn0: {interfaces: [switchport], parameters: {mode: active-backup, primary: switchport}}
"""
    got = netplan.read_files(MemoryFiles({PurePosixPath("/etc/netplan/a.yaml"): yaml_text}))
    assert got[0].bond is not None and [s.name for s in got[0].bond.slaves] == ["enp2s1"]
    assert re.match(r"^enp2s1$", got[0].bond.primary or "")
