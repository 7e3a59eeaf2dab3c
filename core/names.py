"""Interface names: the kernel's rules for them, and how to print one safely.

A name the kernel reports may hold any byte but NUL, ``/``, ``:`` and white space: an
ESC (``ip link add name $'a\\x1bb' type dummy``) is accepted, and so is a byte that is not
UTF-8.  ``shown`` turns such a name into text that is safe on a terminal and in a message
(``a\\x1bb``), so ``list``, ``status`` and every warning print the same thing.
``name_problem`` says why a name an admin gives would be refused, by the kernel
(``dev_valid_name`` in net/core/dev.c and ``sysctl_dev_name_is_allowed``) or by ifsmith.
"""

from __future__ import annotations

import re

IFNAMSIZ = 16  # including the terminating NUL: names are 1-15 bytes

# The kernel's isspace() (lib/ctype.c): the ASCII white space and the byte 0xA0, so a UTF-8
# name holding 0xA0 (à = c3 a0) is refused too.
KERNEL_SPACE = frozenset(b" \t\n\v\f\r\xa0")

# The names of the sysctl directories net.ipv4.conf.all/.default: the kernel refuses an
# interface by those names (sysctl_dev_name_is_allowed).
RESERVED = ("all", "default")
# A name of these characters alone breaks none of the rules below but the reserved ones:
# the common case is judged by one match (a render checks thousands of names).
PLAIN_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,15}")


def shown(name: str) -> str:
    """A name (or any text from outside) as it may be printed: control characters, bytes
    that are not UTF-8 and backslashes escaped as Python's repr does (``a\\x1bb``)."""
    if name.isprintable() and "\\" not in name:
        return name
    return _escaped(name, keep="")


def shown_text(text: str) -> str:
    """A message as it may reach a terminal: like ``shown``, but lines and tabs stay and a
    backslash is left alone (a message is not a name that must read back unambiguously)."""
    if text.isprintable():
        return text
    return _escaped(text, keep="\n\t\\")


def _escaped(text: str, keep: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch in keep:
            out.append(ch)
        elif ch == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


def xml_unsafe(text: str) -> str | None:
    """The first character XML 1.0 cannot carry (not even as a character reference), or None."""
    for ch in text:
        code = ord(ch)
        if code < 0x20 and ch not in "\t\n\r":
            return ch
        if 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            return ch
    return None


def name_problem(name: str) -> str | None:
    """Why an interface name an admin gives would be refused, or None when it is fine.

    The kernel's rules (1-15 bytes; not ``.``, ``..``, ``all``, ``default``; no ``/``,
    ``:`` or white space; ``%`` makes the kernel pick a name of its own), plus ifsmith's:
    no control characters and valid UTF-8, since neither XML nor the distro files carry them.
    """
    if PLAIN_NAME.fullmatch(name) and name not in (".", "..") and name not in RESERVED:
        return None
    raw = name.encode("utf-8", errors="surrogateescape")
    if not raw:
        return "an interface name cannot be empty"
    if len(raw) >= IFNAMSIZ:
        return f"interface name '{shown(name)}' is {len(raw)} bytes; the kernel allows at most 15"
    if name in (".", ".."):
        return f"'{name}' is not a valid interface name (the kernel refuses it)"
    if name in RESERVED:
        return (
            f"the kernel refuses the interface name '{name}' "
            "(a /proc/sys/net/*/conf directory has that name)"
        )
    if "%" in name:
        return (
            f"interface name '{shown(name)}' contains '%': the kernel refuses it, or for "
            "'%d' picks a name of its own (eth%d becomes eth0)"
        )
    for ch in name:
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            return f"interface name '{shown(name)}' is not valid UTF-8"
        if ch in "/:":
            return f"interface name '{shown(name)}' contains '{ch}', which the kernel refuses"
        if ch.isspace():
            return f"interface name '{shown(name)}' contains white space, which the kernel refuses"
        if any(b in KERNEL_SPACE for b in ch.encode("utf-8", "surrogateescape")):
            return (
                f"interface name '{shown(name)}' contains '{ch}', whose UTF-8 bytes include "
                "0xa0, which the kernel takes for white space and refuses"
            )
        if not ch.isprintable():
            return (
                f"interface name '{shown(name)}' contains the non-printing character "
                f"{shown(ch)}; ifsmith does not accept it (XML and the distro files cannot "
                "carry it)"
            )
    return None
