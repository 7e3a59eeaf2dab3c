"""Stand-in ``resolvectl`` and ``resolvconf`` for tests: the real ones talk to this machine's
resolver, which a test must never change.  Each records its argv (and stdin) as a JSON line
in ``calls`` beside it and keeps its state in files: resolvectl per link in ``state/IF.dns``
and ``state/IF.domain`` (answering ``resolvectl dns IF`` as the real one prints it, and
failing for a link the namespace lacks), resolvconf in ``ROOT/run/resolvconf/interface``
as Debian's does, with the merged ``ROOT/run/resolvconf/resolv.conf``.  A file ``fail``
beside them naming a verb makes that verb fail."""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESOLVECTL = r"""
import json, os, subprocess, sys
here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
with open(os.path.join(here, "calls"), "a") as f:
    f.write(json.dumps(args) + "\n")
verb, link, values = args[0], args[1], args[2:]
if NETNS:
    shown = subprocess.run(["ip", "-n", NETNS, "-o", "link", "show", "dev", link],
                           capture_output=True, text=True)
    if shown.returncode != 0:
        sys.exit(f'Failed to resolve interface "{link}": No such device')
    index = shown.stdout.split(":")[0]
else:
    index = "2"
state = os.path.join(here, "state")
os.makedirs(state, exist_ok=True)
fail = os.path.join(here, "fail")
if values and os.path.exists(fail) and open(fail).read().strip() == verb:
    sys.exit("Failed to set DNS configuration: stand-in refuses")
if verb == "revert":
    for kind in ("dns", "domain"):
        if os.path.exists(os.path.join(state, f"{link}.{kind}")):
            os.unlink(os.path.join(state, f"{link}.{kind}"))
elif values:
    with open(os.path.join(state, f"{link}.{verb}"), "w") as f:
        f.write("" if values == [""] else " ".join(values))
else:
    path = os.path.join(state, f"{link}.{verb}")
    now = open(path).read().split() if os.path.exists(path) else []
    print(f"Link {index} ({link}):" + "".join(f" {v}" for v in now))
"""

RESOLVCONF = r"""
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
stdin = sys.stdin.read() if args[:1] == ["-a"] else None
with open(os.path.join(here, "calls"), "a") as f:
    f.write(json.dumps(args + ([stdin] if stdin is not None else [])) + "\n")
fail = os.path.join(here, "fail")
if os.path.exists(fail) and open(fail).read().strip() == args[0]:
    sys.exit("resolvconf: Error: stand-in refuses")
records = os.path.join(ROOT, "run/resolvconf/interface")
os.makedirs(records, exist_ok=True)
if args[0] == "-a":
    with open(os.path.join(records, args[1]), "w") as f:
        f.write(stdin)
elif args[0] == "-d" and os.path.exists(os.path.join(records, args[1])):
    os.unlink(os.path.join(records, args[1]))
with open(os.path.join(ROOT, "run/resolvconf/resolv.conf"), "w") as f:
    f.write("".join(open(os.path.join(records, n)).read() for n in sorted(os.listdir(records))))
"""


def install(bin_dir: Path, source: str, name: str, netns: str | None,
            root: Path | None = None) -> Path:  # fmt: skip
    """Write the stand-in NAME into BIN_DIR; its path.  NETNS: the namespace whose links
    resolvectl knows; ROOT: where resolvconf keeps its records (BIN_DIR's parent)."""
    program = bin_dir / name
    program.write_text(
        f"#!{sys.executable}\n# stand-in {name}, written by tests/resolver_stand_ins.py\n"
        f"NETNS = {netns!r}\nROOT = {str(root or bin_dir)!r}\n{source}"
    )
    program.chmod(0o755)
    return program


def read_calls(bin_dir: Path) -> list[list[str]]:
    """Every call the stand-ins in BIN_DIR got, in order."""
    calls = bin_dir / "calls"
    if not calls.exists():
        return []
    return [json.loads(line) for line in calls.read_text().splitlines()]
