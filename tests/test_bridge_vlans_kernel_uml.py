"""VLAN-aware bridges through the kernel activator, end to end (issue 10), on a kernel with
VLAN filtering and 8021q (user-mode Linux; this machine's own bridge has no VLAN
filtering), in namespaces of it made per test.

br0 filters VLANs and has VLANs 10 and 20 of its own, with br0.10 (10.10.0.1/24) on top;
tr0 is a trunk (VLANs 10 20 100-199, no pvid) to a host whose tr1.10 and tr1.20 both sit
in 10.10.0.0/24; ac0 is an access port (pvid 10) to a host at 10.10.0.2.  Judged by
independent readers: ``ip -d -j link`` (vlan_filtering) and ``bridge -c -j vlan show``
(each port's VLANs and the bridge's own), and by ping: VLAN 10 reaches br0.10, VLAN 20
does not.  Then a change (ids added and removed, a pvid set) does exactly that change; a
VLAN added by hand that the XML cannot say (untagged, not the pvid) is named in the live
view; a change that cuts the access host off (its pvid to 20) rolls back to the earlier
VLANs, the hand-made one included; and a pvid made to leave tagged is named too.
"""

from __future__ import annotations

import json
import sys
import time

from tests.umlhost import UML

NS = "xmlns:ifsmith='https://ifsmith.dev/xml/interface/1'"


def doc(own: str, trunk: str, access: str) -> str:
    """br0 (filtering, own VLANs ``own``) with the trunk and access ports, and br0.10."""
    return (
        f"<interfaces {NS}>\n"
        "<interface type='bridge' name='br0'><start mode='onboot'/>\n"
        f"  <bridge stp='off' ifsmith:vlan-filtering='on' ifsmith:vlans='{own}'>\n"
        f"    <interface type='ethernet' name='tr0'{trunk}/>\n"
        f"    <interface type='ethernet' name='ac0'{access}/>\n"
        "  </bridge>\n</interface>\n"
        "<interface type='vlan' name='br0.10'><start mode='onboot'/>\n"
        "  <protocol family='ipv4'><ip address='10.10.0.1' prefix='24'/></protocol>\n"
        "  <vlan tag='10'><interface name='br0'/></vlan>\n</interface>\n"
        "</interfaces>\n"
    )


FIRST = doc("10 20", " ifsmith:vlans='10 20 100-199' ifsmith:pvid='none'", " ifsmith:pvid='10'")
SECOND = doc("10 20", " ifsmith:vlans='10 30 100-149' ifsmith:pvid='100'", " ifsmith:pvid='10'")
CUT = doc("10 20", " ifsmith:vlans='10 30 100-149' ifsmith:pvid='100'", " ifsmith:pvid='20'")

# The hosts: hA behind the access port (untagged), hT behind the trunk (tagged 10 and 20,
# both in the subnet of br0.10: only VLAN 10 may reach it).
SETUP = """set -e
ns={ns}
for h in hA hT; do ip netns add $ns-$h; ip -n $ns-$h link set lo up; done
ip -n $ns link add tr0 type veth peer name tr1 netns $ns-hT
ip -n $ns link add ac0 type veth peer name ac1 netns $ns-hA
ip -n $ns-hA addr add 10.10.0.2/24 dev ac1
ip -n $ns-hA link set ac1 up
ip -n $ns-hT link set tr1 up
ip -n $ns-hT link add link tr1 name tr1.10 type vlan id 10
ip -n $ns-hT link add link tr1 name tr1.20 type vlan id 20
ip -n $ns-hT addr add 10.10.0.4/24 dev tr1.10
ip -n $ns-hT addr add 10.10.0.3/24 dev tr1.20
ip -n $ns-hT link set tr1.10 up
ip -n $ns-hT link set tr1.20 up
mkdir -p {root}/etc/network
printf 'auto lo\\niface lo inet loopback\\n' > {root}/etc/network/interfaces
"""

PVID, UNTAGGED = "PVID", "Egress Untagged"


