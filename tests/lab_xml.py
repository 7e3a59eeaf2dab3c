"""Definitions for the server/client lab the transaction tests build: the server's NIC
s0 holds 192.0.2.1/24, the client (the admin's machine) is 192.0.2.2 on the other end."""

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
