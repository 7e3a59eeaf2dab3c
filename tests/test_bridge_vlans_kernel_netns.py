"""VLAN-aware bridges on a kernel whose bridge has no VLAN filtering (this machine's: the
VLANs themselves are tested on user-mode Linux, test_bridge_vlans_kernel_uml): the live
snapshot reads no VLANs there (and spends no dump on them), a definition that says
filtering is off applies, and one that turns it on is refused in words that say why."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from ifsmith.backends import kernel
from ifsmith.core import live as live_module
from ifsmith.core.host import Host
from ifsmith.core.live import snapshot
from ifsmith.core.options_netlink import AF_BRIDGE
from ifsmith.core.plan import make_plan
from ifsmith.core.xmlio import parse
from tests.netns import can_make_netns, ip, make_netns

pytestmark = pytest.mark.skipif(can_make_netns() is not None, reason=str(can_make_netns()))

DOC = (
    "<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='bridge' name='br0'>"
    "<start mode='onboot'/><bridge stp='off' ifsmith:vlan-filtering='{on}'>"
    "<interface type='ethernet' name='vp0'/></bridge></interface>"
)


@pytest.fixture
def ns() -> Iterator[str]:
    with make_netns("vlank-") as name:
        ip("link", "add", "vp0", "type", "veth", "peer", "name", "vp1", netns=name)
        ip("link", "add", "br9", "type", "bridge", netns=name)
        info = json.loads(ip("-d", "-j", "link", "show", "br9", netns=name))[0]
        if "vlan_default_pvid" in info["linkinfo"]["info_data"]:
            pytest.skip("n/a: this kernel's bridge has VLAN filtering (see the UML test)")
        yield name


def test_no_vlans_are_read_where_the_bridge_cannot_filter(
    ns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    families: list[int] = []
    dump = live_module._dump

    def counted(sock: socket.socket, msg_type: int, body: bytes, seq: int) -> list[bytes]:
        families.append(body[0])
        return dump(sock, msg_type, body, seq)

    monkeypatch.setattr(live_module, "_dump", counted)
    live = snapshot(Host(netns=ns))
    assert len(families) == 3 and AF_BRIDGE not in families  # links, addresses, routes
    br9 = live.link("br9")
    assert br9 is not None and br9.bridge is not None
    assert br9.bridge.options.vlan_filtering is False  # reported, though it cannot be on
    assert all(link.vlans is None for link in live.links)


def test_filtering_off_applies_and_on_is_refused_saying_why(ns: str) -> None:
    host = Host(netns=ns)
    off = make_plan(parse(DOC.format(on="off")), snapshot(host))
    kernel.apply(host, off)
    assert make_plan(parse(DOC.format(on="off")), snapshot(host)).is_empty
    on = make_plan(parse(DOC.format(on="on")), snapshot(host))
    assert on.describe()[0] == "set bridge br0 vlan_filtering on"
    with pytest.raises(kernel.KernelError) as refused:
        kernel.apply(host, on)
    assert str(refused.value) == (
        "br0: cannot set bridge br0 vlan_filtering on: this kernel's bridge has no VLAN "
        "filtering (built without CONFIG_BRIDGE_VLAN_FILTERING)"
    )
