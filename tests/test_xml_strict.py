"""XML ifsmith does not understand is refused by every command that reads it, and numbers are
checked against their real range first, as an admin meets it on the command line."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.netns import can_make_netns, make_netns
from tests.test_cli_xml import ifsmith

NS = "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1'"


@pytest.fixture
def netns() -> Iterator[str]:
    """The host itself, as a namespace of ours (no eth0 in it)."""
    reason = can_make_netns()
    if reason:
        pytest.skip(reason)
    with make_netns("xmls-") as name:
        yield name


@pytest.fixture
def samples(anchors: Path) -> Path:
    """libvirt's own interface samples (tests/interfaceschemadata)."""
    return anchors / "libvirt/tests/interfaceschemadata"


def bridge(bridge_attrs: str = "", inner: str = "", top: str = "") -> str:
    return (
        f"<interface type='bridge' name='br0' {NS}>\n"
        f"  <start mode='onboot'/>{top}\n"
        f"  <bridge stp='off' {bridge_attrs}>\n"
        f"    <interface type='ethernet' name='eth0'/>{inner}\n"
        "  </bridge>\n"
        "</interface>\n"
    )


def bond(bond_attrs: str = "", miimon: str = "freq='100'", inner: str = "") -> str:
    return (
        f"<interface type='bond' name='bond0' {NS}>\n"
        "  <start mode='onboot'/>\n"
        f"  <bond mode='active-backup' {bond_attrs}>\n"
        f"    <miimon {miimon}/>{inner}\n"
        "    <interface type='ethernet' name='eth0'/>\n"
        "    <interface type='ethernet' name='eth1'/>\n"
        "  </bond>\n"
        "</interface>\n"
    )


# (document, what the refusal must say: the thing named, and its line)
UNKNOWN = {
    "ifsmith attribute on bridge": (
        bridge("ifsmith:mcast-router='2'"),
        ":3: <bridge>: unknown attribute ifsmith:mcast-router='2'",
    ),
    "ifsmith attribute on bond": (
        bond("ifsmith:missed-max='2'"),
        ":3: <bond>: unknown attribute ifsmith:missed-max='2'",
    ),
    "ifsmith element in bond": (
        bond(inner="\n    <ifsmith:ad-select value='bandwidth'/>"),
        ":5: <ifsmith:ad-select>: unknown element inside <bond>",
    ),
    "plain attribute libvirt does not know": (
        bridge("vlan_filtering='1'"),
        ":3: <bridge>: unknown attribute vlan_filtering='1'",
    ),
    "plain element libvirt does not know": (
        bridge(top="\n  <dns server='192.0.2.53'/>"),
        ":3: <dns>: unknown element inside <interface>",
    ),
    "attribute of another namespace": (
        bridge("xmlns:x='urn:x' x:hello='1'"),
        ":3: <bridge>: unknown attribute x:hello='1'",
    ),
    "child of the VLAN parent reference": (
        "<interface type='vlan' name='eth0.5'>\n  <vlan tag='5'>\n"
        "    <interface name='eth0'><mtu size='9000'/></interface>\n  </vlan>\n</interface>\n",
        ":3: <mtu>: unknown element inside <interface>",
    ),
    "text where the format has none": (
        "<interface type='ethernet' name='eth0'>\n  <mtu size='1500'>9000</mtu>\n</interface>\n",
        ":2: <mtu>: text '9000' is not part of the format",
    ),
    "attribute of an ifsmith route": (
        f"<interface type='ethernet' name='eth0' {NS}>\n  <protocol family='ipv4'>\n"
        "    <ip address='192.0.2.5' prefix='24'/>\n"
        "    <ifsmith:route address='10.0.0.0' prefix='8' weight='3'/>\n"
        "  </protocol>\n</interface>\n",
        ":4: <ifsmith:route>: unknown attribute weight='3'",
    ),
    "attribute of ifsmith dns": (
        f"<interface type='ethernet' name='eth0' {NS}>\n"
        "  <ifsmith:dns servers='192.0.2.53' options='rotate'/>\n</interface>\n",
        ":2: <ifsmith:dns>: unknown attribute options='rotate'",
    ),
    "attribute on the <interfaces> wrapper": (
        "<interfaces version='2'>\n<interface type='ethernet' name='eth0'/>\n</interfaces>\n",
        ":1: <interfaces>: unknown attribute version='2'",
    ),
}


