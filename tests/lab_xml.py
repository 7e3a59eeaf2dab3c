"""Definitions the tests share.  The server/client lab the transaction tests build: the
server's NIC s0 holds 192.0.2.1/24, the client (the admin's machine) is 192.0.2.2 on the
other end.  Static routes and DNS (issue 10) on a top-level interface."""

# Cuts the client off: s0's address moves to a new bridge br0 that s0 is not a port of.
CUT = """<interfaces>
  <interface type='ethernet' name='s0'>
    <start mode='onboot'/>
  </interface>
  <interface type='bridge' name='br0'>
    <start mode='onboot'/>
    <protocol family='ipv4'>
      <ip address='192.0.2.1' prefix='24'/>
    </protocol>
    <bridge stp='off'>
    </bridge>
  </interface>
</interfaces>
"""

# A harmless change: a second address on s0 (the client stays reachable).
KEEP = """<interface type='ethernet' name='s0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.1' prefix='24'/>
    <ip address='198.51.100.1' prefix='24'/>
  </protocol>
</interface>
"""


# Static routes and DNS as a top-level interface carries them (libvirt's default route
# beside <ifsmith:route>s of both families, <ifsmith:dns>): the lines inside <interface>
# before the bond's or bridge's element.
ROUTES_DNS = """\
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.10' prefix='24'/>
    <route gateway='192.0.2.1'/>
    <ifsmith:route address='10.20.0.0' prefix='16' gateway='192.0.2.254' metric='100'/>
    <ifsmith:route address='198.51.100.0' prefix='24'/>
  </protocol>
  <protocol family='ipv6'>
    <ip address='2001:db8::10' prefix='64'/>
    <ifsmith:route address='2001:db8:1::' prefix='48' gateway='fe80::1'/>
  </protocol>
  <ifsmith:dns servers='192.0.2.53 2001:db8::53' search='example.com corp.example.com'/>
"""


def routes_dns_doc(kind: str, name: str, inner: str = "") -> str:
    """An interface KIND NAME with ROUTES_DNS, then INNER (a bond's <bond> element)."""
    return (
        f"<interface xmlns:ifsmith='https://ifsmith.dev/xml/interface/1' type='{kind}'"
        f" name='{name}'>\n{ROUTES_DNS}{inner}</interface>\n"
    )
