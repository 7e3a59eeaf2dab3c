"""The DHCPv4 client identity (core/dhcpid.py): ifsmith:client-id / ifsmith:iaid on
<dhcp> round trip through the XML and the daemons' files, and iface-bridge carries the
identity the NIC's client used (networkd's IAID, from its lease file) to the bridge."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ifsmith.backends import networkd, nm_keyfile
from ifsmith.core.files import MemoryFiles
from ifsmith.core.host import Host
from ifsmith.core.model import Bridge, Family, IfType, Interface, LiveHost, LiveLink, Protocol
from ifsmith.core.xmlio import XmlError, parse, to_xml

BRIDGE = """<interface type='bridge' name='br0' xmlns:ifsmith='https://ifsmith.dev/xml/interface/1'>
  <start mode='onboot'/>
  <protocol family='ipv4'><dhcp {attrs}/></protocol>
  <bridge stp='off'><interface type='ethernet' name='eth0'/></bridge>
</interface>
"""
CLIENTID = "ff:4b:32:c2:89:00:02:00:00:ab:11:00:33:bd:eb:f9:5e:19:2c"


def bridge(attrs: str) -> Interface:
    (iface,) = parse(BRIDGE.format(attrs=attrs).encode(), "br0.xml")
    return iface


def test_the_identity_round_trips_through_the_xml() -> None:
    iface = bridge(f"ifsmith:client-id='{CLIENTID.upper()}' ifsmith:iaid='1261617801'")
    (proto,) = iface.protocols
    assert (proto.client_id, proto.iaid) == (CLIENTID, "1261617801")
    text = to_xml(iface)
    assert f"ifsmith:client-id='{CLIENTID}'" in text
    assert parse(text.encode(), "again.xml") == [iface]


@pytest.mark.parametrize(
    ("attrs", "said"),
    [
        (
            "ifsmith:client-id='bogus id'",
            "ifsmith:client-id: 'bogus id' is not a client identifier",
        ),
        ("ifsmith:iaid='4294967296'", "ifsmith:iaid: '4294967296' is not an IAID"),
    ],
)
def test_a_bad_identity_is_refused_naming_the_line(attrs: str, said: str) -> None:
    with pytest.raises(XmlError) as err:
        bridge(attrs)
    assert "br0.xml:3" in str(err.value) and said in str(err.value)


def test_the_identity_is_ipv4_only() -> None:
    text = BRIDGE.format(attrs="").replace(
        "family='ipv4'><dhcp />", "family='ipv6'><dhcp ifsmith:iaid='7'/>"
    )
    with pytest.raises(XmlError, match="only allowed for family='ipv4'"):
        parse(text.encode(), "br0.xml")


def render_networkd(iface: Interface, existing: MemoryFiles | None = None) -> dict[str, str]:
    out = networkd.render([iface], existing or MemoryFiles())
    return {str(p): data.decode() for p, data in out.files.items() if data is not None}


def test_networkd_writes_an_iaid_carried_as_bytes_and_reads_it_back() -> None:
    iface = bridge(f"ifsmith:client-id='{CLIENTID}'")
    files = render_networkd(iface)
    network = files["/etc/systemd/network/10-ifsmith-br0.network"]
    assert "[DHCPv4]\nClientIdentifier=duid\nIAID=1261617801\n" in network
    (read,) = networkd.read_files(MemoryFiles({p: d.encode() for p, d in files.items()}))
    (proto,) = read.protocols
    assert (proto.client_id, proto.iaid) == ("duid", "1261617801")
    # What the files say renders to the same files: nothing changes on a second apply.
    assert render_networkd(read, MemoryFiles({p: d.encode() for p, d in files.items()})) == files


def test_networkd_keeps_an_admins_client_identifier_and_moves_it_to_the_bridge() -> None:
    nic = b"[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\n\n[DHCP]\nClientIdentifier=mac\n"
    existing = MemoryFiles({"/etc/systemd/network/20-eth0.network": nic})
    (eth0,) = networkd.read_files(existing)
    assert eth0.ipv4 is not None and eth0.ipv4.client_id == "mac"
    port = replace(eth0, protocols=(), start_mode=None)
    br0 = replace(eth0, type=IfType.BRIDGE, name="br0", bridge=Bridge(stp=False, ports=(port,)))
    files = render_networkd(br0, existing)
    assert "ClientIdentifier" not in files["/etc/systemd/network/20-eth0.network"]
    assert (
        "[DHCPv4]\nClientIdentifier=mac\n" in files["/etc/systemd/network/10-ifsmith-br0.network"]
    )


def test_networkd_says_what_it_cannot_send() -> None:
    out = networkd.render([bridge("ifsmith:client-id='00:61:62'")], MemoryFiles())
    assert any("cannot send the client identifier 00:61:62" in w.message for w in out.warnings)


def test_networkd_running_identity_comes_from_the_lease_file(tmp_path: Path) -> None:
    leases = tmp_path / "run/systemd/netif/leases"
    leases.mkdir(parents=True)
    (leases / "2").write_text(
        "# This is private data. Do not parse.\nADDRESS=10.55.0.138\n"
        f"CLIENTID={CLIENTID.replace(':', '')}\n"
    )
    eth0 = Interface(
        type=IfType.ETHERNET, name="eth0", protocols=(Protocol(Family.IPV4, dhcp=True),)
    )
    live = LiveHost(links=(LiveLink(index=2, name="eth0", kind="veth"),))
    host = Host(root=tmp_path)
    (proto,) = networkd.dhcp_identity(host, eth0, live).protocols
    assert proto.iaid == "1261617801"
    # An identity the files name is the admin's: kept as written.
    said = replace(eth0, protocols=(Protocol(Family.IPV4, dhcp=True, client_id="mac"),))
    assert networkd.dhcp_identity(host, said, live) == said


def test_networkmanager_writes_the_identity_as_it_is_and_reads_it_back() -> None:
    iface = bridge(f"ifsmith:client-id='{CLIENTID}' ifsmith:iaid='ifname'")
    out = nm_keyfile.render([iface], MemoryFiles())
    files = {p: d or b"" for p, d in out.files.items()}
    (text,) = [d.decode() for p, d in files.items() if "br0" in str(p)]
    assert f"dhcp-client-id={CLIENTID}\n" in text and "dhcp-iaid=ifname\n" in text
    (read,) = nm_keyfile.read_files(MemoryFiles(files))
    assert read.ipv4 is not None
    assert (read.ipv4.client_id, read.ipv4.iaid) == (CLIENTID, "ifname")


def test_networkmanager_carries_an_admins_client_id_to_the_bridge() -> None:
    nic = (
        b"[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n"
        b"[ipv4]\nmethod=auto\ndhcp-client-id=duid\n"
    )
    existing = MemoryFiles({"/etc/NetworkManager/system-connections/eth0.nmconnection": nic})
    (eth0,) = nm_keyfile.read_files(existing)
    assert eth0.ipv4 is not None and eth0.ipv4.client_id == "duid"
    port = replace(eth0, protocols=(), start_mode=None)
    br0 = replace(eth0, type=IfType.BRIDGE, name="br0", bridge=Bridge(stp=False, ports=(port,)))
    out = nm_keyfile.render([br0], existing)
    files = {str(p): (d or b"").decode() for p, d in out.files.items()}
    assert "dhcp-client-id" not in files["/etc/NetworkManager/system-connections/eth0.nmconnection"]
    (bridge_file,) = [t for p, t in files.items() if "br0" in p]
    assert bridge_file.count("dhcp-client-id=duid\n") == 1
    assert not out.warnings


def test_networkmanager_leaves_a_text_client_id_as_written() -> None:
    nic = (
        b"[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n"
        b"[ipv4]\nmethod=auto\ndhcp-client-id=host name\n"
    )
    existing = MemoryFiles({"/etc/NetworkManager/system-connections/eth0.nmconnection": nic})
    report = nm_keyfile.read_report(existing)
    assert any("dhcp-client-id=host name not modelled" in p for p in report.problems)
    (eth0,) = report.interfaces
    out = nm_keyfile.render([eth0], existing)
    assert list(out.files.values()) == [nic]


NMCLI = (
    "broadcast_address = 10.55.0.255 | dhcp_client_identifier = {cid} | "
    "dhcp_lease_time = 120 | ip_address = 10.55.0.150\n"
)


@pytest.mark.parametrize(
    ("reported", "carried"),
    [
        (CLIENTID, CLIENTID),  # NetworkManager.conf: ipv4.dhcp-client-id=duid
        ("01:52:54:00:12:34:56", None),  # its default, 01 + the MAC: the bridge sends it too
    ],
)
def test_networkmanager_running_identity_comes_from_its_lease_options(
    monkeypatch: pytest.MonkeyPatch, reported: str, carried: str | None
) -> None:
    from ifsmith.backends import nm_dhcpid

    calls = []

    def nmcli(argv: list[str], **_kw: object) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        escaped = reported.replace(":", "\\:")  # -g output escapes colons in values
        return subprocess.CompletedProcess(argv, 0, NMCLI.format(cid=escaped), "")

    monkeypatch.setattr(nm_dhcpid.shutil, "which", lambda _tool: "/usr/bin/nmcli")
    monkeypatch.setattr(nm_dhcpid.subprocess, "run", nmcli)
    eth0 = Interface(
        type=IfType.ETHERNET, name="eth0", protocols=(Protocol(Family.IPV4, dhcp=True),)
    )
    live = LiveHost(links=(LiveLink(index=2, name="eth0", kind="", mac="52:54:00:12:34:56"),))
    (proto,) = nm_keyfile.dhcp_identity(Host(), eth0, live).protocols
    assert proto.client_id == carried
    assert calls == [["/usr/bin/nmcli", "-g", "DHCP4.OPTION", "device", "show", "eth0"]]
    # Another root is not this daemon's: nothing asked.
    assert nm_keyfile.dhcp_identity(Host(root=Path("/tmp")), eth0, live) == eth0
    assert len(calls) == 1


def test_a_backend_that_cannot_write_the_identity_says_so(tmp_path: Path) -> None:
    xml = tmp_path / "br0.xml"
    xml.write_text(BRIDGE.format(attrs="ifsmith:client-id='mac' ifsmith:iaid='7'"))
    (tmp_path / "etc/network").mkdir(parents=True)
    (tmp_path / "etc/network/interfaces").write_text("auto lo\niface lo inet loopback\n")
    done = subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", "--root", str(tmp_path), "render",
         "--backend", "ifupdown", str(xml)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (
        "ifupdown: br0: the DHCP client identity (client-id mac, iaid 7) is not written: "
        "ifupdown's files cannot say it" in done.stderr
    )
    networkd_done = subprocess.run(
        [sys.executable, "-m", "ifsmith.tui.cli", "--root", str(tmp_path), "render",
         "--backend", "networkd", str(xml)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "IAID=7" in networkd_done.stdout and "identity" not in networkd_done.stderr