@pytest.mark.parametrize("case", list(UNKNOWN), ids=str)
@pytest.mark.parametrize("command", ["validate", "format", "format --libvirt", "render", "define"])
def test_unknown_xml_is_refused_by_every_command(tmp_path: Path, case: str, command: str) -> None:
    doc, expected = UNKNOWN[case]
    xml = tmp_path / "in.xml"
    xml.write_text(doc)
    root = tmp_path / "root"
    root.mkdir()
    extra = ["--backend", "ifupdown"] if command in ("render", "define") else []
    result = ifsmith("--root", str(root), *command.split(), str(xml), *extra)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"{xml}{expected}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert list(root.iterdir()) == []  # nothing written


def test_apply_refuses_unknown_xml_before_anything_changes(tmp_path: Path, netns: str) -> None:
    doc, expected = UNKNOWN["ifsmith attribute on bond"]
    xml = tmp_path / "in.xml"
    xml.write_text(doc)
    root = tmp_path / "root"
    root.mkdir()
    result = ifsmith("--root", str(root), "--netns", netns, "apply", str(xml),
                     "--backend", "ifupdown")  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"{xml}{expected}" in result.stderr
    assert list(root.iterdir()) == []
    links = subprocess.run(["ip", "-n", netns, "-j", "link"], capture_output=True, text=True)
    assert "bond0" not in links.stdout


HUGE = "9" * 5000
# (document, the refusal: element, attribute, range)
NUMBERS = {
    "5,000-digit MTU": (
        f"<interface type='ethernet' name='eth0'>\n  <mtu size='{HUGE}'/>\n</interface>\n",
        ":2: <mtu>: size='999999999999999999999999999999999999999…' is outside 68-65536",
    ),
    "MTU below IPv4's minimum": (
        "<interface type='ethernet' name='eth0'>\n  <mtu size='67'/>\n</interface>\n",
        ":2: <mtu>: size='67' is outside 68-65536",
    ),
    "MTU above 65536": (
        "<interface type='ethernet' name='eth0'>\n  <mtu size='65537'/>\n</interface>\n",
        ":2: <mtu>: size='65537' is outside 68-65536",
    ),
    "miimon over 64 bits": (
        bond(miimon="freq='99999999999999999999'"),
        ":4: <miimon>: freq='99999999999999999999' is outside 0-2147483647",
    ),
    "miimon just over the driver's INT_MAX": (
        bond(miimon="freq='2147483648'"),
        ":4: <miimon>: freq='2147483648' is outside 0-2147483647",
    ),
    "updelay over 32 bits": (
        bond(miimon="freq='100' updelay='4294967296'"),
        ":4: <miimon>: updelay='4294967296' is outside 0-2147483647",
    ),
    "downdelay negative": (
        bond(miimon="freq='100' downdelay='-100'"),
        ":4: <miimon>: downdelay='-100' is not a non-negative integer",
    ),
    "arp interval over 32 bits": (
        "<interface type='bond' name='bond0'>\n  <bond mode='active-backup'>\n"
        "    <arpmon interval='4294967296' target='192.0.2.1'/>\n"
        "    <interface type='ethernet' name='eth0'/>\n  </bond>\n</interface>\n",
        ":3: <arpmon>: interval='4294967296' is outside 0-2147483647",
    ),
    "VLAN tag 0": (
        "<interface type='vlan' name='eth0.0'>\n  <vlan tag='0'>\n"
        "    <interface name='eth0'/>\n  </vlan>\n</interface>\n",
        ":2: <vlan>: tag='0' is outside 1-4094",
    ),
    "VLAN tag 4095": (
        "<interface type='vlan' name='eth0.4095'>\n  <vlan tag='4095'>\n"
        "    <interface name='eth0'/>\n  </vlan>\n</interface>\n",
        ":2: <vlan>: tag='4095' is outside 1-4094",
    ),
    "IPv4 prefix 33": (
        "<interface type='ethernet' name='eth0'>\n  <protocol family='ipv4'>\n"
        "    <ip address='192.0.2.5' prefix='33'/>\n  </protocol>\n</interface>\n",
        ":3: <ip>: prefix='33' is outside 0-32",
    ),
    "IPv6 prefix 129": (
        "<interface type='ethernet' name='eth0'>\n  <protocol family='ipv6'>\n"
        "    <ip address='2001:db8::5' prefix='129'/>\n  </protocol>\n</interface>\n",
        ":3: <ip>: prefix='129' is outside 0-128",
    ),
    "forward delay past 32 bits of centiseconds": (
        bridge("delay='42949673'"),
        ":3: <bridge>: delay='42949673' is outside 0-42949672.95",
    ),
    "forward delay not a plain number": (
        bridge("delay='1_5'"),
        ":3: <bridge>: delay='1_5' is not a number of seconds",
    ),
    "route metric over 32 bits": (
        f"<interface type='ethernet' name='eth0' {NS}>\n  <protocol family='ipv6'>\n"
        "    <ip address='2001:db8::5' prefix='64'/>\n"
        "    <ifsmith:route address='2001:db8:1::' prefix='48' metric='4294967296'/>\n"
        "  </protocol>\n</interface>\n",
        ":4: <ifsmith:route>: metric='4294967296' is outside 0-4294967295",
    ),
    "route prefix past the family's": (
        f"<interface type='ethernet' name='eth0' {NS}>\n  <protocol family='ipv4'>\n"
        "    <ip address='192.0.2.5' prefix='24'/>\n"
        "    <ifsmith:route address='10.0.0.0' prefix='64'/>\n"
        "  </protocol>\n</interface>\n",
        ":4: <ifsmith:route>: prefix='64' is outside 0-32",
    ),
    "link speed over 32 bits": (
        "<interface type='ethernet' name='eth0'>\n  <link speed='4294967296'/>\n</interface>\n",
        ":2: <link>: speed='4294967296' is outside 0-4294967295",
    ),
    "a digit that is not ASCII": (
        "<interface type='ethernet' name='eth0'>\n  <mtu size='1500\u00b2'/>\n</interface>\n",
        ":2: <mtu>: size='1500\u00b2' is not a non-negative integer",
    ),
}