class Lab:
    def __init__(self, uml: UML, ns: str) -> None:
        self.uml, self.ns, self.root = uml, ns, f"/tmp/ifs-vlans-{ns}"

    def sh(self, script: str, netns: str | None = None) -> str:
        result = self.uml.run(["sh", "-c", script], netns=netns, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def ifsmith(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        argv = [sys.executable, "-m", "ifsmith.tui.cli", "--netns", self.ns,
                "--root", self.root, *args]  # fmt: skip
        result = self.uml.run(argv, stdin=stdin, timeout=120)
        return result.returncode, result.stdout, result.stderr

    def apply(self, text: str, *guard: str) -> tuple[int, str, str]:
        path = f"{self.root}/doc.xml"
        self.sh(f"cat > {path} <<'EOF'\n{text}EOF\n")
        return self.ifsmith("apply", path, "--backend", "ifupdown", "--activate", "kernel",
                            "--yes", "--no-auto-probes", *guard)  # fmt: skip

    def vlans(self) -> dict[str, dict[int, frozenset[str]]]:
        """`bridge -c -j vlan show`: per device, VLAN id → its flags."""
        out: dict[str, dict[int, frozenset[str]]] = {}
        for entry in json.loads(self.sh(f"bridge -n {self.ns} -c -j vlan show")):
            ids = out.setdefault(entry["ifname"], {})
            for v in entry["vlans"]:
                for vid in range(v["vlan"], v.get("vlanEnd", v["vlan"]) + 1):
                    ids[vid] = frozenset(v.get("flags", ()))
        return out

    def filtering(self) -> int:
        link = json.loads(self.sh(f"ip -n {self.ns} -d -j link show br0"))[0]
        return int(link["linkinfo"]["info_data"]["vlan_filtering"])

    def reaches(
        self, host: str, target: str, dev: str | None = None, within: float = 4
    ) -> bool:
        """Does ``host`` get an answer from ``target`` within a few (``within``) seconds?"""
        via = ["-I", dev] if dev else []
        argv = ["ping", "-c", "1", "-W", "1", *via, target]
        deadline = time.monotonic() + within
        while True:
            if self.uml.run(argv, netns=f"{self.ns}-{host}", timeout=10).returncode == 0:
                return True
            if time.monotonic() > deadline:
                return False


def ids(text: str, flags: frozenset[str] = frozenset()) -> dict[int, frozenset[str]]:
    out: dict[int, frozenset[str]] = {}
    for part in text.split():
        low, _, high = part.partition("-")
        for vid in range(int(low), int(high or low) + 1):
            out[vid] = flags
    return out


BOTH = frozenset({PVID, UNTAGGED})


def test_vlan_aware_bridge_applied_changed_shown_and_rolled_back(
    uml: UML, uml_netns: str
) -> None:
    lab = Lab(uml, uml_netns)
    lab.sh(SETUP.format(ns=uml_netns, root=lab.root))
    try:
        run_story(lab)
    finally:
        lab.sh(f"ip netns del {uml_netns}-hA; ip netns del {uml_netns}-hT")


def run_story(lab: Lab) -> None:
    rc, out, err = lab.apply(FIRST, "--confirm-timeout", "0")
    assert rc == 0, out + err
    # Filtering on before any VLAN; each port's VLANs once it is in the bridge.
    steps = out.splitlines()
    at = {
        key: next(i for i, s in enumerate(steps) if key in s)
        for key in ("vlan_filtering on", "set tr0 master br0", "set bridge port tr0 vlans",
                    "set bridge br0 own vlans")
    }  # fmt: skip
    assert at["vlan_filtering on"] < at["set bridge br0 own vlans"]
    assert at["set tr0 master br0"] < at["set bridge port tr0 vlans"]
    assert "set bridge port tr0 vlans: add 10 20 100-199 tagged; remove 1" in out
    assert "set bridge port ac0 vlans: add 10 pvid untagged; remove 1" in out
    assert "set bridge br0 own vlans: add 10 20 tagged" in out

    assert lab.filtering() == 1
    first = lab.vlans()
    assert first["br0"] == {1: BOTH, **ids("10 20")}
    assert first["tr0"] == ids("10 20 100-199")
    assert first["ac0"] == {10: BOTH}

    # The admin's proof: VLAN 10 (access, and tagged over the trunk) reaches br0.10;
    # VLAN 20 in the same subnet does not, nor untagged frames on the trunk (no pvid).
    assert lab.reaches("hA", "10.10.0.1")
    assert lab.reaches("hT", "10.10.0.1", "tr1.10")
    assert not lab.reaches("hT", "10.10.0.1", "tr1.20")

    # The live view says what runs, and nothing at the kernel's defaults.
    rc, live, err = lab.ifsmith("dumpxml", "br0", "--live")
    assert rc == 0, err
    assert "ifsmith:vlan-filtering='on' ifsmith:vlans='10 20'>" in live
    assert "name='tr0' ifsmith:vlans='10 20 100-199' ifsmith:pvid='none'>" in live
    assert "name='ac0' ifsmith:pvid='10'>" in live
    assert "<!--" not in live  # nothing the XML cannot say

    # A change: 20 and 150-199 go from the trunk, 30 comes, its pvid becomes 100.
    rc, out, err = lab.apply(SECOND, "--confirm-timeout", "0")
    assert rc == 0, out + err
    assert "set bridge port tr0 vlans: add 30 tagged, 100 pvid untagged; remove 20 150-199" in out
    assert "ac0 vlans" not in out and "br0 own vlans" not in out
    second = lab.vlans()
    assert second == {**first, "tr0": {**ids("10 30 101-149"), 100: BOTH}}

    # By hand: VLAN 150 leaves the trunk untagged, which the XML cannot say: named.
    lab.sh(f"bridge -n {lab.ns} vlan add dev tr0 vid 150 untagged master")
    rc, live, err = lab.ifsmith("dumpxml", "br0", "--live")
    assert rc == 0, err
    assert (
        "<!-- tr0: VLAN 150 leaves untagged without being the pvid (running 10 30 101-149 "
        "tagged, 150 untagged, 100 pvid untagged): the XML cannot say it -->"
    ) in live
    assert "name='tr0' ifsmith:vlans='10 30 100-150' ifsmith:pvid='100'>" in live
    rc, shown, err = lab.ifsmith("dumpxml", "tr0")
    assert rc == 0 and "VLAN 150 leaves untagged without being the pvid" in shown, shown + err
    odd = lab.vlans()

    # The access host's pvid to 20 cuts it off from br0.10: the probe fails, the change
    # rolls back, to the VLANs from before it (the hand-made one too).
    assert lab.reaches("hA", "10.10.0.1")
    rc, out, err = lab.apply(CUT, "--confirm-timeout", "30", "--probe", "10.10.0.2")
    assert rc == 3, out + err
    assert "set bridge port ac0 vlans: add 20 pvid untagged; remove 10" in out
    assert lab.vlans() == odd
    assert lab.filtering() == 1
    assert lab.reaches("hA", "10.10.0.1")
    rc, status, err = lab.ifsmith("status", "--json")
    assert json.loads(status)["differences"] == [], status

    # By hand: the access port's pvid leaves tagged, which the XML cannot say either.
    lab.sh(f"bridge -n {lab.ns} vlan add dev ac0 vid 10 pvid master")
    rc, live, err = lab.ifsmith("dumpxml", "br0", "--live")
    assert rc == 0, err
    assert "ac0: pvid 10 leaves tagged (running 10 pvid tagged): the XML cannot say it" in live