@pytest.mark.parametrize("case", list(NUMBERS), ids=str)
@pytest.mark.parametrize("command", ["validate", "format", "render"])
def test_numbers_out_of_range_are_refused_first(tmp_path: Path, case: str, command: str) -> None:
    doc, expected = NUMBERS[case]
    xml = tmp_path / "in.xml"
    xml.write_text(doc)
    extra = ["--backend", "networkd"] if command == "render" else []
    result = ifsmith("--root", str(tmp_path), command, str(xml), *extra)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"{xml}{expected}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    if command == "validate":  # the meaning, not RelaxNG's noise
        assert "RelaxNG" not in result.stderr and ":0:" not in result.stderr
        assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "doc",
    [
        bond(miimon="freq='2147483647' updelay='2147483647' downdelay='0'"),
        "<interface type='vlan' name='eth0.1'>\n  <vlan tag='1'>\n"
        "    <interface name='eth0'/>\n  </vlan>\n</interface>\n",
        "<interface type='vlan' name='eth0.4094'>\n  <vlan tag='4094'>\n"
        "    <interface name='eth0'/>\n  </vlan>\n</interface>\n",
        "<interface type='ethernet' name='eth0'>\n  <mtu size='68'/>\n</interface>\n",
        "<interface type='ethernet' name='eth0'>\n  <mtu size='65536'/>\n</interface>\n",
        bridge("delay='42949672.95'"),
    ],
    ids=["miimon INT_MAX", "tag 1", "tag 4094", "mtu 68", "mtu 65536", "delay max"],
)
def test_the_limits_themselves_are_accepted(tmp_path: Path, doc: str) -> None:
    xml = tmp_path / "in.xml"
    xml.write_text(doc)
    result = ifsmith("format", str(xml))
    assert result.returncode == 0, result.stderr
    again = ifsmith("format", "-", stdin=result.stdout)
    assert again.stdout == result.stdout


def test_validate_judges_every_file_and_says_valid_for_each(tmp_path: Path) -> None:
    good = "<interface type='ethernet' name='{}'>\n  <mtu size='1500'/>\n</interface>\n"
    a, b, c = (tmp_path / n for n in ("a.xml", "b.xml", "c.xml"))
    a.write_text(good.format("eth0"))
    b.write_text(NUMBERS["MTU above 65536"][0])
    c.write_text(good.format("eth2"))
    result = ifsmith("validate", str(a), str(b), str(c))
    assert result.returncode == 1
    assert result.stdout == f"{a}: valid (eth0)\n{c}: valid (eth2)\n"
    assert f"{b}:2: <mtu>" in result.stderr


def test_validate_names_the_element_and_a_real_line_for_schema_complaints(tmp_path: Path) -> None:
    # The parser takes this document; the kernel (check) and the schema refuse the name.
    xml = tmp_path / "all.xml"
    xml.write_text("<interfaces>\n\n<interface type='ethernet' name='all'/>\n</interfaces>\n")
    result = ifsmith("validate", str(xml))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"{xml}: all (line 3): the kernel refuses the interface name 'all' "
        "(a /proc/sys/net/*/conf directory has that name)"
    )
    schema = [line for line in lines if "RelaxNG" in line]
    assert schema and all(line.startswith(f"{xml}:3: <interface>: ") for line in schema)


def written(root: Path) -> str:
    """Every file under a tree, concatenated."""
    return "".join(p.read_text() for p in sorted(root.rglob("*")) if p.is_file())


@pytest.mark.parametrize("sample", ["vlan.xml", "bridge-vlan.xml"])
def test_libvirt_vlan_samples_validate_and_render_for_another_machine(
    tmp_path: Path, samples: Path, netns: str, sample: str
) -> None:
    path = samples / sample
    warning = (
        "VLAN parent eth0 is neither defined here nor present on this host; "
        "it must exist on the target"
    )
    result = ifsmith("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{path}: valid (")
    assert f"warning: eth0.42 (line {7 if sample == 'vlan.xml' else 8}): {warning}" in (
        result.stderr
    )
    out = tmp_path / "other-server"
    # Rendered on a host without eth0 (our namespace) for a server that has one.
    rendered = ifsmith("--netns", netns, "render", str(path), "--backend", "ifupdown",
                       "--out", str(out))  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    assert warning in rendered.stderr
    assert "iface eth0.42" in written(out)
    # define into another machine's tree (--root, no --netns): not an error either (a
    # warning, unless the namespace this runs in happens to have an eth0).
    root = tmp_path / "root"
    root.mkdir()
    defined = ifsmith("--root", str(root), "define", str(path), "--backend", "ifupdown")
    assert defined.returncode == 0, defined.stderr
    assert "iface eth0.42" in written(root)
    assert warning in defined.stderr or Path("/sys/class/net/eth0").exists()


@pytest.mark.parametrize("command", ["define", "apply"])
def test_on_the_host_itself_a_missing_vlan_parent_stays_an_error(
    tmp_path: Path, netns: str, samples: Path, command: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    result = ifsmith("--root", str(root), "--netns", netns, command, str(samples / "vlan.xml"),
                     "--backend", "ifupdown")  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "VLAN parent eth0 is neither defined here nor present on the host" in result.stderr
    assert list(root.iterdir()) == []


def test_format_libvirt_writes_libvirts_own_bytes_for_every_sample(samples: Path) -> None:
    for path in sorted(samples.glob("*.xml")):
        result = ifsmith("format", "--libvirt", str(path))
        assert result.returncode == 0, (path, result.stderr)
        assert result.stdout == path.read_text(), path.name


def test_format_libvirt_says_what_it_leaves_out() -> None:
    doc = bond("ifsmith:lacp-rate='fast' ifsmith:xmit-hash-policy='layer3+4'").replace(
        "active-backup", "802.3ad"
    )
    result = ifsmith("format", "--libvirt", "-", stdin=doc)
    assert result.returncode == 0, result.stderr
    assert "ifsmith" not in result.stdout
    assert "<bond mode='802.3ad'>" in result.stdout  # libvirt's single quotes
    assert result.stderr.splitlines() == [
        "warning: --libvirt leaves out bond0: ifsmith:xmit-hash-policy='layer3+4'",
        "warning: --libvirt leaves out bond0: ifsmith:lacp-rate='fast'",
    ]


def test_format_libvirt_names_routes_dns_and_a_bridge_mac_it_leaves_out() -> None:
    doc = (
        f"<interface type='bridge' name='br0' {NS} ifsmith:mac='52:54:00:aa:bb:cc'>\n"
        "  <protocol family='ipv4'>\n    <ip address='192.0.2.10' prefix='24'/>\n"
        "    <ifsmith:route address='10.20.0.0' prefix='16' gateway='192.0.2.254'/>\n"
        "  </protocol>\n  <ifsmith:dns servers='192.0.2.53' search='example.com'/>\n"
        "  <bridge stp='off'/>\n</interface>\n"
    )
    result = ifsmith("format", "--libvirt", "-", stdin=doc)
    assert result.returncode == 0, result.stderr
    assert "ifsmith" not in result.stdout
    assert result.stderr.splitlines() == [
        "warning: --libvirt leaves out br0: ifsmith:mac='52:54:00:aa:bb:cc'",
        "warning: --libvirt leaves out br0: <ifsmith:dns servers='192.0.2.53' "
        "search='example.com'/>",
        "warning: --libvirt leaves out br0: <ifsmith:route> 10.20.0.0/16 via 192.0.2.254",
    ]
